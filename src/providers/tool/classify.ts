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
import type { Classification, KeyRecord } from '../../core/keyring.js';
import type { CredentialRefusal } from '../../core/verdict.js';
import type { Exchange } from '../../core/exchange.js';
import type { GatewayState } from '../../core/provider.js';
import { fingerprintOfHash, sha256Hex } from '../../util/hash.js';
import { parseBearer, type TokenPrincipal } from './oauth.js';
import { resourceOf, type CompiledRoute, type ToolRuntime } from './route.js';
import type { CompiledSecret, SecretState } from './secrets.js';

import { H, SAFE_ID, SAFE_SECRET, header, type ToolCall } from './call.js';
import { inspect, readIdentity } from './inspect.js';

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

export async function classify(ex: Exchange, call: ToolCall, tool: ToolRuntime, state: GatewayState): Promise<Classification> {
  const route = call.route;
  const auth = route.config.auth;
  // a refused network learns nothing and costs no token check nor body read (the verdict says network_denied)
  if (!state.runtime.policy.networkAllowed(ex.ip) || !tool.networkAllowed(route, ex.ip)) {
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

