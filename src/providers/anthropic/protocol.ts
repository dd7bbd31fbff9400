/**
 * The Anthropic API facts the gateway needs before anything else (docs/anthropic.md "Wire"):
 * - the credential: `x-api-key` (what every official SDK sends), else `Authorization: Bearer`
 *   (the SDKs' `authToken`, and what OpenAI-style clients send to an Anthropic base URL);
 * - whether a request is meant for Anthropic at all (`/v1/messages*`, `/v1/complete`, and on the
 *   paths both APIs share — `/v1/models`, `/v1/files`, batches — an Anthropic credential or the
 *   `anthropic-version` header), so the OpenAI surface keeps the rest of `/v1/`;
 * - the endpoints and their methods, and `anthropic-version` / `anthropic-beta`.
 * Header lookups only; no regex is built per request.
 */
import type { IncomingHttpHeaders } from 'node:http';

export type AnthropicEndpoint =
  | 'messages'
  | 'messages.count_tokens'
  | 'messages.batches.create'
  | 'messages.batches.list'
  | 'messages.batches.retrieve'
  | 'messages.batches.results'
  | 'messages.batches.cancel'
  | 'messages.batches.delete'
  | 'models.list'
  | 'models.retrieve'
  | 'files.list'
  | 'files.upload'
  | 'files.retrieve'
  | 'files.content'
  | 'files.delete'
  | 'complete';

/**
 * The versions the API accepts in `anthropic-version`: 2023-01-01 and 2023-06-01 (the published
 * ones until 2026), and 2026-10-21, which the official SDKs send since their 1.0 release.
 */
export const ANTHROPIC_VERSIONS: ReadonlySet<string> = new Set(['2023-06-01', '2023-01-01', '2026-10-21']);

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The presented key (`x-api-key` first, then a bearer token), or undefined when none was presented. */
export function anthropicCredential(headers: IncomingHttpHeaders): string | undefined {
  const apiKey = first(headers['x-api-key']);
  if (apiKey !== undefined) {
    const v = apiKey.trim();
    if (v !== '') return v;
  }
  const auth = headers.authorization;
  if (auth === undefined) return undefined;
  const space = auth.indexOf(' ');
  if (space <= 0 || auth.slice(0, space).toLowerCase() !== 'bearer') return undefined;
  const value = auth.slice(space + 1).trim();
  return value === '' ? undefined : value;
}

/**
 * How the credential came: an API key (`x-api-key`, or an `sk-ant-api…` key as a bearer token, as
 * the SDKs send keys since API version 2026-10-21), another bearer token (OAuth), or none. The 401
 * text follows it: `invalid x-api-key` for API keys, `Invalid bearer token` for other tokens.
 */
export function credentialSource(headers: IncomingHttpHeaders): 'api-key' | 'bearer' | 'none' {
  const apiKey = first(headers['x-api-key']);
  if (apiKey !== undefined && apiKey.trim() !== '') return 'api-key';
  const token = anthropicCredential(headers);
  if (token === undefined) return 'none';
  return token.startsWith('sk-ant-api') ? 'api-key' : 'bearer';
}

/** Paths only the Anthropic API has under `/v1/`. */
export function isAnthropicOnlyPath(path: string): boolean {
  return path === '/v1/messages' || path.startsWith('/v1/messages/') || path === '/v1/complete';
}

/**
 * Paths both APIs have (`/v1/models`, `/v1/files`, `/v1/batches` do not collide with Anthropic's
 * `/v1/messages/batches`, but `/v1/models*` and `/v1/files*` do): Anthropic's when the request
 * speaks Anthropic — an `x-api-key`, an `sk-ant-` bearer key, or the `anthropic-version` header.
 */
export function speaksAnthropic(headers: IncomingHttpHeaders): boolean {
  if (headers['x-api-key'] !== undefined || headers['anthropic-version'] !== undefined) return true;
  const auth = headers.authorization;
  return auth !== undefined && auth.length > 14 && auth.slice(7, 14) === 'sk-ant-' && auth.slice(0, 7).toLowerCase() === 'bearer ';
}

/** Is this request the Anthropic provider's? (the registry's match for `/v1/`) */
export function isAnthropicRequest(path: string, headers: IncomingHttpHeaders): boolean {
  if (isAnthropicOnlyPath(path)) return true;
  if (path === '/v1/models' || path.startsWith('/v1/models/') || path === '/v1/files' || path.startsWith('/v1/files/')) return speaksAnthropic(headers);
  return false;
}

export type RouteMatch =
  | { readonly kind: 'ok'; readonly endpoint: AnthropicEndpoint; readonly param?: string }
  | { readonly kind: 'method'; readonly allowed: readonly string[] }
  | { readonly kind: 'unknown' };

const UNKNOWN: RouteMatch = { kind: 'unknown' };

interface Spec {
  readonly [method: string]: AnthropicEndpoint;
}

const EXACT: ReadonlyMap<string, Spec> = new Map<string, Spec>([
  ['/v1/messages', { POST: 'messages' }],
  ['/v1/messages/count_tokens', { POST: 'messages.count_tokens' }],
  ['/v1/messages/batches', { POST: 'messages.batches.create', GET: 'messages.batches.list' }],
  ['/v1/models', { GET: 'models.list' }],
  ['/v1/files', { GET: 'files.list', POST: 'files.upload' }],
  ['/v1/complete', { POST: 'complete' }],
]);

function match(spec: Spec, method: string, param?: string): RouteMatch {
  const m = method === 'HEAD' && spec['GET'] !== undefined ? 'GET' : method;
  const endpoint = spec[m];
  if (endpoint === undefined) return { kind: 'method', allowed: Object.keys(spec) };
  return param === undefined ? { kind: 'ok', endpoint } : { kind: 'ok', endpoint, param };
}

/** A path segment an id can be: non-empty, no slash, bounded. */
function segment(rest: string): string | undefined {
  return rest.length > 0 && rest.length <= 256 && !rest.includes('/') ? rest : undefined;
}

export function matchAnthropicRoute(method: string, path: string): RouteMatch {
  const exact = EXACT.get(path);
  if (exact) return match(exact, method);
  if (path.startsWith('/v1/models/')) {
    const id = segment(path.slice('/v1/models/'.length));
    return id === undefined ? UNKNOWN : match({ GET: 'models.retrieve' }, method, id);
  }
  if (path.startsWith('/v1/messages/batches/')) {
    const rest = path.slice('/v1/messages/batches/'.length);
    const slash = rest.indexOf('/');
    if (slash < 0) {
      const id = segment(rest);
      return id === undefined ? UNKNOWN : match({ GET: 'messages.batches.retrieve', DELETE: 'messages.batches.delete' }, method, id);
    }
    const id = segment(rest.slice(0, slash));
    const tail = rest.slice(slash + 1);
    if (id === undefined) return UNKNOWN;
    if (tail === 'results') return match({ GET: 'messages.batches.results' }, method, id);
    if (tail === 'cancel') return match({ POST: 'messages.batches.cancel' }, method, id);
    return UNKNOWN;
  }
  if (path.startsWith('/v1/files/')) {
    const rest = path.slice('/v1/files/'.length);
    const slash = rest.indexOf('/');
    if (slash < 0) {
      const id = segment(rest);
      return id === undefined ? UNKNOWN : match({ GET: 'files.retrieve', DELETE: 'files.delete' }, method, id);
    }
    const id = segment(rest.slice(0, slash));
    return id !== undefined && rest.slice(slash + 1) === 'content' ? match({ GET: 'files.content' }, method, id) : UNKNOWN;
  }
  return UNKNOWN;
}

/** The `anthropic-version` header: absent, a version the API knows, or one it does not. */
export function anthropicVersion(headers: IncomingHttpHeaders): { readonly kind: 'missing' } | { readonly kind: 'ok' | 'invalid'; readonly value: string } {
  const raw = first(headers['anthropic-version']);
  if (raw === undefined) return { kind: 'missing' };
  const value = raw.trim();
  return { kind: ANTHROPIC_VERSIONS.has(value) ? 'ok' : 'invalid', value: value.slice(0, 64) };
}

/** `anthropic-beta` values: comma-separated, possibly repeated; bounded (names only, for the decoy and events). */
export function anthropicBetas(headers: IncomingHttpHeaders): string[] {
  const raw = headers['anthropic-beta'];
  if (raw === undefined) return [];
  const joined = Array.isArray(raw) ? raw.join(',') : raw;
  const out: string[] = [];
  for (const part of joined.split(',', 32)) {
    const v = part.trim();
    if (v !== '' && v.length <= 100) out.push(v);
  }
  return out;
}

/** Does the client accept a gzip answer? (`Accept-Encoding` lists gzip without `q=0`) */
export function acceptsGzip(headers: IncomingHttpHeaders): boolean {
  const ae = first(headers['accept-encoding']);
  if (ae === undefined) return false;
  for (const part of ae.split(',', 16)) {
    const [coding, ...params] = part.trim().split(';');
    if (coding?.trim().toLowerCase() !== 'gzip') continue;
    return !params.some((p) => /^\s*q\s*=\s*0(\.0*)?\s*$/i.test(p));
  }
  return false;
}


export { maskAnthropicKey } from '../../util/mask.js';
