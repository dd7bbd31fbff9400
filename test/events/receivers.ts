/** A small HTTP webhook receiver on 127.0.0.1:0 that records every request and answers as told. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  headers: http.IncomingHttpHeaders;
  raw: Buffer;
  at: number;
}

export interface WebhookReceiver {
  url: string;
  requests: Received[];
  /** status for the n-th request (0-based); 'hang' never answers */
  respond: (n: number) => number | 'hang';
  close(): Promise<void>;
}

export async function webhookReceiver(respond: (n: number) => number | 'hang' = () => 200): Promise<WebhookReceiver> {
  const hanging = new Set<http.ServerResponse>();
  const rx: WebhookReceiver = { url: '', requests: [], respond, close: async () => undefined };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 1024 * 1024) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => {
      const n = rx.requests.length;
      rx.requests.push({ headers: req.headers, raw: Buffer.concat(chunks), at: Date.now() });
      const status = rx.respond(n);
      if (status === 'hang') {
        hanging.add(res);
        return;
      }
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'nope');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  rx.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook/T000/B000/secretpath`;
  rx.close = () =>
    new Promise<void>((resolve) => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return rx;
}
