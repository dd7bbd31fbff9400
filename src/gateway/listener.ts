/**
 * The public listener: HTTP/1.1 and HTTP/2 on one port, one request handler for both.
 *
 * The JS Bedrock Runtime client speaks only HTTP/2 (h2c with prior knowledge against an `http://`
 * endpoint, docs/bedrock.md); everything else (botocore, the OpenAI SDKs, curl, key
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
 *
 * Limits (config `listen`, docs/reliability.md): the request head within `headersTimeoutMs`, the
 * whole request and each pause in its body bounded (deadlines.ts), heads larger than
 * `maxHeaderBytes` refused (431), and a listen backlog the kernel caps at somaxconn.
 *
 * Drain (`close`): the port stops accepting; every response not yet started says
 * `Connection: close` (HTTP/1.1) and each HTTP/2 session gets GOAWAY, so busy keep-alive clients
 * move on instead of sending more; connections close as soon as their last response is done, and
 * close resolves then — the drain timeout only cuts what is still running when it expires.
 *
 * TLS: certificates (one, or several chosen by SNI) are secure contexts swapped in place by
 * `setTls` (a renewed certificate is served to new handshakes at once; open connections keep theirs).
 */
import { createServer as createHttp1Server, type Server as Http1Server } from 'node:http';
import { createServer as createHttp2Server, type Http2Server, type ServerHttp2Session } from 'node:http2';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { createSecureContext, createServer as createTlsServer, type SecureContext, type TLSSocket } from 'node:tls';
import type { HttpRequest, HttpResponse } from '../core/http.js';
import { watchRequest } from './deadlines.js';

export type RequestHandler = (req: HttpRequest, res: HttpResponse) => void;

/** One certificate: PEM chain and key, and the SNI names it serves (none: the default). */
export interface TlsMaterial {
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
  readonly serverNames?: readonly string[] | undefined;
}

export interface ListenerOptions {
  readonly keepAliveTimeoutMs: number;
  /** the request head must arrive within this time (also: the first bytes of a connection) */
  readonly headersTimeoutMs: number;
  /** the whole request (head and body) must arrive within this time */
  readonly requestTimeoutMs?: number;
  /** longest pause between two pieces of a request body */
  readonly bodyIdleTimeoutMs?: number;
  /** largest request head (HTTP/1.1) or header list (HTTP/2) */
  readonly maxHeaderBytes?: number;
  /** PEM certificates: serve TLS with ALPN (h2, http/1.1) instead of cleartext; several: by SNI */
  readonly tls?: readonly TlsMaterial[] | TlsMaterial | undefined;
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
  /** replace the certificates served to new TLS handshakes (no-op without TLS) */
  setTls(tls: readonly TlsMaterial[]): void;
  /** requests being answered now */
  inFlight(): number;
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

/** node:http checks header and request deadlines on this period (its default: 30 s) */
function checkingInterval(...timeouts: number[]): number {
  return Math.max(50, Math.min(1000, ...timeouts.map((t) => t / 4)));
}

export function createListener(handler: RequestHandler, options: ListenerOptions): Listener {
  const requestMs = options.requestTimeoutMs ?? 120_000;
  const deadlines = { requestMs, bodyIdleMs: options.bodyIdleTimeoutMs ?? 30_000 };
  const maxHeaderBytes = options.maxHeaderBytes ?? 16_384;
  let draining = false;
  const active = new Set<HttpResponse>();
  const serve = (req: HttpRequest, res: HttpResponse): void => {
    active.add(res);
    if (req.httpVersionMajor !== 2) watchFin(req.socket, res);
    res.once('close', () => {
      active.delete(res);
      // draining: a keep-alive connection whose last answer just ended has nothing left to do
      if (draining && req.httpVersionMajor !== 2) setImmediate(() => http1.closeIdleConnections());
    });
    if (draining) announceClose(res);
    watchRequest(req, res, deadlines);
    handler(req, res);
  };
  const http1 = createHttp1Server(
    {
      keepAliveTimeout: options.keepAliveTimeoutMs,
      headersTimeout: options.headersTimeoutMs,
      // a backstop from the head's first byte; deadlines.ts bounds the body itself (and first)
      requestTimeout: requestMs + options.headersTimeoutMs,
      connectionsCheckingInterval: checkingInterval(options.headersTimeoutMs, requestMs),
      maxHeaderSize: maxHeaderBytes,
    },
    serve,
  );
  // a request followed by the client's FIN is answered, then the connection ends (not aborted)
  (http1 as Http1Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  const http2 = createHttp2Server({ maxSessionMemory: 16, settings: { maxHeaderListSize: maxHeaderBytes } }, serve);
  const sessions = trackSessions(http2, options.keepAliveTimeoutMs);
  // every connection (TCP, before TLS or sniffing), to cut what the drain timeout leaves
  const sockets = new Set<Socket>();
  // connections not yet handed to a protocol server (no request read from them)
  const unsorted = new Set<Socket>();
  const tls = options.tls === undefined ? undefined : Array.isArray(options.tls) ? (options.tls as readonly TlsMaterial[]) : [options.tls as TlsMaterial];
  const sni = tls ? new SniContexts(tls) : undefined;
  const server = sni ? tlsServer(http1, http2, sni, options.headersTimeoutMs) : sniffingServer(http1, http2, options.headersTimeoutMs, unsorted);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // node:http starts its header/request timeout checks when it listens; it never listens here
  server.once('listening', () => http1.emit('listening'));
  return {
    server,
    http1,
    inFlight: () => active.size,
    setTls: (next) => sni?.set(next),
    close: (drainMs) =>
      drained(drainMs, (resolve) => {
        draining = true;
        server.close(() => resolve());
        // answers not yet started announce the close; those already started close when done
        for (const res of active) announceClose(res);
        // not listening itself: this only stops its timers and closes idle keep-alive connections
        http1.close(() => undefined);
        http1.closeIdleConnections();
        closeSessions(sessions);
        // a connection that has sent nothing yet has no request to finish
        for (const s of unsorted) s.destroy();
      }, () => {
        for (const s of sessions) s.destroy();
        for (const s of sockets) s.destroy();
      }),
  };
}

/** the HTTP/1.1 response being written on each connection (for its FIN) */
const answering = new WeakMap<Socket, HttpResponse>();

/**
 * A client's FIN on HTTP/1.1 (the connection is half-open: allowHalfOpen). Before the answer has
 * started it is a half-close (`curl`-style shutdown after the request): the request is served and
 * the connection ends after its answer. Once the answer has started, the client has gone away (a
 * closed tab, a killed script): the response is destroyed, which aborts the upstream call at once
 * instead of at the next write.
 */
function watchFin(socket: Socket, res: HttpResponse): void {
  const first = !answering.has(socket);
  answering.set(socket, res);
  if (!first) return;
  socket.once('end', () => {
    const current = answering.get(socket);
    if (current !== undefined && current.headersSent && !current.writableFinished && !current.destroyed) current.destroy();
  });
}

/**
 * Bytes after a request that do not parse (garbage pipelined behind it): when that request is
 * still being answered, its answer goes out first, says `Connection: close`, and the connection
 * ends after it — the garbage gets no answer of its own, and the request's event keeps its own
 * status. True when so arranged; false when nothing is in flight (the caller answers 400).
 */
export function closeAfterAnswer(socket: Socket): boolean {
  const res = answering.get(socket);
  // a request whose own body the garbage broke is not answered: the caller's 400 ends it
  if (res === undefined || res.writableFinished || res.destroyed || !res.req.complete) return false;
  announceClose(res);
  res.once('finish', () => socket.destroySoon());
  return true;
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

/** HTTP/1.1: this answer's head says `Connection: close` and the connection ends after it. */
function announceClose(res: HttpResponse): void {
  if (res.req.httpVersionMajor === 2 || res.headersSent) return;
  (res as HttpResponse & { shouldKeepAlive: boolean }).shouldKeepAlive = false;
}

/** Cleartext: the first bytes of each connection say HTTP/2 (the preface) or HTTP/1.1. */
function sniffingServer(http1: Http1Server, http2: Http2Server, headersTimeoutMs: number, unsorted: Set<Socket>): NetServer {
  // noDelay: node:http sets TCP_NODELAY on the sockets it accepts itself; these are accepted here, so
  // without it small writes (an SSE event, a response head) wait for Nagle and delayed ACK (~40 ms)
  // allowHalfOpen: a client that sends its request and then FIN (shutdown(SHUT_WR)) still reads
  // the answer; node:http is told the same (httpAllowHalfOpen) in createListener
  return createNetServer({ noDelay: true, allowHalfOpen: true }, (socket: Socket) => {
    let head: Buffer | null = null;
    unsorted.add(socket);
    socket.once('close', () => unsorted.delete(socket));
    const onData = (chunk: Buffer): void => {
      unsorted.delete(socket);
      head = head === null ? chunk : Buffer.concat([head, chunk]);
      const h2 = isHttp2Preface(head);
      if (h2 === null) return; // a first read shorter than the preface: wait for the rest
      socket.off('data', onData);
      socket.off('timeout', onIdle);
      socket.off('error', onError);
      socket.off('end', onError);
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
    // FIN before a request: nothing to answer
    socket.on('end', onError);
    socket.setTimeout(headersTimeoutMs, onIdle);
  });
}

/**
 * The secure contexts served: a default and, by SNI name, others. Exact names first, then one-label
 * wildcards (`*.example.com`); an unknown or absent name gets the default.
 */
class SniContexts {
  #default!: SecureContext;
  #defaultMaterial!: TlsMaterial;
  /** called after each set (the TLS server's own context for clients sending no SNI) */
  onChange: (material: TlsMaterial) => void = () => undefined;
  #exact = new Map<string, SecureContext>();
  #wild = new Map<string, SecureContext>();

  constructor(tls: readonly TlsMaterial[]) {
    this.set(tls);
  }

  /** build every context first: a bad file throws here and leaves the served set as it was */
  set(tls: readonly TlsMaterial[]): void {
    const exact = new Map<string, SecureContext>();
    const wild = new Map<string, SecureContext>();
    let fallback: [SecureContext, TlsMaterial] | undefined;
    let first: [SecureContext, TlsMaterial] | undefined;
    for (const m of tls) {
      const ctx = createSecureContext({ cert: m.cert, key: m.key });
      first ??= [ctx, m];
      const names = m.serverNames ?? [];
      if (names.length === 0) fallback ??= [ctx, m];
      for (const n of names) {
        const name = n.toLowerCase();
        if (name.startsWith('*.')) wild.set(name.slice(2), ctx);
        else exact.set(name, ctx);
      }
    }
    if (first === undefined) throw new Error('tls: no certificate');
    [this.#default, this.#defaultMaterial] = fallback ?? first;
    this.#exact = exact;
    this.#wild = wild;
    this.onChange(this.#defaultMaterial);
  }

  get defaultMaterial(): TlsMaterial {
    return this.#defaultMaterial;
  }

  for(servername: string): SecureContext {
    const name = servername.toLowerCase();
    const hit = this.#exact.get(name);
    if (hit) return hit;
    const dot = name.indexOf('.');
    return (dot > 0 ? this.#wild.get(name.slice(dot + 1)) : undefined) ?? this.#default;
  }
}

/** TLS: ALPN says `h2` or `http/1.1` (a client offering none speaks HTTP/1.1). */
function tlsServer(http1: Http1Server, http2: Http2Server, sni: SniContexts, headersTimeoutMs: number): NetServer {
  const server = createTlsServer(
    {
      cert: sni.defaultMaterial.cert,
      key: sni.defaultMaterial.key,
      ALPNProtocols: ['h2', 'http/1.1'],
      noDelay: true,
      handshakeTimeout: headersTimeoutMs,
      // read on every handshake: a renewed certificate (setTls) is served at once
      SNICallback: (servername, cb) => cb(null, sni.for(servername)),
    },
    (socket: TLSSocket) => {
      if (socket.alpnProtocol === 'h2') http2.emit('connection', socket);
      else http1.emit('connection', socket);
    },
  );
  // a client sending no SNI (an IP address URL) gets the server's own context: kept current
  sni.onChange = (m) => server.setSecureContext({ cert: m.cert, key: m.key });
  return server;
}
