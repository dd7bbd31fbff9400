/**
 * Config of the state store (issue 5): the backend, the memory store's caps, and the Redis
 * connection (standalone, Sentinel or Cluster), its key prefix, timeout and failure policy.
 * `${ENV}` references (e.g. the password) are already expanded by the config loader.
 */
import { z } from 'zod';
import { duration } from '../config/primitives.js';

const HOST_PORT = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]]+))(?::(\d{1,5}))?$/;

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** `host:port`, `[v6]:port`, or a bare host (then `defaultPort`). */
export function parseHostPort(text: string, defaultPort: number): HostPort | null {
  const m = HOST_PORT.exec(text.trim());
  if (!m) return null;
  const host = m[1] ?? m[2];
  const port = m[3] === undefined ? defaultPort : Number(m[3]);
  if (host === undefined || port < 1 || port > 65535) return null;
  return { host, port };
}

const hostPort = (defaultPort: number) =>
  z.string().transform((text, ctx): HostPort => {
    const parsed = parseHostPort(text, defaultPort);
    if (parsed === null) {
      ctx.addIssue({ code: 'custom', message: `not host:port: ${JSON.stringify(text)} (e.g. redis-1:${defaultPort} or [::1]:${defaultPort})` });
      return z.NEVER;
    }
    return parsed;
  });

const tlsSchema = z.union([
  z.boolean(),
  z
    .object({
      ca_file: z.string().min(1).optional().describe('PEM file of the CA that signed the server certificate (default: the system CAs)'),
      cert_file: z.string().min(1).optional().describe('client certificate (PEM) for mutual TLS'),
      key_file: z.string().min(1).optional().describe('client private key (PEM) for mutual TLS'),
      servername: z.string().min(1).optional().describe('SNI / certificate name to verify, if not the host'),
      reject_unauthorized: z.boolean().default(true).describe('verify the server certificate (turn off only in tests)'),
    })
    .strict(),
]);

const memoryStoreConfigSchema = z
  .object({
    max_entries: z
      .number()
      .int()
      .min(1000)
      .default(200_000)
      .describe('rate-limit, lure and usage counters held at most; the least recently used go first (bounds memory under an IP flood)'),
    max_blocks: z.number().int().min(100).default(100_000).describe('blocked subjects held at most'),
    max_canaries: z.number().int().min(100).default(100_000).describe('canaries held at most'),
  })
  .strict()
  .prefault({})
  .describe('The embedded store (backend: memory), also the local fallback of redis under fail_open');

const redisStoreConfigSchema = z
  .object({
    url: z
      .string()
      .regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL')
      .optional()
      .describe('standalone server as a URL (redis://user:pass@host:6379/0, rediss:// for TLS); overrides host/port/db'),
    host: z.string().min(1).default('127.0.0.1').describe('standalone server host'),
    port: z.number().int().min(1).max(65535).default(6379).describe('standalone server port'),
    username: z.string().min(1).optional().describe('ACL user (Redis 6+)'),
    password: z.string().optional().describe('password; write it as ${REDIS_PASSWORD}'),
    db: z.number().int().min(0).default(0).describe('database number (Cluster supports only 0)'),
    tls: tlsSchema.default(false).describe('TLS to Redis: true, or CA / client certificate files'),
    prefix: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[^{}\s]+$/, 'no braces or spaces (the hash tag is added after it)')
      .default('honeygate:')
      .describe('prefix of every key, so several gateways or apps can share one Redis'),
    hash_tag: z
      .string()
      .min(1)
      .max(32)
      .regex(/^[^{}\s]+$/, 'no braces or spaces')
      .default('hg')
      .describe('Cluster hash tag: every key is <prefix>{<hash_tag>}:…, so one admit() script touches one slot'),
    timeout: duration
      .default(50)
      .refine((ms) => ms >= 1 && ms <= 10_000, 'between 1ms and 10s')
      .describe('longest a request waits on Redis (each call); beyond it the failure policy applies'),
    connect_timeout: duration.default(2000).refine((ms) => ms >= 1, 'at least 1ms').describe('TCP/TLS connect timeout'),
    probe_interval: duration
      .default(1000)
      .refine((ms) => ms >= 10, 'at least 10ms')
      .describe('while degraded, how often Redis is pinged to detect recovery'),
    failure_policy: z
      .enum(['fail_open', 'fail_closed'])
      .default('fail_open')
      .describe('Redis slow or down: fail_open serves from local memory (limits and blocks still apply per instance); fail_closed refuses (StoreUnavailableError → 503)'),
    sentinel: z
      .object({
        name: z.string().min(1).describe('the master group name the sentinels monitor'),
        sentinels: z.array(hostPort(26379)).min(1).describe('sentinel addresses, host:port (default port 26379)'),
        username: z.string().min(1).optional().describe('ACL user of the sentinels'),
        password: z.string().optional().describe('password of the sentinels (if they require one)'),
        tls: z.boolean().default(false).describe('use the same TLS settings to reach the sentinels'),
      })
      .strict()
      .optional()
      .describe('high availability through Redis Sentinel (instead of host/port/url)'),
    cluster: z
      .object({
        nodes: z.array(hostPort(6379)).min(1).describe('seed nodes, host:port; the rest are discovered'),
      })
      .strict()
      .optional()
      .describe('Redis Cluster (instead of host/port/url); all keys share one hash tag, see hash_tag'),
  })
  .strict()
  .superRefine((value, ctx) => {
    if (value.sentinel !== undefined && value.cluster !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['cluster'], message: 'use either sentinel or cluster, not both' });
    }
    if (value.url !== undefined && (value.sentinel !== undefined || value.cluster !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'url is for a standalone server; leave it out with sentinel or cluster' });
    }
    if (value.cluster !== undefined && value.db !== 0) {
      ctx.addIssue({ code: 'custom', path: ['db'], message: 'Redis Cluster has only database 0' });
    }
  })
  .prefault({})
  .describe('The shared store (backend: redis)');

export const storeConfigSchema = z
  .object({
    backend: z.enum(['memory', 'redis']).default('memory').describe('memory (one instance) or redis (many instances share state)'),
    memory: memoryStoreConfigSchema,
    redis: redisStoreConfigSchema,
  })
  .strict()
  .prefault({})
  .describe('Shared state: rate limits, lure counters, blocks, canaries');

export type StoreConfig = z.infer<typeof storeConfigSchema>;
export type StoreConfigInput = z.input<typeof storeConfigSchema>;
export type RedisStoreConfig = StoreConfig['redis'];
