/**
 * Request deadlines: how long a client may take to send what it started. node:http bounds the
 * request head (headersTimeout) and, as a backstop, the whole request (requestTimeout); neither
 * sees a body that trickles one byte at a time within those bounds, and node:http2 bounds nothing.
 * So each request still arriving when its handler runs (a body not yet complete: the usual case on
 * HTTP/2, rare on HTTP/1.1 where a small body comes with its head) is watched until it completes:
 *
 *  - body idle: no byte of it for `bodyIdleMs` (HTTP/1.1: the connection's byte count, checked a
 *    few times per period; HTTP/2: the stream's own inactivity timer);
 *  - whole request: not complete `requestMs` after the handler started.
 *
 * When one trips before the answer started: `408 Request Timeout`, empty, and the connection
 * (HTTP/1.1) or stream (HTTP/2) closes, as an edge proxy answers a client too slow to send. After
 * the answer started (the gateway answered without waiting for the body): the connection is cut.
 * A request complete at the start costs one property read; the answer's own time is never bounded
 * here (a slow model is the upstream timeout's business).
 */
import type { Http2ServerRequest } from 'node:http2';
import { markCut } from '../core/cut.js';
import type { HttpRequest, HttpResponse } from '../core/http.js';

export interface RequestDeadlines {
  readonly requestMs: number;
  readonly bodyIdleMs: number;
}

/** the raw 408 node:http writes for its own request timeout, with our framing */
const H1_TIMEOUT_HEADERS = ['Content-Length', '0', 'Connection', 'close'];

function expire(req: HttpRequest, res: HttpResponse): void {
  markCut(res, 'request_timeout');
  if (!res.headersSent && !res.writableEnded && !res.destroyed) {
    if (req.httpVersionMajor === 2) {
      res.writeHead(408, ['content-length', '0']);
      res.end();
      return;
    }
    res.writeHead(408, H1_TIMEOUT_HEADERS);
    // flushed: cut the connection (the rest of the body is not waited for)
    res.end(() => req.socket.destroy());
    return;
  }
  if (req.httpVersionMajor === 2) (req as unknown as Http2ServerRequest).stream.close(0x8 /* CANCEL */);
  else req.socket.destroy();
}

/** Watch `req` until it has fully arrived or its response closed. */
export function watchRequest(req: HttpRequest, res: HttpResponse, limits: RequestDeadlines): void {
  if (req.complete) return;
  if (req.httpVersionMajor === 2) {
    watchStream(req as unknown as Http2ServerRequest, res, limits);
    return;
  }
  const socket = req.socket;
  const started = Date.now();
  let seen = socket.bytesRead;
  let lastProgress = started;
  // check four times per idle period: an idle body is cut within 1¼ periods
  const period = Math.max(25, Math.min(limits.bodyIdleMs, limits.requestMs) / 4);
  const timer = setInterval(() => {
    if (req.complete || res.destroyed || socket.destroyed) {
      stop();
      return;
    }
    const now = Date.now();
    const read = socket.bytesRead;
    if (read !== seen) {
      seen = read;
      lastProgress = now;
    }
    if (now - lastProgress >= limits.bodyIdleMs || now - started >= limits.requestMs) {
      stop();
      expire(req, res);
    }
  }, period);
  timer.unref();
  const stop = (): void => {
    clearInterval(timer);
    res.off('close', stop);
  };
  res.once('close', stop);
}

/**
 * Whether an HTTP/2 request's body has fully arrived. `complete` turns true only once the body has
 * been read to its end; the stream's readable state knows when END_STREAM came, read or not.
 */
function arrived(req: Http2ServerRequest): boolean {
  if (req.complete) return true;
  const state = (req.stream as unknown as { _readableState?: { ended?: unknown } })._readableState;
  return state?.ended === true;
}

function watchStream(req: Http2ServerRequest, res: HttpResponse, limits: RequestDeadlines): void {
  const stream = req.stream;
  if (arrived(req)) return;
  const fire = (): void => {
    if (arrived(req)) return;
    expire(req as unknown as HttpRequest, res);
  };
  // the stream's inactivity timer: body idle while it arrives; once it has, no timer at all
  const onIdle = (): void => {
    stream.setTimeout(0);
    fire();
  };
  stream.setTimeout(limits.bodyIdleMs);
  stream.on('timeout', onIdle);
  const whole = setTimeout(() => {
    stream.setTimeout(0);
    fire();
  }, limits.requestMs);
  whole.unref();
  stream.once('close', () => {
    clearTimeout(whole);
    stream.setTimeout(0);
  });
}
