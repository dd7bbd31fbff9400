/**
 * Gemini next to OpenAI on one port: `/v1/` stays OpenAI's unless the request carries Google's
 * signals (a Google key, the Gemini Host, a model method); the OpenAI-compatible endpoints answer
 * the `openai` SDK; the raw wire of the native API (JSON-array stream framing, numeric enums,
 * gzip, the front end's 404, Google's errors in an array on array streams).
 */
import { connect as connectH2 } from 'node:http2';
import { connect } from 'node:net';
import { gunzipSync } from 'node:zlib';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { geminiPersona } from '../../src/providers/gemini/persona.js';
import { sha256Hex } from '../../src/util/hash.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const gkey = (tag: string): string => `AIzaSyB${tag}${'q9Z4'.repeat(8)}`.slice(0, 39);
const GLURE = gkey('RoutingLure');
/** a lure whose persona is a tier-1 project: 150 requests a minute on gemini-2.5-pro */
const TIER1 = Array.from({ length: 200 }, (_, i) => gkey(`Tier${i}`)).find((k) => geminiPersona(sha256Hex(k)).tier === 1) ?? '';
const OLURE = 'sk-proj-RoutingTestLureKey0123456789abcdefghijklmnopqrstuvwxyzT3BlbkFJ0123456789';
let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway({
    lure_defaults: { realistic_timing: false },
    keys: [{ name: 'openai-lure', key: OLURE, class: 'lure', max_requests: 1000 }],
    gemini_keys: [
      { name: 'gemini-lure', key: GLURE, class: 'lure', reply: 'Hello from the decoy.', max_requests: 1000 },
      { name: 'gemini-tier1', key: TIER1, class: 'lure', reply: 'ok', max_requests: 1000 },
      { name: 'gemini-disabled', key: gkey('DisabledApi'), class: 'lure', api_disabled: true },
    ],
  });
});

afterAll(async () => {
  await gw.close();
});

/** One raw HTTP/1.1 request; the whole answer as bytes (the connection is closed by the client side). */
function raw(request: string): Promise<Buffer> {
  const u = new URL(gw.url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(u.port), u.hostname);
    const chunks: Buffer[] = [];
    s.setTimeout(5000, () => s.destroy(new Error('timeout')));
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', reject);
    s.on('close', () => resolve(Buffer.concat(chunks)));
    s.write(request);
  });
}

/** The body of a chunked HTTP/1.1 answer. */
function dechunk(body: Buffer): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = body.indexOf('\r\n', at);
    if (eol < 0) break;
    const size = parseInt(body.subarray(at, eol).toString(), 16);
    if (!size) break;
    out.push(body.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(out);
}

function split(answer: Buffer): { head: string; body: Buffer } {
  const end = answer.indexOf('\r\n\r\n');
  return { head: answer.subarray(0, end).toString(), body: answer.subarray(end + 4) };
}

describe('routing between OpenAI and Gemini', () => {
  it('an OpenAI client on /v1/ still gets OpenAI', async () => {
    const client = new OpenAI({ apiKey: OLURE, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const r = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    expect(r.object).toBe('chat.completion');
    const models = await fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${OLURE}` } });
    expect(((await models.json()) as { object: string }).object).toBe('list');
  });

  it('the key checkers\' GET /v1/models?key= and the Gemini Host go to Gemini', async () => {
    const byKey = await fetch(`${gw.url}/v1/models?key=${GLURE}`);
    expect(byKey.headers.get('server')).toBe('scaffolding on HTTPServer2');
    expect(((await byKey.json()) as { models: unknown[] }).models.length).toBeGreaterThan(5);
    const answer = split(await raw(`GET /v1/models HTTP/1.1\r\nHost: generativelanguage.googleapis.com\r\nx-goog-api-key: ${GLURE}\r\nConnection: close\r\n\r\n`));
    expect(answer.head).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(answer.head).not.toMatch(/\r\n(Connection|Keep-Alive):/i);
    const unknown = split(await raw('GET /v1/models HTTP/1.1\r\nHost: generativelanguage.googleapis.com\r\nConnection: close\r\n\r\n'));
    expect(unknown.head).toMatch(/^HTTP\/1\.1 403/);
  });

  it('an unmapped /v1beta/ URL gets the front end\'s HTML 404', async () => {
    const r = await fetch(`${gw.url}/v1beta/nothing/here`, { headers: { 'x-goog-api-key': GLURE } });
    expect(r.status).toBe(404);
    expect(r.headers.get('content-type')).toBe('text/html; charset=UTF-8');
    expect(await r.text()).toContain('<code>/v1beta/nothing/here</code> was not found on this server.');
  });
});

describe('the OpenAI-compatible endpoints with the openai SDK', () => {
  const client = (key: string): OpenAI => new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1beta/openai/`, maxRetries: 0 });

  it('chat completions, JSON and stream, max_tokens honoured', async () => {
    const r = await client(GLURE).chat.completions.create({ model: 'gemini-2.0-flash', messages: [{ role: 'user', content: 'hi' }] });
    expect(r.choices[0]?.message.content).toBe('Hello from the decoy.');
    expect(r.model).toBe('gemini-2.0-flash');
    const cut = await client(GLURE).chat.completions.create({ model: 'gemini-2.0-flash', max_tokens: 2, messages: [{ role: 'user', content: 'hi' }] });
    expect(cut.choices[0]?.finish_reason).toBe('length');
    expect(cut.usage?.completion_tokens).toBe(2);
    const stream = await client(GLURE).chat.completions.create({ model: 'gemini-2.5-flash', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    expect(text).toBe('Hello from the decoy.');
  });

  it('tool calls: one per enumerated city, the single city in its parameter, none with tool_choice none', async () => {
    const tools = [{ type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] } } }];
    const two = await client(GLURE).chat.completions.create({ model: 'gemini-2.5-flash', tools, messages: [{ role: 'user', content: 'What is the weather in Boston and Tokyo?' }] });
    expect(two.choices[0]?.finish_reason).toBe('tool_calls');
    const calls = (two.choices[0]?.message.tool_calls ?? []).map((c) => (c.type === 'function' ? (JSON.parse(c.function.arguments) as Record<string, unknown>)['location'] : undefined));
    expect(calls).toEqual(['Boston', 'Tokyo']);
    expect(new Set(two.choices[0]?.message.tool_calls?.map((c) => c.id)).size).toBe(2);
    const one = await client(GLURE).chat.completions.create({ model: 'gemini-2.5-flash', tools, messages: [{ role: 'user', content: 'What is the weather in Boston?' }] });
    const call = one.choices[0]?.message.tool_calls?.[0];
    expect(call?.type === 'function' ? JSON.parse(call.function.arguments) : null).toEqual({ location: 'Boston' });
    const none = await client(GLURE).chat.completions.create({ model: 'gemini-2.5-flash', tools, tool_choice: 'none', messages: [{ role: 'user', content: 'What is the weather in Boston?' }] });
    expect(none.choices[0]?.message.content).toBe('Hello from the decoy.');
  });

  it('models and embeddings', async () => {
    const models = await client(GLURE).models.list();
    expect(models.data.map((m) => m.id)).toContain('models/gemini-2.5-pro');
    const e = await client(GLURE).embeddings.create({ model: 'gemini-embedding-001', input: ['a', 'b'] });
    expect(e.data).toHaveLength(2);
    expect(e.data[0]?.embedding).toHaveLength(3072);
  });

  it('an unknown key raises the SDK\'s BadRequestError with Google\'s error in an array', async () => {
    try {
      await client(gkey('NobodyKnows')).chat.completions.create({ model: 'gemini-2.0-flash', messages: [{ role: 'user', content: 'hi' }] });
      throw new Error('expected an error');
    } catch (e: unknown) {
      expect(e).toBeInstanceOf(OpenAI.BadRequestError);
      expect((e as InstanceType<typeof OpenAI.BadRequestError>).status).toBe(400);
    }
    const r = await fetch(`${gw.url}/v1beta/openai/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${gkey('NobodyKnows')}` }, body: '{}' });
    const body = (await r.json()) as { error: { status: string; details: { reason?: string }[] } }[];
    expect(body[0]?.error.status).toBe('INVALID_ARGUMENT');
    expect(body[0]?.error.details[0]?.reason).toBe('API_KEY_INVALID');
  });
});

describe('the native wire', () => {
  const body = '{"contents":[{"role":"user","parts":[{"text":"Tell me a story"}]}]}';

  it('JSON-array stream with numeric enums ($alt=json;enum-encoding=int), gzip when accepted', async () => {
    const answer = split(
      await raw(
        `POST /v1beta/models/gemini-2.0-flash:streamGenerateContent?%24alt=json%3Benum-encoding%3Dint HTTP/1.1\r\nHost: x\r\nx-goog-api-key: ${GLURE}\r\nAccept-Encoding: gzip\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      ),
    );
    expect(answer.head).toContain('Content-Encoding: gzip');
    expect(answer.head).toContain('Content-Type: application/json; charset=UTF-8');
    const text = gunzipSync(dechunk(answer.body)).toString();
    expect(text.startsWith('[{\n  "candidates"')).toBe(true);
    expect(text.endsWith('\n]')).toBe(true);
    const items = JSON.parse(text) as { candidates: { finishReason?: number; safetyRatings?: { category: number }[] }[] }[];
    expect(items.length).toBeGreaterThan(1);
    expect(text.split('\n,\r\n')).toHaveLength(items.length);
    expect(items.at(-1)?.candidates[0]?.finishReason).toBe(1);
    expect(items.at(-1)?.candidates[0]?.safetyRatings?.map((r) => r.category)).toEqual([8, 10, 7, 9]);
  });

  it('errors on the array stream come in an array; on SSE and plain calls as one object', async () => {
    const bad = '{"contents":[],"nope":1}';
    const arr = await fetch(`${gw.url}/v1beta/models/gemini-2.0-flash:streamGenerateContent?key=${GLURE}`, { method: 'POST', body: bad });
    expect(arr.status).toBe(400);
    expect(await arr.text()).toMatch(/^\[\{\n {2}"error": \{/);
    const sse = await fetch(`${gw.url}/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse&key=${GLURE}`, { method: 'POST', body: bad });
    const obj = (await sse.json()) as { error: { message: string; details: { '@type': string }[] } };
    expect(obj.error.message).toBe('Invalid JSON payload received. Unknown name "nope": Cannot find field.');
    expect(obj.error.details[0]?.['@type']).toBe('type.googleapis.com/google.rpc.BadRequest');
  });

  it('malformed, oversized-window and hostile bodies get Google\'s refusals, never a crash', async () => {
    const post = (b: string): Promise<Response> => fetch(`${gw.url}/v1beta/models/gemini-2.5-flash:generateContent?key=${GLURE}`, { method: 'POST', body: b });
    const cases: [string, number, RegExp][] = [
      ['{not json', 400, /Invalid JSON payload received/],
      ['[1,2]', 400, /Invalid JSON payload received/],
      ['{"contents":[{"parts":[{"text":{"a":1}}]}]}', 400, /Invalid value at 'contents\[0\]\.parts\[0\]\.text' \(TYPE_STRING\)/],
      ['{"contents":[{"role":"system","parts":[{"text":"x"}]}]}', 400, /valid role/],
      ['{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"maxOutputTokens":-5}}', 400, /maxOutputTokens value of -5/],
      [`{"contents":[{"parts":[{"text":"${'word '.repeat(900_000)}"}]}]}`, 400, /exceeds the maximum number of tokens allowed \(1048576\)/],
      [`{"contents":${'['.repeat(3000)}${']'.repeat(3000)}}`, 400, /Invalid value|contents is not specified|Invalid JSON/],
    ];
    for (const [b, status, re] of cases) {
      const r = await post(b);
      expect(r.status, b.slice(0, 60)).toBe(status);
      expect(await r.text(), b.slice(0, 60)).toMatch(re);
    }
    const tts = await fetch(`${gw.url}/v1beta/models/gemini-2.5-flash-preview-tts:generateContent?key=${GLURE}`, { method: 'POST', body: '{"contents":[{"parts":[{"text":"x"}]}]}' });
    expect(await tts.text()).toContain('it should only be used for TTS');
    const imagen = await fetch(`${gw.url}/v1beta/models/imagen-4.0-generate-001:generateContent?key=${GLURE}`, { method: 'POST', body: '{"contents":[{"parts":[{"text":"x"}]}]}' });
    expect(imagen.status).toBe(404);
    expect(await imagen.text()).toContain('models/imagen-4.0-generate-001 is not found for API version v1beta, or is not supported for generateContent.');
    const alive = await post('{"contents":[{"parts":[{"text":"still here?"}]}]}');
    expect(alive.status).toBe(200);
  });
});

describe('HTTP/2 (h2c prior knowledge)', () => {
  it('answers with the GFE headers, no connection-specific ones, and a streamed body', async () => {
    const session = connectH2(gw.url);
    try {
      const answer = await new Promise<{ headers: Record<string, unknown>; body: string }>((resolve, reject) => {
        const req = session.request({ ':method': 'POST', ':path': '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', 'x-goog-api-key': GLURE, 'content-type': 'application/json' });
        let headers: Record<string, unknown> = {};
        let body = '';
        req.on('response', (h) => (headers = h));
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => resolve({ headers, body }));
        req.on('error', reject);
        req.end('{"contents":[{"parts":[{"text":"h2"}]}]}');
      });
      expect(answer.headers[':status']).toBe(200);
      expect(answer.headers['server']).toBe('scaffolding on HTTPServer2');
      expect(answer.headers['transfer-encoding']).toBeUndefined();
      expect(answer.body).toMatch(/^data: \{"candidates": /);
      expect(answer.body.endsWith('\r\n\r\n')).toBe(true);
    } finally {
      session.close();
    }
  });
});

describe('the persona\'s quota tells the truth', () => {
  it('request 151 in a minute on a tier-1 project\'s gemini-2.5-pro is RESOURCE_EXHAUSTED with the tier\'s limit', async () => {
    expect(TIER1).not.toBe('');
    const post = (): Promise<Response> =>
      fetch(`${gw.url}/v1beta/models/gemini-2.5-pro:generateContent`, { method: 'POST', headers: { 'x-goog-api-key': TIER1 }, body: '{"contents":[{"parts":[{"text":"q"}]}]}' });
    for (let i = 0; i < 150; i++) expect((await post()).status).toBe(200);
    const r = await post();
    expect(r.status).toBe(429);
    const body = (await r.json()) as { error: { status: string; message: string; details: Record<string, unknown>[] } };
    expect(body.error.status).toBe('RESOURCE_EXHAUSTED');
    expect(body.error.message).toContain('limit: 150, model: gemini-2.5-pro');
    expect(body.error.details[0]).toMatchObject({ violations: [{ quotaId: 'GenerateRequestsPerMinutePerProjectPerModel', quotaValue: '150' }] });
  });
});

describe('a lure whose project never enabled the API', () => {
  it('answers 403 SERVICE_DISABLED naming the persona\'s project, and is recorded as a lure', async () => {
    const r = await fetch(`${gw.url}/v1beta/models/gemini-2.5-flash:generateContent`, { method: 'POST', headers: { 'x-goog-api-key': gkey('DisabledApi') }, body: '{"contents":[{"parts":[{"text":"x"}]}]}' });
    expect(r.status).toBe(403);
    const body = (await r.json()) as { error: { status: string; message: string; details: { reason?: string; metadata?: Record<string, string> }[] } };
    const project = geminiPersona(sha256Hex(gkey('DisabledApi'))).projectNumber;
    expect(body.error.status).toBe('PERMISSION_DENIED');
    expect(body.error.message).toContain(`has not been used in project ${project} before or it is disabled`);
    expect(body.error.details[0]).toMatchObject({ reason: 'SERVICE_DISABLED', metadata: { consumer: `projects/${project}`, service: 'generativelanguage.googleapis.com' } });
    const events = await gw.waitForEvents(1);
    await new Promise((res) => setTimeout(res, 50));
    expect(events.some((e) => e.honeygate.key?.name === 'gemini-disabled' && e.honeygate.key.class === 'lure')).toBe(true);
  });
});
