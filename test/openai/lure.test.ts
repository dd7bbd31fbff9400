/**
 * Lure keys: the decoy answers every request shape so that the official SDK parses it; a real lure
 * upstream receives the lure prompt injected in every shape with its own burner key; the threshold
 * ends in OpenAI's quota error and an IP block; canaries round-trip to an attributed event.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const LURE = 'sk-proj-LureKeyForDecoyTests0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHT3BlbkFJ0123456789';
const LURE_UP = 'sk-proj-LureKeyWithRealUpstream0123456789abcdefghijklmnopqrstuvwxyzT3BlbkFJ';
const LURE_LIMITED = 'sk-proj-LureKeyWithThreshold0123456789abcdefghijklmnopqrstuvwxyzT3BlbkFJ';
const LURE_SLOW = 'sk-proj-LureKeyWithDelay0123456789abcdefghijklmnopqrstuvwxyzT3BlbkFJ';
const LURE_PACED = 'sk-proj-LureKeyWithRealisticTiming0123456789abcdefghijklmnopqrstuvwxyzT3BlbkFJ';
const VALID = 'sk-proj-ValidKeyOfTheSameClient0123456789abcdefghijklmnopqrstuvwxyzT3BlbkFJ';
const BURNER = 'sk-burner-key-of-the-lure-upstream';
const PROMPT = 'LURE-PROMPT: answer briefly.';

let upstream: FakeUpstream;
let gw: TestGateway;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  gw = await startTestGateway({
    upstreams: {
      real: { type: 'openai', url: upstream.url },
      burner: { type: 'openai', url: upstream.url, api_key: BURNER },
    },
    trusted_proxies: ['127.0.0.1/32'],
    // answers at once here; one test below turns realistic timing on
    lure_defaults: { realistic_timing: false },
    keys: [
      { name: 'decoy-lure', key: LURE, class: 'lure', campaign: 'github-leak', placement: 'repo x/.env', reply: 'Use {{canary:url}} with key {{canary:api_key}}.', max_requests: 1000 },
      { name: 'upstream-lure', key: LURE_UP, class: 'lure', upstream: 'burner', prompt: PROMPT, max_requests: 1000 },
      { name: 'limited-lure', key: LURE_LIMITED, class: 'lure', max_requests: 2, block_duration: '1h' },
      { name: 'slow-lure', key: LURE_SLOW, class: 'lure', response_delay: '300ms' },
      { name: 'paced-lure', key: LURE_PACED, class: 'lure', realistic_timing: true },
      { name: 'valid', key: VALID, class: 'valid', upstream: 'real' },
    ],
  });
});

afterAll(async () => {
  await gw.close();
  await upstream.close();
});

const sdk = (key: string, headers: Record<string, string> = {}): OpenAI =>
  new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0, defaultHeaders: headers });

describe('the decoy answers lure keys as the real API does', () => {
  it('chat completion: parsed by the SDK, real token counts, dated model, persona headers', async () => {
    const { data, response } = await sdk(LURE)
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello there' }] })
      .withResponse();
    expect(data.object).toBe('chat.completion');
    expect(data.id).toMatch(/^chatcmpl-[A-Za-z0-9]{29}$/);
    expect(data.model).toMatch(/^gpt-4o-mini-\d{4}-\d{2}-\d{2}$/);
    expect(data.choices[0]?.message.content).toMatch(/^Use http:\/\/127\.0\.0\.1:\d+\/c\/[A-Za-z0-9_-]{22} with key sk-/);
    expect(data.usage?.prompt_tokens).toBeGreaterThan(3);
    expect(data.usage?.total_tokens).toBe((data.usage?.prompt_tokens ?? 0) + (data.usage?.completion_tokens ?? 0));
    expect(response.headers.get('openai-organization')).toMatch(/^(user-[a-z0-9]{24}|[a-z0-9-]+)$/);
    expect(response.headers.get('openai-project')).toMatch(/^proj_[A-Za-z0-9]{24}$/);
    expect(response.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/);
    expect(response.headers.get('x-ratelimit-limit-requests')).toMatch(/^\d+$/);
    expect(response.headers.get('keep-alive')).toBeNull();
  });

  it('the same lure key shows the same account on every request; remaining requests fall', async () => {
    const a = await sdk(LURE).models.list().withResponse();
    const b = await sdk(LURE).models.list().withResponse();
    expect(a.response.headers.get('openai-organization')).toBe(b.response.headers.get('openai-organization'));
    expect(a.response.headers.get('openai-project')).toBe(b.response.headers.get('openai-project'));
    const ra = Number(a.response.headers.get('x-ratelimit-remaining-requests'));
    const rb = Number(b.response.headers.get('x-ratelimit-remaining-requests'));
    expect(rb).toBeLessThan(ra);
    expect(a.data.data.length).toBeGreaterThan(5);
  });

  it('chat stream with include_usage: chunks, a usage chunk, [DONE]', async () => {
    const stream = await sdk(LURE).chat.completions.create({
      model: 'gpt-4o',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'Hi' }],
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toMatch(/^Use http/);
    expect(usage?.completion_tokens).toBeGreaterThan(5);
  });

  it('Responses API, plain and streamed', async () => {
    const r = await sdk(LURE).responses.create({ model: 'gpt-4o-mini', input: 'Hello', instructions: 'Be brief.' });
    expect(r.output_text).toMatch(/^Use http/);
    expect(r.instructions).toBe('Be brief.');
    const stream = await sdk(LURE).responses.create({ model: 'gpt-4o-mini', input: 'Hello', stream: true });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    expect(types[0]).toBe('response.created');
    expect(types).toContain('response.output_text.delta');
    expect(types[types.length - 1]).toBe('response.completed');
  });

  it('legacy completions and embeddings (the SDK asks base64 and decodes it)', async () => {
    const c = await sdk(LURE).completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'Say hi' });
    expect(c.choices[0]?.text).toMatch(/^Use http/);
    const e = await sdk(LURE).embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b'] });
    expect(e.data).toHaveLength(2);
    expect(e.data[0]?.embedding).toHaveLength(1536);
    const norm = Math.sqrt((e.data[0]?.embedding ?? []).reduce((s, v) => s + v * v, 0));
    expect(norm).toBeCloseTo(1, 3);
    const again = await sdk(LURE).embeddings.create({ model: 'text-embedding-3-small', input: 'a', dimensions: 256 });
    expect(again.data[0]?.embedding).toHaveLength(256);
  });

  it('structured output and tools: the answer parses as the client asked', async () => {
    const r = await sdk(LURE).chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'weather?' }],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }],
    });
    const call = r.choices[0]?.message.tool_calls?.[0];
    expect(call?.type).toBe('function');
    expect(r.choices[0]?.finish_reason).toBe('tool_calls');
    const s = await sdk(LURE).chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'json' }],
      response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object', properties: { n: { type: 'integer' }, s: { type: 'string' } } } } },
    });
    const parsed = JSON.parse(s.choices[0]?.message.content ?? '') as { n: number; s: string };
    expect(typeof parsed.n).toBe('number');
    expect(typeof parsed.s).toBe('string');
  });

  it('an unknown model is refused exactly as OpenAI does (legacy layer, 4 spaces, trailing newline)', async () => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${LURE}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-9-nonexistent', messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('vary')).toBe('Origin');
    expect(await res.text()).toBe(
      '{\n    "error": {\n        "message": "The model `gpt-9-nonexistent` does not exist or you do not have access to it.",\n        "type": "invalid_request_error",\n        "param": null,\n        "code": "model_not_found"\n    }\n}\n',
    );
  });

  it('unknown URL, wrong method, malformed JSON and oversized bodies get OpenAI errors', async () => {
    const h = { authorization: `Bearer ${LURE}`, 'content-type': 'application/json' };
    const unknown = await fetch(`${gw.url}/v1/foo`, { method: 'POST', headers: h, body: '{}' });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { message: string } }).error.message).toBe('Invalid URL (POST /v1/foo)');
    const method = await fetch(`${gw.url}/v1/embeddings`, { method: 'GET', headers: h });
    expect(method.status).toBe(405);
    expect(((await method.json()) as { error: { message: string } }).error.message).toBe('Invalid method for URL (GET /v1/embeddings)');
    const bad = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: h, body: '{"model": "gpt-4o",' });
    expect(bad.status).toBe(400);
    const badText = await bad.text();
    expect(badText.startsWith('{\n    "error": {\n        "message": "We could not parse the JSON body of your request.')).toBe(true);
    const notObject = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: h, body: '[1,2]' });
    expect(notObject.status).toBe(400);
    const huge = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: h, body: 'x'.repeat(33 * 1024 * 1024) });
    expect(huge.status).toBe(413);
  });
});

describe('lure prompt injection into every shape, sent to a real lure upstream with its burner key', () => {
  const post = async (path: string, body: unknown): Promise<Record<string, unknown>> => {
    const res = await fetch(`${gw.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${LURE_UP}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    await res.arrayBuffer();
    const seen = upstream.requests[upstream.requests.length - 1]!;
    expect(seen.headers.authorization).toBe(`Bearer ${BURNER}`);
    return JSON.parse(seen.body.toString('utf8')) as Record<string, unknown>;
  };

  it('chat: string content, content parts, an existing system message, developer role, streaming', async () => {
    let seen = await post('/v1/chat/completions', { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    expect(seen['messages']).toEqual([{ role: 'system', content: PROMPT }, { role: 'user', content: 'hi' }]);
    seen = await post('/v1/chat/completions', { model: 'gpt-4o-mini', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] });
    expect((seen['messages'] as unknown[])[0]).toEqual({ role: 'system', content: PROMPT });
    seen = await post('/v1/chat/completions', { model: 'gpt-4o-mini', messages: [{ role: 'system', content: 'theirs' }, { role: 'user', content: 'hi' }] });
    expect(seen['messages']).toEqual([{ role: 'system', content: PROMPT }, { role: 'system', content: 'theirs' }, { role: 'user', content: 'hi' }]);
    seen = await post('/v1/chat/completions', { model: 'o3-mini', messages: [{ role: 'developer', content: 'theirs' }, { role: 'user', content: 'hi' }] });
    expect((seen['messages'] as unknown[])[0]).toEqual({ role: 'developer', content: PROMPT });
    seen = await post('/v1/chat/completions', { model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    expect((seen['messages'] as unknown[])[0]).toEqual({ role: 'system', content: PROMPT });
  });

  it('responses: a developer message first in input, instructions untouched (they are echoed back); completions: string and list prompts', async () => {
    let seen = await post('/v1/responses', { model: 'gpt-4o-mini', input: 'hi', instructions: 'theirs' });
    expect(seen['instructions']).toBe('theirs');
    expect(seen['input']).toEqual([{ role: 'developer', content: PROMPT }, { role: 'user', content: 'hi' }]);
    seen = await post('/v1/responses', { model: 'gpt-4o-mini', input: [{ role: 'user', content: 'hi' }] });
    expect(seen['input']).toEqual([{ role: 'developer', content: PROMPT }, { role: 'user', content: 'hi' }]);
    expect(seen['instructions']).toBeUndefined();
    seen = await post('/v1/completions', { model: 'gpt-3.5-turbo-instruct', prompt: 'hi' });
    expect(seen['prompt']).toBe(`${PROMPT}\n\nhi`);
    seen = await post('/v1/completions', { model: 'gpt-3.5-turbo-instruct', prompt: ['a', 'b'] });
    expect(seen['prompt']).toEqual([`${PROMPT}\n\na`, `${PROMPT}\n\nb`]);
  });
});

describe('threshold, block, tarpit', () => {
  it('after max_requests billable answers the lure persona is out of quota for everyone, and no other key is touched', async () => {
    const headers = { 'x-forwarded-for': '198.51.100.77' };
    // free requests (listings, refused probes) do not spend the lure
    for (let i = 0; i < 5; i++) {
      expect((await sdk(LURE_LIMITED, headers).models.list()).data.length).toBeGreaterThan(0);
      await expect(sdk(LURE_LIMITED, headers).chat.completions.create({ model: 'babbage-002', max_tokens: -1, messages: [{ role: 'user', content: '' }] })).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    }
    for (let i = 0; i < 2; i++) {
      const r = await sdk(LURE_LIMITED, headers).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] });
      expect(r.object).toBe('chat.completion');
    }
    const over = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...headers, authorization: `Bearer ${LURE_LIMITED}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(over.status).toBe(429);
    expect(((await over.json()) as { error: unknown }).error).toEqual({
      message:
        'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.',
      type: 'insufficient_quota',
      param: null,
      code: 'insufficient_quota',
    });
    // another key from the same address is not tied to the lure
    expect((await sdk(VALID, headers).models.list()).data.length).toBeGreaterThan(0);
    // the persona is out of quota for every client, and stays so
    await expect(sdk(LURE_LIMITED, { 'x-forwarded-for': '198.51.100.78' }).models.list()).rejects.toMatchObject({ status: 429, code: 'insufficient_quota' });
  });

  it('realistic timing: the answer takes what openai-processing-ms says; a stream sends headers at the first token', async () => {
    const started = Date.now();
    const { response } = await sdk(LURE_PACED, { 'x-forwarded-for': '198.51.100.91' })
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] })
      .withResponse();
    const reported = Number(response.headers.get('openai-processing-ms'));
    expect(reported).toBeGreaterThan(50);
    expect(Date.now() - started).toBeGreaterThanOrEqual(reported - 5);
    const t0 = Date.now();
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${LURE_PACED}`, 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.91' },
      body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hello' }] }),
    });
    const firstByte = Date.now() - t0;
    const ttft = Number(res.headers.get('openai-processing-ms'));
    await res.text();
    const total = Date.now() - t0;
    expect(firstByte).toBeGreaterThanOrEqual(ttft - 5);
    expect(total).toBeGreaterThan(firstByte);
  });

  it('response_delay holds the answer back', async () => {
    const started = Date.now();
    await sdk(LURE_SLOW, { 'x-forwarded-for': '198.51.100.90' }).models.list();
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });
});

describe('canaries', () => {
  it('a canary URL hit and a canary key use link back to the lure request that minted them', async () => {
    const client = '203.0.113.50';
    const r = await sdk(LURE, { 'x-forwarded-for': client }).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'creds?' }] });
    const text = r.choices[0]?.message.content ?? '';
    const url = /(http:\/\/\S+\/c\/[A-Za-z0-9_-]{22})/.exec(text)?.[1];
    const key = /key (sk-\S+?)\.$/.exec(text)?.[1];
    expect(url).toBeDefined();
    expect(key).toBeDefined();
    // the same attacker sees the same canaries again; another attacker different ones
    const again = await sdk(LURE, { 'x-forwarded-for': client }).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'again' }] });
    expect(again.choices[0]?.message.content).toBe(text);
    const other = await sdk(LURE, { 'x-forwarded-for': '203.0.113.51' }).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] });
    expect(other.choices[0]?.message.content).not.toBe(text);

    const mintEvent = (await gw.waitForEvents(1)).find((e) => e.source?.ip === client && (e.honeygate.lure?.canaries?.length ?? 0) > 0);
    expect(mintEvent).toBeDefined();

    const hit = await fetch(url!.replace(/^http:\/\/[^/]+/, gw.url), { headers: { 'x-forwarded-for': '192.0.2.200' } });
    expect(hit.status).toBe(404);
    expect(((await hit.json()) as { error: { message: string } }).error.message).toMatch(/^Invalid URL \(GET \/c\//);
    const keyUse = await fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${key!}` } });
    expect(keyUse.status).toBe(401);

    const until = Date.now() + 3000;
    let canaryEvents = gw.events.filter((e) => e.event.dataset === 'honeygate.canary');
    while (canaryEvents.length < 2 && Date.now() < until) {
      await new Promise((res) => setTimeout(res, 20));
      canaryEvents = gw.events.filter((e) => e.event.dataset === 'honeygate.canary');
    }
    expect(canaryEvents.map((e) => e.honeygate.canary?.via).sort()).toEqual(['api_key', 'http']);
    for (const e of canaryEvents) {
      expect(e.honeygate.canary?.minted_for_ip).toBe(client);
      expect(e.honeygate.key?.campaign).toBe('github-leak');
      expect([mintEvent!.event.id]).toContain(e.honeygate.canary?.minted_by);
    }
    expect(canaryEvents.find((e) => e.honeygate.canary?.via === 'http')?.source?.ip).toBe('192.0.2.200');
  });
});

describe('lure events', () => {
  it('carry class, campaign, placement, the prompt, MITRE tags — and never a raw key', async () => {
    await sdk(LURE, { 'x-forwarded-for': '203.0.113.99' }).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'steal this' }] });
    await gw.waitForEvents(1);
    const e = gw.events.filter((x) => x.source?.ip === '203.0.113.99').pop()!;
    expect(e.event.kind).toBe('alert');
    expect(e.honeygate.key).toMatchObject({ class: 'lure', campaign: 'github-leak', placement: 'repo x/.env', name: 'decoy-lure' });
    expect(e.honeygate.key?.mask).toMatch(/^sk-proj-\*+0123456789$|^sk-proj-\*+[A-Za-z0-9]{4}$/);
    expect(e.honeygate.lure?.prompt).toBe('steal this');
    // the lure details in the event's order: the pipeline's count and max, then this request's (usage: the decoy's answer)
    expect(Object.keys(e.honeygate.lure ?? {})).toEqual(['count', 'max', 'prompt', 'canaries', 'injected', 'usage']);
    expect(e.honeygate.lure?.injected).toBe(false);
    expect(e.honeygate.lure?.canaries).toHaveLength(2);
    expect(e.honeygate.model).toBe('gpt-4o-mini');
    expect(e.threat?.technique.id).toContain('T1496');
    // a lure upstream (injection) and a reply without canaries: no canaries field at all
    await sdk(LURE_UP, { 'x-forwarded-for': '203.0.113.98' }).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'steal that' }] });
    // the event is published when the response closes, which may be just after the SDK resolved
    for (let i = 0; i < 500 && !gw.events.some((x) => x.source?.ip === '203.0.113.98'); i++) await new Promise((r) => setTimeout(r, 10));
    const up = gw.events.filter((x) => x.source?.ip === '203.0.113.98').pop()!;
    expect(up.honeygate.lure).toEqual({ count: expect.any(Number), max: 1000, prompt: 'steal that', injected: true });
    expect(Object.keys(up.honeygate.lure ?? {})).toEqual(['count', 'max', 'prompt', 'injected']);
    const all = JSON.stringify(gw.events);
    for (const k of [LURE, LURE_UP, LURE_LIMITED, LURE_SLOW, VALID, BURNER]) expect(all).not.toContain(k);
  });
});
