/**
 * The OpenAI decoy: a synthetic responder that answers lure-key requests offline, shaped exactly
 * like api.openai.com: chat completions (JSON and SSE with obfuscation and
 * include_usage), legacy completions, the Responses API (decoy-responses.ts), embeddings (float
 * and base64), models. Content is the lure's controlled reply; token counts are real (tokens.ts).
 * It implements the same contract as a real upstream: it writes a complete response to `res`.
 */
import { createHash } from 'node:crypto';
import type { HttpResponse } from '../../core/http.js';
import { ALNUM, randomChars } from '../../util/random.js';
import { RenderedJson } from '../../util/json.js';
import { writeOpenAIErrorBody, writeOpenAIJson } from './render.js';
import { firstTokenMs, paceJson, paceStream } from '../../deception/decoy/pacing.js';
import { chatPromptTokens, streamPieces, tokenCount, anyTextTokens, truncateTokens } from '../../deception/decoy/tokens.js';
import { isReasoningModel, reasoningTokensFor } from '../../deception/models.js';
import { serveResponses } from './decoy-responses.js';
import { chooseCalls, fitCalls, isJsonSchema, isObject, obfuscation, REFUSAL_TOKEN, refusalFor, replyText, unixNow, writeSseHead, type DecoyRequest, type DecoyResult, type Json } from './decoy-shared.js';

function modelNotFound(res: HttpResponse, req: DecoyRequest, model: string): DecoyResult {
  const message = `The model \`${model}\` does not exist or you do not have access to it.`;
  writeOpenAIErrorBody(res, 404, { message, type: 'invalid_request_error', param: null, code: 'model_not_found' }, 'legacy', { head: req.head });
  return { status: 404, promptTokens: 0, completionTokens: 0 };
}

function badRequest(res: HttpResponse, req: DecoyRequest, message: string, param: string | null, code: string | null): DecoyResult {
  writeOpenAIErrorBody(res, 400, { message, type: 'invalid_request_error', param, code }, 'current', { account: req.headers, head: req.head });
  return { status: 400, promptTokens: 0, completionTokens: 0 };
}

function toolCallId(): string {
  return `call_${randomChars(ALNUM, 24)}`;
}

function chatUsage(u: UsageFields): Json {
  return {
    prompt_tokens: u.promptTokens,
    completion_tokens: u.completionTokens,
    total_tokens: u.promptTokens + u.completionTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: u.reasoningTokens, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

async function serveChat(req: DecoyRequest, res: HttpResponse): Promise<DecoyResult> {
  const body = req.body ?? {};
  const requested = body['model'];
  if (typeof requested !== 'string' || requested === '') return badRequest(res, req, "you must provide a model parameter", null, null);
  const messages = body['messages'];
  if (!Array.isArray(messages)) return badRequest(res, req, "Missing required parameter: 'messages'.", 'messages', 'missing_required_parameter');
  if (messages.length === 0) {
    return badRequest(res, req, "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.", 'messages', 'empty_array');
  }
  const model = req.account.resolveModel(requested);
  if (model === null) return modelNotFound(res, req, requested);
  const last = messages[messages.length - 1];
  // a clearly harmful ask is refused, not answered nor turned into a tool call; under a JSON schema the refusal has its own field
  const refusal = refusalFor(messages, body['tool_choice']);
  const planned = refusal === null ? chooseCalls(body, messages, isObject(last) ? last['role'] : undefined, req.reply) : [];
  const structuredRefusal = refusal !== null && isJsonSchema(body['response_format']);
  const n = typeof body['n'] === 'number' && Number.isInteger(body['n']) && body['n'] >= 1 && body['n'] <= 8 ? body['n'] : 1;
  const promptTokens = chatPromptTokens(messages);
  const reasoning = isReasoningModel(model);
  // max_completion_tokens counts reasoning tokens too; the answer stops there with finish_reason "length"
  const limit = positiveInt(body['max_completion_tokens']) ?? positiveInt(body['max_tokens']);
  const thought = reasoning ? reasoningTokensFor(body['reasoning_effort'], promptTokens) : 0;
  const reasoningTokens = limit !== undefined ? Math.min(thought, limit) : thought;
  const budget = limit !== undefined ? limit - reasoningTokens : Number.POSITIVE_INFINITY;
  const full = planned.length > 0 ? '' : (refusal ?? replyText(req.reply, body['response_format']));
  const said = planned.length > 0 ? fitCalls(planned, budget) : Number.isFinite(budget) ? truncateTokens(full, budget) : { text: full, tokens: tokenCount(full), cut: false };
  const text = 'text' in said ? said.text : '';
  const calls = 'calls' in said ? said.calls : [];
  // a budget spent before the first call leaves an empty message, cut at the limit
  const tool = calls.length > 0;
  const finish: FinishReason = said.cut || (limit !== undefined && reasoningTokens >= limit && thought > 0) ? 'length' : tool ? 'tool_calls' : 'stop';
  // each call bills its name and framing too, unless the answer was cut at the limit; a structured refusal bills its refusal token
  const perChoice =
    ('text' in said
      ? said.tokens + (structuredRefusal && !said.cut ? REFUSAL_TOKEN : 0)
      : calls.reduce((sum, c) => sum + c.tokens + (said.cut ? 0 : tokenCount(c.name) + 7), 0)) + reasoningTokens;
  const completionTokens = perChoice * n;
  const id = `chatcmpl-${randomChars(ALNUM, 29)}`;
  const created = unixNow();
  const fingerprint = req.account.systemFingerprint(model);
  const processingMs = req.account.processingMs(Math.random, completionTokens);
  const serviceTier = answeredTier(body['service_tier']);
  const usage: UsageFields = { promptTokens, completionTokens, reasoningTokens: reasoningTokens * n };

  if (body['stream'] === true) {
    const streamOptions = isObject(body['stream_options']) ? body['stream_options'] : {};
    const includeUsage = streamOptions['include_usage'] === true;
    const obfuscate = streamOptions['include_obfuscation'] !== false;
    const choice = (index: number, delta: Json, finishReason: FinishReason | null): Json =>
      reasoning ? { index, delta, finish_reason: finishReason } : { index, delta, logprobs: null, finish_reason: finishReason };
    const chunk = (choices: unknown[], u?: Json | null): string => {
      const c: Json = { id, object: 'chat.completion.chunk', created, model, service_tier: serviceTier, system_fingerprint: fingerprint, choices };
      if (includeUsage) c['usage'] = u ?? null;
      if (obfuscate) c['obfuscation'] = obfuscation();
      return `data: ${JSON.stringify(c)}\n\n`;
    };
    const out: string[] = [];
    for (let index = 0; index < n; index++) {
      if (calls.length === 1 && calls[0] !== undefined) {
        // [REC 2026-03] one call starts in the role chunk (id, type, name, empty arguments)
        const call = calls[0];
        out.push(chunk([choice(index, { role: 'assistant', content: null, tool_calls: [{ index: 0, id: toolCallId(), type: 'function', function: { name: call.name, arguments: '' } }], refusal: null }, null)]));
        for (const piece of streamPieces(call.arguments)) out.push(chunk([choice(index, { tool_calls: [{ index: 0, function: { arguments: piece } }] }, null)]));
      } else if (tool) {
        // [REC oa-chat-stream-parallel-tools-2026-03] several calls: the role chunk has none, each call starts in its own chunk
        out.push(chunk([choice(index, { role: 'assistant', content: null }, null)]));
        calls.forEach((call, i) => {
          out.push(chunk([choice(index, { tool_calls: [{ index: i, id: toolCallId(), type: 'function', function: { name: call.name, arguments: '' } }] }, null)]));
          for (const piece of streamPieces(call.arguments)) out.push(chunk([choice(index, { tool_calls: [{ index: i, function: { arguments: piece } }] }, null)]));
        });
      } else if (structuredRefusal) {
        // the refusal streams on its own key, `content` stays null
        out.push(chunk([choice(index, { role: 'assistant', content: null, refusal: '' }, null)]));
        for (const piece of streamPieces(text)) out.push(chunk([choice(index, { refusal: piece }, null)]));
      } else {
        out.push(chunk([choice(index, { role: 'assistant', content: '', refusal: null }, null)]));
        for (const piece of streamPieces(text)) out.push(chunk([choice(index, { content: piece }, null)]));
      }
      out.push(chunk([choice(index, {}, finish)]));
    }
    if (includeUsage) out.push(chunk([], chatUsage(usage)));
    out.push('data: [DONE]\n\n');
    await paceStream(res, req.pace, processingMs, () => writeSseHead(res, req, firstTokenMs(processingMs)), out, req.head);
    return { status: 200, model, promptTokens, completionTokens };
  }

  // tool-call ids are drawn in choice order before the answer is written, as before
  const choices: ChatChoice[] = [];
  for (let index = 0; index < n; index++) {
    choices.push(tool ? { toolCalls: calls.map((c) => ({ id: toolCallId(), name: c.name, arguments: c.arguments })), finish } : structuredRefusal ? { refusal: text, finish } : { content: text, finish });
  }
  if (req.pace) await paceJson(true, processingMs);
  writeOpenAIJson(
    res,
    200,
    new RenderedJson(chatCompletionJson({ id, created, model, choices, promptTokens, completionTokens, reasoningTokens: usage.reasoningTokens, fingerprint, serviceTier, logprobs: !reasoning }), 2),
    'chat',
    { account: req.headers, processingMs, head: req.head },
  );
  return { status: 200, model, promptTokens, completionTokens };
}

type FinishReason = 'stop' | 'length' | 'tool_calls';

interface UsageFields {
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly reasoningTokens: number;
}

function positiveInt(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 ? v : undefined;
}

/** The tier an answer reports: the one asked for (`priority`, `flex`, `scale`), else `default`. */
function answeredTier(requested: unknown): string {
  return requested === 'priority' || requested === 'flex' || requested === 'scale' ? requested : 'default';
}

/** One choice of a chat completion: the text, a structured-output refusal, or its tool calls. */
export type ChatChoice =
  | { readonly content: string; readonly finish?: FinishReason }
  | { readonly refusal: string; readonly finish?: FinishReason }
  | { readonly toolCalls: readonly { readonly id: string; readonly name: string; readonly arguments: string }[]; readonly finish?: FinishReason };

export interface ChatCompletionFields {
  readonly id: string;
  readonly created: number;
  readonly model: string;
  readonly choices: readonly ChatChoice[];
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly reasoningTokens?: number;
  readonly fingerprint: string | null;
  /** the tier answered (`default` unless the client asked for another) */
  readonly serviceTier?: string;
  /** choices carry `logprobs: null` (reasoning models omit the key) */
  readonly logprobs?: boolean;
}

const str = (s: string): string => JSON.stringify(s);
const num = (v: number): string => (Number.isFinite(v) ? String(v) : 'null');

function toolCallJson(call: { readonly id: string; readonly name: string; readonly arguments: string }): string {
  return `          {\n            "id": ${str(call.id)},\n            "type": "function",\n            "function": {\n              "name": ${str(call.name)},\n              "arguments": ${str(call.arguments)}\n            }\n          }`;
}

function choiceJson(choice: ChatChoice, index: number, logprobs: boolean): string {
  const message =
    'content' in choice
      ? `"role": "assistant",\n        "content": ${str(choice.content)},`
      : 'refusal' in choice
        ? `"role": "assistant",\n        "content": null,`
        : `"role": "assistant",\n        "content": null,\n        "tool_calls": [\n${choice.toolCalls.map(toolCallJson).join(',\n')}\n        ],`;
  return `{\n      "index": ${num(index)},\n      "message": {\n        ${message}\n        "refusal": ${'refusal' in choice ? str(choice.refusal) : 'null'},\n        "annotations": []\n      },${logprobs ? '\n      "logprobs": null,' : ''}\n      "finish_reason": ${str(choice.finish ?? ('toolCalls' in choice ? 'tool_calls' : 'stop'))}\n    }`;
}

/**
 * A chat completion exactly as `openaiJson` writes the object (2-space indent, OpenAI's key order),
 * from a template: only the variable strings go through JSON.stringify. The generic writer (or
 * JSON.stringify with an indent, V8's slow path) cost ~3 µs of the lure path's ~20 µs in-process
 * (issue 11 profile); the template ~0.8 µs. test/deception/decoy-json.test.ts holds it to the
 * generic writer's bytes.
 */
export function chatCompletionJson(f: ChatCompletionFields): string {
  const logprobs = f.logprobs !== false;
  const choices = f.choices.map((c, i) => choiceJson(c, i, logprobs)).join(',\n    ');
  return `{
  "id": ${str(f.id)},
  "object": "chat.completion",
  "created": ${num(f.created)},
  "model": ${str(f.model)},
  "choices": [
    ${choices}
  ],
  "usage": {
    "prompt_tokens": ${num(f.promptTokens)},
    "completion_tokens": ${num(f.completionTokens)},
    "total_tokens": ${num(f.promptTokens + f.completionTokens)},
    "prompt_tokens_details": {
      "cached_tokens": 0,
      "audio_tokens": 0
    },
    "completion_tokens_details": {
      "reasoning_tokens": ${num(f.reasoningTokens ?? 0)},
      "audio_tokens": 0,
      "accepted_prediction_tokens": 0,
      "rejected_prediction_tokens": 0
    }
  },
  "service_tier": ${str(f.serviceTier ?? 'default')},
  "system_fingerprint": ${f.fingerprint === null ? 'null' : str(f.fingerprint)}
}`;
}

const COMPLETION_MODELS = /^(gpt-3\.5-turbo-instruct|davinci-002|babbage-002|davinci:|babbage:)/;

async function serveCompletions(req: DecoyRequest, res: HttpResponse): Promise<DecoyResult> {
  const body = req.body ?? {};
  const requested = body['model'];
  if (typeof requested !== 'string' || requested === '') return badRequest(res, req, 'you must provide a model parameter', null, null);
  const model = req.account.resolveModel(requested);
  if (model === null) return modelNotFound(res, req, requested);
  if (!COMPLETION_MODELS.test(model)) {
    writeOpenAIErrorBody(
      res,
      404,
      { message: 'This is a chat model and not supported in the v1/completions endpoint. Did you mean to use v1/chat/completions?', type: 'invalid_request_error', param: 'model', code: null },
      'legacy',
      { head: req.head },
    );
    return { status: 404, promptTokens: 0, completionTokens: 0 };
  }
  const promptTokens = anyTextTokens(body['prompt']);
  // legacy completions stop at 16 tokens unless told otherwise [REC 2026-03: finish_reason "length" at 16]
  const said = truncateTokens(req.reply, positiveInt(body['max_tokens']) ?? LEGACY_DEFAULT_MAX_TOKENS);
  const completionTokens = said.tokens;
  const finish: FinishReason = said.cut ? 'length' : 'stop';
  const id = `cmpl-${randomChars(ALNUM, 29)}`;
  const created = unixNow();
  const processingMs = req.account.processingMs(Math.random, completionTokens);
  if (body['stream'] === true) {
    const pieces = streamPieces(said.text);
    const out = pieces.map(
      (piece, i) => `data: ${JSON.stringify({ id, object: 'text_completion', created, choices: [{ text: piece, index: 0, logprobs: null, finish_reason: i === pieces.length - 1 ? finish : null }], model })}\n\n`,
    );
    out.push('data: [DONE]\n\n');
    await paceStream(res, req.pace, processingMs, () => writeSseHead(res, req, firstTokenMs(processingMs)), out, req.head);
    return { status: 200, model, promptTokens, completionTokens };
  }
  await paceJson(req.pace, processingMs);
  writeOpenAIJson(
    res,
    200,
    {
      id,
      object: 'text_completion',
      created,
      model,
      choices: [{ text: said.text, index: 0, logprobs: null, finish_reason: finish }],
      usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
    },
    'chat',
    { account: req.headers, processingMs, model, head: req.head },
  );
  return { status: 200, model, promptTokens, completionTokens };
}

const LEGACY_DEFAULT_MAX_TOKENS = 16;

const EMBEDDING_DIMS: Readonly<Record<string, number>> = {
  'text-embedding-3-small': 1536,
  'text-embedding-3-large': 3072,
  'text-embedding-ada-002': 1536,
};
const MAX_EMBED_INPUTS = 2048;

/** A deterministic unit vector per text: the same text always embeds the same, as with the real model. */
function embed(text: string, dims: number): Float32Array {
  const out = new Float32Array(dims);
  let block = createHash('sha512').update(text).digest();
  let norm = 0;
  for (let i = 0; i < dims; i++) {
    const j = (i * 2) % 64;
    if (j === 0 && i > 0) block = createHash('sha512').update(block).digest();
    const v = ((block.readUInt16BE(j) / 65535) * 2 - 1) * 0.05;
    out[i] = v;
    norm += v * v;
  }
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 1;
  for (let i = 0; i < dims; i++) out[i] = (out[i] ?? 0) * scale;
  return out;
}

async function serveEmbeddings(req: DecoyRequest, res: HttpResponse): Promise<DecoyResult> {
  const body = req.body ?? {};
  const requested = body['model'];
  if (typeof requested !== 'string' || requested === '') return badRequest(res, req, 'you must provide a model parameter', null, null);
  const input = body['input'];
  const inputs: string[] = typeof input === 'string' ? [input] : Array.isArray(input) ? input.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))) : [];
  if (inputs.length === 0) return badRequest(res, req, "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.", null, null);
  if (inputs.length > MAX_EMBED_INPUTS) {
    return badRequest(res, req, `Invalid 'input': array too long. Expected an array with maximum length ${MAX_EMBED_INPUTS}, but got an array with length ${inputs.length} instead.`, 'input', 'array_above_max_length');
  }
  const model = req.account.resolveModel(requested);
  const base = model === null ? null : Object.keys(EMBEDDING_DIMS).find((m) => model.startsWith(m));
  if (model === null || base === undefined || base === null) return modelNotFound(res, req, requested);
  const full = EMBEDDING_DIMS[base] ?? 1536;
  const dimsParam = body['dimensions'];
  const dims = typeof dimsParam === 'number' && Number.isInteger(dimsParam) && dimsParam >= 1 && dimsParam <= full && base !== 'text-embedding-ada-002' ? dimsParam : full;
  const base64 = body['encoding_format'] === 'base64';
  const data = inputs.map((text, index) => {
    const vec = embed(text, dims);
    return {
      object: 'embedding',
      index,
      embedding: base64 ? Buffer.from(vec.buffer, vec.byteOffset, vec.byteLength).toString('base64') : Array.from(vec),
    };
  });
  const promptTokens = inputs.reduce((n, t) => n + tokenCount(t), 0);
  const processingMs = req.account.processingMs(Math.random, 0);
  await paceJson(req.pace, processingMs);
  writeOpenAIJson(
    res,
    200,
    { object: 'list', data, model: base, usage: { prompt_tokens: promptTokens, total_tokens: promptTokens } },
    'embeddings',
    { account: req.headers, processingMs, model: base, head: req.head },
  );
  return { status: 200, model: base, promptTokens, completionTokens: 0 };
}

function serveModels(req: DecoyRequest, res: HttpResponse): DecoyResult {
  if (req.endpoint === 'models.list') {
    writeOpenAIJson(res, 200, { object: 'list', data: req.account.models }, 'chat', { account: req.headers, processingMs: 0, head: req.head });
    return { status: 200, promptTokens: 0, completionTokens: 0 };
  }
  const id = decodeURIComponent(req.param ?? '');
  const found = req.account.models.find((m) => m.id === id);
  if (!found) {
    writeOpenAIErrorBody(
      res,
      404,
      { message: `The model '${id}' does not exist`, type: 'invalid_request_error', param: 'model', code: 'model_not_found' },
      'current',
      { account: req.headers, head: req.head },
    );
    return { status: 404, promptTokens: 0, completionTokens: 0 };
  }
  writeOpenAIJson(res, 200, found, 'chat', { account: req.headers, processingMs: 0, head: req.head });
  return { status: 200, model: found.id, promptTokens: 0, completionTokens: 0 };
}

/** Endpoints the decoy knows but does not simulate: an empty, well-formed answer. */
function serveOther(req: DecoyRequest, res: HttpResponse): DecoyResult {
  if (req.method === 'GET') {
    writeOpenAIJson(res, 200, { object: 'list', data: [], first_id: null, last_id: null, has_more: false }, 'chat', { account: req.headers, processingMs: 0, head: req.head });
    return { status: 200, promptTokens: 0, completionTokens: 0 };
  }
  if (req.endpoint === 'moderations') {
    const id = `modr-${randomChars(ALNUM, 29)}`;
    writeOpenAIJson(
      res,
      200,
      { id, model: 'omni-moderation-latest', results: [{ flagged: false, categories: {}, category_scores: {}, category_applied_input_types: {} }] },
      'chat',
      { account: req.headers, head: req.head },
    );
    return { status: 200, model: 'omni-moderation-latest', promptTokens: 0, completionTokens: 0 };
  }
  return badRequest(res, req, "'$' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.", null, null);
}

export async function serveOpenAIDecoy(req: DecoyRequest, res: HttpResponse): Promise<DecoyResult> {
  switch (req.endpoint) {
    case 'chat.completions':
      return req.method === 'GET' ? serveOther(req, res) : serveChat(req, res);
    case 'completions':
      return serveCompletions(req, res);
    case 'responses':
      return serveResponses(req, res);
    case 'embeddings':
      return serveEmbeddings(req, res);
    case 'models.list':
    case 'models.retrieve':
      return serveModels(req, res);
    case 'moderations':
    case 'other':
      return serveOther(req, res);
  }
}
