/**
 * validateOpenAIRequest (src/deception/validate.ts): the refusals a real paid account gets, with
 * the exact texts of wire-spec A2.1 and the public captures cited in the module, in the API's order.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openaiPersona } from '../../src/deception/persona.js';
import { validateOpenAIRequest, type OpenAIErrorAnswer, type ValidatedEndpoint } from '../../src/providers/openai/validate.js';

const persona = openaiPersona(createHash('sha256').update('validate').digest('hex'));
const chat = (body: unknown): OpenAIErrorAnswer | null => validateOpenAIRequest('chat.completions', body, persona);
const ok = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] };

describe('chat completions', () => {
  it('accepts a normal request and common SDK parameters', () => {
    expect(chat(ok)).toBeNull();
    expect(
      chat({
        ...ok,
        temperature: 0.7,
        top_p: 1,
        n: 1,
        max_tokens: 256,
        stream: true,
        stream_options: { include_usage: true },
        tools: [{ type: 'function', function: { name: 'f', parameters: {} } }],
        tool_choice: 'auto',
        response_format: { type: 'json_object' },
        seed: 7,
        user: 'u',
        presence_penalty: 0.5,
        frequency_penalty: -0.5,
        logprobs: true,
        top_logprobs: 3,
        metadata: { a: 'b' },
        store: false,
        max_completion_tokens: null,
        temperature_unused: undefined,
      }),
    ).toBeNull();
  });

  it('missing model: legacy 400 "you must provide a model parameter" (null, empty, no body)', () => {
    for (const body of [{ messages: ok.messages }, { ...ok, model: null }, { ...ok, model: '' }, [], 'x', null, 42]) {
      expect(chat(body)).toEqual({ status: 400, error: { message: 'you must provide a model parameter', type: 'invalid_request_error', param: null, code: null }, layer: 'legacy' });
    }
  });

  it('unknown model: 404 legacy model_not_found with backticks (A2.1)', () => {
    expect(chat({ ...ok, model: 'gpt-5.2-proo' })).toEqual({
      status: 404,
      error: { message: 'The model `gpt-5.2-proo` does not exist or you do not have access to it.', type: 'invalid_request_error', param: null, code: 'model_not_found' },
      layer: 'legacy',
    });
  });

  it('a model of another endpoint: the two recorded 404 texts', () => {
    expect(chat({ ...ok, model: 'davinci-002' })?.error.message).toBe('This is not a chat model and thus not supported in the v1/chat/completions endpoint. Did you mean to use v1/completions?');
    expect(chat({ ...ok, model: 'text-embedding-3-small' })?.status).toBe(404);
    const pro = chat({ ...ok, model: 'o1-pro' });
    expect(pro?.status).toBe(404);
    expect(pro?.error).toEqual({ message: 'This model is only supported in v1/responses and not in v1/chat/completions.', type: 'invalid_request_error', param: 'model', code: null });
  });

  it('missing or empty messages', () => {
    expect(chat({ model: 'gpt-4o' })?.error).toEqual({ message: "Missing required parameter: 'messages'.", type: 'invalid_request_error', param: 'messages', code: 'missing_required_parameter' });
    expect(chat({ model: 'gpt-4o', messages: [] })).toEqual({
      status: 400,
      error: { message: "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.", type: 'invalid_request_error', param: 'messages', code: 'empty_array' },
      layer: 'current',
    });
    expect(chat({ model: 'gpt-4o', messages: 'ping' })?.error.message).toBe("Invalid type for 'messages': expected an array of objects, but got a string instead.");
    expect(chat({ model: 'gpt-4o', messages: ['ping'] })?.error).toMatchObject({ param: 'messages[0]', code: 'invalid_type', message: "Invalid type for 'messages[0]': expected an object, but got a string instead." });
  });

  it('roles: missing, invalid, wrong type; content of the wrong type', () => {
    expect(chat({ model: 'gpt-4o', messages: [{ content: 'x' }] })?.error).toMatchObject({ param: 'messages[0].role', code: 'missing_required_parameter' });
    expect(chat({ model: 'gpt-4o', messages: [{ role: 'user', content: 'a' }, { role: 'tooool', content: 'b' }] })?.error).toEqual({
      message: "Invalid value: 'tooool'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.",
      type: 'invalid_request_error',
      param: 'messages[1].role',
      code: 'invalid_value',
    });
    // long values are echoed shortened (first 3 … last 3)
    expect(chat({ model: 'gpt-4o', messages: [{ role: 'PINLOG-CTX-MARKER-205-abcdef', content: 'b' }] })?.error.message).toMatch(/^Invalid value: 'PIN\.\.\.def'\./);
    expect(chat({ model: 'gpt-4o', messages: [{ role: 5, content: 'b' }] })?.error.code).toBe('invalid_type');
    expect(chat({ model: 'gpt-4o', messages: [{ role: 'user', content: 7 }] })?.error.message).toBe(
      "Invalid type for 'messages[0].content': expected one of a string or array of objects, but got an integer instead.",
    );
  });

  it('a tool message needs a preceding tool call', () => {
    const r = chat({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }, { role: 'tool', content: 'y', tool_call_id: 'call_1' }] });
    expect(r?.error).toEqual({ message: "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.", type: 'invalid_request_error', param: 'messages.[1].role', code: null });
    const fine = chat({
      model: 'gpt-4o',
      messages: [
        { role: 'user', content: 'x' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
        { role: 'tool', content: 'y', tool_call_id: 'call_1' },
      ],
    });
    expect(fine).toBeNull();
  });

  it('max_tokens / max_completion_tokens 0: the exact recorded text', () => {
    expect(chat({ ...ok, max_tokens: 0 })?.error).toEqual({
      message: "Invalid 'max_tokens': integer below minimum value. Expected a value >= 1, but got 0 instead.",
      type: 'invalid_request_error',
      param: 'max_tokens',
      code: 'integer_below_min_value',
    });
    expect(chat({ ...ok, max_completion_tokens: 0 })?.error.message).toBe("Invalid 'max_completion_tokens': integer below minimum value. Expected a value >= 1, but got 0 instead.");
    expect(chat({ ...ok, max_tokens: -15335 })?.error.message).toContain('but got -15335 instead.');
  });

  it('max_tokens over the model ceiling', () => {
    expect(chat({ ...ok, max_tokens: 32000 })?.error).toEqual({
      message: 'max_tokens is too large: 32000. This model supports at most 16384 completion tokens, whereas you provided 32000.',
      type: 'invalid_request_error',
      param: 'max_tokens',
      code: 'invalid_value',
    });
    expect(chat({ ...ok, max_tokens: 16384 })).toBeNull();
  });

  it('temperature, top_p, n out of range (A2.1 texts)', () => {
    expect(chat({ ...ok, temperature: -1 })?.error).toEqual({
      message: "Invalid 'temperature': decimal below minimum value. Expected a value >= 0, but got -1 instead.",
      type: 'invalid_request_error',
      param: 'temperature',
      code: 'decimal_below_min_value',
    });
    expect(chat({ ...ok, temperature: 2.1 })?.error.message).toBe("Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got 2.1 instead.");
    expect(chat({ ...ok, temperature: 2 })).toBeNull();
    expect(chat({ ...ok, top_p: 1.5 })?.error).toMatchObject({ param: 'top_p', code: 'decimal_above_max_value' });
    expect(chat({ ...ok, n: 0 })?.error.message).toBe("Invalid 'n': integer below minimum value. Expected a value >= 1, but got 0 instead.");
    expect(chat({ ...ok, n: 1.5 })?.error.message).toBe("Invalid type for 'n': expected an integer, but got a decimal number instead.");
    expect(chat({ ...ok, temperature: 'hot' })?.error.message).toBe("Invalid type for 'temperature': expected a decimal, but got a string instead.");
    expect(chat({ ...ok, stream: 'yes' })?.error.message).toBe("Invalid type for 'stream': expected a boolean, but got a string instead.");
  });

  it('unknown parameters, after missing messages and before type faults (measured order)', () => {
    expect(chat({ ...ok, zzz_unknown: 1 })?.error).toEqual({ message: "Unknown parameter: 'zzz_unknown'.", type: 'invalid_request_error', param: 'zzz_unknown', code: 'unknown_parameter' });
    expect(chat({ model: 'gpt-4o', zzz_unknown: 1 })?.error.param).toBe('messages');
    expect(chat({ ...ok, zzz_unknown: 1, n: 'abc' })?.error.param).toBe('zzz_unknown');
    expect(chat({ model: 'gpt-4o', messages: [], zzz_unknown: 1 })?.error.param).toBe('zzz_unknown');
    expect(chat({ ...ok, n: 'abc', temperature: -1 })?.error.param).toBe('n');
  });

  it('the first failing parameter in the checked (sorted) order, whatever order the body lists them in', () => {
    const faults = { top_p: 5, temperature: 9, n: 0, max_tokens: 0, stop: 3, logprobs: 'x', frequency_penalty: 7 };
    const names = Object.keys(faults) as (keyof typeof faults)[];
    const sorted = [...names].sort();
    // every ordering of the keys in the body, every subset: the alphabetically first one is refused
    for (let mask = 1; mask < 1 << names.length; mask++) {
      const present = names.filter((_, i) => mask & (1 << i));
      for (const keys of [present, [...present].reverse()]) {
        const body: Record<string, unknown> = { messages: ok.messages };
        for (const k of keys) body[k] = faults[k];
        body['model'] = 'gpt-4o';
        expect(chat(body)?.error.param).toBe(sorted.find((k) => present.includes(k)));
      }
    }
    // o3: reasoning refusals follow the same order
    expect(chat({ top_p: 0.5, temperature: 0.5, model: 'o3', messages: ok.messages, max_tokens: 9 })?.error.param).toBe('max_tokens');
    expect(chat({ top_p: 0.5, model: 'o3', temperature: 0.5, messages: ok.messages })?.error.param).toBe('temperature');
  });

  it('reasoning models refuse max_tokens, sampling and stop (A2.1 REC/OBS texts)', () => {
    const o3 = { model: 'o3', messages: ok.messages };
    expect(chat({ ...o3, max_tokens: 10 })?.error).toEqual({
      message: "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
      type: 'invalid_request_error',
      param: 'max_tokens',
      code: 'unsupported_parameter',
    });
    expect(chat({ ...o3, temperature: 0.7 })?.error).toMatchObject({
      message: "Unsupported value: 'temperature' does not support 0.7 with this model. Only the default (1) value is supported.",
      code: 'unsupported_value',
    });
    expect(chat({ ...o3, temperature: 1 })).toBeNull();
    expect(chat({ ...o3, stop: ['ZZ'] })?.error).toMatchObject({ message: "Unsupported parameter: 'stop' is not supported with this model.", param: 'stop' });
    expect(chat({ ...o3, n: 'abc', stop: ['ZZ'] })?.error.param).toBe('n');
    expect(chat({ ...o3, stop: ['ZZ'], temperature: 0.5 })?.error.param).toBe('stop');
    expect(chat({ ...ok, stop: ['ZZ'], max_tokens: 10 })).toBeNull();
  });
});

describe('completions', () => {
  const c = (body: unknown): OpenAIErrorAnswer | null => validateOpenAIRequest('completions', body, persona);

  it('accepts a completion model, refuses a chat model with the recorded 404', () => {
    expect(c({ model: 'gpt-3.5-turbo-instruct', prompt: 'Say this is a test', max_tokens: 7, logprobs: 2, echo: true, best_of: 2 })).toBeNull();
    expect(c({ model: 'gpt-4o', prompt: 'x' })).toEqual({
      status: 404,
      error: { message: 'This is a chat model and not supported in the v1/completions endpoint. Did you mean to use v1/chat/completions?', type: 'invalid_request_error', param: 'model', code: null },
      layer: 'legacy',
    });
    expect(c({ prompt: 'x' })?.error.message).toBe('you must provide a model parameter');
    expect(c({ model: 'nope', prompt: 'x' })?.status).toBe(404);
  });

  it('max_tokens 0 and bounds', () => {
    expect(c({ model: 'davinci-002', prompt: 'x', max_tokens: 0 })?.error.message).toMatch(/^You requested a length 0 completion/);
    expect(c({ model: 'davinci-002', prompt: 'x', max_tokens: -1 })?.error.code).toBe('integer_below_min_value');
    expect(c({ model: 'davinci-002', prompt: 'x', temperature: 3 })?.error.code).toBe('decimal_above_max_value');
  });
});

describe('embeddings', () => {
  const e = (body: unknown): OpenAIErrorAnswer | null => validateOpenAIRequest('embeddings', body, persona);

  it('accepts strings, string arrays and token arrays', () => {
    expect(e({ model: 'text-embedding-3-small', input: 'hello', encoding_format: 'base64' })).toBeNull();
    expect(e({ model: 'text-embedding-3-large', input: ['a', 'b'], dimensions: 256 })).toBeNull();
    expect(e({ model: 'text-embedding-3-small', input: [1, 2, 3] })).toBeNull();
    expect(e({ model: 'text-embedding-3-small', input: [[1, 2], [3]] })).toBeNull();
  });

  it('refuses a chat model (403) and an unknown model (404 legacy)', () => {
    expect(e({ model: 'gpt-4o', input: 'x' })).toEqual({
      status: 403,
      error: { message: 'You are not allowed to generate embeddings from this model', type: 'invalid_request_error', param: null, code: null },
      layer: 'legacy',
    });
    expect(e({ model: 'text-embedding-4', input: 'x' })?.error.code).toBe('model_not_found');
  });

  it("refuses empty or malformed input with '$.input' is invalid", () => {
    for (const input of ['', [], [''], [1, 'a'], [[]], 5, { a: 1 }, true, Array(2049).fill('x')]) {
      expect(e({ model: 'text-embedding-3-small', input })?.error).toEqual({
        message: "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.",
        type: 'invalid_request_error',
        param: null,
        code: null,
      });
    }
    expect(e({ model: 'text-embedding-3-small' })?.error.param).toBe('input');
  });

  it('encoding_format and dimensions', () => {
    expect(e({ model: 'text-embedding-3-small', input: 'x', encoding_format: 'hex' })?.error.message).toBe("Invalid value: 'hex'. Supported values are: 'float' and 'base64'.");
    expect(e({ model: 'text-embedding-ada-002', input: 'x', dimensions: 256 })?.error.message).toBe('This model does not support specifying dimensions.');
    expect(e({ model: 'text-embedding-3-small', input: 'x', dimensions: 0 })?.error.code).toBe('integer_below_min_value');
  });
});

describe('responses', () => {
  const r = (body: unknown): OpenAIErrorAnswer | null => validateOpenAIRequest('responses', body, persona);

  it('unknown model: 400 with single quotes and param model (A2.1)', () => {
    expect(r({ model: 'gpt-5.2-proo', input: 'x' })).toEqual({
      status: 400,
      error: { message: "The requested model 'gpt-5.2-proo' does not exist.", type: 'invalid_request_error', param: 'model', code: 'model_not_found' },
      layer: 'current',
    });
  });

  it('missing model, bad input, reasoning sampling', () => {
    expect(r({ input: 'x' })?.error).toEqual({ message: "Missing required parameter: 'model'.", type: 'invalid_request_error', param: 'model', code: 'missing_required_parameter' });
    expect(r({ model: 'gpt-4o', input: 5 })?.error.code).toBe('invalid_type');
    expect(r({ model: 'gpt-4o', input: [] })?.error.message).toBe("Invalid 'input': input cannot be an empty array.");
    expect(r({ model: 'o4-mini', input: 'x', temperature: 0.2 })?.error.message).toBe("Unsupported parameter: 'temperature' is not supported with this model.");
    expect(r({ model: 'gpt-4o', input: 'x', temperature: 0.2, max_output_tokens: 100 })).toBeNull();
    expect(r({ model: 'o1-pro', input: 'x' })).toBeNull();
    expect(r({ model: 'gpt-4o', input: 'x', max_output_tokens: 0 })?.error.code).toBe('integer_below_min_value');
  });
});

describe('hostile input', () => {
  const endpoints: ValidatedEndpoint[] = ['chat.completions', 'completions', 'responses', 'embeddings'];

  it('never throws on arbitrary JSON and answers well-formed errors (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...endpoints), fc.jsonValue({ maxDepth: 6 }), (endpoint, body) => {
        const a = validateOpenAIRequest(endpoint, body, persona);
        if (a !== null) {
          expect([400, 403, 404]).toContain(a.status);
          expect(typeof a.error.message).toBe('string');
          expect(a.error.type).toBe('invalid_request_error');
          expect(['current', 'legacy']).toContain(a.layer);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on request-shaped random bodies (property)', () => {
    const value = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constant(undefined));
    const body = fc.record(
      {
        model: fc.oneof(fc.constantFrom('gpt-4o', 'o3', 'text-embedding-3-small', 'davinci-002', 'o1-pro'), value),
        messages: fc.oneof(fc.array(fc.record({ role: fc.oneof(fc.constantFrom('user', 'assistant', 'tool', 'system'), value), content: value, tool_calls: value, tool_call_id: value })), value),
        input: value,
        temperature: value,
        max_tokens: value,
        n: value,
        stop: value,
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.constantFrom(...endpoints), body, (endpoint, b) => {
        expect(() => validateOpenAIRequest(endpoint, b, persona)).not.toThrow();
      }),
      { numRuns: 2000 },
    );
  });

  it('survives oversized bodies and getters that throw', () => {
    const huge = { model: 'gpt-4o', messages: Array.from({ length: 100_000 }, () => ({ role: 'user', content: 'x' })) };
    expect(chat(huge)).toBeNull();
    const wide: Record<string, number> = { model: 0 } as unknown as Record<string, number>;
    for (let i = 0; i < 50_000; i++) wide[`k${i}`] = i;
    expect(chat({ ...wide, model: 'gpt-4o', messages: ok.messages })?.error.code).toBe('unknown_parameter');
    const trap = { model: 'gpt-4o', get messages(): unknown { throw new Error('boom'); } };
    expect(chat(trap)).toBeNull();
    const proto = JSON.parse('{"model":"gpt-4o","messages":[{"role":"user","content":"x"}],"__proto__":{"x":1}}') as unknown;
    expect(chat(proto)?.error.param).toBe('__proto__');
  });
});
