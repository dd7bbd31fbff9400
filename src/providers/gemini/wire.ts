/**
 * The Gemini API on the wire, as Google's front end sends it: the response header set (recorded on
 * generativelanguage.googleapis.com, 2025-08 and 2025-12), the three JSON layouts (a pretty body
 * with 2-space indent and a trailing newline; the JSON-array stream of `streamGenerateContent`
 * whose elements are separated by `\n,\r\n`; the SSE stream's compact `"key": value` JSON framed
 * as `data: …\r\n\r\n`), gzip whenever the client accepts it, and the front end's HTML 404.
 */
import { constants as zc, createGzip, gzip, type Gzip } from 'node:zlib';
import { promisify } from 'node:util';
import type { HttpRequest, HttpResponse } from '../../core/http.js';
import { httpDate } from '../../util/http-date.js';
import { writeHeadRaw } from '../../util/write-head.js';
import { geminiErrorObject, notFoundPage, type ErrorContext, type GeminiErrorCode } from './errors.js';

const gzipAsync = promisify(gzip);

export const JSON_TYPE = 'application/json; charset=UTF-8';
export const SSE_TYPE = 'text/event-stream';
const ALT_SVC = 'h3=":443"; ma=2592000,h3-29=":443"; ma=2592000';

export interface GeminiHeaderInput {
  readonly contentType: string;
  readonly gzip: boolean;
  /** Server-Timing `gfet4t7; dur=` (ms the front end waited for the backend) */
  readonly durMs: number;
  /** SSE answers are sent as a download (`Content-Disposition: attachment`) */
  readonly sse?: boolean;
}

/** The GFE header set, in the order a curl against the API shows it (HTTP/1.1 spelling). */
export function geminiHeaders(h: GeminiHeaderInput): string[] {
  const out = ['Content-Type', h.contentType];
  if (h.sse) out.push('Content-Disposition', 'attachment');
  out.push('Vary', 'Origin', 'Vary', 'X-Origin', 'Vary', 'Referer');
  if (h.gzip) out.push('Content-Encoding', 'gzip');
  out.push(
    'Date', httpDate(),
    'Server', 'scaffolding on HTTPServer2',
    'X-XSS-Protection', '0',
    'X-Frame-Options', 'SAMEORIGIN',
    'X-Content-Type-Options', 'nosniff',
    'Server-Timing', `gfet4t7; dur=${Math.max(1, Math.round(h.durMs))}`,
    'Alt-Svc', ALT_SVC,
    'Transfer-Encoding', 'chunked',
  );
  return out;
}

/**
 * Google's front end sends no `Connection` / `Keep-Alive` header on HTTP/1.1 (node:http would add
 * both): removing the header keeps the connection persistent and leaves them out.
 */
function headFor(res: HttpResponse, status: number, headers: string[]): void {
  const removable = res as HttpResponse & { removeHeader?: (name: string) => void };
  if (res.req.httpVersionMajor === 1) removable.removeHeader?.('connection');
  writeHeadRaw(res, status, headers);
}

/** Does the client accept gzip (`Accept-Encoding`, a zero q-value refuses it)? */
export function acceptsGzip(req: HttpRequest): boolean {
  const ae = req.headers['accept-encoding'];
  if (typeof ae !== 'string' || ae.length > 512) return false;
  for (const part of ae.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (name !== 'gzip' && name !== 'x-gzip' && name !== '*') continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  }
  return false;
}

/** Google's pretty JSON: 2-space indent, `": "`, a trailing newline. */
export function prettyJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** The SSE stream's JSON: compact, but with a space after each key's colon (`{"a": 1,"b": [2]}`). */
export function sseJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map((v) => sseJson(v === undefined ? null : v)).join(',')}]`;
  const parts: string[] = [];
  for (const [k, v] of Object.entries(value)) if (v !== undefined) parts.push(`${JSON.stringify(k)}: ${sseJson(v)}`);
  return `{${parts.join(',')}}`;
}

/** One SSE event. */
export function sseEvent(value: unknown): string {
  return `data: ${sseJson(value)}\r\n\r\n`;
}

/** The JSON-array stream: `[` + elements separated by `\n,\r\n` + `\n]`. */
export const ARRAY_OPEN = '[';
export const ARRAY_SEPARATOR = '\n,\r\n';
export const ARRAY_CLOSE = '\n]';
export function arrayElement(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

export interface WriteOptions {
  readonly gzip: boolean;
  readonly durMs?: number;
  readonly head?: boolean;
}

/** Write a whole body (gzip-compressed when accepted). */
export async function writeGeminiBody(res: HttpResponse, status: number, contentType: string, body: string, opts: WriteOptions): Promise<number> {
  if (res.destroyed || res.headersSent) return 0;
  const data = opts.gzip && !opts.head ? await gzipAsync(Buffer.from(body)) : Buffer.from(body);
  if (res.destroyed || res.headersSent) return 0;
  headFor(res, status, geminiHeaders({ contentType, gzip: opts.gzip, durMs: opts.durMs ?? 1 + Math.random() * 10 }));
  res.end(opts.head ? undefined : data);
  return data.length;
}

export interface ErrorWriteOptions extends WriteOptions {
  /** `streamGenerateContent` without `alt=sse` and the OpenAI-compatible endpoints wrap errors in an array */
  readonly array?: boolean;
  readonly ctx?: ErrorContext;
}

export function writeGeminiError(res: HttpResponse, code: GeminiErrorCode, args: readonly string[], opts: ErrorWriteOptions): Promise<number> {
  const obj = geminiErrorObject(code, args, opts.ctx ?? {});
  const status = (obj['error'] as { code: number }).code;
  const body = opts.array ? `${ARRAY_OPEN}${arrayElement(obj)}${ARRAY_CLOSE}` : prettyJson(obj);
  return writeGeminiBody(res, status, JSON_TYPE, body, opts);
}

/** The front end's 404 page for a URL no API maps. */
export async function writeNotFoundPage(res: HttpResponse, path: string, head: boolean): Promise<void> {
  if (res.destroyed || res.headersSent) return;
  const body = Buffer.from(notFoundPage(path));
  headFor(res, 404, [
    'Content-Type', 'text/html; charset=UTF-8',
    'Referrer-Policy', 'no-referrer',
    'Content-Length', String(body.length),
    'Date', httpDate(),
    'Alt-Svc', ALT_SVC,
  ]);
  res.end(head ? undefined : body);
}

/**
 * A streamed answer: headers at the first write, chunks through a gzip stream flushed after each
 * write (so the client sees every chunk as it is produced), never buffered.
 */
export class GeminiStreamWriter {
  readonly #res: HttpResponse;
  readonly #gzip: Gzip | null;
  #started = false;

  constructor(res: HttpResponse, useGzip: boolean) {
    this.#res = res;
    this.#gzip = useGzip ? createGzip({ flush: zc.Z_SYNC_FLUSH }) : null;
    if (this.#gzip) {
      this.#gzip.on('data', (d: Buffer) => {
        if (!res.destroyed) res.write(d);
      });
      this.#gzip.on('end', () => {
        if (!res.destroyed && !res.writableEnded) res.end();
      });
      this.#gzip.on('error', () => {
        if (!res.destroyed) res.destroy();
      });
    }
  }

  get closed(): boolean {
    return this.#res.destroyed;
  }

  start(status: number, contentType: string, durMs: number): void {
    if (this.#started || this.#res.destroyed) return;
    this.#started = true;
    headFor(this.#res, status, geminiHeaders({ contentType, gzip: this.#gzip !== null, durMs, sse: contentType === SSE_TYPE }));
  }

  write(text: string): void {
    if (this.#res.destroyed) return;
    if (this.#gzip) this.#gzip.write(text);
    else this.#res.write(text);
  }

  end(text = ''): void {
    if (this.#res.destroyed) return;
    if (this.#gzip) this.#gzip.end(text);
    else this.#res.end(text);
  }
}
