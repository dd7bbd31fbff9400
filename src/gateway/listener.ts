/**
 * The public listener: HTTP/1.1 and HTTP/2 on one port, one request handler for both.
 *
 * The JS Bedrock Runtime client speaks only HTTP/2 (h2c with prior knowledge against an `http://`
 * endpoint, wire-spec B / docs/bedrock.md); everything else (botocore, the OpenAI SDKs, curl, key
 * checkers) speaks HTTP/1.1. A plaintext HTTP/2 connection opens with the fixed client preface
 * `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n` (RFC 9113 §3.4), which no HTTP/1.1 request can start with
 * (`PRI` is reserved for exactly this, RFC 9113 §11.6). So each new connection's first bytes are
 * looked at once: the preface hands the socket to an `http2.createServer()`, anything else to the
 * `http.Server`, with the peeked bytes put back (`socket.unshift`). Both servers read bytes already
 * buffered on the socket before their own reads (node:http's parser consumes the handle only after
 * the buffered chunk, delivered on the next tick before any I/O; node:http2 reads `socket.read()`
 * first, nodejs/node#34532). The cost is per connection; a request on an open HTTP/1.1 connection
 * goes through node:http exactly as before.
 *
 * With `tls` set, a TLS server terminates TLS and ALPN chooses instead: `h2` to the same HTTP/2
 * server, `http/1.1` (or no ALPN) to the same HTTP/1.1 server — one set of timeouts and one close
 * for both modes.
 *
 * Idle HTTP/2 sessions are closed (GOAWAY) after the keep-alive timeout, as node:http closes idle
 * HTTP/1.1 connections; a session with a stream in flight (a slow model) is never cut.
 */
import { createServer as createHttp1Server, type Server as Http1Server } from 'node:http';
import { createServer as createHttp2Server, type Http2Server, type ServerHttp2Session } from 'node:http2';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { HttpRequest, HttpResponse } from '../core/http.js';

export type RequestHandler = (req: HttpRequest, res: HttpResponse) => void;

export interface ListenerOptions {
  readonly keepAliveTimeoutMs: number;
  /** the request head must arrive within this time (also: the first bytes of a connection) */
  readonly headersTimeoutMs: number;
  /** PEM certificate chain and key: serve TLS with ALPN (h2, http/1.1) instead of cleartext */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer } | undefined;
}

export interface Listener {
  /** the server that owns the port (`listen`, `address`) */
  readonly server: NetServer;
  /** the HTTP/1.1 server connections are handed to */
  readonly http1: Http1Server;
  /**
   * stop accepting; let in-flight requests finish, close idle connections, resolve when all are
   * gone — or, after `drainMs`, cut the connections still open (a long stream, a silent client)
   */
  close(drainMs: number): Promise<void>;
}

/** RFC 9113 §3.4 */
const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** Whether `head` is (so far) the HTTP/2 preface: true, false, or null when more bytes are needed. */
export function isHttp2Preface(head: Buffer): boolean | null {
  const n = Math.min(head.length, H2_PREFACE.length);
  if (head.compare(H2_PREFACE, 0, n, 0, n) !== 0) return false;
  return n === H2_PREFACE.length ? true : null;
}

/** Track HTTP/2 sessions (for close) and close each one idle for `idleMs` with no stream open. */
function trackSessions(server: Http2Server, idleMs: number): Set<ServerHttp2Session> {
  const sessions = new Set<ServerHttp2Session>();
  server.on('session', (session: ServerHttp2Session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
    let open = 0;
    session.on('stream', (stream) => {
      open++;
      stream.once('close', () => open--);
    });
    // the timer restarts with every frame; it fires again after a long stream has ended
    session.setTimeout(idleMs);
    session.on('timeout', () => {
      if (open === 0 && !session.closed) session.close();
    });
  });
  return sessions;
}

function closeSessions(sessions: Set<ServerHttp2Session>): void {
  // GOAWAY: streams in flight finish, then the session (and its socket) closes
  for (const s of sessions) if (!s.closed) s.close();
}

export function createListener(handler: RequestHandler, options: ListenerOptions): Listener {
  const http1 = createHttp1Server({ keepAliveTimeout: options.keepAliveTimeoutMs, requestTimeout: 0, headersTimeout: options.headersTimeoutMs }, handler);
  const http2 = createHttp2Server(handler);
  const sessions = trackSessions(http2, options.keepAliveTimeoutMs);
  const server = options.tls ? tlsServer(http1, http2, options.tls) : sniffingServer(http1, http2, options.headersTimeoutMs);
  // every connection (TCP, before TLS or sniffing), to cut what the drain timeout leaves
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // node:http starts its header/request timeout checks when it listens; it never listens here
  server.once('listening', () => http1.emit('listening'));
  return {
    server,
    http1,
    close: (drainMs) =>
      drained(drainMs, (resolve) => {
        server.close(() => resolve());
        // not listening itself: this only stops its timers and closes idle keep-alive connections
        http1.close(() => undefined);
        http1.closeIdleConnections();
        closeSessions(sessions);
      }, () => {
        for (const s of sessions) s.destroy();
        for (const s of sockets) s.destroy();
      }),
  };
}

/** Run `start`, and if it has not resolved within `drainMs`, `cut` what is left. */
function drained(drainMs: number, start: (resolve: () => void) => void, cut: () => void): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(cut, drainMs);
    timer.unref();
    start(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Cleartext: the first bytes of each connection say HTTP/2 (the preface) or HTTP/1.1. */
function sniffingServer(http1: Http1Server, http2: Http2Server, headersTimeoutMs: number): NetServer {
  // noDelay: node:http sets TCP_NODELAY on the sockets it accepts itself; these are accepted here, so
  // without it small writes (an SSE event, a response head) wait for Nagle and delayed ACK (~40 ms)
  return createNetServer({ noDelay: true }, (socket: Socket) => {
    let head: Buffer | null = null;
    const onData = (chunk: Buffer): void => {
      head = head === null ? chunk : Buffer.concat([head, chunk]);
      const h2 = isHttp2Preface(head);
      if (h2 === null) return; // a first read shorter than the preface: wait for the rest
      socket.off('data', onData);
      socket.off('timeout', onIdle);
      socket.off('error', onError);
      socket.setTimeout(0);
      socket.pause();
      socket.unshift(head);
      if (h2) {
        http2.emit('connection', socket);
      } else {
        http1.emit('connection', socket);
        socket.resume();
      }
    };
    // until handed over: a silent connection is closed after the header timeout, a reset one at once
    const onIdle = (): void => {
      socket.destroy();
    };
    const onError = (): void => {
      socket.destroy();
    };
    socket.on('data', onData);
    socket.on('error', onError);
    socket.setTimeout(headersTimeoutMs, onIdle);
  });
}

/** TLS: ALPN says `h2` or `http/1.1` (a client offering none speaks HTTP/1.1). */
function tlsServer(http1: Http1Server, http2: Http2Server, tls: NonNullable<ListenerOptions['tls']>): NetServer {
  return createTlsServer({ cert: tls.cert, key: tls.key, ALPNProtocols: ['h2', 'http/1.1'], noDelay: true }, (socket: TLSSocket) => {
    if (socket.alpnProtocol === 'h2') http2.emit('connection', socket);
    else http1.emit('connection', socket);
  });
}
