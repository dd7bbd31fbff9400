/**
 * One request's record while it is served: what each stage learned (client, key, verdict, model,
 * upstream timing, lure details). The event is built from it once, after the response has closed
 * (events/build.ts), so nothing here costs the request more than a few field writes.
 */
import type { ClientFingerprint, KeyInfo, SurfaceName } from '../events/model.js';
import type { Verdict } from './verdict.js';
import type { HttpRequest, HttpResponse } from './http.js';

export interface LureDetail {
  count?: number;
  max?: number;
  prompt?: string;
  injected?: boolean;
  canaries?: string[];
  /**
   * The tool definitions the client sent, as its body had them (the provider's own shape: OpenAI
   * `tools`/`functions`, Anthropic `tools`, Converse `toolConfig.tools`, Gemini `tools`). Kept by
   * reference (lureTools): the events worker normalizes, bounds and redacts them
   * (events/tools.ts) into `honeygate.lure.tools`.
   */
  tools?: readonly unknown[];
  /** how many tool entries the body had, when more than MAX_LURE_TOOLS */
  toolsTotal?: number;
}

/** Most tool entries a request hands to its event (the rest are counted, not kept). */
export const MAX_LURE_TOOLS = 64;

/**
 * A lure surface's hook for the tools a thief defined: `value` is the body's tool list in the
 * provider's own shape. A field write (and a slice when the list is long): no parsing here.
 */
export function lureTools(ex: Exchange, value: unknown): void {
  if (!Array.isArray(value) || value.length === 0) return;
  const detail = (ex.lure ??= {});
  if (value.length > MAX_LURE_TOOLS) {
    detail.tools = value.slice(0, MAX_LURE_TOOLS);
    detail.toolsTotal = value.length;
  } else detail.tools = value as readonly unknown[];
}

export class Exchange {
  /** HTTP/1.1 or HTTP/2 (server/http.ts) */
  readonly req: HttpRequest;
  readonly res: HttpResponse;
  readonly startedAt = performance.now();
  readonly startedWall = Date.now();
  readonly bytesWritten0: number;
  /** the connection, kept: node detaches `req.socket` once the exchange is over */
  readonly socket: HttpRequest['socket'];
  readonly remotePort: number | undefined;
  /** event id, assigned early when something must link back to this request (canaries) */
  id?: string;
  /** path without the query */
  path = '/';
  ip = '';
  surface?: SurfaceName;
  key: KeyInfo = { class: 'missing' };
  verdict?: Verdict;
  model?: string;
  upstream?: string;
  upstreamMs?: number;
  stream?: boolean;
  route?: string;
  lure?: LureDetail;
  /** first bytes of a forwarded body, kept to find the model after the response */
  bodyHead?: Buffer[];
  client?: ClientFingerprint;
  /** tool-surface audit fields (issue 10) */
  tool?: Record<string, string>;
  /** the response ended before its end, and why (core/cut.ts): set when the response closes */
  cut?: string;

  constructor(req: HttpRequest, res: HttpResponse) {
    this.req = req;
    this.res = res;
    this.socket = req.socket;
    this.remotePort = req.socket.remotePort;
    this.bytesWritten0 = req.socket.bytesWritten;
  }
}

const MODEL_SNIFF_BYTES = 8192;

/**
 * Keep the first bytes of the client's body (the event's model field) while undici streams it up.
 * The body goes to undici as the request stream itself, as the least proxy does: paused first, so
 * this listener does not start the flow; undici attaches its own and resumes, and both see every
 * chunk. (An async generator in between cost a promise per chunk and undici's slower iterable path.)
 */
export function keepBodyHead(ex: Exchange): HttpRequest {
  const req = ex.req;
  let kept = 0;
  const onData = (chunk: Buffer): void => {
    (ex.bodyHead ??= []).push(chunk.subarray(0, MODEL_SNIFF_BYTES - kept));
    kept += chunk.length;
    if (kept >= MODEL_SNIFF_BYTES) req.off('data', onData);
  };
  req.pause();
  req.on('data', onData);
  return req;
}
