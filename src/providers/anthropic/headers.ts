/**
 * Anthropic response headers as api.anthropic.com sends them over HTTP/1.1 through Cloudflare
 * (the newest set of the recordings, May–August 2026, docs/anthropic.md "Headers"): Cloudflare's
 * own names in mixed case (`Date`, `Content-Type`, `Cache-Control`, `Content-Security-Policy`,
 * `X-Robots-Tag`, `Server`, `CF-RAY`, `Content-Encoding`), the origin's in lower case
 * (`anthropic-*`, `request-id`, `traceresponse`, `vary`, `set-cookie`, `cf-cache-status`,
 * `strict-transport-security`); `x-envoy-upstream-service-time` and `server-timing` (until
 * April 2026) and `via: 1.1 google` (until September 2025) are gone. Authenticated answers carry the organization
 * and the twelve `anthropic-ratelimit-*` headers; a 401 carries neither. Written as one flat raw
 * array (order and spelling kept, no `Keep-Alive` of node's own).
 * Ids: `req_011C` + 20 base58 characters whose first ones follow the clock (as the recorded ids
 * do: one step of the first character is about a month), `msg_01` / `toolu_01` + 22 base58.
 */
import { randomBytes } from 'node:crypto';
import { httpDate } from '../../util/http-date.js';

export const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const COOKIE_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.';
const HEX = '0123456789abcdef';
const COLOS = ['SJC', 'SEA', 'LAX', 'ORD', 'IAD', 'EWR', 'DFW', 'ATL', 'AMS', 'FRA', 'LHR', 'CDG', 'NRT', 'SIN'] as const;

/** `n` characters of `alphabet` from the CSPRNG (rejection sampling, no modulo bias). */
export function randomFrom(alphabet: string, n: number): string {
  const limit = 256 - (256 % alphabet.length);
  let out = '';
  while (out.length < n) {
    for (const b of randomBytes(n - out.length + 8)) {
      if (b < limit) out += alphabet[b % alphabet.length];
      if (out.length === n) break;
    }
  }
  return out;
}

/** Seconds per step of the 3rd time character of a request id (fitted on the recorded ids). */
const ID_UNIT_S = 786.4;
/** Unix second the recorded ids count from (fitted: 2026-02-17T23:44:12Z ↔ `YEX`). */
const ID_EPOCH_S = 1_688_746_377;

/** `req_011C…`: 5 clock characters (≈0.23 s resolution), then 15 random. */
export function anthropicRequestId(now: number = Date.now()): string {
  let v = Math.max(0, Math.floor(((now / 1000 - ID_EPOCH_S) / ID_UNIT_S) * 58 * 58));
  let clock = '';
  for (let i = 0; i < 5; i++) {
    clock = BASE58[v % 58] + clock;
    v = Math.floor(v / 58);
  }
  return `req_011C${clock}${randomFrom(BASE58, 15)}`;
}

export function messageId(): string {
  return `msg_01${randomFrom(BASE58, 22)}`;
}

export function toolUseId(): string {
  return `toolu_01${randomFrom(BASE58, 22)}`;
}

/** The twelve rate-limit values in wire order (see ratelimit.ts). */
export const RATE_LIMIT_HEADER_NAMES = [
  'anthropic-ratelimit-input-tokens-limit',
  'anthropic-ratelimit-input-tokens-remaining',
  'anthropic-ratelimit-input-tokens-reset',
  'anthropic-ratelimit-output-tokens-limit',
  'anthropic-ratelimit-output-tokens-remaining',
  'anthropic-ratelimit-output-tokens-reset',
  'anthropic-ratelimit-requests-limit',
  'anthropic-ratelimit-requests-remaining',
  'anthropic-ratelimit-requests-reset',
  'anthropic-ratelimit-tokens-limit',
  'anthropic-ratelimit-tokens-remaining',
  'anthropic-ratelimit-tokens-reset',
] as const;

export type AnthropicRateLimitValues = readonly string[];

/** What an authenticated (lure) answer knows about the organization behind the key. */
export interface AnthropicAccount {
  /** `anthropic-organization-id`: a UUID */
  readonly organizationId: string;
  /** the twelve values, in RATE_LIMIT_HEADER_NAMES order */
  readonly rateLimit?: AnthropicRateLimitValues;
  /** 3-letter Cloudflare colo for CF-RAY */
  readonly colo?: string;
}

export type AnthropicBodyKind = 'json' | 'stream' | 'error';

export interface AnthropicHeaderInput {
  readonly kind: AnthropicBodyKind;
  readonly requestId: string;
  /** body length; undefined = chunked */
  readonly contentLength?: number;
  readonly gzip?: boolean;
  readonly account?: AnthropicAccount;
  /** origin time, ms (kept for the event; the 2026 edge no longer reports it) */
  readonly originMs: number;
  /** 429/529: seconds */
  readonly retryAfter?: number;
  /** 4xx/5xx: the `x-should-retry` hint the SDKs honour */
  readonly shouldRetry?: boolean;
  readonly now?: number;
}

export function cfRay(colo?: string): string {
  return `${randomFrom('0123456789abcdef', 16)}-${colo ?? COLOS[randomBytes(1)[0]! % COLOS.length]}`;
}

/** `_cfuvid` as the edge set it in 2026 (`<43>-<unix.µs>-1.0.1.1-<43>`, Domain=api.anthropic.com). */
export function cfuvidCookie(now: number): string {
  const micros = `${Math.floor(now / 1000)}.${String(Math.floor((now % 1000) * 1000 + randomBytes(1)[0]! * 3)).padStart(6, '0').replace(/0+$/, '') || '0'}`;
  return `_cfuvid=${randomFrom(COOKIE_CHARS, 43)}-${micros}-1.0.1.1-${randomFrom(COOKIE_CHARS, 43)}; HttpOnly; SameSite=None; Secure; Path=/; Domain=api.anthropic.com`;
}

/** The full raw header array for one answer. */
export function anthropicHeaders(input: AnthropicHeaderInput): string[] {
  const now = input.now ?? Date.now();
  const h: string[] = ['Date', httpDate(now), 'Content-Type', input.kind === 'stream' ? 'text/event-stream; charset=utf-8' : 'application/json'];
  if (input.contentLength === undefined || input.gzip === true) h.push('Transfer-Encoding', 'chunked');
  else h.push('Content-Length', String(input.contentLength));
  h.push('Connection', 'keep-alive');
  if (input.kind === 'stream') h.push('Cache-Control', 'no-cache');
  const rl = input.account?.rateLimit;
  if (rl) for (let i = 0; i < RATE_LIMIT_HEADER_NAMES.length; i++) h.push(RATE_LIMIT_HEADER_NAMES[i] as string, rl[i] ?? '0');
  if (input.retryAfter !== undefined) h.push('retry-after', String(Math.max(0, Math.ceil(input.retryAfter))));
  h.push('request-id', input.requestId, 'strict-transport-security', 'max-age=31536000; includeSubDomains; preload');
  if (input.account) h.push('anthropic-organization-id', input.account.organizationId);
  if (input.shouldRetry !== undefined) h.push('x-should-retry', input.shouldRetry ? 'true' : 'false');
  h.push('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'");
  h.push('traceresponse', `00-${randomFrom(HEX, 32)}-${randomFrom(HEX, 16)}-01`);
  if (input.gzip === true) h.push('vary', 'Accept-Encoding');
  h.push('cf-cache-status', 'DYNAMIC');
  if (input.kind !== 'error') h.push('set-cookie', cfuvidCookie(now));
  h.push('X-Robots-Tag', 'none', 'Server', 'cloudflare', 'CF-RAY', cfRay(input.account?.colo));
  if (input.gzip === true) h.push('Content-Encoding', 'gzip');
  return h;
}
