/**
 * The Gemini API's OpenAI-compatible endpoints (`/v1beta/openai/chat/completions`, `embeddings`,
 * `models`): the OpenAI request is read into a GenerateContentRequest (messages → contents and
 * system instruction, function tools → declarations, `response_format` → JSON output,
 * `max_tokens` → maxOutputTokens, `reasoning_effort` → thinking budget) so the same planned answer
 * serves both shapes; answers are compact JSON with keys in alphabetical order, as Google's
 * compatibility layer writes them, and its errors are Google errors wrapped in an array.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { HttpResponse } from '../../core/http.js';
import { planAnswer, type PlannedAnswer } from './answer.js';
import { embedTokens, embedValues, geminiResponseId } from './decoy.js';
import { GEMINI_MODELS, findGeminiModel, type GeminiModel } from './models.js';
import { isObj } from './validate.js';
import { GeminiStreamWriter, JSON_TYPE, writeGeminiBody } from './wire.js';

type Obj = Record<string, unknown>;

/** JSON with keys sorted at every level, compact. */
export function sortedJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map((v) => sortedJson(v)).join(',')}]`;
  const keys = Object.keys(value).filter((k) => (value as Obj)[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${sortedJson((value as Obj)[k])}`).join(',')}}`;
}

/** The model an OpenAI-style id names (`gemini-2.5-flash` or `models/gemini-2.5-flash`). */
export function compatModel(id: unknown): GeminiModel | undefined {
  return typeof id === 'string' ? findGeminiModel(id) : undefined;
}

function messageText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .slice(0, 256)
    .filter((p): p is Obj => isObj(p) && typeof p['text'] === 'string')
    .map((p) => p['text'] as string)
    .join('\n');
}

const EFFORT_BUDGET: Readonly<Record<string, number>> = { none: 0, minimal: 0, low: 1024, medium: 8192, high: 24_576 };

/** An OpenAI chat body as a GenerateContentRequest. */
export function chatToGenerate(body: Obj, model: GeminiModel): Obj {
  const contents: Obj[] = [];
  const system: string[] = [];
  const messages = Array.isArray(body['messages']) ? body['messages'].slice(0, 10_000) : [];
  for (const m of messages) {
    if (!isObj(m)) continue;
    const role = m['role'];
    const text = messageText(m['content']);
    if (role === 'system' || role === 'developer') system.push(text);
    else if (role === 'tool') contents.push({ role: 'user', parts: [{ functionResponse: { name: String(m['name'] ?? 'tool'), response: { content: text } } }] });
    else contents.push({ role: role === 'assistant' ? 'model' : 'user', parts: [{ text }] });
  }
  const out: Obj = { contents };
  if (system.length > 0) out['systemInstruction'] = { parts: [{ text: system.join('\n') }] };
  const tools = Array.isArray(body['tools']) ? body['tools'].slice(0, 128) : [];
  const decls = tools
    .filter((t): t is Obj => isObj(t) && isObj(t['function']))
    .map((t) => {
      const f = t['function'] as Obj;
      return { name: String(f['name'] ?? ''), description: typeof f['description'] === 'string' ? f['description'] : '', parametersJsonSchema: f['parameters'] ?? { type: 'object' } };
    });
  if (decls.length > 0) {
    out['tools'] = [{ functionDeclarations: decls }];
    const choice = body['tool_choice'];
    if (choice === 'none') out['toolConfig'] = { functionCallingConfig: { mode: 'NONE' } };
    else if (choice === 'required') out['toolConfig'] = { functionCallingConfig: { mode: 'ANY' } };
    else if (isObj(choice) && isObj(choice['function'])) out['toolConfig'] = { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [String((choice['function'] as Obj)['name'])] } };
  }
  const gc: Obj = {};
  const max = body['max_completion_tokens'] ?? body['max_tokens'];
  if (typeof max === 'number' && Number.isInteger(max) && max > 0) gc['maxOutputTokens'] = max;
  const rf = body['response_format'];
  if (isObj(rf) && (rf['type'] === 'json_object' || rf['type'] === 'json_schema')) {
    gc['responseMimeType'] = 'application/json';
    const js = rf['json_schema'];
    if (isObj(js) && js['schema'] !== undefined) gc['responseJsonSchema'] = js['schema'];
  }
  const effort = body['reasoning_effort'];
  if (model.thinking && typeof effort === 'string' && effort in EFFORT_BUDGET) {
    const budget = EFFORT_BUDGET[effort] ?? -1;
    gc['thinkingConfig'] = { thinkingBudget: budget === 0 && (model.budget?.min ?? 0) > 0 ? model.budget?.min ?? 128 : budget };
  }
  out['generationConfig'] = gc;
  return out;
}

function callId(): string {
  return `function-call-${Math.floor(Math.random() * 9e18).toString().padStart(19, '1')}`;
}

function finishReason(plan: PlannedAnswer): string {
  if (plan.output?.kind === 'calls') return 'tool_calls';
  return plan.finishReason === 'MAX_TOKENS' ? 'length' : 'stop';
}

function usage(plan: PlannedAnswer): Obj {
  return { completion_tokens: plan.candidatesTokens, prompt_tokens: plan.prompt.total, total_tokens: plan.prompt.total + plan.candidatesTokens + plan.thoughtsTokens };
}

function message(plan: PlannedAnswer): Obj {
  const out = plan.output;
  if (out?.kind === 'calls') {
    return { role: 'assistant', tool_calls: out.calls.map((call) => ({ function: { arguments: JSON.stringify(call.args), name: call.name }, id: callId(), type: 'function' })) };
  }
  return { content: out?.kind === 'text' ? out.text : '', role: 'assistant' };
}

export interface CompatChat {
  readonly model: GeminiModel;
  readonly body: Obj;
  readonly reply: string;
  readonly baseLatencyMs: number;
  readonly gzip: boolean;
  readonly pace: boolean;
}

/** Answer `/v1beta/openai/chat/completions` (JSON or `stream: true` SSE with `data: [DONE]`). */
export async function serveCompatChat(req: CompatChat, res: HttpResponse): Promise<{ promptTokens: number; outputTokens: number }> {
  const plan = planAnswer({ model: req.model, body: chatToGenerate(req.body, req.model), reply: req.reply, baseLatencyMs: req.baseLatencyMs });
  const id = geminiResponseId();
  const created = Math.floor(Date.now() / 1000);
  const served = { promptTokens: plan.prompt.total, outputTokens: plan.candidatesTokens + plan.thoughtsTokens };
  if (req.body['stream'] !== true) {
    if (req.pace) await sleep(plan.totalMs);
    const answer = { choices: [{ finish_reason: finishReason(plan), index: 0, message: message(plan) }], created, id, model: req.model.id, object: 'chat.completion', usage: usage(plan) };
    await writeGeminiBody(res, 200, JSON_TYPE, sortedJson(answer), { gzip: req.gzip, durMs: plan.totalMs });
    return served;
  }
  if (req.pace) await sleep(plan.firstMs);
  const writer = new GeminiStreamWriter(res, req.gzip);
  writer.start(200, 'text/event-stream', plan.firstMs);
  const base = { created, id, model: req.model.id, object: 'chat.completion.chunk' };
  const out = plan.output;
  const frames: Obj[] = [];
  if (out?.kind === 'text') {
    const pieces = out.text.match(/[\s\S]{1,160}/g) ?? [];
    pieces.forEach((text, i) => {
      const last = i === pieces.length - 1;
      frames.push({ choices: [{ delta: { content: text, role: 'assistant' }, ...(last ? { finish_reason: finishReason(plan) } : {}), index: 0 }], ...base, ...(last ? { usage: usage(plan) } : {}) });
    });
  }
  if (frames.length === 0) frames.push({ choices: [{ delta: message(plan), finish_reason: finishReason(plan), index: 0 }], ...base, usage: usage(plan) });
  const gap = frames.length > 1 ? (plan.totalMs - plan.firstMs) / (frames.length - 1) : 0;
  for (let i = 0; i < frames.length; i++) {
    if (writer.closed) return served;
    writer.write(`data: ${sortedJson(frames[i])}\n\n`);
    if (req.pace && i + 1 < frames.length && gap >= 8) await sleep(Math.round(gap));
  }
  writer.end('data: [DONE]\n\n');
  return served;
}

/** `/v1beta/openai/models`. */
export function compatModelList(): Obj {
  return { data: GEMINI_MODELS.map((m) => ({ id: `models/${m.id}`, object: 'model', owned_by: 'google' })), object: 'list' };
}

export function compatModelObject(model: GeminiModel): Obj {
  return { id: `models/${model.id}`, object: 'model', owned_by: 'google' };
}

/** `/v1beta/openai/embeddings` (input: a string or an array of strings). */
export function compatEmbeddings(model: GeminiModel, body: Obj): Obj {
  const input = body['input'];
  const texts = (Array.isArray(input) ? input.slice(0, 2048) : [input]).map((t) => (typeof t === 'string' ? t : JSON.stringify(t) ?? ''));
  const dimsAsked = Number(body['dimensions'] ?? 0);
  const dims = Number.isInteger(dimsAsked) && dimsAsked > 0 ? Math.min(dimsAsked, model.dims ?? 768) : model.dims ?? 768;
  const tokens = embedTokens(texts.map((t) => ({ content: { parts: [{ text: t }] } })));
  // the openai SDKs ask for base64 by default: little-endian float32, as OpenAI encodes it
  const base64 = body['encoding_format'] === 'base64';
  const vector = (t: string): number[] | string => {
    const values = embedValues(model.id, t, dims);
    return base64 ? Buffer.from(new Float32Array(values).buffer).toString('base64') : values;
  };
  return {
    data: texts.map((t, index) => ({ embedding: vector(t), index, object: 'embedding' })),
    model: model.id,
    object: 'list',
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}
