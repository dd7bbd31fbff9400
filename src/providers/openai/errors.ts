/**
 * Every error the OpenAI surface sends, as one coded registry (the fastify habit): a stable code,
 * the HTTP status, the OpenAI error `type`/`code`/`param`, the message template and the API layer
 * whose JSON formatting it uses (`current` = 2-space, no trailing newline;
 * `legacy` = 4-space + `\n`, `charset=utf-8`, `vary: Origin`). Texts are verbatim from recorded
 * answers; an error text is also a fingerprint, so nothing here may differ from the real API.
 */

export type OpenAILayer = 'current' | 'legacy';

export interface OpenAIErrorSpec {
  readonly status: number;
  readonly type: string;
  readonly code: string | null;
  readonly layer: OpenAILayer;
  /** message template; `{0}`, `{1}` … are replaced by the arguments */
  readonly message: string;
}

export const OPENAI_ERRORS = {
  missing_key: {
    status: 401,
    type: 'invalid_request_error',
    code: null,
    layer: 'current',
    message:
      "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.",
  },
  invalid_api_key: {
    status: 401,
    type: 'invalid_request_error',
    code: 'invalid_api_key',
    layer: 'current',
    message: 'Incorrect API key provided: {0}. You can find your API key at https://platform.openai.com/account/api-keys.',
  },
  // [OBS] an OpenAI-Organization header naming an org the key does not belong to
  mismatched_organization: {
    status: 401,
    type: 'invalid_request_error',
    code: 'mismatched_organization',
    layer: 'current',
    message: 'OpenAI-Organization header should match organization for API key',
  },
  insufficient_quota: {
    status: 429,
    type: 'insufficient_quota',
    code: 'insufficient_quota',
    layer: 'current',
    message:
      'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.',
  },
  rate_limit_requests: {
    status: 429,
    type: 'requests',
    code: 'rate_limit_exceeded',
    layer: 'current',
    // [OBS] the API names the model ("for gpt-4o-mini in organization …"); the gateway refuses before
    // it has read the body, so the model is left out — the rest is the recorded wording
    message:
      'Rate limit reached in organization {0} on requests per min (RPM): Limit {1}, Used {1}, Requested 1. Please try again in {2}. Visit https://platform.openai.com/account/rate-limits to learn more.',
  },
  invalid_url: {
    status: 404,
    type: 'invalid_request_error',
    code: null,
    layer: 'current',
    message: 'Invalid URL ({0} {1})',
  },
  invalid_method: {
    status: 405,
    type: 'invalid_request_error',
    code: null,
    layer: 'current',
    message: 'Invalid method for URL ({0} {1})',
  },
  invalid_json: {
    status: 400,
    type: 'invalid_request_error',
    code: null,
    layer: 'legacy',
    message:
      "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)",
  },
  // [INF] the real limit answer is not recorded; the envelope and layer follow the other 4xx
  body_too_large: {
    status: 413,
    type: 'invalid_request_error',
    code: 'request_too_large',
    layer: 'current',
    message: 'Request too large. The request body must be at most {0} bytes.',
  },
  // network policy: the answer OpenAI gives to a client it does not serve (unsupported region) [OBS]
  unsupported_region: {
    status: 403,
    type: 'request_forbidden',
    code: 'unsupported_country_region_territory',
    layer: 'current',
    message: 'Country, region, or territory not supported',
  },
  // store down under fail_closed, upstream faults [OBS: the engine-overloaded and server-error texts]
  overloaded: {
    status: 503,
    type: 'server_error',
    code: null,
    layer: 'current',
    message: 'The engine is currently overloaded, please try again later',
  },
  upstream_error: {
    status: 502,
    type: 'server_error',
    code: null,
    layer: 'current',
    message: 'The server had an error while processing your request. Sorry about that!',
  },
  upstream_timeout: {
    status: 504,
    type: 'server_error',
    code: null,
    layer: 'current',
    message: 'Request timed out.',
  },
} as const satisfies Record<string, OpenAIErrorSpec>;

export type OpenAIErrorCode = keyof typeof OPENAI_ERRORS;

export interface OpenAIErrorBody {
  readonly message: string;
  readonly type: string;
  readonly param: string | null;
  readonly code: string | null;
}

/**
 * Each message template split once at its `{n}` placeholders: even entries are literal text, odd
 * entries the argument index (a regex replace per error was ~1% of the reject path, issue 11).
 */
const TEMPLATES: ReadonlyMap<string, readonly (string | number)[]> = new Map(
  Object.entries(OPENAI_ERRORS as Record<string, OpenAIErrorSpec>).map(([code, spec]) => [
    code,
    spec.message.split(/\{(\d)\}/).map((part, i) => (i % 2 === 1 ? Number(part) : part)),
  ]),
);

export function openaiError(code: OpenAIErrorCode, args: readonly string[] = [], param: string | null = null): OpenAIErrorBody {
  const spec: OpenAIErrorSpec = OPENAI_ERRORS[code];
  let message = spec.message;
  if (args.length > 0) {
    message = '';
    for (const part of TEMPLATES.get(code) ?? [spec.message]) message += typeof part === 'number' ? (args[part] ?? '') : part;
  }
  return { message, type: spec.type, param, code: spec.code };
}
