/**
 * Test fixtures for the simulator: a small HTTP forward proxy with a policy by host name (403,
 * reset, silence, or forward to a loopback upstream), a TLS terminator in front of a plain
 * server, a raw capture server, and a CLI harness. Everything listens on 127.0.0.1, port 0.
 */
import { readFileSync } from 'node:fs';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { Writable } from 'node:stream';
import { runSim } from '../../src/cli/sim.js';

export const TLS_CERT = readFileSync(new URL('./fixtures/tls/sim-test.crt', import.meta.url), 'utf8');
export const TLS_KEY = readFileSync(new URL('./fixtures/tls/sim-test.key', import.meta.url), 'utf8');
export const TLS_CERT_FILE = new URL('./fixtures/tls/sim-test.crt', import.meta.url).pathname;

export type ProxyAction = 'forward' | 'forbid' | 'reset' | 'silence' | 'tls-mismatch';

export interface TestProxy {
  readonly url: string;
  /** request lines the proxy received (CONNECT lines and absolute-form request lines) */
  readonly seen: string[];
  /** raw heads it received */
  readonly heads: string[];
  close(): Promise<void>;
}

function listen(server: Server | TlsServer): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

function closer(server: Server | TlsServer, sockets: Set<Socket>): () => Promise<void> {
  return () => {
    for (const s of sockets) s.destroy();
    return new Promise((resolve) => server.close(() => resolve()));
  };
}

/**
 * A forward proxy whose policy is a function of the target host name: `forward` relays to
 * `upstream` (plain port for absolute-form, TLS port for CONNECT), `forbid` answers 403, `reset`
 * sends a TCP RST, `silence` never answers, `tls-mismatch` tunnels to a TLS server whose
 * certificate does not name the host.
 */
export async function startProxy(
  policy: (host: string) => ProxyAction,
  upstream: { plainPort: number; tlsPort: number; mismatchTlsPort?: number },
): Promise<TestProxy> {
  const seen: string[] = [];
  const heads: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      client.off('data', onData);
      const head = buf.subarray(0, end).toString('latin1');
      const rest = buf.subarray(end + 4);
      heads.push(head);
      const line = head.split('\r\n')[0] ?? '';
      seen.push(line);
      const connectMatch = /^CONNECT ([^ :]+):(\d+) HTTP\/1\.[01]$/.exec(line);
      const absolute = /^([A-Z]+) http:\/\/([^/ :]+)(?::\d+)?(\/\S*) (HTTP\/1\.[01])$/.exec(line);
      const host = connectMatch?.[1] ?? absolute?.[2] ?? '';
      const action = policy(host);
      if (action === 'forbid') {
        const body = '<html><body><h1>403 Forbidden</h1>Blocked by policy</body></html>';
        client.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: text/html\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
        return;
      }
      if (action === 'reset') {
        client.resetAndDestroy();
        return;
      }
      if (action === 'silence') return;
      if (connectMatch) {
        const port = action === 'tls-mismatch' ? (upstream.mismatchTlsPort ?? upstream.tlsPort) : upstream.tlsPort;
        const up = connect(port, '127.0.0.1', () => {
          client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
          if (rest.length > 0) up.write(rest);
          client.pipe(up).pipe(client);
        });
        sockets.add(up);
        up.on('close', () => sockets.delete(up));
        up.on('error', () => client.destroy());
        return;
      }
      if (absolute) {
        // rewrite to origin-form, keep every header as received
        const [, method, , path, version] = absolute;
        const rewritten = Buffer.from(head.replace(line, `${method} ${path} ${version}`) + '\r\n\r\n', 'latin1');
        const up = connect(upstream.plainPort, '127.0.0.1', () => {
          up.write(Buffer.concat([rewritten, rest]));
          client.pipe(up).pipe(client);
        });
        sockets.add(up);
        up.on('close', () => sockets.delete(up));
        up.on('error', () => client.destroy());
        return;
      }
      client.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
    };
    client.on('data', onData);
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, seen, heads, close: closer(server, sockets) };
}

/** TLS terminator: accepts TLS with the given certificate and relays plain bytes to a port. */
export async function startTlsFront(plainPort: number, cert = TLS_CERT, key = TLS_KEY): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createTlsServer({ cert, key }, (tlsSocket) => {
    sockets.add(tlsSocket);
    tlsSocket.on('close', () => sockets.delete(tlsSocket));
    tlsSocket.on('error', () => undefined);
    const up = connect(plainPort, '127.0.0.1');
    sockets.add(up);
    up.on('close', () => sockets.delete(up));
    up.on('error', () => tlsSocket.destroy());
    tlsSocket.pipe(up).pipe(tlsSocket);
  });
  server.on('tlsClientError', () => undefined);
  const port = await listen(server);
  return { port, close: closer(server, sockets) };
}

/** A raw server that answers every request with fixed bytes and records the raw requests. */
export async function startRawServer(answer: (request: Buffer) => Buffer | 'reset' | 'close' | 'silence'): Promise<{
  url: string;
  port: number;
  requests: Buffer[];
  close(): Promise<void>;
}> {
  const requests: Buffer[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    s.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const m = /content-length: *(\d+)/i.exec(buf.subarray(0, end).toString('latin1'));
      const total = end + 4 + (m ? Number(m[1]) : 0);
      if (buf.length < total) return;
      const req = buf.subarray(0, total);
      buf = buf.subarray(total);
      requests.push(req);
      const a = answer(req);
      if (a === 'reset') s.resetAndDestroy();
      else if (a === 'close') s.end();
      else if (a !== 'silence') s.write(a);
    });
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, port, requests, close: closer(server, sockets) };
}

/** A port with nothing listening (bound then closed). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: (error?: Error | null) => void): void {
    this.text += chunk.toString();
    done();
  }
}

/** Run `honeygate sim …` in-process; loopback-only is on. */
export async function sim(argv: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Sink();
  const stderr = new Sink();
  const code = await runSim({ argv, env: { HONEYGATE_SIM_LOOPBACK_ONLY: '1', ...env }, stdout, stderr });
  return { code, stdout: stdout.text, stderr: stderr.text };
}
