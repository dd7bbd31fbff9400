/**
 * Parallel tool calls in the OpenAI decoy, through the official `openai` client on a real listener:
 * a prompt naming two cities gets two calls with distinct arguments (chat JSON and stream, Responses
 * JSON and stream), unless `parallel_tool_calls: false`; a single city gets one call.
 */
import OpenAI from 'openai';
import type { ChatCompletionTool } from 'openai/resources/chat/completions';
import type { FunctionTool } from 'openai/resources/responses/responses';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const LURE = 'sk-proj-LureKeyForParallelTools0123456789abcdefghijklmnopqrstuvwxyzABT3BlbkFJ0123456789';
const TWO = "What's the weather like in San Francisco and Boston?";
const ONE = "What's the weather like in Boston?";
const params = { type: 'object', properties: { location: { type: 'string', description: 'The city and state' } }, required: ['location'] } as const;
const chatTools: ChatCompletionTool[] = [{ type: 'function', function: { name: 'get_current_weather', description: 'Get the current weather', parameters: params } }];
const respTools: FunctionTool[] = [{ type: 'function', name: 'get_current_weather', description: 'Get the current weather', parameters: { ...params }, strict: false }];

let gw: TestGateway;
let client: OpenAI;

beforeAll(async () => {
  gw = await startTestGateway({
    lure_defaults: { realistic_timing: false, max_requests: 1000 },
    keys: [{ name: 'par-lure', key: LURE, class: 'lure', reply: 'Forecast service at {{canary:url}}.' }],
  });
  client = new OpenAI({ apiKey: LURE, baseURL: `${gw.url}/v1`, maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
});

function locations(calls: readonly { function: { name: string; arguments: string } }[]): string[] {
  return calls.map((c) => {
    expect(c.function.name).toBe('get_current_weather');
    return (JSON.parse(c.function.arguments) as { location: string }).location;
  });
}

describe('chat completions', () => {
  it('two cities: two calls with distinct arguments and ids (JSON)', async () => {
    const r = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: TWO }], tools: chatTools });
    const msg = r.choices[0]?.message;
    expect(r.choices[0]?.finish_reason).toBe('tool_calls');
    expect(msg?.content).toBeNull();
    const calls = (msg?.tool_calls ?? []).filter((c) => c.type === 'function');
    expect(locations(calls)).toEqual(['San Francisco', 'Boston']);
    expect(new Set(calls.map((c) => c.id)).size).toBe(2);
    expect(r.usage?.completion_tokens).toBeGreaterThan(2 * 7);
  });

  it('two cities streamed: the SDK stream helper reassembles both calls', async () => {
    const stream = client.chat.completions.stream({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: TWO }], tools: chatTools, stream_options: { include_usage: true } });
    const final = await stream.finalChatCompletion();
    const calls = (final.choices[0]?.message.tool_calls ?? []).filter((c) => c.type === 'function');
    expect(locations(calls)).toEqual(['San Francisco', 'Boston']);
    expect(new Set(calls.map((c) => c.id)).size).toBe(2);
    expect(final.choices[0]?.finish_reason).toBe('tool_calls');
  });

  it('the stream uses the recorded layout: a role chunk without calls, then each call in its own start chunk', async () => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${LURE}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-3.5-turbo', stream: true, messages: [{ role: 'user', content: TWO }], tools: chatTools }),
    });
    const chunks = (await res.text()).split('\n\n').filter((l) => l.startsWith('data: {')).map((l) => JSON.parse(l.slice(6)) as { choices: { delta: Record<string, unknown> }[] });
    expect(chunks[0]?.choices[0]?.delta).toEqual({ role: 'assistant', content: null });
    const starts = chunks.flatMap((c) => (c.choices[0]?.delta['tool_calls'] as { index: number; id?: string; function: { arguments: string } }[] | undefined) ?? []).filter((t) => t.id !== undefined);
    expect(starts.map((s) => [s.index, s.function.arguments])).toEqual([[0, ''], [1, '']]);
  });

  it('parallel_tool_calls: false, or one city: one call', async () => {
    const off = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: TWO }], tools: chatTools, parallel_tool_calls: false });
    expect(off.choices[0]?.message.tool_calls).toHaveLength(1);
    const one = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: ONE }], tools: chatTools });
    expect(one.choices[0]?.message.tool_calls).toHaveLength(1);
    const oneStream = await client.chat.completions.stream({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: ONE }], tools: chatTools }).finalChatCompletion();
    expect(oneStream.choices[0]?.message.tool_calls).toHaveLength(1);
  });
});

describe('responses', () => {
  it('two cities: two function_call items (JSON)', async () => {
    const r = await client.responses.create({ model: 'gpt-4.1-mini', input: TWO, tools: respTools });
    const calls = r.output.filter((o) => o.type === 'function_call');
    expect(calls.map((c) => (JSON.parse(c.arguments) as { location: string }).location)).toEqual(['San Francisco', 'Boston']);
    expect(new Set(calls.map((c) => c.call_id)).size).toBe(2);
    expect(new Set(calls.map((c) => c.id)).size).toBe(2);
    expect(r.parallel_tool_calls).toBe(true);
  });

  it('two cities streamed: the stream helper reassembles both items', async () => {
    const stream = client.responses.stream({ model: 'gpt-4.1-mini', input: [{ role: 'user', content: TWO }], tools: respTools });
    const done: string[] = [];
    stream.on('response.function_call_arguments.done', (e) => done.push(e.arguments));
    const final = await stream.finalResponse();
    const calls = final.output.filter((o) => o.type === 'function_call');
    expect(calls.map((c) => (JSON.parse(c.arguments) as { location: string }).location)).toEqual(['San Francisco', 'Boston']);
    expect(done).toEqual(calls.map((c) => c.arguments));
  });

  it('parallel_tool_calls: false, or one city: one item', async () => {
    const off = await client.responses.create({ model: 'gpt-4.1-mini', input: TWO, tools: respTools, parallel_tool_calls: false });
    expect(off.output.filter((o) => o.type === 'function_call')).toHaveLength(1);
    const one = await client.responses.create({ model: 'gpt-4.1-mini', input: ONE, tools: respTools });
    expect(one.output.filter((o) => o.type === 'function_call')).toHaveLength(1);
  });
});
