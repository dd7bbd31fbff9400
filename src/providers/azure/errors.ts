/**
 * Every error the Azure OpenAI provider sends, as one coded registry: status, reason phrase, the
 * header family (`edge`: the API gateway's own answers, `service`: the Cognitive Services front
 * end, `model`: answers of a deployment) and the exact body bytes. Azure writes three body shapes:
 * - the gateway's compact `{"error":{"code":"401","message":"…"}}` (code a string);
 * - the service's 2-space pretty-printed `{"error":{"type","code","message"}}` (DeploymentNotFound,
 *   sent chunked without a content type) [REC 2026-03];
 * - the model's OpenAI-shaped `{"error":{"message","type","param","code"}}`, compact.
 * Evidence: [REC] recorded, [OBS] quoted in public reports, [INF] inferred.
 */

export type AzureErrorFamily = 'edge' | 'service' | 'model';

export interface AzureErrorSpec {
  readonly status: number;
  /** the HTTP reason phrase (Azure's gateway writes its own for 401) */
  readonly reason?: string;
  readonly family: AzureErrorFamily;
  /** body template; `{0}`, `{1}` … are replaced by JSON-escaped arguments (without quotes) */
  readonly body: string;
  /** sent chunked without Content-Type (the service family's 404) */
  readonly bare?: boolean;
}

const INVALID_KEY_MESSAGE =
  'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.';

export const AZURE_ERRORS = {
  // [REC 2026-03] status line "401 PermissionDenied", Content-Length, Content-Type, Date, apim-request-id
  invalid_key: { status: 401, reason: 'PermissionDenied', family: 'edge', body: `{"error":{"code":"401","message":"${INVALID_KEY_MESSAGE}"}}` },
  // [OBS] the gateway's answer without any key
  missing_key: {
    status: 401,
    reason: 'PermissionDenied',
    family: 'edge',
    body: '{"error":{"code":"401","message":"Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API."}}',
  },
  // [OBS] an Entra ID token Azure cannot verify (unknown tenant, bad signature, expired)
  invalid_token: {
    status: 401,
    reason: 'PermissionDenied',
    family: 'edge',
    body: '{"error":{"code":"401","message":"Unauthorized. Access token is missing, invalid, audience is incorrect (https://cognitiveservices.azure.com), or have expired."}}',
  },
  // [OBS] note the space after "message": in Azure's own bytes; 56 bytes
  resource_not_found: { status: 404, family: 'edge', body: '{"error":{"code":"404","message": "Resource not found"}}' },
  // [OBS]
  api_version_unsupported: { status: 400, family: 'service', body: '{"error":{"code":"BadRequest","message":"API version not supported"}}' },
  // [OBS] reasoning models on an old data-plane version; the literal {modelName} is Azure's own unfilled template
  model_needs_newer_version: {
    status: 400,
    family: 'service',
    body: '{"error":{"code":"BadRequest","message":"Model {modelName} is enabled only for api versions 2024-12-01-preview and later"}}',
  },
  // [REC 2026-03] chunked, no Content-Type, pretty-printed
  deployment_not_found: {
    status: 404,
    family: 'service',
    bare: true,
    body: '{\n  "error": {\n    "type": "invalid_request_error",\n    "code": "DeploymentNotFound",\n    "message": "The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again."\n  }\n}',
  },
  // [OBS] the 2025 wording; {0} deployment, {1} model, {2} region display name, {3} operation, {4} api version, {5} seconds
  token_rate_limit: {
    status: 429,
    family: 'model',
    body: '{"error":{"code":"429","message":"Your requests to {0} for {1} in {2} have exceeded the token rate limit for your current AIServices S0 pricing tier. This request was for {3} under Azure OpenAI API version {4}. Please retry after {5} seconds. To increase your default rate limit, visit: https://aka.ms/oai/quotaincrease."}}',
  },
  call_rate_limit: {
    status: 429,
    family: 'model',
    body: '{"error":{"code":"429","message":"Your requests to {0} for {1} in {2} have exceeded the call rate limit for your current AIServices S0 pricing tier. This request was for {3} under Azure OpenAI API version {4}. Please retry after {5} seconds. To increase your default rate limit, visit: https://aka.ms/oai/quotaincrease."}}',
  },
  // [OBS] a resource behind its network rules
  network_denied: { status: 403, family: 'edge', body: '{"error":{"code":"403","message":"Access denied due to Virtual Network/Firewall rules."}}' },
  // [OBS] the prompt filter; content_filter_result names the category that fired
  content_filter: {
    status: 400,
    family: 'model',
    body: '{"error":{"message":"The response was filtered due to the prompt triggering Azure OpenAI\'s content management policy. Please modify your prompt and retry. To learn more about our content filtering policies please read our documentation: https://go.microsoft.com/fwlink/?linkid=2198766","type":null,"param":"prompt","code":"content_filter","status":400,"innererror":{"code":"ResponsibleAIPolicyViolation","content_filter_result":{"hate":{"filtered":false,"severity":"safe"},"jailbreak":{"filtered":true,"detected":true},"self_harm":{"filtered":false,"severity":"safe"},"sexual":{"filtered":false,"severity":"safe"},"violence":{"filtered":false,"severity":"safe"}}}}}',
  },
  // [INF] a body that is not JSON, as the model layer words it
  invalid_json: {
    status: 400,
    family: 'model',
    body: '{"error":{"message":"We could not parse the JSON body of your request. (HINT: This likely means you aren\'t using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)","type":"invalid_request_error","param":null,"code":null}}',
  },
  // [INF] the gateway's size limit
  body_too_large: { status: 413, family: 'edge', body: '{"error":{"code":"RequestEntityTooLarge","message":"The request entity is too large. The maximum size is {0} bytes."}}' },
  // [OBS] service faults
  overloaded: {
    status: 503,
    family: 'service',
    body: '{"error":{"code":"ServiceUnavailable","message":"The service is temporarily unable to process your request. Please try again later."}}',
  },
  upstream_error: {
    status: 500,
    family: 'model',
    body: '{"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}',
  },
  upstream_timeout: { status: 408, family: 'service', body: '{"error":{"code":"Timeout","message":"The operation was timeout."}}' },
} as const satisfies Record<string, AzureErrorSpec>;

export type AzureErrorCode = keyof typeof AZURE_ERRORS;

/** Templates split once at their `{n}` placeholders: even entries literal, odd ones argument indexes. */
const TEMPLATES: ReadonlyMap<string, readonly (string | number)[]> = new Map(
  Object.entries(AZURE_ERRORS as Record<string, AzureErrorSpec>).map(([code, spec]) => [
    code,
    spec.body.split(/\{(\d)\}/).map((part, i) => (i % 2 === 1 ? Number(part) : part)),
  ]),
);

/** JSON string content without the quotes. */
function escapeJson(value: string): string {
  return JSON.stringify(value).slice(1, -1);
}

/** The exact body of an error, arguments JSON-escaped. */
export function azureErrorBody(code: AzureErrorCode, args: readonly string[] = []): string {
  const spec: AzureErrorSpec = AZURE_ERRORS[code];
  if (args.length === 0) return spec.body;
  let out = '';
  for (const part of TEMPLATES.get(code) ?? [spec.body]) out += typeof part === 'number' ? escapeJson(args[part] ?? '') : part;
  return out;
}

/** The operation names Azure's throttling message uses. */
export function operationName(op: string): string {
  switch (op) {
    case 'chat.completions':
      return 'ChatCompletions_Create';
    case 'completions':
      return 'Completions_Create';
    case 'embeddings':
      return 'Embeddings_Create';
    case 'images.generations':
      return 'ImageGenerations_Create';
    case 'responses':
      return 'Responses_Create';
    default:
      return 'ChatCompletions_Create';
  }
}
