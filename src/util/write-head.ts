/**
 * Writing a raw header array with `res.writeHead` (order and spelling kept), on HTTP/1.1 and HTTP/2.
 *
 * HTTP/1.1: the arrays carry `Connection: keep-alive` as the providers send it; when the client
 * asked to close (or node:http will close for another reason) that value must say `close`, as a
 * real edge would.
 * HTTP/2: connection-specific headers are forbidden (RFC 9113 §8.2.2) — node:http2 throws on
 * `Transfer-Encoding` and warns on `Connection` — and a real edge never sends them there, so they
 * are dropped. This one rule serves every surface (OpenAI, Bedrock, the AWS probes).
 * HTTP/1.0: a client of 1.0 cannot read chunked framing, and a real edge never sends it one: a body
 * without a length is sent close-delimited (`Transfer-Encoding` dropped, the connection closes).
 * Answers whose body is known are given a `Content-Length` instead (`endBody`).
 */
import { gzipSync } from 'node:zlib';
import type { HttpResponse } from '../core/http.js';

/** Headers HTTP/2 forbids (RFC 9113 §8.2.2), lower case. */
const CONNECTION_SPECIFIC: ReadonlySet<string> = new Set(['connection', 'transfer-encoding', 'keep-alive', 'proxy-connection', 'upgrade']);

/** The raw array without connection-specific headers (a new array; the input is left as is). */
function withoutConnectionHeaders(headers: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < headers.length; i += 2) {
    const name = headers[i] ?? '';
    if (!CONNECTION_SPECIFIC.has(name.toLowerCase())) out.push(name, headers[i + 1] ?? '');
  }
  return out;
}

export function writeHeadRaw(res: HttpResponse, status: number, headers: string[]): void {
  if (res.req.httpVersionMajor === 2) {
    res.writeHead(status, withoutConnectionHeaders(headers));
    return;
  }
  if (res.req.httpVersionMinor === 0) {
    const kept: string[] = [];
    for (let i = 0; i + 1 < headers.length; i += 2) {
      const name = headers[i] ?? '';
      if (name.toLowerCase() !== 'transfer-encoding') kept.push(name, headers[i + 1] ?? '');
    }
    headers = kept;
  }
  if (!res.shouldKeepAlive) {
    for (let i = 0; i < headers.length; i += 2) {
      if (headers[i] === 'Connection' || headers[i] === 'connection') headers[i + 1] = 'close';
    }
  }
  res.writeHead(status, headers);
}

/** Does this Accept-Encoding accept gzip (a `q=0` refuses it)? */
export function acceptsGzip(acceptEncoding: string | string[] | undefined): boolean {
  const value = Array.isArray(acceptEncoding) ? acceptEncoding.join(',') : acceptEncoding;
  if (value === undefined || value === '') return false;
  for (const part of value.split(',')) {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding !== 'gzip' && coding !== 'x-gzip' && coding !== '*') continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  }
  return false;
}

/**
 * Write a head and a whole body. A body sent without a length (`Transfer-Encoding: chunked` in the
 * array) is what the edge compresses: with `gzip` when the client accepts it (`Content-Encoding`
 * added after `Content-Type`); an HTTP/1.0 client gets it with a `Content-Length` instead of chunks.
 * Returns the bytes of the body as sent.
 */
export function endBody(res: HttpResponse, status: number, headers: string[], body: string | Buffer, head: boolean): number {
  let payload: string | Buffer = body;
  const te = headers.findIndex((name, i) => i % 2 === 0 && (name === 'Transfer-Encoding' || name === 'transfer-encoding'));
  if (te >= 0) {
    if (acceptsGzip(res.req.headers['accept-encoding'])) {
      payload = gzipSync(typeof body === 'string' ? Buffer.from(body) : body, { level: 6 });
      const ct = headers.findIndex((name, i) => i % 2 === 0 && name.toLowerCase() === 'content-type');
      headers.splice(ct >= 0 ? ct + 2 : te, 0, 'Content-Encoding', 'gzip');
    }
    if (res.req.httpVersionMajor === 1 && res.req.httpVersionMinor === 0) {
      const at = headers.findIndex((name, i) => i % 2 === 0 && name.toLowerCase() === 'transfer-encoding');
      headers.splice(at, 2, 'Content-Length', String(Buffer.byteLength(payload)));
    }
  }
  writeHeadRaw(res, status, headers);
  res.end(head ? undefined : payload);
  return Buffer.byteLength(payload);
}
