/**
 * core/forward.ts `streamFault`: an unencoded event stream that breaks after it started is passed
 * on event by event (a partial event held only until its blank line), then ends with the
 * provider's last words after the last complete event; without the option, or for a gzip stream,
 * the client sees a cut as before. Real sockets on both sides.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpUpstream, type UpstreamFaultKind } from '../../src/core/forward.js';

let upstream: Server;
let upstreamUrl: string;

beforeAll(async () => {
  upstream = createServer((req, res) => {
    const gzip = req.url === '/gzip';
    res.writeHead(200, { 'content-type': 'text/event-stream', ...(gzip ? { 'content-encoding': 'gzip' } : {}) });
    // one event split in the middle of its data line, then half of a second, then a reset
    res.write('event: a\ndata: {"n":');
    setTimeout(() => res.write('1}\n\nevent: b\ndata: {"n"'), 30);
    setTimeout(() => res.socket?.destroy(), 80);
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});

afterAll(async () => {
  upstream.closeAllConnections();
  await new Promise((r) => upstream.close(r));
});

/** A front server forwarding through HttpUpstream; returns what a client received and how it ended. */
async function through(path: string, lastWords?: (kind: UpstreamFaultKind) => string): Promise<{ body: string; complete: boolean; firstChunk: string }> {
  const up = new HttpUpstream({ url: upstreamUrl, timeoutMs: 5000, connections: 2 });
  const front = createServer((req, res) => {
    void up.forward({ method: 'GET', path, headers: req.headers, body: null, ...(lastWords ? { streamFault: lastWords } : {}) }, res).catch(() => res.destroy());
  });
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
  const port = (front.address() as AddressInfo).port;
  try {
    return await new Promise((resolve) => {
      const req = request({ host: '127.0.0.1', port, path }, (res) => {
        let body = '';
        let firstChunk: string | undefined;
        res.setEncoding('latin1');
        res.on('data', (c: string) => {
          firstChunk ??= c;
          body += c;
        });
        res.on('end', () => resolve({ body, complete: res.complete, firstChunk: firstChunk ?? '' }));
        res.on('error', () => resolve({ body, complete: false, firstChunk: firstChunk ?? '' }));
        res.on('aborted', () => resolve({ body, complete: false, firstChunk: firstChunk ?? '' }));
      });
      req.end();
    });
  } finally {
    front.closeAllConnections();
    await new Promise((r) => front.close(r));
    await up.close();
  }
}

describe('streamFault', () => {
  it('passes complete events only, then the last words and a clean end', async () => {
    const kinds: UpstreamFaultKind[] = [];
    const r = await through('/sse', (kind) => {
      kinds.push(kind);
      return 'event: error\ndata: {"bye":true}\n\n';
    });
    expect(r.complete).toBe(true);
    expect(r.firstChunk).toBe('event: a\ndata: {"n":1}\n\n');
    expect(r.body).toBe('event: a\ndata: {"n":1}\n\nevent: error\ndata: {"bye":true}\n\n');
    expect(kinds).toHaveLength(1);
  });

  it('without it, or on a gzip stream, the client sees the cut', async () => {
    const plain = await through('/sse');
    expect(plain.complete).toBe(false);
    expect(plain.body).toContain('event: b');
    const gz = await through('/gzip', () => 'event: error\n\n');
    expect(gz.complete).toBe(false);
    expect(gz.body).not.toContain('event: error');
  });
});
