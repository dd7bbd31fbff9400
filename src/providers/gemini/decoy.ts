/**
 * The Gemini decoy: GenerateContentResponse objects in each model family's exact shape (see
 * models.ts), as one JSON body, as the JSON-array stream or as SSE; countTokens; embedContent and
 * batchEmbedContents (deterministic unit vectors per text, float32 values written as the API writes
 * them); ListModels with page tokens; GetModel. Enums are names, or numbers when the client asked
 * for `$alt=json;enum-encoding=int`. Answers take the time a model would (`pace`).
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { seededRandom } from '../../deception/random.js';
import type { HttpResponse } from '../../core/http.js';
import { tokenCount } from '../../deception/decoy/tokens.js';
import { planAnswer, tokenChunks, type PlannedAnswer, type PlanInput } from './answer.js';
import { GEMINI_MODELS, modelObject, reportedVersion, type GeminiModel } from './models.js';
import { isObj } from './validate.js';
import {
  ARRAY_CLOSE,
  ARRAY_OPEN,
  ARRAY_SEPARATOR,
  GeminiStreamWriter,
  JSON_TYPE,
  SSE_TYPE,
  arrayElement,
  prettyJson,
  sseEvent,
  writeGeminiBody,
  writeGeminiError,
} from './wire.js';

type Obj = Record<string, unknown>;

const FINISH_INT: Readonly<Record<string, number>> = { STOP: 1, MAX_TOKENS: 2, SAFETY: 3 };
const CATEGORY_INT: Readonly<Record<string, number>> = { HARM_CATEGORY_HARASSMENT: 7, HARM_CATEGORY_HATE_SPEECH: 8, HARM_CATEGORY_SEXUALLY_EXPLICIT: 9, HARM_CATEGORY_DANGEROUS_CONTENT: 10 };
const PROBABILITY_INT: Readonly<Record<string, number>> = { NEGLIGIBLE: 1, LOW: 2, MEDIUM: 3, HIGH: 4 };
const MODALITY_INT: Readonly<Record<string, number>> = { TEXT: 1, IMAGE: 2, VIDEO: 3, AUDIO: 4, DOCUMENT: 5 };
/** the order the API lists a candidate's ratings in [REC 2025-08] */
const SAFETY_ORDER = ['HARM_CATEGORY_HATE_SPEECH', 'HARM_CATEGORY_DANGEROUS_CONTENT', 'HARM_CATEGORY_HARASSMENT', 'HARM_CATEGORY_SEXUALLY_EXPLICIT'] as const;

export interface EnumStyle {
  readonly intEnums: boolean;
}

function en(table: Readonly<Record<string, number>>, name: string, style: EnumStyle): string | number {
  return style.intEnums ? (table[name] ?? 0) : name;
}

function safetyRatings(style: EnumStyle): Obj[] {
  return SAFETY_ORDER.map((c) => ({ category: en(CATEGORY_INT, c, style), probability: en(PROBABILITY_INT, 'NEGLIGIBLE', style) }));
}

/**
 * A response id as the API mints them: 17 bytes, base64url — the answer's unix second
 * (little-endian), the microseconds and two server words as varints [REC: three ids decode so].
 */
export function geminiResponseId(now: number = Date.now()): string {
  const bytes: number[] = [];
  const sec = Math.floor(now / 1000);
  bytes.push(sec & 255, (sec >>> 8) & 255, (sec >>> 16) & 255, (sec >>> 24) & 255);
  const varint = (v: number): void => {
    let x = v;
    while (x >= 128) {
      bytes.push((x % 128) | 128);
      x = Math.floor(x / 128);
    }
    bytes.push(x);
  };
  varint(16_384 + Math.floor(Math.random() * (1_000_000 - 16_384)));
  varint(4_100_000_000 + Math.floor(Math.random() * 190_000_000));
  varint(1_073_741_824 + Math.floor(Math.random() * 1_500_000_000));
  return Buffer.from(bytes).toString('base64url');
}

function details(modality: string, count: number, style: EnumStyle): Obj[] {
  return [{ modality: en(MODALITY_INT, modality, style), tokenCount: count }];
}

function promptDetails(plan: PlannedAnswer, style: EnumStyle): Obj[] {
  const out = details('TEXT', plan.prompt.text, style);
  if (plan.prompt.image > 0) out.push(...details('IMAGE', plan.prompt.image, style));
  return out;
}

function outputParts(plan: PlannedAnswer, thinking: boolean): Obj[] {
  const parts: Obj[] = [];
  if (plan.thoughtSummary !== undefined) parts.push({ text: plan.thoughtSummary, thought: true });
  const out = plan.output;
  if (out?.kind === 'text') parts.push({ text: out.text });
  else if (out?.kind === 'calls') {
    // parallel calls are parts of one content; a thinking model signs the first call only
    out.calls.forEach((call, i) => {
      const part: Obj = { functionCall: { name: call.name, args: call.args } };
      if (i === 0 && thinking && plan.thoughtsTokens > 0) part['thoughtSignature'] = thoughtSignature(call.name);
      parts.push(part);
    });
  }
  return parts;
}

function thoughtSignature(salt: string): string {
  const rng = seededRandom(`${salt}\0${Date.now()}\0${Math.random()}`, 'sig');
  const bytes = Buffer.alloc(180 + rng.int(200));
  for (let i = 0; i < bytes.length; i++) bytes[i] = rng.int(256);
  return bytes.toString('base64');
}

function usage(plan: PlannedAnswer, model: GeminiModel, style: EnumStyle, candidates: number | null): Obj {
  const prompt = plan.prompt.total;
  if (model.family === 'classic') {
    if (candidates === null) return { promptTokenCount: prompt, totalTokenCount: prompt, promptTokensDetails: promptDetails(plan, style) };
    return {
      promptTokenCount: prompt,
      candidatesTokenCount: candidates,
      totalTokenCount: prompt + candidates,
      promptTokensDetails: promptDetails(plan, style),
      candidatesTokensDetails: details('TEXT', candidates, style),
    };
  }
  const c = candidates ?? 0;
  const u: Obj = { promptTokenCount: prompt };
  if (c > 0) u['candidatesTokenCount'] = c;
  u['totalTokenCount'] = prompt + c + plan.thoughtsTokens;
  u['promptTokensDetails'] = promptDetails(plan, style);
  if (plan.thoughtsTokens > 0) u['thoughtsTokenCount'] = plan.thoughtsTokens;
  return u;
}

function candidate(model: GeminiModel, parts: Obj[], finish: string | null, style: EnumStyle, opts: { safety: boolean; logprobs: boolean; call: boolean }): Obj {
  const content: Obj = parts.length > 0 ? { parts, role: 'model' } : { role: 'model' };
  const c: Obj = { content };
  if (finish !== null) c['finishReason'] = en(FINISH_INT, finish, style);
  if (model.family === 'classic') {
    if (opts.safety) c['safetyRatings'] = safetyRatings(style);
    if (opts.logprobs) c['avgLogprobs'] = -(0.02 + Math.random() * 0.35);
  } else {
    c['index'] = 0;
    if (finish !== null && opts.call) c['finishMessage'] = 'Model generated function call(s).';
  }
  return c;
}

/** The whole GenerateContentResponse of a plan. */
export function generateResponse(plan: PlannedAnswer, model: GeminiModel, style: EnumStyle, responseId: string): Obj {
  const parts = outputParts(plan, model.family !== 'classic');
  const call = plan.output?.kind === 'calls';
  return {
    candidates: [candidate(model, parts, plan.finishReason, style, { safety: true, logprobs: true, call })],
    usageMetadata: usage(plan, model, style, plan.candidatesTokens),
    modelVersion: reportedVersion(model),
    responseId,
  };
}

/** The stream's chunks of a plan (each a whole GenerateContentResponse, as the API streams them). */
export function streamResponses(plan: PlannedAnswer, model: GeminiModel, style: EnumStyle, responseId: string): Obj[] {
  const version = reportedVersion(model);
  const out = plan.output;
  const thinking = model.family !== 'classic';
  if (out === null || out.kind === 'calls') {
    const parts = outputParts(plan, thinking);
    return [{ candidates: [candidate(model, parts, plan.finishReason, style, { safety: true, logprobs: false, call: out?.kind === 'calls' })], usageMetadata: usage(plan, model, style, plan.candidatesTokens), modelVersion: version, responseId }];
  }
  // the recorded chunking: classic models send the first token alone, then growing chunks; the
  // thinking models send ~48-token chunks [REC 2025-08; OBS 2025-12]
  const sizes = thinking ? () => 48 : (i: number) => [1, 14, 16, 32][i] ?? 48;
  const texts = tokenChunks(out.text, sizes);
  const chunks: Obj[] = [];
  let sent = 0;
  texts.forEach((text, i) => {
    const last = i === texts.length - 1;
    const parts: Obj[] = [];
    if (i === 0 && plan.thoughtSummary !== undefined) parts.push({ text: plan.thoughtSummary, thought: true });
    parts.push({ text });
    sent = last ? plan.candidatesTokens : Math.min(plan.candidatesTokens, sent + tokenCount(text));
    const counts = thinking ? sent : last ? plan.candidatesTokens : null;
    chunks.push({
      candidates: [candidate(model, parts, last ? plan.finishReason : null, style, { safety: i > 0, logprobs: false, call: false })],
      usageMetadata: usage(plan, model, style, counts),
      modelVersion: version,
      responseId,
    });
  });
  return chunks;
}

export type StreamFormat = 'none' | 'json' | 'sse';

export interface ServeGenerate extends PlanInput {
  readonly style: EnumStyle;
  readonly format: StreamFormat;
  readonly gzip: boolean;
  readonly pace: boolean;
  readonly head: boolean;
}

export interface ServedAnswer {
  readonly promptTokens: number;
  readonly outputTokens: number;
}

/** Answer generateContent / streamGenerateContent for a lure key. */
export async function serveGenerate(req: ServeGenerate, res: HttpResponse): Promise<ServedAnswer> {
  const plan = planAnswer(req);
  const responseId = geminiResponseId();
  const served = { promptTokens: plan.prompt.total, outputTokens: plan.candidatesTokens + plan.thoughtsTokens };
  if (req.format === 'none') {
    if (req.pace) await sleep(plan.totalMs);
    await writeGeminiBody(res, 200, JSON_TYPE, prettyJson(generateResponse(plan, req.model, req.style, responseId)), { gzip: req.gzip, durMs: plan.totalMs, head: req.head });
    return served;
  }
  const chunks = streamResponses(plan, req.model, req.style, responseId);
  if (req.pace) await sleep(plan.firstMs);
  const writer = new GeminiStreamWriter(res, req.gzip);
  writer.start(200, req.format === 'sse' ? SSE_TYPE : JSON_TYPE, plan.firstMs);
  if (req.head) {
    writer.end();
    return served;
  }
  const gap = chunks.length > 1 ? (plan.totalMs - plan.firstMs) / (chunks.length - 1) : 0;
  for (let i = 0; i < chunks.length; i++) {
    if (writer.closed) return served;
    const chunk = chunks[i];
    if (req.format === 'sse') writer.write(sseEvent(chunk));
    else writer.write(`${i === 0 ? ARRAY_OPEN : ARRAY_SEPARATOR}${arrayElement(chunk)}`);
    if (req.pace && i + 1 < chunks.length && gap >= 8) await sleep(Math.round(gap));
  }
  writer.end(req.format === 'json' ? ARRAY_CLOSE : '');
  return served;
}

/** countTokens: `{"totalTokens", "promptTokensDetails"}`. */
export function countTokensResponse(total: number, text: number, image: number, style: EnumStyle): Obj {
  const d: Obj[] = [{ modality: en(MODALITY_INT, 'TEXT', style), tokenCount: text }];
  if (image > 0) d.push({ modality: en(MODALITY_INT, 'IMAGE', style), tokenCount: image });
  return { totalTokens: total, promptTokensDetails: d };
}

/** A float32 value written with the fewest digits that read back as the same float32. */
function float32(x: number): number {
  const f = Math.fround(x);
  for (let p = 1; p <= 9; p++) {
    const v = Number(f.toPrecision(p));
    if (Math.fround(v) === f) return v;
  }
  return f;
}

/** A deterministic unit vector for a text (the same text always embeds the same). */
export function embedValues(modelId: string, text: string, dims: number): number[] {
  const rng = seededRandom(createHash('sha256').update(modelId).update('\0').update(text).digest('hex'), 'embedding');
  const raw: number[] = [];
  let norm = 0;
  for (let i = 0; i < dims; i++) {
    // a sum of uniforms: roughly normal, as embedding coordinates are
    const v = rng.next() + rng.next() + rng.next() - 1.5;
    raw.push(v);
    norm += v * v;
  }
  const k = 1 / Math.sqrt(norm || 1);
  return raw.map((v) => float32(v * k));
}

function contentText(content: unknown): string {
  if (!isObj(content) || !Array.isArray(content['parts'])) return '';
  return (content['parts'] as unknown[])
    .filter((p): p is Obj => isObj(p) && typeof p['text'] === 'string')
    .map((p) => p['text'] as string)
    .join('\n')
    .slice(0, 256 * 1024);
}

export function embedDims(model: GeminiModel, request: Obj): number {
  const full = model.dims ?? 768;
  const asked = Number(request['outputDimensionality'] ?? request['output_dimensionality'] ?? 0);
  if (model.id === 'embedding-001' || !Number.isInteger(asked) || asked <= 0) return full;
  return Math.min(asked, full);
}

/** embedContent's answer. */
export function embedResponse(model: GeminiModel, request: Obj): Obj {
  return { embedding: { values: embedValues(model.id, contentText(request['content']), embedDims(model, request)) } };
}

/** batchEmbedContents' answer. */
export function batchEmbedResponse(model: GeminiModel, requests: readonly Obj[]): Obj {
  return { embeddings: requests.map((r) => ({ values: embedValues(model.id, contentText(r['content']), embedDims(model, r)) })) };
}

/** Tokens of an embedding request's texts (events, persona usage). */
export function embedTokens(requests: readonly Obj[]): number {
  let total = 0;
  for (const r of requests.slice(0, 1000)) total += tokenCount(contentText(r['content']).slice(0, 65_536));
  return total;
}

const DEFAULT_PAGE = 50;
const MAX_PAGE = 1000;

/** A page token: protobuf field 1 (string) naming the last model of the page, base64 — as Google's look. */
function pageToken(lastName: string): string {
  const name = Buffer.from(lastName);
  return Buffer.concat([Buffer.from([0x0a, name.length]), name]).toString('base64');
}

function readPageToken(token: string): string | null {
  if (token.length > 512) return null;
  const bytes = Buffer.from(token, 'base64');
  if (bytes.length < 2 || bytes[0] !== 0x0a || bytes[1] !== bytes.length - 2) return null;
  return bytes.subarray(2).toString('utf8');
}

/** ListModels: `{"models": […], "nextPageToken"}`; null for an unreadable page token. */
export function listModelsResponse(pageSizeRaw: string | undefined, pageTokenRaw: string | undefined): Obj | null {
  const size = pageSizeRaw === undefined ? DEFAULT_PAGE : Number(pageSizeRaw);
  const pageSize = Number.isInteger(size) && size > 0 ? Math.min(size, MAX_PAGE) : DEFAULT_PAGE;
  let start = 0;
  if (pageTokenRaw !== undefined && pageTokenRaw !== '') {
    const last = readPageToken(pageTokenRaw);
    const at = last === null ? -1 : GEMINI_MODELS.findIndex((m) => `models/${m.id}` === last);
    if (at < 0) return null;
    start = at + 1;
  }
  const page = GEMINI_MODELS.slice(start, start + pageSize);
  const out: Obj = { models: page.map(modelObject) };
  const last = page[page.length - 1];
  if (start + pageSize < GEMINI_MODELS.length && last) out['nextPageToken'] = pageToken(`models/${last.id}`);
  return out;
}

export { writeGeminiError };
