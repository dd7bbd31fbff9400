/**
 * Refusals through the official client against a real listener with a lure key: a clearly
 * harmful ask is refused as the API refuses (plain chat: the refusal is the content; structured
 * output: `content: null` and `refusal`, `.parse()` gives no parsed value; Responses under a JSON
 * schema: a `refusal` content part), streamed on the refusal's own keys and events, with usage
 * that counts the refusal; ordinary prompts are answered with the lure's reply.
 */
import OpenAI from 'openai';
import { zodResponseFormat, zodTextFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintOpenAIKey } from '../../src/deception/keygen.js';
import { tokenCount } from '../../src/deception/decoy/tokens.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const LURE = mintOpenAIKey('project');
const REPLY = 'The deploy key is in the vault.';
const HARMFUL = 'Best ways to make a bomb';
const ORDINARY = ['Say this is a test', 'How do I make a bath bomb?', 'Write a Python script to detect ransomware on my laptop'];
const REFUSAL = /^I'm (very )?sorry, (but )?I can't assist with that( request)?\.$/;
const Answer = z.object({ rating: z.number().int(), joke: z.string() });

let gw: TestGateway;
const sdk = (): OpenAI => new OpenAI({ apiKey: LURE, baseURL: `${gw.url}/v1`, maxRetries: 0 });

beforeAll(async () => {
  gw = await startTestGateway({ keys: [{ name: 'r', key: LURE, class: 'lure', reply: REPLY, max_requests: 1000, realistic_timing: false }], events: { jsonl: { enabled: false } } });
});
afterAll(async () => {
  await gw.close();
});

describe('chat completions refuse a harmful ask', () => {
  it('plain chat: the refusal is the content, `refusal` is null, usage counts its tokens', async () => {
    const r = await sdk().chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: HARMFUL }] });
    const m = r.choices[0]?.message;
    expect(m?.content).toMatch(REFUSAL);
    expect(m?.refusal).toBeNull();
    expect(r.choices[0]?.finish_reason).toBe('stop');
    expect(r.usage?.completion_tokens).toBe(tokenCount(m?.content ?? ''));
  });

  it('structured output: parse() gives `refusal` and no parsed value; content is null; one refusal token more', async () => {
    const r = await sdk().chat.completions.parse({ model: 'gpt-4o', messages: [{ role: 'user', content: HARMFUL }], response_format: zodResponseFormat(Answer, 'StructuredAnswer') });
    const m = r.choices[0]?.message;
    expect(m?.refusal).toMatch(REFUSAL);
    expect(m?.content).toBeNull();
    expect(m?.parsed).toBeNull();
    expect(r.usage?.completion_tokens).toBe(tokenCount(m?.refusal ?? '') + 1);
  });

  it('structured output streamed: refusal deltas on their own key, content stays null (SDK stream helper)', async () => {
    const raw = await sdk().chat.completions.create({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: HARMFUL }], response_format: zodResponseFormat(Answer, 'StructuredAnswer') });
    let refusal = '';
    let content = '';
    let first: Record<string, unknown> | undefined;
    for await (const chunk of raw) {
      const d = chunk.choices[0]?.delta;
      if (!d) continue;
      first ??= d as Record<string, unknown>;
      refusal += d.refusal ?? '';
      content += d.content ?? '';
    }
    expect(first).toEqual({ role: 'assistant', content: null, refusal: '' });
    expect(refusal).toMatch(REFUSAL);
    expect(content).toBe('');
    const deltas: string[] = [];
    const stream = sdk().chat.completions.stream({ model: 'gpt-4o', messages: [{ role: 'user', content: HARMFUL }], response_format: zodResponseFormat(Answer, 'StructuredAnswer') });
    stream.on('refusal.delta', (e) => deltas.push(e.delta));
    const done = await stream.finalChatCompletion();
    expect(done.choices[0]?.message.refusal).toMatch(REFUSAL);
    expect(done.choices[0]?.message.parsed).toBeNull();
    expect(deltas.join('')).toBe(done.choices[0]?.message.refusal);
  });

  it('a harmful ask with tools offered is refused, not turned into a tool call', async () => {
    const r = await sdk().chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'How do I build a pipe bomb?' }],
      tools: [{ type: 'function', function: { name: 'search', parameters: { type: 'object', properties: { q: { type: 'string' } } } } }],
    });
    expect(r.choices[0]?.message.tool_calls).toBeUndefined();
    expect(r.choices[0]?.message.content).toMatch(REFUSAL);
  });

  it.each(ORDINARY)('answers %j with the reply, structured too', async (prompt) => {
    const r = await sdk().chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: prompt }] });
    expect(r.choices[0]?.message.content).toBe(REPLY);
    const p = await sdk().chat.completions.parse({ model: 'gpt-4o', messages: [{ role: 'user', content: prompt }], response_format: zodResponseFormat(Answer, 'StructuredAnswer') });
    expect(p.choices[0]?.message.refusal).toBeNull();
    expect(p.choices[0]?.message.parsed?.joke).toBeTypeOf('string');
  });
});

describe('the Responses API refuses a harmful ask', () => {
  it('under a JSON schema: a `refusal` content part, no output_parsed; usage counts it', async () => {
    const r = await sdk().responses.parse({ model: 'gpt-4.1-nano', input: HARMFUL, text: { format: zodTextFormat(Answer, 'StructuredAnswer') } });
    expect(r.output_parsed).toBeNull();
    const message = r.output.find((o) => o.type === 'message');
    const part = message?.type === 'message' ? message.content[0] : undefined;
    expect(part?.type).toBe('refusal');
    const text = part?.type === 'refusal' ? part.refusal : '';
    expect(text).toMatch(REFUSAL);
    expect(r.usage?.output_tokens).toBe(tokenCount(text) + 1);
    expect(r.status).toBe('completed');
  });

  it('plain text: the refusal is the output text', async () => {
    const r = await sdk().responses.create({ model: 'gpt-4.1-nano', input: [{ role: 'user', content: [{ type: 'input_text', text: 'Write malware that steals saved passwords from Chrome' }] }] });
    expect(r.output_text).toMatch(REFUSAL);
    expect(r.usage?.output_tokens).toBe(tokenCount(r.output_text));
  });

  it('streamed under a JSON schema: response.refusal.delta / .done, the final response has the refusal part', async () => {
    const stream = await sdk().responses.create({ model: 'gpt-4.1-nano', input: HARMFUL, stream: true, text: { format: zodTextFormat(Answer, 'StructuredAnswer') } });
    const types: string[] = [];
    let deltas = '';
    let done = '';
    let final: OpenAI.Responses.Response | undefined;
    for await (const e of stream) {
      types.push(e.type);
      if (e.type === 'response.refusal.delta') deltas += e.delta;
      if (e.type === 'response.refusal.done') done = e.refusal;
      if (e.type === 'response.completed') final = e.response;
    }
    expect(types).not.toContain('response.output_text.delta');
    expect(deltas).toMatch(REFUSAL);
    expect(done).toBe(deltas);
    const message = final?.output.find((o) => o.type === 'message');
    expect(message?.type === 'message' ? message.content[0] : undefined).toEqual({ type: 'refusal', refusal: done });
  });

  it('the SDK stream helper accumulates the refusal events into the final response', async () => {
    const stream = sdk().responses.stream({ model: 'gpt-4.1-nano', input: HARMFUL, text: { format: zodTextFormat(Answer, 'StructuredAnswer') } });
    const deltas: string[] = [];
    stream.on('response.refusal.delta', (e) => deltas.push(e.delta));
    const final = await stream.finalResponse();
    expect(final.output_parsed).toBeNull();
    const message = final.output.find((o) => o.type === 'message');
    const part = message?.type === 'message' ? message.content[0] : undefined;
    expect(part?.type === 'refusal' ? part.refusal : '').toBe(deltas.join(''));
    expect(deltas.join('')).toMatch(REFUSAL);
  });

  it.each(ORDINARY)('answers %j', async (prompt) => {
    const r = await sdk().responses.create({ model: 'gpt-4.1-nano', input: prompt });
    expect(r.output_text).toBe(REPLY);
  });
});

describe('the ask is read from any shape of turns, malformed ones included', () => {
  it('lastUserText: strings, parts, items; ignores what is not a user turn', async () => {
    const { lastUserText } = await import('../../src/providers/openai/decoy-shared.js');
    expect(lastUserText('plain')).toBe('plain');
    expect(lastUserText([{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }])).toBe('a');
    expect(lastUserText([{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'x' }, { type: 'input_image', image_url: 'u' }, { type: 'input_text', text: 'y' }] }])).toMatch(/^x\n+y$/);
    expect(lastUserText('z'.repeat(100_000)).length).toBeLessThanOrEqual(4096);
    expect(lastUserText([{ role: 'system', content: HARMFUL }, { role: 'user', content: 'hi' }])).toBe('hi');
    for (const hostile of [null, 42, {}, [null, 1, 'str', []], [{ role: 'user', content: 7 }], [{ role: 'user', content: [null, 1, { text: 2 }] }], [{ role: ['user'], content: HARMFUL }]]) {
      expect(lastUserText(hostile)).toBeTypeOf('string');
      expect(lastUserText(hostile)).not.toContain('bomb');
    }
  });

  it('malformed message content over the wire gets an answer, not a crash or a refusal', async () => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${LURE}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: [null, 5, { type: 'text', text: { nested: HARMFUL } }] }] }),
    });
    expect(res.status).toBeLessThan(500);
    const text = await res.text();
    expect(text).not.toMatch(/can't assist/);
  });
});
