/**
 * Routes of generativelanguage.googleapis.com: the native API under `/v1beta/` and `/v1/`
 * (`models/{model}:{method}`, `GET models`, `GET models/{model}`) and the OpenAI-compatible
 * endpoints under `/v1beta/openai/`; the query options (`key`, `alt`, the gRPC-transcoding system
 * parameter `$alt` with `enum-encoding=int`, paging); and where the API key is: the
 * `x-goog-api-key` header, then `?key=`, and on the OpenAI-compatible paths `Authorization: Bearer`.
 * No regex is built per request.
 */
import type { IncomingHttpHeaders } from 'node:http';

export type GeminiVersion = 'v1beta' | 'v1';

export const MODEL_METHODS = ['generateContent', 'streamGenerateContent', 'countTokens', 'embedContent', 'batchEmbedContents'] as const;
export type ModelMethod = (typeof MODEL_METHODS)[number];
const METHOD_SET: ReadonlySet<string> = new Set(MODEL_METHODS);
/** methods the API knows but the decoy does not serve: answered as "not supported for" the model */
const OTHER_METHODS: ReadonlySet<string> = new Set(['batchGenerateContent', 'asyncBatchEmbedContent', 'predict', 'predictLongRunning', 'generateAnswer', 'countTextTokens', 'embedText', 'batchEmbedText', 'generateText', 'generateMessage']);

export type OpenAICompatEndpoint = 'chat.completions' | 'embeddings' | 'models' | 'model';

export type GeminiRoute =
  | { readonly kind: 'model-method'; readonly version: GeminiVersion; readonly model: string; readonly method: ModelMethod | string; readonly known: boolean }
  | { readonly kind: 'models-list'; readonly version: GeminiVersion }
  | { readonly kind: 'model-get'; readonly version: GeminiVersion; readonly model: string }
  | { readonly kind: 'openai'; readonly endpoint: OpenAICompatEndpoint; readonly model?: string }
  /** a path no API maps, or a method the path does not take: the front end's HTML 404 */
  | { readonly kind: 'unknown' };

const UNKNOWN: GeminiRoute = Object.freeze({ kind: 'unknown' });
const MAX_SEGMENT = 256;

function decodeSegment(s: string): string | null {
  if (s.length === 0 || s.length > MAX_SEGMENT * 3) return null;
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

/** The route of a method and a path (without the query). */
export function matchGeminiRoute(method: string, path: string): GeminiRoute {
  let version: GeminiVersion;
  let rest: string;
  if (path.startsWith('/v1beta/')) {
    version = 'v1beta';
    rest = path.slice(8);
  } else if (path.startsWith('/v1/')) {
    version = 'v1';
    rest = path.slice(4);
  } else return UNKNOWN;
  if (rest.startsWith('openai/')) {
    if (version !== 'v1beta') return UNKNOWN;
    const sub = rest.slice(7);
    if (sub === 'chat/completions') return method === 'POST' ? { kind: 'openai', endpoint: 'chat.completions' } : UNKNOWN;
    if (sub === 'embeddings') return method === 'POST' ? { kind: 'openai', endpoint: 'embeddings' } : UNKNOWN;
    if (sub === 'models') return method === 'GET' || method === 'HEAD' ? { kind: 'openai', endpoint: 'models' } : UNKNOWN;
    if (sub.startsWith('models/')) {
      const id = decodeSegment(sub.slice(7));
      if (id === null || (method !== 'GET' && method !== 'HEAD')) return UNKNOWN;
      return { kind: 'openai', endpoint: 'model', model: id.startsWith('models/') ? id.slice(7) : id };
    }
    return UNKNOWN;
  }
  if (rest === 'models') return method === 'GET' || method === 'HEAD' ? { kind: 'models-list', version } : UNKNOWN;
  if (!rest.startsWith('models/')) return UNKNOWN;
  const tail = rest.slice(7);
  if (tail.includes('/')) return UNKNOWN;
  const colon = tail.lastIndexOf(':');
  if (colon < 0) {
    const model = decodeSegment(tail);
    if (model === null || (method !== 'GET' && method !== 'HEAD')) return UNKNOWN;
    return { kind: 'model-get', version, model };
  }
  const model = decodeSegment(tail.slice(0, colon));
  const verb = tail.slice(colon + 1);
  if (model === null || method !== 'POST') return UNKNOWN;
  if (METHOD_SET.has(verb)) return { kind: 'model-method', version, model, method: verb, known: true };
  if (OTHER_METHODS.has(verb)) return { kind: 'model-method', version, model, method: verb, known: false };
  return UNKNOWN;
}

export interface GeminiQuery {
  readonly key?: string;
  /** `alt=sse` */
  readonly sse: boolean;
  /** `$alt=json;enum-encoding=int` (the Go and gRPC-transcoding clients): enums as numbers */
  readonly intEnums: boolean;
  readonly pageSize?: string;
  readonly pageToken?: string;
}

const NO_QUERY: GeminiQuery = Object.freeze({ sse: false, intEnums: false });
const MAX_QUERY = 8192;

/** The query options of a request URL (`req.url`). */
export function parseGeminiQuery(url: string | undefined): GeminiQuery {
  const q = url?.indexOf('?') ?? -1;
  if (url === undefined || q < 0) return NO_QUERY;
  const params = new URLSearchParams(url.slice(q + 1, q + 1 + MAX_QUERY));
  const alt = params.get('alt') ?? '';
  const sysAlt = params.get('$alt') ?? '';
  const key = params.get('key');
  const pageSize = params.get('pageSize') ?? params.get('page_size');
  const pageToken = params.get('pageToken') ?? params.get('page_token');
  return {
    ...(key !== null ? { key } : {}),
    sse: alt === 'sse' || sysAlt.startsWith('sse'),
    intEnums: sysAlt.includes('enum-encoding=int'),
    ...(pageSize !== null ? { pageSize } : {}),
    ...(pageToken !== null ? { pageToken } : {}),
  };
}

export type CredentialSource = 'header' | 'query' | 'bearer';

export interface GeminiCredential {
  readonly key: string;
  readonly source: CredentialSource;
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/**
 * The presented key: `x-goog-api-key`, then `?key=`, then (OpenAI-compatible paths, where the SDKs
 * send the API key as a bearer token; and the native ones, where Google reads a bearer as an OAuth
 * token) `Authorization: Bearer`. Undefined when there is none.
 */
export function geminiCredential(headers: IncomingHttpHeaders, query: GeminiQuery): GeminiCredential | undefined {
  const header = first(headers['x-goog-api-key']);
  if (header !== undefined && header !== '') return { key: header.trim(), source: 'header' };
  if (query.key !== undefined && query.key !== '') return { key: query.key, source: 'query' };
  const auth = first(headers['authorization']);
  if (auth !== undefined && auth.length > 7 && auth.slice(0, 7).toLowerCase() === 'bearer ') {
    const token = auth.slice(7).trim();
    if (token !== '') return { key: token, source: 'bearer' };
  }
  return undefined;
}

/** The host name of a Host header, lower case, without the port. */
function hostName(host: string | undefined): string {
  if (host === undefined) return '';
  const h = host.toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.indexOf(':');
  return colon < 0 ? h : h.slice(0, colon);
}

/**
 * Is this request the Gemini API's? `/v1beta/` always is; `/v1/` (shared with the OpenAI API) when
 * the Host is a Gemini host, the request carries a Google key (`x-goog-api-key`, `?key=`), or the
 * path is a model method (`POST /v1/models/{model}:{method}`; OpenAI's own `/v1/models/ft:…` ids
 * are GETs).
 */
export function isGeminiRequest(method: string, path: string, url: string | undefined, headers: IncomingHttpHeaders, hosts: ReadonlySet<string>): boolean {
  if (path.startsWith('/v1beta/')) return true;
  if (!path.startsWith('/v1/')) return false;
  if (hosts.has(hostName(first(headers['host']) ?? first(headers[':authority'] as string | string[] | undefined)))) return true;
  if (headers['x-goog-api-key'] !== undefined) return true;
  const q = url?.indexOf('?') ?? -1;
  if (url !== undefined && q >= 0 && (url.startsWith('key=', q + 1) || url.includes('&key=', q))) return true;
  if (method === 'POST' && path.startsWith('/v1/models/')) {
    const verb = path.slice(path.lastIndexOf(':') + 1);
    return path.includes(':') && (METHOD_SET.has(verb) || OTHER_METHODS.has(verb));
  }
  return false;
}
