/**
 * The public listener speaks HTTP/1.1 and HTTP/2 on one port (server/listener.ts): the h2c
 * preface is recognised however the bytes arrive, the OpenAI surface renders the same answers over
 * HTTP/2 (connection-specific headers dropped, pseudo-headers never forwarded upstream), the
 * Bedrock routes exist only when the config has AWS keys or a bedrock upstream (also across a
 * reload), and `listen.tls` serves h2 and http/1.1 by ALPN.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { connect as h2connect, type IncomingHttpHeaders } from 'node:http2';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createListener, isHttp2Preface } from '../../src/gateway/listener.js';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { configFrom, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { LURE, LURE_TEXT } from './harness.js';

const OPENAI_VALID = 'sk-proj-ValidKeyListenerTest0123456789abcdefghijklmnopqrstuvwxyzT3BlbkFJab';
const OPENAI_LURE = 'sk-proj-LureKeyListenerTests0123456789abcdefghijklmnopqrstuvwxyzT3BlbkFJab';
const CONNECTION_SPECIFIC = ['connection', 'transfer-encoding', 'keep-alive', 'upgrade', 'proxy-connection'];

interface H2Answer {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** One HTTP/2 (h2c prior knowledge, or TLS) request with node's own client. */
async function h2(url: string, path: string, init: { method?: string; headers?: Record<string, string>; body?: string; ca?: Buffer } = {}): Promise<H2Answer> {
  const session = h2connect(url, init.ca ? { ca: init.ca } : {});
  try {
    return await new Promise<H2Answer>((resolve, reject) => {
      session.on('error', reject);
      const req = session.request({ ':method': init.method ?? 'GET', ':path': path, ...init.headers });
      let headers: IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      req.on('response', (h) => (headers = h));
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve({ headers, body: Buffer.concat(chunks).toString('utf8') }));
      req.on('error', reject);
      req.end(init.body);
    });
  } finally {
    session.close();
  }
}

let upstream: FakeUpstream;
let g: TestGateway;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  g = await startTestGateway({
    lure_defaults: { realistic_timing: false },
    upstreams: { openai: { type: 'openai', url: upstream.url } },
    keys: [
      { key: OPENAI_VALID, class: 'valid', upstream: 'openai' },
      { key: OPENAI_LURE, class: 'lure', max_requests: 1000, reply: 'Hello from the decoy.' },
    ],
    aws_keys: [{ name: 'l', class: 'lure', access_key_id: LURE.accessKeyId, secret_access_key: LURE.secretAccessKey, reply: LURE_TEXT, max_requests: 1000 }],
  });
});
afterAll(async () => {
  await g.close();
  await upstream.close();
});

describe('the HTTP/2 preface', () => {
  it('is recognised from its first bytes; anything else is HTTP/1.1 as soon as one byte differs', () => {
    const preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
    expect(isHttp2Preface(preface)).toBe(true);
    expect(isHttp2Preface(Buffer.concat([preface, Buffer.from([0, 0, 0, 4])]))).toBe(true);
    expect(isHttp2Preface(preface.subarray(0, 1))).toBeNull();
    expect(isHttp2Preface(preface.subarray(0, 23))).toBeNull();
    expect(isHttp2Preface(Buffer.from('POST /v1/chat'))).toBe(false);
    expect(isHttp2Preface(Buffer.from('G'))).toBe(false);
    expect(isHttp2Preface(Buffer.from('PRI * HTTP/1.1\r\n'))).toBe(false);
  });

  it('split across TCP segments still opens an HTTP/2 session (the server answers with SETTINGS)', async () => {
    const u = new URL(g.url);
    const socket = netConnect(Number(u.port), u.hostname);
    const first = await new Promise<Buffer>((resolve, reject) => {
      socket.once('error', reject);
      socket.once('data', resolve);
      socket.once('connect', () => {
        socket.setNoDelay(true);
        socket.write('PRI * HTTP');
        setTimeout(() => socket.write('/2.0\r\n\r\nSM\r\n\r\n'), 30);
        setTimeout(() => socket.write(Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])), 60);
      });
    });
    socket.destroy();
    // a frame header: 24-bit length, then type 0x4 (SETTINGS) on stream 0
    expect(first[3]).toBe(4);
    expect(first.readUInt32BE(5) & 0x7fffffff).toBe(0);
  });

  it('an HTTP/1.1 request dribbled a byte at a time is served as before', async () => {
    const u = new URL(g.url);
    const request = 'GET /v1/models HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';
    const text = await new Promise<string>((resolve, reject) => {
      const socket = netConnect(Number(u.port), u.hostname, async () => {
        socket.setNoDelay(true);
        for (const ch of request.slice(0, 6)) {
          socket.write(ch);
          await new Promise((r) => setTimeout(r, 10));
        }
        socket.write(request.slice(6));
      });
      const chunks: Buffer[] = [];
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
      socket.on('error', reject);
    });
    expect(text).toMatch(/^HTTP\/1\.1 401 Unauthorized\r\n/);
    expect(text).toContain('"code": null');
  });
});

describe('the OpenAI surface over HTTP/2', () => {
  it('renders the same 401 as over HTTP/1.1, without connection-specific headers', async () => {
    const over2 = await h2(g.url, '/v1/models', { headers: { authorization: 'Bearer sk-nope-1234567890' } });
    const over1 = await fetch(`${g.url}/v1/models`, { headers: { authorization: 'Bearer sk-nope-1234567890' } });
    expect(over2.headers[':status']).toBe(401);
    expect(over2.body).toBe(await over1.text());
    expect(over2.headers['www-authenticate']).toBe('Bearer realm="OpenAI API"');
    for (const h of CONNECTION_SPECIFIC) expect(over2.headers[h], h).toBeUndefined();
  });

  it('a legacy-layer error (sent chunked over HTTP/1.1) loses Transfer-Encoding on HTTP/2 and keeps its body', async () => {
    const over2 = await h2(g.url, '/v1/chat/completions', {
      method: 'POST',
      headers: { authorization: `Bearer ${OPENAI_LURE}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-nonexistent-model', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(over2.headers[':status']).toBe(404);
    expect(over2.headers['transfer-encoding']).toBeUndefined();
    expect(over2.body).toContain('"code": "model_not_found"');
  });

  it('a lure chat stream (SSE) arrives whole', async () => {
    const over2 = await h2(g.url, '/v1/chat/completions', {
      method: 'POST',
      headers: { authorization: `Bearer ${OPENAI_LURE}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(over2.headers[':status']).toBe(200);
    expect(over2.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const text = over2.body
      .split('\n')
      .filter((l) => l.startsWith('data: {'))
      .map((l) => (JSON.parse(l.slice(6)) as { choices: { delta: { content?: string } }[] }).choices[0]?.delta.content ?? '')
      .join('');
    expect(text).toBe('Hello from the decoy.');
    expect(over2.body.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });

  it('a valid key is forwarded: the upstream sees ordinary headers, never the HTTP/2 pseudo-headers', async () => {
    const over2 = await h2(g.url, '/v1/chat/completions', {
      method: 'POST',
      headers: { authorization: `Bearer ${OPENAI_VALID}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(over2.headers[':status']).toBe(200);
    const seen = upstream.requests.at(-1);
    expect(seen?.url).toBe('/v1/chat/completions');
    expect(seen?.rawHeaders.filter((_, i) => i % 2 === 0).some((n) => n.startsWith(':'))).toBe(false);
    expect(seen?.headers['authorization']).toBe(`Bearer ${OPENAI_VALID}`);
  });

  it('events over HTTP/2 carry the request, and no response byte count (the connection is shared)', async () => {
    const from = g.events.length;
    await h2(g.url, '/v1/models', { headers: { authorization: 'Bearer sk-nope-1234567890' } });
    const [e] = (await g.waitForEvents(from + 1)).slice(from);
    expect(e?.http).toEqual({ request: { method: 'GET' }, response: { status_code: 401 } });
    expect(e?.source?.port).toBeGreaterThan(0);
  });
});

describe('Bedrock routes only when the config has AWS keys or a bedrock upstream', () => {
  const probes = async (url: string): Promise<number[]> => {
    const a = await fetch(`${url}/model/us.amazon.nova-micro-v1%3A0/converse`, { method: 'POST', body: '{}' });
    const b = await fetch(`${url}/`, { method: 'POST', body: 'Action=GetCallerIdentity&Version=2011-06-15', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    const c = await fetch(`${url}/foundation-models`);
    return [a.status, b.status, c.status];
  };

  it('without: the OpenAI API’s unknown-URL answer; with: AWS’s; a reload switches both ways', async () => {
    const plain = await startTestGateway({ keys: [{ key: OPENAI_VALID, class: 'valid' }] });
    const res = await fetch(`${plain.url}/model/us.amazon.nova-micro-v1%3A0/converse`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe('Invalid URL (POST /model/us.amazon.nova-micro-v1%3A0/converse)');
    expect(await probes(plain.url)).toEqual([404, 404, 404]);
    const withAws = await configFrom({ lure_defaults: { realistic_timing: false }, keys: [{ key: OPENAI_VALID, class: 'valid' }], aws_keys: [{ name: 'l', class: 'lure', access_key_id: LURE.accessKeyId, secret_access_key: LURE.secretAccessKey, reply: LURE_TEXT }] });
    await plain.gateway.reload(withAws);
    expect(await probes(plain.url)).toEqual([403, 403, 403]);
    const c = new BedrockRuntimeClient({ region: 'us-east-1', endpoint: plain.url, credentials: LURE, maxAttempts: 1 });
    expect((await c.send(new ConverseCommand({ modelId: 'us.amazon.nova-micro-v1:0', messages: [{ role: 'user', content: [{ text: 'hi' }] }] }))).output?.message?.content?.[0]?.text).toBe(LURE_TEXT);
    c.destroy();
    await plain.gateway.reload(await configFrom({ keys: [{ key: OPENAI_VALID, class: 'valid' }] }));
    expect(await probes(plain.url)).toEqual([404, 404, 404]);
    await plain.close();
  });

  it('a plain GET / stays the OpenAI answer even with AWS keys', async () => {
    const res = await fetch(`${g.url}/`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe('Invalid URL (GET /)');
  });
});

describe('closing', () => {
  it('close() returns promptly with an idle HTTP/2 session and an idle HTTP/1.1 keep-alive connection open', async () => {
    const cg = await startTestGateway({ aws_keys: [{ name: 'l', class: 'lure', access_key_id: LURE.accessKeyId, secret_access_key: LURE.secretAccessKey }] });
    const session = h2connect(cg.url);
    await new Promise<void>((resolve) => session.once('remoteSettings', () => resolve()));
    // an HTTP/1.1 connection that stays open after its answer (keep-alive)
    const u = new URL(cg.url);
    const socket = netConnect(Number(u.port), u.hostname);
    const answered = await new Promise<string>((resolve, reject) => {
      socket.once('data', (c: Buffer) => resolve(c.toString('utf8')));
      socket.once('error', reject);
      socket.write('GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n');
    });
    expect(answered).toMatch(/^HTTP\/1\.1 401 [\s\S]*Connection: keep-alive/);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const started = Date.now();
    await cg.close();
    expect(Date.now() - started).toBeLessThan(1000);
    await closed; // the gateway closed the idle connection itself
    session.destroy();
  });
});

describe('idle HTTP/2 sessions', () => {
  it('are closed after the keep-alive timeout, but never while a stream is in flight', async () => {
    const l = createListener((req, res) => {
      const wait = req.url === '/slow' ? 600 : 0;
      setTimeout(() => res.end('done'), wait);
    }, { keepAliveTimeoutMs: 200, headersTimeoutMs: 1000 });
    await new Promise<void>((r) => l.server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(l.server.address() as { port: number }).port}`;
    const session = h2connect(url);
    const closed = new Promise<number>((resolve) => session.once('close', () => resolve(Date.now())));
    const t0 = Date.now();
    const body = await new Promise<string>((resolve, reject) => {
      const req = session.request({ ':path': '/slow' });
      let b = '';
      req.setEncoding('utf8');
      req.on('data', (d: string) => (b += d));
      req.on('end', () => resolve(b));
      req.on('error', reject);
      req.end();
    });
    const answered = Date.now();
    expect(body).toBe('done'); // 600 ms of silence on a 200 ms idle timeout: not cut
    expect(answered - t0).toBeGreaterThanOrEqual(590);
    const at = await closed; // then idle: the server sends GOAWAY
    expect(at - answered).toBeGreaterThanOrEqual(150);
    expect(at - answered).toBeLessThan(1500);
    await l.close(1000);
  });
});

const opensslAvailable = ((): boolean => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!opensslAvailable)('listen.tls: HTTPS with ALPN h2 and http/1.1', () => {
  let tg: TestGateway;
  let cert: Buffer;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hg-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
    cert = readFileSync(join(dir, 'cert.pem'));
    tg = await startTestGateway({
      listen: { host: '127.0.0.1', port: 0, tls: { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') } },
      lure_defaults: { realistic_timing: false },
      aws_keys: [{ name: 'l', class: 'lure', access_key_id: LURE.accessKeyId, secret_access_key: LURE.secretAccessKey, reply: LURE_TEXT }],
    });
  });
  afterAll(async () => tg.close());

  it('the gateway URL is https; h2 over TLS answers', async () => {
    expect(tg.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const a = await h2(tg.url, '/v1/models', { headers: { authorization: 'Bearer sk-nope-1234567890' }, ca: cert });
    expect(a.headers[':status']).toBe(401);
    for (const h of CONNECTION_SPECIFIC) expect(a.headers[h], h).toBeUndefined();
  });

  it('HTTP/1.1 over TLS (a client without ALPN) answers too', async () => {
    const u = new URL(tg.url);
    const { status, body, alpn } = await new Promise<{ status: number; body: string; alpn: string | false | undefined }>((resolve, reject) => {
      const req = httpsRequest({ host: u.hostname, port: Number(u.port), path: '/v1/models', ca: cert, headers: { authorization: 'Bearer sk-nope-1234567890' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        const alpn = (res.socket as { alpnProtocol?: string | false }).alpnProtocol;
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), alpn }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(401);
    expect(alpn).not.toBe('h2'); // https.request offers no ALPN: the server falls back to HTTP/1.1
    expect(body).toContain('Incorrect API key provided');
  });

  it('the JS Bedrock client (h2 by ALPN) gets its decoy answer', async () => {
    const before = process.env['NODE_TLS_REJECT_UNAUTHORIZED'];
    process.env['NODE_TLS_REJECT_UNAUTHORIZED'] = '0'; // the SDK's handler takes no CA; this test's own self-signed cert
    try {
      const c = new BedrockRuntimeClient({ region: 'us-east-1', endpoint: tg.url, credentials: LURE, maxAttempts: 1 });
      const out = await c.send(new ConverseCommand({ modelId: 'us.amazon.nova-micro-v1:0', messages: [{ role: 'user', content: [{ text: 'hi' }] }] }));
      expect(out.output?.message?.content?.[0]?.text).toBe(LURE_TEXT);
      c.destroy();
    } finally {
      if (before === undefined) delete process.env['NODE_TLS_REJECT_UNAUTHORIZED'];
      else process.env['NODE_TLS_REJECT_UNAUTHORIZED'] = before;
    }
  });
});
