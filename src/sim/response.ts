/**
 * The simulator's strict HTTP/1.1 response parser: a response framed per RFC 9112 §6 (chunked,
 * Content-Length, or close-delimited), fed in pieces as they arrive or parsed whole, header lines
 * kept in wire order and casing, and the body decoded from its Content-Encoding. SSE and
 * event-stream bodies are kept as bytes. The client that feeds it is wire.ts.
 */
import { brotliDecompressSync, gunzipSync, inflateSync, inflateRawSync } from 'node:zlib';
import type { HeaderPair } from './request.js';

export class HttpParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HttpParseError';
  }
}

export type Framing = 'none' | 'length' | 'chunked' | 'close';

export interface ParsedResponse {
  readonly httpVersion: '1.0' | '1.1';
  readonly status: number;
  readonly reason: string;
  /** header lines in wire order and casing */
  readonly headers: readonly HeaderPair[];
  readonly trailers: readonly HeaderPair[];
  /** the body, de-chunked but still content-encoded */
  readonly body: Buffer;
  readonly framing: Framing;
  /** 1xx responses skipped before this one */
  readonly informational: readonly number[];
  readonly headBytes: number;
}

export interface ParserLimits {
  readonly maxHeadBytes: number;
  readonly maxHeaders: number;
  readonly maxBodyBytes: number;
}

const DEFAULT_LIMITS: ParserLimits = { maxHeadBytes: 64 * 1024, maxHeaders: 256, maxBodyBytes: 64 * 1024 * 1024 };

const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d{2})(?: ([\t\x20-\x7e\x80-\xff]*))?$/;
const HEADER_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[\t ]*([\t\x20-\x7e\x80-\xff]*?)[\t ]*$/;
const CHUNK_SIZE = /^([0-9A-Fa-f]{1,15})[\t ]*(?:;[\t\x20-\x7e\x80-\xff]*)?$/;

type State = 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-crlf' | 'trailers' | 'close' | 'done';

/** First value of a header (case-insensitive name). */
export function headerValue(headers: readonly HeaderPair[], name: string): string | undefined {
  const lower = name.toLowerCase();
  return headers.find(([n]) => n.toLowerCase() === lower)?.[1];
}

function parseHeaderLines(lines: string[], limits: ParserLimits, what: string): HeaderPair[] {
  if (lines.length > limits.maxHeaders) throw new HttpParseError(`more than ${limits.maxHeaders} ${what}`);
  return lines.map((line) => {
    if (line.startsWith(' ') || line.startsWith('\t')) throw new HttpParseError(`obsolete line folding in ${what}`);
    const m = HEADER_LINE.exec(line);
    if (!m) throw new HttpParseError(`malformed ${what} line ${JSON.stringify(line.slice(0, 60))}`);
    return [m[1] ?? '', m[2] ?? ''] as const;
  });
}

/**
 * Incremental, strict HTTP/1.1 response parser. feed() bytes as they arrive, end() at EOF.
 * `done` turns true when a complete response has been read; `result` then holds it.
 */
export class ResponseParser {
  private buf: Buffer = Buffer.alloc(0);
  private state: State = 'head';
  private readonly limits: ParserLimits;
  private readonly noBody: boolean;
  private remaining = 0;
  private readonly bodyParts: Buffer[] = [];
  private bodyBytes = 0;
  private head?: { httpVersion: '1.0' | '1.1'; status: number; reason: string; headers: HeaderPair[]; framing: Framing };
  private trailers: HeaderPair[] = [];
  private readonly informational: number[] = [];
  private headBytes = 0;
  result?: ParsedResponse;

  constructor(options: { method?: string; limits?: Partial<ParserLimits> } = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.noBody = options.method === 'HEAD' || options.method === 'CONNECT';
  }

  get done(): boolean {
    return this.state === 'done';
  }

  /** Bytes received after the end of the response (there should be none). */
  get leftover(): Buffer {
    return this.buf;
  }

  feed(chunk: Buffer): void {
    if (this.state === 'done') {
      this.buf = Buffer.concat([this.buf, chunk]);
      return;
    }
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    this.run();
  }

  /** The peer closed: completes a close-delimited body, otherwise the response is truncated. */
  end(): void {
    if (this.state === 'done') return;
    if (this.state === 'close') {
      this.finish();
      return;
    }
    if (this.state === 'head' && this.buf.length === 0 && this.informational.length === 0) {
      throw new HttpParseError('connection closed before any response');
    }
    throw new HttpParseError(`connection closed mid-response (${this.state})`);
  }

  private addBody(part: Buffer): void {
    this.bodyBytes += part.length;
    if (this.bodyBytes > this.limits.maxBodyBytes) throw new HttpParseError(`body larger than ${this.limits.maxBodyBytes} bytes`);
    this.bodyParts.push(part);
  }

  private takeLine(max: number, what: string): string | undefined {
    const at = this.buf.indexOf('\r\n');
    if (at < 0) {
      if (this.buf.length > max) throw new HttpParseError(`${what} longer than ${max} bytes`);
      if (this.buf.includes(0x0a)) throw new HttpParseError(`bare LF in ${what}`);
      return undefined;
    }
    const line = this.buf.subarray(0, at).toString('latin1');
    if (line.includes('\n')) throw new HttpParseError(`bare LF in ${what}`);
    this.buf = this.buf.subarray(at + 2);
    return line;
  }

  private run(): void {
    for (;;) {
      switch (this.state) {
        case 'head': {
          const end = this.buf.indexOf('\r\n\r\n');
          if (end < 0) {
            if (this.buf.length > this.limits.maxHeadBytes) throw new HttpParseError(`response head larger than ${this.limits.maxHeadBytes} bytes`);
            if (this.buf.length >= 5 && !this.buf.subarray(0, 5).equals(Buffer.from('HTTP/'))) {
              throw new HttpParseError('not an HTTP/1.x response');
            }
            return;
          }
          if (end > this.limits.maxHeadBytes) throw new HttpParseError(`response head larger than ${this.limits.maxHeadBytes} bytes`);
          const text = this.buf.subarray(0, end).toString('latin1');
          this.headBytes += end + 4;
          this.buf = this.buf.subarray(end + 4);
          if (/(^|[^\r])\n/.test(text) || /\r(?!\n)/.test(text)) throw new HttpParseError('bare CR or LF in response head');
          const [statusLine = '', ...lines] = text.split('\r\n');
          const m = STATUS_LINE.exec(statusLine);
          if (!m) throw new HttpParseError(`malformed status line ${JSON.stringify(statusLine.slice(0, 60))}`);
          const status = Number(m[2]);
          const headers = parseHeaderLines(lines, this.limits, 'header');
          if (status >= 100 && status < 200 && status !== 101) {
            this.informational.push(status);
            if (this.informational.length > 8) throw new HttpParseError('too many 1xx responses');
            continue;
          }
          const framing = this.framing(status, headers);
          this.head = { httpVersion: m[1] === '0' ? '1.0' : '1.1', status, reason: m[3] ?? '', headers, framing };
          if (framing === 'none') this.finish();
          else if (framing === 'length') {
            this.state = this.remaining === 0 ? 'done' : 'length';
            if (this.remaining === 0) this.finish();
          } else if (framing === 'chunked') this.state = 'chunk-size';
          else this.state = 'close';
          if (this.state === 'done') return;
          continue;
        }
        case 'length': {
          if (this.buf.length === 0) return;
          const part = this.buf.subarray(0, this.remaining);
          this.buf = this.buf.subarray(part.length);
          this.remaining -= part.length;
          this.addBody(part);
          if (this.remaining === 0) {
            this.finish();
            return;
          }
          return;
        }
        case 'chunk-size': {
          const line = this.takeLine(4096, 'chunk size line');
          if (line === undefined) return;
          const m = CHUNK_SIZE.exec(line);
          if (!m) throw new HttpParseError(`malformed chunk size ${JSON.stringify(line.slice(0, 40))}`);
          this.remaining = parseInt(m[1] ?? '0', 16);
          if (this.bodyBytes + this.remaining > this.limits.maxBodyBytes) throw new HttpParseError(`body larger than ${this.limits.maxBodyBytes} bytes`);
          this.state = this.remaining === 0 ? 'trailers' : 'chunk-data';
          continue;
        }
        case 'chunk-data': {
          if (this.buf.length === 0) return;
          const part = this.buf.subarray(0, this.remaining);
          this.buf = this.buf.subarray(part.length);
          this.remaining -= part.length;
          this.addBody(part);
          if (this.remaining > 0) return;
          this.state = 'chunk-crlf';
          continue;
        }
        case 'chunk-crlf': {
          if (this.buf.length < 2) {
            if (this.buf.length === 1 && this.buf[0] !== 0x0d) throw new HttpParseError('chunk data not followed by CRLF');
            return;
          }
          if (this.buf[0] !== 0x0d || this.buf[1] !== 0x0a) throw new HttpParseError('chunk data not followed by CRLF');
          this.buf = this.buf.subarray(2);
          this.state = 'chunk-size';
          continue;
        }
        case 'trailers': {
          const line = this.takeLine(this.limits.maxHeadBytes, 'trailer');
          if (line === undefined) return;
          if (line === '') {
            this.finish();
            return;
          }
          this.trailers.push(...parseHeaderLines([line], this.limits, 'trailer'));
          if (this.trailers.length > this.limits.maxHeaders) throw new HttpParseError('too many trailers');
          continue;
        }
        case 'close': {
          if (this.buf.length === 0) return;
          this.addBody(this.buf);
          this.buf = Buffer.alloc(0);
          return;
        }
        case 'done':
          return;
      }
    }
  }

  /** RFC 9112 §6.3, strict: TE with CL, or differing CLs, is an error (request smuggling shapes). */
  private framing(status: number, headers: readonly HeaderPair[]): Framing {
    if (this.noBody || status === 204 || status === 304 || status === 101) return 'none';
    const te = headers.filter(([n]) => n.toLowerCase() === 'transfer-encoding').map(([, v]) => v);
    const cl = headers.filter(([n]) => n.toLowerCase() === 'content-length').flatMap(([, v]) => v.split(','));
    if (te.length > 0) {
      if (cl.length > 0) throw new HttpParseError('both Transfer-Encoding and Content-Length');
      const codings = te.join(',').split(',').map((c) => c.trim().toLowerCase()).filter((c) => c !== '');
      if (codings.filter((c) => c === 'chunked').length > 1) throw new HttpParseError('chunked applied twice');
      if (codings.includes('chunked') && codings[codings.length - 1] !== 'chunked') throw new HttpParseError('chunked is not the final transfer coding');
      return codings[codings.length - 1] === 'chunked' ? 'chunked' : 'close';
    }
    if (cl.length > 0) {
      const values = new Set(cl.map((v) => v.trim()));
      if (values.size !== 1) throw new HttpParseError('conflicting Content-Length values');
      const [value = ''] = values;
      if (!/^\d{1,15}$/.test(value)) throw new HttpParseError(`invalid Content-Length ${JSON.stringify(value.slice(0, 20))}`);
      this.remaining = Number(value);
      if (this.remaining > this.limits.maxBodyBytes) throw new HttpParseError(`body larger than ${this.limits.maxBodyBytes} bytes`);
      return 'length';
    }
    return 'close';
  }

  private finish(): void {
    const head = this.head;
    if (!head) throw new HttpParseError('no response head');
    this.state = 'done';
    this.result = {
      ...head,
      trailers: this.trailers,
      body: Buffer.concat(this.bodyParts),
      informational: this.informational,
      headBytes: this.headBytes,
    };
  }
}

/** Parse a complete response held in one buffer (tests, captures). */
export function parseResponse(bytes: Buffer, options: { method?: string; limits?: Partial<ParserLimits> } = {}): ParsedResponse {
  const p = new ResponseParser(options);
  p.feed(bytes);
  if (!p.done) p.end();
  if (!p.result) throw new HttpParseError('incomplete response');
  return p.result;
}

const MAX_DECODED = 64 * 1024 * 1024;

/** The body with its Content-Encoding removed (gzip, deflate, br); identity as is. */
export function decodedBody(res: ParsedResponse): Buffer {
  const enc = (headerValue(res.headers, 'content-encoding') ?? 'identity').trim().toLowerCase();
  const opts = { maxOutputLength: MAX_DECODED };
  switch (enc) {
    case '':
    case 'identity':
      return res.body;
    case 'gzip':
    case 'x-gzip':
      return gunzipSync(res.body, opts);
    case 'deflate':
      try {
        return inflateSync(res.body, opts);
      } catch {
        return inflateRawSync(res.body, opts);
      }
    case 'br':
      return brotliDecompressSync(res.body, opts);
    default:
      throw new HttpParseError(`unsupported Content-Encoding ${JSON.stringify(enc.slice(0, 20))}`);
  }
}
