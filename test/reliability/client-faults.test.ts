/**
 * Client faults against a real gateway: a slow head (slowloris), a body that trickles or stalls
 * (HTTP/1.1 and an h2c stream), an idle keep-alive connection, a client that disconnects in the
 * middle of a stream (the upstream call is aborted), and a client that sends its request and then
 * FIN (it still gets the answer). Limits are set small in `listen` so each trips in about a second.
 */
import { connect as h2connect } from 'node:http2';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintOpenAIKey } from '../../src/deception/keygen.js';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const LURE = mintOpenAIKey('project');
const VALID = mintOpenAIKey('project');

let gw: TestGateway;
let upstream: FakeUpstream;
let port = 0;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  gw = await startTestGateway({
    listen: { host: '127.0.0.1', port: 0, headers_timeout: '800ms', request_timeout: '1500ms', body_idle_timeout: '400ms', keep_alive_timeout: '500ms' },
    lure_defaults: { realistic_timing: false },
    upstreams: { openai: { type: 'openai', url: upstream.url } },
    keys: [
      { name: 'lure', key: LURE, class: 'lure' },
      { name: 'valid', key: VALID, class: 'valid', upstream: 'openai' },
    ],
  });
  port = Number(new URL(gw.url).port);
}, 30_000);

afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

interface Outcome {
  readonly text: string;
  /** ms from the first byte written until the server closed (or the limit) */
  readonly ms: number;
  readonly closed: boolean;
}

/** Open a connection and run `drive` on it; collect what comes back until close or `limitMs`. */
function session(drive: (s: Socket, stop: () => boolean) => void, limitMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const t0 = Date.now();
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(limit);
      s.destroy();
      resolve({ text: Buffer.concat(chunks).toString('latin1'), ms: Date.now() - t0, closed });
    };
    const limit = setTimeout(() => finish(false), limitMs);
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('close', () => finish(true));
    s.on('error', () => finish(true));
    s.once('connect', () => drive(s, () => done));
  });
}

/** Write `bytes` one at a time, `gapMs` apart, until the connection is done. */
function drip(s: Socket, stop: () => boolean, bytes: string, gapMs: number): void {
  let i = 0;
  const tick = (): void => {
    if (stop() || s.destroyed || i >= bytes.length) return;
    s.write(bytes[i++] ?? '');
    setTimeout(tick, gapMs);
  };
  tick();
}

const chatHead = (key: string, length: number): string =>
  `POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;

describe('client faults', () => {
  it('slowloris: a head sent a byte every 100 ms is answered 408 and closed at the headers timeout', async () => {
    const head = `POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n${'X-Pad: aaaaaaaaaa\r\n'.repeat(50)}`;
    const out = await session((s, stop) => drip(s, stop, head, 100), 6000);
    expect(out.closed).toBe(true);
    expect(out.text.startsWith('HTTP/1.1 408')).toBe(true);
    expect(out.ms).toBeLessThan(3500);
  });

  it('slow body: a byte every 150 ms (never idle long enough) is cut at the whole-request timeout with 408', async () => {
    const body = 'x'.repeat(1000);
    const out = await session((s, stop) => {
      s.write(chatHead(LURE, body.length));
      drip(s, stop, body, 150);
    }, 8000);
    expect(out.closed).toBe(true);
    expect(out.text.startsWith('HTTP/1.1 408')).toBe(true);
    expect(out.text.toLowerCase()).toContain('connection: close');
    expect(out.ms).toBeGreaterThanOrEqual(1400);
    expect(out.ms).toBeLessThan(4500);
  });

  it('stalled body: no byte for the body idle timeout is answered 408 and closed', async () => {
    const out = await session((s) => {
      s.write(chatHead(VALID, 200));
      s.write('{"model":');
    }, 6000);
    expect(out.closed).toBe(true);
    expect(out.text.startsWith('HTTP/1.1 408')).toBe(true);
    expect(out.ms).toBeLessThan(1400);
    // the truncated valid-key request was never sent upstream
    expect(upstream.requests.some((r) => r.body.toString().startsWith('{"model":') && r.body.length < 200)).toBe(false);
  });

  it('h2c: a stream whose body stalls gets :status 408', async () => {
    const client = h2connect(gw.url);
    try {
      const req = client.request({ ':method': 'POST', ':path': '/v1/chat/completions', authorization: `Bearer ${LURE}`, 'content-type': 'application/json', 'content-length': '100' });
      req.write('{"model"');
      const t0 = Date.now();
      const status = await new Promise<number | string>((resolve) => {
        req.on('response', (h) => resolve(Number(h[':status'])));
        req.on('close', () => resolve('closed'));
        setTimeout(() => resolve('none'), 5000);
      });
      expect(status).toBe(408);
      expect(Date.now() - t0).toBeLessThan(2500);
      req.destroy();
    } finally {
      client.destroy();
    }
  });

  it('idle keep-alive: a connection left idle after its answer is closed at the keep-alive timeout', async () => {
    const out = await session((s) => {
      s.write(`GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${LURE}\r\n\r\n`);
    }, 5000);
    expect(out.text.startsWith('HTTP/1.1 200')).toBe(true);
    expect(out.closed).toBe(true);
    expect(out.ms).toBeLessThan(2500);
  });

  it('half-close: a valid-key request followed by FIN gets its answer', async () => {
    const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'half-close' }] });
    const out = await session((s) => {
      s.end(chatHead(VALID, Buffer.byteLength(body)) + body);
    }, 5000);
    expect(out.text.startsWith('HTTP/1.1 200')).toBe(true);
    expect(out.text).toContain('from upstream');
    expect(out.closed).toBe(true);
  });

  it('disconnect mid-stream: the upstream request is aborted', async () => {
    const body = JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'x' }] });
    const s = connect(port, '127.0.0.1');
    await new Promise((r) => s.once('connect', r));
    s.write(`POST /v1/slow HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${VALID}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    await new Promise((r) => s.once('data', r));
    s.destroy();
    const aborted = await Promise.race([upstream.aborted.then(() => true), new Promise((r) => setTimeout(() => r(false), 3000))]);
    expect(aborted).toBe(true);
  });
});
