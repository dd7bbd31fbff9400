/**
 * Forwarding on a plain tool route (issue 10, part 1): prefix replaced by the upstream path, query
 * kept, bodies streamed (and cut at the limit when chunked), SSE unbuffered, client aborts reach the
 * API, upstream faults as problem details that leak nothing; a secret-only route without a token.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretDigest } from '../../src/providers/tool/secrets.js';
import { configFrom, rawRequest, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startApi, type FakeApi } from './helpers/api.js';

const SECRET = 'hgs_forward-secret-0123456789abcdefghijklmnop';
const LURE = 'hgs_forward-lure-0123456789abcdefghijklmnopqr';
const hash = `sha256:${secretDigest(SECRET).toString('hex')}`;
let api: FakeApi;
let gw: TestGateway;

beforeAll(async () => {
  api = await startApi();
  gw = await startTestGateway({
    max_body_bytes: 1_000_000,
    routes: [
      { name: 'plain', prefix: '/plain/', upstream: `${api.url}/base/`, max_body_bytes: 2048, timeout: '300ms', auth: { secrets: [{ name: 's', hash }] } },
      { name: 'down', prefix: '/down', upstream: 'http://127.0.0.1:9/', auth: { secrets: [{ name: 's', hash }] } },
      {
        name: 'decoyed',
        prefix: '/decoyed',
        upstream: `${api.url}/real`,
        auth: { secrets: [{ name: 's', hash }, { name: 'planted', hash: `sha256:${secretDigest(LURE).toString('hex')}`, lure: true }] },
        lure: { upstream: `${api.url}/decoy` },
      },
    ],
  });
});

afterAll(async () => {
  await gw.close();
  await api.close();
});

const auth = { authorization: `Bearer ${SECRET}` };

describe('forwarding on a tool route', () => {
  it('replaces the prefix with the upstream path and keeps the query', async () => {
    const res = await fetch(`${gw.url}/plain/a/b?q=%20x&y=1`, { headers: auth });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-api')).toBe('real');
    expect(((await res.json()) as { url: string }).url).toBe('/base/a/b?q=%20x&y=1');
    const root = await fetch(`${gw.url}/plain`, { headers: auth });
    expect(((await root.json()) as { url: string }).url).toBe('/base');
  });

  it('streams a body through byte for byte', async () => {
    const body = Buffer.from([0x7b, 0xff, 0x00, 0x0a, 0x7d]);
    const res = await fetch(`${gw.url}/plain/upload`, { method: 'POST', headers: { ...auth, 'content-type': 'application/octet-stream' }, body });
    expect(res.status).toBe(200);
    expect(api.seen.at(-1)!.body.equals(body)).toBe(true);
  });

  it('refuses a body over the route limit: declared (413 before reading) and chunked (cut while streaming)', async () => {
    const n = api.seen.length;
    const declared = await fetch(`${gw.url}/plain/upload`, { method: 'POST', headers: auth, body: 'x'.repeat(5000) });
    expect(declared.status).toBe(413);
    expect(api.seen.length).toBe(n);
    const status = await new Promise<number>((resolve, reject) => {
      const u = new URL(`${gw.url}/plain/upload`);
      const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { ...auth, 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      for (let i = 0; i < 5; i++) req.write('y'.repeat(1000));
      req.end();
    });
    expect(status).toBe(413);
  });

  it('passes SSE through unbuffered', async () => {
    const res = await fetch(`${gw.url}/plain/sse`, { headers: auth });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    const started = Date.now();
    const first = await reader.read();
    const firstAt = Date.now() - started;
    let text = Buffer.from(first.value!).toString();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString();
    }
    expect(Date.now() - started - firstAt).toBeGreaterThan(150);
    expect(text).toBe('data: 0\n\ndata: 1\n\ndata: 2\n\ndata: 3\n\ndata: 4\n\n');
    await new Promise((r) => setTimeout(r, 30));
    const e = gw.events.filter((x) => x.url?.path === '/plain/sse').at(-1)!;
    expect(e.honeygate.upstream_ms).toBeGreaterThan(0);
    expect(e.honeygate.stream).toBe(true);
  });

  it('a client that goes away aborts the upstream request', async () => {
    const controller = new AbortController();
    const res = await fetch(`${gw.url}/plain/slow`, { headers: auth, signal: controller.signal });
    await res.body!.getReader().read();
    controller.abort();
    await expect(Promise.race([api.aborted.then(() => 'aborted'), new Promise((r) => setTimeout(() => r('timeout'), 3000))])).resolves.toBe('aborted');
  });

  it('an upstream 5xx becomes a bare 502 problem; its body and headers stay behind', async () => {
    const res = await fetch(`${gw.url}/plain/status/500`, { headers: auth });
    expect(res.status).toBe(502);
    expect(res.headers.get('x-internal')).toBeNull();
    expect(await res.json()).toEqual({ type: 'about:blank', title: 'Bad Gateway', status: 502 });
  });

  it('an upstream 4xx is the API speaking: passed through', async () => {
    const res = await fetch(`${gw.url}/plain/status/409`, { headers: auth });
    expect(res.status).toBe(409);
  });

  it('an upstream that refuses connections: 502 without detail', async () => {
    const res = await fetch(`${gw.url}/down/x`, { headers: auth });
    expect(res.status).toBe(502);
    expect(await res.text()).not.toMatch(/ECONNREFUSED|127\.0\.0\.1:9/);
  });

  it('paths that could leave the upstream base path are refused before the API sees them', async () => {
    const n = api.seen.length;
    for (const path of ['/plain/../admin', '/plain/a/%2e%2e/admin', '/plain/a%2Fb', '/plain/a%5cb', '/plain/./x']) {
      const res = await rawRequest(gw.url, `GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${SECRET}\r\nConnection: close\r\n\r\n`);
      expect(res.startsWith('HTTP/1.1 400'), path).toBe(true);
      expect(res).toContain('"detail":"The request path has dot segments or encoded separators."');
    }
    expect(api.seen.length).toBe(n);
    expect((await fetch(`${gw.url}/plain/a..b/.well`, { headers: auth })).status).toBe(200);
  });

  it('no credential on a secret route: 401 with a plain Bearer challenge', async () => {
    const res = await fetch(`${gw.url}/plain/x`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('a lure secret with a lure upstream goes there, without any credential', async () => {
    const res = await fetch(`${gw.url}/decoyed/item`, { headers: { authorization: `Bearer ${LURE}` } });
    expect(res.status).toBe(200);
    const seen = api.seen.at(-1)!;
    expect(seen.url).toBe('/decoy/item');
    expect(seen.headers.authorization).toBeUndefined();
    await new Promise((r) => setTimeout(r, 30));
    expect(gw.events.at(-1)!.honeygate.verdict).toEqual({ action: 'deceive', reason: 'lure_key' });
    const real = await fetch(`${gw.url}/decoyed/item`, { headers: auth });
    expect(((await real.json()) as { url: string }).url).toBe('/real/item');
  });

  it('a reload applies new routes and drops removed ones', async () => {
    const next = await configFrom({
      routes: [{ name: 'fresh', prefix: '/fresh', upstream: `${api.url}/new`, auth: { public: true } }],
    });
    await gw.gateway.reload(next);
    const res = await fetch(`${gw.url}/fresh/x`);
    expect(((await res.json()) as { url: string }).url).toBe('/new/x');
    const gone = await fetch(`${gw.url}/plain/x`, { headers: auth });
    expect(gone.status).toBe(404);
    await gone.arrayBuffer();
  });
});
