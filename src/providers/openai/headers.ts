/**
 * OpenAI response headers in wire order and wire spelling (wire-spec A1). api.openai.com answers
 * over HTTP/1.1 through Cloudflare: Cloudflare's own headers are mixed-case (`Date`, `Content-Type`,
 * `CF-RAY`, `Set-Cookie` …), the origin's are lower-case. Which headers appear depends on the
 * endpoint and on whether the key was accepted:
 * - `chat` (chat/completions, completions, models, account): the Nov 2025 order, with org, project,
 *   processing time, envoy time, rate limits, request id, proxy-wasm;
 * - `embeddings`: as chat plus `openai-model`, `access-control-allow-origin`, `via`;
 * - `responses`: no expose-headers, envoy time or proxy-wasm, one lower-case `set-cookie` (2026);
 * - `unauthorized` (401): no org/project/rate-limit/expose headers, but `www-authenticate`;
 * - `legacy` (legacy-layer errors such as model_not_found): `vary: Origin`, no org/processing time.
 * Headers are written as a flat raw array with `res.writeHead`, which keeps order and spelling and
 * stops node:http from adding `Keep-Alive`/`Date` of its own (we set `Connection` and `Date`).
 */
import { RATE_LIMIT_HEADER_NAMES, type RateLimitValues } from '../../deception/ratelimit-headers.js';
import { httpDate, oncePerSecond } from '../../util/http-date.js';
import { COOKIE, randomChars, randomHex } from '../../util/random.js';

export type OpenAIHeaderProfile = 'chat' | 'embeddings' | 'responses' | 'unauthorized' | 'legacy' | 'plain';

/** What an authenticated (lure) answer knows about the account behind the key. */
export interface AccountHeaders {
  readonly organization: string;
  readonly project: string;
  /** the six x-ratelimit-* values, in the order of RATE_LIMIT_HEADER_NAMES */
  readonly rateLimit?: RateLimitValues;
  /** 3-letter Cloudflare colo for CF-RAY */
  readonly colo?: string;
}

export interface OpenAIHeaderInput {
  readonly profile: OpenAIHeaderProfile;
  readonly contentType: string;
  /** body length; undefined = chunked */
  readonly contentLength?: number;
  readonly processingMs: number;
  readonly requestId: string;
  readonly account?: AccountHeaders;
  /** embeddings: the model header */
  readonly model?: string;
  readonly now?: number;
}

const COLOS = ['SJC', 'SEA', 'EWR', 'IAD', 'ORD', 'DFW', 'LAX', 'AMS', 'FRA', 'LHR', 'CDG', 'GIG', 'NRT', 'SIN'] as const;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;

export function openaiRequestId(): string {
  return `req_${randomHex(32)}`;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** `Tue, 11-Nov-25 00:38:16 GMT`: the cookie expiry format Cloudflare writes (made once a second). */
const cookieExpiry = oncePerSecond((second) => {
  const d = new Date(second * 1000);
  return `${DAYS[d.getUTCDay()]}, ${pad2(d.getUTCDate())}-${MONTHS[d.getUTCMonth()]}-${pad2(d.getUTCFullYear() % 100)} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} GMT`;
});

export function cfBmCookie(now: number): string {
  const ts = Math.floor(now / 1000);
  return `__cf_bm=${randomChars(COOKIE, 43)}-${ts}-1.0.1.1-${randomChars(COOKIE, 150)}; path=/; expires=${cookieExpiry(now + 1_800_000)}; domain=.api.openai.com; HttpOnly; Secure; SameSite=None`;
}

export function cfUvidCookie(now: number): string {
  return `_cfuvid=${randomChars(COOKIE, 43)}-${now}-0.0.1.1-604800000; path=/; domain=.api.openai.com; HttpOnly; Secure; SameSite=None`;
}

export function cfRay(colo?: string): string {
  return `${randomHex(16)}-${colo ?? COLOS[Math.floor(Math.random() * COLOS.length)]}`;
}

/** The full raw header array for one OpenAI answer. */
export function openaiHeaders(input: OpenAIHeaderInput): string[] {
  const now = input.now ?? Date.now();
  const { profile, account } = input;
  const h: string[] = ['Date', httpDate(now), 'Content-Type', input.contentType];
  if (input.contentLength === undefined) h.push('Transfer-Encoding', 'chunked');
  else h.push('Content-Length', String(input.contentLength));
  h.push('Connection', 'keep-alive');
  if (profile === 'plain') return h;
  const envoyMs = String(input.processingMs + 2 + Math.floor(Math.random() * 14));
  if (profile === 'unauthorized') {
    h.push(
      'www-authenticate', 'Bearer realm="OpenAI API"',
      'openai-version', '2020-10-01',
      'x-request-id', input.requestId,
      'openai-processing-ms', String(input.processingMs),
      'x-envoy-upstream-service-time', envoyMs,
      'x-openai-proxy-wasm', 'v0.1',
    );
  } else if (profile === 'legacy') {
    h.push('vary', 'Origin', 'x-envoy-upstream-service-time', envoyMs, 'x-request-id', input.requestId, 'x-openai-proxy-wasm', 'v0.1');
  } else {
    if (profile === 'embeddings') h.push('access-control-allow-origin', '*');
    if (profile !== 'responses') h.push('access-control-expose-headers', 'X-Request-ID');
    if (profile === 'embeddings' && input.model !== undefined) h.push('openai-model', input.model);
    if (account) h.push('openai-organization', account.organization);
    h.push('openai-processing-ms', String(input.processingMs));
    if (account) h.push('openai-project', account.project);
    h.push('openai-version', '2020-10-01');
    if (profile === 'embeddings') h.push('via', `envoy-router-${randomHex(10)}-${randomChars('bcdfghjklmnpqrstvwxz2456789', 5)}`);
    if (profile !== 'responses') h.push('x-envoy-upstream-service-time', envoyMs);
    const rl = account?.rateLimit;
    if (rl) for (let i = 0; i < RATE_LIMIT_HEADER_NAMES.length; i++) h.push(RATE_LIMIT_HEADER_NAMES[i] as string, rl[i] as string);
    h.push('x-request-id', input.requestId);
    if (profile !== 'responses') h.push('x-openai-proxy-wasm', 'v0.1');
  }
  h.push('cf-cache-status', 'DYNAMIC');
  if (profile === 'responses') h.push('set-cookie', cfBmCookie(now));
  else h.push('Set-Cookie', cfBmCookie(now), 'Set-Cookie', cfUvidCookie(now));
  h.push(
    'Strict-Transport-Security', 'max-age=31536000; includeSubDomains; preload',
    'X-Content-Type-Options', 'nosniff',
    'Server', 'cloudflare',
    'CF-RAY', cfRay(account?.colo),
    'alt-svc', 'h3=":443"; ma=86400',
  );
  return h;
}
