/**
 * OpenAI response headers in wire order and wire spelling (the edge as of 2026, see
 * docs/deception.md "The wire of 2026"). api.openai.com answers over HTTP/1.1 through Cloudflare:
 * Cloudflare's own headers are mixed-case (`Date`, `Content-Type`, `Set-Cookie`/`set-cookie` …), the
 * origin's are lower-case. Since early 2026 the edge sets one `__cf_bm` cookie in the attribute order
 * `HttpOnly; Secure; Path=/; Domain=api.openai.com; Expires=<IMF date>` (no `_cfuvid`) and the
 * origin no longer sends `x-envoy-upstream-service-time`. Which headers appear depends on the
 * endpoint family and on whether the key was accepted:
 * - `chat` (chat/completions, models, account probes): `CF-Ray` / `CF-Cache-Status`, expose-headers,
 *   org, project, processing time, rate limits, request id, proxy-wasm;
 * - `embeddings`: as chat plus `Access-Control-Allow-Origin`, `openai-model`, `Via`;
 * - `completions` (legacy completions): as embeddings plus `Cache-Control: no-cache, must-revalidate`;
 * - `responses` (Responses, images, assistants, threads: the newer backend): `CF-RAY` /
 *   `cf-cache-status`, no expose-headers, rate limits only where the caller passes them, proxy-wasm
 *   only where asked (assistants/threads);
 * - `unauthorized` (current-layer 401): no org/project/rate-limit/expose headers, `www-authenticate`;
 * - `legacy` (legacy-layer errors: model_not_found, the chat/completions 401): `vary: Origin`, no
 *   org/processing time/rate limits, no `www-authenticate`.
 * - the Responses API since 2026-05 (`edge2605`, its JSON, stream and error answers) is served like
 *   the chat zone: `CF-Ray` / `CF-Cache-Status`, CORS exposing `X-Request-ID` and `CF-Ray` (the
 *   origin's two `access-control-expose-headers` and the edge's own `Access-Control-Expose-Headers:
 *   CF-Ray`), and `SameSite=None` in the cookie; still no proxy-wasm, rate limits as before.
 * Headers are written as a flat raw array with `res.writeHead`, which keeps order and spelling and
 * stops node:http from adding `Keep-Alive`/`Date` of its own (we set `Connection` and `Date`).
 */
import { RATE_LIMIT_HEADER_NAMES, type RateLimitValues } from '../../deception/ratelimit-headers.js';
import { httpDate, oncePerSecond } from '../../util/http-date.js';
import { COOKIE, randomChars, randomHex } from '../../util/random.js';

export type OpenAIHeaderProfile = 'chat' | 'embeddings' | 'completions' | 'responses' | 'unauthorized' | 'legacy' | 'plain';

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
  /** embeddings, completions: the model header */
  readonly model?: string;
  /** `responses` family: send `x-openai-proxy-wasm` (assistants/threads do, Responses/images do not) */
  readonly proxyWasm?: boolean;
  /**
   * `responses` family: the 2026-05 edge of the Responses API (CF-Ray spelling, CORS exposing
   * X-Request-ID and CF-Ray, `SameSite=None` cookie); images and assistants keep the 2026-03 edge
   */
  readonly edge2605?: boolean;
  /** the request's Cookie header: a client that sends `__cf_bm` back is not given a new one */
  readonly requestCookie?: string | undefined;
  readonly now?: number;
}

const COLOS = ['SJC', 'SEA', 'EWR', 'IAD', 'ORD', 'DFW', 'LAX', 'AMS', 'FRA', 'LHR', 'CDG', 'GIG', 'NRT', 'SIN'] as const;

const cookieExpiry = oncePerSecond((second) => new Date(second * 1000).toUTCString());

export function openaiRequestId(): string {
  return `req_${randomHex(32)}`;
}

/**
 * The 2026 `__cf_bm` cookie: `<43 chars>-<unix seconds with a fraction>-1.0.1.1-<150 chars>` and the
 * attributes in the order the edge writes them, expiring 30 minutes later (IMF-fixdate).
 */
function cfBmCookie(now: number, sameSiteNone: boolean): string {
  const seconds = Math.floor(now / 1000);
  // a 7-digit fraction never ending in 0, as the edge prints a float
  const fraction = `${String(now % 1000).padStart(3, '0')}${String(Math.floor(Math.random() * 1000)).padStart(3, '0')}${1 + Math.floor(Math.random() * 9)}`;
  return `__cf_bm=${randomChars(COOKIE, 43)}-${seconds}.${fraction}-1.0.1.1-${randomChars(COOKIE, 150)}; HttpOnly; ${sameSiteNone ? 'SameSite=None; ' : ''}Secure; Path=/; Domain=api.openai.com; Expires=${cookieExpiry(now + 1_800_000)}`;
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
  // the newer backend's zone spells Cloudflare's two headers differently (recorded side by side, 2026-03)
  const newer = profile === 'responses';
  // [REC 2026-05, 2026-08] the Responses API since 2026-05: chat's spelling, CF-Ray exposed to browsers
  const edge2605 = newer && input.edge2605 === true;
  const split = newer && !edge2605;
  if (profile === 'unauthorized') {
    h.push(
      'www-authenticate', 'Bearer realm="OpenAI API"',
      'openai-version', '2020-10-01',
      'x-request-id', input.requestId,
      'openai-processing-ms', String(input.processingMs),
      'x-openai-proxy-wasm', 'v0.1',
    );
  } else if (profile === 'legacy') {
    h.push('vary', 'Origin', 'x-request-id', input.requestId, 'x-openai-proxy-wasm', 'v0.1');
  } else {
    const engine = profile === 'embeddings' || profile === 'completions';
    if (engine) h.push('Access-Control-Allow-Origin', '*');
    if (profile === 'completions') h.push('Cache-Control', 'no-cache, must-revalidate');
    if (!newer) h.push('access-control-expose-headers', 'X-Request-ID');
    else if (edge2605) h.push('access-control-expose-headers', 'X-Request-ID', 'access-control-expose-headers', 'CF-Ray');
    if (engine && input.model !== undefined) h.push('openai-model', input.model);
    if (account) h.push('openai-organization', account.organization);
    h.push('openai-processing-ms', String(input.processingMs));
    if (account) h.push('openai-project', account.project);
    h.push('openai-version', '2020-10-01');
    if (engine) h.push('Via', `envoy-router-${randomHex(10)}-${randomChars('bcdfghjklmnpqrstvwxz2456789', 5)}`);
    const rl = account?.rateLimit;
    if (rl) for (let i = 0; i < RATE_LIMIT_HEADER_NAMES.length; i++) h.push(RATE_LIMIT_HEADER_NAMES[i] as string, rl[i] as string);
    h.push('x-request-id', input.requestId);
    if (!newer || input.proxyWasm === true) h.push('x-openai-proxy-wasm', 'v0.1');
  }
  h.push(split ? 'cf-cache-status' : 'CF-Cache-Status', 'DYNAMIC');
  // [REC 2026-03] the second request of a session (the cookie sent back) gets no new cookie
  if (input.requestCookie === undefined || !input.requestCookie.includes('__cf_bm=')) h.push('set-cookie', cfBmCookie(now, edge2605));
  h.push(
    'Strict-Transport-Security', 'max-age=31536000; includeSubDomains; preload',
    'X-Content-Type-Options', 'nosniff',
    'Server', 'cloudflare',
  );
  // [INF] where the edge's own expose header sits: the order was not recorded (2026-05 sorted, 2026-08 lower-cased)
  if (edge2605) h.push('Access-Control-Expose-Headers', 'CF-Ray');
  h.push(
    split ? 'CF-RAY' : 'CF-Ray', cfRay(account?.colo),
    'alt-svc', 'h3=":443"; ma=86400',
  );
  return h;
}

/** Which header family an endpoint's answers carry at the edge, and what that family includes. */
export interface EdgeFamily {
  readonly profile: OpenAIHeaderProfile;
  /** `x-ratelimit-*` on its answers */
  readonly rateLimits: boolean;
  readonly proxyWasm: boolean;
  /** the Responses API's 2026-05 edge (see `OpenAIHeaderInput.edge2605`) */
  readonly edge2605?: boolean;
}

const CHAT_FAMILY: EdgeFamily = { profile: 'chat', rateLimits: true, proxyWasm: true };
const EMBEDDINGS_FAMILY: EdgeFamily = { profile: 'embeddings', rateLimits: true, proxyWasm: true };
const COMPLETIONS_FAMILY: EdgeFamily = { profile: 'completions', rateLimits: true, proxyWasm: true };
const RESPONSES_FAMILY: EdgeFamily = { profile: 'responses', rateLimits: true, proxyWasm: false, edge2605: true };
const IMAGES_FAMILY: EdgeFamily = { profile: 'responses', rateLimits: false, proxyWasm: false };
const ASSISTANTS_FAMILY: EdgeFamily = { profile: 'responses', rateLimits: false, proxyWasm: true };

function under(path: string, prefix: string): boolean {
  return path.startsWith(prefix) && (path.length === prefix.length || path.charCodeAt(prefix.length) === 47 /* / */ || path.charCodeAt(prefix.length) === 63 /* ? */);
}

/**
 * The family of a request path (query included or not): the Responses API, images, assistants,
 * threads and vector stores are served by the newer backend (its own spelling, no expose-headers);
 * images and the assistants family carry no rate-limit headers; embeddings and legacy completions
 * come from the engine stack (`openai-model`, `Via`).
 */
export function edgeFamily(path: string | undefined): EdgeFamily {
  const p = path ?? '';
  if (under(p, '/v1/chat/completions')) return CHAT_FAMILY;
  if (under(p, '/v1/responses')) return RESPONSES_FAMILY;
  if (under(p, '/v1/embeddings')) return EMBEDDINGS_FAMILY;
  if (under(p, '/v1/completions')) return COMPLETIONS_FAMILY;
  if (under(p, '/v1/images')) return IMAGES_FAMILY;
  if (under(p, '/v1/assistants') || under(p, '/v1/threads') || under(p, '/v1/vector_stores')) return ASSISTANTS_FAMILY;
  return CHAT_FAMILY;
}

/** The account headers an answer of this family carries (rate limits left out where it has none). */
export function accountFor(family: EdgeFamily, account: AccountHeaders | undefined): AccountHeaders | undefined {
  if (!account || family.rateLimits || account.rateLimit === undefined) return account;
  const { rateLimit: _dropped, ...rest } = account;
  return rest;
}
