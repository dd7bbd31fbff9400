/**
 * The request and response the public listener hands to the pipeline, over HTTP/1.1 (node:http's
 * IncomingMessage / ServerResponse) or HTTP/2 (node:http2's compatibility Http2ServerRequest /
 * Http2ServerResponse: h2c with prior knowledge, which the JS Bedrock Runtime client speaks, or TLS
 * with ALPN). These structural types name exactly the members honeygate uses; both pairs satisfy
 * them, so one handler, the Exchange and every surface serve both protocols without a cast.
 *
 * Two HTTP/2 facts the members hide: `writeHead` takes the flat raw header array at runtime (Node
 * ≥ 15.6; @types/node still declares only the object form, so method bivariance is what lets
 * Http2ServerResponse in), and connection-specific headers are forbidden there (RFC 9113 §8.2.2):
 * util/write-head.ts drops them. `shouldKeepAlive` exists only on HTTP/1.1 responses.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';

export interface HttpRequest extends Readable {
  readonly headers: IncomingHttpHeaders;
  /** names and values in arrival order; on HTTP/2 the pseudo-headers (`:authority` …) come first */
  readonly rawHeaders: readonly string[];
  readonly url?: string | undefined;
  readonly method?: string | undefined;
  /** on HTTP/2 a proxy to the connection's socket (address, port, byte counts) */
  readonly socket: Socket;
  readonly complete: boolean;
  /** 1 or 2 */
  readonly httpVersionMajor: number;
  /** 0 for an HTTP/1.0 client */
  readonly httpVersionMinor: number;
}

export interface HttpResponse extends Writable {
  statusCode: number;
  sendDate: boolean;
  readonly headersSent: boolean;
  readonly req: HttpRequest;
  /** HTTP/1.1 only: false when the connection closes after this response */
  readonly shouldKeepAlive?: boolean;
  /** headers as an object or as a flat raw array `[name, value, …]` (order and spelling kept) */
  writeHead(statusCode: number, headers?: OutgoingHttpHeaders | string[]): this;
  getHeader(name: string): number | string | string[] | undefined;
  setHeader(name: string, value: number | string | readonly string[]): unknown;
  flushHeaders(): void;
}

declare module 'http2' {
  interface Http2ServerResponse {
    /** present at runtime (lib/internal/http2/compat.js): sends the head now */
    flushHeaders(): void;
  }
}
