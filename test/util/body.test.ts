/**
 * util/body: a body node:http has already parsed whole is taken at once (bufferedBody), anything
 * else is streamed with its limit (readBody); both give the exact bytes, and a keep-alive connection
 * carries on normally afterwards.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bufferedBody, readBody, type BodyResult } from '../../src/util/body.js';

const MAX = 1024;
let server: Server;
let port = 0;
/** what the handler saw for each request: the synchronous take, then the final result */
const seen: { buffered: BodyResult | undefined; result: BodyResult }[] = [];

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    void (async () => {
      // as in the gateway: the body is read after at least one await (classify, store)
      await new Promise((r) => setImmediate(r));
      const buffered = bufferedBody(req, MAX);
      const result = buffered ?? (await readBody(req, MAX));
      seen.push({ buffered, result });
      const text = result.ok ? result.body.toString('utf8') : `!${result.reason}`;
      res.writeHead(200, { 'content-length': Buffer.byteLength(text) });
      res.end(text);
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
});

/** Write `parts` with `gapMs` between them; resolve with everything received once `responses` bodies arrived or the socket closed. */
function exchange(parts: string[], responses: number, gapMs = 0): Promise<string> {
  return new Promise((resolve, reject) => {
    const so = connect(port, '127.0.0.1');
    let got = '';
    so.setEncoding('utf8');
    so.on('data', (d: string) => {
      got += d;
      if (got.split('HTTP/1.1 200').length - 1 >= responses && /\r\n\r\n[^]*$/.test(got)) {
        const bodies = got.split('HTTP/1.1 200').slice(1);
        const complete = bodies.every((b) => {
          const len = Number(/content-length: (\d+)/i.exec(b)?.[1] ?? -1);
          const body = b.split('\r\n\r\n')[1] ?? '';
          return Buffer.byteLength(body) >= len;
        });
        if (complete) {
          so.end();
          resolve(got);
        }
      }
    });
    so.on('error', reject);
    so.on('close', () => resolve(got));
    void (async () => {
      for (const p of parts) {
        so.write(p);
        if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
      }
    })();
  });
}

const post = (body: string, extra = ''): string => `POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;

describe('bufferedBody', () => {
  it('takes a body that arrived with its headers at once, exact bytes, and the connection carries on', async () => {
    seen.length = 0;
    const a = '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"héllo 😀"}]}';
    const b = '{"second":true}';
    const got = await exchange([post(a) + post(b)], 2);
    expect(got).toContain(a);
    expect(got).toContain(b);
    expect(seen).toHaveLength(2);
    for (const [i, text] of [a, b].entries()) {
      const s = seen[i]!;
      expect(s.buffered).toBeDefined();
      expect(s.result.ok && s.result.body.toString('utf8')).toBe(text);
    }
  });

  it('takes a complete chunked body (no Content-Length) too', async () => {
    seen.length = 0;
    const req = 'POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n';
    expect(await exchange([req], 1)).toContain('hello world');
    expect(seen[0]?.buffered).toEqual({ ok: true, body: Buffer.from('hello world') });
  });

  it('an empty body is empty', async () => {
    seen.length = 0;
    await exchange([post('')], 1);
    expect(seen[0]?.buffered).toEqual({ ok: true, body: Buffer.alloc(0) });
  });

  it('leaves a body that is still arriving to readBody, which gets all of it', async () => {
    seen.length = 0;
    const body = 'x'.repeat(300);
    const full = post(body);
    const cut = full.length - 100;
    expect(await exchange([full.slice(0, cut), full.slice(cut)], 1, 50)).toContain(body);
    expect(seen[0]?.buffered).toBeUndefined();
    expect(seen[0]?.result.ok && seen[0].result.body.toString()).toBe(body);
  });

  it('leaves a chunked body whose last chunk has not come yet to readBody', async () => {
    seen.length = 0;
    const head = 'POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n';
    expect(await exchange([head, '6\r\n world\r\n0\r\n\r\n'], 1, 50)).toContain('hello world');
    expect(seen[0]?.buffered).toBeUndefined();
    expect(seen[0]?.result).toEqual({ ok: true, body: Buffer.from('hello world') });
  });

  it('leaves a body over the limit to readBody (too_large), whether declared or not', async () => {
    seen.length = 0;
    await exchange([post('y'.repeat(MAX + 1))], 1);
    expect(seen[0]?.buffered).toBeUndefined();
    expect(seen[0]?.result).toEqual({ ok: false, reason: 'too_large' });
    seen.length = 0;
    const chunk = 'z'.repeat(MAX + 1);
    await exchange([`POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${(MAX + 1).toString(16)}\r\n${chunk}\r\n0\r\n\r\n`], 1);
    expect(seen[0]?.buffered).toBeUndefined();
    expect(seen[0]?.result).toEqual({ ok: false, reason: 'too_large' });
  });
});
