/**
 * The verdict: a pure function of what the pipeline learned about one request. It knows no
 * protocol; each provider renders the verdict in its own words. Order (the lifecycle, written once):
 *
 *   1. network policy  — a denied client is refused before anything else            → reject network_denied
 *   1b. before auth    — the provider resolves the operation / reads the body first   → reject <RequestRefusal>
 *   2. authentication  — no key / unknown key, as the provider answers (auth first)  → reject missing_key | invalid_key | <CredentialRefusal>
 *   3. blocks          — a blocked subject (lure threshold, admin block)            → block blocked
 *   4. lure threshold  — this request crossed the lure's max_requests               → block lure_threshold
 *   5. rate limits     — a limit refused                                            → reject rate_limited
 *   5b. route refusal  — scope, MCP method/tool, OpenAPI (tool surface)              → reject <RequestRefusal>
 *   6. class           — lure → deceive; valid → forward
 *
 * Authentication failures never consult the store: a flood of junk keys costs no round trip.
 */
import type { KeyClass, VerdictAction } from '../events/model.js';
import type { AdmitResult } from '../store/types.js';

export type VerdictReason =
  | 'valid_key'
  | 'lure_key'
  | 'network_denied'
  | 'missing_key'
  | 'invalid_key'
  | 'blocked'
  | 'lure_threshold'
  | 'rate_limited'
  | 'store_unavailable'
  | CredentialRefusal
  | RequestRefusal;

/**
 * Why a presented credential is refused although it is known (tool provider): a secret out
 * of its window or revoked, a token that cannot be checked now. Decided in place of `invalid_key`.
 */
export type CredentialRefusal = 'credential_expired' | 'credential_revoked' | 'credential_not_yet_valid' | 'auth_unavailable';

/**
 * Why an accepted credential's request is refused by the route itself (tool provider):
 * missing scope, a denied MCP method or tool, an operation outside the OpenAPI document, a request
 * that does not validate. Decided after blocks and limits (the call still counts), before the class;
 * or, as `beforeAuth`, before authentication (a Bedrock operation that does not exist, a body too large).
 */
export type RequestRefusal = 'insufficient_scope' | 'operation_denied' | 'operation_unknown' | 'request_invalid' | 'route_unavailable';

export interface Verdict {
  readonly action: VerdictAction;
  readonly reason: VerdictReason;
}

export interface VerdictInput {
  readonly keyClass: KeyClass;
  readonly networkAllowed: boolean;
  /** the store's answer; null when the store was not consulted; 'unavailable' under fail_closed */
  readonly admit: AdmitResult | null | 'unavailable';
  /** for an invalid credential: the specific reason, if the surface knows one */
  readonly invalidReason?: CredentialRefusal | undefined;
  /** for an accepted credential: the route refuses this request (see RequestRefusal) */
  readonly refusal?: RequestRefusal | undefined;
  /** the provider refuses the request before reading its credential */
  readonly beforeAuth?: RequestRefusal | undefined;
}

const V = (action: VerdictAction, reason: VerdictReason): Verdict => Object.freeze({ action, reason });
const NETWORK_DENIED = V('reject', 'network_denied');
const MISSING = V('reject', 'missing_key');
const INVALID = V('reject', 'invalid_key');
const BLOCKED = V('block', 'blocked');
const LURE_THRESHOLD = V('block', 'lure_threshold');
const RATE_LIMITED = V('reject', 'rate_limited');
const UNAVAILABLE = V('reject', 'store_unavailable');
const DECEIVE = V('deceive', 'lure_key');
const FORWARD = V('forward', 'valid_key');
const REFUSALS: Readonly<Record<CredentialRefusal | RequestRefusal, Verdict>> = {
  credential_expired: V('reject', 'credential_expired'),
  credential_revoked: V('reject', 'credential_revoked'),
  credential_not_yet_valid: V('reject', 'credential_not_yet_valid'),
  auth_unavailable: V('reject', 'auth_unavailable'),
  insufficient_scope: V('reject', 'insufficient_scope'),
  operation_denied: V('reject', 'operation_denied'),
  operation_unknown: V('reject', 'operation_unknown'),
  request_invalid: V('reject', 'request_invalid'),
  route_unavailable: V('reject', 'route_unavailable'),
};

/** Does this request need the store at all? (steps 3–5 only apply to accepted keys.) */
export function needsStore(keyClass: KeyClass, networkAllowed: boolean): boolean {
  return networkAllowed && (keyClass === 'valid' || keyClass === 'lure');
}

export function decide(input: VerdictInput): Verdict {
  if (!input.networkAllowed) return NETWORK_DENIED;
  if (input.beforeAuth !== undefined) return REFUSALS[input.beforeAuth];
  if (input.keyClass === 'missing') return MISSING;
  if (input.keyClass === 'invalid') return input.invalidReason !== undefined ? REFUSALS[input.invalidReason] : INVALID;
  const admit = input.admit;
  if (admit === 'unavailable') return UNAVAILABLE;
  if (admit) {
    if (admit.blocked) return BLOCKED;
    if (admit.lureBlocked) return LURE_THRESHOLD;
    if (admit.limited) return RATE_LIMITED;
  }
  if (input.refusal !== undefined) return REFUSALS[input.refusal];
  return input.keyClass === 'lure' ? DECEIVE : FORWARD;
}
