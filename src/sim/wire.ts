/**
 * The raw HTTP/1.1 client of the simulator. Requests go out byte for byte as built (no library
 * reorders or recases a header), over `net` or `tls`, directly or through an HTTP forward proxy:
 * absolute-form for http targets, CONNECT for https (RFC 9110 §9.3.6). Responses are read with the
 * strict parser of response.ts. Every failure is classified for the report.
 */
import { lookup } from 'node:dns/promises';
import { isIP, Socket, connect as netConnect } from 'node:net';
import { connect as tlsConnect, type SecureVersion, type TLSSocket } from 'node:tls';
import { encodeHead, type HeaderPair } from './request.js';
import { headerValue, HttpParseError, type ParsedResponse, type ParserLimits, ResponseParser } from './response.js';

/** Why a request did not get a response. */
export type FailureKind =
  | 'refused'
  | 'reset'
  | 'closed'
  | 'timeout'
  | 'tls'
  | 'dns'
  | 'unreachable'
  | 'proxy-refused'
  | 'protocol'
  | 'loopback-only'
  | 'aborted';

export interface WireFailure {
  readonly kind: FailureKind;
  readonly detail: string;
  /** the proxy's answer to CONNECT when it refused the tunnel */
  readonly proxyResponse?: ParsedResponse;
}

export interface Timings {
  readonly startedAt: Date;
  readonly dns: number;
  readonly connect: number;
  readonly ssl: number;
  readonly send: number;
  readonly wait: number;
  readonly receive: number;
  readonly total: number;
}

/** What the TLS handshake settled on, as the client saw it. */
export interface NegotiatedTls {
  /** `TLSv1.2`, `TLSv1.3` */
  readonly version: string;
  /** OpenSSL cipher name (`TLS_AES_128_GCM_SHA256`, `ECDHE-RSA-AES128-GCM-SHA256`) */
  readonly cipher: string;
  /** IANA name of the cipher suite */
  readonly standardCipher?: string;
  /** the ALPN protocol the server chose, or none */
  readonly alpn: string | null;
  /** the server name sent in the ClientHello (none for an IP address) */
  readonly sni: string | null;
  /** the certificate chain was verified */
  readonly authorized: boolean;
}

export interface Exchange {
  /** the request went over a kept-alive connection from the pool */
  readonly reused?: boolean;
  readonly response?: ParsedResponse;
  /** https only: the negotiated TLS parameters */
  readonly tls?: NegotiatedTls;
  readonly failure?: WireFailure;
  readonly timings: Timings;
  readonly rawResponse: Buffer;
  readonly remoteAddress?: string;
}

export interface TlsOptions {
  readonly rejectUnauthorized: boolean;
  readonly ca?: string | Buffer;
  /** SNI; default the target host name (none for an IP address) */
  readonly servername?: string;
  /** lowest / highest TLS version offered (default: Node's, TLS 1.2 to 1.3) */
  readonly minVersion?: SecureVersion;
  readonly maxVersion?: SecureVersion;
  /** OpenSSL cipher list (TLS 1.2 suites and TLS 1.3 suite names) */
  readonly ciphers?: string;
  /** ALPN protocols offered, in order (default `http/1.1`, as the SDKs' HTTP/1.1 clients offer) */
  readonly alpn?: readonly string[];
}

export interface ExchangeOptions {
  readonly target: URL;
  readonly proxy?: URL;
  readonly method: string;
  /** request bytes as built (request line in the right form already) */
  readonly request: Buffer;
  /** CONNECT head, used only for https through a proxy */
  readonly connectHead?: Buffer;
  readonly timeoutMs: number;
  readonly tls: TlsOptions;
  /** refuse any address outside 127.0.0.0/8 and ::1 (tests, CI) */
  readonly loopbackOnly: boolean;
  readonly signal?: AbortSignal;
  readonly limits?: Partial<ParserLimits>;
  /** keep connections alive and reuse them, as the SDKs' HTTP clients do (load runs) */
  readonly pool?: ConnectionPool;
}

interface Pooled {
  readonly socket: Socket;
  readonly tls?: NegotiatedTls;
  readonly address?: string;
}

/**
 * Idle kept-alive connections by destination (proxy, scheme, host, port, TLS settings), reused
 * last-in first-out like urllib3's and undici's pools. An idle connection that receives bytes or
 * closes is dropped. `opened` and `reused` count for the load report.
 */
export class ConnectionPool {
  private readonly idle = new Map<string, Pooled[]>();
  private readonly watchers = new Map<Socket, () => void>();
  opened = 0;
  reused = 0;

  static keyOf(o: ExchangeOptions): string {
    const t = o.tls;
    return [o.proxy?.host ?? '', o.target.protocol, o.target.host, t.servername ?? '', t.minVersion ?? '', t.maxVersion ?? '', t.ciphers ?? '', (t.alpn ?? []).join(',')].join('|');
  }

  take(key: string): Pooled | undefined {
    const list = this.idle.get(key);
    while (list && list.length > 0) {
      const p = list.pop();
      if (!p) break;
      this.unwatch(p.socket);
      if (!p.socket.destroyed && p.socket.writable && !p.socket.readableEnded) {
        this.reused++;
        return p;
      }
      p.socket.destroy();
    }
    return undefined;
  }

  put(key: string, p: Pooled): void {
    const drop = (): void => {
      this.unwatch(p.socket);
      const list = this.idle.get(key);
      const at = list?.indexOf(p) ?? -1;
      if (list && at >= 0) list.splice(at, 1);
      p.socket.destroy();
    };
    p.socket.on('data', drop);
    p.socket.on('close', drop);
    p.socket.on('end', drop);
    this.watchers.set(p.socket, drop);
    const list = this.idle.get(key) ?? [];
    list.push(p);
    this.idle.set(key, list);
  }

  private unwatch(socket: Socket): void {
    const drop = this.watchers.get(socket);
    if (!drop) return;
    socket.off('data', drop);
    socket.off('close', drop);
    socket.off('end', drop);
    this.watchers.delete(socket);
  }

  /** Close every idle connection. */
  close(): void {
    for (const list of this.idle.values()) {
      for (const p of list) {
        this.unwatch(p.socket);
        p.socket.destroy();
      }
    }
    this.idle.clear();
  }
}

/** Is this address in 127.0.0.0/8 or ::1 (or ::ffff:127.x)? */
function isLoopback(address: string): boolean {
  const a = address.replace(/^\[|\]$/g, '').toLowerCase();
  if (isIP(a) === 4) return a.startsWith('127.');
  if (a === '::1' || a === '0:0:0:0:0:0:0:1') return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  return mapped !== null && (mapped[1] ?? '').startsWith('127.');
}

class Failure extends Error {
  constructor(
    readonly kind: FailureKind,
    detail: string,
    readonly proxyResponse?: ParsedResponse,
  ) {
    super(detail);
  }
}

function classify(e: unknown, phase: 'connect' | 'tls' | 'exchange'): Failure {
  if (e instanceof Failure) return e;
  if (e instanceof HttpParseError) {
    return new Failure(e.message.startsWith('connection closed') ? 'closed' : 'protocol', e.message);
  }
  const code = (e as NodeJS.ErrnoException | undefined)?.code ?? '';
  const message = e instanceof Error ? e.message : String(e);
  if (code === 'ECONNREFUSED') return new Failure('refused', `connection refused (${code})`);
  if (code === 'ECONNRESET' || code === 'EPIPE') return new Failure('reset', `connection reset (${code})`);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') return new Failure('dns', `name not resolved (${code})`);
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EADDRNOTAVAIL') return new Failure('unreachable', `unreachable (${code})`);
  if (code === 'ETIMEDOUT') return new Failure('timeout', `timed out (${code})`);
  if (phase === 'tls' || /^(ERR_SSL|ERR_TLS|CERT_|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED|HOSTNAME_MISMATCH)/.test(code) || /ssl|tls|certificate/i.test(message)) {
    return new Failure('tls', `TLS failure (${code || message.slice(0, 80)})`);
  }
  return new Failure('protocol', `${code || 'error'}: ${message.slice(0, 120)}`);
}

async function resolveAddress(host: string, loopbackOnly: boolean): Promise<string> {
  const bare = host.replace(/^\[|\]$/g, '');
  let addresses: string[];
  if (isIP(bare) !== 0) addresses = [bare];
  else {
    try {
      addresses = (await lookup(bare, { all: true })).map((a) => a.address);
    } catch (e: unknown) {
      throw classify(e, 'connect');
    }
  }
  if (loopbackOnly) {
    const outside = addresses.filter((a) => !isLoopback(a));
    if (outside.length > 0 || addresses.length === 0) {
      throw new Failure('loopback-only', `refusing ${host}: not a loopback address (loopback-only mode)`);
    }
  }
  const first = addresses[0];
  if (first === undefined) throw new Failure('dns', `no address for ${host}`);
  return first;
}

/** Names that can never reach the internet (RFC 2606, RFC 6761). */
const RESERVED_TLD = /\.(test|invalid|localhost|example)\.?$/i;

/**
 * Behind a proxy the simulator does not connect to the target itself, but in loopback-only mode
 * the target must still be loopback or a reserved name, so no test can ask a proxy to go out.
 */
function checkProxiedTarget(hostname: string): void {
  const bare = hostname.replace(/^\[|\]$/g, '');
  if (isIP(bare) !== 0 ? isLoopback(bare) : bare === 'localhost' || RESERVED_TLD.test(bare)) return;
  throw new Failure('loopback-only', `refusing ${hostname} behind the proxy: not loopback nor a reserved .test/.invalid/.example name (loopback-only mode)`);
}

function portOf(url: URL): number {
  if (url.port !== '') return Number(url.port);
  return url.protocol === 'https:' ? 443 : 80;
}

/** Read one response from a socket. Resolves with the parser result; rejects on close/error. */
function readResponse(socket: Socket, parser: ResponseParser, raw: Buffer[], onFirstByte: () => void): Promise<ParsedResponse> {
  return new Promise<ParsedResponse>((resolve, reject) => {
    let first = true;
    const cleanup = (): void => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', onError);
      socket.off('close', onClose);
    };
    const settle = (): boolean => {
      if (parser.done && parser.result) {
        cleanup();
        resolve(parser.result);
        return true;
      }
      return false;
    };
    const onData = (chunk: Buffer): void => {
      if (first) {
        first = false;
        onFirstByte();
      }
      raw.push(chunk);
      try {
        parser.feed(chunk);
        settle();
      } catch (e: unknown) {
        cleanup();
        reject(e);
      }
    };
    const onEnd = (): void => {
      try {
        parser.end();
        if (!settle()) throw new HttpParseError('connection closed mid-response');
      } catch (e: unknown) {
        cleanup();
        reject(e);
      }
    };
    const onError = (e: Error): void => {
      cleanup();
      reject(e);
    };
    const onClose = (): void => onEnd();
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('error', onError);
    socket.on('close', onClose);
  });
}

function waitFor(socket: Socket, event: 'connect' | 'secureConnect'): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const ok = (): void => {
      socket.off('error', bad);
      socket.off('close', closed);
      resolve();
    };
    const bad = (e: Error): void => {
      socket.off(event, ok);
      socket.off('close', closed);
      reject(e);
    };
    const closed = (): void => {
      socket.off(event, ok);
      socket.off('error', bad);
      reject(Object.assign(new Error('socket closed during handshake'), { code: 'ECONNRESET' }));
    };
    socket.once(event, ok);
    socket.once('error', bad);
    socket.once('close', closed);
  });
}

/**
 * Send one request and read one response. Never throws: the result holds either a response or a
 * classified failure. One connection per exchange, closed afterwards; the whole exchange (DNS,
 * connect, proxy, TLS, response) shares one deadline.
 */
export async function exchange(options: ExchangeOptions): Promise<Exchange> {
  const first = await exchangeOnce(options, true);
  // a kept-alive connection the server had closed meanwhile: retry once on a new one, as clients do
  if (first.reused && first.failure && first.rawResponse.length === 0 && (first.failure.kind === 'closed' || first.failure.kind === 'reset')) {
    return exchangeOnce(options, false);
  }
  return first;
}

async function exchangeOnce(options: ExchangeOptions, mayReuse: boolean): Promise<Exchange> {
  const startedAt = new Date();
  const t0 = performance.now();
  const marks = { dns: t0, connect: t0, ssl: t0, sent: t0, firstByte: t0 };
  const raw: Buffer[] = [];
  const sockets: Socket[] = [];
  let timer: NodeJS.Timeout | undefined;
  let remoteAddress: string | undefined;
  let negotiated: NegotiatedTls | undefined;
  const pool = options.pool;
  const poolKey = pool ? ConnectionPool.keyOf(options) : '';
  let reused = false;
  let keep: Socket | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Failure('timeout', `no complete response within ${options.timeoutMs} ms`)), options.timeoutMs);
  });
  // one listener per exchange, removed when the exchange settles (a long load shares one signal)
  let onAbort: (() => void) | undefined;
  const abort = new Promise<never>((_, reject) => {
    if (options.signal?.aborted) reject(new Failure('aborted', 'aborted'));
    onAbort = () => reject(new Failure('aborted', 'aborted'));
    options.signal?.addEventListener('abort', onAbort, { once: true });
  });
  deadline.catch(() => undefined);
  abort.catch(() => undefined);
  let phase: 'connect' | 'tls' | 'exchange' = 'connect';
  const send = async (socket: Socket): Promise<ParsedResponse> => {
    phase = 'exchange';
    const parser = new ResponseParser({ method: options.method, ...(options.limits ? { limits: options.limits } : {}) });
    const reading = readResponse(socket, parser, raw, () => {
      marks.firstByte = performance.now();
    });
    socket.write(options.request, () => {
      marks.sent = performance.now();
    });
    const res = await reading;
    const close = (headerValue(res.headers, 'connection') ?? '').toLowerCase().includes('close');
    if (pool && res.httpVersion === '1.1' && res.framing !== 'close' && !close && parser.leftover.length === 0) keep = socket;
    return res;
  };
  const run = async (): Promise<ParsedResponse> => {
    const pooled = pool && mayReuse ? pool.take(poolKey) : undefined;
    if (pooled) {
      reused = true;
      sockets.push(pooled.socket);
      negotiated = pooled.tls;
      remoteAddress = pooled.address;
      return send(pooled.socket);
    }
    if (pool) pool.opened++;
    const hop = options.proxy ?? options.target;
    const address = await resolveAddress(hop.hostname, options.loopbackOnly);
    if (options.proxy && options.loopbackOnly) checkProxiedTarget(options.target.hostname);
    remoteAddress = address;
    marks.dns = performance.now();
    const https = options.target.protocol === 'https:';
    const servername = options.tls.servername ?? (isIP(options.target.hostname.replace(/^\[|\]$/g, '')) === 0 ? options.target.hostname : undefined);
    let socket: Socket = netConnect({ host: address, port: portOf(hop) });
    // errors are read by the phase's own listeners; this one keeps a late error from crashing the process
    socket.on('error', () => undefined);
    sockets.push(socket);
    await waitFor(socket, 'connect');
    marks.connect = performance.now();
    if (options.proxy && https) {
      socket.write(options.connectHead ?? Buffer.alloc(0));
      const connectParser = new ResponseParser({ method: 'CONNECT', ...(options.limits ? { limits: options.limits } : {}) });
      const answer = await readResponse(socket, connectParser, [], () => undefined);
      if (answer.status < 200 || answer.status > 299) {
        throw new Failure('proxy-refused', `proxy refused CONNECT with ${answer.status} ${answer.reason}`.trim(), answer);
      }
      if (connectParser.leftover.length > 0) throw new Failure('protocol', 'proxy sent bytes before the TLS handshake');
    }
    if (https) {
      phase = 'tls';
      const t = options.tls;
      const tlsSocket: TLSSocket = tlsConnect({
        socket,
        // the name the certificate is checked against when no SNI is sent (an IP address target)
        host: options.target.hostname.replace(/^\[|\]$/g, ''),
        rejectUnauthorized: t.rejectUnauthorized,
        ...(servername !== undefined ? { servername } : {}),
        ...(t.ca !== undefined ? { ca: t.ca } : {}),
        ...(t.minVersion !== undefined ? { minVersion: t.minVersion } : {}),
        ...(t.maxVersion !== undefined ? { maxVersion: t.maxVersion } : {}),
        ...(t.ciphers !== undefined ? { ciphers: t.ciphers } : {}),
        ALPNProtocols: [...(t.alpn ?? ['http/1.1'])],
      });
      tlsSocket.on('error', () => undefined);
      sockets.push(tlsSocket);
      await waitFor(tlsSocket, 'secureConnect');
      const cipher = tlsSocket.getCipher();
      const alpn = tlsSocket.alpnProtocol;
      negotiated = {
        version: tlsSocket.getProtocol() ?? 'unknown',
        cipher: cipher.name,
        ...(cipher.standardName ? { standardCipher: cipher.standardName } : {}),
        alpn: typeof alpn === 'string' ? alpn : null,
        sni: servername ?? null,
        authorized: tlsSocket.authorized,
      };
      if (typeof alpn === 'string' && alpn !== 'http/1.1' && alpn !== 'http/1.0') {
        throw new Failure('protocol', `the server chose ALPN ${alpn}; the simulator speaks HTTP/1.1 only`);
      }
      socket = tlsSocket;
      marks.ssl = performance.now();
      phase = 'exchange';
    } else {
      marks.ssl = marks.connect;
      phase = 'exchange';
    }
    return send(socket);
  };
  let response: ParsedResponse | undefined;
  let failure: WireFailure | undefined;
  try {
    response = await Promise.race([run(), deadline, abort]);
  } catch (e: unknown) {
    const f = classify(e, phase);
    failure = { kind: f.kind, detail: f.message, ...(f.proxyResponse ? { proxyResponse: f.proxyResponse } : {}) };
  } finally {
    clearTimeout(timer);
    if (onAbort) options.signal?.removeEventListener('abort', onAbort);
    if (keep && pool && response) pool.put(poolKey, { socket: keep, ...(negotiated ? { tls: negotiated } : {}), ...(remoteAddress !== undefined ? { address: remoteAddress } : {}) });
    // the TLS layer first, then the socket under it
    else for (const s of [...sockets].reverse()) s.destroy();
  }
  const end = performance.now();
  if (marks.sent < marks.ssl) marks.sent = marks.ssl;
  if (marks.firstByte < marks.sent) marks.firstByte = marks.sent;
  const ms = (a: number, b: number): number => Math.max(0, Math.round((b - a) * 1000) / 1000);
  const timings: Timings = {
    startedAt,
    dns: ms(t0, marks.dns),
    connect: ms(marks.dns, marks.connect),
    ssl: ms(marks.connect, marks.ssl),
    send: ms(marks.ssl, marks.sent),
    wait: ms(marks.sent, marks.firstByte),
    receive: ms(marks.firstByte, end),
    total: ms(t0, end),
  };
  return {
    ...(reused ? { reused } : {}),
    ...(response ? { response } : {}),
    ...(failure ? { failure } : {}),
    ...(negotiated ? { tls: negotiated } : {}),
    timings,
    rawResponse: Buffer.concat(raw),
    ...(remoteAddress !== undefined ? { remoteAddress } : {}),
  };
}

/** CONNECT head bytes for a request (the profile's form). */
export function connectHead(line: string, headers: readonly HeaderPair[], proxyAuth?: string): Buffer {
  return encodeHead(line, proxyAuth ? [...headers, ['Proxy-Authorization', proxyAuth]] : headers);
}

/** `Basic …` from credentials in a proxy URL, if any. */
export function proxyAuthorization(proxy: URL | undefined): string | undefined {
  if (!proxy || (proxy.username === '' && proxy.password === '')) return undefined;
  const user = decodeURIComponent(proxy.username);
  const pass = decodeURIComponent(proxy.password);
  return `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
}
