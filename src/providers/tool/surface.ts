/**
 * The `tool` surface (issue 10): an API that an assistant calls (a GPT action, a plugin, an MCP
 * server) behind the same pipeline as the LLM surfaces (server/serve.ts `servePipeline`).
 *
 *   classify  — the route secret (constant-time, with its rotation window), else the OAuth bearer
 *               token (JWT via JWKS, or RFC 7662 introspection), else nothing (public routes);
 *               then, for an accepted credential, the route's own checks: scopes, identity headers,
 *               body size, MCP JSON-RPC method/tool lists, the OpenAPI document (RequestRefusal);
 *   forward   — src/upstream/forward.ts, streaming both ways (SSE unbuffered, aborts propagated,
 *               Mcp-Session-Id passed both ways), the route secret stripped, the user passed on;
 *   deceive   — lure secrets / lure OAuth clients: a lure upstream, or built-in answers from
 *               fixtures, the OpenAPI response schemas, or the MCP decoy, with canaries;
 *   refuse    — RFC 9457 problem details that name no policy; RFC 6750 / RFC 9728 challenges;
 *               `Retry-After` and `RateLimit` / `RateLimit-Policy` on 429
 *               (draft-ietf-httpapi-ratelimit-headers-09).
 * The route function `toolRoute` matches configured routes and serves RFC 9728 metadata.
 */
import { randomUUID } from 'node:crypto';
import type { HttpRequest } from '../../core/http.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { checkCanaryKey } from '../../deception/canary-hits.js';
import { lureReply } from '../../deception/lure.js';
import { clientAddress } from '../../core/identity.js';
import type { Classification, KeyRecord } from '../../core/keyring.js';
import type { CredentialRefusal, RequestRefusal, Verdict } from '../../core/verdict.js';
import type { Exchange } from '../../core/exchange.js';
import { servePipeline } from '../../core/serve.js';
import type { GatewayState } from '../../core/state.js';
import type { AdmitResult, LimitCheck } from '../../store/types.js';
import { HttpUpstream, UpstreamFault } from '../../core/forward.js';
import { declaredTooLarge, parseJson, readBody } from '../../util/body.js';
import { fingerprintOfHash, sha256Hex } from '../../util/hash.js';
import type { Surface } from '../../core/provider.js';
import { checkJsonRpc, mcpDecoy, type JsonRpcMessage } from './mcp.js';
import { parseBearer, type TokenFailure, type TokenPrincipal } from './oauth.js';
import type { OperationMatch } from './openapi.js';
import { bearerChallenge, writeProblem, type ToolProblemCode } from './problem.js';
import { resourceOf, routeLimits, type CompiledRoute, type ToolRuntime } from './route.js';
import type { CompiledSecret, SecretState } from './secrets.js';

/** Identity headers ChatGPT sends to actions (wire-spec C) and MCP's session header. */
const H = {
  gpt: 'openai-gpt-id',
  region: 'openai-subdivision-1-iso-code',
  session: 'mcp-session-id',
} as const;
/** A header value usable as an id: visible ASCII, bounded. */
const SAFE_ID = /^[\x21-\x7e]{1,256}$/;
const SAFE_SECRET = /^[\x21-\x7e]{1,4096}$/;
const GATEWAY_HEADER = /^x-honeygate-/;
/**
 * Dot segments (RFC 3986 §5.2.4), encoded slashes and backslashes would let a path leave the
 * upstream base path once the upstream normalises it (`/weather/../admin` → `/admin`): refused.
 */
const UNSAFE_PATH = /(^|\/)(\.|%2e){1,2}(\/|$)|%2f|%5c|\\/i;

interface Problem {
  readonly code: ToolProblemCode;
  readonly detail?: string;
  readonly extra?: Readonly<Record<string, unknown>>;
}

/** What the tool surface learned about one call (kept beside the Exchange, dropped with it). */
interface ToolCall {
  readonly route: CompiledRoute;
  /** path below the route prefix ('' for the prefix itself) */
  readonly rest: string;
  /** '?…' or '' */
  readonly query: string;
  malformedCredential?: string;
  presented?: string;
  via?: 'secret' | 'oauth' | 'public';
  failure?: TokenFailure;
  principal?: TokenPrincipal;
  user?: string;
  conversation?: string;
  session?: string;
  gpt?: string;
  body?: Buffer;
  messages?: readonly JsonRpcMessage[];
  batch?: boolean;
  operation?: OperationMatch;
  problem?: Problem;
  tooLarge?: boolean;
}

const calls = new WeakMap<Exchange, ToolCall>();

function header(ex: Exchange, name: string): string | undefined {
  const v = ex.req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function method(ex: Exchange): string {
  return ex.req.method ?? 'GET';
}

function callOf(ex: Exchange): ToolCall {
  const call = calls.get(ex);
  if (!call) throw new Error('tool surface used without a matched route');
  return call;
}

function toolRuntime(state: GatewayState): ToolRuntime | null {
  return state.runtime.tool ?? null;
}

// ---------------------------------------------------------------- classify

const SECRET_REASON: Readonly<Record<Exclude<SecretState, 'active'>, CredentialRefusal>> = {
  expired: 'credential_expired',
  revoked: 'credential_revoked',
  not_yet_valid: 'credential_not_yet_valid',
};

function lureFields(route: CompiledRoute): Pick<KeyRecord, 'campaign' | 'placement'> {
  const l = route.config.lure;
  return { ...(l.campaign !== undefined ? { campaign: l.campaign } : {}), ...(l.placement !== undefined ? { placement: l.placement } : {}) };
}

function secretRecord(route: CompiledRoute, s: CompiledSecret): KeyRecord {
  const base = { name: s.name, hash: s.hash, fingerprint: s.fingerprint, upstream: route.name };
  return s.lure ? { ...base, ...lureFields(route), class: 'lure', lure: route.lure } : { ...base, class: 'valid' };
}

function oauthRecord(route: CompiledRoute, token: string, p: TokenPrincipal): KeyRecord {
  const oauth = route.config.auth.oauth;
  const client = p.clientId ?? '';
  // one fingerprint per OAuth client (tokens rotate; the client is what a lure marks)
  const fingerprint = fingerprintOfHash(sha256Hex(`oauth-client\0${oauth?.issuer ?? ''}\0${client}`));
  const base = { name: `oauth:${client || 'unknown-client'}`, hash: sha256Hex(token), fingerprint, upstream: route.name };
  const lure = client !== '' && (oauth?.lure_clients ?? []).includes(client);
  return lure ? { ...base, ...lureFields(route), class: 'lure', lure: route.lure } : { ...base, class: 'valid' };
}

function publicRecord(route: CompiledRoute): KeyRecord {
  const hash = sha256Hex(`public\0${route.name}`);
  return { name: 'public', class: 'valid', hash, fingerprint: fingerprintOfHash(hash), upstream: route.name };
}

function invalid(hash: string | undefined, reason?: CredentialRefusal): Classification {
  return { class: 'invalid', ...(hash !== undefined ? { hash } : {}), ...(reason !== undefined ? { invalidReason: reason } : {}) };
}

function audit(ex: Exchange, call: ToolCall): void {
  const t: Record<string, string> = {};
  if (call.operation) t['operation'] = call.operation.id;
  else if (ex.tool?.['operation'] !== undefined) t['operation'] = ex.tool['operation'];
  if (call.user !== undefined) t['user'] = call.user;
  if (call.conversation !== undefined) t['conversation'] = call.conversation;
  if (call.gpt !== undefined) t['gpt_id'] = call.gpt;
  if (call.session !== undefined) t['session'] = call.session;
  const region = header(ex, H.region);
  if (region !== undefined && SAFE_ID.test(region)) t['region'] = region.slice(0, 16);
  if (call.via !== undefined) t['auth'] = call.principal ? call.principal.via : call.via;
  if (call.principal?.clientId !== undefined) t['client_id'] = call.principal.clientId;
  ex.tool = t;
}

/** Identity headers: absent is fine, malformed is the caller's error. */
function readIdentity(ex: Exchange, call: ToolCall): Problem | null {
  const route = call.route.config;
  const read = (name: string): string | undefined | null => {
    const v = header(ex, name);
    if (v === undefined) return undefined;
    return SAFE_ID.test(v) ? v : null;
  };
  const fields: [keyof Pick<ToolCall, 'user' | 'conversation' | 'session' | 'gpt'>, string][] = [
    ['user', route.identity.user_header],
    ['conversation', route.identity.conversation_header],
    ['session', H.session],
    ['gpt', H.gpt],
  ];
  for (const [field, name] of fields) {
    const v = read(name);
    if (v === null) return { code: 'HG_TOOL_BAD_REQUEST', detail: `The ${name} header is malformed.` };
    if (v !== undefined) call[field] = v;
  }
  if (call.principal?.user !== undefined) call.user = call.principal.user;
  return null;
}

function withRefusal(c: Classification, refusal: RequestRefusal): Classification {
  return { ...c, refusal };
}

async function inspect(ex: Exchange, call: ToolCall, accepted: Classification, state: GatewayState): Promise<Classification> {
  const route = call.route;
  if (call.failure === 'scope') return withRefusal(accepted, 'insufficient_scope');
  const identity = readIdentity(ex, call);
  if (identity) {
    call.problem = identity;
    return withRefusal(accepted, 'request_invalid');
  }
  const m = method(ex);
  if (UNSAFE_PATH.test(call.rest)) {
    call.problem = { code: 'HG_TOOL_BAD_REQUEST', detail: 'The request path has dot segments or encoded separators.' };
    return withRefusal(accepted, 'request_invalid');
  }
  if (declaredTooLarge(ex.req, route.maxBodyBytes)) {
    call.problem = { code: 'HG_TOOL_TOO_LARGE', detail: `The request body is larger than ${route.maxBodyBytes} bytes.` };
    return withRefusal(accepted, 'request_invalid');
  }
  const needsBody = m !== 'GET' && m !== 'HEAD' && (route.mcp !== undefined || route.openapi !== undefined);
  let json: unknown;
  if (needsBody) {
    const body = await readBody(ex.req, route.maxBodyBytes);
    if (!body.ok) {
      call.problem =
        body.reason === 'too_large'
          ? { code: 'HG_TOOL_TOO_LARGE', detail: `The request body is larger than ${route.maxBodyBytes} bytes.` }
          : { code: 'HG_TOOL_BAD_REQUEST', detail: 'The request body was cut off.' };
      if (body.reason === 'aborted' && !ex.res.destroyed) ex.res.destroy();
      return withRefusal(accepted, 'request_invalid');
    }
    call.body = body.body;
    if (body.body.length > 0) {
      json = parseJson(body.body);
      if (json === undefined) {
        call.problem = { code: 'HG_TOOL_INVALID_REQUEST', detail: 'The request body is not valid JSON.' };
        return withRefusal(accepted, 'request_invalid');
      }
    }
  }
  if (route.mcp) {
    if (m !== 'POST') {
      ex.tool = { operation: m === 'GET' ? 'stream' : m === 'DELETE' ? 'session/end' : m };
      return accepted;
    }
    if (json === undefined) {
      call.problem = { code: 'HG_TOOL_INVALID_REQUEST', detail: 'A JSON-RPC 2.0 message is required.' };
      return withRefusal(accepted, 'request_invalid');
    }
    const check = checkJsonRpc(json, route.mcp.methods, route.mcp.tools);
    if (check.kind === 'invalid') {
      call.problem = { code: 'HG_TOOL_INVALID_REQUEST', detail: check.detail };
      return withRefusal(accepted, 'request_invalid');
    }
    ex.tool = { operation: check.operation };
    if (check.kind === 'denied') return withRefusal(accepted, 'operation_denied');
    call.messages = check.messages;
    call.batch = Array.isArray(json);
    return accepted;
  }
  if (route.openapi) {
    const guard = await route.openapi;
    if (!guard) return withRefusal(accepted, 'route_unavailable');
    const query = call.query.startsWith('?') ? call.query.slice(1) : call.query;
    const check = guard.check({ method: m, path: call.rest === '' ? '/' : call.rest, query, headers: ex.req.headers, body: json });
    if (check.kind === 'unknown') return withRefusal(accepted, 'operation_unknown');
    call.operation = check.operation;
    if (check.kind === 'invalid') {
      call.problem = { code: 'HG_TOOL_INVALID_REQUEST', detail: 'The request does not match the API description.', extra: { errors: check.problems } };
      return withRefusal(accepted, 'request_invalid');
    }
  }
  void state;
  return accepted;
}

async function classify(ex: Exchange, state: GatewayState): Promise<Classification> {
  const call = callOf(ex);
  const route = call.route;
  const auth = route.config.auth;
  // a refused network learns nothing and costs no token check nor body read (the verdict says network_denied)
  if (!state.runtime.policy.networkAllowed(ex.ip) || !toolRuntime(state)?.networkAllowed(route, ex.ip)) {
    readIdentity(ex, call);
    audit(ex, call);
    return { class: 'missing' };
  }
  const bearer = parseBearer(header(ex, 'authorization'));
  let secret: string | undefined;
  let token: string | undefined;
  if (auth.secret_header === 'authorization') {
    if (bearer.kind === 'token') {
      if (route.secrets.size > 0) secret = bearer.token;
      token = bearer.token;
    }
  } else {
    const v = header(ex, auth.secret_header);
    if (v !== undefined) {
      if (!SAFE_SECRET.test(v)) call.malformedCredential = `The ${auth.secret_header} header is malformed.`;
      else secret = v;
    }
    // with the secret in its own header, Authorization is ours only for OAuth (else it is the upstream's)
    if (bearer.kind === 'token' && route.oauth) token = bearer.token;
  }
  if (bearer.kind === 'malformed' && ((auth.secret_header === 'authorization' && route.secrets.size > 0) || route.oauth)) {
    call.malformedCredential = 'The Authorization header is not a Bearer token (RFC 6750).';
  }
  let result: Classification | undefined;
  if (call.malformedCredential !== undefined) {
    result = invalid(undefined);
  } else if (secret !== undefined) {
    const match = route.secrets.match(secret);
    if (match.state === 'active') {
      call.via = 'secret';
      const record = secretRecord(route, match.secret);
      result = { class: record.class, record, hash: match.secret.hash };
    } else if (match.state !== 'none') {
      call.via = 'secret';
      result = invalid(match.secret.hash, SECRET_REASON[match.state]);
    } else if (auth.secret_header !== 'authorization' || !route.oauth) {
      call.presented = secret;
      result = invalid(sha256Hex(secret));
    }
  }
  if (result === undefined && token !== undefined && route.oauth) {
    call.via = 'oauth';
    const verified = await route.oauth.verify(token, [resourceOf(route, state.publicUrl)]);
    const principal = verified.principal;
    if (principal) call.principal = principal;
    if (verified.ok || verified.failure === 'scope') {
      if (!verified.ok) call.failure = verified.failure;
      const record = oauthRecord(route, token, principal as TokenPrincipal);
      result = { class: record.class, record, hash: record.hash };
    } else {
      call.failure = verified.failure;
      const reason: CredentialRefusal | undefined =
        verified.failure === 'expired' ? 'credential_expired' : verified.failure === 'not_yet_valid' ? 'credential_not_yet_valid' : verified.failure === 'unavailable' ? 'auth_unavailable' : undefined;
      result = invalid(sha256Hex(token), reason);
    }
  }
  if (result === undefined) {
    const checked = route.secrets.size > 0 || route.oauth !== undefined;
    // a public route without secrets or oauth ignores credentials (they may be the upstream's own)
    if ((token !== undefined || secret !== undefined) && (checked || !auth.public)) result = invalid(sha256Hex(token ?? secret ?? ''));
    else if (auth.public) {
      call.via = 'public';
      const record = publicRecord(route);
      result = { class: 'valid', record };
    } else result = { class: 'missing' };
  }
  if (result.class === 'valid' || result.class === 'lure') result = await inspect(ex, call, result, state);
  else readIdentity(ex, call);
  audit(ex, call);
  return result;
}

// ---------------------------------------------------------------- forward

function upstreamPath(route: CompiledRoute, call: ToolCall): string {
  const rest = call.rest === '' && route.upstreamPath === '' ? '/' : call.rest;
  return `${rest}${call.query}`;
}

/** The client's body, cut off past `max` bytes (chunked uploads have no Content-Length). */
async function* limited(req: HttpRequest, max: number, call: ToolCall): AsyncGenerator<Buffer> {
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) {
      call.tooLarge = true;
      throw new Error('request body too large');
    }
    yield chunk;
  }
}

/** Headers for the upstream: no route secret, no client-made x-honeygate-*, the user passed on. */
function upstreamHeaders(ex: Exchange, call: ToolCall, keepAuthorization: boolean): { headers: HttpRequest['headers']; set: Record<string, string> } {
  const auth = call.route.config.auth;
  const headers: HttpRequest['headers'] = {};
  for (const [k, v] of Object.entries(ex.req.headers)) {
    if (GATEWAY_HEADER.test(k)) continue;
    if (k === auth.secret_header && call.via === 'secret') continue;
    if (k === 'authorization' && !keepAuthorization) continue;
    headers[k] = v;
  }
  const set: Record<string, string> = { 'x-honeygate-route': call.route.name };
  if (call.user !== undefined) set['x-honeygate-user'] = call.user;
  return { headers, set };
}

function faultToClient(ex: Exchange, e: unknown, call: ToolCall): void {
  if (call.tooLarge) {
    writeProblem(ex.res, 'HG_TOOL_TOO_LARGE', { detail: `The request body is larger than ${call.route.maxBodyBytes} bytes.` });
    return;
  }
  if (!(e instanceof UpstreamFault)) throw e;
  if (e.kind === 'aborted' || ex.res.headersSent || ex.res.destroyed) {
    if (!ex.res.destroyed && !ex.res.writableEnded) ex.res.destroy();
    return;
  }
  writeProblem(ex.res, e.kind === 'timeout' ? 'HG_TOOL_UPSTREAM_TIMEOUT' : 'HG_TOOL_UPSTREAM_ERROR');
}

async function send(ex: Exchange, call: ToolCall, upstream: HttpUpstream, keepAuthorization: boolean): Promise<void> {
  const m = method(ex);
  const route = call.route;
  const { headers, set } = upstreamHeaders(ex, call, keepAuthorization);
  const hasBody = m !== 'GET' && m !== 'HEAD';
  const body = call.body ?? (hasBody ? (limited(ex.req, route.maxBodyBytes, call) as unknown as HttpRequest) : null);
  if (route.ratePolicy !== undefined) ex.res.setHeader('RateLimit-Policy', route.ratePolicy);
  const started = performance.now();
  try {
    const onResponse = (_status: number, h: Readonly<Record<string, string | string[] | undefined>>, ms: number): void => {
      ex.upstreamMs = ms;
      ex.stream = /^text\/event-stream/i.test(String(h['content-type'] ?? ''));
    };
    const result = await upstream.forward({ method: m, path: upstreamPath(route, call), headers, body, setHeaders: set, replaceServerErrors: true, onResponse }, ex.res);
    ex.upstreamMs = result.upstreamMs;
    if (result.replaced) writeProblem(ex.res, result.status === 504 ? 'HG_TOOL_UPSTREAM_TIMEOUT' : 'HG_TOOL_UPSTREAM_ERROR');
  } catch (e: unknown) {
    ex.upstreamMs = performance.now() - started;
    faultToClient(ex, e, call);
  }
}

async function forward(ex: Exchange, _record: KeyRecord, _state: GatewayState): Promise<void> {
  const call = callOf(ex);
  ex.upstream = call.route.name;
  await send(ex, call, call.route.upstream, true);
}

// ---------------------------------------------------------------- deceive

const CANARY_FIELDS: readonly [RegExp, string][] = [
  [/(^|_|-)(url|uri|link|href|endpoint|webhook)$/i, '{{canary:url}}'],
  [/(^|_|-)(password|passwd)$/i, '{{canary:password}}'],
  [/(^|_|-)(api_?key|token|secret|access_?key)$/i, '{{canary:token}}'],
  [/(^|_|-)(host|hostname|server)$/i, '{{canary:hostname}}'],
];

/** Mocked data with canary placeholders where a field looks like a link, a secret or a host. */
export function canaryize(value: unknown, key = ''): unknown {
  if (typeof value === 'string') {
    for (const [re, placeholder] of CANARY_FIELDS) if (re.test(key)) return placeholder;
    return value;
  }
  if (Array.isArray(value)) return value.map((v) => canaryize(v, key));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = canaryize(v, k);
    return out;
  }
  return value;
}

async function writeMinted(ex: Exchange, record: KeyRecord, state: GatewayState, status: number, contentType: string, template: string, extraHeaders: Record<string, string> = {}): Promise<void> {
  const minted = await lureReply(ex, record, template, state);
  if (minted.canaries.length > 0) ex.lure = { ...ex.lure, canaries: minted.canaries };
  if (ex.res.destroyed) return;
  const body = Buffer.from(minted.text);
  ex.res.writeHead(status, { 'content-type': contentType, 'content-length': body.length, ...extraHeaders });
  ex.res.end(method(ex) === 'HEAD' ? undefined : body);
}

async function deceiveMcp(ex: Exchange, record: KeyRecord, call: ToolCall, state: GatewayState): Promise<void> {
  const m = method(ex);
  if (m === 'GET') {
    writeProblem(ex.res, 'HG_TOOL_METHOD_NOT_ALLOWED', { headers: { allow: 'POST, DELETE' } });
    return;
  }
  if (m === 'DELETE') {
    ex.res.writeHead(200, { 'content-length': 0 });
    ex.res.end();
    return;
  }
  const fixtures = call.route.config.lure.fixtures;
  const answer = mcpDecoy({ messages: call.messages ?? [], serverName: call.route.name, fixtures, reply: call.route.lure.reply, fill: (v) => v });
  const session = answer.initialized ? randomUUID() : (call.session ?? randomUUID());
  if (answer.responses.length === 0) {
    ex.res.writeHead(202, { 'content-length': 0, 'mcp-session-id': session });
    ex.res.end();
    return;
  }
  const payload = call.batch ? answer.responses : answer.responses[0];
  await writeMinted(ex, record, state, 200, 'application/json', JSON.stringify(payload), { 'mcp-session-id': session });
}

async function deceive(ex: Exchange, record: KeyRecord, _admit: AdmitResult | null, state: GatewayState): Promise<void> {
  const call = callOf(ex);
  const route = call.route;
  ex.upstream = route.lureUpstream ? `${route.name}:lure` : 'decoy';
  if (route.lure.responseDelayMs > 0) await sleep(route.lure.responseDelayMs);
  if (ex.res.destroyed) return;
  if (route.lureUpstream) {
    await send(ex, call, route.lureUpstream, false);
    return;
  }
  if (route.mcp) {
    await deceiveMcp(ex, record, call, state);
    return;
  }
  const fixtures = route.config.lure.fixtures;
  const m = method(ex);
  const op = call.operation;
  const fixture = (op?.operationId !== undefined ? fixtures[op.operationId] : undefined) ?? (op ? fixtures[`${op.method} ${op.template}`] : undefined) ?? fixtures[`${m} ${call.rest || '/'}`];
  if (fixture) {
    const text = typeof fixture.body === 'string' && !fixture.content_type.includes('json') ? fixture.body : JSON.stringify(fixture.body ?? null);
    await writeMinted(ex, record, state, fixture.status, fixture.content_type, text);
    return;
  }
  if (op?.operationId !== undefined && route.openapi) {
    const guard = await route.openapi;
    const mock = guard?.mock(op.operationId);
    if (mock) {
      await writeMinted(ex, record, state, mock.status, 'application/json', JSON.stringify(canaryize(mock.body)));
      return;
    }
  }
  await writeMinted(ex, record, state, 200, 'application/json', JSON.stringify({ message: route.lure.reply }));
}

// ---------------------------------------------------------------- refuse

function challenge(route: CompiledRoute, state: GatewayState, error?: { error: string; description?: string; scope?: string }): string {
  const metadata = route.metadataPath !== undefined ? `${state.publicUrl.replace(/\/$/, '')}${route.metadataPath}` : undefined;
  const base = route.host !== undefined && route.metadataPath !== undefined ? `https://${route.host}${route.metadataPath}` : metadata;
  return bearerChallenge({
    ...(error ? { error: error.error } : {}),
    ...(error?.description !== undefined ? { error_description: error.description } : {}),
    ...(error?.scope !== undefined ? { scope: error.scope } : {}),
    ...(base !== undefined ? { resource_metadata: base } : {}),
  });
}

function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

function refuse(ex: Exchange, verdict: Verdict, admit: AdmitResult | null, classification: Classification, state: GatewayState): void {
  const call = callOf(ex);
  const route = call.route;
  const head = method(ex) === 'HEAD';
  const unauthorized = (description?: string, error = 'invalid_token'): void =>
    writeProblem(ex.res, 'HG_TOOL_UNAUTHORIZED', { head, headers: { 'www-authenticate': challenge(route, state, { error, ...(description !== undefined ? { description } : {}) }) } });
  switch (verdict.reason) {
    case 'missing_key':
      writeProblem(ex.res, 'HG_TOOL_UNAUTHORIZED', { head, headers: { 'www-authenticate': challenge(route, state) } });
      return;
    case 'invalid_key':
      if (call.malformedCredential !== undefined) {
        writeProblem(ex.res, 'HG_TOOL_BAD_REQUEST', {
          head,
          detail: call.malformedCredential,
          headers: { 'www-authenticate': challenge(route, state, { error: 'invalid_request' }) },
        });
        return;
      }
      unauthorized('The access token is invalid');
      if (call.presented !== undefined) checkCanaryKey(ex, state, call.presented);
      return;
    case 'credential_expired':
      unauthorized('The access token expired');
      return;
    case 'credential_revoked':
    case 'credential_not_yet_valid':
      unauthorized('The access token is invalid');
      return;
    case 'auth_unavailable':
    case 'store_unavailable':
    case 'route_unavailable':
      writeProblem(ex.res, 'HG_TOOL_UNAVAILABLE', { head, headers: { 'retry-after': '5' } });
      return;
    case 'insufficient_scope': {
      const scope = route.config.auth.oauth?.scopes.join(' ');
      writeProblem(ex.res, 'HG_TOOL_FORBIDDEN', {
        head,
        headers: { 'www-authenticate': challenge(route, state, { error: 'insufficient_scope', ...(scope ? { scope } : {}) }) },
      });
      return;
    }
    case 'rate_limited': {
      const limited = admit?.limited;
      const retry = seconds(limited?.retryAfterMs ?? 1000);
      const rule = limited?.rule.startsWith(`tool:${route.name}:`) ? limited.rule.slice(route.name.length + 6) : 'default';
      const headers: Record<string, string> = { 'retry-after': String(retry), ratelimit: `"${rule}";r=0;t=${retry}` };
      if (route.ratePolicy !== undefined) headers['ratelimit-policy'] = route.ratePolicy;
      writeProblem(ex.res, 'HG_TOOL_RATE_LIMITED', { head, headers });
      return;
    }
    case 'operation_unknown':
      writeProblem(ex.res, 'HG_TOOL_NOT_FOUND', { head });
      return;
    case 'request_invalid': {
      const p = call.problem ?? { code: 'HG_TOOL_BAD_REQUEST' };
      writeProblem(ex.res, p.code, { head, ...(p.detail !== undefined ? { detail: p.detail } : {}), ...(p.extra ? { extra: p.extra } : {}) });
      return;
    }
    default:
      // network_denied, blocked, lure_threshold, operation_denied: one answer for all
      void classification;
      writeProblem(ex.res, 'HG_TOOL_FORBIDDEN', { head });
  }
}

// ---------------------------------------------------------------- the surface and its route

function admitExtras(ex: Exchange, state: GatewayState): { subjects: string[]; limits: LimitCheck[] } {
  const call = callOf(ex);
  const subjects: string[] = [];
  if (call.user !== undefined) subjects.push(`user:${call.user}`);
  if (call.conversation !== undefined) subjects.push(`conversation:${call.conversation}`);
  const claims = call.principal?.claims;
  const limits = routeLimits(call.route, {
    ip: ex.ip,
    key: ex.key.fingerprint ?? 'none',
    ...(call.user !== undefined ? { user: call.user } : {}),
    ...(call.conversation !== undefined ? { conversation: call.conversation } : {}),
    ...(call.session !== undefined ? { session: call.session } : {}),
    ...(call.gpt !== undefined ? { gpt: call.gpt } : {}),
    header: (name) => {
      const v = header(ex, name);
      return v !== undefined && SAFE_ID.test(v) ? v : undefined;
    },
    claim: (name) => {
      const v = claims?.[name];
      return typeof v === 'string' ? v.slice(0, 256) : typeof v === 'number' ? String(v) : undefined;
    },
  });
  void state;
  return { subjects, limits };
}

export const toolSurface: Surface = {
  name: 'tool',
  networkAllowed(ex, state) {
    const tool = toolRuntime(state);
    return tool ? tool.networkAllowed(callOf(ex).route, ex.ip) : false;
  },
  admitExtras,
  classify,
  forward,
  deceive,
  refuse,
};

/** RFC 9728 §3.2 metadata of a route. */
function serveMetadata(ex: Exchange, route: CompiledRoute, state: GatewayState): void {
  const oauth = route.config.auth.oauth;
  if (!oauth) return;
  ex.surface = 'tool';
  ex.ip = clientAddress(ex.req.socket.remoteAddress ?? '', ex.req.headers['x-forwarded-for'], state.runtime.policy.trustedProxies);
  const tool = toolRuntime(state);
  if (!state.runtime.policy.networkAllowed(ex.ip) || !tool?.networkAllowed(route, ex.ip)) {
    writeProblem(ex.res, 'HG_TOOL_FORBIDDEN');
    return;
  }
  const body = JSON.stringify({
    resource: resourceOf(route, state.publicUrl),
    authorization_servers: [oauth.issuer],
    bearer_methods_supported: ['header'],
    ...(oauth.scopes.length > 0 ? { scopes_supported: oauth.scopes } : {}),
  });
  ex.res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'cache-control': 'max-age=300' });
  ex.res.end(method(ex) === 'HEAD' ? undefined : body);
}

/** The gateway route for tool APIs: true when a configured route matched (and answered). */
export async function toolRoute(ex: Exchange, state: GatewayState): Promise<boolean> {
  const tool = toolRuntime(state);
  if (!tool || tool.routes.length === 0) return false;
  const match = tool.match(ex.path, header(ex, 'host'), method(ex));
  if (!match) return false;
  ex.route = match.route.name;
  if (match.kind === 'metadata') {
    serveMetadata(ex, match.route, state);
    return true;
  }
  const url = ex.req.url ?? '';
  const q = url.indexOf('?');
  calls.set(ex, { route: match.route, rest: match.rest, query: q < 0 ? '' : url.slice(q) });
  await servePipeline(ex, toolSurface, state);
  return true;
}
