/**
 * Forwarding to a real HTTP upstream through a pooled undici connection: the request body is
 * streamed up (or a rewritten buffer sent), the response streamed down with `pool.stream` straight
 * into the client's response — SSE and event streams are never buffered. Hop-by-hop headers (RFC 9110
 * §7.6.1, and every header named in `Connection`) are stripped both ways. A client that goes away
 * aborts the upstream request. Upstream faults surface as a typed `UpstreamFault`; the surface turns
 * it into its own error without leaking upstream detail.
 */
import { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders } from 'node:http';
import type { HttpResponse } from './http.js';
import { Writable, type Readable } from 'node:stream';
import { Pool, errors as undiciErrors } from 'undici';
import { markCut, type CutReason } from './cut.js';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'expect',
]);

export type UpstreamFaultKind = 'connect' | 'timeout' | 'protocol' | 'aborted';

export class UpstreamFault extends Error {
  readonly kind: UpstreamFaultKind;
  constructor(kind: UpstreamFaultKind, cause: unknown) {
    super(`upstream ${kind}`, { cause });
    this.name = 'UpstreamFault';
    this.kind = kind;
  }
}

export interface ForwardOptions {
  readonly method: string;
  /** path and query as received */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** the client's body stream, a rewritten buffer, or null */
  readonly body: Readable | Buffer | null;
  /** replace these request headers (lower-case names), e.g. authorization for a key swap */
  readonly setHeaders?: Readonly<Record<string, string>>;
  /** do not pass upstream 5xx answers through (they may carry internal detail): report them instead */
  readonly replaceServerErrors?: boolean;
  /** other statuses whose upstream answer is not passed through (reported as `replaced`, like a 5xx) */
  readonly replaceStatus?: (status: number) => boolean;
  /**
   * called when the upstream's head arrives, before any byte goes to the client; the request event
   * may be built (on the client's close) before `forward` resolves, so record what it needs here
   */
  readonly onResponse?: (status: number, headers: Readonly<Record<string, string | string[] | undefined>>, upstreamMs: number) => void;
  /**
   * rewrite the upstream's response headers before they go to the client (names lower-case, as
   * undici gives them): e.g. a lure persona's account headers over a burner upstream's own
   */
  readonly rewriteHeaders?: (headers: Record<string, string | string[] | undefined>) => void;
  /**
   * the last words of an event stream that breaks after it started (an upstream reset, stall or
   * broken framing): when set, a `text/event-stream` answer that is not content-encoded goes to the
   * client event by event (a partial event is held until its blank line, never longer), and on a
   * fault the text returned here is written after the last complete event and the stream ends
   * cleanly, as the provider's own API ends a stream it cannot finish. Called synchronously.
   */
  readonly streamFault?: (kind: UpstreamFaultKind) => string;
}

export interface ForwardResult {
  readonly status: number;
  /** true when an upstream 5xx (or a `replaceStatus` answer) was swallowed: the caller writes its own error */
  readonly replaced: boolean;
  /** ms until the upstream's response headers arrived */
  readonly upstreamMs: number;
}

/** Names listed in a Connection header are hop-by-hop too. */
function connectionTokens(value: string | string[] | undefined): Set<string> | null {
  if (value === undefined) return null;
  const text = Array.isArray(value) ? value.join(',') : value;
  const out = new Set<string>();
  for (const t of text.split(',')) {
    const name = t.trim().toLowerCase();
    if (name !== '' && name !== 'close' && name !== 'keep-alive') out.add(name);
  }
  return out.size > 0 ? out : null;
}

function requestHeadersForUpstream(
  headers: IncomingHttpHeaders,
  set: Readonly<Record<string, string>> | undefined,
  bodyLength: number | undefined,
): Record<string, string | string[]> {
  const named = connectionTokens(headers['connection']);
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    // HTTP/2 pseudo-headers (`:method`, `:path`, `:authority`, `:scheme`) are not headers upstream
    if (value === undefined || HOP_BY_HOP.has(name) || name.charCodeAt(0) === 0x3a || named?.has(name)) continue;
    out[name] = value;
  }
  if (set) for (const name in set) out[name] = set[name] as string;
  if (bodyLength !== undefined) out['content-length'] = String(bodyLength);
  return out;
}

function responseHeadersForClient(headers: Record<string, string | string[] | undefined>): (string | string[])[] {
  const named = connectionTokens(headers['connection']);
  const out: (string | string[])[] = [];
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || (HOP_BY_HOP.has(name) && name !== 'host') || named?.has(name)) continue;
    out.push(name, value);
  }
  return out;
}

/** The cut reason of an upstream fault after the answer started. */
export function cutOf(kind: UpstreamFaultKind): CutReason {
  return kind === 'timeout' ? 'upstream_timeout' : kind === 'protocol' ? 'upstream_protocol' : 'upstream_reset';
}

/** Index just past the last blank line (SSE event end: LF LF, CR CR or CRLF CRLF) of `buf`, or 0. */
function eventEnd(buf: Buffer): number {
  const lf = buf.lastIndexOf('\n\n');
  const crlf = buf.lastIndexOf('\r\n\r\n');
  const cr = buf.lastIndexOf('\r\r');
  return Math.max(lf < 0 ? 0 : lf + 2, crlf < 0 ? 0 : crlf + 4, cr < 0 ? 0 : cr + 2);
}

/** A partial event longer than this goes out as it is (a stream that never ends its events). */
const MAX_PENDING_EVENT = 1 << 20;

/**
 * The client's response behind an event-aligned writable: complete events are written at once, a
 * trailing partial event waits for its end; when undici destroys it with the upstream's error, the
 * provider's last words go out after the last complete event and the response ends cleanly.
 */
function eventAligned(res: HttpResponse, lastWords: (kind: UpstreamFaultKind) => string): Writable {
  let pending: Buffer | null = null;
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      let buf = pending === null ? chunk : Buffer.concat([pending, chunk]);
      let end = eventEnd(buf);
      if (end === 0 && buf.length > MAX_PENDING_EVENT) end = buf.length;
      pending = end < buf.length ? buf.subarray(end) : null;
      buf = buf.subarray(0, end);
      if (buf.length === 0 || res.write(buf)) done();
      else res.once('drain', () => done());
    },
    final(done) {
      if (res.destroyed) {
        done();
        return;
      }
      if (pending !== null) res.write(pending);
      pending = null;
      res.end(() => done());
    },
    destroy(err, done) {
      if (err !== null && !(err instanceof undiciErrors.RequestAbortedError) && !res.destroyed && !res.writableEnded) {
        const kind = classify(err);
        markCut(res, cutOf(kind));
        pending = null;
        res.end(lastWords(kind));
      } else if (err !== null && !res.destroyed) res.destroy();
      done(null);
    },
  });
}

function classify(e: unknown): UpstreamFaultKind {
  if (e instanceof undiciErrors.HeadersTimeoutError || e instanceof undiciErrors.BodyTimeoutError || e instanceof undiciErrors.ConnectTimeoutError) {
    return 'timeout';
  }
  if (e instanceof undiciErrors.RequestAbortedError) return 'aborted';
  const code = (e as { code?: unknown } | null)?.code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ECONNRESET' || code === 'EAI_AGAIN' || code === 'EHOSTUNREACH') {
    return 'connect';
  }
  return 'protocol';
}

/**
 * The abort signal handed to undici: undici accepts an EventEmitter with an `abort` event as well as
 * an AbortSignal, and this costs a tenth of an AbortController, whose EventTarget machinery was
 * ~4 µs of every forwarded request (issue 11 profile).
 */
class ClientGone extends EventEmitter {
  aborted = false;
  reason: Error | undefined;

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = new undiciErrors.RequestAbortedError();
    this.emit('abort');
  }
}

export interface HttpUpstreamOptions {
  readonly url: string;
  readonly timeoutMs: number;
  readonly connections: number;
}

export class HttpUpstream {
  readonly #pool: Pool;
  readonly #prefix: string;
  readonly #timeoutMs: number;

  constructor(options: HttpUpstreamOptions) {
    const url = new URL(options.url);
    this.#prefix = url.pathname.replace(/\/$/, '');
    this.#timeoutMs = options.timeoutMs;
    this.#pool = new Pool(url.origin, {
      connections: options.connections,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
  }

  /**
   * Send one request and stream the answer into `res`. Rejects with UpstreamFault when nothing was
   * written to `res` yet; after the response started, a fault destroys `res` (the client sees a cut
   * stream, exactly as with a direct connection).
   */
  async forward(options: ForwardOptions, res: HttpResponse): Promise<ForwardResult> {
    const started = performance.now();
    let upstreamMs = 0;
    let status = 0;
    let replaced = false;
    const gone = new ClientGone();
    let answered = false;
    // the upstream's answer was streamed into `res`: only undici ends it then (a 408 or a client's FIN
    // after the head cut the connection instead), so a finished `res` means the upstream's body ended
    let streamed = false;
    // the client went away, or was answered by someone else (a 408 for a stalled body) before the
    // upstream's answer finished: the upstream request is aborted, never left waiting for a body.
    // A response that finished normally closes before `forward` resumes (answered is still false):
    // that is no abort (each one built an undici error with its stack, ~4% of the forward path)
    const onClose = (): void => {
      if (!res.writableFinished || !(answered || streamed)) gone.abort();
    };
    res.once('close', onClose);
    const body = options.body;
    // a request body that ends without completing (cut, or broken framing): abort rather than let
    // the upstream wait for the rest or take a truncated request
    // (a stream; an async iterable body, as the tool route's size-limited one, ends its own way)
    const stream = body !== null && !Buffer.isBuffer(body) && typeof (body as Partial<Readable>).once === 'function' ? body : null;
    const onBodyClose = (): void => {
      if (stream !== null && !stream.readableEnded && (stream as Readable & { complete?: boolean }).complete !== true) gone.abort();
    };
    stream?.once('close', onBodyClose);
    const headers = requestHeadersForUpstream(options.headers, options.setHeaders, Buffer.isBuffer(body) ? body.length : undefined);
    try {
      await this.#pool.stream(
        {
          path: this.#prefix + options.path,
          method: options.method as 'GET',
          headers,
          body: options.method === 'GET' || options.method === 'HEAD' ? null : body,
          signal: gone,
          headersTimeout: this.#timeoutMs,
          bodyTimeout: this.#timeoutMs,
        },
        ({ statusCode, headers: upHeaders }) => {
          upstreamMs = performance.now() - started;
          status = statusCode;
          options.onResponse?.(statusCode, upHeaders as Record<string, string | string[] | undefined>, upstreamMs);
          if ((statusCode >= 500 && options.replaceServerErrors) || options.replaceStatus?.(statusCode) === true) {
            replaced = true;
            return new Writable({ write: (_chunk, _enc, done) => done() });
          }
          const out = upHeaders as Record<string, string | string[] | undefined>;
          options.rewriteHeaders?.(out);
          res.writeHead(statusCode, responseHeadersForClient(out) as string[]);
          streamed = true;
          // an event stream may stay silent for long (an MCP server's GET stream): send its head now, not with the first event
          const sse = /^text\/event-stream/i.test(String(out['content-type'] ?? ''));
          if (sse) res.flushHeaders();
          const encoded = out['content-encoding'] !== undefined && String(out['content-encoding']).toLowerCase() !== 'identity';
          if (sse && options.streamFault !== undefined && !encoded && out['content-length'] === undefined) return eventAligned(res, options.streamFault);
          return res;
        },
      );
    } catch (e: unknown) {
      if (res.headersSent) {
        // the answer started and the upstream failed (reset, stall, broken framing): the client sees
        // a cut stream, and the event says why
        if (!(e instanceof undiciErrors.RequestAbortedError)) markCut(res, cutOf(classify(e)));
        // (an event stream given its last words has ended cleanly already)
        if (!res.destroyed && !res.writableEnded) res.destroy();
        return { status, upstreamMs, replaced };
      }
      throw new UpstreamFault(gone.aborted ? 'aborted' : classify(e), e);
    } finally {
      answered = true;
      res.off('close', onClose);
      stream?.off('close', onBodyClose);
    }
    return { status, upstreamMs, replaced };
  }

  close(): Promise<void> {
    return this.#pool.close();
  }
}
