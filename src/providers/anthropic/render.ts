/**
 * Writing Anthropic answers onto a node:http response: errors from the registry, JSON successes,
 * and server-sent event streams in the API's exact framing (`event: <name>\ndata: <json>\n\n`,
 * the JSON compact, with 0–15 spaces of padding before the object's last brace on most events as
 * the recorded streams show, and `{"type": "ping"}` written with a space). Everything is
 * gzip-encoded when the client accepts gzip (the recorded 2026 answers, streams included: each
 * event is flushed on its own, so a stream is never held back).
 */
import { constants as zc, createGzip, gzipSync, type Gzip } from 'node:zlib';
import type { HttpResponse } from '../../core/http.js';
import { writeHeadRaw } from '../../util/write-head.js';
import { ANTHROPIC_ERRORS, anthropicError, formatAnthropicError, type AnthropicErrorBody, type AnthropicErrorCode } from './errors.js';
import { anthropicHeaders, anthropicRequestId, type AnthropicAccount } from './headers.js';

export interface RenderOptions {
  readonly account?: AnthropicAccount;
  readonly gzip?: boolean;
  readonly head?: boolean;
  readonly requestId?: string;
  readonly originMs?: number;
  readonly retryAfter?: number;
}

function send(res: HttpResponse, status: number, kind: 'json' | 'error', text: string, options: RenderOptions): number {
  const gzip = options.gzip === true;
  const body = gzip ? gzipSync(text) : Buffer.from(text);
  const headers = anthropicHeaders({
    kind,
    requestId: options.requestId ?? anthropicRequestId(),
    contentLength: body.length,
    gzip,
    originMs: options.originMs ?? 20 + Math.floor(Math.random() * 40),
    ...(options.account ? { account: options.account } : {}),
    ...(options.retryAfter !== undefined ? { retryAfter: options.retryAfter } : {}),
    ...(kind === 'error' ? { shouldRetry: status === 429 || status >= 500 } : {}),
  });
  writeHeadRaw(res, status, headers);
  res.end(options.head ? undefined : body);
  return body.length;
}

export function writeAnthropicErrorBody(res: HttpResponse, status: number, error: AnthropicErrorBody, options: RenderOptions = {}): number {
  const requestId = options.requestId ?? anthropicRequestId();
  // a 401 is answered before the organization is known: no organization, no rate limits
  const { account, ...rest } = options;
  const opts: RenderOptions = { ...rest, requestId, ...(account && status !== 401 ? { account } : {}) };
  return send(res, status, 'error', formatAnthropicError(error, requestId), opts);
}

export function writeAnthropicError(res: HttpResponse, code: AnthropicErrorCode, args: readonly string[] = [], options: RenderOptions = {}): number {
  return writeAnthropicErrorBody(res, ANTHROPIC_ERRORS[code].status, anthropicError(code, args), options);
}

/** A JSON success, compact, as the API writes it. */
export function writeAnthropicJson(res: HttpResponse, status: number, value: unknown, options: RenderOptions = {}): number {
  return send(res, status, 'json', JSON.stringify(value), options);
}

/** `event: name\ndata: json` with the API's padding before the last brace. */
export function sseEvent(name: string, data: unknown, pad: number): string {
  const json = JSON.stringify(data);
  const padded = pad > 0 && json.endsWith('}') ? `${json.slice(0, -1)}${' '.repeat(pad)}}` : json;
  return `event: ${name}\ndata: ${padded}\n\n`;
}

export const PING_EVENT = 'event: ping\ndata: {"type": "ping"}\n\n';

/** Padding of one event: most events carry 1–15 spaces, about one in eight none. */
export function randomPad(rand: () => number = Math.random): number {
  return rand() < 0.125 ? 0 : 1 + Math.floor(rand() * 15);
}

/**
 * One SSE answer: headers when `open()` is called, then events, each written (and, gzip-encoded,
 * flushed) at once. Stops quietly when the client has gone.
 */
export class SseWriter {
  private gz: Gzip | undefined;
  private opened = false;

  constructor(
    private readonly res: HttpResponse,
    private readonly options: RenderOptions,
  ) {}

  open(): void {
    if (this.opened) return;
    this.opened = true;
    const gzip = this.options.gzip === true;
    writeHeadRaw(this.res, 200, anthropicHeaders({
      kind: 'stream',
      requestId: this.options.requestId ?? anthropicRequestId(),
      gzip,
      originMs: this.options.originMs ?? 300,
      ...(this.options.account ? { account: this.options.account } : {}),
    }));
    if (this.options.head) {
      this.res.end();
      return;
    }
    if (gzip) {
      this.gz = createGzip({ flush: zc.Z_SYNC_FLUSH });
      this.gz.on('data', (chunk: Buffer) => {
        if (!this.res.destroyed) this.res.write(chunk);
      });
      this.gz.on('end', () => {
        if (!this.res.destroyed && !this.res.writableEnded) this.res.end();
      });
    }
  }

  get closed(): boolean {
    return this.res.destroyed || this.res.writableEnded;
  }

  write(text: string): void {
    if (!this.opened) this.open();
    if (this.closed || this.options.head) return;
    if (this.gz) this.gz.write(text);
    else this.res.write(text);
  }

  end(): void {
    if (!this.opened) this.open();
    if (this.closed) {
      this.gz?.destroy();
      return;
    }
    if (this.gz) this.gz.end();
    else this.res.end();
  }
}
