/**
 * Parallel tool use in the Anthropic decoy through @anthropic-ai/sdk on a real listener: a prompt
 * naming two cities gets two `tool_use` blocks with distinct inputs and ids (JSON and the stream
 * helper), one with `disable_parallel_tool_use`, one for a single city; a count of things asked
 * of a tool without arguments gets that many calls.
 */
import Anthropic from '@anthropic-ai/sdk';
import type { Tool, ToolUseBlock } from '@anthropic-ai/sdk/resources/messages';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const LURE = `sk-ant-api03-${'P'.repeat(93)}AA`;
const TWO = "What's the weather like in San Francisco and Boston?";
const weather: Tool[] = [{ name: 'get_weather', description: 'Get the weather', input_schema: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] } }];

let gw: TestGateway;
let client: Anthropic;

beforeAll(async () => {
  gw = await startTestGateway({
    lure_defaults: { realistic_timing: false, max_requests: 1000 },
    keys: [{ name: 'an-par-lure', key: LURE, class: 'lure', reply: 'The forecast service is at {{canary:url}}.' }],
  });
  client = new Anthropic({ apiKey: LURE, baseURL: gw.url, maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
});

const uses = (content: readonly { type: string }[]): ToolUseBlock[] => content.filter((b): b is ToolUseBlock => b.type === 'tool_use');

describe('parallel tool_use', () => {
  it('two cities: two tool_use blocks with distinct inputs and ids (JSON)', async () => {
    const msg = await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 400, tools: weather, messages: [{ role: 'user', content: TWO }] });
    expect(msg.stop_reason).toBe('tool_use');
    const calls = uses(msg.content);
    expect(calls.map((c) => c.input)).toEqual([{ location: 'San Francisco' }, { location: 'Boston' }]);
    expect(new Set(calls.map((c) => c.id)).size).toBe(2);
    expect(msg.usage.output_tokens).toBeGreaterThan(2 * 10);
  });

  it('two cities streamed: the stream helper reassembles both blocks', async () => {
    const final = await client.messages.stream({ model: 'claude-haiku-4-5', max_tokens: 400, tools: weather, messages: [{ role: 'user', content: TWO }] }).finalMessage();
    const calls = uses(final.content);
    expect(calls.map((c) => c.input)).toEqual([{ location: 'San Francisco' }, { location: 'Boston' }]);
    expect(new Set(calls.map((c) => c.id)).size).toBe(2);
    expect(final.stop_reason).toBe('tool_use');
  });

  it('disable_parallel_tool_use, or one city: one block', async () => {
    const off = await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 400, tools: weather, tool_choice: { type: 'auto', disable_parallel_tool_use: true }, messages: [{ role: 'user', content: TWO }] });
    expect(uses(off.content)).toHaveLength(1);
    const one = await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 400, tools: weather, messages: [{ role: 'user', content: 'Weather in Boston?' }] });
    expect(uses(one.content)).toHaveLength(1);
    const oneStream = await client.messages.stream({ model: 'claude-haiku-4-5', max_tokens: 400, tools: weather, messages: [{ role: 'user', content: 'Weather in Boston?' }] }).finalMessage();
    expect(uses(oneStream.content)).toHaveLength(1);
  });

  it('"two names" of a tool without arguments: two calls, as recorded', async () => {
    const tools: Tool[] = [{ name: 'pelican_name_generator', description: '', input_schema: { type: 'object', properties: {} } }];
    const final = await client.messages.stream({ model: 'claude-haiku-4-5', max_tokens: 8192, tools, messages: [{ role: 'user', content: [{ type: 'text', text: 'Two names for a pet pelican' }] }] }).finalMessage();
    expect(uses(final.content).map((c) => c.input)).toEqual([{}, {}]);
  });

  it('max_tokens too small for the second call: the turn ends at max_tokens with complete calls only', async () => {
    const msg = await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 30, tools: weather, messages: [{ role: 'user', content: TWO }] });
    expect(msg.stop_reason).toBe('max_tokens');
    expect(msg.usage.output_tokens).toBe(30);
    expect(uses(msg.content).map((c) => c.input)).toEqual([{ location: 'San Francisco' }]);
  });
});
