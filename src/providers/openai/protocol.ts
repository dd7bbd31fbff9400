/**
 * The OpenAI protocol facts the gateway needs before it knows anything else: where the credential
 * is (`Authorization: Bearer`, or HTTP Basic with the key as the password — the form OpenAI's
 * missing-key message names) and which endpoints exist with which methods (for the decoy's
 * `Invalid URL` / `Invalid method for URL` answers).
 */
import type { IncomingHttpHeaders } from 'node:http';

export type OpenAIEndpoint =
  | 'chat.completions'
  | 'completions'
  | 'embeddings'
  | 'responses'
  | 'models.list'
  | 'models.retrieve'
  | 'moderations'
  | 'other';

/** The presented key, or undefined when none was presented. */
export function openaiCredential(headers: IncomingHttpHeaders): string | undefined {
  const auth = headers.authorization;
  if (auth === undefined) return undefined;
  const space = auth.indexOf(' ');
  if (space <= 0) return undefined;
  const scheme = auth.slice(0, space).toLowerCase();
  const value = auth.slice(space + 1).trim();
  if (scheme === 'bearer') return value === '' ? undefined : value;
  if (scheme === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const password = colon >= 0 ? decoded.slice(colon + 1) : '';
    return password === '' ? undefined : password;
  }
  return undefined;
}

interface RouteSpec {
  readonly endpoint: OpenAIEndpoint;
  readonly methods: readonly string[];
}

// exact paths; compiled once
const EXACT: ReadonlyMap<string, RouteSpec> = new Map<string, RouteSpec>([
  ['/v1/chat/completions', { endpoint: 'chat.completions', methods: ['POST', 'GET'] }],
  ['/v1/completions', { endpoint: 'completions', methods: ['POST'] }],
  ['/v1/embeddings', { endpoint: 'embeddings', methods: ['POST'] }],
  ['/v1/responses', { endpoint: 'responses', methods: ['POST'] }],
  ['/v1/models', { endpoint: 'models.list', methods: ['GET'] }],
  ['/v1/moderations', { endpoint: 'moderations', methods: ['POST'] }],
  ['/v1/me', { endpoint: 'other', methods: ['GET'] }],
  ['/v1/organizations', { endpoint: 'other', methods: ['GET'] }],
  ['/v1/images/generations', { endpoint: 'other', methods: ['POST'] }],
  ['/v1/images/edits', { endpoint: 'other', methods: ['POST'] }],
  ['/v1/audio/speech', { endpoint: 'other', methods: ['POST'] }],
  ['/v1/audio/transcriptions', { endpoint: 'other', methods: ['POST'] }],
  ['/v1/audio/translations', { endpoint: 'other', methods: ['POST'] }],
  ['/v1/assistants', { endpoint: 'other', methods: ['GET', 'POST'] }],
  ['/v1/threads', { endpoint: 'other', methods: ['POST'] }],
  ['/v1/fine_tuning/jobs', { endpoint: 'other', methods: ['GET', 'POST'] }],
  ['/v1/files', { endpoint: 'other', methods: ['GET', 'POST'] }],
  ['/v1/batches', { endpoint: 'other', methods: ['GET', 'POST'] }],
  ['/v1/uploads', { endpoint: 'other', methods: ['POST'] }],
  ['/v1/vector_stores', { endpoint: 'other', methods: ['GET', 'POST'] }],
  ['/v1/usage', { endpoint: 'other', methods: ['GET'] }],
  ['/v1/dashboard/billing/subscription', { endpoint: 'other', methods: ['GET'] }],
  ['/v1/dashboard/billing/credit_grants', { endpoint: 'other', methods: ['GET'] }],
  ['/v1/dashboard/billing/usage', { endpoint: 'other', methods: ['GET'] }],
]);

// one-segment-parameter paths: prefix → spec
const PREFIX: readonly (readonly [string, RouteSpec])[] = [
  ['/v1/models/', { endpoint: 'models.retrieve', methods: ['GET', 'DELETE'] }],
  ['/v1/chat/completions/', { endpoint: 'other', methods: ['GET', 'POST', 'DELETE'] }],
  ['/v1/responses/', { endpoint: 'other', methods: ['GET', 'DELETE'] }],
  ['/v1/threads/', { endpoint: 'other', methods: ['GET', 'POST', 'DELETE'] }],
  ['/v1/assistants/', { endpoint: 'other', methods: ['GET', 'POST', 'DELETE'] }],
  ['/v1/files/', { endpoint: 'other', methods: ['GET', 'DELETE'] }],
  ['/v1/fine_tuning/jobs/', { endpoint: 'other', methods: ['GET', 'POST'] }],
  ['/v1/batches/', { endpoint: 'other', methods: ['GET', 'POST'] }],
  ['/v1/vector_stores/', { endpoint: 'other', methods: ['GET', 'POST', 'DELETE'] }],
];

export type RouteMatch =
  | { readonly kind: 'ok'; readonly endpoint: OpenAIEndpoint; readonly param?: string }
  | { readonly kind: 'method' }
  | { readonly kind: 'unknown' };

const UNKNOWN: RouteMatch = { kind: 'unknown' };
const METHOD: RouteMatch = { kind: 'method' };

export function matchOpenAIRoute(method: string, path: string): RouteMatch {
  const exact = EXACT.get(path);
  if (exact) return exact.methods.includes(method) || method === 'HEAD' ? { kind: 'ok', endpoint: exact.endpoint } : METHOD;
  for (const [prefix, spec] of PREFIX) {
    if (path.length > prefix.length && path.startsWith(prefix)) {
      const param = path.slice(prefix.length);
      if (spec.endpoint === 'models.retrieve' && param.includes('/')) return UNKNOWN;
      return spec.methods.includes(method) ? { kind: 'ok', endpoint: spec.endpoint, param } : METHOD;
    }
  }
  return UNKNOWN;
}
