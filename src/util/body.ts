/**
 * Reading a request body with a hard size limit, counting streamed bytes when there is no
 * Content-Length (chunked uploads), so an oversized or endless body is cut off early.
 */
import type { HttpRequest } from '../core/http.js';
import { parseJsonText } from './depth.js';

export type BodyResult =
  | { readonly ok: true; readonly body: Buffer }
  | { readonly ok: false; readonly reason: 'too_large' | 'aborted' };

export function declaredTooLarge(req: HttpRequest, max: number): boolean {
  const cl = req.headers['content-length'];
  return cl !== undefined && Number(cl) > max;
}

/**
 * The whole body at once when node:http has already parsed all of it into the request's buffer
 * (HTTP/1.1, `complete`, nothing read yet, within `max`, as long as it declared): the usual case for
 * a small JSON body that arrived with its headers. No listeners, no promise, no turn of the event
 * loop (issue 11: the lure path reads every body; the flowing read cost four listeners added and
 * removed, a promise and two nextTick hops). Undefined otherwise: read it with readBody.
 */
export function bufferedBody(req: HttpRequest, max: number): BodyResult | undefined {
  if (req.httpVersionMajor !== 1 || !req.complete || req.readableFlowing === true || req.readableEnded || req.readableObjectMode || req.readableEncoding !== null) return undefined;
  const size = req.readableLength;
  if (size > max) return undefined;
  const cl = req.headers['content-length'];
  if (cl !== undefined && Number(cl) !== size) return undefined;
  if (size === 0) return { ok: true, body: Buffer.alloc(0) };
  // every buffered byte, in one Buffer (the stream has ended: read() returns the whole buffer)
  const chunk: unknown = req.read();
  return Buffer.isBuffer(chunk) ? { ok: true, body: chunk } : { ok: false, reason: 'aborted' };
}

export function readBody(req: HttpRequest, max: number): Promise<BodyResult> {
  if (declaredTooLarge(req, max)) {
    req.resume();
    return Promise.resolve({ ok: false, reason: 'too_large' });
  }
  const buffered = bufferedBody(req, max);
  if (buffered !== undefined) return Promise.resolve(buffered);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (result: BodyResult): void => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > max) {
        req.resume();
        finish({ ok: false, reason: 'too_large' });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => finish({ ok: true, body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size) });
    const onError = (): void => finish({ ok: false, reason: 'aborted' });
    const onClose = (): void => {
      if (!req.complete) finish({ ok: false, reason: 'aborted' });
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/**
 * Parse JSON; undefined when the text is not JSON (a parse error is the client's, not ours) or
 * nests deeper than util/depth's bound (every body walker recurses).
 */
export function parseJson(body: Buffer): unknown {
  return parseJsonText(body.toString('utf8'));
}
