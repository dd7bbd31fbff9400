/**
 * Model-native InvokeModel answers for the Bedrock decoy, per family: the
 * non-streaming response body in the model's own key order, and the model's own stream events that
 * InvokeModelWithResponseStream wraps in `chunk` frames (B3.2; the caller adds
 * `amazon-bedrock-invocationMetrics` to the last one). Embeddings are deterministic per input text,
 * so the same text always embeds the same way, as with a real model.
 */
import { createHash } from 'node:crypto';
import { ALNUM, B64URL, seededRandom, type RandomFn } from '../../deception/random.js';
import { anthropicModelName, type CatalogModel, type ModelFamily } from './models.js';

type Json = Record<string, unknown>;

export interface ToolCall {
  readonly name: string;
  readonly id: string;
  readonly input: unknown;
}

/** What the decoy "generated" for one request. */
export interface Generation {
  readonly text: string;
  /** the text in stream-sized chunks (joined, they are `text`) */
  readonly chunks: readonly string[];
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** `length` when the output was cut at the requested token budget */
  readonly stop: 'end' | 'length' | 'tool';
  /** the tool calls (several in parallel), absent for a text answer */
  readonly tools?: readonly ToolCall[];
  readonly latencyMs: number;
  readonly firstByteMs: number;
}

function chars(rand: RandomFn, alphabet: string, n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) out += alphabet[Math.floor(rand() * alphabet.length)] ?? 'A';
  return out;
}

function uuid(rand: RandomFn): string {
  const h = chars(rand, '0123456789abcdef', 32).split('');
  h[12] = '4';
  h[16] = '89ab'[Math.floor(rand() * 4)] ?? '8';
  const s = h.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

export const ids = {
  /** `msg_bdrk_01` + 22 (B7 Anthropic) */
  anthropicMessage: (rand: RandomFn): string => `msg_bdrk_01${chars(rand, ALNUM, 22)}`,
  anthropicTool: (rand: RandomFn): string => `toolu_bdrk_01${chars(rand, ALNUM, 22)}`,
  /** `tooluse_` + 22 base64url (B2) */
  converseTool: (rand: RandomFn): string => `tooluse_${chars(rand, B64URL, 22)}`,
  uuid,
};

// ------------------------------------------------------------------------------------------------
// embeddings

/** A unit-length embedding seeded by the text (float32 values, as the models return them). */
export function embedText(text: string, dimensions: number, normalize = true): number[] {
  const r = seededRandom(createHash('sha256').update(text).digest('hex'), `embed:${dimensions}`);
  const out: number[] = [];
  for (let i = 0; i < dimensions; i += 2) {
    // Box-Muller: two normals per pair of uniforms
    const u = Math.max(r.next(), 1e-12);
    const v = r.next();
    const m = Math.sqrt(-2 * Math.log(u));
    out.push(m * Math.cos(2 * Math.PI * v));
    if (i + 1 < dimensions) out.push(m * Math.sin(2 * Math.PI * v));
  }
  const norm = normalize ? Math.sqrt(out.reduce((s, x) => s + x * x, 0)) || 1 : Math.sqrt(dimensions) * 2;
  return out.map((x) => Math.fround(x / norm));
}

// ------------------------------------------------------------------------------------------------
// non-streaming bodies (B7)

function finish(gen: Generation, values: { end: string; length: string; tool?: string }): string {
  if (gen.stop === 'tool') return values.tool ?? values.end;
  return gen.stop === 'length' ? values.length : values.end;
}

function wordTokens(text: string, offset: number, rand: RandomFn): Json[] {
  const out: Json[] = [];
  let pos = offset;
  for (const m of text.matchAll(/\s*\S+/g)) {
    const piece = m[0];
    out.push({
      generatedToken: { token: piece.replace(/^\s+/, '▁'), logprob: -Math.round(rand() * 2000) / 1000, raw_logprob: -Math.round(rand() * 2000) / 1000 },
      topTokens: null,
      textRange: { start: pos, end: pos + piece.length },
    });
    pos += piece.length;
    if (out.length >= 4096) break;
  }
  return out;
}

/** The InvokeModel response body (JSON text in the model's own key order). */
export function invokeBody(family: ModelFamily, model: CatalogModel, body: Json, gen: Generation, rand: RandomFn): string {
  switch (family) {
    case 'anthropic': {
      const content: Json[] = [];
      if (gen.text !== '') content.push({ type: 'text', text: gen.text });
      for (const t of gen.tools ?? []) content.push({ type: 'tool_use', id: t.id, name: t.name, input: t.input });
      // the cache counts appear only on models with prompt caching (recorded: claude-3-haiku has none)
      const usage: Json = promptCaching(model)
        ? { input_tokens: gen.inputTokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 }
        : { input_tokens: gen.inputTokens };
      if (promptCaching(model) && !model.onDemand) usage['cache_creation'] = { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 };
      usage['output_tokens'] = gen.outputTokens;
      return JSON.stringify({
        id: ids.anthropicMessage(rand),
        type: 'message',
        role: 'assistant',
        model: anthropicModelName(model.id),
        content,
        stop_reason: finish(gen, { end: 'end_turn', length: 'max_tokens', tool: 'tool_use' }),
        stop_sequence: null,
        usage,
      });
    }
    case 'titan-text':
      return JSON.stringify({
        inputTextTokenCount: gen.inputTokens,
        results: [{ tokenCount: gen.outputTokens, outputText: gen.text, completionReason: finish(gen, { end: 'FINISH', length: 'LENGTH' }) }],
      });
    case 'titan-embed': {
      const text = typeof body['inputText'] === 'string' ? body['inputText'] : '';
      const dims = typeof body['dimensions'] === 'number' ? body['dimensions'] : (model.dimensions ?? 1024);
      const vector = embedText(text, dims, body['normalize'] !== false);
      if (model.id === 'amazon.titan-embed-text-v2:0') {
        return JSON.stringify({ embedding: vector, embeddingsByType: { float: vector }, inputTextTokenCount: gen.inputTokens });
      }
      return JSON.stringify({ embedding: vector, inputTextTokenCount: gen.inputTokens });
    }
    case 'cohere-embed': {
      const texts = Array.isArray(body['texts']) ? body['texts'].filter((t): t is string => typeof t === 'string').slice(0, 96) : [];
      const vectors = texts.map((t) => embedText(t, model.dimensions ?? 1024).map((x) => Number(x.toPrecision(8))));
      const types = body['embedding_types'];
      if (Array.isArray(types) && types.length > 0) {
        const byType: Json = {};
        for (const t of types) if (typeof t === 'string') byType[t] = t === 'float' ? vectors : vectors.map((v) => v.map((x) => Math.max(-128, Math.min(127, Math.round(x * 1000)))));
        return JSON.stringify({ embeddings: byType, id: uuid(rand), response_type: 'embeddings_by_type', texts });
      }
      return JSON.stringify({ embeddings: vectors, id: uuid(rand), response_type: 'embeddings_floats', texts });
    }
    case 'nova': {
      const content: Json[] = [];
      if (gen.text !== '') content.push({ text: gen.text });
      // [REC 2026-05] InvokeModel's Nova toolUse is name, toolUseId, input (Converse sorts its keys)
      for (const t of gen.tools ?? []) content.push({ toolUse: { name: t.name, toolUseId: t.id, input: t.input } });
      return JSON.stringify({
        output: { message: { content, role: 'assistant' } },
        stopReason: finish(gen, { end: 'end_turn', length: 'max_tokens', tool: 'tool_use' }),
        usage: { inputTokens: gen.inputTokens, outputTokens: gen.outputTokens, totalTokens: gen.inputTokens + gen.outputTokens, cacheReadInputTokenCount: 0, cacheWriteInputTokenCount: 0 },
      });
    }
    case 'llama':
      return JSON.stringify({ generation: gen.text, prompt_token_count: gen.inputTokens, generation_token_count: gen.outputTokens, stop_reason: finish(gen, { end: 'stop', length: 'length' }) });
    case 'mistral':
    case 'mistral-chat':
      if (Array.isArray(body['messages'])) {
        return JSON.stringify({ choices: [{ index: 0, message: { role: 'assistant', content: gen.text }, stop_reason: finish(gen, { end: 'stop', length: 'length' }) }] });
      }
      return JSON.stringify({ outputs: [{ text: gen.text, stop_reason: finish(gen, { end: 'stop', length: 'length' }) }] });
    case 'cohere-command':
      return JSON.stringify({
        // [REC 2024-10] id first, each generation as id, text, finish_reason
        id: uuid(rand),
        generations: [{ id: uuid(rand), text: gen.text, finish_reason: finish(gen, { end: 'COMPLETE', length: 'MAX_TOKENS' }) }],
        prompt: typeof body['prompt'] === 'string' ? body['prompt'] : '',
      });
    case 'cohere-command-r': {
      const history = Array.isArray(body['chat_history']) ? body['chat_history'].slice(0, 256) : [];
      const message = typeof body['message'] === 'string' ? body['message'] : '';
      return JSON.stringify({
        response_id: uuid(rand),
        text: gen.text,
        generation_id: uuid(rand),
        chat_history: [...history, { role: 'USER', message }, { role: 'CHATBOT', message: gen.text }],
        finish_reason: finish(gen, { end: 'COMPLETE', length: 'MAX_TOKENS' }),
      });
    }
    case 'ai21-j2': {
      const prompt = typeof body['prompt'] === 'string' ? body['prompt'] : '';
      return JSON.stringify({
        id: 1000 + Math.floor(rand() * 9000),
        prompt: { text: prompt, tokens: wordTokens(prompt, 0, rand) },
        completions: [{ data: { text: gen.text, tokens: wordTokens(gen.text, 0, rand) }, finishReason: { reason: finish(gen, { end: 'endoftext', length: 'length' }) } }],
      });
    }
    case 'ai21-jamba':
      return JSON.stringify({
        id: `chatcmpl-${uuid(rand)}`,
        choices: [{ index: 0, message: { role: 'assistant', content: gen.text, tool_calls: null }, finish_reason: finish(gen, { end: 'stop', length: 'length' }) }],
        usage: { prompt_tokens: gen.inputTokens, completion_tokens: gen.outputTokens, total_tokens: gen.inputTokens + gen.outputTokens },
      });
    case 'unknown':
      return JSON.stringify({ outputText: gen.text });
    default: {
      const never: never = family;
      return never;
    }
  }
}

// ------------------------------------------------------------------------------------------------
// stream events (B3.2, B7 "stream chunks"): the model-native JSON objects, in order

export function invokeStreamEvents(family: ModelFamily, model: CatalogModel, body: Json, gen: Generation, rand: RandomFn): Json[] {
  const chunks = gen.chunks.length > 0 ? gen.chunks : [''];
  const last = chunks.length - 1;
  switch (family) {
    case 'anthropic': {
      const events: Json[] = [
        {
          type: 'message_start',
          message: {
            id: ids.anthropicMessage(rand),
            type: 'message',
            role: 'assistant',
            model: anthropicModelName(model.id),
            content: [],
            stop_reason: null,
            stop_sequence: null,
            usage: { input_tokens: gen.inputTokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 1 },
          },
        },
      ];
      let index = 0;
      if (gen.text !== '' || !gen.tools) {
        events.push({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
        for (const c of chunks) events.push({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: c } });
        events.push({ type: 'content_block_stop', index });
        index++;
      }
      for (const t of gen.tools ?? []) {
        events.push({ type: 'content_block_start', index, content_block: { type: 'tool_use', id: t.id, name: t.name, input: {} } });
        for (const part of jsonPieces(JSON.stringify(t.input))) events.push({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: part } });
        events.push({ type: 'content_block_stop', index });
        index++;
      }
      events.push({ type: 'message_delta', delta: { stop_reason: finish(gen, { end: 'end_turn', length: 'max_tokens', tool: 'tool_use' }), stop_sequence: null }, usage: { output_tokens: gen.outputTokens } });
      events.push({ type: 'message_stop' });
      return events;
    }
    case 'titan-text': {
      let sent = 0;
      return chunks.map((c, i) => {
        sent += 1;
        return {
          outputText: c,
          index: 0,
          totalOutputTextTokenCount: i === last ? gen.outputTokens : Math.min(sent, gen.outputTokens),
          completionReason: i === last ? finish(gen, { end: 'FINISH', length: 'LENGTH' }) : null,
          inputTextTokenCount: i === 0 ? gen.inputTokens : null,
        };
      });
    }
    case 'nova':
      return [
        { messageStart: { role: 'assistant' } },
        ...chunks.map((c) => ({ contentBlockDelta: { delta: { text: c }, contentBlockIndex: 0 } })),
        { contentBlockStop: { contentBlockIndex: 0 } },
        ...(gen.tools ?? []).flatMap((t, i) => [
          { contentBlockStart: { start: { toolUse: { toolUseId: t.id, name: t.name } }, contentBlockIndex: 1 + i } },
          { contentBlockDelta: { delta: { toolUse: { input: JSON.stringify(t.input) } }, contentBlockIndex: 1 + i } },
          { contentBlockStop: { contentBlockIndex: 1 + i } },
        ]),
        { messageStop: { stopReason: finish(gen, { end: 'end_turn', length: 'max_tokens', tool: 'tool_use' }) } },
        // [REC 2026-04] the cache counts are in the stream's usage too
        { metadata: { usage: { inputTokens: gen.inputTokens, outputTokens: gen.outputTokens, cacheReadInputTokenCount: 0, cacheWriteInputTokenCount: 0 }, metrics: {}, trace: {} } },
      ];
    case 'llama':
      return chunks.map((c, i) => ({
        generation: c,
        prompt_token_count: i === 0 ? gen.inputTokens : null,
        generation_token_count: i === last ? gen.outputTokens : i + 1,
        stop_reason: i === last ? finish(gen, { end: 'stop', length: 'length' }) : null,
      }));
    case 'mistral':
    case 'mistral-chat':
      if (Array.isArray(body['messages'])) {
        return chunks.map((c, i) => ({ choices: [{ index: 0, message: { role: 'assistant', content: c }, stop_reason: i === last ? finish(gen, { end: 'stop', length: 'length' }) : null }] }));
      }
      return chunks.map((c, i) => ({ outputs: [{ text: c, stop_reason: i === last ? finish(gen, { end: 'stop', length: 'length' }) : null }] }));
    case 'cohere-command':
      return [
        ...chunks.map((c) => ({ text: c, is_finished: false })),
        { is_finished: true, finish_reason: finish(gen, { end: 'COMPLETE', length: 'MAX_TOKENS' }) },
      ];
    case 'cohere-command-r': {
      const generationId = uuid(rand);
      const message = typeof body['message'] === 'string' ? body['message'] : '';
      return [
        { is_finished: false, event_type: 'stream-start', generation_id: generationId },
        ...chunks.map((c) => ({ is_finished: false, event_type: 'text-generation', text: c })),
        {
          is_finished: true,
          event_type: 'stream-end',
          response: {
            response_id: uuid(rand),
            text: gen.text,
            generation_id: generationId,
            chat_history: [{ role: 'USER', message }, { role: 'CHATBOT', message: gen.text }],
            finish_reason: finish(gen, { end: 'COMPLETE', length: 'MAX_TOKENS' }),
          },
          finish_reason: finish(gen, { end: 'COMPLETE', length: 'MAX_TOKENS' }),
        },
      ];
    }
    case 'ai21-jamba': {
      const id = `chatcmpl-${uuid(rand)}`;
      return [
        { id, choices: [{ index: 0, delta: { role: 'assistant' }, finish_reason: null }] },
        ...chunks.map((c) => ({ id, choices: [{ index: 0, delta: { content: c }, finish_reason: null }] })),
        {
          id,
          choices: [{ index: 0, delta: {}, finish_reason: finish(gen, { end: 'stop', length: 'length' }) }],
          usage: { prompt_tokens: gen.inputTokens, completion_tokens: gen.outputTokens, total_tokens: gen.inputTokens + gen.outputTokens },
        },
      ];
    }
    case 'titan-embed':
    case 'cohere-embed':
    case 'ai21-j2':
    case 'unknown':
      return [];
    default: {
      const never: never = family;
      return never;
    }
  }
}

/** Split a JSON text into a few fragments, as tool-input deltas arrive. */
export function jsonPieces(json: string): string[] {
  if (json.length <= 16) return [json];
  const out: string[] = [];
  const size = Math.max(8, Math.ceil(json.length / 12));
  for (let i = 0; i < json.length && out.length < 256; i += size) out.push(json.slice(i, i + size));
  const joined = out.join('');
  if (joined.length < json.length) out.push(json.slice(joined.length));
  return out;
}

/**
 * Models with Bedrock prompt caching: their usage carries cache counts (body and
 * `X-Amzn-Bedrock-Cache-*` headers). Nova, Claude 3.5 Haiku, 3.7 Sonnet and the Claude 4 family;
 * not the Claude 3 models, Claude 3.5 Sonnet or Claude 2 (recorded 2025-03 to 2026-05).
 */
export function promptCaching(model: CatalogModel): boolean {
  if (model.family === 'nova') return true;
  if (model.family !== 'anthropic') return false;
  const id = model.id;
  return id.includes('claude-3-5-haiku') || id.includes('claude-3-7') || /claude-(sonnet|opus|haiku)-4|claude-4/.test(id);
}
