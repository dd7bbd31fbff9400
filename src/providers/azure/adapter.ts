/**
 * The OpenAI decoy, answering as an Azure deployment. Azure OpenAI serves OpenAI's own models and
 * body shapes behind Azure's edge, so the Azure provider reuses the OpenAI decoy (and its
 * validation) instead of keeping a copy: the decoy writes onto this response, which hands the real
 * one Azure's head (headers.ts) and Azure's body (translate.ts) instead of OpenAI's. Streams pass
 * event by event as the decoy paces them (never buffered); JSON bodies are rewritten whole.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import { Writable } from 'node:stream';
import { createGunzip, gunzipSync, type Gunzip } from 'node:zlib';
import type { HttpRequest, HttpResponse } from '../../core/http.js';
import { azureHeaders, writeAzureHead, type AzureModelHeaders } from './headers.js';
import { AzureSseRewriter, azureCompletionBody, azureEmbeddingsBody, azureModelErrorBody, promptFilterChunk } from './translate.js';
import type { AzureOperation } from './protocol.js';

export interface AdapterContext {
  readonly operation: AzureOperation;
  /** `model` in answers */
  readonly reported: string;
  readonly headers: AzureModelHeaders;
  readonly head: boolean;
}

function headerValue(headers: OutgoingHttpHeaders | string[] | undefined, name: string): string | undefined {
  if (headers === undefined) return undefined;
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2) if ((headers[i] ?? '').toLowerCase() === name) return headers[i + 1];
    return undefined;
  }
  const v = headers[name];
  return v === undefined ? undefined : String(v);
}

export class AzureDecoyResponse extends Writable implements HttpResponse {
  statusCode = 200;
  sendDate = false;
  private sse: AzureSseRewriter | null = null;
  /** a Responses API stream passes unchanged (named events, no filter fields) [INF] */
  private passthrough = false;
  private chunks: Buffer[] = [];
  private started = false;
  /** the OpenAI decoy compressed its answer (OpenAI gzips for clients that accept it; Azure never does) */
  private gzip = false;
  private gunzip: Gunzip | null = null;
  /** body bytes sent to the client */
  bytes = 0;

  constructor(
    private readonly real: HttpResponse,
    private readonly ctx: AdapterContext,
  ) {
    super();
    real.once('close', () => {
      if (!this.destroyed && !this.writableFinished) this.destroy();
    });
  }

  get req(): HttpRequest {
    return this.real.req;
  }

  get shouldKeepAlive(): boolean {
    return this.real.shouldKeepAlive ?? true;
  }

  get headersSent(): boolean {
    return this.started;
  }

  getHeader(): undefined {
    return undefined;
  }

  setHeader(): this {
    return this;
  }

  flushHeaders(): void {}

  writeHead(statusCode: number, headers?: OutgoingHttpHeaders | string[]): this {
    this.statusCode = statusCode;
    this.started = true;
    this.gzip = /gzip/i.test(headerValue(headers, 'content-encoding') ?? '');
    if ((headerValue(headers, 'content-type') ?? '').startsWith('text/event-stream') && statusCode === 200) {
      if (this.gzip) {
        const gunzip = createGunzip();
        gunzip.on('data', (plain: Buffer) => this.take(plain));
        gunzip.on('error', () => this.real.destroy());
        this.gunzip = gunzip;
      }
      this.passthrough = this.ctx.operation === 'responses';
      this.sse = new AzureSseRewriter(this.ctx.reported);
      writeAzureHead(this.real, 200, azureHeaders({ family: 'model', contentType: 'text/event-stream; charset=utf-8', model: this.ctx.headers }));
      // chat streams open with the prompt's filter verdict
      if (!this.ctx.head && (this.ctx.operation === 'chat.completions' || this.ctx.operation === 'completions')) this.send(promptFilterChunk());
    }
    return this;
  }

  private send(text: string): void {
    if (text === '' || this.real.destroyed) return;
    this.bytes += Buffer.byteLength(text);
    this.real.write(text);
  }

  /** one piece of the (decompressed) stream */
  private take(buf: Buffer): void {
    if (this.passthrough) this.send(buf.toString('utf8'));
    else if (this.sse) this.send(this.sse.push(buf.toString('utf8')));
  }

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (this.gunzip) this.gunzip.write(buf, () => callback());
    else {
      if (this.sse) this.take(buf);
      else this.chunks.push(buf);
      callback();
    }
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.real.destroyed) {
      callback();
      return;
    }
    if (this.sse) {
      if (this.gunzip) {
        this.gunzip.once('end', () => {
          this.real.end();
          callback();
        });
        this.gunzip.end();
        return;
      }
      this.real.end();
      callback();
      return;
    }
    let raw = Buffer.concat(this.chunks);
    if (this.gzip && raw.length > 0) {
      try {
        raw = gunzipSync(raw);
      } catch {
        // not gzip after all: answered as written
      }
    }
    const text = raw.toString('utf8');
    const body = this.rewrite(text);
    const length = Buffer.byteLength(body);
    writeAzureHead(this.real, this.statusCode, azureHeaders({ family: 'model', contentType: 'application/json', contentLength: length, model: this.ctx.headers }));
    this.bytes = this.ctx.head ? 0 : length;
    this.real.end(this.ctx.head ? undefined : body);
    callback();
  }

  private rewrite(text: string): string {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return text;
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return text;
    const json = parsed as Record<string, unknown>;
    if (this.statusCode >= 400) return azureModelErrorBody(json);
    switch (this.ctx.operation) {
      case 'chat.completions':
      case 'completions':
        return azureCompletionBody(json, this.ctx.reported);
      case 'embeddings':
      case 'responses':
        return azureEmbeddingsBody(json, this.ctx.reported);
      default:
        return azureModelErrorBody(json);
    }
  }
}
