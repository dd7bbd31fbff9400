/**
 * The Responses API decoy (`POST /v1/responses`): the response object in the exact
 * key order with `1.0`-style floats, echoing the request's settings as the API does (instructions,
 * tools, text format, sampling), a message or function_call outputs (several in parallel), reasoning items for reasoning
 * models; streaming as `event:`/`data:` pairs with `sequence_number`, no `[DONE]`.
 * Item ids share a 16-hex prefix per response, then `00`, the creation time in hex and 24 hex.
 */
import type { HttpResponse } from '../../core/http.js';
import { writeOpenAIErrorBody, writeOpenAIJson } from './render.js';
import { Float, toJson } from '../../util/json.js';
import { ALNUM, randomChars, randomHex } from '../../util/random.js';
import { chooseCalls, fitCalls, isJsonSchema, isObject, obfuscation, REFUSAL_TOKEN, refusalFor, replyText, unixNow, writeSseHead, type DecoyRequest, type DecoyResult, type Json, type WrittenCall } from './decoy-shared.js';
import { firstTokenMs, paceJson, paceStream } from '../../deception/decoy/pacing.js';
import { anyTextTokens, streamPieces, tokenCount, truncateTokens } from '../../deception/decoy/tokens.js';
import { reasoningTokensFor } from '../../deception/models.js';
import { randomBytes } from 'node:crypto';

/**
 * An opaque reasoning state as the API returns it for `include: ["reasoning.encrypted_content"]`:
 * a Fernet token (`gAAAAA…`, base64url), longer for more reasoning.
 */
function encryptedReasoning(reasoningTokens: number): string {
  const bytes = randomBytes(Math.min(512 + reasoningTokens * 3, 48_000));
  return `gAAAAA${bytes.toString('base64url')}`;
}

const REASONING = /^(o\d|gpt-5)/;

/**
 * Models with extended (24 h) prompt caching: gpt-4.1 (not mini/nano), gpt-5 and gpt-5-codex, the
 * gpt-5.x line; gpt-5.5 and later have only `24h`. For these an account without zero data retention
 * (every lure persona) defaults to `24h`, for any other model the retention is `in_memory`
 * [REC oa-responses-parse-gz-2026-05: gpt-4.1-nano `in_memory`; SDK 6.49 `prompt_cache_retention` doc].
 */
const EXTENDED_CACHE = /^(gpt-4\.1(-2025-04-14)?$|gpt-5(-codex|-2025-08-07)?$|gpt-5\.\d)/;

/** `prompt_cache_retention` as applied: the request's value, else the model's default for the account. */
function cacheRetention(model: string, requested: unknown): string {
  if (requested === 'in_memory' || requested === '24h') return requested;
  return EXTENDED_CACHE.test(model) ? '24h' : 'in_memory';
}

/** gpt-5.6 and later render reasoning of all turns by default, earlier reasoning models the current turn. */
const ALL_TURNS = /^gpt-5\.([6-9]|\d\d)/;

/**
 * `reasoning` as applied: `context` is the effective reasoning context mode (null for a model
 * without reasoning), then effort and summary, keys in alphabetical order as the API writes them.
 */
function echoReasoning(model: string, reasoning: boolean, asked: unknown): Json {
  if (!reasoning) return { context: null, effort: null, summary: null };
  const r = isObject(asked) ? asked : {};
  const context = r['context'] === 'current_turn' || r['context'] === 'all_turns' ? r['context'] : ALL_TURNS.test(model) ? 'all_turns' : 'current_turn';
  return { context, effort: typeof r['effort'] === 'string' ? r['effort'] : 'medium', summary: null };
}
const COMPACT = { indent: 0 } as const;

function num(v: unknown, fallback: number): Float {
  return new Float(typeof v === 'number' && Number.isFinite(v) ? v : fallback);
}

function echoTools(tools: unknown): unknown[] {
  if (!Array.isArray(tools)) return [];
  return tools.filter(isObject).map((t) => {
    if (t['type'] !== 'function') return t;
    const strict = t['strict'] !== false;
    const params = isObject(t['parameters']) ? t['parameters'] : { type: 'object', properties: {} };
    return {
      type: 'function',
      description: typeof t['description'] === 'string' ? t['description'] : null,
      name: t['name'],
      parameters: strict ? { ...params, additionalProperties: false } : params,
      strict,
    };
  });
}

function echoFormat(text: unknown): Json {
  const format = isObject(text) && isObject(text['format']) ? text['format'] : { type: 'text' };
  const verbosity = isObject(text) && typeof text['verbosity'] === 'string' ? text['verbosity'] : 'medium';
  if (format['type'] === 'json_schema') {
    return {
      format: { type: 'json_schema', description: format['description'] ?? null, name: format['name'], schema: format['schema'], strict: format['strict'] ?? false },
      verbosity,
    };
  }
  return { format, verbosity };
}

export async function serveResponses(req: DecoyRequest, res: HttpResponse): Promise<DecoyResult> {
  const body = req.body ?? {};
  const requested = body['model'];
  if (typeof requested !== 'string' || requested === '') {
    writeOpenAIErrorBody(res, 400, { message: "Missing required parameter: 'model'.", type: 'invalid_request_error', param: 'model', code: 'missing_required_parameter' }, 'current', { account: req.headers, head: req.head });
    return { status: 400, promptTokens: 0, completionTokens: 0 };
  }
  const model = req.account.resolveModel(requested);
  if (model === null) {
    writeOpenAIErrorBody(res, 400, { message: `The requested model '${requested}' does not exist.`, type: 'invalid_request_error', param: 'model', code: 'model_not_found' }, 'current', { account: req.headers, head: req.head });
    return { status: 400, promptTokens: 0, completionTokens: 0 };
  }
  const created = unixNow();
  const prefix = `${randomHex(16)}00${created.toString(16).padStart(8, '0')}`;
  const itemId = (kind: string): string => `${kind}_${prefix}${randomHex(24)}`;
  const input = body['input'];
  const lastInput = Array.isArray(input) ? input[input.length - 1] : undefined;
  const lastRole = isObject(lastInput) ? (lastInput['type'] === 'function_call_output' ? 'function_call_output' : lastInput['role']) : 'user';
  const format = isObject(body['text']) ? body['text']['format'] : undefined;
  // a clearly harmful ask is refused, not turned into a call; under a JSON schema as a `refusal` content part of the message
  const refusal = refusalFor(input, body['tool_choice']);
  const planned = refusal === null ? chooseCalls(body, input, lastRole, req.reply) : [];
  const refusalPart = refusal !== null && isJsonSchema(format);
  const reasoning = REASONING.test(model);
  const text = refusal ?? replyText(req.reply, format);
  const inputTokens = anyTextTokens(input) + (typeof body['instructions'] === 'string' ? tokenCount(body['instructions']) : 0) + 7;
  const effort = isObject(body['reasoning']) ? body['reasoning']['effort'] : undefined;
  // max_output_tokens counts reasoning tokens too: a cut answer is "incomplete" (reason max_output_tokens)
  const limit = typeof body['max_output_tokens'] === 'number' && Number.isInteger(body['max_output_tokens']) && body['max_output_tokens'] > 0 ? body['max_output_tokens'] : undefined;
  const thought = reasoning ? reasoningTokensFor(effort, inputTokens) : 0;
  const reasoningTokens = limit !== undefined ? Math.min(thought, limit) : thought;
  const budget = limit !== undefined ? limit - reasoningTokens : Number.POSITIVE_INFINITY;
  const tool = planned.length > 0;
  const fitted = tool ? fitCalls(planned, budget) : { calls: [], cut: false };
  const said = tool ? { text: '', tokens: 0, cut: fitted.cut } : truncateTokens(text, budget);
  const incomplete = said.cut;
  const shown = said.text;
  // each call item bills its framing too, unless the answer was cut at the limit; a refusal part bills its refusal token
  const outputTokens = tool ? fitted.calls.reduce((sum, c) => sum + c.tokens + (fitted.cut ? 0 : 5), 0) : said.tokens + (refusalPart && !said.cut ? REFUSAL_TOKEN : 0);
  const responseId = `resp_${prefix}${randomHex(24)}`;
  const msgId = itemId('msg');
  const itemStatus = incomplete ? 'incomplete' : 'completed';
  const textPart = (t: string): Json => (refusalPart ? { type: 'refusal', refusal: t } : { type: 'output_text', annotations: [], logprobs: [], text: t });
  const message = (status: string, content: unknown[]): Json => ({ id: msgId, type: 'message', status, content, role: 'assistant' });
  const fnCall = (status: string, call: WrittenCall): Json => ({ id: itemId('fc'), type: 'function_call', status, arguments: call.arguments, call_id: `call_${randomChars(ALNUM, 24)}`, name: call.name });
  // include: ["reasoning.encrypted_content"] returns the reasoning state, opaque, for stateless turns
  const wantsEncrypted = Array.isArray(body['include']) && body['include'].includes('reasoning.encrypted_content');
  const reasoningItem: Json | null = reasoning
    ? wantsEncrypted
      ? { id: itemId('rs'), type: 'reasoning', encrypted_content: encryptedReasoning(reasoningTokens), summary: [] }
      : { id: itemId('rs'), type: 'reasoning', summary: [] }
    : null;
  // with the whole budget spent on reasoning there is no message at all
  const spent = limit !== undefined && thought > 0 && reasoningTokens >= limit;
  // several calls are several function_call items; only the last can be the one cut at the limit
  const finalItems = tool ? fitted.calls.map((c, i) => fnCall(i === fitted.calls.length - 1 ? itemStatus : 'completed', c)) : [message(itemStatus, [textPart(shown)])];
  const output = spent && reasoningItem ? [reasoningItem] : reasoningItem ? [reasoningItem, ...finalItems] : finalItems;
  const usage = {
    input_tokens: inputTokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: (spent ? 0 : outputTokens) + reasoningTokens,
    output_tokens_details: { reasoning_tokens: reasoningTokens },
    total_tokens: inputTokens + (spent ? 0 : outputTokens) + reasoningTokens,
  };
  const finalStatus = incomplete || spent ? 'incomplete' : 'completed';
  // a streamed response object carries no `billing` (recorded 2026-01, 2026-03), the JSON one does
  const responseObject = (status: string, out: unknown[], u: unknown, serviceTier: string, completedAt: number | null, streamed = false): Json => ({
    id: responseId,
    object: 'response',
    created_at: created,
    status,
    background: body['background'] === true,
    ...(streamed ? {} : { billing: { payer: 'developer' } }),
    completed_at: status === 'incomplete' ? null : completedAt,
    error: null,
    frequency_penalty: num(body['frequency_penalty'], 0),
    incomplete_details: status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
    instructions: typeof body['instructions'] === 'string' ? body['instructions'] : null,
    max_output_tokens: typeof body['max_output_tokens'] === 'number' ? body['max_output_tokens'] : null,
    max_tool_calls: typeof body['max_tool_calls'] === 'number' ? body['max_tool_calls'] : null,
    model,
    // [REC 2026-05] null unless moderated completions were asked for
    moderation: null,
    output: out,
    parallel_tool_calls: body['parallel_tool_calls'] !== false,
    presence_penalty: num(body['presence_penalty'], 0),
    previous_response_id: typeof body['previous_response_id'] === 'string' ? body['previous_response_id'] : null,
    prompt_cache_key: typeof body['prompt_cache_key'] === 'string' ? body['prompt_cache_key'] : null,
    prompt_cache_retention: cacheRetention(model, body['prompt_cache_retention']),
    reasoning: echoReasoning(model, reasoning, body['reasoning']),
    safety_identifier: typeof body['safety_identifier'] === 'string' ? body['safety_identifier'] : null,
    service_tier: serviceTier,
    store: body['store'] !== false,
    temperature: num(body['temperature'], 1),
    text: echoFormat(body['text']),
    tool_choice: body['tool_choice'] ?? 'auto',
    tools: echoTools(body['tools']),
    top_logprobs: typeof body['top_logprobs'] === 'number' ? body['top_logprobs'] : 0,
    top_p: num(body['top_p'], 1),
    truncation: body['truncation'] === 'auto' ? 'auto' : 'disabled',
    usage: u,
    user: typeof body['user'] === 'string' ? body['user'] : null,
    metadata: isObject(body['metadata']) ? body['metadata'] : {},
  });
  const processingMs = req.account.processingMs(Math.random, usage.output_tokens);
  const requestedTier = typeof body['service_tier'] === 'string' ? body['service_tier'] : 'auto';

  if (body['stream'] === true) {
    let seq = 0;
    const out: string[] = [];
    const emit = (type: string, fields: Json): void => {
      // [REC] every event writes `type` first, then its other keys in alphabetical order
      const event: Json = { type };
      const all: Json = { ...fields, sequence_number: seq++ };
      for (const k of Object.keys(all).sort()) event[k] = all[k];
      out.push(`event: ${type}\ndata: ${toJson(event, COMPACT)}\n\n`);
    };
    emit('response.created', { response: responseObject('in_progress', [], null, requestedTier, null, true) });
    emit('response.in_progress', { response: responseObject('in_progress', [], null, requestedTier, null, true) });
    let index = 0;
    if (reasoningItem) {
      emit('response.output_item.added', { item: reasoningItem, output_index: index });
      emit('response.output_item.done', { item: reasoningItem, output_index: index });
      index++;
    }
    if (spent) {
      // nothing but reasoning fitted in the budget
    } else if (tool) {
      for (const item of finalItems) {
        const args = String(item['arguments']);
        emit('response.output_item.added', { item: { ...item, status: 'in_progress', arguments: '' }, output_index: index });
        for (const piece of streamPieces(args)) emit('response.function_call_arguments.delta', { delta: piece, item_id: item['id'], obfuscation: obfuscation(), output_index: index });
        emit('response.function_call_arguments.done', { arguments: args, item_id: item['id'], output_index: index });
        emit('response.output_item.done', { item, output_index: index });
        index++;
      }
    } else {
      emit('response.output_item.added', { item: message('in_progress', []), output_index: index });
      emit('response.content_part.added', { content_index: 0, item_id: msgId, output_index: index, part: textPart('') });
      if (refusalPart) {
        for (const piece of streamPieces(shown)) emit('response.refusal.delta', { content_index: 0, delta: piece, item_id: msgId, obfuscation: obfuscation(), output_index: index });
        emit('response.refusal.done', { content_index: 0, item_id: msgId, output_index: index, refusal: shown });
      } else {
        for (const piece of streamPieces(shown)) {
          emit('response.output_text.delta', { content_index: 0, delta: piece, item_id: msgId, logprobs: [], obfuscation: obfuscation(), output_index: index });
        }
        emit('response.output_text.done', { content_index: 0, item_id: msgId, logprobs: [], output_index: index, text: shown });
      }
      emit('response.content_part.done', { content_index: 0, item_id: msgId, output_index: index, part: textPart(shown) });
      emit('response.output_item.done', { item: finalItems[0], output_index: index });
    }
    emit(finalStatus === 'incomplete' ? 'response.incomplete' : 'response.completed', { response: responseObject(finalStatus, output, usage, 'default', unixNow(), true) });
    await paceStream(res, req.pace, processingMs, () => writeSseHead(res, req, firstTokenMs(processingMs)), out, req.head);
    return { status: 200, model, promptTokens: inputTokens, completionTokens: usage.output_tokens };
  }
  await paceJson(req.pace, processingMs);
  writeOpenAIJson(res, 200, responseObject(finalStatus, output, usage, 'default', unixNow()), 'responses', {
    account: req.headers,
    processingMs,
    head: req.head,
  });
  return { status: 200, model, promptTokens: inputTokens, completionTokens: usage.output_tokens };
}
