/**
 * The Azure OpenAI protocol facts the gateway needs first: which requests are Azure's (the Host of a
 * resource, `*.openai.azure.com` / `*.cognitiveservices.azure.com` / `*.services.ai.azure.com`, or
 * a path under `/openai/`), where the credential is (`api-key` header; `Authorization: Bearer`
 * with a key or a Microsoft Entra ID token), and what a path means:
 * - `/openai/deployments/{deployment}/{operation}?api-version=…`: the classic data plane; the
 *   version is required (without it Azure answers 404 "Resource not found", with an unknown one 400
 *   "API version not supported");
 * - `/openai/v1/{operation}`: the versionless v1 API (an `api-version` may be `latest` or `preview`);
 *   the body's `model` names the deployment;
 * - `/openai/deployments` and `/openai/models` listings (with a version).
 * Pure functions over strings; no regex is built per request.
 */
import type { IncomingHttpHeaders } from 'node:http';

export type AzureOperation = 'chat.completions' | 'completions' | 'embeddings' | 'images.generations' | 'responses' | 'models.list';

export type AzureRoute =
  | { readonly kind: 'deployment'; readonly deployment: string; readonly operation: AzureOperation; readonly apiVersion: string }
  | { readonly kind: 'v1'; readonly operation: AzureOperation; readonly apiVersion?: string }
  | { readonly kind: 'deployments.list'; readonly apiVersion: string }
  | { readonly kind: 'models.list'; readonly apiVersion: string }
  /** 404 `Resource not found`: unknown path, or a classic path without `api-version` */
  | { readonly kind: 'not_found' }
  /** 400 `API version not supported` */
  | { readonly kind: 'bad_version'; readonly apiVersion: string }
  /** 405 on a known path with another method */
  | { readonly kind: 'method' };

/**
 * The data-plane API versions Azure OpenAI has published (GA and preview) up to the v1 API; any
 * other value is refused as Azure refuses it. Listed from Microsoft's API lifecycle pages.
 */
export const AZURE_API_VERSIONS: ReadonlySet<string> = new Set([
  '2022-12-01', '2023-05-15', '2024-02-01', '2024-06-01', '2024-10-21',
  '2023-03-15-preview', '2023-06-01-preview', '2023-07-01-preview', '2023-08-01-preview', '2023-09-01-preview',
  '2023-10-01-preview', '2023-12-01-preview', '2024-02-15-preview', '2024-03-01-preview', '2024-04-01-preview',
  '2024-05-01-preview', '2024-07-01-preview', '2024-08-01-preview', '2024-09-01-preview', '2024-10-01-preview',
  '2024-12-01-preview', '2025-01-01-preview', '2025-02-01-preview', '2025-03-01-preview', '2025-04-01-preview',
]);
const V1_VERSIONS: ReadonlySet<string> = new Set(['latest', 'preview']);

/** Reasoning models need a 2024-12-01-preview or later version on the classic data plane. */
export function versionAtLeast(version: string, min: string): boolean {
  return version.slice(0, 10) >= min.slice(0, 10);
}

const DEPLOYMENT_OPS: ReadonlyMap<string, AzureOperation> = new Map([
  ['chat/completions', 'chat.completions'],
  ['completions', 'completions'],
  ['embeddings', 'embeddings'],
  ['images/generations', 'images.generations'],
]);
const V1_OPS: ReadonlyMap<string, { op: AzureOperation; methods: readonly string[] }> = new Map([
  ['chat/completions', { op: 'chat.completions', methods: ['POST'] }],
  ['completions', { op: 'completions', methods: ['POST'] }],
  ['embeddings', { op: 'embeddings', methods: ['POST'] }],
  ['images/generations', { op: 'images.generations', methods: ['POST'] }],
  ['responses', { op: 'responses', methods: ['POST'] }],
  ['models', { op: 'models.list', methods: ['GET'] }],
]);

/** A deployment name as Azure allows it: 2–64 of letters, digits, `-`, `_`, `.`. */
const DEPLOYMENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const MAX_PATH = 2048;

/** The `api-version` of a query string (first occurrence), or undefined. */
export function apiVersionOf(query: string): string | undefined {
  if (query === '' || query.length > MAX_PATH) return undefined;
  for (const part of query.split('&')) {
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    if (name !== 'api-version') continue;
    try {
      return decodeURIComponent((eq < 0 ? '' : part.slice(eq + 1)).replace(/\+/g, ' '));
    } catch {
      return part.slice(eq + 1);
    }
  }
  return undefined;
}

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** Route an Azure OpenAI request (`url` = path and query as received). */
export function matchAzureRoute(method: string, url: string): AzureRoute {
  if (url.length > MAX_PATH) return { kind: 'not_found' };
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const query = q < 0 ? '' : url.slice(q + 1);
  if (!path.startsWith('/openai/')) return { kind: 'not_found' };
  const rest = path.slice('/openai/'.length);
  const version = apiVersionOf(query);

  if (rest.startsWith('v1/')) {
    const spec = V1_OPS.get(rest.slice(3));
    if (!spec) return { kind: 'not_found' };
    if (version !== undefined && !V1_VERSIONS.has(version)) return { kind: 'bad_version', apiVersion: version };
    if (!spec.methods.includes(method)) return { kind: 'method' };
    return version === undefined ? { kind: 'v1', operation: spec.op } : { kind: 'v1', operation: spec.op, apiVersion: version };
  }
  if (rest === 'deployments' || rest === 'models') {
    if (version === undefined) return { kind: 'not_found' };
    if (!AZURE_API_VERSIONS.has(version)) return { kind: 'bad_version', apiVersion: version };
    if (method !== 'GET' && method !== 'HEAD') return { kind: 'method' };
    return rest === 'models' ? { kind: 'models.list', apiVersion: version } : { kind: 'deployments.list', apiVersion: version };
  }
  if (rest.startsWith('deployments/')) {
    const after = rest.slice('deployments/'.length);
    const slash = after.indexOf('/');
    if (slash <= 0) return { kind: 'not_found' };
    const deployment = safeDecode(after.slice(0, slash));
    const operation = DEPLOYMENT_OPS.get(after.slice(slash + 1));
    if (deployment === undefined || operation === undefined || !DEPLOYMENT_NAME.test(deployment)) return { kind: 'not_found' };
    if (version === undefined) return { kind: 'not_found' };
    if (!AZURE_API_VERSIONS.has(version)) return { kind: 'bad_version', apiVersion: version };
    if (method !== 'POST') return { kind: 'method' };
    return { kind: 'deployment', deployment, operation, apiVersion: version };
  }
  return { kind: 'not_found' };
}

const HOST_SUFFIXES = ['.openai.azure.com', '.cognitiveservices.azure.com', '.services.ai.azure.com'] as const;

/** The resource name of an Azure OpenAI Host (`acme-prod.openai.azure.com` → `acme-prod`), or undefined. */
export function azureResourceOfHost(host: string | undefined): string | undefined {
  if (host === undefined || host.length > 253) return undefined;
  const colon = host.lastIndexOf(':');
  const name = (colon > 0 && !host.includes(']') ? host.slice(0, colon) : host).toLowerCase();
  for (const suffix of HOST_SUFFIXES) {
    if (name.length > suffix.length && name.endsWith(suffix)) {
      const resource = name.slice(0, -suffix.length);
      return resource.includes('.') ? undefined : resource;
    }
  }
  return undefined;
}

/** Is this request Azure OpenAI's, by its Host or its path? */
export function isAzureRequest(host: string | undefined, path: string): boolean {
  return path.startsWith('/openai/') || path === '/openai' || azureResourceOfHost(host) !== undefined;
}

export type AzureCredential =
  | { readonly kind: 'key'; readonly value: string; readonly via: 'api-key' | 'bearer' }
  /** a Microsoft Entra ID access token (a JWT) */
  | { readonly kind: 'entra'; readonly value: string }
  | { readonly kind: 'none' };

const NONE: AzureCredential = { kind: 'none' };

/** Three base64url segments, the first a JSON header (`eyJ`): a JWT. */
export function looksLikeJwt(token: string): boolean {
  if (!token.startsWith('eyJ') || token.length > 16_384) return false;
  const first = token.indexOf('.');
  const second = first < 0 ? -1 : token.indexOf('.', first + 1);
  return first > 3 && second > first + 1 && token.indexOf('.', second + 1) < 0;
}

/**
 * The presented credential: the `api-key` header wins (as Azure reads it first); otherwise
 * `Authorization: Bearer` carries either an Entra ID token or, on the v1 API and in the OpenAI SDK's
 * plain client, the key itself.
 */
export function azureCredential(headers: IncomingHttpHeaders): AzureCredential {
  const raw = headers['api-key'];
  const apiKey = Array.isArray(raw) ? raw[0] : raw;
  if (apiKey !== undefined && apiKey.trim() !== '') return { kind: 'key', value: apiKey.trim(), via: 'api-key' };
  const auth = headers.authorization;
  if (auth === undefined) return NONE;
  const space = auth.indexOf(' ');
  if (space <= 0 || auth.slice(0, space).toLowerCase() !== 'bearer') return NONE;
  const token = auth.slice(space + 1).trim();
  if (token === '') return NONE;
  return looksLikeJwt(token) ? { kind: 'entra', value: token } : { kind: 'key', value: token, via: 'bearer' };
}
