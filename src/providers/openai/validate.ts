/**
 * OpenAI request validation as a real paid account sees it (issue 3),
 * at no cost: the decoy answers a lure request that the real API would refuse with the same refusal,
 * so a thief's client cannot tell the decoy by what it accepts.
 *
 * The order follows the two layers of the API. The legacy routing layer answers first
 * (no model → 400 "you must provide a model parameter"; unknown model → 404 `model_not_found` with
 * backticks; a model on the wrong endpoint → 404/403), then the current validation layer (2-space
 * JSON): missing required parameters, unknown parameters, then every parameter in name order — type,
 * bounds, what the model refuses. That order is the one a third party measured on the direct API
 * (2026-08, public test file): missing messages beats an unknown key, an unknown key beats a bad type
 * or an empty messages array, `n` before `stop` before `temperature`.
 *
 * Evidence tags on each message: [REC] recorded, [OBS] quoted from public issues/captures,
 * [INF] inferred from the API's own message patterns. Never throws, whatever the body.
 */
import { isReasoningModel, isRetiredModel, maxCompletionTokens, modelKind, refusesStop } from '../../deception/models.js';
import type { OpenAIPersona } from '../../deception/persona.js';

export type ValidatedEndpoint = 'chat.completions' | 'completions' | 'responses' | 'embeddings';

export interface OpenAIErrorAnswer {
  readonly status: number;
  readonly error: { readonly message: string; readonly type: string; readonly param: string | null; readonly code: string | null };
  /** which layer's JSON formatting the answer uses */
  readonly layer: 'current' | 'legacy';
}

type Json = Record<string, unknown>;

/** How many messages / inputs are inspected; longer arrays are checked up to here (bounded work). */
const MAX_ITEMS = 4096;
const API_REFERENCE = 'Please check the API reference: https://platform.openai.com/docs/api-reference.';
const ROLES = ['system', 'assistant', 'user', 'function', 'tool', 'developer'] as const;

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function answer(status: number, message: string, param: string | null, code: string | null, layer: 'current' | 'legacy' = 'current'): OpenAIErrorAnswer {
  return { status, error: { message, type: 'invalid_request_error', param, code }, layer };
}

/** "a string", "an integer", "a decimal number" … as the API names a received value [OBS]. */
function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  switch (typeof v) {
    case 'string':
      return 'a string';
    case 'boolean':
      return 'a boolean';
    case 'number':
      return Number.isInteger(v) ? 'an integer' : 'a decimal number';
    case 'object':
      return 'an object';
    default:
      return 'an unknown value';
  }
}

/** A number as the API prints it back ("got 0 instead", "got 2.5 instead"). */
function num(v: number): string {
  return Object.is(v, -0) ? '0' : String(v);
}

/** Long values are echoed as first 3 + `...` + last 3 characters [OBS; the length threshold is INF]. */
function echo(value: string): string {
  const chars = Array.from(value);
  return chars.length > 20 ? `${chars.slice(0, 3).join('')}...${chars.slice(-3).join('')}` : value;
}

function quoteList(values: readonly string[], last: 'and' | 'or'): string {
  const q = values.map((v) => `'${v}'`);
  return q.length <= 1 ? (q[0] ?? '') : `${q.slice(0, -1).join(', ')}, ${last} ${q[q.length - 1] ?? ''}`;
}

function invalidType(param: string, expected: string, value: unknown): OpenAIErrorAnswer {
  // [OBS] "Invalid type for 'n': expected an integer, but got a string instead."
  return answer(400, `Invalid type for '${param}': expected ${expected}, but got ${typeName(value)} instead.`, param, 'invalid_type');
}

function missing(param: string): OpenAIErrorAnswer {
  // [REC] "Missing required parameter: 'messages[1].content[0].type'."
  return answer(400, `Missing required parameter: '${param}'.`, param, 'missing_required_parameter');
}

function outOfRange(param: string, kind: 'integer' | 'decimal', side: 'below' | 'above', bound: number, value: number): OpenAIErrorAnswer {
  // [REC] "Invalid 'temperature': decimal below minimum value. Expected a value >= 0, but got -1 instead."
  // [OBS] "Invalid 'max_tokens': integer below minimum value. Expected a value >= 1, but got 0 instead."
  const what = side === 'below' ? `${kind} below minimum value. Expected a value >= ${num(bound)}` : `${kind} above maximum value. Expected a value <= ${num(bound)}`;
  return answer(400, `Invalid '${param}': ${what}, but got ${num(value)} instead.`, param, `${kind}_${side}_${side === 'below' ? 'min' : 'max'}_value`);
}

type FieldType = 'decimal' | 'integer' | 'boolean' | 'string' | 'object' | 'array' | 'object-array' | 'string-or-array' | 'any';

interface FieldRule {
  readonly type: FieldType;
  readonly min?: number;
  readonly max?: number;
}

const EXPECTED: Readonly<Record<Exclude<FieldType, 'any'>, string>> = {
  decimal: 'a decimal',
  integer: 'an integer',
  boolean: 'a boolean',
  string: 'a string',
  object: 'an object',
  array: 'an array',
  'object-array': 'an array of objects',
  'string-or-array': 'one of a string or array of strings',
};

function typeOk(type: FieldType, v: unknown): boolean {
  switch (type) {
    case 'decimal':
      return typeof v === 'number' && Number.isFinite(v);
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'string':
      return typeof v === 'string';
    case 'object':
      return isObject(v);
    case 'array':
    case 'object-array':
      return Array.isArray(v);
    case 'string-or-array':
      return typeof v === 'string' || Array.isArray(v);
    case 'any':
      return true;
    default: {
      const never: never = type;
      return never;
    }
  }
}

/** Type, then bounds; null values are accepted (every optional parameter is nullable [SRC]). */
function checkField(param: string, rule: FieldRule, v: unknown): OpenAIErrorAnswer | null {
  if (v === null || v === undefined) return null;
  if (rule.type !== 'any' && !typeOk(rule.type, v)) return invalidType(param, EXPECTED[rule.type], v);
  if (typeof v === 'number' && (rule.type === 'decimal' || rule.type === 'integer')) {
    if (rule.min !== undefined && v < rule.min) return outOfRange(param, rule.type, 'below', rule.min, v);
    if (rule.max !== undefined && v > rule.max) return outOfRange(param, rule.type, 'above', rule.max, v);
  }
  return null;
}

/** Chat Completions parameters (openai-python Aug 2026) [SRC]; bounds [DOC], n ≤ 128 [INF]. */
const CHAT_FIELDS: Readonly<Record<string, FieldRule>> = {
  audio: { type: 'object' },
  frequency_penalty: { type: 'decimal', min: -2, max: 2 },
  function_call: { type: 'any' },
  functions: { type: 'object-array' },
  logit_bias: { type: 'object' },
  logprobs: { type: 'boolean' },
  max_completion_tokens: { type: 'integer', min: 1 },
  max_tokens: { type: 'integer', min: 1 },
  messages: { type: 'any' },
  metadata: { type: 'object' },
  modalities: { type: 'array' },
  model: { type: 'any' },
  moderation: { type: 'object' },
  n: { type: 'integer', min: 1, max: 128 },
  parallel_tool_calls: { type: 'boolean' },
  prediction: { type: 'object' },
  presence_penalty: { type: 'decimal', min: -2, max: 2 },
  prompt_cache_key: { type: 'string' },
  prompt_cache_options: { type: 'object' },
  prompt_cache_retention: { type: 'any' },
  reasoning_effort: { type: 'any' },
  response_format: { type: 'object' },
  safety_identifier: { type: 'string' },
  seed: { type: 'integer' },
  service_tier: { type: 'any' },
  stop: { type: 'string-or-array' },
  store: { type: 'boolean' },
  stream: { type: 'boolean' },
  stream_options: { type: 'object' },
  temperature: { type: 'decimal', min: 0, max: 2 },
  tool_choice: { type: 'any' },
  tools: { type: 'object-array' },
  top_logprobs: { type: 'integer', min: 0, max: 20 },
  top_p: { type: 'decimal', min: 0, max: 1 },
  user: { type: 'string' },
  verbosity: { type: 'any' },
  web_search_options: { type: 'object' },
};
const CHAT_FIELD_ORDER = Object.keys(CHAT_FIELDS).sort();

/**
 * The body's parameters in the order they are checked (`order`, sorted): the body's own keys,
 * sorted the same way, when there are no more of them than known fields — the first failing one is
 * then the same, since an absent parameter never fails (null and undefined pass every rule below).
 * A chat body has ~3 of the 37 fields; reading all 37 of every body was most of validateChat's
 * 1.5% of the lure path's profile (issue 11). Keys that are not fields are skipped by the callers
 * (checkUnknown has refused them already).
 */
function presentFields(body: Json, order: readonly string[]): readonly string[] {
  const keys = Object.keys(body);
  return keys.length <= order.length ? keys.sort() : order;
}

/** Legacy completions: typed and bounded, unknown parameters tolerated (that API was lax) [INF]. */
const COMPLETION_FIELDS: Readonly<Record<string, FieldRule>> = {
  best_of: { type: 'integer', min: 0, max: 20 },
  echo: { type: 'boolean' },
  frequency_penalty: { type: 'decimal', min: -2, max: 2 },
  logprobs: { type: 'integer', min: 0, max: 5 },
  max_tokens: { type: 'integer', min: 0 },
  n: { type: 'integer', min: 1, max: 128 },
  presence_penalty: { type: 'decimal', min: -2, max: 2 },
  seed: { type: 'integer' },
  stop: { type: 'string-or-array' },
  stream: { type: 'boolean' },
  suffix: { type: 'string' },
  temperature: { type: 'decimal', min: 0, max: 2 },
  top_p: { type: 'decimal', min: 0, max: 1 },
  user: { type: 'string' },
};

const COMPLETION_FIELD_ORDER = Object.keys(COMPLETION_FIELDS).sort();

/** Responses parameters that are checked; `max_output_tokens` ≥ 16 [INF]. */
const RESPONSES_FIELDS: Readonly<Record<string, FieldRule>> = {
  background: { type: 'boolean' },
  instructions: { type: 'any' },
  max_output_tokens: { type: 'integer', min: 16 },
  max_tool_calls: { type: 'integer', min: 1 },
  metadata: { type: 'object' },
  parallel_tool_calls: { type: 'boolean' },
  previous_response_id: { type: 'string' },
  store: { type: 'boolean' },
  stream: { type: 'boolean' },
  temperature: { type: 'decimal', min: 0, max: 2 },
  tools: { type: 'object-array' },
  top_logprobs: { type: 'integer', min: 0, max: 20 },
  top_p: { type: 'decimal', min: 0, max: 1 },
  user: { type: 'string' },
};

const RESPONSES_FIELD_ORDER = Object.keys(RESPONSES_FIELDS).sort();

/** The legacy layer's model checks, shared by chat, completions and embeddings. */
function legacyModelCheck(endpoint: 'chat.completions' | 'completions' | 'embeddings', body: Json, persona: Pick<OpenAIPersona, 'resolveModel'>): OpenAIErrorAnswer | string {
  const model = body['model'];
  // [OBS, legacy 4-space dump in public issues] no `model` at all
  if (model === undefined || model === null || model === '') return answer(400, 'you must provide a model parameter', null, null, 'legacy');
  if (typeof model !== 'string') return invalidType('model', 'a string', model);
  // [REC 2026-01] a retired snapshot names its deprecation, same status, code and layer
  if (isRetiredModel(model)) {
    return { status: 404, error: { message: `The model \`${model}\` has been deprecated, learn more here: https://platform.openai.com/docs/deprecations`, type: 'invalid_request_error', param: null, code: 'model_not_found' }, layer: 'legacy' };
  }
  // [REC] unknown model on chat/embeddings/completions: 404, backticks, legacy layer
  if (persona.resolveModel(model) === null) {
    return { status: 404, error: { message: `The model \`${model}\` does not exist or you do not have access to it.`, type: 'invalid_request_error', param: null, code: 'model_not_found' }, layer: 'legacy' };
  }
  const kind = modelKind(model);
  if (endpoint === 'chat.completions') {
    // [OBS 2024–2026] both texts, 404, param model, code null
    if (kind === 'responses-only') return answer(404, 'This model is only supported in v1/responses and not in v1/chat/completions.', 'model', null, 'legacy');
    if (kind !== 'chat') return answer(404, 'This is not a chat model and thus not supported in the v1/chat/completions endpoint. Did you mean to use v1/completions?', 'model', null, 'legacy');
  } else if (endpoint === 'completions') {
    // [OBS 2023–2024] 404, param model, code null
    if (kind !== 'completion') return answer(404, 'This is a chat model and not supported in the v1/completions endpoint. Did you mean to use v1/chat/completions?', 'model', null, 'legacy');
  } else if (kind !== 'embedding') {
    // [OBS] 403 with param and code null
    return answer(403, 'You are not allowed to generate embeddings from this model', null, null, 'legacy');
  }
  return model;
}

function checkUnknown(body: Json, known: Readonly<Record<string, FieldRule>>): OpenAIErrorAnswer | null {
  let n = 0;
  for (const key of Object.keys(body)) {
    if (++n > MAX_ITEMS) break;
    // [OBS 2026-08 direct-API capture] "Unknown parameter: 'zzz_unknown'."
    if (body[key] !== undefined && !Object.prototype.hasOwnProperty.call(known, key)) return answer(400, `Unknown parameter: '${echo(key)}'.`, key, 'unknown_parameter');
  }
  return null;
}

/** A message's parameter path, made only for an error. */
function messageAt(i: number): string {
  return `messages[${i}]`;
}

function checkMessages(messages: unknown): OpenAIErrorAnswer | null {
  if (!Array.isArray(messages)) return invalidType('messages', 'an array of objects', messages);
  // [OBS] empty_array
  if (messages.length === 0) return answer(400, "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.", 'messages', 'empty_array');
  let toolCallsSeen = false;
  const limit = Math.min(messages.length, MAX_ITEMS);
  for (let i = 0; i < limit; i++) {
    const m: unknown = messages[i];
    if (!isObject(m)) return invalidType(messageAt(i), 'an object', m);
    const role = m['role'];
    if (role === undefined) return missing(`${messageAt(i)}.role`);
    if (typeof role !== 'string') return invalidType(`${messageAt(i)}.role`, `one of ${quoteList(ROLES, 'or')}`, role);
    // [OBS] "Invalid value: 'foobar'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'."
    if (!(ROLES as readonly string[]).includes(role)) return answer(400, `Invalid value: '${echo(role)}'. Supported values are: ${quoteList(ROLES, 'and')}.`, `${messageAt(i)}.role`, 'invalid_value');
    const content = m['content'];
    // [OBS] "expected one of a string or array of objects, but got an integer instead."
    if (content !== undefined && content !== null && typeof content !== 'string' && !Array.isArray(content)) {
      return invalidType(`${messageAt(i)}.content`, 'one of a string or array of objects', content);
    }
    if (role === 'assistant' && Array.isArray(m['tool_calls']) && m['tool_calls'].length > 0) toolCallsSeen = true;
    if (role === 'tool') {
      // [OBS, the API's own spelling] a tool result with no tool call before it
      if (!toolCallsSeen) return answer(400, "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.", `messages.[${i}].role`, null);
      if (m['tool_call_id'] === undefined || m['tool_call_id'] === null) return missing(`${messageAt(i)}.tool_call_id`);
    }
  }
  return null;
}

/** Parameters reasoning models refuse [OBS: public captures]. */
function reasoningRefusal(model: string, param: string, v: unknown): OpenAIErrorAnswer | null {
  if (v === undefined || v === null) return null;
  const unsupported = (p: string, hint = ''): OpenAIErrorAnswer => answer(400, `Unsupported parameter: '${p}' is not supported with this model.${hint}`, p, 'unsupported_parameter');
  switch (param) {
    case 'max_tokens':
      return unsupported('max_tokens', " Use 'max_completion_tokens' instead.");
    case 'temperature':
    case 'top_p':
      if (typeof v === 'number' && v !== 1) {
        return answer(400, `Unsupported value: '${param}' does not support ${num(v)} with this model. Only the default (1) value is supported.`, param, 'unsupported_value');
      }
      return null;
    case 'presence_penalty':
    case 'frequency_penalty':
      return typeof v === 'number' && v !== 0 ? unsupported(param) : null;
    case 'logprobs':
      return v === true ? unsupported('logprobs') : null;
    case 'stop':
      return refusesStop(model) ? unsupported('stop') : null;
    default:
      return null;
  }
}

function tooLarge(param: 'max_tokens' | 'max_completion_tokens', model: string, v: unknown): OpenAIErrorAnswer | null {
  if (typeof v !== 'number') return null;
  const ceiling = maxCompletionTokens(model);
  // [OBS] "max_tokens is too large: 32000. This model supports at most 16384 completion tokens, whereas you provided 32000."
  if (v > ceiling) return answer(400, `${param} is too large: ${num(v)}. This model supports at most ${ceiling} completion tokens, whereas you provided ${num(v)}.`, param, 'invalid_value');
  return null;
}

/**
 * Chat: the model must be named, then the body is validated (missing messages, unknown parameters,
 * each parameter's type and bounds) before the model is looked up, then what the model itself
 * refuses. Key checkers rely on that order: `{"model":"babbage-002","max_tokens":-1,…}` is a free
 * 400 `integer_below_min_value` on a live key, never a 404 for the completion-only model.
 */
function validateChat(body: Json, persona: Pick<OpenAIPersona, 'resolveModel'>): OpenAIErrorAnswer | null {
  const named = body['model'];
  if (named === undefined || named === null || named === '') return answer(400, 'you must provide a model parameter', null, null, 'legacy');
  if (typeof named !== 'string') return invalidType('model', 'a string', named);
  // [OBS 2026-08] missing messages beats an unknown key
  if (body['messages'] === undefined) return missing('messages');
  const unknown = checkUnknown(body, CHAT_FIELDS);
  if (unknown) return unknown;
  const fields = presentFields(body, CHAT_FIELD_ORDER);
  for (const param of fields) {
    const v = body[param];
    if (param === 'messages') {
      const bad = checkMessages(v);
      if (bad) return bad;
      continue;
    }
    const rule = CHAT_FIELDS[param];
    if (rule === undefined) continue;
    const bad = checkField(param, rule, v);
    if (bad) return bad;
  }
  const model = legacyModelCheck('chat.completions', body, persona);
  if (typeof model !== 'string') return model;
  const reasoning = isReasoningModel(model);
  for (const param of fields) {
    const v = body[param];
    const bad = (reasoning ? reasoningRefusal(model, param, v) : null) ?? (param === 'max_tokens' || param === 'max_completion_tokens' ? tooLarge(param, model, v) : null);
    if (bad) return bad;
  }
  return null;
}

function validateCompletions(body: Json, persona: Pick<OpenAIPersona, 'resolveModel'>): OpenAIErrorAnswer | null {
  const model = legacyModelCheck('completions', body, persona);
  if (typeof model !== 'string') return model;
  for (const param of COMPLETION_FIELD_ORDER) {
    const rule = COMPLETION_FIELDS[param];
    if (rule === undefined) continue;
    const bad = checkField(param, rule, body[param]);
    if (bad) return bad;
  }
  // [OBS 2024, legacy completions] a zero-length completion
  if (body['max_tokens'] === 0 && body['echo'] !== true) {
    return answer(400, 'You requested a length 0 completion, which is not supported for this model. Please request a completion with length at least 1.', 'max_tokens', null, 'legacy');
  }
  return tooLarge('max_tokens', model, body['max_tokens']);
}

/** One embeddings input item: a non-empty string or a non-empty array of token integers. */
function embeddingItemOk(v: unknown): boolean {
  if (typeof v === 'string') return v.length > 0;
  if (Array.isArray(v)) return v.length > 0 && v.length <= MAX_ITEMS && v.every((t) => typeof t === 'number' && Number.isInteger(t) && t >= 0);
  return false;
}

function validateEmbeddings(body: Json, persona: Pick<OpenAIPersona, 'resolveModel'>): OpenAIErrorAnswer | null {
  const model = legacyModelCheck('embeddings', body, persona);
  if (typeof model !== 'string') return model;
  const input = body['input'];
  // [INF] the missing-parameter pattern; [OBS] "'$.input' is invalid. Please check the API reference: …"
  if (input === undefined || input === null) return missing('input');
  const inputOk =
    typeof input === 'string'
      ? input.length > 0
      : Array.isArray(input) &&
        input.length > 0 &&
        input.length <= 2048 &&
        (input.every((t) => typeof t === 'number' && Number.isInteger(t) && t >= 0) || input.every(embeddingItemOk));
  if (!inputOk) return answer(400, `'$.input' is invalid. ${API_REFERENCE}`, null, null);
  const format = body['encoding_format'];
  if (format !== undefined && format !== null) {
    if (typeof format !== 'string') return invalidType('encoding_format', "one of 'float' or 'base64'", format);
    // [INF] the enum pattern of the current layer
    if (format !== 'float' && format !== 'base64') return answer(400, `Invalid value: '${echo(format)}'. Supported values are: 'float' and 'base64'.`, 'encoding_format', 'invalid_value');
  }
  const dims = body['dimensions'];
  if (dims !== undefined && dims !== null) {
    const bad = checkField('dimensions', { type: 'integer', min: 1 }, dims);
    if (bad) return bad;
    // [OBS] ada-002 has a fixed size
    if (model.startsWith('text-embedding-ada')) return answer(400, 'This model does not support specifying dimensions.', null, null);
  }
  const user = checkField('user', { type: 'string' }, body['user']);
  return user;
}

function validateResponses(body: Json, persona: Pick<OpenAIPersona, 'resolveModel'>): OpenAIErrorAnswer | null {
  const model = body['model'];
  // [OBS 2025-12] "Missing required parameter: 'model'." (Responses has its own validation layer)
  if (model === undefined || model === null || model === '') return missing('model');
  if (typeof model !== 'string') return invalidType('model', 'a string', model);
  // [REC] 400, single quotes, param model
  if (persona.resolveModel(model) === null) return answer(400, `The requested model '${model}' does not exist.`, 'model', 'model_not_found');
  const input = body['input'];
  if (input !== undefined && input !== null) {
    if (typeof input !== 'string' && !Array.isArray(input)) return invalidType('input', 'one of a string or array of input items', input);
    // [OBS] "Invalid 'input': input cannot be an empty array."
    if (Array.isArray(input) && input.length === 0) return answer(400, "Invalid 'input': input cannot be an empty array.", null, null);
  }
  const reasoning = isReasoningModel(model);
  for (const param of RESPONSES_FIELD_ORDER) {
    const rule = RESPONSES_FIELDS[param];
    if (rule === undefined) continue;
    const v = body[param];
    const bad = checkField(param, rule, v);
    if (bad) return bad;
    // [OBS] reasoning models on /v1/responses refuse sampling parameters outright
    if (reasoning && (param === 'temperature' || param === 'top_p') && typeof v === 'number') {
      return answer(400, `Unsupported parameter: '${param}' is not supported with this model.`, param, 'unsupported_parameter');
    }
  }
  return null;
}

/**
 * The refusal the real API gives this request body on this endpoint, or null when it would accept
 * it (the decoy then answers). A body that is not a JSON object has no `model`, and is answered so.
 */
export function validateOpenAIRequest(endpoint: ValidatedEndpoint, body: unknown, persona: Pick<OpenAIPersona, 'resolveModel'>): OpenAIErrorAnswer | null {
  try {
    const obj: Json = isObject(body) ? body : {};
    switch (endpoint) {
      case 'chat.completions':
        return validateChat(obj, persona);
      case 'completions':
        return validateCompletions(obj, persona);
      case 'embeddings':
        return validateEmbeddings(obj, persona);
      case 'responses':
        return validateResponses(obj, persona);
      default: {
        const never: never = endpoint;
        return never;
      }
    }
  } catch (e: unknown) {
    void e;
    // a hostile body (getters, proxies) never takes the gateway down: let the decoy answer it
    return null;
  }
}
