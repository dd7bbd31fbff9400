/**
 * The decoy on the wire (HTTP/1.1, raw bytes): header sets and order (B1.1), Bedrock's JSON layout
 * (B2), event-stream framing (B3), and hostile request bodies.
 */
import { connect } from 'node:net';
import fc from 'fast-check';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAll, headerString } from '../../src/providers/bedrock/eventstream.js';
import { CATALOG } from '../../src/providers/bedrock/models.js';
import { LURE, LURE_TEXT, startHarness, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ maxBodyBytes: 64 * 1024 });
});
afterAll(async () => {
  await h.close();
});

interface RawResponse {
  readonly status: number;
  readonly headers: [string, string][];
  readonly body: Buffer;
}

/** Dechunk a Transfer-Encoding: chunked body. */
function dechunk(b: Buffer): Buffer {
  const out: Buffer[] = [];
  let i = 0;
  for (let guard = 0; guard < 100_000 && i < b.length; guard++) {
    const eol = b.indexOf('\r\n', i);
    const size = parseInt(b.subarray(i, eol).toString(), 16);
    if (size === 0) break;
    out.push(b.subarray(eol + 2, eol + 2 + size));
    i = eol + 2 + size + 2;
  }
  return Buffer.concat(out);
}

async function send(path: string, body: Buffer | string, extra: Record<string, string> = {}, sign = true): Promise<RawResponse> {
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  const host = `127.0.0.1:${h.port}`;
  let headers: Record<string, string> = { host, 'content-type': 'application/json', 'content-length': String(buf.length), ...extra };
  if (sign) {
    const signer = new SignatureV4({ service: 'bedrock', region: 'us-east-1', credentials: { accessKeyId: LURE.accessKeyId, secretAccessKey: LURE.secretAccessKey }, sha256: Sha256 });
    headers = (await signer.sign({ method: 'POST', protocol: 'http:', hostname: '127.0.0.1', port: h.port, path, query: {}, headers, body: buf })).headers;
  }
  return new Promise((resolve, reject) => {
    const s = connect(h.port, '127.0.0.1', () => {
      s.write(`POST ${path} HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\nConnection: close\r\n\r\n`);
      s.write(buf);
    });
    const chunks: Buffer[] = [];
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('end', () => {
      const all = Buffer.concat(chunks);
      const split = all.indexOf('\r\n\r\n');
      const lines = all.subarray(0, split).toString('latin1').split('\r\n');
      const pairs = lines.slice(1).map((l): [string, string] => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]);
      const rest = all.subarray(split + 4);
      const chunked = pairs.some(([k, v]) => k.toLowerCase() === 'transfer-encoding' && v === 'chunked');
      resolve({ status: Number(lines[0]?.split(' ')[1]), headers: pairs, body: chunked ? dechunk(rest) : rest });
    });
    s.on('error', reject);
  });
}

const names = (r: RawResponse): string[] => r.headers.map(([k]) => k);
const converseBody = JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'hello' }] }], inferenceConfig: { maxTokens: 100 } });

describe('headers in wire order', () => {
  it('Converse: Date, Content-Type, Content-Length, Connection, x-amzn-RequestId', async () => {
    const r = await send('/model/us.amazon.nova-micro-v1%3A0/converse', converseBody);
    expect(r.status).toBe(200);
    expect(names(r)).toEqual(['Date', 'Content-Type', 'Content-Length', 'Connection', 'x-amzn-RequestId']);
    expect(Number(r.headers[2]?.[1])).toBe(r.body.length);
  });

  it('InvokeModel (Claude 4.x): latency, cache, output, input token headers', async () => {
    const body = JSON.stringify({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] });
    const r = await send('/model/us.anthropic.claude-haiku-4-5-20251001-v1%3A0/invoke', body, { accept: 'application/json' });
    expect(names(r)).toEqual([
      'Date', 'Content-Type', 'Content-Length', 'Connection', 'x-amzn-RequestId',
      'X-Amzn-Bedrock-Invocation-Latency', 'X-Amzn-Bedrock-Cache-Write-Input-Token-Count', 'X-Amzn-Bedrock-Cache-Read-Input-Token-Count',
      'X-Amzn-Bedrock-Output-Token-Count', 'X-Amzn-Bedrock-Input-Token-Count',
    ]);
    const json = JSON.parse(r.body.toString()) as { usage: { input_tokens: number; output_tokens: number }; model: string; id: string };
    const header = (n: string): number => Number(r.headers.find(([k]) => k === n)?.[1]);
    expect(header('X-Amzn-Bedrock-Input-Token-Count')).toBe(json.usage.input_tokens);
    expect(header('X-Amzn-Bedrock-Output-Token-Count')).toBe(json.usage.output_tokens);
    expect(json.model).toBe('claude-haiku-4-5-20251001');
    expect(json.id).toMatch(/^msg_bdrk_01[A-Za-z0-9]{22}$/);
    expect(Object.keys(json)).toEqual(['id', 'type', 'role', 'model', 'content', 'stop_reason', 'stop_sequence', 'usage']);
  });

  it('InvokeModel (embeddings): no output-token header', async () => {
    const r = await send('/model/amazon.titan-embed-text-v2%3A0/invoke', '{"inputText": "Hello, world!", "normalize": true}', { accept: 'application/json' });
    expect(names(r)).toEqual(['Date', 'Content-Type', 'Content-Length', 'Connection', 'x-amzn-RequestId', 'X-Amzn-Bedrock-Invocation-Latency', 'X-Amzn-Bedrock-Input-Token-Count']);
    expect(Object.keys(JSON.parse(r.body.toString()) as object)).toEqual(['embedding', 'embeddingsByType', 'inputTextTokenCount']);
  });

  it('streams: chunked event stream; the invoke variant adds X-Amzn-Bedrock-Content-Type', async () => {
    const a = await send('/model/us.amazon.nova-micro-v1%3A0/converse-stream', converseBody);
    expect(names(a)).toEqual(['Date', 'Content-Type', 'Transfer-Encoding', 'Connection', 'x-amzn-RequestId']);
    expect(a.headers[1]).toEqual(['Content-Type', 'application/vnd.amazon.eventstream']);
    const b = await send('/model/meta.llama3-8b-instruct-v1%3A0/invoke-with-response-stream', '{"prompt":"hi","max_gen_len":64}');
    expect(names(b)).toEqual(['Date', 'Content-Type', 'Transfer-Encoding', 'Connection', 'x-amzn-RequestId', 'X-Amzn-Bedrock-Content-Type']);
  });
});

describe('JSON and frames', () => {
  it('Converse JSON is compact with keys sorted at every level', async () => {
    const r = await send('/model/us.anthropic.claude-sonnet-4-6/converse', converseBody);
    const text = r.body.toString();
    expect(text).toMatch(/^\{"metrics":\{"latencyMs":\d+\},"output":\{"message":\{"content":\[\{"text":".*"\}\],"role":"assistant"\}\},"stopReason":"end_turn","usage":\{"cacheReadInputTokenCount":0,"cacheReadInputTokens":0,"cacheWriteInputTokenCount":0,"cacheWriteInputTokens":0,"inputTokens":\d+,"outputTokens":\d+,"serverToolUsage":\{\},"totalTokens":\d+\}\}$/);
  });

  it('ConverseStream frames: event order, header order, padding key', async () => {
    const r = await send('/model/us.amazon.nova-micro-v1%3A0/converse-stream', converseBody);
    const frames = decodeAll(r.body);
    const types = frames.map((f) => headerString(f, ':event-type'));
    expect(types[0]).toBe('messageStart');
    expect(types.slice(-3)).toEqual(['contentBlockStop', 'messageStop', 'metadata']);
    expect(new Set(types.slice(1, -3))).toEqual(new Set(['contentBlockDelta']));
    for (const f of frames) {
      expect(Object.keys(f.headers)).toEqual([':event-type', ':content-type', ':message-type']);
      const payload = JSON.parse(Buffer.from(f.body).toString()) as Record<string, unknown>;
      const keys = Object.keys(payload);
      expect(keys).toEqual([...keys].sort());
      expect(payload['p']).toMatch(/^[a-zA-Z0-9]{2,61}$/);
    }
    const text = frames.map((f) => (JSON.parse(Buffer.from(f.body).toString()) as { delta?: { text?: string } }).delta?.text ?? '').join('');
    expect(text).toBe(LURE_TEXT);
  });

  it('invoke stream chunks: {"bytes","p"} with base64 native events', async () => {
    const r = await send('/model/anthropic.claude-3-haiku-20240307-v1%3A0/invoke-with-response-stream', JSON.stringify({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] }));
    const events = decodeAll(r.body).map((f) => {
      expect(headerString(f, ':event-type')).toBe('chunk');
      const outer = JSON.parse(Buffer.from(f.body).toString()) as { bytes: string; p: string };
      expect(Object.keys(outer)).toEqual(['bytes', 'p']);
      return JSON.parse(Buffer.from(outer.bytes, 'base64').toString()) as { type: string };
    });
    expect(events.map((e) => e.type).filter((t, i, a) => t !== a[i - 1])).toEqual(['message_start', 'content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']);
  });
});

describe('Nova InvokeModel tool use', () => {
  it('toolUse keys are name, toolUseId, input (Converse: sorted keys)', async () => {
    const toolConfig = { tools: [{ toolSpec: { name: 'get_weather', description: 'Get the weather.', inputSchema: { json: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] } } } }] };
    const messages = [{ role: 'user', content: [{ text: 'What is the weather in Seattle?' }] }];
    const r = await send('/model/amazon.nova-micro-v1%3A0/invoke', JSON.stringify({ schemaVersion: 'messages-v1', messages, toolConfig: { ...toolConfig, toolChoice: { any: {} } } }));
    expect(r.status).toBe(200);
    const body = JSON.parse(r.body.toString()) as { output: { message: { content: Record<string, Record<string, unknown>>[] } } };
    const use = body.output.message.content.find((c) => 'toolUse' in c)?.['toolUse'];
    expect(use && Object.keys(use)).toEqual(['name', 'toolUseId', 'input']);
    const c = await send('/model/amazon.nova-micro-v1%3A0/converse', JSON.stringify({ messages, toolConfig: { ...toolConfig, toolChoice: { any: {} } } }));
    const conv = JSON.parse(c.body.toString()) as { output: { message: { content: Record<string, Record<string, unknown>>[] } } };
    const cuse = conv.output.message.content.find((x) => 'toolUse' in x)?.['toolUse'];
    expect(cuse && Object.keys(cuse)).toEqual(['input', 'name', 'toolUseId', 'type']);
  });
});

describe('guardrails (docs/deception.md "Bedrock guardrails")', () => {
  const guarded = (trace: string): string => JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'hello' }] }], guardrailConfig: { guardrailIdentifier: 'abc123xyz', guardrailVersion: 'DRAFT', trace } });
  const innerOf = (r: RawResponse): Record<string, unknown>[] =>
    decodeAll(r.body).map((f) => JSON.parse(Buffer.from((JSON.parse(Buffer.from(f.body).toString()) as { bytes: string }).bytes, 'base64').toString()) as Record<string, unknown>);

  it('Converse: trace.guardrail between stopReason and usage when trace is enabled, none when disabled', async () => {
    const on = JSON.parse((await send('/model/amazon.nova-micro-v1%3A0/converse', guarded('enabled'))).body.toString()) as Record<string, unknown>;
    expect(Object.keys(on)).toEqual(['metrics', 'output', 'stopReason', 'trace', 'usage']);
    const g = (on['trace'] as { guardrail: Record<string, Record<string, unknown>> }).guardrail;
    expect(Object.keys(g)).toEqual(['actionReason', 'inputAssessment', 'outputAssessments']);
    expect(Object.keys(g['inputAssessment'] ?? {})).toEqual(['abc123xyz']);
    const off = JSON.parse((await send('/model/amazon.nova-micro-v1%3A0/converse', guarded('disabled'))).body.toString()) as Record<string, unknown>;
    expect(Object.keys(off)).toEqual(['metrics', 'output', 'stopReason', 'usage']);
  });

  it('ConverseStream: the metadata event carries the trace', async () => {
    const r = await send('/model/amazon.nova-micro-v1%3A0/converse-stream', guarded('enabled'));
    const meta = decodeAll(r.body).filter((f) => headerString(f, ':event-type') === 'metadata').map((f) => JSON.parse(Buffer.from(f.body).toString()) as Record<string, unknown>)[0];
    expect(Object.keys(meta ?? {})).toEqual(['metrics', 'p', 'trace', 'usage']);
  });

  it('InvokeModel: amazon-bedrock-guardrailAction NONE, and amazon-bedrock-trace with X-Amzn-Bedrock-Trace: ENABLED', async () => {
    const titan = JSON.stringify({ inputText: 'hello', textGenerationConfig: { maxTokenCount: 50 } });
    const headers = { 'x-amzn-bedrock-guardrailidentifier': 'abc123xyz', 'x-amzn-bedrock-guardrailversion': 'DRAFT', 'x-amzn-bedrock-trace': 'ENABLED' };
    const body = JSON.parse((await send('/model/amazon.titan-text-express-v1/invoke', titan, headers)).body.toString()) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['inputTextTokenCount', 'results', 'amazon-bedrock-guardrailAction', 'amazon-bedrock-trace']);
    expect(body['amazon-bedrock-guardrailAction']).toBe('NONE');
    expect(Object.keys((body['amazon-bedrock-trace'] as { guardrail: object }).guardrail)).toEqual(['input', 'outputs']);
    const plain = JSON.parse((await send('/model/amazon.titan-text-express-v1/invoke', titan)).body.toString()) as Record<string, unknown>;
    expect(Object.keys(plain)).toEqual(['inputTextTokenCount', 'results']);
  });

  it('invoke stream: the action on every chunk of text and the last, the trace on the last only', async () => {
    const nova = JSON.stringify({ schemaVersion: 'messages-v1', messages: [{ role: 'user', content: [{ text: 'A camping trip' }] }] });
    const headers = { 'x-amzn-bedrock-guardrailidentifier': 'abc123xyz', 'x-amzn-bedrock-guardrailversion': 'DRAFT', 'x-amzn-bedrock-trace': 'ENABLED' };
    const events = innerOf(await send('/model/amazon.nova-lite-v1%3A0/invoke-with-response-stream', nova, headers));
    const last = events[events.length - 1] ?? {};
    expect(last['amazon-bedrock-guardrailAction']).toBe('NONE');
    expect(last['amazon-bedrock-trace']).toBeDefined();
    for (const e of events.slice(0, -1)) {
      expect(e['amazon-bedrock-guardrailAction']).toBe('contentBlockDelta' in e ? 'NONE' : undefined);
      expect(e['amazon-bedrock-trace']).toBeUndefined();
    }
    const plain = innerOf(await send('/model/amazon.nova-lite-v1%3A0/invoke-with-response-stream', nova));
    expect(plain.some((e) => 'amazon-bedrock-guardrailAction' in e)).toBe(false);
  });
});

describe('hostile bodies', () => {
  it('not JSON → ValidationException', async () => {
    const r = await send('/model/us.amazon.nova-micro-v1%3A0/converse', '{"messages":');
    expect(r.status).toBe(400);
    expect(r.headers.find(([k]) => k === 'x-amzn-ErrorType')?.[1]).toBe('ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/');
  });

  it('JSON that is not an object, or has no messages', async () => {
    expect((await send('/model/amazon.nova-micro-v1%3A0/invoke', '[1,2,3]')).body.toString()).toBe('{"message":"Malformed input request: #: expected type: JSONObject, found: JSONArray, please reformat your input and try again."}');
    expect((await send('/model/amazon.nova-micro-v1%3A0/converse', '{}')).body.toString()).toBe(`{"message":"1 validation error detected: Value null at 'messages' failed to satisfy constraint: Member must not be null"}`);
    expect((await send('/model/amazon.nova-micro-v1%3A0/converse', '{"messages":[]}')).body.toString()).toContain('A conversation must start with a user message');
  });

  it('deeply nested JSON is answered, not crashed on', async () => {
    const deep = `{"messages":[{"role":"user","content":[{"text":"x","extra":${'['.repeat(5000)}${']'.repeat(5000)}}]}]}`;
    const r = await send('/model/amazon.nova-micro-v1%3A0/converse', deep);
    expect([200, 400]).toContain(r.status);
  });

  it('a body over the limit is refused and the connection closed', async () => {
    const r = await send('/model/amazon.nova-micro-v1%3A0/converse', Buffer.alloc(70 * 1024, 0x20), {}, false);
    expect(r.status).toBe(400);
    expect(r.body.toString()).toBe('{"message":"Input is too long for requested model."}');
    expect(r.headers.find(([k]) => k === 'Connection')?.[1]).toBe('close');
  });

  it('an invalid model id after valid auth is a validation error, before auth an unknown path is 404', async () => {
    const r = await send('/model/us.amazon.nova-micro-v1%253A0/converse', converseBody);
    expect(r.status).toBe(400);
    expect(r.body.toString()).toContain("at 'modelId' failed to satisfy constraint");
    const unsigned = await send('/model/us.amazon.nova-micro-v1%253A0/converse', converseBody, {}, false);
    expect(unsigned.status).toBe(403);
    const unknown = await send('/model/x/chat', converseBody, {}, false);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.find(([k]) => k === 'x-amzn-ErrorType')?.[1]).toBe('UnknownOperationException:http://internal.amazon.com/coral/com.amazon.coral.service/');
  });
});

describe('property: any JSON body, any operation, any model', () => {
  const ops = ['converse', 'converse-stream', 'invoke', 'invoke-with-response-stream', 'count-tokens'];
  const ids = CATALOG.map((m) => (m.onDemand ? m.id : `us.${m.id}`)).filter((id) => !id.startsWith('us.') || CATALOG.some((m) => `us.${m.id}` === id && m.profiles.includes('us')));
  const shaped = fc.record(
    {
      messages: fc.array(fc.record({ role: fc.constantFrom('user', 'assistant', 'system', 7), content: fc.oneof(fc.string(), fc.array(fc.record({ text: fc.string() }), { maxLength: 3 })) }), { maxLength: 4 }),
      max_tokens: fc.oneof(fc.integer({ min: -5, max: 100_000 }), fc.string()),
      inferenceConfig: fc.record({ maxTokens: fc.integer({ min: -2, max: 200_000 }), temperature: fc.double({ min: -1, max: 3, noNaN: true }) }, { requiredKeys: [] }),
      prompt: fc.string(),
      inputText: fc.string(),
      texts: fc.array(fc.string(), { maxLength: 3 }),
      anthropic_version: fc.constant('bedrock-2023-05-31'),
    },
    { requiredKeys: [] },
  );
  it('answers 200 or a coded 400, and 200 bodies always parse', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ops), fc.constantFrom(...ids), fc.oneof(shaped, fc.jsonValue({ maxDepth: 3 })), async (op, id, body) => {
        const r = await send(`/model/${encodeURIComponent(id)}/${op}`, JSON.stringify(body) ?? 'null');
        if (r.status === 200) {
          if (op.endsWith('stream')) expect(decodeAll(r.body).length).toBeGreaterThan(0);
          else expect(() => JSON.parse(r.body.toString()) as unknown).not.toThrow();
        } else {
          expect(r.status).toBe(400);
          expect(r.headers.find(([k]) => k === 'x-amzn-ErrorType')?.[1]).toMatch(/^ValidationException:/);
          expect(Object.keys(JSON.parse(r.body.toString()) as object)).toEqual(['message']);
        }
      }),
      { numRuns: 150 },
    );
  }, 60_000);
});
