/**
 * What the OpenAI decoy's modules share (decoy.ts: chat, completions, embeddings, models;
 * decoy-responses.ts: the Responses API): the request and result types, the reply text, the tool calls a
 * model would make, and the SSE response head.
 */
import type { HttpResponse } from '../../core/http.js';
import { fillSchema } from '../../deception/decoy/schema-fill.js';
import { shouldRefuse } from '../../deception/decoy/refusal.js';
import { tokenCount, truncateTokens } from '../../deception/decoy/tokens.js';
import { planToolCalls, type PlannedCall, type ToolDef, type ToolMode } from '../../deception/decoy/tool-calls.js';
import { ALNUM, randomChars } from '../../util/random.js';
import { writeHeadRaw } from '../../util/write-head.js';
import { accountFor, edgeFamily, openaiHeaders, openaiRequestId, type AccountHeaders, type EdgeFamily } from './headers.js';
import type { OpenAIEndpoint } from './protocol.js';

export type Json = Record<string, unknown>;

export interface ModelObject {
  readonly id: string;
  readonly object: 'model';
  readonly created: number;
  readonly owned_by: string;
}

/** What the decoy needs to know about the account a lure key presents (deception/persona.ts). */
export interface DecoyAccount {
  readonly models: readonly ModelObject[];
  /** the dated snapshot an answer reports, or null for a model this account cannot use */
  resolveModel(requested: string): string | null;
  systemFingerprint(model: string): string | null;
  processingMs(rand: () => number, outputTokens: number): number;
}

export interface DecoyRequest {
  readonly endpoint: OpenAIEndpoint;
  readonly method: string;
  readonly path: string;
  readonly param?: string;
  readonly body: Json | undefined;
  readonly account: DecoyAccount;
  /** headers identifying the account (organization, project, rate limits, colo) */
  readonly headers: AccountHeaders;
  /** the controlled answer text (canaries already filled in) */
  readonly reply: string;
  readonly head: boolean;
  /** wait as long as a real model would (pacing.ts) */
  readonly pace: boolean;
}

export interface DecoyResult {
  readonly status: number;
  readonly model?: string;
  readonly promptTokens: number;
  readonly completionTokens: number;
}

export function isObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function unixNow(): number {
  return Math.floor(Date.now() / 1000);
}

/** Random obfuscation padding: 5–12 alphanumerics. */
export function obfuscation(): string {
  return randomChars(ALNUM, 5 + Math.floor(Math.random() * 8));
}

/**
 * The text the model "says": JSON when the client asked for JSON, the lure reply otherwise. Chat's
 * `response_format` nests the schema (`{type: 'json_schema', json_schema: {name, schema}}`), the
 * Responses API's `text.format` does not (`{type: 'json_schema', name, schema}`): both are read.
 */
export function replyText(reply: string, format: unknown): string {
  if (isObject(format)) {
    if (format['type'] === 'json_schema') {
      const schema = isObject(format['json_schema']) ? format['json_schema']['schema'] : format['schema'];
      return JSON.stringify(fillSchema(isObject(schema) ? schema : { type: 'object', properties: {} }, reply));
    }
    if (format['type'] === 'json_object') return JSON.stringify({ response: reply });
  }
  return reply;
}

/** One tool call as written on the wire: its arguments as the JSON text the model wrote (maybe cut). */
export interface WrittenCall {
  readonly name: string;
  readonly arguments: string;
  /** tokens of the arguments text */
  readonly tokens: number;
}

/**
 * The text of the user's own last turn (chat `messages` or Responses `input`: a string, or items whose
 * content is a string or parts with `text`), bounded. System prompts and tool results are not the ask.
 */
export function lastUserText(input: unknown): string {
  if (typeof input === 'string') return input.slice(0, 4000);
  if (!Array.isArray(input)) return '';
  for (let i = input.length - 1; i >= Math.max(0, input.length - 64); i--) {
    const m: unknown = input[i];
    if (!isObject(m) || m['role'] !== 'user') continue;
    const c = m['content'];
    if (typeof c === 'string') return c.slice(0, 4000);
    if (Array.isArray(c)) return c.slice(0, 64).map((p) => (isObject(p) && typeof p['text'] === 'string' ? p['text'].slice(0, 4000) : '')).join('\n').slice(0, 4000);
    return '';
  }
  return '';
}

function toolMode(toolChoice: unknown): ToolMode {
  if (toolChoice === 'none') return { mode: 'none' };
  if (toolChoice === 'required') return { mode: 'any' };
  if (isObject(toolChoice)) {
    const wanted = isObject(toolChoice['function']) ? toolChoice['function']['name'] : toolChoice['name'];
    return typeof wanted === 'string' ? { mode: 'tool', name: wanted } : { mode: 'any' };
  }
  return { mode: 'auto' };
}

/**
 * The calls a model makes (deception/decoy/tool-calls.ts): when told to, or when tools are offered
 * and no tool result came back yet; several in parallel unless `parallel_tool_calls: false`. Chat
 * tools nest the function (`{type, function: {name, parameters}}`), Responses tools do not.
 */
export function chooseCalls(body: Json, input: unknown, lastRole: unknown, seed: string): PlannedCall[] {
  const tools = body['tools'];
  if (!Array.isArray(tools) || tools.length === 0) return [];
  const defs: ToolDef[] = [];
  for (const t of tools.slice(0, 256)) {
    const f = isObject(t) ? (isObject(t['function']) ? t['function'] : t) : null;
    if (f !== null && typeof f['name'] === 'string') defs.push({ name: f['name'], schema: f['parameters'] });
  }
  const afterResult = lastRole === 'tool' || lastRole === 'function' || lastRole === 'function_call_output';
  return planToolCalls({ tools: defs, text: lastUserText(input), choice: toolMode(body['tool_choice']), parallel: body['parallel_tool_calls'] !== false, turn: afterResult ? 'tool_result' : 'user', seed });
}

/**
 * The calls' arguments within a token budget, in order: a call that does not fit is cut there and
 * the calls after it are not written (the answer stops at the limit).
 */
export function fitCalls(calls: readonly PlannedCall[], budget: number): { readonly calls: WrittenCall[]; readonly cut: boolean } {
  const out: WrittenCall[] = [];
  let left = budget;
  for (const c of calls) {
    if (left <= 0) return { calls: out, cut: true };
    const json = JSON.stringify(c.input);
    const said = Number.isFinite(left) ? truncateTokens(json, left) : { text: json, tokens: tokenCount(json), cut: false };
    out.push({ name: c.name, arguments: said.text, tokens: said.tokens });
    left -= said.tokens;
    if (said.cut) return { calls: out, cut: true };
  }
  return { calls: out, cut: false };
}

/**
 * Write an SSE response head (chat, completions and responses streams share it), in the endpoint's
 * header family. Streams are never compressed. A Responses stream carries no rate-limit headers
 * (recorded 2026-01 and 2026-03, while its JSON answers do); the legacy completions stream is
 * `text/event-stream` without a charset.
 */
export function writeSseHead(res: HttpResponse, req: DecoyRequest, processingMs: number): string {
  const requestId = openaiRequestId();
  const family = edgeFamily(res.req.url);
  const account = family.profile === 'responses' ? accountFor(NO_RATE_LIMITS, req.headers) : accountFor(family, req.headers);
  const contentType = family.profile === 'completions' ? 'text/event-stream' : 'text/event-stream; charset=utf-8';
  const model = family.profile === 'completions' ? req.account.resolveModel(typeof req.body?.['model'] === 'string' ? req.body['model'] : '') : null;
  writeHeadRaw(
    res,
    200,
    openaiHeaders({ profile: family.profile, contentType, processingMs, requestId, ...(account ? { account } : {}), ...(model !== null ? { model } : {}), proxyWasm: family.proxyWasm,
    edge2605: family.edge2605 === true, requestCookie: res.req.headers.cookie }),
  );
  return requestId;
}

const NO_RATE_LIMITS: EdgeFamily = { profile: 'responses', rateLimits: false, proxyWasm: false };

// [REC oa-chat-refusal-gz-2026-03] and the phrasings GPT-4o-class models use
const REFUSALS = ["I'm very sorry, but I can't assist with that request.", "I'm sorry, but I can't assist with that.", "I'm sorry, I can't assist with that."] as const;

/**
 * What a real model says instead of answering a clearly harmful ask (deception/decoy/refusal.ts
 * decides), or null. A forced tool call (`tool_choice` "required" or a named function) is made
 * whatever the prompt, as the API forces it.
 */
export function refusalFor(turns: unknown, toolChoice: unknown): string | null {
  if (toolChoice === 'required' || isObject(toolChoice)) return null;
  if (!shouldRefuse(lastUserText(turns))) return null;
  return REFUSALS[Math.floor(Math.random() * REFUSALS.length)] ?? REFUSALS[0];
}

/** A structured-output request (a JSON schema): the refusal goes in its own field, not the content. */
export function isJsonSchema(format: unknown): boolean {
  return isObject(format) && format['type'] === 'json_schema';
}

/** A structured refusal costs one token more than its text (a refusal token) [REC oa-chat-refusal-gz-2026-03: 13 for a 12-token text]. */
export const REFUSAL_TOKEN = 1;
