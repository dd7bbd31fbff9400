/**
 * The store factory: `createStore(config.store)` gives the memory store, or the Redis store wrapped
 * in its failure policy. Nothing connects at import time; the Redis client starts connecting when
 * the store is created, and `ready()` resolves once it answers.
 */
import type { StoreConfig } from './config.js';
import { MemoryStore } from './memory.js';
import { RedisStore } from './redis.js';
import { createRedisClient, planRedisConnection } from './redis-client.js';
import { ResilientStore } from './resilient.js';
import type { Store, StoreHealth } from './types.js';

export interface CreateStoreOptions {
  /** called on every health change (degraded, recovered); the gateway turns it into events and metrics */
  readonly onHealthChange?: (health: StoreHealth) => void;
  /** memory store clock, for tests */
  readonly now?: () => number;
}

export function createMemoryStore(config: StoreConfig, now?: () => number): MemoryStore {
  const m = config.memory;
  return new MemoryStore({
    maxEntries: m.max_entries,
    maxBlocks: m.max_blocks,
    maxCanaries: m.max_canaries,
    ...(now !== undefined ? { now } : {}),
  });
}

export function createStore(config: StoreConfig, options: CreateStoreOptions = {}): Store {
  switch (config.backend) {
    case 'memory':
      return createMemoryStore(config, options.now);
    case 'redis': {
      const r = config.redis;
      const client = createRedisClient(planRedisConnection(r));
      const redis = new RedisStore(client, { prefix: r.prefix, hashTag: r.hash_tag });
      return new ResilientStore(redis, {
        policy: r.failure_policy,
        timeoutMs: r.timeout,
        probeIntervalMs: r.probe_interval,
        ...(r.failure_policy === 'fail_open' ? { fallback: createMemoryStore(config, options.now) } : {}),
        ...(options.onHealthChange !== undefined ? { onHealthChange: options.onHealthChange } : {}),
      });
    }
    default: {
      const never: never = config.backend;
      throw new Error(`unknown store backend ${String(never)}`);
    }
  }
}

export { storeConfigSchema, type StoreConfig, type StoreConfigInput } from './config.js';
export { StoreInputError, StoreUnavailableError, isStoreUnavailable } from './errors.js';
export { MemoryStore } from './memory.js';
export { RedisStore } from './redis.js';
export { ResilientStore } from './resilient.js';
export type * from './types.js';
