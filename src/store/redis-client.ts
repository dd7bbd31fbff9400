/**
 * From `store.redis` config to an ioredis client (standalone, Sentinel or Cluster). The only module
 * that constructs ioredis clients. Options are chosen so that no request can wait on Redis beyond
 * `redis.timeout` (issue 5): no offline queue (a command while disconnected fails at once), no
 * per-request retries, a command timeout; ioredis keeps reconnecting in the background.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { RedisStoreConfig } from './config.js';

export type RedisClient = Redis | Cluster;

export type RedisConnectionPlan =
  | { readonly mode: 'standalone'; readonly url?: string; readonly options: RedisOptions }
  | { readonly mode: 'sentinel'; readonly options: RedisOptions }
  | { readonly mode: 'cluster'; readonly nodes: readonly { host: string; port: number }[]; readonly options: ClusterOptions };

/** Reconnect backoff: 50ms, 100ms … capped at 2s, forever (recovery must be automatic). */
const retryStrategy = (times: number): number => Math.min(times * 50, 2000);

function tlsOptions(config: RedisStoreConfig, readFile: (path: string) => string): ConnectionOptions | undefined {
  const tls = config.tls;
  if (tls === false) return undefined;
  if (tls === true) return {};
  const out: ConnectionOptions = { rejectUnauthorized: tls.reject_unauthorized };
  if (tls.ca_file !== undefined) out.ca = readFile(tls.ca_file);
  if (tls.cert_file !== undefined) out.cert = readFile(tls.cert_file);
  if (tls.key_file !== undefined) out.key = readFile(tls.key_file);
  if (tls.servername !== undefined) out.servername = tls.servername;
  return out;
}

/** Pure: what client to build and with which options (tested without connecting). */
export function planRedisConnection(
  config: RedisStoreConfig,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): RedisConnectionPlan {
  const tls = tlsOptions(config, readFile);
  const common: RedisOptions = {
    connectTimeout: config.connect_timeout,
    // a backstop only: the store's own deadline (resilient.ts withDeadline) decides health, and
    // tolerates event-loop lag; ioredis' timer counts the lag and would fail a healthy Redis first
    commandTimeout: Math.max(config.timeout * 10, 5000),
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    enableReadyCheck: true,
    autoResubscribe: false,
    retryStrategy,
    // after a Sentinel failover the old master turns replica: reconnect (to the new master) on READONLY
    reconnectOnError: (e: Error) => e.message.startsWith('READONLY'),
    lazyConnect: false,
    // the admits of one event-loop turn go out in one socket write (still one EVALSHA, one round
    // trip each): a write per request was ~6% of the Redis-store gateway's CPU (issue 11 profile)
    enableAutoPipelining: true,
  };
  if (config.username !== undefined) common.username = config.username;
  if (config.password !== undefined) common.password = config.password;
  if (tls !== undefined) common.tls = tls;

  if (config.cluster !== undefined) {
    const { retryStrategy: _node, ...redisOptions } = common;
    const options: ClusterOptions = {
      redisOptions,
      enableAutoPipelining: true,
      enableOfflineQueue: false,
      enableReadyCheck: true,
      clusterRetryStrategy: retryStrategy,
      // no waiting inside ioredis on failover / cluster-down: the failure policy decides instead
      retryDelayOnFailover: 0,
      retryDelayOnClusterDown: 0,
      retryDelayOnTryAgain: 0,
      maxRedirections: 4,
      slotsRefreshTimeout: Math.max(config.connect_timeout, 1000),
    };
    // TLS endpoints (e.g. managed clusters) present certificates for their host names
    if (tls !== undefined) options.dnsLookup = (address, callback) => callback(null, address);
    return { mode: 'cluster', nodes: config.cluster.nodes.map((n) => ({ host: n.host, port: n.port })), options };
  }

  if (config.sentinel !== undefined) {
    const s = config.sentinel;
    const options: RedisOptions = {
      ...common,
      db: config.db,
      name: s.name,
      sentinels: s.sentinels.map((n) => ({ host: n.host, port: n.port })),
      sentinelRetryStrategy: retryStrategy,
      sentinelCommandTimeout: Math.max(config.timeout, config.connect_timeout),
      enableTLSForSentinelMode: s.tls && tls !== undefined,
    };
    if (s.username !== undefined) options.sentinelUsername = s.username;
    if (s.password !== undefined) options.sentinelPassword = s.password;
    if (s.tls && tls !== undefined) options.sentinelTLS = tls;
    return { mode: 'sentinel', options };
  }

  if (config.url !== undefined) {
    // the URL carries host, port, db, user and password; rediss:// turns TLS on
    const options: RedisOptions = { ...common };
    if (config.url.startsWith('rediss://') && options.tls === undefined) options.tls = {};
    return { mode: 'standalone', url: config.url, options };
  }
  return { mode: 'standalone', options: { ...common, host: config.host, port: config.port, db: config.db } };
}

export function createRedisClient(plan: RedisConnectionPlan): RedisClient {
  switch (plan.mode) {
    case 'cluster':
      return new Cluster(
        plan.nodes.map((n) => ({ host: n.host, port: n.port })),
        plan.options,
      );
    case 'sentinel':
      return new Redis(plan.options);
    case 'standalone':
      return plan.url !== undefined ? new Redis(plan.url, plan.options) : new Redis(plan.options);
    default: {
      const never: never = plan;
      throw new Error(`unknown redis mode ${String(never)}`);
    }
  }
}
