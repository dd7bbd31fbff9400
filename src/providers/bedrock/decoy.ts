/**
 * The Bedrock decoy (issue 4): answers a lure-key request offline, the way Bedrock Runtime would,
 * so the official SDKs parse it and a key checker cannot tell. Wire facts (docs/bedrock.md):
 *
 * - Converse: compact JSON, keys sorted at every level, `metrics.latencyMs`, usage with the 2026
 *   cache fields (B2); headers Date, Content-Type, Content-Length, Connection, x-amzn-RequestId (B1.1).
 * - ConverseStream: event frames messageStart → [contentBlockStart] → contentBlockDelta… →
 *   contentBlockStop → messageStop → metadata, each with the `"p"` padding (B3, B3.1).
 * - InvokeModel: the model family's native body (B7) plus the X-Amzn-Bedrock-* latency and token
 *   headers in wire order (B1.1; embeddings send no output count).
 * - InvokeModelWithResponseStream: `chunk` frames carrying base64 native events, the last with
 *   `amazon-bedrock-invocationMetrics` (B3.2), and `X-Amzn-Bedrock-Content-Type`.
 * - Refusals in the service's words and order: unknown model id, on-demand not supported, model
 *   unsupported for streaming (AI21 J2), then body validation (decoy-validate.ts).
 *
 * This file generates the answer and serves each operation; beside it: decoy-validate.ts (the
 * refusals of bodies), decoy-native.ts (InvokeModel native bodies and events), decoy-guardrail.ts
 * (guardrails and their traces), decoy-tokens.ts (token accounting), decoy-write.ts (heads, paced frames).
 *
 * Token counts use gpt-tokenizer as a stand-in tokenizer (the real models' tokenizers are not
 * public for all families); numbers land in the right range and are internally consistent.
 */
import { parseJsonText } from '../../util/depth.js';
import type { HttpResponse } from '../../core/http.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { uuid4 } from '../../util/random.js';
import { BedrockError, type BedrockErrorCode, renderAwsError } from './errors.js';
import { encodeEvent, sortedJson, sortKeys } from './eventstream.js';
import type { CatalogModel, ModelFamily } from './models.js';
import { type BedrockOperation, resolveModel } from './route.js';
import type { RandomFn } from '../../deception/random.js';
import { tokenCount } from '../../deception/decoy/tokens.js';
import { planToolCalls, type PlannedCall, type ToolDef, type ToolMode } from '../../deception/decoy/tool-calls.js';
import { type Generation, ids, invokeBody, invokeStreamEvents, promptCaching, type ToolCall } from './decoy-native.js';
import { requestedMaxTokens, validateConverse, validateInvoke } from './decoy-validate.js';
import { carriesText, converseGuardrail, converseTrace, type GuardrailUse, invokeTrace } from './decoy-guardrail.js';
import { chunkPieces, inputTokensOf, replyTokens } from './decoy-tokens.js';
import { jsonHeaders, sendJson, streamHeaders, writeStream } from './decoy-write.js';

export interface BedrockDecoyRequest {
  readonly operation: BedrockOperation;
  /** the decoded model id from the path */
  readonly modelId: string;
  /** the family the route detected (the decoy re-checks it against its catalog) */
  readonly family: ModelFamily;
  readonly body: Buffer;
  /** the lure's canned answer */
  readonly lureText: string;
  /** the account the key decodes to (ARNs, profile checks) */
  readonly accountId: string;
  /** the region of the request (SigV4 scope or endpoint) */
  readonly region: string;
  /** persona-ish randomness (padding, ids, chunking, latency); default Math.random */
  readonly rand?: RandomFn;
  /** pause between stream frames (default 0) */
  readonly chunkDelayMs?: number;
  /**
   * Take a real model's time (lure_defaults.realistic_timing, deception/decoy/pacing.ts): a JSON
   * answer arrives after the latency it reports (`metrics.latencyMs`, X-Amzn-Bedrock-Invocation-Latency),
   * a stream's head after the first-byte latency and its frames spread over the rest.
   */
  readonly pace?: boolean;
  /** reuse a request id chosen earlier for this exchange */
  readonly requestId?: string;
  /** `body` already parsed by the caller (`value` undefined: not JSON), so it is parsed once */
  readonly parsedBody?: { readonly value: unknown };
  /** InvokeModel*: the guardrail of the X-Amzn-Bedrock-Guardrail* / X-Amzn-Bedrock-Trace headers (Converse: its body) */
  readonly guardrail?: GuardrailUse;
}

export interface BedrockDecoyResult {
  readonly status: number;
  /** body bytes written */
  readonly bytes: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** the refusal sent, when status is not 200 */
  readonly error?: BedrockErrorCode;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Defaults the models apply when a native body names no output budget (AWS model-parameter pages). */
const DEFAULT_MAX: Readonly<Partial<Record<ModelFamily, number>>> = {
  'titan-text': 512,
  llama: 512,
  mistral: 512,
  'cohere-command': 20,
  'ai21-j2': 16,
};

interface ToolRequest {
  readonly calls: readonly PlannedCall[];
  /** `any`/`tool` choices force calls with no text; `auto` lets the model talk first */
  readonly forced: boolean;
}

/** Whether the last turn is a fresh user message (not tool results coming back). */
function lastTurnIsUserAsk(messages: unknown): boolean {
  if (!Array.isArray(messages) || messages.length === 0) return false;
  const last: unknown = messages[messages.length - 1];
  if (!isObject(last) || last['role'] !== 'user') return false;
  const content = last['content'];
  if (!Array.isArray(content)) return true;
  return !content.some((b) => isObject(b) && ('toolResult' in b || b['type'] === 'tool_result'));
}

/** The last message's text (Converse `[{text}]`, Anthropic `[{type: 'text', text}]` or a string), bounded. */
function lastText(messages: unknown): string {
  if (!Array.isArray(messages) || messages.length === 0) return '';
  const last: unknown = messages[messages.length - 1];
  const content = isObject(last) ? last['content'] : undefined;
  if (typeof content === 'string') return content.slice(0, 4000);
  if (!Array.isArray(content)) return '';
  return content.slice(0, 64).map((b) => (isObject(b) && typeof b['text'] === 'string' ? b['text'].slice(0, 4000) : '')).join('\n').slice(0, 4000);
}

/**
 * The tools the decoy calls, as an agentic model would (deception/decoy/tool-calls.ts): the one a
 * `tool` choice names, any for `any`, and — with `auto` (or no choice) — when the user just asked
 * something, after a short text; several in parallel when the prompt asks for several things
 * (Anthropic bodies: unless `tool_choice.disable_parallel_tool_use`); once tool results come back
 * it answers in text.
 */
function chooseTool(operation: BedrockOperation, family: ModelFamily, body: Json, seed: string): ToolRequest | null {
  const turn = lastTurnIsUserAsk(body['messages']) ? 'user' : 'tool_result';
  const text = turn === 'user' ? lastText(body['messages']) : '';
  // Nova's native body (messages-v1) carries Converse's toolConfig (recorded 2026-05)
  if (operation === 'Converse' || operation === 'ConverseStream' || family === 'nova') {
    const cfg = body['toolConfig'];
    if (!isObject(cfg) || !Array.isArray(cfg['tools'])) return null;
    const tools: ToolDef[] = [];
    for (const t of cfg['tools'].slice(0, 256)) {
      const spec = isObject(t) && isObject(t['toolSpec']) ? t['toolSpec'] : null;
      if (spec !== null && typeof spec['name'] === 'string') tools.push({ name: spec['name'], schema: isObject(spec['inputSchema']) ? spec['inputSchema']['json'] : {} });
    }
    const choice = isObject(cfg['toolChoice']) ? cfg['toolChoice'] : { auto: {} };
    const wanted = isObject(choice['tool']) && typeof choice['tool']['name'] === 'string' ? choice['tool']['name'] : null;
    // a named tool the request does not offer: no call (the request is refused before this)
    if (wanted !== null && !tools.some((t) => t.name === wanted)) return null;
    const mode: ToolMode = wanted !== null ? { mode: 'tool', name: wanted } : isObject(choice['any']) ? { mode: 'any' } : { mode: 'auto' };
    const calls = planToolCalls({ tools, text, choice: mode, parallel: true, turn, seed });
    return calls.length > 0 ? { calls, forced: mode.mode !== 'auto' } : null;
  }
  if (family === 'anthropic' && Array.isArray(body['tools'])) {
    const choice = isObject(body['tool_choice']) ? body['tool_choice'] : { type: 'auto' };
    const tools: ToolDef[] = [];
    for (const t of body['tools'].slice(0, 256)) if (isObject(t) && typeof t['name'] === 'string') tools.push({ name: t['name'], schema: t['input_schema'] });
    if (choice['type'] === 'tool' && !tools.some((t) => t.name === choice['name'])) return null;
    const mode: ToolMode = choice['type'] === 'none' ? { mode: 'none' } : choice['type'] === 'any' ? { mode: 'any' } : choice['type'] === 'tool' ? { mode: 'tool', name: String(choice['name']) } : { mode: 'auto' };
    const calls = planToolCalls({ tools, text, choice: mode, parallel: choice['disable_parallel_tool_use'] !== true, turn, seed });
    return calls.length > 0 ? { calls, forced: mode.mode === 'any' || mode.mode === 'tool' } : null;
  }
  return null;
}

function generate(operation: BedrockOperation, family: ModelFamily, model: CatalogModel, body: Json, lureText: string, rand: RandomFn): Generation {
  const inputTokens = inputTokensOf(operation, family, body);
  const embedding = family === 'titan-embed' || family === 'cohere-embed';
  const firstByteMs = 180 + Math.floor(rand() * 420);
  if (embedding) {
    return { text: '', chunks: [], inputTokens, outputTokens: 0, stop: 'end', latencyMs: 40 + Math.floor(rand() * 120), firstByteMs: 0 };
  }
  const converse = operation === 'Converse' || operation === 'ConverseStream';
  const cfg = isObject(body['inferenceConfig']) ? body['inferenceConfig'] : {};
  const max = converse
    ? typeof cfg['maxTokens'] === 'number' ? cfg['maxTokens'] : model.maxOutputTokens
    : requestedMaxTokens(family, body) ?? DEFAULT_MAX[family] ?? model.maxOutputTokens;
  const chosen = chooseTool(operation, family, body, lureText);
  let tools: ToolCall[] | undefined;
  let text = lureText;
  let stop: Generation['stop'] = 'end';
  if (chosen?.forced === true) text = '';
  const tokens = replyTokens(text);
  let pieces = tokens.pieces;
  let textTokens = tokens.count;
  if (pieces.length > max) {
    pieces = pieces.slice(0, max);
    text = pieces.join('');
    textTokens = tokenCount(text);
    stop = 'length';
  } else if (chosen) {
    const converseIds = converse || family === 'nova';
    tools = chosen.calls.map((c) => ({ name: c.name, id: converseIds ? ids.converseTool(rand) : ids.anthropicTool(rand), input: c.input }));
    stop = 'tool';
  }
  // each call bills its input and framing
  const outputTokens = Math.max(1, textTokens + (tools ?? []).reduce((sum, t) => sum + tokenCount(JSON.stringify(t.input)) + 12, 0));
  const perToken = 8 + Math.floor(rand() * 18);
  return {
    text,
    // only streams send chunks; Converse draws nothing from `rand` after this point, so skipping them changes no byte
    chunks: operation === 'Converse' ? [] : chunkPieces(pieces, rand),
    inputTokens,
    outputTokens,
    stop,
    ...(tools ? { tools } : {}),
    latencyMs: firstByteMs + outputTokens * perToken,
    firstByteMs,
  };
}

function cachingModel(model: CatalogModel): boolean {
  return promptCaching(model);
}

function refuse(res: HttpResponse, code: BedrockErrorCode, message: string | undefined, requestId: string): BedrockDecoyResult {
  const bytes = renderAwsError(res, code, message, { requestId });
  return { status: res.statusCode, bytes, inputTokens: 0, outputTokens: 0, error: code };
}

/**
 * Converse usage per family: the four cache counts on Claude models only (Nova, Llama and Titan
 * answers have none, recorded 2025-02 to 2026-05), `serverToolUsage` on all (2026).
 */
function converseUsage(gen: Generation, family: ModelFamily): Json {
  const counts = { inputTokens: gen.inputTokens, outputTokens: gen.outputTokens, serverToolUsage: {}, totalTokens: gen.inputTokens + gen.outputTokens };
  if (family !== 'anthropic') return counts;
  return {
    cacheReadInputTokenCount: 0,
    cacheReadInputTokens: 0,
    cacheWriteInputTokenCount: 0,
    cacheWriteInputTokens: 0,
    inputTokens: gen.inputTokens,
    outputTokens: gen.outputTokens,
    serverToolUsage: {},
    totalTokens: gen.inputTokens + gen.outputTokens,
  };
}

/** A number as JSON.stringify writes it (`null` for NaN and ±Infinity). */
function jsonNumber(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null';
}

function converseStop(gen: Generation): string {
  return gen.stop === 'tool' ? 'tool_use' : gen.stop === 'length' ? 'max_tokens' : 'end_turn';
}

/**
 * The Converse answer (B2) in Bedrock's sorted key order by construction: every key below is
 * written in alphabetical order at its level (a text answer from a template), and only a tool
 * call's free-form `input` is sorted.
 * The same bytes as `sortedJson` of the same object (a test pins it) without copying and sorting
 * the whole answer per request (sortedJson/sortKeys: ~2% of the Bedrock path's profile, issue 11).
 */
export function converseJson(gen: Generation, family: ModelFamily = 'anthropic', trace?: Json): string {
  if (trace !== undefined) {
    const content: Json[] = [];
    if (gen.text !== '' || !gen.tools) content.push({ text: gen.text });
    for (const t of gen.tools ?? []) content.push({ toolUse: { input: t.input, name: t.name, toolUseId: t.id, type: 'tool_use' } });
    return sortedJson({ metrics: { latencyMs: gen.latencyMs }, output: { message: { content, role: 'assistant' } }, stopReason: converseStop(gen), trace, usage: converseUsage(gen, family) });
  }
  if (!gen.tools) {
    // the usual answer, text only: a template (JSON.stringify of the object was ~1.3 µs of ~6)
    const counts = `"inputTokens":${jsonNumber(gen.inputTokens)},"outputTokens":${jsonNumber(gen.outputTokens)},"serverToolUsage":{},"totalTokens":${jsonNumber(gen.inputTokens + gen.outputTokens)}`;
    const cache = family === 'anthropic' ? '"cacheReadInputTokenCount":0,"cacheReadInputTokens":0,"cacheWriteInputTokenCount":0,"cacheWriteInputTokens":0,' : '';
    return `{"metrics":{"latencyMs":${jsonNumber(gen.latencyMs)}},"output":{"message":{"content":[{"text":${JSON.stringify(gen.text)}}],"role":"assistant"}},"stopReason":"${converseStop(gen)}","usage":{${cache}${counts}}}`;
  }
  const content: Json[] = [];
  if (gen.text !== '') content.push({ text: gen.text });
  for (const t of gen.tools) content.push({ toolUse: { input: sortKeys(t.input), name: t.name, toolUseId: t.id, type: 'tool_use' } });
  return JSON.stringify({ metrics: { latencyMs: gen.latencyMs }, output: { message: { content, role: 'assistant' } }, stopReason: converseStop(gen), usage: converseUsage(gen, family) });
}

function* converseFrames(gen: Generation, rand: RandomFn, trace?: Json): Generator<Buffer> {
  yield encodeEvent('messageStart', { role: 'assistant' }, rand);
  let index = 0;
  if (gen.text !== '' || !gen.tools) {
    for (const c of gen.chunks) yield encodeEvent('contentBlockDelta', { contentBlockIndex: index, delta: { text: c } }, rand);
    yield encodeEvent('contentBlockStop', { contentBlockIndex: index }, rand);
    index++;
  }
  for (const t of gen.tools ?? []) {
    yield encodeEvent('contentBlockStart', { contentBlockIndex: index, start: { toolUse: { name: t.name, toolUseId: t.id } } }, rand);
    const json = JSON.stringify(t.input);
    for (let i = 0; i < json.length; i += 24) yield encodeEvent('contentBlockDelta', { contentBlockIndex: index, delta: { toolUse: { input: json.slice(i, i + 24) } } }, rand);
    yield encodeEvent('contentBlockStop', { contentBlockIndex: index }, rand);
    index++;
  }
  yield encodeEvent('messageStop', { stopReason: converseStop(gen) }, rand);
  const usage = { inputTokens: gen.inputTokens, outputTokens: gen.outputTokens, serverToolUsage: {}, totalTokens: gen.inputTokens + gen.outputTokens };
  yield encodeEvent('metadata', trace !== undefined ? { metrics: { latencyMs: gen.latencyMs }, trace: sortKeys(trace), usage } : { metrics: { latencyMs: gen.latencyMs }, usage }, rand);
}

function invocationMetrics(gen: Generation, caching: boolean): Json {
  const metrics: Json = { inputTokenCount: gen.inputTokens, outputTokenCount: gen.outputTokens, invocationLatency: gen.latencyMs, firstByteLatency: gen.firstByteMs };
  if (caching) {
    metrics['cacheReadInputTokenCount'] = 0;
    metrics['cacheWriteInputTokenCount'] = 0;
  }
  return metrics;
}

function* invokeFrames(events: readonly Json[], gen: Generation, rand: RandomFn, caching: boolean, guard?: { readonly trace?: Json }): Generator<Buffer> {
  const last = events.length - 1;
  for (let i = 0; i < events.length; i++) {
    const event = events[i] ?? {};
    // [REC 2025-02, 2025-08] with a guardrail: its action on every chunk of text and on the last, its trace on the last
    const native = i === last
      ? guard === undefined
        ? { ...event, 'amazon-bedrock-invocationMetrics': invocationMetrics(gen, caching) }
        : { ...event, 'amazon-bedrock-invocationMetrics': invocationMetrics(gen, caching), 'amazon-bedrock-guardrailAction': 'NONE', ...(guard.trace !== undefined ? { 'amazon-bedrock-trace': guard.trace } : {}) }
      : guard !== undefined && carriesText(event)
        ? { ...event, 'amazon-bedrock-guardrailAction': 'NONE' }
        : event;
    yield encodeEvent('chunk', { bytes: Buffer.from(JSON.stringify(native), 'utf8').toString('base64') }, rand);
  }
}

/** The body as JSON, or undefined when it is not JSON (or nests too deep: util/depth). */
export function parseJson(body: Buffer): unknown {
  return parseJsonText(body.toString('utf8'));
}

const MALFORMED = 'Malformed input request, please reformat your input and try again.';

/** CountTokens (B1): `{"input":{"converse":{…}}}` or `{"input":{"invokeModel":{"body":"<base64>"}}}` → `{"inputTokens":N}`. */
function countTokensOf(model: CatalogModel, body: unknown): number {
  if (!isObject(body) || !isObject(body['input'])) throw new BedrockError('ConstraintViolation', "1 validation error detected: Value null at 'input' failed to satisfy constraint: Member must not be null");
  const input = body['input'];
  if (isObject(input['converse'])) {
    validateConverse(input['converse'], model);
    return inputTokensOf('Converse', model.family, input['converse']);
  }
  if (isObject(input['invokeModel']) && typeof input['invokeModel']['body'] === 'string') {
    const inner = parseJson(Buffer.from(input['invokeModel']['body'], 'base64'));
    validateInvoke(model.family, inner, model);
    return inputTokensOf('InvokeModel', model.family, inner as Json);
  }
  throw new BedrockError('MalformedInput', MALFORMED);
}

/**
 * Would Bedrock bill this runtime request? A generation (Converse, InvokeModel and their streams)
 * for a model the account can use, whose body passes the service's validation. CountTokens and
 * every refusal (the `max_tokens: -1` access probe above all) are free and do not spend a lure.
 */
export function wouldBill(operation: BedrockOperation, modelId: string, region: string, body: unknown): boolean {
  if (operation === 'CountTokens') return false;
  const resolved = resolveModel(modelId, region, operation);
  if (!resolved.ok || body === undefined) return false;
  try {
    if (operation === 'Converse' || operation === 'ConverseStream') validateConverse(body, resolved.model);
    else validateInvoke(resolved.model.family, body, resolved.model);
    return true;
  } catch (e: unknown) {
    if (e instanceof BedrockError) return false;
    throw e;
  }
}

/**
 * Answer one Bedrock Runtime request for a lure key. Writes the whole response (success, stream or
 * AWS error) to `res` and resolves when it is done.
 */
export async function serveBedrockDecoy(req: BedrockDecoyRequest, res: HttpResponse): Promise<BedrockDecoyResult> {
  const rand = req.rand ?? Math.random;
  const requestId = req.requestId ?? uuid4();
  const resolved = resolveModel(req.modelId, req.region, req.operation, req.accountId);
  if (!resolved.ok) return refuse(res, resolved.error, resolved.message, requestId);
  const model = resolved.model;
  const family = model.family;
  const parsed = req.parsedBody !== undefined ? req.parsedBody.value : parseJson(req.body);
  try {
    if (req.operation === 'CountTokens') {
      if (family !== 'anthropic') throw new BedrockError('ConstraintViolation', "The provided model doesn't support counting tokens.");
      const inputTokens = countTokensOf(model, parsed);
      const body = Buffer.from(sortedJson({ inputTokens }), 'utf8');
      return { status: 200, bytes: sendJson(res, body, jsonHeaders(body.length, requestId)), inputTokens, outputTokens: 0 };
    }
    if (parsed === undefined) throw new BedrockError('MalformedInput', MALFORMED);
    if (req.operation === 'Converse' || req.operation === 'ConverseStream') validateConverse(parsed, model);
    else validateInvoke(family, parsed, model);
  } catch (e: unknown) {
    if (e instanceof BedrockError) return refuse(res, e.code, e.message, requestId);
    throw e;
  }
  const body = parsed as Json;
  const gen = generate(req.operation, family, model, body, req.lureText, rand);
  const base = { inputTokens: gen.inputTokens, outputTokens: gen.outputTokens };
  const pace = req.pace === true;
  // a JSON answer is ready when the whole generation is
  if (pace && (req.operation === 'Converse' || req.operation === 'InvokeModel')) {
    await sleep(gen.latencyMs);
    if (res.destroyed) return { status: 0, bytes: 0, ...base };
  }

  switch (req.operation) {
    case 'Converse': {
      const g = converseGuardrail(body);
      const out = Buffer.from(converseJson(gen, family, g?.trace === true ? converseTrace(g, body, gen, rand) : undefined), 'utf8');
      return { status: 200, bytes: sendJson(res, out, jsonHeaders(out.length, requestId)), ...base };
    }
    case 'ConverseStream': {
      const g = converseGuardrail(body);
      const bytes = await writeStream(res, streamHeaders(requestId, null), [...converseFrames(gen, rand, g?.trace === true ? converseTrace(g, body, gen, rand) : undefined)], gen, pace, req.chunkDelayMs ?? 0);
      return { status: 200, bytes, ...base };
    }
    case 'InvokeModel': {
      const native = invokeBody(family, model, body, gen, rand);
      const g = req.guardrail;
      // [docs] with a guardrail the native body ends with its action (and, asked for, its trace)
      const out = Buffer.from(g === undefined ? native : JSON.stringify({ ...(JSON.parse(native) as Json), 'amazon-bedrock-guardrailAction': 'NONE', ...(g.trace ? { 'amazon-bedrock-trace': invokeTrace(g, body, gen, rand) } : {}) }), 'utf8');
      const headers = jsonHeaders(out.length, requestId);
      headers.push('X-Amzn-Bedrock-Invocation-Latency', String(gen.latencyMs));
      if (gen.outputTokens > 0 || (family !== 'titan-embed' && family !== 'cohere-embed')) {
        if (cachingModel(model)) headers.push('X-Amzn-Bedrock-Cache-Write-Input-Token-Count', '0', 'X-Amzn-Bedrock-Cache-Read-Input-Token-Count', '0');
        headers.push('X-Amzn-Bedrock-Output-Token-Count', String(gen.outputTokens));
      }
      headers.push('X-Amzn-Bedrock-Input-Token-Count', String(gen.inputTokens));
      return { status: 200, bytes: sendJson(res, out, headers), ...base };
    }
    case 'InvokeModelWithResponseStream': {
      const events = invokeStreamEvents(family, model, body, gen, rand);
      const bytes = await writeStream(res, streamHeaders(requestId, 'application/json'), [...invokeFrames(events, gen, rand, cachingModel(model), req.guardrail === undefined ? undefined : req.guardrail.trace ? { trace: invokeTrace(req.guardrail, body, gen, rand) } : {})], gen, pace, req.chunkDelayMs ?? 0);
      return { status: 200, bytes, ...base };
    }
    default: {
      const never: never = req.operation;
      return never;
    }
  }
}
