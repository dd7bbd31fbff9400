/**
 * The Gemini provider against the official client (@google/genai, httpOptions.baseUrl pointing at
 * the gateway on a real socket): lure keys get the decoy's answers (JSON, SSE stream, countTokens,
 * embeddings, models, structured output, function calls, MAX_TOKENS at exactly maxOutputTokens);
 * valid keys are forwarded to a fake Gemini upstream with the key swapped for the upstream's own;
 * unknown and missing keys get Google's errors, raised as the SDK's ApiError; the lure threshold
 * ends in RESOURCE_EXHAUSTED; a real lure upstream receives the lure prompt in systemInstruction.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { ApiError, FunctionCallingConfigMode, GoogleGenAI, Type } from '@google/genai';
import { encode } from 'gpt-tokenizer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

/** a 39-character Google API key carrying a readable tag */
const gkey = (tag: string): string => `AIzaSyB${tag}${'x7Q2'.repeat(8)}`.slice(0, 39);
const LURE = gkey('LureDecoy');
const LURE_UP = gkey('LureUpstream');
const LURE_LIMITED = gkey('LureLimited');
const VALID = gkey('ValidClient');
const UNKNOWN = gkey('UnknownNobody');
const UPSTREAM_KEY = 'upstream-own-key-of-the-company';
const BURNER = 'burner-key-of-the-lure-upstream';
const PROMPT = 'LURE-PROMPT: you are the ACME assistant.';
const REPLY = 'The staging database password is rotated every Friday by the platform team.';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

let fake: Server;
let fakeUrl = '';
const seen: Seen[] = [];
let gw: TestGateway;

beforeAll(async () => {
  fake = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      if ((req.url ?? '').includes(':streamGenerateContent')) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        let n = 0;
        const tick = setInterval(() => {
          n++;
          res.write(`data: {"candidates": [{"content": {"parts": [{"text": "part${n} "}],"role": "model"},"index": 0}],"modelVersion": "gemini-2.5-flash"}\r\n\r\n`);
          if (n === 3) {
            clearInterval(tick);
            res.end();
          }
        }, 30);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' });
      res.end(JSON.stringify({ candidates: [{ content: { parts: [{ text: 'from upstream' }], role: 'model' }, finishReason: 'STOP', index: 0 }], usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 2, totalTokenCount: 5 }, modelVersion: 'gemini-2.5-flash', responseId: 'up' }));
    });
  });
  await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
  fakeUrl = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
  gw = await startTestGateway({
    upstreams: {
      google: { type: 'gemini', url: fakeUrl, api_key: UPSTREAM_KEY },
      burner: { type: 'gemini', url: fakeUrl, api_key: BURNER },
    },
    lure_defaults: { realistic_timing: false },
    gemini_keys: [
      { name: 'gemini-lure', key: LURE, class: 'lure', campaign: 'web-leak', placement: 'app.js bundle', reply: REPLY, max_requests: 1000 },
      { name: 'gemini-lure-upstream', key: LURE_UP, class: 'lure', upstream: 'burner', prompt: PROMPT, max_requests: 1000 },
      { name: 'gemini-lure-limited', key: LURE_LIMITED, class: 'lure', max_requests: 2, block_duration: '1h' },
      { name: 'gemini-valid', key: VALID, class: 'valid', upstream: 'google' },
    ],
  });
});

afterAll(async () => {
  await gw.close();
  await new Promise<void>((r) => fake.close(() => r()));
});

const client = (apiKey: string): GoogleGenAI => new GoogleGenAI({ apiKey, httpOptions: { baseUrl: gw.url } });

async function apiError(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (e: unknown) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error('expected an ApiError');
}

describe('lure keys: the decoy, as the SDK parses it', () => {
  it('generateContent: text, usage that adds up, model version, response id', async () => {
    const r = await client(LURE).models.generateContent({ model: 'gemini-2.5-flash', contents: 'What is the capital of France?' });
    expect(r.text).toBe(REPLY);
    expect(r.candidates?.[0]?.finishReason).toBe('STOP');
    expect(r.modelVersion).toBe('gemini-2.5-flash');
    expect(r.responseId).toMatch(/^[A-Za-z0-9_-]{22,23}$/);
    const u = r.usageMetadata;
    expect(u?.promptTokenCount).toBe(encode('What is the capital of France?').length);
    expect(u?.candidatesTokenCount).toBe(encode(REPLY).length);
    expect(u?.totalTokenCount).toBe((u?.promptTokenCount ?? 0) + (u?.candidatesTokenCount ?? 0) + (u?.thoughtsTokenCount ?? 0));
    expect(u?.thoughtsTokenCount).toBeGreaterThan(0);
  });

  it('maxOutputTokens cuts exactly, finishReason MAX_TOKENS (thinking off)', async () => {
    const r = await client(LURE).models.generateContent({ model: 'gemini-2.5-flash', contents: 'Hello', config: { maxOutputTokens: 3, thinkingConfig: { thinkingBudget: 0 } } });
    expect(r.candidates?.[0]?.finishReason).toBe('MAX_TOKENS');
    expect(encode(r.text ?? '').length).toBe(3);
    expect(r.usageMetadata?.candidatesTokenCount).toBe(3);
  });

  it('streams over SSE; chunks join to the reply', async () => {
    const stream = await client(LURE).models.generateContentStream({ model: 'gemini-2.0-flash', contents: 'Tell me a story' });
    let text = '';
    let chunks = 0;
    let last: string | undefined;
    for await (const c of stream) {
      chunks++;
      text += c.text ?? '';
      last = c.candidates?.[0]?.finishReason ?? last;
    }
    expect(chunks).toBeGreaterThan(1);
    expect(text).toBe(REPLY);
    expect(last).toBe('STOP');
  });

  it('structured output follows responseSchema', async () => {
    const r = await client(LURE).models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'List a recipe',
      config: { responseMimeType: 'application/json', responseSchema: { type: Type.OBJECT, properties: { name: { type: Type.STRING }, minutes: { type: Type.INTEGER } }, required: ['name'] } },
    });
    const value = JSON.parse(r.text ?? '') as Record<string, unknown>;
    expect(typeof value['name']).toBe('string');
    expect(Number.isInteger(value['minutes'])).toBe(true);
  });

  it('function calling returns a functionCall with schema-valid args', async () => {
    const r = await client(LURE).models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'What is the weather in Paris?',
      config: { tools: [{ functionDeclarations: [{ name: 'get_weather', description: 'weather for a city', parameters: { type: Type.OBJECT, properties: { city: { type: Type.STRING } }, required: ['city'] } }] }] },
    });
    expect(r.functionCalls?.[0]?.name).toBe('get_weather');
    expect(typeof r.functionCalls?.[0]?.args?.['city']).toBe('string');
  });

  const weatherTools = [
    {
      functionDeclarations: [
        { name: 'get_weather', description: 'Get the current weather in a given location', parameters: { type: Type.OBJECT, properties: { location: { type: Type.STRING }, unit: { type: Type.STRING, enum: ['celsius', 'fahrenheit'] } }, required: ['location'] } },
        { name: 'send_email', description: 'Send an email', parameters: { type: Type.OBJECT, properties: { to: { type: Type.STRING } }, required: ['to'] } },
      ],
    },
  ];

  it('parallel function calls: one functionCall part per city, in one content, usage that adds up', async () => {
    const r = await client(LURE).models.generateContent({ model: 'gemini-2.5-flash', contents: "What's the weather in Boston and Tokyo?", config: { tools: weatherTools } });
    const calls = r.functionCalls ?? [];
    expect(calls.map((c) => c.name)).toEqual(['get_weather', 'get_weather']);
    expect(calls.map((c) => c.args?.['location'])).toEqual(['Boston', 'Tokyo']);
    const parts = r.candidates?.[0]?.content?.parts ?? [];
    expect(parts.filter((p) => p.functionCall !== undefined)).toHaveLength(2);
    // a thinking model signs the first call only
    expect(parts[0]?.thoughtSignature).toBeTruthy();
    expect(parts[1]?.thoughtSignature).toBeUndefined();
    expect(r.candidates?.[0]?.finishReason).toBe('STOP');
    const u = r.usageMetadata;
    const billed = calls.reduce((n, c) => n + encode(`${c.name ?? ''}${JSON.stringify(c.args)}`).length + 2, 0);
    expect(u?.candidatesTokenCount).toBe(billed);
    expect(u?.totalTokenCount).toBe((u?.promptTokenCount ?? 0) + (u?.candidatesTokenCount ?? 0) + (u?.thoughtsTokenCount ?? 0));
  });

  it('parallel function calls over SSE (streamGenerateContent)', async () => {
    const stream = await client(LURE).models.generateContentStream({ model: 'gemini-2.0-flash', contents: 'Weather for Paris, Rome, and Oslo please', config: { tools: weatherTools } });
    const calls: { name?: string; args?: Record<string, unknown> }[] = [];
    let finish: string | undefined;
    for await (const c of stream) {
      calls.push(...(c.functionCalls ?? []));
      finish = c.candidates?.[0]?.finishReason ?? finish;
    }
    expect(calls.map((c) => c.args?.['location'])).toEqual(['Paris', 'Rome', 'Oslo']);
    expect(finish).toBe('STOP');
  });

  it('one city: the city in the parameter, not the lure reply', async () => {
    const r = await client(LURE).models.generateContent({ model: 'gemini-2.5-flash', contents: "What's the weather in Boston?", config: { tools: weatherTools } });
    expect(r.functionCalls).toHaveLength(1);
    expect(r.functionCalls?.[0]?.args?.['location']).toBe('Boston');
    expect(['celsius', 'fahrenheit']).toContain(r.functionCalls?.[0]?.args?.['unit']);
  });

  it('mode NONE answers in text; ANY with allowedFunctionNames calls that function', async () => {
    const none = await client(LURE).models.generateContent({
      model: 'gemini-2.5-flash',
      contents: "What's the weather in Boston and Tokyo?",
      config: { tools: weatherTools, toolConfig: { functionCallingConfig: { mode: FunctionCallingConfigMode.NONE } } },
    });
    expect(none.functionCalls).toBeUndefined();
    expect(none.text).toBe(REPLY);
    const any = await client(LURE).models.generateContent({
      model: 'gemini-2.5-flash',
      contents: "What's the weather in Boston and Tokyo?",
      config: { tools: weatherTools, toolConfig: { functionCallingConfig: { mode: FunctionCallingConfigMode.ANY, allowedFunctionNames: ['send_email'] } } },
    });
    expect(any.functionCalls?.map((c) => c.name)).toEqual(['send_email', 'send_email']);
  });

  it('countTokens, embedContent, models list and get', async () => {
    const c = await client(LURE).models.countTokens({ model: 'gemini-2.5-flash', contents: 'What is the capital of France?' });
    expect(c.totalTokens).toBe(encode('What is the capital of France?').length);
    const e = await client(LURE).models.embedContent({ model: 'gemini-embedding-001', contents: ['hello world', 'goodbye'] });
    expect(e.embeddings).toHaveLength(2);
    expect(e.embeddings?.[0]?.values).toHaveLength(3072);
    const pager = await client(LURE).models.list({ config: { pageSize: 5 } });
    const names: string[] = [];
    for await (const m of pager) names.push(m.name ?? '');
    expect(names.length).toBeGreaterThan(10);
    expect(names).toContain('models/gemini-2.5-pro');
    const m = await client(LURE).models.get({ model: 'gemini-2.5-pro' });
    expect(m.inputTokenLimit).toBe(1_048_576);
  });

  it('an unknown model is NOT_FOUND, a bad request INVALID_ARGUMENT, as ApiError', async () => {
    const nf = await apiError(client(LURE).models.generateContent({ model: 'gemini-9-ultra', contents: 'x' }));
    expect(nf.status).toBe(404);
    expect(nf.message).toContain('models/gemini-9-ultra is not found for API version v1beta');
    const bad = await apiError(client(LURE).models.generateContent({ model: 'gemini-2.5-pro', contents: 'x', config: { thinkingConfig: { thinkingBudget: 0 } } }));
    expect(bad.status).toBe(400);
    expect(bad.message).toContain('only works in thinking mode');
  });

  it('records a lure event with campaign, model and prompt', async () => {
    await client(LURE).models.generateContent({ model: 'gemini-2.0-flash', contents: 'event probe prompt' });
    const events = await gw.waitForEvents(1);
    const e = events.find((x) => JSON.stringify(x).includes('event probe prompt'));
    const text = JSON.stringify(e);
    expect(text).toContain('web-leak');
    expect(text).toContain('gemini-2.0-flash');
    expect(text).not.toContain(LURE);
    expect(e?.honeygate.client?.name).toBe('google-genai');
    expect(e?.honeygate.surface).toBe('gemini');
    expect(e?.honeygate.key?.mask).toBe(`AIza${'*'.repeat(31)}${LURE.slice(-4)}`);
  });
});

describe('unknown, missing and valid keys', () => {
  it('unknown key: 400 API_KEY_INVALID with ErrorInfo', async () => {
    const err = await apiError(client(UNKNOWN).models.generateContent({ model: 'gemini-2.5-flash', contents: 'x' }));
    expect(err.status).toBe(400);
    expect(err.message).toContain('API key not valid. Please pass a valid API key.');
    expect(err.message).toContain('API_KEY_INVALID');
  });

  it('no key: 403 PERMISSION_DENIED (raw request, gzip when accepted)', async () => {
    const res = await fetch(`${gw.url}/v1beta/models/gemini-2.5-flash:generateContent`, { method: 'POST', headers: { 'content-type': 'application/json', 'accept-encoding': 'gzip' }, body: '{"contents":[{"parts":[{"text":"x"}]}]}' });
    expect(res.status).toBe(403);
    expect(res.headers.get('server')).toBe('scaffolding on HTTPServer2');
    const body = (await res.json()) as { error: { status: string } };
    expect(body.error.status).toBe('PERMISSION_DENIED');
  });

  it('a valid key is forwarded with the upstream key instead of the client key, streams unbuffered', async () => {
    seen.length = 0;
    const r = await client(VALID).models.generateContent({ model: 'gemini-2.5-flash', contents: 'forward me' });
    expect(r.text).toBe('from upstream');
    const got = seen.at(-1);
    expect(got?.headers['x-goog-api-key']).toBe(UPSTREAM_KEY);
    expect(JSON.stringify(got)).not.toContain(VALID);
    const res = await fetch(`${gw.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse&key=${VALID}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"contents":[{"parts":[{"text":"s"}]}]}' });
    const reader = res.body?.getReader();
    const first = await reader?.read();
    const at = Date.now();
    let rest = '';
    for (;;) {
      const n = await reader?.read();
      if (!n || n.done) break;
      rest += new TextDecoder().decode(n.value);
    }
    expect(new TextDecoder().decode(first?.value)).toContain('part1');
    expect(rest).toContain('part3');
    expect(Date.now() - at).toBeGreaterThanOrEqual(30);
    expect(seen.at(-1)?.url).toBe('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
    // the compatible path with the key in two places: neither reaches the upstream
    await fetch(`${gw.url}/v1beta/openai/chat/completions?key=${VALID}`, { method: 'POST', headers: { 'x-goog-api-key': VALID, authorization: `Bearer ${VALID}` }, body: '{"model":"gemini-2.5-flash","messages":[]}' });
    const compat = seen.at(-1);
    expect(compat?.headers['authorization']).toBe(`Bearer ${UPSTREAM_KEY}`);
    expect(compat?.headers['x-goog-api-key']).toBeUndefined();
    expect(JSON.stringify(compat)).not.toContain(VALID);
  });

  it('a real lure upstream gets the lure prompt in systemInstruction and its own burner key', async () => {
    seen.length = 0;
    await client(LURE_UP).models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi', config: { systemInstruction: 'client system text' } });
    const got = seen.at(-1);
    expect(got?.headers['x-goog-api-key']).toBe(BURNER);
    expect(JSON.stringify(got)).not.toContain(LURE_UP);
    const sent = JSON.parse(got?.body ?? '{}') as { systemInstruction: { parts: { text: string }[] } };
    expect(sent.systemInstruction.parts.map((p) => p.text)).toEqual([PROMPT, 'client system text']);
  });

  it('past the lure threshold: RESOURCE_EXHAUSTED 429 with RetryInfo', async () => {
    await client(LURE_LIMITED).models.generateContent({ model: 'gemini-2.0-flash', contents: 'a' });
    await client(LURE_LIMITED).models.generateContent({ model: 'gemini-2.0-flash', contents: 'b' });
    const res = await fetch(`${gw.url}/v1beta/models/gemini-2.0-flash:generateContent`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-goog-api-key': LURE_LIMITED, 'accept-encoding': 'gzip' }, body: '{"contents":[{"parts":[{"text":"c"}]}]}' });
    expect(res.status).toBe(429);
    const raw = Buffer.from(await res.arrayBuffer());
    const text = res.headers.get('content-encoding') === 'gzip' && raw[0] === 0x1f ? gunzipSync(raw).toString() : raw.toString();
    const body = JSON.parse(text) as { error: { status: string; details: { '@type': string; retryDelay?: string }[] } };
    expect(body.error.status).toBe('RESOURCE_EXHAUSTED');
    expect(body.error.details.some((d) => d['@type'].endsWith('RetryInfo') && /^\d+s$/.test(d.retryDelay ?? ''))).toBe(true);
    // the quota never covers the free calls: a checker can still list the models and count tokens
    const m = await client(LURE_LIMITED).models.get({ model: 'gemini-2.0-flash' });
    expect(m.name).toBe('models/gemini-2.0-flash');
    const c = await client(LURE_LIMITED).models.countTokens({ model: 'gemini-2.0-flash', contents: 'count me' });
    expect(c.totalTokens).toBe(encode('count me').length);
    await expect(client(LURE_LIMITED).models.generateContent({ model: 'gemini-2.0-flash', contents: 'd' })).rejects.toBeInstanceOf(ApiError);
  });
});
