/**
 * `x-ratelimit-*` values: limits of the persona's tier and model, remaining counts
 * that fall with use, and reset times in Go `time.Duration.String()` form, which the API writes at
 * millisecond precision (`0s`, `6ms`, `120ms`, `1.235s`, `8.64s`, `6m0s`).
 * The API refills continuously, so the reset time grows with use: `used × 60 000 / limit` ms
 * (a recorded pair — limit 30000 TPM, remaining 28713, reset `2.572s` — fits this to 2 ms). The
 * store counts per fixed window, so the reset is capped by the window's own reset time.
 */
import type { RateLimits } from './models.js';

export type { RateLimits } from './models.js';

/** Window usage after this request, as `Store.admit()` returns it (src/store/types.ts). */
export interface RateLimitUsage {
  readonly requests: number;
  readonly tokens: number;
  readonly resetMs: number;
}

/** Header names in wire order; `rateLimitHeaders` returns the values in the same order. */
export const RATE_LIMIT_HEADER_NAMES = [
  'x-ratelimit-limit-requests',
  'x-ratelimit-limit-tokens',
  'x-ratelimit-remaining-requests',
  'x-ratelimit-remaining-tokens',
  'x-ratelimit-reset-requests',
  'x-ratelimit-reset-tokens',
] as const;

export type RateLimitValues = readonly [string, string, string, string, string, string];

const MAX_MS = 100 * 365 * 86_400_000;

function trimFraction(ms: number): string {
  const whole = Math.floor(ms / 1000);
  const frac = ms % 1000;
  if (frac === 0) return String(whole);
  return `${whole}.${String(frac).padStart(3, '0').replace(/0+$/, '')}`;
}

/** Go `time.Duration.String()` of a duration in milliseconds, rounded to whole milliseconds. */
export function formatGoDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return '0s';
  const d = Math.min(Math.round(ms), MAX_MS);
  if (d === 0) return '0s';
  if (d < 1000) return `${d}ms`;
  const hours = Math.floor(d / 3_600_000);
  const minutes = Math.floor((d % 3_600_000) / 60_000);
  const seconds = trimFraction(d % 60_000);
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
}

/** A non-negative integer count, capped far above any real limit (no `1e+21` in a header). */
function count(v: number): number {
  return Number.isFinite(v) && v > 0 ? Math.floor(Math.min(v, 1e15)) : 0;
}

function resetMs(used: number, limit: number, windowResetMs: number): number {
  if (used <= 0) return 0;
  const refill = (used * 60_000) / limit;
  const window = Number.isFinite(windowResetMs) && windowResetMs > 0 ? windowResetMs : refill;
  return Math.min(refill, window);
}

/** The six header values for a persona's limits after `usage` in the current window. */
export function rateLimitHeaders(limits: RateLimits, usage: RateLimitUsage): RateLimitValues {
  const rpm = Math.max(1, count(limits.rpm));
  const tpm = Math.max(1, count(limits.tpm));
  const requests = Math.min(count(usage.requests), rpm);
  const tokens = Math.min(count(usage.tokens), tpm);
  return [
    String(rpm),
    String(tpm),
    String(rpm - requests),
    String(tpm - tokens),
    formatGoDuration(resetMs(requests, rpm, usage.resetMs)),
    formatGoDuration(resetMs(tokens, tpm, usage.resetMs)),
  ];
}
