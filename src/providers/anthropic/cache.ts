/**
 * Prompt caching as the API bills it, simulated for the decoy (docs/anthropic.md "What the decoy
 * answers"): a `cache_control` prefix of at least the model's minimum is written to the cache on
 * first sight (`cache_creation_input_tokens`) and read from it for five minutes, one hour with
 * `ttl: "1h"` (`cache_read_input_tokens`). Keyed by organization, model, tools and system prompt;
 * the prefixes remembered are bounded (FIFO).
 */
import { createHash } from 'node:crypto';
import type { ClaudeModel } from './models.js';

type Json = Record<string, unknown>;

/** Cache prefixes seen recently (cache simulation): key → expiry, FIFO-bounded. */
const CACHE_MAX = 4096;
const cacheSeen = new Map<string, number>();

function cacheKey(org: string, model: string, body: Json): string {
  const h = createHash('sha256').update(org).update('\0').update(model).update('\0');
  h.update(JSON.stringify(body['tools'] ?? null).slice(0, 1 << 16)).update(JSON.stringify(body['system'] ?? null).slice(0, 1 << 16));
  return h.digest('base64url');
}

function cacheTtl(body: Json): '5m' | '1h' {
  return JSON.stringify(body['system'] ?? '').includes('"ttl":"1h"') ? '1h' : '5m';
}

interface CacheUsage {
  readonly creation: number;
  readonly read: number;
  readonly ttl: '5m' | '1h';
}

function minCacheable(model: ClaudeModel): number {
  return model.line === 'haiku' ? 2048 : 1024;
}

export function cacheUsage(org: string, model: ClaudeModel, body: Json, prefix: number, now = Date.now()): CacheUsage {
  const ttl = cacheTtl(body);
  if (prefix < minCacheable(model)) return { creation: 0, read: 0, ttl };
  const key = cacheKey(org, model.id, body);
  const expiry = cacheSeen.get(key);
  const ttlMs = ttl === '1h' ? 3_600_000 : 300_000;
  cacheSeen.delete(key);
  if (cacheSeen.size >= CACHE_MAX) {
    const oldest = cacheSeen.keys().next();
    if (!oldest.done) cacheSeen.delete(oldest.value);
  }
  cacheSeen.set(key, now + ttlMs);
  return expiry !== undefined && expiry > now ? { creation: 0, read: prefix, ttl } : { creation: prefix, read: 0, ttl };
}
