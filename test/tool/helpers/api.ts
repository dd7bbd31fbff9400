/**
 * A fake tool API on 127.0.0.1:0: records every request and answers
 *  - /slow: an SSE stream that writes one event and never ends (abort tests)
 *  - /sse: five SSE events 60 ms apart (streaming tests)
 *  - /status/<code>: that status with an internal-looking body
 *  - anything else: 200 JSON echo of method, url and body length
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}

export interface FakeApi {
  readonly url: string;
  readonly seen: Seen[];
  readonly aborted: Promise<void>;
  close(): Promise<void>;
}

export async function startApi(): Promise<FakeApi> {
  const seen: Seen[] = [];
  let markAborted: () => void = () => {};
  const aborted = new Promise<void>((r) => (markAborted = r));
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const path = (req.url ?? '').split('?')[0] ?? '';
      if (path.endsWith('/slow')) {
        res.on('close', () => markAborted());
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: first\n\n');
        return;
      }
      if (path.endsWith('/sse')) {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        let i = 0;
        const tick = (): void => {
          res.write(`data: ${i}\n\n`);
          if (++i >= 5) res.end();
          else setTimeout(tick, 60);
        };
        tick();
        return;
      }
      const status = /\/status\/(\d{3})$/.exec(path);
      if (status) {
        res.writeHead(Number(status[1]), { 'content-type': 'text/plain', 'x-internal': 'db-7.internal' });
        res.end('stack trace at db-7.internal:5432');
        return;
      }
      const text = JSON.stringify({ method: req.method, url: req.url, bytes: body.length });
      res.writeHead(200, { 'content-type': 'application/json', 'x-api': 'real' });
      res.end(text);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    aborted,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
