/**
 * What the OpenAI decoy's modules share (decoy.ts: chat, completions, embeddings, models;
 * decoy-responses.ts: the Responses API): the request and result types, the reply text, the tool a
 * model would call, and the SSE response head.
 */
import type { HttpResponse } from '../../core/http.js';
import { fillSchema } from '../../deception/decoy/schema-fill.js';
import { shouldRefuse } from '../../deception/decoy/refusal.js';
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

interface ToolChoice {
  readonly name: string;
  readonly parameters: unknown;
}

/** Would a model call a tool here? Yes when told to, or when tools are offered and no tool result came back yet. */
export function chooseTool(tools: unknown, toolChoice: unknown, lastRole: unknown): ToolChoice | null {
  if (!Array.isArray(tools) || tools.length === 0 || toolChoice === 'none') return null;
  const fns = tools
    .map((t) => (isObject(t) ? (isObject(t['function']) ? t['function'] : t) : null))
    .filter((f): f is Json => f !== null && typeof f['name'] === 'string');
  if (fns.length === 0) return null;
  let pick = fns[0] as Json;
  if (isObject(toolChoice)) {
    const wanted = isObject(toolChoice['function']) ? toolChoice['function']['name'] : toolChoice['name'];
    pick = fns.find((f) => f['name'] === wanted) ?? pick;
  } else if (toolChoice !== 'required' && (lastRole === 'tool' || lastRole === 'function' || lastRole === 'function_call_output')) {
    return null;
  }
  return { name: pick['name'] as string, parameters: pick['parameters'] };
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

/**
 * The text of the user's own last turn: chat `messages` or Responses `input` (a string, or items
 * whose content is a string or parts with `text`). System prompts and tool results are not the ask.
 */
export function lastUserText(turns: unknown): string {
  if (typeof turns === 'string') return turns;
  if (!Array.isArray(turns)) return '';
  for (let i = turns.length - 1; i >= 0; i--) {
    const turn: unknown = turns[i];
    if (!isObject(turn) || turn['role'] !== 'user') continue;
    const content = turn['content'];
    if (typeof content === 'string') return content;
    if (!Array.isArray(content)) return '';
    let text = '';
    for (const part of content) if (isObject(part) && typeof part['text'] === 'string') text += (text === '' ? '' : '\n') + part['text'];
    return text;
  }
  return '';
}

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
