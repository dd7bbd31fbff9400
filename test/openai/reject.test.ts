/**
 * Refusals as api.openai.com answers them (wire-spec A1.2, A2): missing and invalid keys byte for
 * byte, the 401 header set, network policy, X-Forwarded-For only through trusted proxies, rate
 * limits per ip / key / header with exemptions, hostile input.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { rawRequest, startTestGateway, type TestGateway } from '../helpers/gateway.js';

const VALID = 'sk-proj-ValidKeyRejectTests0123456789abcdefghijklmnopqrstuvwxyzT3BlbkFJabcd';
const LIMITED = 'sk-proj-ValidKeyLimitedTests0123456789abcdefghijklmnopqrstuvwxyzT3BlbkFJ';
const USERS = 'sk-proj-ValidKeyPerUserTests0123456789abcdefghijklmnopqrstuvwxyzT3BlbkFJ';

let upstream: FakeUpstream;
let gw: TestGateway;
let proxied: TestGateway;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  gw = await startTestGateway({
    upstreams: { openai: { type: 'openai', url: upstream.url } },
    network: { deny: ['10.0.0.0/8', '2001:db8:bad::/48'] },
    limits: {
      rules: [
        { name: 'per-user', by: 'header:x-user-id', limit: 2, window: '1m' },
        { name: 'per-key', by: 'key', limit: 3, window: '1m' },
      ],
    },
    keys: [
      { key: VALID, class: 'valid', upstream: 'openai' },
      { key: LIMITED, class: 'valid', upstream: 'openai' },
      { key: USERS, class: 'valid', upstream: 'openai' },
    ],
  });
  proxied = await startTestGateway({
    upstreams: { openai: { type: 'openai', url: upstream.url } },
    trusted_proxies: ['127.0.0.1/32', '::1/128'],
    network: { deny: ['10.0.0.0/8', '2001:db8:bad::/48'] },
    limits: {
      exempt: ['192.0.2.0/24'],
      rules: [
        { name: 'per-ip', by: 'ip', limit: 2, window: '1m', exempt: ['198.18.0.0/15'] },
        { name: 'per-ip-hour', by: 'ip', limit: 100, window: '1h' },
      ],
    },
    keys: [{ key: VALID, class: 'valid', upstream: 'openai' }],
  });
});

afterAll(async () => {
  await gw.close();
  await proxied.close();
  await upstream.close();
});

function headerNames(raw: string): string[] {
  const head = raw.split('\r\n\r\n')[0] ?? '';
  return head.split('\r\n').slice(1).map((l) => l.slice(0, l.indexOf(':')));
}

describe('authentication errors, byte for byte', () => {
  it('no key on chat completions: the legacy layer\'s 401 (4-space JSON, newline, charset, Vary, no www-authenticate)', async () => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBeNull();
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('vary')).toBe('Origin');
    expect(res.headers.get('openai-organization')).toBeNull();
    expect(await res.text()).toBe(
      `{\n    "error": {\n        "message": "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.",\n        "type": "invalid_request_error",\n        "param": null,\n        "code": null\n    }\n}\n`,
    );
  });

  it('no key elsewhere: the exact 401 body, www-authenticate, no account headers', async () => {
    const res = await fetch(`${gw.url}/v1/embeddings`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="OpenAI API"');
    expect(res.headers.get('openai-organization')).toBeNull();
    expect(res.headers.get('x-ratelimit-limit-requests')).toBeNull();
    expect(await res.text()).toBe(
      `{\n  "error": {\n    "message": "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.",\n    "type": "invalid_request_error",\n    "param": null,\n    "code": null\n  }\n}`,
    );
  });

  it('a wrong 13-character key: 242 bytes exactly as recorded, masked as OpenAI masks', async () => {
    const res = await fetch(`${gw.url}/v1/models`, { headers: { authorization: 'Bearer fk-fakekey123' } });
    expect(res.status).toBe(401);
    const text = await res.text();
    expect(text.length).toBe(242);
    expect(text).toBe(
      '{\n  "error": {\n    "message": "Incorrect API key provided: fk-fakek*y123. You can find your API key at https://platform.openai.com/account/api-keys.",\n    "type": "invalid_request_error",\n    "param": null,\n    "code": "invalid_api_key"\n  }\n}',
    );
    expect(res.headers.get('content-length')).toBe('242');
  });

  it('masks a 164-char project key keeping its length; short garbage is echoed whole', async () => {
    const key = `sk-proj-${'A'.repeat(74)}T3BlbkFJ${'b'.repeat(73)}Q`;
    expect(key.length).toBe(164);
    const client = new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const err = await client.models.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    const message = (err as InstanceType<typeof OpenAI.AuthenticationError>).message;
    expect(message).toContain(`Incorrect API key provided: sk-proj-${'*'.repeat(152)}bbbQ.`);
    const short = await fetch(`${gw.url}/v1/models`, { headers: { authorization: 'Bearer API_KEY' } });
    expect(((await short.json()) as { error: { message: string } }).error.message).toContain('provided: API_KEY.');
  });

  it('the 401 header set and order over HTTP/1.1: no Keep-Alive or framework headers', async () => {
    const raw = await rawRequest(gw.url, 'GET /v1/models HTTP/1.1\r\nHost: api.openai.com\r\nAuthorization: Bearer nope-nope-nope-nope\r\nConnection: close\r\n\r\n');
    expect(raw.startsWith('HTTP/1.1 401 Unauthorized\r\n')).toBe(true);
    expect(headerNames(raw)).toEqual([
      'Date', 'Content-Type', 'Content-Length', 'Connection', 'www-authenticate', 'openai-version', 'x-request-id', 'openai-processing-ms',
      'x-openai-proxy-wasm', 'CF-Cache-Status', 'set-cookie', 'Strict-Transport-Security',
      'X-Content-Type-Options', 'Server', 'CF-Ray', 'alt-svc',
    ]);
    expect(raw).toMatch(/\r\nCF-Ray: [0-9a-f]{16}-[A-Z]{3}\r\n/);
    // the 2026 cookie: one __cf_bm, a fractional timestamp, the attributes in the edge's order
    expect(raw).toMatch(/\r\nset-cookie: __cf_bm=[A-Za-z0-9._]{43}-\d{10}\.\d{7}-1\.0\.1\.1-[A-Za-z0-9._]{150}; HttpOnly; Secure; Path=\/; Domain=api\.openai\.com; Expires=\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT\r\n/);
  });

  it('other schemes, empty bearer and basic auth without password count as no key; basic with the key as password is read', async () => {
    for (const auth of ['Token abc', 'Bearer ', 'Basic ' + Buffer.from('user:').toString('base64'), 'garbage']) {
      const res = await fetch(`${gw.url}/v1/models`, { headers: { authorization: auth } });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/^You didn't provide an API key/);
    }
    const basic = await fetch(`${gw.url}/v1/models`, { headers: { authorization: 'Basic ' + Buffer.from(`:${VALID}`).toString('base64') } });
    expect(basic.status).toBe(200);
  });

  it('paths outside /v1 answer as an unknown OpenAI URL', async () => {
    const res = await fetch(`${gw.url}/admin/../etc/passwd?x=1`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/^Invalid URL \(GET \//);
  });
});

describe('network policy and client addresses', () => {
  it('a denied client gets the unsupported-region 403; deny holds over IPv6 too', async () => {
    const res = await fetch(`${proxied.url}/v1/models`, { headers: { authorization: `Bearer ${VALID}`, 'x-forwarded-for': '10.1.2.3' } });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unsupported_country_region_territory');
    const v6 = await fetch(`${proxied.url}/v1/models`, { headers: { authorization: `Bearer ${VALID}`, 'x-forwarded-for': '2001:db8:bad:1::5' } });
    expect(v6.status).toBe(403);
  });

  it('a spoofed X-Forwarded-For from an untrusted peer is ignored', async () => {
    const res = await fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${VALID}`, 'x-forwarded-for': '10.1.2.3' } });
    expect(res.status).toBe(200);
    await gw.waitForEvents(1);
    expect(gw.events[gw.events.length - 1]?.source?.ip).toBe('127.0.0.1');
  });

  it('through a trusted proxy the right-most untrusted hop is the client; a forged left part changes nothing', async () => {
    const res = await fetch(`${proxied.url}/v1/models`, { headers: { authorization: `Bearer ${VALID}`, 'x-forwarded-for': '10.9.9.9, 198.51.100.1' } });
    expect(res.status).toBe(200);
    await proxied.waitForEvents(1);
    expect(proxied.events[proxied.events.length - 1]?.source?.ip).toBe('198.51.100.1');
    const junk = await fetch(`${proxied.url}/v1/models`, { headers: { authorization: `Bearer ${VALID}`, 'x-forwarded-for': 'not-an-ip, <script>' } });
    expect(junk.status).toBe(200);
  });
});

describe('rate limits', () => {
  it('per ip through trusted proxies: the third request in the window is refused, other clients are not', async () => {
    const h = (ip: string) => ({ authorization: `Bearer ${VALID}`, 'x-forwarded-for': ip });
    expect((await fetch(`${proxied.url}/v1/models`, { headers: h('203.0.113.1') })).status).toBe(200);
    expect((await fetch(`${proxied.url}/v1/models`, { headers: h('203.0.113.1') })).status).toBe(200);
    const third = await fetch(`${proxied.url}/v1/models`, { headers: h('203.0.113.1') });
    expect(third.status).toBe(429);
    const body = (await third.json()) as { error: { type: string; code: string; message: string } };
    expect(body.error.code).toBe('rate_limit_exceeded');
    expect(body.error.type).toBe('requests');
    expect(body.error.message).toMatch(/^Rate limit reached .* on requests per min \(RPM\): Limit 2, Used 2, Requested 1\. Please try again in \d+s\./);
    expect((await fetch(`${proxied.url}/v1/models`, { headers: h('203.0.113.2') })).status).toBe(200);
  });

  it('exempt ranges: globally, and per rule (the other rules still count)', async () => {
    const h = (ip: string) => ({ authorization: `Bearer ${VALID}`, 'x-forwarded-for': ip });
    for (let i = 0; i < 5; i++) expect((await fetch(`${proxied.url}/v1/models`, { headers: h('192.0.2.9') })).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await fetch(`${proxied.url}/v1/models`, { headers: h('198.18.3.4') })).status).toBe(200);
  });

  it('IPv6 clients are limited per /64', async () => {
    const h = (ip: string) => ({ authorization: `Bearer ${VALID}`, 'x-forwarded-for': ip });
    expect((await fetch(`${proxied.url}/v1/models`, { headers: h('2001:db8:1:2::1') })).status).toBe(200);
    expect((await fetch(`${proxied.url}/v1/models`, { headers: h('2001:db8:1:2::ffff') })).status).toBe(200);
    expect((await fetch(`${proxied.url}/v1/models`, { headers: h('2001:db8:1:2:aaaa::9') })).status).toBe(429);
    expect((await fetch(`${proxied.url}/v1/models`, { headers: h('2001:db8:1:3::1') })).status).toBe(200);
  });

  it('per header (a user id) and per key, with an exempt range', async () => {
    const user = (id: string) => ({ authorization: `Bearer ${USERS}`, 'x-user-id': id });
    expect((await fetch(`${gw.url}/v1/models`, { headers: user('u1') })).status).toBe(200);
    expect((await fetch(`${gw.url}/v1/models`, { headers: user('u1') })).status).toBe(200);
    expect((await fetch(`${gw.url}/v1/models`, { headers: user('u1') })).status).toBe(429);
    expect((await fetch(`${gw.url}/v1/models`, { headers: user('u2') })).status).toBe(200);
    const key = { authorization: `Bearer ${LIMITED}` };
    for (let i = 0; i < 3; i++) expect((await fetch(`${gw.url}/v1/models`, { headers: key })).status).toBe(200);
    expect((await fetch(`${gw.url}/v1/models`, { headers: key })).status).toBe(429);
  });
});

describe('hostile input', () => {
  it('malformed HTTP gets a bare 400 and a closed connection, not a stack trace', async () => {
    const raw = await rawRequest(gw.url, 'GET /v1/models HTTP/1.1\r\nHost x\r\n\r\n');
    expect(raw.startsWith('HTTP/1.1 400 Bad Request\r\n')).toBe(true);
    expect(raw).not.toMatch(/Error|at .*\.js/);
  });

  it('oversized headers get 431', async () => {
    const raw = await rawRequest(gw.url, `GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${'a'.repeat(40000)}\r\n\r\n`);
    expect(raw.startsWith('HTTP/1.1 431')).toBe(true);
  });

  it('an oversized forwarded body is refused before the upstream sees it', async () => {
    const small = await startTestGateway({
      upstreams: { openai: { type: 'openai', url: upstream.url } },
      max_body_bytes: 2048,
      keys: [{ key: VALID, class: 'valid', upstream: 'openai' }],
    });
    try {
      const before = upstream.requests.length;
      const res = await fetch(`${small.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${VALID}` }, body: 'x'.repeat(5000) });
      expect(res.status).toBe(413);
      expect(upstream.requests.length).toBe(before);
    } finally {
      await small.close();
    }
  });

  it('control characters and odd encodings in the path are answered, not crashed on', async () => {
    for (const path of ['/v1/%00%ff', '/v1/models/..%2f..%2fetc', '/v1/' + 'x'.repeat(6000)]) {
      const res = await fetch(`${gw.url}${path}`, { headers: { authorization: 'Bearer wrong-key-1234567' } });
      expect(res.status).toBe(401);
    }
  });
});
