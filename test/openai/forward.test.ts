/**
 * Valid keys: forwarded through a real gateway to a fake upstream, both on 127.0.0.1:0, driven by
 * the official openai SDK and by plain HTTP. Bodies must arrive byte-identical (but for the key swap),
 * streams unbuffered and identical, hop-by-hop headers stripped, aborts propagated, faults mapped.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, STREAM_PIECES, type FakeUpstream } from '../helpers/fake-upstream.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const VALID = 'sk-proj-valid-key-for-forwarding-tests-0123456789abcdefghijklmnopqrstuvwxyzT3BlbkFJ';
const PASSTHROUGH = 'sk-proj-passthrough-key-0123456789abcdefghijklmnopqrstuvwxyzT3BlbkFJ';
const UPSTREAM_KEY = 'sk-upstream-own-key-never-shown';

let upstream: FakeUpstream;
let gw: TestGateway;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  gw = await startTestGateway({
    upstreams: {
      openai: { type: 'openai', url: upstream.url, api_key: UPSTREAM_KEY, timeout: '1s' },
      direct: { type: 'openai', url: upstream.url, timeout: '1s' },
    },
    keys: [
      { name: 'alice', key: VALID, class: 'valid', upstream: 'openai' },
      { name: 'bob', key: PASSTHROUGH, class: 'valid', upstream: 'direct' },
    ],
  });
});

afterAll(async () => {
  await gw.close();
  await upstream.close();
});

function lastRequest() {
  const r = upstream.requests[upstream.requests.length - 1];
  if (!r) throw new Error('upstream saw no request');
  return r;
}

describe('forwarding valid keys', () => {
  it('the official SDK gets the upstream answer; the body arrives byte-identical with the key swapped', async () => {
    const client = new OpenAI({ apiKey: VALID, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const before = upstream.requests.length;
    const answer = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'héllo ✓' }] });
    expect(answer.choices[0]?.message.content).toBe('from upstream');
    expect(upstream.requests.length).toBe(before + 1);
    const seen = lastRequest();
    expect(JSON.parse(seen.body.toString('utf8'))).toEqual({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'héllo ✓' }] });
    expect(seen.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
    expect(seen.headers['x-stainless-lang']).toBe('js');
  });

  it('raw bytes pass unchanged, including a body that is not even JSON', async () => {
    const body = Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x00, 0x0a, 0x22, 0x7d]);
    const res = await fetch(`${gw.url}/v1/chat/completions?x=1&y=%20`, {
      method: 'POST',
      headers: { authorization: `Bearer ${VALID}`, 'content-type': 'application/octet-stream' },
      body,
    });
    await res.arrayBuffer();
    const seen = lastRequest();
    expect(seen.body.equals(body)).toBe(true);
    expect(seen.url).toBe('/v1/chat/completions?x=1&y=%20');
  });

  it("passes the client's own key through when the upstream holds none", async () => {
    const res = await fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${PASSTHROUGH}` } });
    expect(res.status).toBe(200);
    expect(lastRequest().headers.authorization).toBe(`Bearer ${PASSTHROUGH}`);
  });

  it('strips hop-by-hop headers and those named in Connection, both ways', async () => {
    const { rawRequest } = await import('../helpers/gateway.js');
    const text = await rawRequest(
      gw.url,
      `GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${VALID}\r\nConnection: close, x-secret-hop\r\nX-Secret-Hop: 1\r\nTE: trailers\r\nKeep-Alive: timeout=5\r\nProxy-Authorization: Basic Zm9vOmJhcg==\r\nX-Kept: yes\r\n\r\n`,
    );
    expect(text.startsWith('HTTP/1.1 200')).toBe(true);
    const seen = lastRequest();
    const names = seen.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
    expect(names).not.toContain('x-secret-hop');
    expect(names).not.toContain('te');
    expect(names).not.toContain('keep-alive');
    expect(names).not.toContain('proxy-authorization');
    expect(seen.headers['x-kept']).toBe('yes');
    expect(seen.headers.host).not.toBe('x');
  });

  it('streams SSE unbuffered: the first piece arrives before the upstream has finished, bytes identical', async () => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${VALID}`, 'content-type': 'application/json', 'x-test-gap-ms': '60' },
      body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reader = res.body!.getReader();
    const started = Date.now();
    const first = await reader.read();
    const firstAt = Date.now() - started;
    const parts: Uint8Array[] = [first.value!];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
    }
    const total = Date.now() - started;
    // the upstream spaces 7 writes 60 ms apart: a buffering proxy would deliver nothing until the end
    expect(total - firstAt).toBeGreaterThan(200);
    const text = Buffer.concat(parts).toString('utf8');
    for (const piece of STREAM_PIECES) expect(text).toContain(JSON.stringify(piece).slice(1, -1));
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it('the SDK reads the forwarded stream, multi-byte characters split across chunks intact', async () => {
    const client = new OpenAI({ apiKey: VALID, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe(STREAM_PIECES.join(''));
  });

  it('a client that goes away aborts the upstream request', async () => {
    const controller = new AbortController();
    const res = await fetch(`${gw.url}/v1/slow`, { method: 'POST', headers: { authorization: `Bearer ${VALID}` }, body: '{}', signal: controller.signal });
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    await expect(Promise.race([upstream.aborted.then(() => 'aborted'), new Promise((r) => setTimeout(() => r('timeout'), 3000))])).resolves.toBe('aborted');
  });

  it('an upstream 5xx becomes a generic OpenAI error without upstream detail', async () => {
    const res = await fetch(`${gw.url}/v1/status/500`, { method: 'POST', headers: { authorization: `Bearer ${VALID}` }, body: '{}' });
    expect(res.status).toBe(502);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ error: { message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error', param: null, code: null } });
    expect(text).not.toContain('upstream says no');
    expect(res.headers.get('x-upstream-secret')).toBeNull();
  });

  it('an upstream 4xx is the provider speaking: passed through', async () => {
    const res = await fetch(`${gw.url}/v1/status/404`, { method: 'POST', headers: { authorization: `Bearer ${VALID}` }, body: '{}' });
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('upstream says no');
  });

  it('an upstream that never answers times out as a 504', async () => {
    const res = await fetch(`${gw.url}/v1/hang`, { method: 'POST', headers: { authorization: `Bearer ${VALID}` }, body: '{}' });
    expect(res.status).toBe(504);
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe('server_error');
  });

  it('an upstream that refuses connections gives a 502', async () => {
    const dead = await startTestGateway({
      upstreams: { openai: { type: 'openai', url: 'http://127.0.0.1:9', timeout: '1s' } },
      keys: [{ key: VALID, class: 'valid', upstream: 'openai' }],
    });
    try {
      const res = await fetch(`${dead.url}/v1/models`, { headers: { authorization: `Bearer ${VALID}` } });
      expect(res.status).toBe(502);
      const body = await res.text();
      expect(body).not.toMatch(/ECONNREFUSED|127\.0\.0\.1:9/);
    } finally {
      await dead.close();
    }
  });

  it('records one event per request with the key fingerprint, never the key', async () => {
    const n = gw.events.length;
    await fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${VALID}`, 'user-agent': 'curl/8.5.0' } });
    const events = await gw.waitForEvents(n + 1);
    const e = events[events.length - 1]!;
    expect(e.honeygate.key?.class).toBe('valid');
    expect(e.honeygate.key?.fingerprint).toMatch(/^sha256:[0-9a-f]{16}$/);
    expect(e.honeygate.verdict).toEqual({ action: 'forward', reason: 'valid_key' });
    expect(e.honeygate.client?.name).toBe('curl');
    expect(e.http?.response.status_code).toBe(200);
    // streamed answers are marked as streams with the upstream's time, even though the event is
    // built at the client's close (possibly before the forwarder's promise settles)
    const streamed = events.filter((x) => x.honeygate.stream === true);
    expect(streamed.length).toBeGreaterThanOrEqual(2);
    for (const x of streamed) expect(x.honeygate.upstream_ms).toBeGreaterThan(0);
    expect(events.find((x) => x.url?.path === '/v1/models')?.honeygate.stream).toBe(false);
    const all = JSON.stringify(events);
    expect(all).not.toContain(VALID);
    expect(all).not.toContain(PASSTHROUGH);
    expect(all).not.toContain(UPSTREAM_KEY);
  });
});
