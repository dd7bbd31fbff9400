/**
 * What a Gemini model would answer, decided before anything is written: the prompt's token count
 * (text, plus 258 tokens per image as the API counts them), the output (the lure's reply, JSON from
 * `responseSchema` / `responseJsonSchema`, or a `functionCall` with schema-valid `args` when the
 * client declared functions), thinking tokens for the 2.5 / 3.x models (they count toward
 * `maxOutputTokens`, so a small limit can leave no visible text at all, as on the real API), the
 * cut at exactly `maxOutputTokens` with `finishReason: MAX_TOKENS`, and the answer's timing.
 * Token counts use one tokenizer throughout (deception/decoy/tokens.ts), so countTokens,
 * `promptTokenCount` and the cut agree with each other on every request.
 */
import { createHash } from 'node:crypto';
import { decode, encode } from 'gpt-tokenizer';
import { fillSchema } from '../../deception/decoy/schema-fill.js';
import { planToolCalls } from '../../deception/decoy/tool-calls.js';
import { streamPieces, tokenCount } from '../../deception/decoy/tokens.js';
import { isObj } from './validate.js';
import type { GeminiModel } from './models.js';

type Obj = Record<string, unknown>;

/** Tokens the API counts for one image part. */
export const IMAGE_TOKENS = 258;
/** Inputs beyond this many characters are estimated (4 per token): no tokenizer run on hostile sizes. */
const EXACT_CHARS = 64 * 1024;
const MAX_WALK = 20_000;

export interface PromptCount {
  readonly total: number;
  readonly text: number;
  readonly image: number;
}

function pick(o: Obj, camel: string, snakeName: string): unknown {
  return o[camel] ?? o[snakeName];
}

/** Text and image parts of a list of Content objects (bounded walk). */
function walkContents(contents: unknown, acc: { text: string[]; images: number; seen: number }): void {
  const list = Array.isArray(contents) ? contents : contents === undefined ? [] : [contents];
  for (const c of list) {
    if (acc.seen++ > MAX_WALK || !isObj(c)) continue;
    const parts = c['parts'];
    if (!Array.isArray(parts)) continue;
    for (const p of parts) {
      if (acc.seen++ > MAX_WALK || !isObj(p)) continue;
      if (typeof p['text'] === 'string') acc.text.push(p['text']);
      const inline = pick(p, 'inlineData', 'inline_data') ?? pick(p, 'fileData', 'file_data');
      if (isObj(inline)) {
        const mime = pick(inline, 'mimeType', 'mime_type');
        if (typeof mime === 'string' && mime.startsWith('image/')) acc.images++;
      }
      const call = pick(p, 'functionCall', 'function_call') ?? pick(p, 'functionResponse', 'function_response');
      if (call !== undefined) acc.text.push(boundedJson(call));
    }
  }
}

function boundedJson(v: unknown): string {
  try {
    const s = JSON.stringify(v) ?? '';
    return s.length > EXACT_CHARS ? s.slice(0, EXACT_CHARS) : s;
  } catch {
    return '';
  }
}

function countText(texts: readonly string[]): number {
  let total = 0;
  for (const t of texts) total += t.length > EXACT_CHARS ? Math.ceil(t.length / 4) : tokenCount(t);
  return total;
}

/** The prompt of a GenerateContentRequest as the API counts it: contents, system instruction, tools. */
export function countPrompt(body: Obj): PromptCount {
  const acc = { text: [] as string[], images: 0, seen: 0 };
  walkContents(pick(body, 'contents', 'contents'), acc);
  walkContents(pick(body, 'systemInstruction', 'system_instruction'), acc);
  const tools = body['tools'];
  if (tools !== undefined) acc.text.push(boundedJson(tools));
  const text = countText(acc.text);
  const image = acc.images * IMAGE_TOKENS;
  return { total: text + image, text, image };
}

/** The text of the last user turn (the event's prompt field, the function choice). */
export function lastUserText(body: Obj): string {
  const contents = pick(body, 'contents', 'contents');
  const list = Array.isArray(contents) ? contents : [contents];
  for (let i = list.length - 1; i >= 0 && i >= list.length - 64; i--) {
    const c: unknown = list[i];
    if (!isObj(c) || (c['role'] !== undefined && c['role'] !== 'user')) continue;
    const parts = c['parts'];
    if (!Array.isArray(parts)) continue;
    const texts = parts.filter((p): p is Obj => isObj(p) && typeof p['text'] === 'string').map((p) => p['text'] as string);
    if (texts.length > 0) return texts.join('\n');
  }
  return '';
}

/** The first `n` tokens of `text` (a cut inside a multi-byte character keeps the whole character out). */
export function firstTokens(text: string, n: number): string {
  if (n <= 0) return '';
  const tokens = encode(text);
  if (tokens.length <= n) return text;
  let out = decode(tokens.slice(0, n));
  while (out.endsWith('\uFFFD')) out = out.slice(0, -1);
  return out;
}

export interface FunctionCall {
  readonly name: string;
  readonly args: unknown;
}

export type AnswerOutput =
  | { readonly kind: 'text'; readonly text: string }
  /** one or more function calls, in order (parallel calls are parts of one content) */
  | { readonly kind: 'calls'; readonly calls: readonly FunctionCall[] };

export interface PlannedAnswer {
  readonly prompt: PromptCount;
  /** visible output, already cut; null when the limit left no room after thinking */
  readonly output: AnswerOutput | null;
  readonly candidatesTokens: number;
  readonly thoughtsTokens: number;
  readonly finishReason: 'STOP' | 'MAX_TOKENS';
  /** a thought summary part, when `includeThoughts` was asked */
  readonly thoughtSummary?: string;
  /** total generation time (ms) */
  readonly totalMs: number;
  /** time to the first streamed chunk (ms) */
  readonly firstMs: number;
}

/** Gemini's OpenAPI-subset schema (`type: "OBJECT"`, `propertyOrdering`) as plain JSON Schema. */
export function normalizeSchema(schema: unknown, depth = 0): unknown {
  if (!isObj(schema) || depth > 8) return schema;
  const out: Obj = {};
  for (const [k, v] of Object.entries(schema).slice(0, 64)) {
    if (k === 'type' && typeof v === 'string') out['type'] = v.toLowerCase();
    else if (k === 'properties' && isObj(v)) {
      const order = Array.isArray(schema['propertyOrdering']) ? (schema['propertyOrdering'] as unknown[]).filter((x): x is string => typeof x === 'string') : [];
      const names = [...order.filter((n) => n in v), ...Object.keys(v).filter((n) => !order.includes(n))];
      const props: Obj = {};
      for (const n of names.slice(0, 64)) props[n] = normalizeSchema(v[n], depth + 1);
      out['properties'] = props;
    } else if (k === 'items') out['items'] = normalizeSchema(v, depth + 1);
    else if ((k === 'anyOf' || k === 'oneOf' || k === 'allOf') && Array.isArray(v)) out[k] = v.slice(0, 16).map((x) => normalizeSchema(x, depth + 1));
    else if (k !== 'propertyOrdering' && k !== 'nullable') out[k] = v;
  }
  return out;
}

interface Declaration {
  readonly name: string;
  readonly description: string;
  readonly parameters: unknown;
}

function declarations(body: Obj): Declaration[] {
  const tools = body['tools'];
  if (!Array.isArray(tools)) return [];
  const out: Declaration[] = [];
  for (const t of tools.slice(0, 64)) {
    if (!isObj(t)) continue;
    const decls = pick(t, 'functionDeclarations', 'function_declarations');
    if (!Array.isArray(decls)) continue;
    for (const d of decls.slice(0, 128)) {
      if (!isObj(d) || typeof d['name'] !== 'string') continue;
      const params = pick(d, 'parametersJsonSchema', 'parameters_json_schema') ?? normalizeSchema(d['parameters']);
      out.push({ name: d['name'].slice(0, 128), description: typeof d['description'] === 'string' ? d['description'] : '', parameters: params });
    }
  }
  return out;
}

/** Does the conversation end with the client's function results (the model then answers in text)? */
function endsWithFunctionResponse(body: Obj): boolean {
  const contents = body['contents'];
  if (!Array.isArray(contents) || contents.length === 0) return false;
  const last: unknown = contents[contents.length - 1];
  if (!isObj(last) || !Array.isArray(last['parts'])) return false;
  return (last['parts'] as unknown[]).some((p) => isObj(p) && pick(p, 'functionResponse', 'function_response') !== undefined);
}

function words(text: string): Set<string> {
  return new Set(text.toLowerCase().split(/[^a-z0-9]+/).filter((w) => w.length > 2).slice(0, 400));
}

/**
 * The calls a model makes, none for a text answer: `toolConfig.functionCallingConfig.mode` NONE
 * answers in text; ANY calls (one of `allowedFunctionNames` when given); AUTO and VALIDATED call the
 * allowed declaration sharing the most words with the prompt, and answer in text when nothing in the
 * prompt relates to any of several declarations. How many calls and with which arguments is the
 * shared rule (deception/decoy/tool-calls.ts): an enumeration gives parallel calls, the one item
 * the prompt names fills the item parameter. Gemini has no switch for parallel calls.
 */
function chooseCalls(body: Obj, prompt: string): FunctionCall[] {
  const all = declarations(body);
  if (all.length === 0 || endsWithFunctionResponse(body)) return [];
  const tc = pick(body, 'toolConfig', 'tool_config');
  const fcc = isObj(tc) ? pick(tc, 'functionCallingConfig', 'function_calling_config') : undefined;
  const mode = isObj(fcc) && typeof fcc['mode'] === 'string' ? fcc['mode'].toUpperCase() : 'AUTO';
  if (mode === 'NONE') return [];
  const allowed = isObj(fcc) ? pick(fcc, 'allowedFunctionNames', 'allowed_function_names') : undefined;
  const pool = Array.isArray(allowed) ? all.filter((d) => allowed.includes(d.name)) : all;
  if (pool.length === 0) return [];
  const want = words(prompt);
  let best = 0;
  let bestScore = -1;
  pool.forEach((d, i) => {
    let score = 0;
    for (const w of words(`${d.name.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/_/g, ' ')} ${d.description}`)) if (want.has(w)) score++;
    if (score > bestScore) {
      best = i;
      bestScore = score;
    }
  });
  // AUTO: a model answers in text when nothing in the prompt relates to any declaration
  if (mode !== 'ANY' && bestScore === 0 && prompt !== '' && pool.length > 1) return [];
  // the best match first: the one a single call goes to
  const ordered = [pool[best], ...pool.filter((_, i) => i !== best)].filter((d): d is Declaration => d !== undefined);
  const calls = planToolCalls({
    tools: ordered.map((d) => ({ name: d.name, description: d.description, schema: d.parameters ?? { type: 'object', properties: {} } })),
    text: prompt,
    choice: { mode: 'any' },
    parallel: true,
    turn: 'user',
    seed: prompt.slice(0, 60) || 'default',
  });
  return calls.map((c) => ({ name: c.name, args: c.input }));
}

/** JSON text for structured output: the schema filled, written as Gemini writes JSON (2-space). */
function structuredText(gc: Obj, reply: string): string | null {
  const mime = pick(gc, 'responseMimeType', 'response_mime_type');
  if (mime === 'text/x.enum') {
    const schema = normalizeSchema(pick(gc, 'responseSchema', 'response_schema'));
    const values = isObj(schema) && Array.isArray(schema['enum']) ? schema['enum'] : [];
    return typeof values[0] === 'string' ? values[0] : reply;
  }
  if (mime !== 'application/json') return null;
  const schema = pick(gc, 'responseJsonSchema', 'response_json_schema') ?? pick(gc, '_responseJsonSchema', '_response_json_schema') ?? normalizeSchema(pick(gc, 'responseSchema', 'response_schema'));
  const short = reply.length > 80 ? `${reply.slice(0, 77)}...` : reply;
  const value = schema === undefined ? { response: reply } : fillSchema(schema, short);
  return JSON.stringify(value, null, 2);
}

function seed(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0);
}

export interface PlanInput {
  readonly model: GeminiModel;
  readonly body: Obj;
  readonly reply: string;
  /** the persona's front-end latency (ms) */
  readonly baseLatencyMs: number;
}

/** The whole answer, before a byte is written. */
export function planAnswer(input: PlanInput): PlannedAnswer {
  const { model, body } = input;
  const prompt = countPrompt(body);
  const gc = pick(body, 'generationConfig', 'generation_config');
  const config: Obj = isObj(gc) ? gc : {};
  const requestedMax = Number(pick(config, 'maxOutputTokens', 'max_output_tokens') ?? 0);
  const max = Number.isInteger(requestedMax) && requestedMax > 0 ? Math.min(requestedMax, model.outputTokenLimit) : model.outputTokenLimit;
  const tc = pick(config, 'thinkingConfig', 'thinking_config');
  const thinkingConfig: Obj = isObj(tc) ? tc : {};
  const budgetRaw = pick(thinkingConfig, 'thinkingBudget', 'thinking_budget');
  const budget = budgetRaw === undefined ? -1 : Number(budgetRaw);
  const userText = lastUserText(body);

  // thinking: a deterministic amount for this prompt, within the budget and the output limit
  let thoughts = 0;
  if (model.thinking && budget !== 0) {
    const want = 180 + (seed(`${model.id}\0${userText}`) % 900) + Math.min(2000, Math.floor(prompt.total / 8));
    thoughts = Math.min(want, budget > 0 ? budget : want, max);
  }
  const room = max - thoughts;

  const calls = chooseCalls(body, userText);
  let output: AnswerOutput | null;
  let candidates = 0;
  let finishReason: 'STOP' | 'MAX_TOKENS' = 'STOP';
  if (calls.length > 0) {
    // each call bills its name and arguments and its framing; the calls that fit are kept
    const kept: FunctionCall[] = [];
    for (const call of calls) {
      const tokens = tokenCount(`${call.name}${JSON.stringify(call.args)}`) + 2;
      if (candidates + tokens > room) {
        finishReason = 'MAX_TOKENS';
        break;
      }
      kept.push(call);
      candidates += tokens;
    }
    output = kept.length > 0 ? { kind: 'calls', calls: kept } : null;
  } else {
    const full = structuredText(config, input.reply) ?? input.reply;
    const fullTokens = full.length > EXACT_CHARS ? Math.ceil(full.length / 4) : tokenCount(full);
    if (fullTokens <= room) {
      output = { kind: 'text', text: full };
      candidates = fullTokens;
    } else {
      finishReason = 'MAX_TOKENS';
      const cut = room > 0 ? firstTokens(full, room) : '';
      output = cut === '' ? null : { kind: 'text', text: cut };
      candidates = cut === '' ? 0 : tokenCount(cut);
    }
  }
  const include = pick(thinkingConfig, 'includeThoughts', 'include_thoughts') === true && thoughts > 0;
  const tps = Math.max(1, model.tps);
  const thinkMs = (thoughts / tps) * 1000 * 0.6;
  const firstMs = input.baseLatencyMs + thinkMs + Math.min(prompt.total / 40, 3000);
  const totalMs = firstMs + (candidates / tps) * 1000;
  return {
    prompt,
    output,
    candidatesTokens: candidates,
    thoughtsTokens: thoughts,
    finishReason,
    ...(include ? { thoughtSummary: thoughtSummary(userText) } : {}),
    totalMs: Math.min(totalMs, 120_000),
    firstMs: Math.min(firstMs, 60_000),
  };
}

function thoughtSummary(prompt: string): string {
  const topic = prompt.split(/\s+/).slice(0, 6).join(' ');
  return `**Understanding the Request**\n\nI'm focusing on the core of the question${topic ? ` about "${topic}"` : ''} and working out the clearest way to answer it.\n\n`;
}

/** Split a text into stream chunks of `sizes(i)` tokens each (whole characters: tokens.ts streamPieces). */
export function tokenChunks(text: string, sizes: (index: number) => number): string[] {
  const pieces = streamPieces(text, 16_384);
  const out: string[] = [];
  for (let at = 0, i = 0; at < pieces.length; i++) {
    const n = Math.max(1, sizes(i));
    out.push(pieces.slice(at, at + n).join(''));
    at += n;
  }
  return out;
}
