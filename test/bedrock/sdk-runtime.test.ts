/**
 * The official @aws-sdk/client-bedrock-runtime against the Bedrock endpoint on a real socket:
 * every operation and model family must parse without error, with the lure answer inside.
 */
import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  CountTokensCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  type ConverseStreamOutput,
} from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LURE, LURE_SESSION, LURE_TEXT, startHarness, type Harness } from './harness.js';

let h: Harness;
let client: BedrockRuntimeClient;

beforeAll(async () => {
  h = await startHarness();
  client = new BedrockRuntimeClient({
    region: 'us-east-1',
    endpoint: h.h2url,
    credentials: { accessKeyId: LURE.accessKeyId, secretAccessKey: LURE.secretAccessKey },
    maxAttempts: 1,
  });
});
afterAll(async () => {
  client.destroy();
  await h.close();
});

const enc = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v));
const dec = (b: Uint8Array | undefined): Record<string, unknown> => JSON.parse(new TextDecoder().decode(b)) as Record<string, unknown>;

describe('Converse', () => {
  it('answers with the lure text, usage and metrics', async () => {
    const out = await client.send(
      new ConverseCommand({
        modelId: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
        system: [{ text: 'You are terse.' }],
        messages: [{ role: 'user', content: [{ text: 'Tell me a short fact' }] }],
        inferenceConfig: { maxTokens: 200 },
      }),
    );
    expect(out.output?.message?.role).toBe('assistant');
    expect(out.output?.message?.content?.[0]?.text).toBe(LURE_TEXT);
    expect(out.stopReason).toBe('end_turn');
    expect(out.usage?.inputTokens).toBeGreaterThan(5);
    expect(out.usage?.outputTokens).toBeGreaterThan(5);
    expect(out.usage?.totalTokens).toBe((out.usage?.inputTokens ?? 0) + (out.usage?.outputTokens ?? 0));
    expect(out.metrics?.latencyMs).toBeGreaterThan(0);
    expect(out.$metadata.requestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('cuts the answer at maxTokens with stopReason max_tokens', async () => {
    const out = await client.send(
      new ConverseCommand({ modelId: 'amazon.nova-micro-v1:0', messages: [{ role: 'user', content: [{ text: 'hi' }] }], inferenceConfig: { maxTokens: 3 } }),
    );
    expect(out.stopReason).toBe('max_tokens');
    expect(out.usage?.outputTokens).toBeLessThanOrEqual(4);
    expect(LURE_TEXT.startsWith(out.output?.message?.content?.[0]?.text ?? 'x')).toBe(true);
  });

  it('calls the forced tool with schema-shaped input', async () => {
    const out = await client.send(
      new ConverseCommand({
        modelId: 'us.anthropic.claude-3-5-haiku-20241022-v1:0',
        messages: [{ role: 'user', content: [{ text: 'weather in Paris?' }] }],
        toolConfig: {
          tools: [{ toolSpec: { name: 'get_weather', inputSchema: { json: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } } }],
          toolChoice: { any: {} },
        },
      }),
    );
    expect(out.stopReason).toBe('tool_use');
    const use = out.output?.message?.content?.find((c) => c.toolUse)?.toolUse;
    expect(use?.name).toBe('get_weather');
    expect(use?.toolUseId).toMatch(/^tooluse_[A-Za-z0-9_-]{22}$/);
    expect(typeof (use?.input as Record<string, unknown>)['city']).toBe('string');
  });

  it('with tools on auto, talks then calls a tool; after the tool result, answers in text', async () => {
    const tools = { tools: [{ toolSpec: { name: 'lookup', inputSchema: { json: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] } } } }] };
    const first = await client.send(
      new ConverseCommand({ modelId: 'us.anthropic.claude-sonnet-4-6', messages: [{ role: 'user', content: [{ text: 'find the release notes' }] }], toolConfig: tools }),
    );
    expect(first.stopReason).toBe('tool_use');
    const content = first.output?.message?.content ?? [];
    expect(content[0]?.text).toBe(LURE_TEXT);
    const use = content[1]?.toolUse;
    expect(use?.name).toBe('lookup');
    const second = await client.send(
      new ConverseCommand({
        modelId: 'us.anthropic.claude-sonnet-4-6',
        toolConfig: tools,
        messages: [
          { role: 'user', content: [{ text: 'find the release notes' }] },
          { role: 'assistant', content },
          { role: 'user', content: [{ toolResult: { toolUseId: use?.toolUseId ?? '', content: [{ text: 'notes: v2 shipped' }] } }] },
        ],
      }),
    );
    expect(second.stopReason).toBe('end_turn');
    expect(second.output?.message?.content).toEqual([{ text: LURE_TEXT }]);
    expect(second.usage?.inputTokens).toBeGreaterThan(first.usage?.inputTokens ?? 0);
  });

  it('refuses an unknown model id as the service does', async () => {
    await expect(
      client.send(new ConverseCommand({ modelId: 'us.amazon.nova-micro-v1:O', messages: [{ role: 'user', content: [{ text: 'hello' }] }] })),
    ).rejects.toMatchObject({ name: 'ValidationException', message: 'The provided model identifier is invalid.', $metadata: { httpStatusCode: 400 } });
  });

  it('refuses on-demand use of a profile-only model', async () => {
    await expect(
      client.send(new ConverseCommand({ modelId: 'anthropic.claude-sonnet-4-20250514-v1:0', messages: [{ role: 'user', content: [{ text: 'hello' }] }] })),
    ).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringContaining('with on-demand throughput isn’t supported') });
  });

  it('refuses maxTokens 0 with the Coral constraint text', async () => {
    await expect(
      client.send(new ConverseCommand({ modelId: 'amazon.nova-lite-v1:0', messages: [{ role: 'user', content: [{ text: 'hello' }] }], inferenceConfig: { maxTokens: 0 } })),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message: "1 validation error detected: Value '0' at 'inferenceConfig.maxTokens' failed to satisfy constraint: Member must have value greater than or equal to 1",
    });
  });

  it('works with temporary (ASIA + session token) credentials', async () => {
    const c = new BedrockRuntimeClient({
      region: 'eu-west-1',
      endpoint: h.url,
      requestHandler: new NodeHttpHandler(),
      credentials: { accessKeyId: LURE_SESSION.accessKeyId, secretAccessKey: LURE_SESSION.secretAccessKey, sessionToken: LURE_SESSION.sessionToken },
      maxAttempts: 1,
    });
    const out = await c.send(new ConverseCommand({ modelId: 'eu.amazon.nova-pro-v1:0', messages: [{ role: 'user', content: [{ text: 'hi' }] }] }));
    expect(out.output?.message?.content?.[0]?.text).toBe(LURE_TEXT);
    c.destroy();
  });
});

describe('ConverseStream', () => {
  it('streams messageStart, deltas, stop and metadata that join to the lure text', async () => {
    const out = await client.send(
      new ConverseStreamCommand({ modelId: 'us.amazon.nova-micro-v1:0', messages: [{ role: 'user', content: [{ text: 'Hello!' }] }] }),
    );
    const events: ConverseStreamOutput[] = [];
    for await (const e of out.stream ?? []) events.push(e);
    const kinds = events.map((e) => Object.keys(e).find((k) => k !== '$unknown'));
    expect(kinds[0]).toBe('messageStart');
    expect(kinds.slice(-3)).toEqual(['contentBlockStop', 'messageStop', 'metadata']);
    const text = events.map((e) => e.contentBlockDelta?.delta?.text ?? '').join('');
    expect(text).toBe(LURE_TEXT);
    const meta = events.at(-1)?.metadata;
    expect(meta?.usage?.outputTokens).toBeGreaterThan(0);
    expect(meta?.metrics?.latencyMs).toBeGreaterThan(0);
  });

  it('streams a forced tool call as contentBlockStart + toolUse input deltas', async () => {
    const out = await client.send(
      new ConverseStreamCommand({
        modelId: 'us.anthropic.claude-haiku-4-5-20251001-v1:0',
        messages: [{ role: 'user', content: [{ text: 'look it up' }] }],
        toolConfig: { tools: [{ toolSpec: { name: 'search', inputSchema: { json: { type: 'object', properties: { q: { type: 'string' }, n: { type: 'integer' } } } } } }], toolChoice: { tool: { name: 'search' } } },
      }),
    );
    let input = '';
    let start: string | undefined;
    let stop: string | undefined;
    for await (const e of out.stream ?? []) {
      if (e.contentBlockStart?.start?.toolUse) start = e.contentBlockStart.start.toolUse.name;
      input += e.contentBlockDelta?.delta?.toolUse?.input ?? '';
      stop = e.messageStop?.stopReason ?? stop;
    }
    expect(start).toBe('search');
    expect(stop).toBe('tool_use');
    expect(JSON.parse(input)).toHaveProperty('q');
  });

  it('refuses AI21 J2 streaming before the stream starts', async () => {
    await expect(
      client.send(new ConverseStreamCommand({ modelId: 'ai21.j2-mid-v1', messages: [{ role: 'user', content: [{ text: 'hi' }] }] })),
    ).rejects.toMatchObject({ name: 'ValidationException', message: 'The model is unsupported for streaming' });
  });
});

interface FamilyCase {
  readonly modelId: string;
  readonly body: unknown;
  /** the answer text inside the native response */
  readonly text: (r: Record<string, unknown>) => unknown;
  /** the answer text inside one decoded stream chunk ('' when none) */
  readonly chunkText?: (r: Record<string, unknown>) => string;
}

const at = (v: unknown, ...path: (string | number)[]): unknown => path.reduce<unknown>((o, k) => (o as Record<string | number, unknown> | undefined)?.[k], v);
const s = (v: unknown): string => (typeof v === 'string' ? v : '');

const FAMILIES: FamilyCase[] = [
  {
    modelId: 'anthropic.claude-3-haiku-20240307-v1:0',
    body: { anthropic_version: 'bedrock-2023-05-31', max_tokens: 256, system: 'be brief', messages: [{ role: 'user', content: 'hi' }] },
    text: (r) => at(r, 'content', 0, 'text'),
    chunkText: (r) => (r['type'] === 'content_block_delta' ? s(at(r, 'delta', 'text')) : ''),
  },
  {
    modelId: 'amazon.titan-text-express-v1',
    body: { inputText: 'User: hi\nBot:', textGenerationConfig: { maxTokenCount: 256, temperature: 0.5 } },
    text: (r) => at(r, 'results', 0, 'outputText'),
    chunkText: (r) => s(r['outputText']),
  },
  {
    modelId: 'us.amazon.nova-lite-v1:0',
    body: { schemaVersion: 'messages-v1', system: [{ text: 'brief' }], messages: [{ role: 'user', content: [{ text: 'hi' }] }], inferenceConfig: { maxTokens: 256 } },
    text: (r) => at(r, 'output', 'message', 'content', 0, 'text'),
    chunkText: (r) => s(at(r, 'contentBlockDelta', 'delta', 'text')),
  },
  {
    modelId: 'meta.llama3-70b-instruct-v1:0',
    body: { prompt: '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n', max_gen_len: 256 },
    text: (r) => r['generation'],
    chunkText: (r) => s(r['generation']),
  },
  {
    modelId: 'mistral.mistral-7b-instruct-v0:2',
    body: { prompt: '<s>[INST] hi [/INST]', max_tokens: 256 },
    text: (r) => at(r, 'outputs', 0, 'text'),
    chunkText: (r) => s(at(r, 'outputs', 0, 'text')),
  },
  {
    modelId: 'mistral.mistral-large-2407-v1:0',
    body: { messages: [{ role: 'user', content: 'hi' }], max_tokens: 256 },
    text: (r) => at(r, 'choices', 0, 'message', 'content'),
    chunkText: (r) => s(at(r, 'choices', 0, 'message', 'content')),
  },
  {
    modelId: 'cohere.command-text-v14',
    body: { prompt: 'hi', max_tokens: 256 },
    text: (r) => at(r, 'generations', 0, 'text'),
    chunkText: (r) => s(r['text']),
  },
  {
    modelId: 'cohere.command-r-plus-v1:0',
    body: { message: 'hi', chat_history: [], max_tokens: 256 },
    text: (r) => r['text'],
    chunkText: (r) => (r['event_type'] === 'text-generation' ? s(r['text']) : ''),
  },
  {
    modelId: 'ai21.jamba-1-5-mini-v1:0',
    body: { messages: [{ role: 'user', content: 'hi' }], max_tokens: 256 },
    text: (r) => at(r, 'choices', 0, 'message', 'content'),
    chunkText: (r) => s(at(r, 'choices', 0, 'delta', 'content')),
  },
  { modelId: 'ai21.j2-ultra-v1', body: { prompt: 'hi', maxTokens: 256 }, text: (r) => at(r, 'completions', 0, 'data', 'text') },
];

describe('InvokeModel, every family', () => {
  for (const f of FAMILIES) {
    it(`${f.modelId}: native body parsed by the SDK, token headers set`, async () => {
      const out = await client.send(new InvokeModelCommand({ modelId: f.modelId, body: enc(f.body), contentType: 'application/json', accept: 'application/json' }));
      expect(out.contentType).toBe('application/json');
      expect(f.text(dec(out.body))).toBe(LURE_TEXT);
    });
  }

  it('Titan embeddings: 1024 floats by default, requested dimensions honoured, same text same vector', async () => {
    const one = dec((await client.send(new InvokeModelCommand({ modelId: 'amazon.titan-embed-text-v2:0', body: enc({ inputText: 'Hello, world!', normalize: true }) }))).body);
    expect((one['embedding'] as number[]).length).toBe(1024);
    expect(at(one, 'embeddingsByType', 'float')).toEqual(one['embedding']);
    expect(one['inputTextTokenCount']).toBeGreaterThan(0);
    const norm = Math.sqrt((one['embedding'] as number[]).reduce((a, x) => a + x * x, 0));
    expect(norm).toBeCloseTo(1, 4);
    const two = dec((await client.send(new InvokeModelCommand({ modelId: 'amazon.titan-embed-text-v2:0', body: enc({ inputText: 'Hello, world!', dimensions: 256 }) }))).body);
    expect((two['embedding'] as number[]).length).toBe(256);
    const again = dec((await client.send(new InvokeModelCommand({ modelId: 'amazon.titan-embed-text-v2:0', body: enc({ inputText: 'Hello, world!', normalize: true }) }))).body);
    expect(again['embedding']).toEqual(one['embedding']);
  });

  it('Cohere embed: one vector per text', async () => {
    const out = dec((await client.send(new InvokeModelCommand({ modelId: 'cohere.embed-english-v3', body: enc({ texts: ['a', 'b', 'c'], input_type: 'search_document' }) }))).body);
    expect(out['response_type']).toBe('embeddings_floats');
    expect((out['embeddings'] as number[][]).map((e) => e.length)).toEqual([1024, 1024, 1024]);
    expect(out['texts']).toEqual(['a', 'b', 'c']);
  });

  it('the free validity probe (max_tokens 0) gets the schema refusal', async () => {
    await expect(
      client.send(new InvokeModelCommand({ modelId: 'anthropic.claude-3-haiku-20240307-v1:0', body: enc({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 0, messages: [{ role: 'user', content: 'hi' }] }) })),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'Malformed input request: #: subject must not be valid against schema {"required":["messages"]}#/max_tokens: 0 is not greater or equal to 1, please reformat your input and try again.',
    });
  });

  it('extraneous keys are named as the Anthropic adapter names them', async () => {
    await expect(
      client.send(new InvokeModelCommand({ modelId: 'anthropic.claude-3-haiku-20240307-v1:0', body: enc({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 10, model: 'x', messages: [{ role: 'user', content: 'hi' }] }) })),
    ).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringContaining('#: extraneous key [model] is not permitted') });
  });
});

describe('InvokeModelWithResponseStream, every streaming family', () => {
  for (const f of FAMILIES.filter((x) => x.chunkText)) {
    it(`${f.modelId}: base64 native chunks, last one with invocation metrics`, async () => {
      const out = await client.send(new InvokeModelWithResponseStreamCommand({ modelId: f.modelId, body: enc(f.body), contentType: 'application/json' }));
      expect(out.contentType).toBe('application/json');
      const chunks: Record<string, unknown>[] = [];
      for await (const e of out.body ?? []) {
        expect(e.chunk?.bytes).toBeInstanceOf(Uint8Array);
        chunks.push(dec(e.chunk?.bytes));
      }
      expect(chunks.map((c) => f.chunkText?.(c) ?? '').join('')).toBe(LURE_TEXT);
      const metrics = chunks.at(-1)?.['amazon-bedrock-invocationMetrics'] as { inputTokenCount: number; outputTokenCount: number; invocationLatency: number; firstByteLatency: number };
      expect(metrics.inputTokenCount).toBeGreaterThan(0);
      expect(metrics.outputTokenCount).toBeGreaterThan(0);
      expect(metrics.invocationLatency).toBeGreaterThanOrEqual(metrics.firstByteLatency);
      expect(chunks.slice(0, -1).every((c) => !('amazon-bedrock-invocationMetrics' in c))).toBe(true);
    });
  }

  it('AI21 J2 → ValidationException "The model is unsupported for streaming"', async () => {
    await expect(
      client.send(new InvokeModelWithResponseStreamCommand({ modelId: 'ai21.j2-mid-v1', body: enc({ prompt: 'hi', maxTokens: 10 }) })),
    ).rejects.toMatchObject({ name: 'ValidationException', message: 'The model is unsupported for streaming', $metadata: { httpStatusCode: 400 } });
  });
});

describe('CountTokens', () => {
  it('counts a Converse input for Claude', async () => {
    const out = await client.send(
      new CountTokensCommand({ modelId: 'anthropic.claude-3-5-haiku-20241022-v1:0', input: { converse: { messages: [{ role: 'user', content: [{ text: 'How many tokens is this?' }] }] } } }),
    );
    expect(out.inputTokens).toBeGreaterThan(5);
  });
});

describe('guardrails through the SDK (docs/deception.md "Bedrock guardrails")', () => {
  it('Converse with guardrailConfig trace enabled: the SDK parses trace.guardrail; InvokeModel with a guardrail and trace: action NONE and the trace', async () => {
    const out = await client.send(
      new ConverseCommand({
        modelId: 'amazon.nova-micro-v1:0',
        messages: [{ role: 'user', content: [{ text: 'hi' }] }],
        guardrailConfig: { guardrailIdentifier: 'gr-demo1234', guardrailVersion: '1', trace: 'enabled' },
      }),
    );
    expect(out.stopReason).toBe('end_turn');
    expect(out.trace?.guardrail?.actionReason).toBe('No action.');
    expect(Object.keys(out.trace?.guardrail?.inputAssessment ?? {})).toEqual(['gr-demo1234']);
    const inv = await client.send(
      new InvokeModelCommand({
        modelId: 'amazon.titan-text-express-v1',
        body: enc({ inputText: 'hi', textGenerationConfig: { maxTokenCount: 40 } }),
        guardrailIdentifier: 'gr-demo1234',
        guardrailVersion: '1',
        trace: 'ENABLED',
      }),
    );
    const body = dec(inv.body);
    expect(body['amazon-bedrock-guardrailAction']).toBe('NONE');
    expect(body['amazon-bedrock-trace']).toMatchObject({ guardrail: { input: { 'gr-demo1234': {} } } });
  });
});
