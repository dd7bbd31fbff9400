/**
 * The decoy's chat completion template (chatCompletionJson, src/deception/decoy/openai.ts) writes
 * byte for byte what the generic writer writes for the same object (openaiJson: 2-space indent,
 * OpenAI's key order), for text, refusal and tool-call choices, any n, any string content.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chatCompletionJson, type ChatChoice, type ChatCompletionFields } from '../../src/providers/openai/decoy.js';
import { openaiJson } from '../../src/util/json.js';

/** The object serveChat wrote before the template, built the same way. */
function asObject(f: ChatCompletionFields): unknown {
  return {
    id: f.id,
    object: 'chat.completion',
    created: f.created,
    model: f.model,
    choices: f.choices.map((c, index) => ({
      index,
      message:
        'content' in c
          ? { role: 'assistant', content: c.content, refusal: null, annotations: [] }
          : 'refusal' in c
            ? { role: 'assistant', content: null, refusal: c.refusal, annotations: [] }
            : { role: 'assistant', content: null, tool_calls: c.toolCalls.map((t) => ({ id: t.id, type: 'function', function: { name: t.name, arguments: t.arguments } })), refusal: null, annotations: [] },
      logprobs: null,
      finish_reason: 'toolCalls' in c ? 'tool_calls' : 'stop',
    })),
    usage: {
      prompt_tokens: f.promptTokens,
      completion_tokens: f.completionTokens,
      total_tokens: f.promptTokens + f.completionTokens,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    },
    service_tier: 'default',
    system_fingerprint: f.fingerprint,
  };
}

const text = fc.string({ unit: 'binary', maxLength: 80 });
const choice: fc.Arbitrary<ChatChoice> = fc.oneof(
  text.map((content) => ({ content })),
  text.map((refusal) => ({ refusal })),
  fc.array(fc.record({ id: text, name: text, arguments: text }), { minLength: 1, maxLength: 4 }).map((toolCalls) => ({ toolCalls })),
);
const fields: fc.Arbitrary<ChatCompletionFields> = fc.record({
  id: text,
  created: fc.integer({ min: 0, max: 4_000_000_000 }),
  model: text,
  choices: fc.array(choice, { minLength: 1, maxLength: 4 }),
  promptTokens: fc.nat(1_000_000),
  completionTokens: fc.nat(1_000_000),
  fingerprint: text,
});

describe('chatCompletionJson', () => {
  it('is the generic writer’s output for the same object', () => {
    fc.assert(
      fc.property(fields, (f) => {
        expect(`${chatCompletionJson(f)}\n`).toBe(openaiJson(asObject(f)));
      }),
      { numRuns: 500 },
    );
  });

  it('writes a recorded-shape answer exactly (escapes, lone surrogates, a tool call beside text)', () => {
    const f: ChatCompletionFields = {
      id: 'chatcmpl-AbCdEfGhIjKlMnOpQrStUvWxYz012',
      created: 1_735_689_600,
      model: 'gpt-4o-mini-2024-07-18',
      choices: [{ content: 'line 1\nline "2" \\ \u2028 \ud800 😀' }, { toolCalls: [{ id: 'call_x', name: 'get_weather', arguments: '{"city":"Paris"}' }, { id: 'call_y', name: 'get_weather', arguments: '{"city":"Oslo"}' }] }],
      promptTokens: 31,
      completionTokens: 22,
      fingerprint: 'fp_0123456789',
    };
    const out = chatCompletionJson(f);
    expect(`${out}\n`).toBe(openaiJson(asObject(f)));
    expect(JSON.parse(out)).toEqual(asObject(f));
    expect(out).toContain('\n      "finish_reason": "tool_calls"\n    }\n  ],\n  "usage": {\n    "prompt_tokens": 31,');
  });
});
