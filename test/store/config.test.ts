/**
 * Store config (schema, defaults, cross-field rules), the ioredis connection plan built from it,
 * and the store error codes.
 */
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { parseHostPort, storeConfigSchema } from '../../src/store/config.js';
import { StoreInputError, StoreUnavailableError, isStoreUnavailable } from '../../src/store/errors.js';
import { planRedisConnection } from '../../src/store/redis-client.js';

const redis = (value: Record<string, unknown>) => storeConfigSchema.parse({ backend: 'redis', redis: value }).redis;
const issues = (value: unknown): string[] => {
  const result = storeConfigSchema.safeParse(value);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('store config', () => {
  it('defaults to the memory backend with bounded caps and a fail_open Redis section', () => {
    const config = storeConfigSchema.parse(undefined);
    expect(config.backend).toBe('memory');
    expect(config.memory).toEqual({ max_entries: 200_000, max_blocks: 100_000, max_canaries: 100_000 });
    expect(config.redis).toMatchObject({
      host: '127.0.0.1',
      port: 6379,
      db: 0,
      tls: false,
      prefix: 'honeygate:',
      hash_tag: 'hg',
      timeout: 50,
      connect_timeout: 2000,
      probe_interval: 1000,
      failure_policy: 'fail_open',
    });
    expect(configSchema.parse({}).store.backend).toBe('memory');
  });

  it('parses durations, sentinel and cluster addresses', () => {
    expect(redis({ timeout: '120ms', probe_interval: '2s' })).toMatchObject({ timeout: 120, probe_interval: 2000 });
    expect(redis({ sentinel: { name: 'mymaster', sentinels: ['s1:26380', 's2', '[::1]:26381'] } }).sentinel).toEqual({
      name: 'mymaster',
      sentinels: [
        { host: 's1', port: 26380 },
        { host: 's2', port: 26379 },
        { host: '::1', port: 26381 },
      ],
      tls: false,
    });
    expect(redis({ cluster: { nodes: ['10.0.0.1:7000', '10.0.0.2'] } }).cluster?.nodes).toEqual([
      { host: '10.0.0.1', port: 7000 },
      { host: '10.0.0.2', port: 6379 },
    ]);
    expect(parseHostPort('host:99999', 1)).toBeNull();
    expect(parseHostPort('a b:1', 1)).toBeNull();
  });

  it('refuses contradictions and bad values with dotted paths', () => {
    expect(issues({ redis: { sentinel: { name: 'm', sentinels: ['a:1'] }, cluster: { nodes: ['b:2'] } } })).toEqual([
      'redis.cluster: use either sentinel or cluster, not both',
    ]);
    expect(issues({ redis: { url: 'redis://x:6379', cluster: { nodes: ['b:2'] } } })).toEqual([
      'redis.url: url is for a standalone server; leave it out with sentinel or cluster',
    ]);
    expect(issues({ redis: { db: 2, cluster: { nodes: ['b:2'] } } })).toEqual(['redis.db: Redis Cluster has only database 0']);
    expect(issues({ redis: { cluster: { nodes: ['not a host'] } } })[0]).toMatch(/^redis\.cluster\.nodes\.0: not host:port/);
    expect(issues({ redis: { prefix: 'a{b}' } })[0]).toMatch(/^redis\.prefix: no braces/);
    expect(issues({ redis: { timeout: 50 } })).toEqual(['redis.timeout: between 1ms and 10s']); // a number is seconds
    expect(issues({ redis: { timeout: 'soon' } })[0]).toMatch(/^redis\.timeout: not a duration/);
    expect(issues({ redis: { failure_policy: 'fail_sideways' } })[0]).toMatch(/^redis\.failure_policy/);
    expect(issues({ redis: { url: 'http://x' } })[0]).toMatch(/^redis\.url/);
    expect(issues({ memory: { max_entries: 10 } })[0]).toMatch(/^memory\.max_entries/);
    expect(issues({ redis: { hostt: 'x' } })[0]).toMatch(/^redis: Unrecognized key/);
  });
});

describe('redis connection plan', () => {
  it('standalone: bounded waits, no offline queue, password and db', () => {
    const plan = planRedisConnection(redis({ host: 'r1', port: 6380, password: 's3cret', username: 'gw', db: 3, timeout: '75ms' }));
    expect(plan.mode).toBe('standalone');
    if (plan.mode !== 'standalone') return;
    expect(plan.url).toBeUndefined();
    expect(plan.options).toMatchObject({
      host: 'r1',
      port: 6380,
      db: 3,
      username: 'gw',
      password: 's3cret',
      commandTimeout: 5000, // a backstop: the store's own lag-tolerant deadline decides health
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
    });
    expect(plan.options.tls).toBeUndefined();
    expect(plan.options.retryStrategy?.(1000)).toBe(2000); // keeps reconnecting, capped backoff
  });

  it('TLS from files, and rediss:// URLs', () => {
    const files: Record<string, string> = { '/ca.pem': 'CA', '/c.pem': 'CERT', '/k.pem': 'KEY' };
    const plan = planRedisConnection(
      redis({ tls: { ca_file: '/ca.pem', cert_file: '/c.pem', key_file: '/k.pem', servername: 'redis.internal' } }),
      (path) => files[path] ?? '',
    );
    expect(plan.mode).toBe('standalone');
    if (plan.mode === 'cluster') return;
    expect(plan.options.tls).toEqual({ ca: 'CA', cert: 'CERT', key: 'KEY', servername: 'redis.internal', rejectUnauthorized: true });
    const url = planRedisConnection(redis({ url: 'rediss://:pw@cache.example:6380/1' }));
    expect(url.mode === 'standalone' && url.url).toBe('rediss://:pw@cache.example:6380/1');
    if (url.mode === 'cluster') return;
    expect(url.options.tls).toEqual({});
  });

  it('sentinel and cluster', () => {
    const sentinel = planRedisConnection(
      redis({ password: 'p', sentinel: { name: 'mymaster', sentinels: ['s1:26379', 's2:26379'], password: 'sp' } }),
    );
    expect(sentinel.mode).toBe('sentinel');
    expect(sentinel.options).toMatchObject({
      name: 'mymaster',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26379 },
      ],
      sentinelPassword: 'sp',
      password: 'p',
      enableOfflineQueue: false,
    });
    const cluster = planRedisConnection(redis({ password: 'p', tls: true, cluster: { nodes: ['n1:7000', 'n2:7001'] } }));
    expect(cluster.mode).toBe('cluster');
    if (cluster.mode !== 'cluster') return;
    expect(cluster.nodes).toEqual([
      { host: 'n1', port: 7000 },
      { host: 'n2', port: 7001 },
    ]);
    expect(cluster.options).toMatchObject({ enableOfflineQueue: false, retryDelayOnClusterDown: 0, retryDelayOnFailover: 0 });
    expect(cluster.options.redisOptions).toMatchObject({ password: 'p', tls: {}, commandTimeout: 5000, maxRetriesPerRequest: 0 });
    expect(typeof cluster.options.dnsLookup).toBe('function');
  });
});

describe('store errors', () => {
  it('each error name equals its stable code', () => {
    const unavailable = new StoreUnavailableError('redis down');
    expect(unavailable.name).toBe(unavailable.code);
    expect(unavailable.code).toBe('HG_STORE_UNAVAILABLE');
    expect(unavailable.message).toBe('state store unavailable: redis down');
    expect(isStoreUnavailable(unavailable)).toBe(true);
    expect(isStoreUnavailable(new Error('x'))).toBe(false);
    const input = new StoreInputError('limits.0.limit', 'must be ≥ 1');
    expect(input.name).toBe(input.code);
    expect(input.code).toBe('HG_STORE_INVALID_INPUT');
    expect(input.path).toBe('limits.0.limit');
  });
});
