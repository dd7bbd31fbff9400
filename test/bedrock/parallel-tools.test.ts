/**
 * Parallel tool calls in the Bedrock decoy through @aws-sdk/client-bedrock-runtime on a real
 * socket: a prompt naming two cities gets two `toolUse` blocks (Converse, ConverseStream) or two
 * `tool_use` blocks (InvokeModel with a Claude body, JSON and stream) with distinct inputs and ids;
 * one call for a single city or with `disable_parallel_tool_use`.
 */
import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  type Tool,
} from '@aws-sdk/client-bedrock-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LURE, startHarness, type Harness } from './harness.js';

let h: Harness;
let client: BedrockRuntimeClient;

beforeAll(async () => {
  h = await startHarness();
  client = new BedrockRuntimeClient({ region: 'us-east-1', endpoint: h.h2url, credentials: { accessKeyId: LURE.accessKeyId, secretAccessKey: LURE.secretAccessKey }, maxAttempts: 1 });
});
afterAll(async () => {
  client.destroy();
  await h.close();
});

const TWO = "What's the weather like in San Francisco and Boston?";
const schema = { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] };
const toolConfig: { tools: Tool[] } = { tools: [{ toolSpec: { name: 'get_weather', description: 'Get the weather', inputSchema: { json: schema } } }] };
const CLAUDE = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
const enc = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v));
const dec = (b: Uint8Array | undefined): Record<string, unknown> => JSON.parse(new TextDecoder().decode(b)) as Record<string, unknown>;

describe('Converse', () => {
  it('two cities: two toolUse blocks with distinct inputs and ids', async () => {
    const out = await client.send(new ConverseCommand({ modelId: CLAUDE, messages: [{ role: 'user', content: [{ text: TWO }] }], toolConfig }));
    expect(out.stopReason).toBe('tool_use');
    const uses = (out.output?.message?.content ?? []).flatMap((b) => (b.toolUse ? [b.toolUse] : []));
    expect(uses.map((u) => u.input)).toEqual([{ location: 'San Francisco' }, { location: 'Boston' }]);
    expect(new Set(uses.map((u) => u.toolUseId)).size).toBe(2);
    expect(out.usage?.totalTokens).toBe((out.usage?.inputTokens ?? 0) + (out.usage?.outputTokens ?? 0));
  });

  it('one city: one toolUse block', async () => {
    const out = await client.send(new ConverseCommand({ modelId: CLAUDE, messages: [{ role: 'user', content: [{ text: 'Weather in Boston?' }] }], toolConfig }));
    expect((out.output?.message?.content ?? []).filter((b) => b.toolUse)).toHaveLength(1);
  });

  it('ConverseStream: two calls, each its own block start, deltas and stop', async () => {
    const out = await client.send(new ConverseStreamCommand({ modelId: CLAUDE, messages: [{ role: 'user', content: [{ text: TWO }] }], toolConfig: { ...toolConfig, toolChoice: { any: {} } } }));
    const blocks = new Map<number, { id: string; input: string }>();
    let stop: string | undefined;
    for await (const e of out.stream ?? []) {
      const start = e.contentBlockStart;
      if (start?.start?.toolUse) blocks.set(start.contentBlockIndex ?? -1, { id: start.start.toolUse.toolUseId ?? '', input: '' });
      const delta = e.contentBlockDelta;
      const block = blocks.get(delta?.contentBlockIndex ?? -1);
      if (block && delta?.delta?.toolUse) block.input += delta.delta.toolUse.input ?? '';
      if (e.messageStop) stop = e.messageStop.stopReason;
    }
    expect([...blocks.values()].map((b) => JSON.parse(b.input) as unknown)).toEqual([{ location: 'San Francisco' }, { location: 'Boston' }]);
    expect(new Set([...blocks.values()].map((b) => b.id)).size).toBe(2);
    expect(stop).toBe('tool_use');
  });
});

describe('InvokeModel with a Claude body', () => {
  const body = (extra: Record<string, unknown> = {}): Uint8Array =>
    enc({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 400, messages: [{ role: 'user', content: TWO }], tools: [{ name: 'get_weather', description: 'Get the weather', input_schema: schema }], ...extra });

  it('two cities: two tool_use blocks; disable_parallel_tool_use: one', async () => {
    const out = dec((await client.send(new InvokeModelCommand({ modelId: CLAUDE, contentType: 'application/json', body: body() }))).body);
    const uses = (out['content'] as { type: string; id: string; input: unknown }[]).filter((b) => b.type === 'tool_use');
    expect(uses.map((u) => u.input)).toEqual([{ location: 'San Francisco' }, { location: 'Boston' }]);
    expect(new Set(uses.map((u) => u.id)).size).toBe(2);
    expect(out['stop_reason']).toBe('tool_use');
    const off = dec((await client.send(new InvokeModelCommand({ modelId: CLAUDE, contentType: 'application/json', body: body({ tool_choice: { type: 'auto', disable_parallel_tool_use: true } }) }))).body);
    expect((off['content'] as { type: string }[]).filter((b) => b.type === 'tool_use')).toHaveLength(1);
  });

  it('streamed: each call its own content_block_start / input_json_delta / stop', async () => {
    const out = await client.send(new InvokeModelWithResponseStreamCommand({ modelId: CLAUDE, contentType: 'application/json', body: body({ tool_choice: { type: 'any' } }) }));
    const blocks = new Map<number, { id: string; json: string }>();
    for await (const e of out.body ?? []) {
      const ev = dec(e.chunk?.bytes) as { type: string; index?: number; content_block?: { type: string; id: string }; delta?: { type: string; partial_json?: string } };
      if (ev.type === 'content_block_start' && ev.content_block?.type === 'tool_use') blocks.set(ev.index ?? -1, { id: ev.content_block.id, json: '' });
      const block = blocks.get(ev.index ?? -1);
      if (ev.type === 'content_block_delta' && block && ev.delta?.type === 'input_json_delta') block.json += ev.delta.partial_json ?? '';
    }
    expect([...blocks.values()].map((b) => JSON.parse(b.json) as unknown)).toEqual([{ location: 'San Francisco' }, { location: 'Boston' }]);
    expect(new Set([...blocks.values()].map((b) => b.id)).size).toBe(2);
  });
});
