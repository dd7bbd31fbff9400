/** The tool provider's refusals: RFC 9457 problem details that name no policy; RFC 6750 / RFC 9728 challenges; Retry-After and RateLimit headers on 429. */
import { checkCanaryKey } from '../../deception/canary-hits.js';
import type { Classification } from '../../core/keyring.js';
import type { Verdict } from '../../core/verdict.js';
import type { Exchange } from '../../core/exchange.js';
import type { GatewayState } from '../../core/provider.js';
import type { AdmitResult } from '../../store/types.js';
import { bearerChallenge, writeProblem } from './problem.js';
import { type CompiledRoute } from './route.js';

import { method, type ToolCall } from './call.js';

export function challenge(route: CompiledRoute, state: GatewayState, error?: { error: string; description?: string; scope?: string }): string {
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

export function refuse(ex: Exchange, call: ToolCall, verdict: Verdict, admit: AdmitResult | null, classification: Classification, state: GatewayState): void {
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

