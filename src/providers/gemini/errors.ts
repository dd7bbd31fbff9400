/**
 * Every error the Gemini provider sends, as a registry of codes: Google's error object
 * (google.rpc.Status as JSON: `{"error": {"code", "message", "status", "details"}}`) with the
 * HTTP status, the canonical status name, a message template and the `details` entries Google adds
 * (ErrorInfo, LocalizedMessage, BadRequest, QuotaFailure, Help, RetryInfo). `{0}`, `{1}` … are
 * filled from the arguments. Evidence: [REC] recorded answers, [OBS] texts observed in public
 * reports, [INF] inferred from Google's error model.
 */
import { fillTemplate } from '../../util/template.js';

export type GeminiStatus =
  | 'INVALID_ARGUMENT'
  | 'UNAUTHENTICATED'
  | 'FAILED_PRECONDITION'
  | 'PERMISSION_DENIED'
  | 'NOT_FOUND'
  | 'RESOURCE_EXHAUSTED'
  | 'INTERNAL'
  | 'UNAVAILABLE'
  | 'DEADLINE_EXCEEDED';

export type GeminiErrorCode =
  | 'missing_key'
  | 'api_key_invalid'
  | 'oauth_invalid'
  | 'service_disabled'
  | 'location_unsupported'
  | 'quota_minute'
  | 'quota_day'
  | 'model_not_found'
  | 'invalid_json'
  | 'unknown_field'
  | 'invalid_value'
  | 'contents_missing'
  | 'parts_empty'
  | 'invalid_role'
  | 'input_too_long'
  | 'max_tokens_range'
  | 'thinking_only'
  | 'thinking_budget_range'
  | 'json_mime_required'
  | 'candidate_count'
  | 'tts_only'
  | 'batch_model_mismatch'
  | 'requests_missing'
  | 'page_token'
  | 'body_too_large'
  | 'internal'
  | 'overloaded'
  | 'deadline';

export type GeminiDetailKind = 'key_invalid' | 'oauth' | 'bad_request' | 'quota' | 'service_disabled';

export interface GeminiErrorSpec {
  readonly status: number;
  readonly grpc: GeminiStatus;
  readonly message: string;
  readonly details?: GeminiDetailKind;
}

const KEY_INVALID = 'API key not valid. Please pass a valid API key.';
const QUOTA_TEXT =
  'You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits. To monitor your current usage, head to: https://ai.dev/usage?tab=rate-limit. \n* Quota exceeded for metric: {0}, limit: {1}, model: {2}\nPlease retry in {3}.';

export const GEMINI_ERRORS: Readonly<Record<GeminiErrorCode, GeminiErrorSpec>> = {
  // [REC 2025-08] a request without any key
  missing_key: {
    status: 403,
    grpc: 'PERMISSION_DENIED',
    message: "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
  },
  // [OBS 2025-2026] ErrorInfo + LocalizedMessage, service in the metadata
  api_key_invalid: { status: 400, grpc: 'INVALID_ARGUMENT', message: KEY_INVALID, details: 'key_invalid' },
  // [OBS] an API key (or anything else) sent as `Authorization: Bearer` on the native API
  oauth_invalid: {
    status: 401,
    grpc: 'UNAUTHENTICATED',
    message:
      'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
    details: 'oauth',
  },
  // [OBS] {0} = project number
  service_disabled: {
    status: 403,
    grpc: 'PERMISSION_DENIED',
    message:
      'Generative Language API has not been used in project {0} before or it is disabled. Enable it by visiting https://console.developers.google.com/apis/api/generativelanguage.googleapis.com/overview?project={0} then retry. If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry.',
    details: 'service_disabled',
  },
  // [OBS] the answer outside the supported countries
  location_unsupported: { status: 400, grpc: 'FAILED_PRECONDITION', message: 'User location is not supported for the API use.' },
  // [OBS 2025] {0} metric, {1} limit, {2} model, {3} retry delay ("12.5s"); details carry the quota id
  quota_minute: { status: 429, grpc: 'RESOURCE_EXHAUSTED', message: QUOTA_TEXT, details: 'quota' },
  quota_day: { status: 429, grpc: 'RESOURCE_EXHAUSTED', message: QUOTA_TEXT, details: 'quota' },
  // [OBS] {0} model id, {1} API version, {2} method
  model_not_found: {
    status: 404,
    grpc: 'NOT_FOUND',
    message: 'models/{0} is not found for API version {1}, or is not supported for {2}. Call ListModels to see the list of available models and their supported methods.',
  },
  // [INF, Google ESF] {0} the reason, {1} the context line and caret
  invalid_json: { status: 400, grpc: 'INVALID_ARGUMENT', message: 'Invalid JSON payload received. {0}\n{1}', details: 'bad_request' },
  // [OBS] {0} the field name, {1} " at 'path'" or ""
  unknown_field: { status: 400, grpc: 'INVALID_ARGUMENT', message: 'Invalid JSON payload received. Unknown name "{0}"{1}: Cannot find field.', details: 'bad_request' },
  // [OBS] {0} path, {1} proto type, {2} the value as written
  invalid_value: { status: 400, grpc: 'INVALID_ARGUMENT', message: "Invalid value at '{0}' ({1}), {2}", details: 'bad_request' },
  // [OBS]
  contents_missing: { status: 400, grpc: 'INVALID_ARGUMENT', message: '* GenerateContentRequest.contents: contents is not specified\n' },
  // [OBS] {0} index
  parts_empty: { status: 400, grpc: 'INVALID_ARGUMENT', message: '* GenerateContentRequest.contents[{0}].parts: contents.parts must not be empty.\n' },
  // [OBS]
  invalid_role: { status: 400, grpc: 'INVALID_ARGUMENT', message: 'Please use a valid role: user, model.' },
  // [OBS] {0} counted tokens, {1} the model's window
  input_too_long: { status: 400, grpc: 'INVALID_ARGUMENT', message: 'The input token count ({0}) exceeds the maximum number of tokens allowed ({1}).' },
  // [OBS] {0} the value, {1} the exclusive upper bound
  max_tokens_range: {
    status: 400,
    grpc: 'INVALID_ARGUMENT',
    message: 'Unable to submit request because it has a maxOutputTokens value of {0} but the supported range is from 1 (inclusive) to {1} (exclusive). Update the value and try again.',
  },
  // [OBS] 2.5 Pro and the 3 Pro previews cannot switch thinking off
  thinking_only: { status: 400, grpc: 'INVALID_ARGUMENT', message: 'Budget 0 is invalid. This model only works in thinking mode.' },
  // [INF] {0} budget, {1} min, {2} max
  thinking_budget_range: { status: 400, grpc: 'INVALID_ARGUMENT', message: 'The thinking budget {0} is invalid. Please choose a value between {1} and {2}.' },
  // [OBS]
  json_mime_required: {
    status: 400,
    grpc: 'INVALID_ARGUMENT',
    message: 'Unable to submit request because responseSchema field is only supported when the response_mime_type is set to application/json or text/x.enum. Learn more: https://ai.google.dev/gemini-api/docs/structured-output',
  },
  // [OBS] a speech model asked for text
  tts_only: { status: 400, grpc: 'INVALID_ARGUMENT', message: 'Model tried to generate text, but it should only be used for TTS.' },
  // [INF] {0} the value
  candidate_count: { status: 400, grpc: 'INVALID_ARGUMENT', message: 'Only one candidate can be specified in the current model' },
  // [INF] batch items must name the batch's model
  batch_model_mismatch: { status: 400, grpc: 'INVALID_ARGUMENT', message: '* BatchEmbedContentsRequest.model: unexpected model name format\n' },
  requests_missing: { status: 400, grpc: 'INVALID_ARGUMENT', message: '* BatchEmbedContentsRequest.requests: requests is not specified\n' },
  page_token: { status: 400, grpc: 'INVALID_ARGUMENT', message: 'Invalid page token.' },
  // [INF, Google ESF] {0} the limit in bytes
  body_too_large: { status: 400, grpc: 'INVALID_ARGUMENT', message: 'Request payload size exceeds the limit: {0} bytes.' },
  // [OBS] the API's 500 text
  internal: { status: 500, grpc: 'INTERNAL', message: 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting' },
  // [OBS]
  overloaded: { status: 503, grpc: 'UNAVAILABLE', message: 'The model is overloaded. Please try again later.' },
  // [OBS]
  deadline: { status: 504, grpc: 'DEADLINE_EXCEEDED', message: 'Deadline expired before operation could complete.' },
};

/** Arguments a detail entry needs beyond the message. */
export interface ErrorContext {
  /** quota errors */
  readonly quota?: { readonly metric: string; readonly quotaId: string; readonly model: string; readonly value: string; readonly retrySeconds: number };
  /** service_disabled */
  readonly projectNumber?: string;
  /** bad_request: the field a violation names (`invalid_value`) */
  readonly field?: string;
}


/** The `error` object: code, message, status and details in Google's order. */
export function geminiErrorObject(code: GeminiErrorCode, args: readonly string[] = [], ctx: ErrorContext = {}): Record<string, unknown> {
  const spec = GEMINI_ERRORS[code];
  const message = fillTemplate(spec.message, args);
  const error: Record<string, unknown> = { code: spec.status, message, status: spec.grpc };
  const details = detailsFor(spec.details, message, ctx);
  if (details) error['details'] = details;
  return { error };
}

function detailsFor(kind: GeminiDetailKind | undefined, message: string, ctx: ErrorContext): unknown[] | undefined {
  switch (kind) {
    case undefined:
      return undefined;
    case 'key_invalid':
      return [
        { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com', metadata: { service: 'generativelanguage.googleapis.com' } },
        { '@type': 'type.googleapis.com/google.rpc.LocalizedMessage', locale: 'en-US', message },
      ];
    case 'oauth':
      return [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'ACCESS_TOKEN_TYPE_UNSUPPORTED', domain: 'googleapis.com', metadata: { service: 'generativelanguage.googleapis.com' } }];
    case 'bad_request':
      return [
        {
          '@type': 'type.googleapis.com/google.rpc.BadRequest',
          fieldViolations: [ctx.field !== undefined ? { field: ctx.field, description: message } : { description: message }],
        },
      ];
    case 'quota': {
      const q = ctx.quota ?? { metric: 'generativelanguage.googleapis.com/generate_content_paid_tier_requests', quotaId: 'GenerateRequestsPerMinutePerProjectPerModel', model: 'gemini-2.5-flash', value: '1000', retrySeconds: 30 };
      return [
        {
          '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
          violations: [{ quotaMetric: q.metric, quotaId: q.quotaId, quotaDimensions: { location: 'global', model: q.model }, quotaValue: q.value }],
        },
        { '@type': 'type.googleapis.com/google.rpc.Help', links: [{ description: 'Learn more about Gemini API quotas', url: 'https://ai.google.dev/gemini-api/docs/rate-limits' }] },
        { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${Math.max(0, Math.floor(q.retrySeconds))}s` },
      ];
    }
    case 'service_disabled': {
      const p = ctx.projectNumber ?? '0';
      const url = `https://console.developers.google.com/apis/api/generativelanguage.googleapis.com/overview?project=${p}`;
      return [
        {
          '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
          reason: 'SERVICE_DISABLED',
          domain: 'googleapis.com',
          metadata: { consumer: `projects/${p}`, service: 'generativelanguage.googleapis.com', activationUrl: url, containerInfo: p, serviceTitle: 'Generative Language API' },
        },
        { '@type': 'type.googleapis.com/google.rpc.LocalizedMessage', locale: 'en-US', message },
        { '@type': 'type.googleapis.com/google.rpc.Help', links: [{ description: 'Google developers console API activation', url }] },
      ];
    }
    default: {
      const never: never = kind;
      return never;
    }
  }
}

/** The HTML page Google's front end answers for a URL no API maps (status 404). */
export function notFoundPage(path: string): string {
  const safe = path.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`).slice(0, 2048);
  return (
    '<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n  <meta name=viewport content="initial-scale=1, minimum-scale=1, width=device-width">\n' +
    '  <title>Error 404 (Not Found)!!1</title>\n  <style>\n' +
    '    *{margin:0;padding:0}html,code{font:15px/22px arial,sans-serif}html{background:#fff;color:#222;padding:15px}body{margin:7% auto 0;max-width:390px;min-height:180px;padding:30px 0 15px}* > body{background:url(//www.google.com/images/errors/robot.png) 100% 5px no-repeat;padding-right:205px}p{margin:11px 0 22px;overflow:hidden}ins{color:#777;text-decoration:none}a img{border:0}@media screen and (max-width:772px){body{background:none;margin-top:0;max-width:none;padding-right:0}}#logo{background:url(//www.google.com/images/branding/googlelogo/1x/googlelogo_color_150x54dp.png) no-repeat;margin-left:-5px}@media only screen and (min-resolution:192dpi){#logo{background:url(//www.google.com/images/branding/googlelogo/2x/googlelogo_color_150x54dp.png) no-repeat 0% 0%/100% 100%;-moz-border-image:url(//www.google.com/images/branding/googlelogo/2x/googlelogo_color_150x54dp.png) 0}}@media only screen and (-webkit-min-device-pixel-ratio:2){#logo{background:url(//www.google.com/images/branding/googlelogo/2x/googlelogo_color_150x54dp.png) no-repeat;-webkit-background-size:100% 100%}}#logo{display:inline-block;height:54px;width:150px}\n' +
    '  </style>\n  <a href=//www.google.com/><span id=logo aria-label=Google></span></a>\n' +
    '  <p><b>404.</b> <ins>That\u2019s an error.</ins>\n' +
    `  <p>The requested URL <code>${safe}</code> was not found on this server.  <ins>That\u2019s all we know.</ins>\n`
  );
}
