/**
 * Every error the Anthropic provider sends, as one coded registry (name = code, pinned by a test):
 * the HTTP status, the Anthropic `error.type` and the message template. The envelope is always
 * `{"type":"error","error":{"type","message"},"request_id"}` (compact JSON, that key order — the
 * API's own); the SDKs choose their error class from the status alone (400 BadRequestError,
 * 401 AuthenticationError, 403 PermissionDeniedError, 404 NotFoundError, 413, 429 RateLimitError,
 * 5xx InternalServerError — 529 included).
 * Sources in docs/anthropic.md: [REC] recorded answers in the fidelity corpus, [OBS] texts quoted
 * in public issue threads, [DOC] the API's error page, [INF] inferred.
 */
import { fillTemplate } from '../../util/template.js';

export interface AnthropicErrorSpec {
  readonly status: number;
  readonly type: string;
  /** message template; `{0}`, `{1}` … are replaced by the arguments */
  readonly message: string;
}

export const ANTHROPIC_ERRORS = {
  /** [OBS] no credential header at all */
  missing_key: { status: 401, type: 'authentication_error', message: 'x-api-key header is required' },
  /** [OBS] an unknown key in `x-api-key` */
  invalid_key: { status: 401, type: 'authentication_error', message: 'invalid x-api-key' },
  /** [OBS] an unknown token in `Authorization: Bearer` */
  invalid_bearer: { status: 401, type: 'authentication_error', message: 'Invalid bearer token' },
  /** [DOC] */
  permission: { status: 403, type: 'permission_error', message: 'Your API key does not have permission to use the specified resource.' },
  /** [OBS] the edge's answer to a client from a region the API does not serve */
  region: { status: 403, type: 'forbidden', message: 'Request not allowed' },
  /** [REC] an unknown or retired model (messages and count_tokens alike) */
  model_not_found: { status: 404, type: 'not_found_error', message: 'model: {0}' },
  /** [INF] an unknown URL under the API */
  not_found: { status: 404, type: 'not_found_error', message: 'Not Found' },
  /** [INF] an unknown batch or file id (the text names it) */
  resource_not_found: { status: 404, type: 'not_found_error', message: '{0}' },
  /** [INF] a known URL with another method */
  method_not_allowed: { status: 405, type: 'invalid_request_error', message: 'Method Not Allowed' },
  /** [OBS] pydantic-style validation: `<path>: <what>` (built by validate.ts) */
  invalid_request: { status: 400, type: 'invalid_request_error', message: '{0}' },
  /** [OBS] */
  version_required: { status: 400, type: 'invalid_request_error', message: 'anthropic-version: header is required' },
  /** [INF] */
  version_invalid: { status: 400, type: 'invalid_request_error', message: 'anthropic-version: invalid version {0}' },
  /** [INF] a body that is not JSON */
  invalid_json: { status: 400, type: 'invalid_request_error', message: 'There was an issue with the format of your request. The request body is not valid JSON.' },
  /** [DOC] the edge's answer to a body over the size limit */
  body_too_large: { status: 413, type: 'request_too_large', message: 'Request exceeds the maximum allowed number of bytes.' },
  /** [OBS] a persona whose prepaid credit is used up: the over-quota answer (400, not 429) */
  credit_balance: {
    status: 400,
    type: 'invalid_request_error',
    message: 'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.',
  },
  /** [OBS 2026 wording] a refused rate limit; {0} limit with thousands separators, {1} unit, {2} org, {3} `, model: …` or empty */
  rate_limit: {
    status: 429,
    type: 'rate_limit_error',
    message:
      "This request would exceed your organization's rate limit of {0} {1} per minute (org: {2}{3}). For details, refer to: https://docs.claude.com/en/api/rate-limits. You can see the response headers for current usage. Please reduce the prompt length or the maximum tokens requested, or try again later. You may also contact sales at https://claude.com/contact-sales to discuss your options for a rate limit increase.",
  },
  /** [DOC] store down under fail_closed */
  overloaded: { status: 529, type: 'overloaded_error', message: 'Overloaded' },
  /** [DOC] upstream faults: never their detail */
  api_error: { status: 500, type: 'api_error', message: 'Internal server error' },
  /** [INF] upstream timeout */
  timeout: { status: 504, type: 'timeout_error', message: 'Request timeout' },
} as const satisfies Record<string, AnthropicErrorSpec>;

export type AnthropicErrorCode = keyof typeof ANTHROPIC_ERRORS;

export interface AnthropicErrorBody {
  readonly type: string;
  readonly message: string;
}

export function anthropicError(code: AnthropicErrorCode, args: readonly string[] = []): AnthropicErrorBody {
  const spec: AnthropicErrorSpec = ANTHROPIC_ERRORS[code];
  const message = args.length === 0 ? spec.message : fillTemplate(spec.message, args);
  return { type: spec.type, message };
}

/** The error body, compact, keys in the API's order. */
export function formatAnthropicError(error: AnthropicErrorBody, requestId: string): string {
  return `{"type":"error","error":{"type":${JSON.stringify(error.type)},"message":${JSON.stringify(error.message)}},"request_id":${JSON.stringify(requestId)}}`;
}

/** `4000` → `4,000`, as the rate-limit message writes its limit. */
export function thousands(n: number): string {
  return Math.max(0, Math.floor(n)).toLocaleString('en-US');
}
