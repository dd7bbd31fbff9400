/**
 * Request validation for the Bedrock decoy, with the service's own refusals:
 * Converse bodies get Coral member-constraint texts (`1 validation error detected: Value '0' at
 * 'inferenceConfig.maxTokens' failed to satisfy constraint: …`) and the conversation-shape
 * messages; model-native InvokeModel bodies get the JSON-schema texts the model adapters send
 * (`Malformed input request: #: extraneous key [model] is not permitted, please reformat your
 * input and try again.`, `#/max_tokens: 0 is not greater or equal to 1`).
 *
 * The invalid `max_tokens` is the key checker's free probe: AWS authenticates and authorizes before
 * it validates (B5.6), so a ValidationException tells the checker the key works — the decoy gives
 * the same answer the real service would.
 */
import { BedrockError } from './errors.js';
import type { CatalogModel, ModelFamily } from './models.js';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Coral prints values the Java way: a float member that is integral as `2.0`. */
function coralValue(v: unknown, float = false): string {
  if (typeof v === 'number') return float && Number.isInteger(v) ? `${v}.0` : String(v);
  if (typeof v === 'string') return v;
  return JSON.stringify(v) ?? 'null';
}

function constraint(value: unknown, path: string, text: string, float = false): BedrockError {
  const shown = value === null || value === undefined ? 'null' : `'${coralValue(value, float)}'`;
  return new BedrockError('ConstraintViolation', `1 validation error detected: Value ${shown} at '${path}' failed to satisfy constraint: ${text}`);
}

function maxTokensExceeded(limit: number): BedrockError {
  return new BedrockError('MaxTokensExceeded', `The maximum tokens you requested exceeds the model limit of ${limit}. Try again with a maximum tokens value that is lower than ${limit}.`);
}

const START_WITH_USER = 'A conversation must start with a user message. Try again with a conversation that starts with a user message.';
const ALTERNATE = 'A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.';

/** Converse / ConverseStream request checks, in the order the service reports them. */
export function validateConverse(body: unknown, model: CatalogModel): void {
  if (!isObject(body)) throw new BedrockError('MalformedInput', 'Malformed input request, please reformat your input and try again.');
  const messages = body['messages'];
  if (messages === undefined || messages === null) throw constraint(null, 'messages', 'Member must not be null');
  if (!Array.isArray(messages)) throw new BedrockError('MalformedInput', 'Malformed input request, please reformat your input and try again.');
  const config = body['inferenceConfig'];
  if (isObject(config)) {
    const max = config['maxTokens'];
    if (max !== undefined) {
      if (typeof max !== 'number' || !Number.isInteger(max)) throw new BedrockError('MalformedInput', 'Malformed input request, please reformat your input and try again.');
      if (max < 1) throw constraint(max, 'inferenceConfig.maxTokens', 'Member must have value greater than or equal to 1');
    }
    for (const name of ['temperature', 'topP'] as const) {
      const v = config[name];
      if (v === undefined) continue;
      if (typeof v !== 'number') throw new BedrockError('MalformedInput', 'Malformed input request, please reformat your input and try again.');
      if (v < 0) throw constraint(v, `inferenceConfig.${name}`, 'Member must have value greater than or equal to 0', true);
      if (v > 1) throw constraint(v, `inferenceConfig.${name}`, 'Member must have value less than or equal to 1', true);
    }
  }
  messages.forEach((m, i) => {
    const role = isObject(m) ? m['role'] : undefined;
    if (role !== 'user' && role !== 'assistant') {
      throw role === undefined || role === null
        ? constraint(null, `messages.${i + 1}.member.role`, 'Member must not be null')
        : constraint(role, `messages.${i + 1}.member.role`, 'Member must satisfy enum value set: [user, assistant]');
    }
    const content = isObject(m) ? m['content'] : undefined;
    if (content === undefined || content === null) throw constraint(null, `messages.${i + 1}.member.content`, 'Member must not be null');
  });
  const first = messages[0];
  if (!isObject(first) || first['role'] !== 'user') throw new BedrockError('ConstraintViolation', START_WITH_USER);
  // Titan Text has no chat roles: Converse flattens the turns into one prompt, consecutive user
  // turns included (recorded 2025-08); models with a message API refuse them
  for (let i = 1; i < messages.length && model.family !== 'titan-text'; i++) {
    if ((messages[i] as Json)['role'] === (messages[i - 1] as Json)['role']) throw new BedrockError('ConstraintViolation', ALTERNATE);
  }
  messages.forEach((m, i) => {
    const content = (m as Json)['content'];
    if (!Array.isArray(content)) return;
    content.forEach((block, j) => {
      if (isObject(block) && typeof block['text'] === 'string' && block['text'].trim() === '') {
        throw new BedrockError('ConstraintViolation', `The text field in the ContentBlock object at messages.${i}.content.${j} is blank. Add text to the text field, and try again.`);
      }
    });
  });
  if (isObject(config) && typeof config['maxTokens'] === 'number' && model.maxOutputTokens > 0 && config['maxTokens'] > model.maxOutputTokens) {
    throw maxTokensExceeded(model.maxOutputTokens);
  }
}

// ------------------------------------------------------------------------------------------------
// model-native bodies: a small JSON-schema subset per family (B7)

interface IntRule {
  readonly path: readonly string[];
  readonly min: number;
}

interface FamilySchema {
  readonly required: readonly string[];
  readonly allowed: readonly string[];
  readonly ints: readonly IntRule[];
  readonly numbers?: readonly (readonly string[])[];
  readonly strings?: readonly string[];
  readonly arrays?: readonly string[];
  readonly enums?: readonly { readonly path: readonly string[]; readonly values: readonly unknown[] }[];
}

const SCHEMAS: Readonly<Record<Exclude<ModelFamily, 'unknown'>, FamilySchema>> = {
  anthropic: {
    required: ['anthropic_version', 'max_tokens', 'messages'],
    allowed: ['anthropic_version', 'anthropic_beta', 'max_tokens', 'messages', 'system', 'temperature', 'top_p', 'top_k', 'stop_sequences', 'tools', 'tool_choice', 'thinking', 'metadata', 'output_config', 'output_format', 'context_management'],
    ints: [{ path: ['max_tokens'], min: 1 }, { path: ['top_k'], min: 0 }],
    numbers: [['temperature'], ['top_p']],
    strings: ['anthropic_version'],
    arrays: ['messages', 'stop_sequences', 'tools'],
  },
  'titan-text': {
    required: ['inputText'],
    allowed: ['inputText', 'textGenerationConfig'],
    ints: [{ path: ['textGenerationConfig', 'maxTokenCount'], min: 0 }],
    numbers: [['textGenerationConfig', 'temperature'], ['textGenerationConfig', 'topP']],
    strings: ['inputText'],
  },
  'titan-embed': {
    required: ['inputText'],
    allowed: ['inputText', 'normalize', 'dimensions', 'embeddingTypes'],
    ints: [],
    strings: ['inputText'],
    enums: [{ path: ['dimensions'], values: [256, 512, 1024] }],
  },
  nova: {
    required: ['messages'],
    allowed: ['schemaVersion', 'system', 'messages', 'inferenceConfig', 'toolConfig'],
    ints: [{ path: ['inferenceConfig', 'maxTokens'], min: 1 }, { path: ['inferenceConfig', 'max_new_tokens'], min: 1 }, { path: ['inferenceConfig', 'topK'], min: 0 }],
    numbers: [['inferenceConfig', 'temperature'], ['inferenceConfig', 'topP']],
    arrays: ['messages', 'system'],
  },
  llama: {
    required: ['prompt'],
    allowed: ['prompt', 'max_gen_len', 'temperature', 'top_p', 'images'],
    ints: [{ path: ['max_gen_len'], min: 1 }],
    numbers: [['temperature'], ['top_p']],
    strings: ['prompt'],
  },
  mistral: {
    required: ['prompt'],
    allowed: ['prompt', 'max_tokens', 'stop', 'temperature', 'top_p', 'top_k'],
    ints: [{ path: ['max_tokens'], min: 1 }, { path: ['top_k'], min: 0 }],
    numbers: [['temperature'], ['top_p']],
    strings: ['prompt'],
  },
  'mistral-chat': {
    required: ['messages'],
    allowed: ['messages', 'max_tokens', 'temperature', 'top_p', 'tools', 'tool_choice', 'response_format', 'stop'],
    ints: [{ path: ['max_tokens'], min: 1 }],
    numbers: [['temperature'], ['top_p']],
    arrays: ['messages', 'tools'],
  },
  'cohere-command': {
    required: ['prompt'],
    allowed: ['prompt', 'max_tokens', 'temperature', 'p', 'k', 'stop_sequences', 'return_likelihoods', 'stream', 'num_generations', 'logit_bias', 'truncate'],
    ints: [{ path: ['max_tokens'], min: 1 }, { path: ['k'], min: 0 }, { path: ['num_generations'], min: 1 }],
    numbers: [['temperature'], ['p']],
    strings: ['prompt'],
  },
  'cohere-command-r': {
    required: ['message'],
    allowed: ['message', 'chat_history', 'documents', 'search_queries_only', 'preamble', 'max_tokens', 'temperature', 'p', 'k', 'prompt_truncation', 'frequency_penalty', 'presence_penalty', 'seed', 'return_prompt', 'tools', 'tool_results', 'stop_sequences', 'raw_prompting'],
    ints: [{ path: ['max_tokens'], min: 1 }, { path: ['k'], min: 0 }],
    numbers: [['temperature'], ['p']],
    strings: ['message', 'preamble'],
    arrays: ['chat_history', 'documents', 'tools'],
  },
  'cohere-embed': {
    required: ['texts', 'input_type'],
    allowed: ['texts', 'input_type', 'truncate', 'embedding_types', 'images'],
    ints: [],
    arrays: ['texts', 'embedding_types'],
    enums: [
      { path: ['input_type'], values: ['search_document', 'search_query', 'classification', 'clustering', 'image'] },
      { path: ['truncate'], values: ['NONE', 'START', 'END'] },
    ],
  },
  'ai21-j2': {
    required: ['prompt'],
    allowed: ['prompt', 'maxTokens', 'minTokens', 'temperature', 'topP', 'stopSequences', 'countPenalty', 'presencePenalty', 'frequencyPenalty', 'numResults', 'topKReturn'],
    ints: [{ path: ['maxTokens'], min: 1 }, { path: ['numResults'], min: 1 }],
    numbers: [['temperature'], ['topP']],
    strings: ['prompt'],
  },
  'ai21-jamba': {
    required: ['messages'],
    allowed: ['messages', 'max_tokens', 'temperature', 'top_p', 'stop', 'n', 'frequency_penalty', 'presence_penalty', 'tools', 'response_format', 'documents'],
    ints: [{ path: ['max_tokens'], min: 1 }, { path: ['n'], min: 1 }],
    numbers: [['temperature'], ['top_p']],
    arrays: ['messages', 'tools', 'documents'],
  },
};

/** The everit-style type name AWS prints (`expected type: Integer, found: String`). */
function typeName(v: unknown): string {
  if (v === null) return 'Null';
  if (Array.isArray(v)) return 'JSONArray';
  if (typeof v === 'object') return 'JSONObject';
  if (typeof v === 'string') return 'String';
  if (typeof v === 'boolean') return 'Boolean';
  if (typeof v === 'number') return Number.isInteger(v) ? 'Integer' : 'BigDecimal';
  return 'Unknown';
}

function at(body: Json, path: readonly string[]): unknown {
  let node: unknown = body;
  for (const p of path) node = isObject(node) ? node[p] : undefined;
  return node;
}

function pointer(path: readonly string[]): string {
  return `#/${path.join('/')}`;
}

function malformed(violations: readonly string[]): BedrockError {
  return new BedrockError('MalformedInput', `Malformed input request: ${violations.join('')}, please reformat your input and try again.`);
}

/** Bounded: at most this many violations are listed. */
const MAX_VIOLATIONS = 16;

/** Model-native body checks (InvokeModel, InvokeModelWithResponseStream). */
export function validateInvoke(family: ModelFamily, body: unknown, model: CatalogModel): void {
  if (!isObject(body)) throw malformed([`#: expected type: JSONObject, found: ${typeName(body)}`]);
  if (family === 'unknown') return;
  const schema = SCHEMAS[family];
  const v: string[] = [];
  for (const key of Object.keys(body)) {
    if (v.length >= MAX_VIOLATIONS) break;
    if (!schema.allowed.includes(key)) v.push(`#: extraneous key [${key}] is not permitted`);
  }
  for (const key of schema.required) if (!(key in body)) v.push(`#: required key [${key}] not found`);
  for (const rule of schema.ints) {
    const value = at(body, rule.path);
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isInteger(value)) v.push(`${pointer(rule.path)}: expected type: Integer, found: ${typeName(value)}`);
    else if (value < rule.min) v.push(`${pointer(rule.path)}: ${value} is not greater or equal to ${rule.min}`);
  }
  for (const path of schema.numbers ?? []) {
    const value = at(body, path);
    if (value !== undefined && typeof value !== 'number') v.push(`${pointer(path)}: expected type: Number, found: ${typeName(value)}`);
  }
  for (const key of schema.strings ?? []) {
    const value = body[key];
    if (value !== undefined && typeof value !== 'string') v.push(`#/${key}: expected type: String, found: ${typeName(value)}`);
  }
  for (const key of schema.arrays ?? []) {
    const value = body[key];
    if (value !== undefined && !Array.isArray(value)) v.push(`#/${key}: expected type: JSONArray, found: ${typeName(value)}`);
  }
  for (const e of schema.enums ?? []) {
    const value = at(body, e.path);
    if (value !== undefined && !e.values.includes(value)) v.push(`${pointer(e.path)}: ${coralValue(value)} is not a valid enum value`);
  }
  if (v.length > 0) {
    // Anthropic's schema is oneOf(messages API, legacy text completion); a messages body that fails
    // also fails the legacy branch, whose violation is listed first [OBS AnthropicSwiftSDK#19]
    if (family === 'anthropic' && 'messages' in body) v.unshift('#: subject must not be valid against schema {"required":["messages"]}');
    throw malformed(v.slice(0, MAX_VIOLATIONS));
  }
  if (family === 'anthropic') {
    const messages = body['messages'] as unknown[];
    if (messages.length === 0) throw new BedrockError('ConstraintViolation', 'messages: at least one message is required');
    const max = body['max_tokens'] as number;
    if (model.maxOutputTokens > 0 && max > model.maxOutputTokens) {
      const name = model.id.replace(/^anthropic\./, '').replace(/-v\d+(:\d+)?$/, '');
      throw new BedrockError('ConstraintViolation', `max_tokens: ${max} > ${model.maxOutputTokens}, which is the maximum allowed number of output tokens for ${name}`);
    }
  }
}

/** The output-token budget a native body asks for, if it names one. */
export function requestedMaxTokens(family: ModelFamily, body: Json): number | undefined {
  const pick = (path: readonly string[]): number | undefined => {
    const v = at(body, path);
    return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined;
  };
  switch (family) {
    case 'anthropic':
    case 'mistral':
    case 'mistral-chat':
    case 'cohere-command':
    case 'cohere-command-r':
    case 'ai21-jamba':
      return pick(['max_tokens']);
    case 'titan-text':
      return pick(['textGenerationConfig', 'maxTokenCount']);
    case 'nova':
      return pick(['inferenceConfig', 'maxTokens']) ?? pick(['inferenceConfig', 'max_new_tokens']);
    case 'llama':
      return pick(['max_gen_len']);
    case 'ai21-j2':
      return pick(['maxTokens']);
    default:
      return undefined;
  }
}
