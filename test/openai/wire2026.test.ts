/**
 * The OpenAI edge of 2026 over raw sockets: gzip for bodies sent without a length when the client
 * accepts it (never for streams or fixed-length errors), HTTP/1.0 without chunks, one __cf_bm
 * cookie, no envoy time, the header family of each endpoint.
 */
import { gunzipSync } from 'node:zlib';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintOpenAIKey } from '../../src/deception/keygen.js';
import { rawRequest, startTestGateway, type TestGateway } from '../helpers/gateway.js';

const LURE = mintOpenAIKey('project');
let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ keys: [{ name: 'w', key: LURE, class: 'lure', max_requests: 1000, realistic_timing: false }], events: { jsonl: { enabled: false } } });
});
afterAll(async () => {
  await gw.close();
});

function post(path: string, body: string, extra = '', version = '1.1'): string {
  return `POST ${path} HTTP/${version}\r\nHost: api.openai.com\r\nAuthorization: Bearer ${LURE}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n${extra}\r\n${body}`;
}

function split(raw: Buffer): { head: string; body: Buffer } {
  const at = raw.indexOf('\r\n\r\n');
  return { head: raw.subarray(0, at).toString('latin1'), body: raw.subarray(at + 4) };
}

async function rawBytes(request: string): Promise<Buffer> {
  const { connect } = await import('node:net');
  const u = new URL(gw.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(u.port), u.hostname);
    const chunks: Buffer[] = [];
    socket.setTimeout(5000, () => socket.destroy(new Error('timed out')));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('close', () => resolve(Buffer.concat(chunks)));
    socket.on('error', reject);
    socket.write(request);
  });
}

function dechunk(body: Buffer): Buffer {
  const out: Buffer[] = [];
  let i = 0;
  for (let n = 0; n < 10_000; n++) {
    const eol = body.indexOf('\r\n', i);
    const size = parseInt(body.subarray(i, eol).toString('latin1'), 16);
    if (!(size > 0)) break;
    out.push(body.subarray(eol + 2, eol + 2 + size));
    i = eol + 2 + size + 2;
  }
  return Buffer.concat(out);
}

const CHAT = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });

describe('the OpenAI edge of 2026', () => {
  it('a JSON success is gzip-encoded when the client accepts gzip, plain otherwise; one 2026 cookie, no envoy time', async () => {
    const gz = split(await rawBytes(post('/v1/chat/completions', CHAT, 'Accept-Encoding: gzip, deflate\r\n')));
    expect(gz.head).toMatch(/\r\nContent-Encoding: gzip\r\n/);
    expect(gz.head).toMatch(/\r\nTransfer-Encoding: chunked\r\n/);
    const json = JSON.parse(gunzipSync(dechunk(gz.body)).toString('utf8')) as { object: string };
    expect(json.object).toBe('chat.completion');
    expect(gz.head.match(/\r\nset-cookie: /gi)).toHaveLength(1);
    expect(gz.head).toMatch(/\r\nset-cookie: __cf_bm=[^;]+; HttpOnly; Secure; Path=\/; Domain=api\.openai\.com; Expires=/);
    expect(gz.head).not.toMatch(/x-envoy-upstream-service-time/i);
    expect(gz.head).toMatch(/\r\nCF-Ray: /);
    const plain = split(await rawBytes(post('/v1/chat/completions', CHAT)));
    expect(plain.head).not.toMatch(/Content-Encoding/i);
    expect((JSON.parse(dechunk(plain.body).toString('utf8')) as { object: string }).object).toBe('chat.completion');
  });

  it('streams and fixed-length errors are never compressed', async () => {
    const stream = split(await rawBytes(post('/v1/chat/completions', JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] }), 'Accept-Encoding: gzip\r\n')));
    expect(stream.head).not.toMatch(/Content-Encoding/i);
    expect(dechunk(stream.body).toString('utf8')).toContain('data: [DONE]');
    const bad = split(await rawBytes(post('/v1/chat/completions', JSON.stringify({ model: 'gpt-4o-mini', messages: [] }), 'Accept-Encoding: gzip\r\n')));
    expect(bad.head).toMatch(/^HTTP\/1\.1 400 /);
    expect(bad.head).not.toMatch(/Content-Encoding/i);
    expect(bad.head).toMatch(/\r\nContent-Length: \d+\r\n/);
  });

  it('an HTTP/1.0 client gets a Content-Length, never chunks', async () => {
    const raw = split(await rawBytes(post('/v1/chat/completions', CHAT, '', '1.0')));
    expect(raw.head).not.toMatch(/Transfer-Encoding/i);
    const length = Number(/\r\nContent-Length: (\d+)\r\n/.exec(raw.head)?.[1]);
    expect(length).toBe(raw.body.length);
    expect((JSON.parse(raw.body.toString('utf8')) as { object: string }).object).toBe('chat.completion');
  });

  it('the Responses API answers on its 2026-05 edge: CF-Ray spelling, CF-Ray exposed, SameSite=None cookie (JSON, stream, errors)', async () => {
    const json = await rawRequest(gw.url, post('/v1/responses', JSON.stringify({ model: 'gpt-4o-mini', input: 'hi' })));
    const stream = await rawRequest(gw.url, post('/v1/responses', JSON.stringify({ model: 'gpt-4o-mini', input: 'hi', stream: true })));
    const error = await rawRequest(gw.url, post('/v1/responses', JSON.stringify({ model: 'gpt-5.2-proo', input: 'hi' })));
    expect(error).toMatch(/^HTTP\/1\.1 400 /);
    for (const raw of [json, stream, error]) {
      const head = raw.slice(0, raw.indexOf('\r\n\r\n'));
      expect(head).toMatch(/\r\nCF-Ray: [0-9a-f]{16}-[A-Z]{3}\r\n/);
      expect(head).toMatch(/\r\nCF-Cache-Status: DYNAMIC\r\n/);
      expect(head).not.toMatch(/\r\n(CF-RAY|cf-cache-status):/);
      expect(head.match(/\r\naccess-control-expose-headers: [^\r]*/gi)).toEqual(['\r\naccess-control-expose-headers: X-Request-ID', '\r\naccess-control-expose-headers: CF-Ray', '\r\nAccess-Control-Expose-Headers: CF-Ray']);
      expect(head).toMatch(/\r\nset-cookie: __cf_bm=[^;]+; HttpOnly; SameSite=None; Secure; Path=\/; Domain=api\.openai\.com; Expires=/);
      expect(head).not.toMatch(/x-openai-proxy-wasm/i);
    }
    expect(json).toMatch(/\r\nx-ratelimit-limit-requests: \d+\r\n/);
    expect(stream).not.toMatch(/\r\nx-ratelimit-/);
  });

  it('images and the assistants family keep the 2026-03 edge (CF-RAY, cf-cache-status, no expose-headers, no SameSite)', async () => {
    const raw = await rawRequest(gw.url, post('/v1/images/generations', JSON.stringify({ model: 'dall-e-3', prompt: 'a cat' })));
    expect(raw).toMatch(/^HTTP\/1\.1 200 /);
    expect(raw).toMatch(/\r\nCF-RAY: /);
    expect(raw).toMatch(/\r\ncf-cache-status: DYNAMIC\r\n/);
    expect(raw).not.toMatch(/access-control-expose-headers/i);
    expect(raw).not.toMatch(/SameSite/);
  });

  it('chat keeps its 2026-03 cookie without SameSite', async () => {
    const raw = await rawRequest(gw.url, post('/v1/chat/completions', CHAT));
    expect(raw).toMatch(/\r\nset-cookie: __cf_bm=[^;]+; HttpOnly; Secure; Path=\//);
  });
});

describe('answers that behave like the model (official client)', () => {
  const sdk = (): OpenAI => new OpenAI({ apiKey: LURE, baseURL: `${gw.url}/v1`, maxRetries: 0 });

  it('max_tokens: 1 gives one token and finish_reason "length"; Responses max_output_tokens gives an incomplete response', async () => {
    const one = await sdk().chat.completions.create({ model: 'gpt-4o-mini', max_tokens: 1, messages: [{ role: 'user', content: 'hi' }] });
    expect(one.choices[0]?.finish_reason).toBe('length');
    expect(one.usage?.completion_tokens).toBe(1);
    const r = await sdk().responses.create({ model: 'gpt-4o-mini', input: 'hi', max_output_tokens: 16 });
    expect(r.status).toBe('incomplete');
    expect(r.incomplete_details?.reason).toBe('max_output_tokens');
    expect(r.usage?.output_tokens).toBe(16);
  });

  it('structured output from the schema, in the Responses text.format shape too; typed, plausible values', async () => {
    const r = await sdk().responses.create({
      model: 'gpt-4.1-nano',
      input: 'Extract: Alice is 30 years old.',
      text: { format: { type: 'json_schema', name: 'Person', strict: true, schema: { type: 'object', properties: { name: { type: 'string' }, age: { type: 'integer' }, email: { type: 'string', format: 'email' } }, required: ['name', 'age', 'email'], additionalProperties: false } } },
    });
    const person = JSON.parse(r.output_text) as { name: string; age: number; email: string };
    expect(Number.isInteger(person.age)).toBe(true);
    expect(person.email).toMatch(/^[a-z.]+@example\.com$/);
    expect(typeof person.name).toBe('string');
  });

  it('the response object carries moderation, reasoning.context and the applied prompt_cache_retention (2026-05)', async () => {
    const plain = await sdk().responses.create({ model: 'gpt-4.1-nano', input: 'hi' });
    expect(plain.moderation).toBeNull();
    expect(plain.reasoning).toEqual({ context: null, effort: null, summary: null });
    expect(plain.prompt_cache_retention).toBe('in_memory');
    const extended = await sdk().responses.create({ model: 'gpt-4.1', input: 'hi' });
    expect(extended.prompt_cache_retention).toBe('24h');
    const asked = await sdk().responses.create({ model: 'gpt-4.1', input: 'hi', prompt_cache_retention: 'in_memory' });
    expect(asked.prompt_cache_retention).toBe('in_memory');
    const thinking = await sdk().responses.create({ model: 'o4-mini', input: 'hi', reasoning: { effort: 'low' } });
    expect(thinking.reasoning).toEqual({ context: 'current_turn', effort: 'low', summary: null });
    const keys = Object.keys(plain);
    expect(keys.indexOf('moderation')).toBe(keys.indexOf('model') + 1);
  });

  it('a reasoning model reports reasoning tokens within the budget and returns encrypted reasoning when asked', async () => {
    const long = 'Explain the trade-offs of connection pooling in detail. '.repeat(20);
    const r = await sdk().responses.create({ model: 'o4-mini', input: long, include: ['reasoning.encrypted_content'], store: false });
    const reasoning = r.output.find((o) => o.type === 'reasoning') as { encrypted_content?: string } | undefined;
    expect(reasoning?.encrypted_content).toMatch(/^gAAAAA/);
    expect(r.usage?.output_tokens_details.reasoning_tokens).toBeGreaterThan(0);
    expect((r.usage?.output_tokens_details.reasoning_tokens ?? 0) % 64).toBe(0);
  });
});
