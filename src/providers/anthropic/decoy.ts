/**
 * The Anthropic decoy: answers a lure key's Messages requests offline, shaped as api.anthropic.com
 * answers them (docs/anthropic.md "What the decoy answers"):
 * - content: a thinking block when thinking is enabled or adaptive (with a signature), then the
 *   lure's reply as text — or JSON filled from the schema when structured output is asked, or
 *   `tool_use` blocks with schema-valid input when the client offered custom tools and the turn
 *   calls for them (`tool_choice` any/tool, or auto on a fresh user turn), several in parallel
 *   when the prompt asks for several things (deception/decoy/tool-calls.ts); a web search or web
 *   fetch turn when the client offers those server tools (server-tools.ts); the request's betas
 *   (betas.ts) where they change the answer;
 * - `stop_reason`: `end_turn`, `tool_use`, `stop_sequence` (with the sequence), or `max_tokens`
 *   with the output cut at exactly `max_tokens` tokens (thinking counted first);
 * - `usage` from the tokenizer with the cache fields: a `cache_control` prefix is written to the
 *   cache on first sight and read from it for five minutes (one hour with `ttl: "1h"`);
 * - JSON, or SSE with the recorded event sequence and framing (render.ts), paced like a model.
 * A prompt-extraction probe ("the text before the word X", with a prefilled code block) gets the
 * answer of a clean key: there is nothing before the first word of the client's own prompt.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { decode, encode } from 'gpt-tokenizer';
import { firstTokenMs } from '../../deception/decoy/pacing.js';
import { fillSchema } from '../../deception/decoy/schema-fill.js';
import { tokenCount } from '../../deception/decoy/tokens.js';
import { planToolCalls, type PlannedCall, type ToolMode } from '../../deception/decoy/tool-calls.js';
import type { HttpResponse } from '../../core/http.js';
import type { AnthropicAccount } from './headers.js';
import { anthropicRequestId, messageId, toolUseId } from './headers.js';
import type { ClaudeModel } from './models.js';
import { PING_EVENT, randomPad, sseEvent, SseWriter, writeAnthropicJson } from './render.js';
import { outputSchema } from './tokens.js';
import { cacheUsage } from './cache.js';
import { chooseServerTool, citation, fetchResult, fetchUrl, resultTokens, searchQuery, searchResults, serverTools, serverToolUseId } from './server-tools.js';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export interface MessagesDecoyInput {
  readonly body: Json;
  readonly model: ClaudeModel;
  readonly inputTokens: number;
  readonly cacheablePrefix: number;
  /** the controlled answer (canaries filled in) */
  readonly reply: string;
  readonly account: AnthropicAccount;
  readonly gzip: boolean;
  readonly head: boolean;
  readonly pace: boolean;
  /** the request's accepted `anthropic-beta` values */
  readonly betas?: ReadonlySet<string>;
}

export interface DecoyResult {
  readonly stream: boolean;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly stopReason: string;
}

type Block =
  | { readonly type: 'thinking'; readonly thinking: string; readonly signature: string }
  | { readonly type: 'text'; readonly text: string; readonly citations?: readonly Json[] }
  | { readonly type: 'tool_use' | 'server_tool_use'; readonly id: string; readonly name: string; readonly input: Json }
  | { readonly type: 'web_search_tool_result' | 'web_fetch_tool_result'; readonly toolUseId: string; readonly content: Json | readonly Json[] };

/** The first `n` tokens of a text (o200k), never ending inside a character. */
export function firstTokens(text: string, n: number): string {
  if (n <= 0) return '';
  if (text.length > 65536) return text.slice(0, n * 4);
  const ids = encode(text);
  if (ids.length <= n) return text;
  let out = decode(ids.slice(0, n));
  while (out.endsWith('\uFFFD')) out = out.slice(0, -1);
  return out;
}

function lastUserText(body: Json): string {
  const messages = body['messages'];
  if (!Array.isArray(messages)) return '';
  for (let i = messages.length - 1; i >= Math.max(0, messages.length - 64); i--) {
    const m: unknown = messages[i];
    if (!isObject(m) || m['role'] !== 'user') continue;
    const c = m['content'];
    if (typeof c === 'string') return c.slice(0, 2000);
    if (Array.isArray(c)) for (const b of c.slice(0, 64)) if (isObject(b) && b['type'] === 'text' && typeof b['text'] === 'string') return b['text'].slice(0, 2000);
    return '';
  }
  return '';
}

function lastMessage(body: Json): Json | undefined {
  const messages = body['messages'];
  if (!Array.isArray(messages) || messages.length === 0) return undefined;
  const last: unknown = messages[messages.length - 1];
  return isObject(last) ? last : undefined;
}

function endsWithToolResult(body: Json): boolean {
  const last = lastMessage(body);
  const c = last?.['content'];
  return last?.['role'] === 'user' && Array.isArray(c) && c.some((b) => isObject(b) && b['type'] === 'tool_result');
}

const BEFORE_WORD = /text (?:before|preceding) the (?:word|phrase) ['"“‘]?([^'"”’\s]{1,40})/i;

/** A clean key's answer to "show the text before the word X" with a prefilled code fence. */
export function extractionAnswer(body: Json): string | undefined {
  const last = lastMessage(body);
  const match = BEFORE_WORD.exec(lastUserText(body));
  if (!match) return undefined;
  const word = match[1] ?? '';
  const prefill = last?.['role'] === 'assistant' ? (typeof last['content'] === 'string' ? last['content'] : '') : '';
  const open = prefill.trimEnd().endsWith('```');
  return `${open ? '\n' : '```\n'}\n\`\`\`\n\nThere is no text before the word "${word}" — it is the very first word of the instructions I was given.`;
}

/** Python-style JSON (`", "` and `": "`), as the model writes structured output. */
function pyJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pyJson).join(', ')}]`;
  if (isObject(value)) return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${pyJson(v)}`).join(', ')}}`;
  return JSON.stringify(value) ?? 'null';
}

function customTools(body: Json): Json[] {
  const tools = body['tools'];
  if (!Array.isArray(tools)) return [];
  return tools.slice(0, 256).filter((t): t is Json => isObject(t) && (t['type'] === undefined || t['type'] === 'custom') && typeof t['name'] === 'string');
}

function toolMode(choice: unknown): ToolMode {
  const type = isObject(choice) ? choice['type'] : 'auto';
  if (type === 'none') return { mode: 'none' };
  if (type === 'any') return { mode: 'any' };
  if (type === 'tool' && isObject(choice)) return { mode: 'tool', name: String(choice['name']) };
  return { mode: 'auto' };
}

/**
 * The custom tools the turn calls (deception/decoy/tool-calls.ts), none for a text answer. With
 * `auto`: a fresh user turn calls; after a tool's result, the next tool not called yet in this
 * conversation (an agent working through its tools), else the answer is text; after an assistant
 * prefill, text. Several in parallel unless `tool_choice.disable_parallel_tool_use`.
 */
function chooseCalls(body: Json, question: string): PlannedCall[] {
  const tools = customTools(body);
  if (tools.length === 0) return [];
  const choice = body['tool_choice'];
  const last = lastMessage(body);
  const turn = last?.['role'] === 'assistant' ? 'assistant' : endsWithToolResult(body) ? 'tool_result' : 'user';
  return planToolCalls({
    tools: tools.map((t) => ({ name: String(t['name']), schema: t['input_schema'] })),
    text: question,
    choice: toolMode(choice),
    parallel: !(isObject(choice) && choice['disable_parallel_tool_use'] === true),
    turn,
    ...(turn === 'tool_result' ? { called: calledTools(body) } : {}),
    seed: question.slice(0, 60) || 'example',
  });
}

function calledTools(body: Json): Set<string> {
  const out = new Set<string>();
  const messages = body['messages'];
  if (!Array.isArray(messages)) return out;
  for (const m of messages.slice(-256)) {
    const c = isObject(m) && m['role'] === 'assistant' ? m['content'] : undefined;
    if (Array.isArray(c)) for (const b of c.slice(0, 256)) if (isObject(b) && b['type'] === 'tool_use' && typeof b['name'] === 'string') out.add(b['name']);
  }
  return out;
}

function signature(thinking: string): string {
  const len = 200 + Math.min(800, thinking.length * 2);
  return `E${'tuoi'[randomBytes(1)[0]! % 4] ?? 't'}${randomBytes(Math.ceil((len * 3) / 4)).toString('base64').slice(0, len)}`;
}

function thinkingText(question: string): string {
  const q = question.replace(/\s+/g, ' ').trim().slice(0, 120);
  return q === ''
    ? 'The user wants a short, direct answer. I will keep it brief.'
    : `The user asks: "${q}". I should answer clearly and briefly, without unnecessary detail.`;
}

export interface Composed {
  readonly blocks: readonly Block[];
  readonly stopReason: 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use';
  readonly stopSequence: string | null;
  readonly outputTokens: number;
  /** server tools run (usage.server_tool_use), when the request offered any */
  readonly serverUse?: { readonly web_search_requests: number; readonly web_fetch_requests: number };
  /** input tokens the server tools' results added */
  readonly serverInputTokens?: number;
}

/**
 * A server-tool turn (server-tools.ts): the call, its result, then the reply as text citing the
 * first search result; within `budget` output tokens, else cut at `max_tokens`.
 */
function serverTurn(body: Json, name: 'web_search' | 'web_fetch', question: string, reply: string, blocks: Block[], budget: number, maxTokens: number): Composed {
  const id = serverToolUseId();
  const tool = serverTools(body).get(name);
  const input: Json = name === 'web_search' ? { query: searchQuery(question) } : { url: fetchUrl(question) };
  const callCost = 12 + tokenCount(JSON.stringify(input));
  const use = { web_search_requests: name === 'web_search' ? 1 : 0, web_fetch_requests: name === 'web_fetch' ? 1 : 0 };
  if (callCost > budget) return { blocks, stopReason: 'max_tokens', stopSequence: null, outputTokens: maxTokens, serverUse: { web_search_requests: 0, web_fetch_requests: 0 } };
  blocks.push({ type: 'server_tool_use', id, name, input });
  let extraInput: number;
  let cited: Json | undefined;
  if (name === 'web_search') {
    const results = searchResults(String(input['query']), tool);
    blocks.push({ type: 'web_search_tool_result', toolUseId: id, content: results });
    extraInput = resultTokens(results, 0);
    cited = results[0];
  } else {
    blocks.push({ type: 'web_fetch_tool_result', toolUseId: id, content: fetchResult(String(input['url']), reply) });
    extraInput = resultTokens([], 40 + tokenCount(reply));
  }
  const left = budget - callCost;
  const full = tokenCount(reply);
  const text = full > left ? firstTokens(reply, left) : reply;
  const firstSentence = /^[^.!?\n]{8,}[.!?]/.exec(reply)?.[0] ?? reply;
  blocks.push(cited !== undefined && text !== '' ? { type: 'text', text, citations: [citation(cited, firstSentence)] } : { type: 'text', text });
  if (full > left) return { blocks, stopReason: 'max_tokens', stopSequence: null, outputTokens: maxTokens, serverUse: use, serverInputTokens: extraInput };
  return { blocks, stopReason: 'end_turn', stopSequence: null, outputTokens: Math.min(maxTokens, maxTokens - left + full + 2), serverUse: use, serverInputTokens: extraInput };
}

/** The answer's content within `max_tokens` (thinking first), and its stop reason and output count. */
export function compose(body: Json, model: ClaudeModel, reply: string, betas: ReadonlySet<string> = new Set()): Composed {
  const maxTokens = typeof body['max_tokens'] === 'number' ? body['max_tokens'] : model.maxTokens;
  let budget = maxTokens;
  const blocks: Block[] = [];
  const question = lastUserText(body);
  const thinking = body['thinking'];
  // without interleaved thinking the model thinks once, at the start of its turn: a continuation
  // after a tool result writes no new thinking block (adaptive thinking interleaves by itself)
  const interleaved = (betas.has('interleaved-thinking-2025-05-14') && model.legacyWire !== true) || (isObject(thinking) && thinking['type'] === 'adaptive');
  const thinks = isObject(thinking) && (thinking['type'] === 'enabled' || thinking['type'] === 'adaptive') && model.thinking;
  if (thinks && (interleaved || !endsWithToolResult(body))) {
    const full = thinkingText(question);
    const t = firstTokens(full, budget);
    budget -= tokenCount(t);
    blocks.push({ type: 'thinking', thinking: t, signature: signature(t) });
    if (t !== full) return { blocks, stopReason: 'max_tokens', stopSequence: null, outputTokens: maxTokens };
  }
  const calls = chooseCalls(body, question);
  const offersServerTools = serverTools(body).size > 0;
  const last = lastMessage(body);
  const fresh = last?.['role'] === 'user' && !endsWithToolResult(body);
  const server = calls.length > 0 ? undefined : chooseServerTool(body, question, customTools(body).length > 0, fresh);
  if (server !== undefined) return serverTurn(body, server, question, reply, blocks, budget, maxTokens);
  const noServerUse = offersServerTools ? { serverUse: { web_search_requests: 0, web_fetch_requests: 0 } } : {};
  if (calls.length > 0) {
    // token-efficient tool use (a Sonnet 3.7 beta; later models write tool calls that way anyway): ~30% fewer tokens
    const efficient = betas.has('token-efficient-tools-2025-02-19') && model.id === 'claude-3-7-sonnet-20250219';
    let cost = 0;
    for (const call of calls) {
      // parallel calls are one tool_use block each; a call that does not fit ends the turn at max_tokens
      const next = Math.ceil((10 + tokenCount(JSON.stringify(call.input))) * (efficient ? 0.7 : 1));
      if (cost + next > budget) return { blocks, stopReason: 'max_tokens', stopSequence: null, outputTokens: maxTokens };
      cost += next;
      blocks.push({ type: 'tool_use', id: toolUseId(), name: call.name, input: call.input });
    }
    // the tool calls' framing tokens are billed too, never beyond max_tokens
    return { blocks, stopReason: 'tool_use', stopSequence: null, outputTokens: Math.min(maxTokens, maxTokens - budget + cost + 20), ...noServerUse };
  }
  const schema = outputSchema(body);
  let text = schema !== undefined ? pyJson(fillSchema(schema, reply)) : (extractionAnswer(body) ?? reply);
  let stopSequence: string | null = null;
  const stops = body['stop_sequences'];
  if (Array.isArray(stops) && schema === undefined) {
    let cut = -1;
    for (const s of stops.slice(0, 16)) {
      if (typeof s !== 'string' || s === '') continue;
      const i = text.indexOf(s);
      if (i >= 0 && (cut < 0 || i < cut)) {
        cut = i;
        stopSequence = s;
      }
    }
    if (cut >= 0) text = text.slice(0, cut);
  }
  const full = tokenCount(text);
  if (full > budget) {
    blocks.push({ type: 'text', text: firstTokens(text, budget) });
    return { blocks, stopReason: 'max_tokens', stopSequence: null, outputTokens: maxTokens, ...noServerUse };
  }
  blocks.push({ type: 'text', text });
  // the end-of-turn tokens are billed too, never beyond max_tokens
  const used = Math.min(maxTokens, maxTokens - budget + full + (stopSequence === null ? 2 : 1));
  return { blocks, stopReason: stopSequence === null ? 'end_turn' : 'stop_sequence', stopSequence, outputTokens: used, ...noServerUse };
}

function blockJson(b: Block, legacy: boolean): Json {
  const caller = legacy ? {} : { caller: { type: 'direct' } };
  switch (b.type) {
    case 'thinking':
      return { type: 'thinking', thinking: b.thinking, signature: b.signature };
    case 'text':
      // a cited text block leads with its citations, as the API writes it
      return b.citations !== undefined ? { citations: b.citations, type: 'text', text: b.text } : { type: 'text', text: b.text };
    case 'tool_use':
    case 'server_tool_use':
      return { type: b.type, id: b.id, name: b.name, input: b.input, ...caller };
    case 'web_search_tool_result':
    case 'web_fetch_tool_result':
      return { type: b.type, tool_use_id: b.toolUseId, content: b.content, ...caller };
  }
}

/** The message object (JSON answer, or `message_start` with empty content): current or legacy layout. */
function messageObject(model: ClaudeModel, id: string, content: Json[], stopReason: string | null, stopSequence: string | null, usage: Json): Json {
  if (model.legacyWire === true) {
    const { inference_geo: _geo, ...legacyUsage } = usage;
    return { id, type: 'message', role: 'assistant', model: model.id, content, stop_reason: stopReason, stop_sequence: stopSequence, usage: legacyUsage };
  }
  return { model: model.id, id, type: 'message', role: 'assistant', content, stop_reason: stopReason, stop_sequence: stopSequence, stop_details: null, usage };
}

function inferenceGeo(model: ClaudeModel): string {
  return model.adaptive ? 'global' : 'not_available';
}

/** Generation time of an answer (ms): first-token latency plus a per-token rate by model line. */
export function generationMs(model: ClaudeModel, outputTokens: number): number {
  const perToken = model.line === 'haiku' ? 6 : model.line === 'opus' || model.line === 'mythos' ? 18 : 11;
  return Math.round(350 + Math.random() * 250 + Math.min(outputTokens, 100_000) * perToken);
}

function pieces(text: string, rand: () => number = Math.random): string[] {
  if (text === '') return [];
  const ids = text.length > 65536 ? [] : encode(text);
  if (ids.length === 0) return text.match(/[\s\S]{1,24}/g) ?? [text];
  const out: string[] = [];
  let i = 0;
  let pending = '';
  while (i < ids.length && out.length < 4096) {
    const n = 1 + Math.floor(rand() * 5);
    const piece = decode(ids.slice(i, i + n));
    i += n;
    pending += piece;
    if (!pending.endsWith('\uFFFD')) {
      out.push(pending);
      pending = '';
    }
  }
  if (i < ids.length) pending += decode(ids.slice(i));
  if (pending !== '') out.push(pending.replace(/\uFFFD+$/, ''));
  return out;
}

function jsonPieces(json: string): string[] {
  if (json === '{}') return [''];
  const out: string[] = [''];
  for (let i = 0; i < json.length && out.length < 4096; ) {
    const n = 3 + Math.floor(Math.random() * 10);
    out.push(json.slice(i, i + n));
    i += n;
  }
  return out;
}

/** POST /v1/messages: the whole answer, JSON or SSE. */
export async function serveMessages(input: MessagesDecoyInput, res: HttpResponse): Promise<DecoyResult> {
  const { body, model, account } = input;
  const composed = compose(body, model, input.reply, input.betas);
  const cache = cacheUsage(account.organizationId, model, body, input.cacheablePrefix);
  const inputTokens = Math.max(1, input.inputTokens - cache.creation - cache.read);
  const stream = body['stream'] === true;
  const totalMs = generationMs(model, composed.outputTokens);
  const id = messageId();
  const requestId = anthropicRequestId();
  // the server tools' results are read as input: the final count exceeds the first
  const finalInput = inputTokens + (composed.serverInputTokens ?? 0);
  // (the retired Claude 3.x layout predates web fetch: its count only has searches, as recorded in 2025)
  const serverUse = composed.serverUse === undefined ? {} : model.legacyWire === true ? { server_tool_use: { web_search_requests: composed.serverUse.web_search_requests } } : { server_tool_use: composed.serverUse };
  const cacheCreation = { ephemeral_5m_input_tokens: cache.ttl === '5m' ? cache.creation : 0, ephemeral_1h_input_tokens: cache.ttl === '1h' ? cache.creation : 0 };
  const result: DecoyResult = { stream, inputTokens: input.inputTokens, outputTokens: composed.outputTokens, stopReason: composed.stopReason };

  if (!stream) {
    if (input.pace) await sleep(totalMs);
    if (res.destroyed) return result;
    writeAnthropicJson(res, 200, messageObject(model, id, composed.blocks.map((b) => blockJson(b, model.legacyWire === true)), composed.stopReason, composed.stopSequence, {
      input_tokens: finalInput,
      cache_creation_input_tokens: cache.creation,
      cache_read_input_tokens: cache.read,
      cache_creation: cacheCreation,
      output_tokens: composed.outputTokens,
      ...serverUse,
      service_tier: 'standard',
      inference_geo: inferenceGeo(model),
    }), { account, gzip: input.gzip, head: input.head, requestId, originMs: input.pace ? totalMs : 40 });
    return result;
  }

  const ttft = firstTokenMs(totalMs);
  if (input.pace) await sleep(ttft);
  if (res.destroyed) return result;
  const sse = new SseWriter(res, { account, gzip: input.gzip, head: input.head, requestId, originMs: input.pace ? ttft : 40 });
  sse.open();
  if (input.head) return result;
  const events: string[] = [];
  const startOutput = Math.min(composed.outputTokens, 1 + Math.floor(Math.random() * 3));
  events.push(sseEvent('message_start', {
    type: 'message_start',
    message: messageObject(model, id, [], null, null, {
      input_tokens: inputTokens, cache_creation_input_tokens: cache.creation, cache_read_input_tokens: cache.read, cache_creation: cacheCreation,
      output_tokens: startOutput, service_tier: 'standard', inference_geo: inferenceGeo(model),
    }),
  }, randomPad()));
  const legacy = model.legacyWire === true;
  composed.blocks.forEach((b, index) => {
    const start =
      b.type === 'thinking' ? { type: 'thinking', thinking: '', signature: '' }
      : b.type === 'text' ? (b.citations !== undefined ? { citations: [], type: 'text', text: '' } : { type: 'text', text: '' })
      : b.type === 'tool_use' || b.type === 'server_tool_use' ? blockJson({ ...b, input: {} }, legacy)
      : blockJson(b, legacy);
    events.push(sseEvent('content_block_start', { type: 'content_block_start', index, content_block: start }, randomPad()));
    // [REC] a stream that opens with a server tool call has no ping
    if (index === 0 && b.type !== 'server_tool_use') events.push(PING_EVENT);
    if (b.type === 'web_search_tool_result' || b.type === 'web_fetch_tool_result') {
      // a result block comes whole in its start event
    } else if (b.type === 'thinking') {
      for (const p of pieces(b.thinking)) events.push(sseEvent('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking: p } }, randomPad()));
      events.push(sseEvent('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking: '' } }, randomPad()));
      events.push(sseEvent('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: b.signature } }, randomPad()));
    } else if (b.type === 'text') {
      for (const c of b.citations ?? []) events.push(sseEvent('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'citations_delta', citation: c } }, randomPad()));
      for (const p of pieces(b.text)) events.push(sseEvent('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: p } }, randomPad()));
    } else if (b.type === 'tool_use' || b.type === 'server_tool_use') {
      for (const p of jsonPieces(JSON.stringify(b.input))) events.push(sseEvent('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: p } }, randomPad()));
    }
    events.push(sseEvent('content_block_stop', { type: 'content_block_stop', index }, randomPad()));
  });
  events.push(sseEvent('message_delta', {
    type: 'message_delta',
    delta: model.legacyWire === true ? { stop_reason: composed.stopReason, stop_sequence: composed.stopSequence } : { stop_reason: composed.stopReason, stop_sequence: composed.stopSequence, stop_details: null },
    usage: { input_tokens: finalInput, cache_creation_input_tokens: cache.creation, cache_read_input_tokens: cache.read, output_tokens: composed.outputTokens, ...serverUse },
  }, randomPad()));
  events.push(sseEvent('message_stop', { type: 'message_stop' }, randomPad()));

  if (!input.pace) {
    sse.write(events.join(''));
    sse.end();
    return result;
  }
  const gap = events.length > 1 ? (totalMs - ttft) / (events.length - 1) : 0;
  const per = gap >= 8 ? 1 : Math.max(1, Math.ceil(8 / Math.max(gap, 0.001)));
  for (let i = 0; i < events.length; i += per) {
    if (sse.closed) return result;
    sse.write(events.slice(i, i + per).join(''));
    if (i + per < events.length) await sleep(Math.round(gap * per));
  }
  sse.end();
  return result;
}
