// Small HTTP helpers for the orchestrator: one raw HTTP/1.1 exchange (to capture honeygate's exact
// answer for the bare baseline), a free port, waiting for a port to accept.
import { connect, createServer } from 'node:net';

/** Send `request` (a full HTTP/1.1 request) and return { status, headers (raw list), body (Buffer) }. */
export function rawExchange(port, request, timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => socket.destroy(new Error('raw exchange timed out')), timeoutMs);
    const done = (v, e) => {
      clearTimeout(timer);
      socket.destroy();
      e ? reject(e) : resolve(v);
    };
    socket.on('error', (e) => done(undefined, e));
    socket.on('data', (c) => {
      buf = Buffer.concat([buf, c]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
      const status = Number(lines[0].split(' ')[1]);
      const headers = [];
      for (const l of lines.slice(1)) {
        const i = l.indexOf(':');
        headers.push(l.slice(0, i), l.slice(i + 1).trim());
      }
      const named = (name) => headers.findIndex((h, i) => i % 2 === 0 && h.toLowerCase() === name);
      const lenAt = named('content-length');
      if (lenAt >= 0) {
        const length = Number(headers[lenAt + 1]);
        if (buf.length - end - 4 >= length) done({ status, headers, body: buf.subarray(end + 4, end + 4 + length) });
        return;
      }
      const teAt = named('transfer-encoding');
      if (teAt < 0 || !/chunked/i.test(headers[teAt + 1])) return done(undefined, new Error('captured answer has neither Content-Length nor chunked encoding'));
      const body = dechunk(buf.subarray(end + 4));
      if (body) done({ status, headers, body }); // the bare server re-chunks it: same header list, same body
    });
    socket.write(request);
  });
}

/** The body of a complete chunked encoding, or null while the last chunk has not arrived. */
function dechunk(raw) {
  const parts = [];
  let at = 0;
  for (;;) {
    const lineEnd = raw.indexOf('\r\n', at);
    if (lineEnd < 0) return null;
    const size = Number.parseInt(raw.subarray(at, lineEnd).toString('latin1'), 16);
    if (size === 0) return Buffer.concat(parts);
    if (raw.length < lineEnd + 2 + size + 2) return null;
    parts.push(raw.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export async function waitForPort(port, timeoutMs = 10_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const ok = await new Promise((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`port ${port} not accepting after ${timeoutMs} ms`);
}
