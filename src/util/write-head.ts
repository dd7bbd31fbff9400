/**
 * Writing a raw header array with `res.writeHead` (order and spelling kept), on HTTP/1.1 and HTTP/2.
 *
 * HTTP/1.1: the arrays carry `Connection: keep-alive` as the providers send it; when the client
 * asked to close (or node:http will close for another reason) that value must say `close`, as a
 * real edge would.
 * HTTP/2: connection-specific headers are forbidden (RFC 9113 §8.2.2) — node:http2 throws on
 * `Transfer-Encoding` and warns on `Connection` — and a real edge never sends them there, so they
 * are dropped. This one rule serves every surface (OpenAI, Bedrock, the AWS probes).
 */
import type { HttpResponse } from '../core/http.js';

/** Headers HTTP/2 forbids (RFC 9113 §8.2.2), lower case. */
const CONNECTION_SPECIFIC: ReadonlySet<string> = new Set(['connection', 'transfer-encoding', 'keep-alive', 'proxy-connection', 'upgrade']);

/** The raw array without connection-specific headers (a new array; the input is left as is). */
export function withoutConnectionHeaders(headers: readonly string[]): string[] {
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
  if (!res.shouldKeepAlive) {
    for (let i = 0; i < headers.length; i += 2) {
      if (headers[i] === 'Connection' || headers[i] === 'connection') headers[i + 1] = 'close';
    }
  }
  res.writeHead(status, headers);
}
