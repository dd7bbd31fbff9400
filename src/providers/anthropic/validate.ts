/**
 * Request validation with the Messages API's own answers (docs/anthropic.md "Validation"): the
 * API validates the body with pydantic and reports the first problem as `<dotted path>: <what>`
 * (`max_tokens: Field required`, `messages.0.role: Input should be 'user' or 'assistant'`,
 * `temperature: Input should be less than or equal to 1`), then checks the model (404
 * `model: <id>`), then the model's limits (`max_tokens: 100000 > 64000, which is the maximum
 * allowed number of output tokens for <model>`, `prompt is too long: N tokens > M maximum`,
 * effort levels, thinking budgets). Texts marked [OBS] are quoted in public issue threads or
 * recorded; the others follow pydantic's wording for the same rule.
 * Bounded: at most 1,000 messages and 256 blocks a message are walked.
 */
import { BETA_FIELDS } from './betas.js';
import { resolveModel, type ClaudeModel } from './models.js';
import { countInput } from './tokens.js';

type Json = Record<string, unknown>;

export type Invalid =
  | { readonly kind: 'invalid'; readonly message: string }
  | { readonly kind: 'model'; readonly model: string };

export interface Valid {
  readonly kind: 'ok';
  /** the model, its limits as the request's betas set them */
  readonly model: ClaudeModel;
  readonly inputTokens: number;
  readonly cacheablePrefix: number;
}

const MAX_MESSAGES = 1000;
const MAX_BLOCKS = 256;
/** Parameters of other providers' APIs that the Messages API rejects as extra inputs [OBS]. */
const FOREIGN = ['response_format', 'n', 'frequency_penalty', 'presence_penalty', 'logit_bias', 'logprobs', 'max_completion_tokens', 'seed', 'user', 'functions', 'function_call', 'extra_body', 'parallel_tool_calls'] as const;
const BLOCK_TYPES: ReadonlySet<string> = new Set([
  'text', 'image', 'document', 'tool_use', 'tool_result', 'thinking', 'redacted_thinking', 'server_tool_use', 'web_search_tool_result',
  'web_fetch_tool_result', 'code_execution_tool_result', 'search_result', 'container_upload', 'mcp_tool_use', 'mcp_tool_result',
  'bash_code_execution_tool_result', 'text_editor_code_execution_tool_result', 'tool_search_tool_result', 'tool_reference',
]);

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

const bad = (message: string): Invalid => ({ kind: 'invalid', message });

function checkNumber(body: Json, key: string, min: number, max: number, integer = false): Invalid | null {
  const v = body[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
    return bad(`${key}: Input should be a valid ${integer ? 'integer' : 'number'}`);
  }
  if (v < min) return bad(`${key}: Input should be greater than or equal to ${min}`);
  if (v > max) return bad(`${key}: Input should be less than or equal to ${max}`);
  return null;
}

function checkContent(content: unknown, path: string): Invalid | null {
  if (typeof content === 'string') return null;
  if (!Array.isArray(content)) return bad(`${path}: Input should be a valid list`);
  const n = Math.min(content.length, MAX_BLOCKS);
  for (let j = 0; j < n; j++) {
    const b: unknown = content[j];
    const p = `${path}.${j}`;
    if (!isObject(b)) return bad(`${p}: Input should be a valid dictionary or object to extract fields from`);
    const t = b['type'];
    if (typeof t !== 'string' || !BLOCK_TYPES.has(t)) return bad(`${p}: Input tag '${String(t).slice(0, 64)}' found using 'type' does not match any of the expected tags: ${[...BLOCK_TYPES].map((x) => `'${x}'`).join(', ')}`);
    if (t === 'text') {
      if (b['text'] === undefined) return bad(`${p}.text.text: Field required`);
      if (typeof b['text'] !== 'string') return bad(`${p}.text.text: Input should be a valid string`);
    }
    if (t === 'tool_use') {
      if (typeof b['id'] !== 'string') return bad(`${p}.tool_use.id: Field required`);
      if (typeof b['name'] !== 'string') return bad(`${p}.tool_use.name: Field required`);
      if (!isObject(b['input'])) return bad(`${p}.tool_use.input: Input should be a valid dictionary`);
    }
    if (t === 'tool_result' && typeof b['tool_use_id'] !== 'string') return bad(`${p}.tool_result.tool_use_id: Field required`);
  }
  return null;
}

function lastText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  for (let j = Math.min(content.length, MAX_BLOCKS) - 1; j >= 0; j--) {
    const b: unknown = content[j];
    if (isObject(b) && b['type'] === 'text' && typeof b['text'] === 'string') return b['text'];
  }
  return '';
}

function checkMessages(messages: unknown): Invalid | null {
  if (messages === undefined) return bad('messages: Field required');
  if (!Array.isArray(messages)) return bad('messages: Input should be a valid list');
  if (messages.length > 100_000) return bad('messages: too many messages (at most 100000)');
  const n = Math.min(messages.length, MAX_MESSAGES);
  for (let i = 0; i < n; i++) {
    const msg: unknown = messages[i];
    if (!isObject(msg)) return bad(`messages.${i}: Input should be a valid dictionary or object to extract fields from`);
    if (msg['role'] === undefined) return bad(`messages.${i}.role: Field required`);
    if (msg['role'] !== 'user' && msg['role'] !== 'assistant') return bad(`messages.${i}.role: Input should be 'user' or 'assistant'`);
    if (msg['content'] === undefined) return bad(`messages.${i}.content: Field required`);
    const c = checkContent(msg['content'], `messages.${i}.content`);
    if (c) return c;
  }
  const last: unknown = messages[messages.length - 1];
  // [OBS] a prefilled assistant turn may not end in whitespace
  if (isObject(last) && last['role'] === 'assistant' && /\s$/.test(lastText(last['content']))) {
    return bad('messages: final assistant content cannot end with trailing whitespace');
  }
  return null;
}

function checkSystem(system: unknown): Invalid | null {
  if (system === undefined || typeof system === 'string') return null;
  if (!Array.isArray(system)) return bad('system: Input should be a valid string');
  for (let j = 0; j < Math.min(system.length, MAX_BLOCKS); j++) {
    const b: unknown = system[j];
    if (!isObject(b) || b['type'] !== 'text') return bad(`system.${j}.type: Input should be 'text'`);
    if (typeof b['text'] !== 'string') return bad(`system.${j}.text: Field required`);
  }
  return null;
}

function checkTools(tools: unknown): Invalid | null {
  if (tools === undefined) return null;
  if (!Array.isArray(tools)) return bad('tools: Input should be a valid list');
  for (let j = 0; j < Math.min(tools.length, MAX_BLOCKS); j++) {
    const t: unknown = tools[j];
    if (!isObject(t)) return bad(`tools.${j}: Input should be a valid dictionary or object to extract fields from`);
    if (t['type'] !== undefined && t['type'] !== 'custom') continue; // server and client tools (web_search_…, bash_…)
    if (typeof t['name'] !== 'string') return bad(`tools.${j}.custom.name: Field required`);
    if (!/^[a-zA-Z0-9_-]{1,128}$/.test(t['name'])) return bad(`tools.${j}.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'`);
    if (t['input_schema'] === undefined) return bad(`tools.${j}.custom.input_schema: Field required`);
    if (!isObject(t['input_schema'])) return bad(`tools.${j}.custom.input_schema: Input should be a valid dictionary`);
  }
  return null;
}

function supportedEfforts(model: ClaudeModel): string {
  return [...model.efforts].sort().join(', ');
}

/**
 * A model's limits under the request's betas (betas.ts): `output-128k-2025-02-19` lifts Claude
 * Sonnet 3.7 to 128,000 output tokens; `context-1m-2025-08-07` gives Sonnet 4 / 4.5 / 4.6 and
 * Opus 4.6 a 1,000,000-token window. Other models keep theirs (the API ignores the beta there).
 */
export function withBetas(model: ClaudeModel, betas: ReadonlySet<string>): ClaudeModel {
  let out = model;
  if (betas.has('output-128k-2025-02-19') && model.id === 'claude-3-7-sonnet-20250219') out = { ...out, maxTokens: 128000 };
  const oneMillion = /^claude-sonnet-4-(?:\d{8}|5-\d{8}|6)$/.test(model.id) || model.id === 'claude-opus-4-6';
  if (betas.has('context-1m-2025-08-07') && oneMillion) out = { ...out, maxInputTokens: 1_000_000 };
  return out;
}

/**
 * Validate a Messages body (`countTokens`: the count_tokens endpoint, which takes no `max_tokens`)
 * under the request's accepted `anthropic-beta` values.
 * Returns the resolved model and the input count, or the first problem.
 */
export function validateMessages(body: Json, countTokens = false, betas: ReadonlySet<string> = new Set()): Valid | Invalid {
  if (!countTokens) {
    if (body['max_tokens'] === undefined) return bad('max_tokens: Field required');
    if (!isInt(body['max_tokens'])) return bad('max_tokens: Input should be a valid integer');
  }
  const m = checkMessages(body['messages']);
  if (m) return m;
  if (body['model'] === undefined) return bad('model: Field required');
  if (typeof body['model'] !== 'string') return bad('model: Input should be a valid string');
  for (const key of FOREIGN) if (key in body) return bad(`${key}: Extra inputs are not permitted`);
  // fields only a beta admits are unknown fields without it
  for (const [field, admit] of BETA_FIELDS) if (field in body && !admit.some((b) => betas.has(b))) return bad(`${field}: Extra inputs are not permitted`);
  const sys = checkSystem(body['system']);
  if (sys) return sys;
  const tools = checkTools(body['tools']);
  if (tools) return tools;
  if (body['stream'] !== undefined && typeof body['stream'] !== 'boolean') return bad('stream: Input should be a valid boolean');
  const n = checkNumber(body, 'temperature', 0, 1) ?? checkNumber(body, 'top_p', 0, 1) ?? checkNumber(body, 'top_k', 0, 2 ** 31, true);
  if (n) return n;
  const stop = body['stop_sequences'];
  if (stop !== undefined && (!Array.isArray(stop) || !stop.every((s) => typeof s === 'string'))) return bad('stop_sequences: Input should be a valid list');
  const thinking = body['thinking'];
  if (thinking !== undefined && (!isObject(thinking) || !['enabled', 'disabled', 'adaptive', 'between_tools'].includes(String(thinking['type'])))) {
    return bad("thinking: Input tag found using 'type' does not match any of the expected tags: 'enabled', 'disabled', 'adaptive', 'between_tools'");
  }
  if (isObject(thinking) && thinking['type'] === 'enabled') {
    const budget = thinking['budget_tokens'];
    if (budget === undefined) return bad('thinking.enabled.budget_tokens: Field required');
    if (!isInt(budget)) return bad('thinking.enabled.budget_tokens: Input should be a valid integer');
    if (budget < 1024) return bad('thinking.enabled.budget_tokens: Input should be greater than or equal to 1024');
  }

  const listed = resolveModel(body['model']);
  if (!listed) return { kind: 'model', model: body['model'].slice(0, 200) };
  const model = withBetas(listed, betas);

  const maxTokens = isInt(body['max_tokens']) ? body['max_tokens'] : undefined;
  if (!countTokens && maxTokens !== undefined) {
    if (maxTokens < 1) return bad('max_tokens: Input should be greater than or equal to 1');
    if (maxTokens > model.maxTokens) {
      return bad(`max_tokens: ${maxTokens} > ${model.maxTokens}, which is the maximum allowed number of output tokens for ${model.id}`);
    }
  }
  if (isObject(thinking) && thinking['type'] === 'enabled') {
    if (!model.thinking) return bad(`'${model.id}' does not support thinking.`);
    const budget = thinking['budget_tokens'] as number;
    // interleaved thinking (Claude 4 and later) lets the budget span several thinking blocks: it may exceed max_tokens
    const interleaved = betas.has('interleaved-thinking-2025-05-14') && model.legacyWire !== true;
    if (!countTokens && maxTokens !== undefined && maxTokens <= budget && !interleaved) {
      return bad('`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size');
    }
  }
  if (isObject(thinking) && thinking['type'] === 'adaptive' && !model.adaptive) return bad(`adaptive thinking is not supported on this model`);
  const cfg = body['output_config'];
  if (isObject(cfg) && cfg['effort'] !== undefined && cfg['effort'] !== null) {
    const effort = String(cfg['effort']).slice(0, 32);
    if (model.efforts.length === 0) return bad('This model does not support the effort parameter.');
    // [REC] the supported levels in alphabetical order
    if (!model.efforts.includes(effort)) return bad(`This model does not support effort level '${effort}'. Supported levels: ${supportedEfforts(model)}.`);
  }

  const count = countInput(body);
  if (count.total > model.maxInputTokens) return bad(`prompt is too long: ${count.total} tokens > ${model.maxInputTokens} maximum`);
  if (!countTokens && maxTokens !== undefined && count.total + maxTokens > model.maxInputTokens) {
    return bad(`input length and \`max_tokens\` exceed context limit: ${count.total} + ${maxTokens} > ${model.maxInputTokens}, decrease input length or \`max_tokens\` and try again`);
  }
  return { kind: 'ok', model, inputTokens: count.total, cacheablePrefix: count.cacheablePrefix };
}

