/** The tool provider's forward stage: the upstream, streaming both ways, the route secret stripped. */
import type { HttpRequest } from '../../core/http.js';
import type { Exchange } from '../../core/exchange.js';
import { HttpUpstream, UpstreamFault } from '../../core/forward.js';
import { writeProblem } from './problem.js';
import { type CompiledRoute } from './route.js';

import { GATEWAY_HEADER, method, type ToolCall } from './call.js';

function upstreamPath(route: CompiledRoute, call: ToolCall): string {
  const rest = call.rest === '' && route.upstreamPath === '' ? '/' : call.rest;
  return `${rest}${call.query}`;
}

/** The client's body, cut off past `max` bytes (chunked uploads have no Content-Length). */
async function* limited(req: HttpRequest, max: number, call: ToolCall): AsyncGenerator<Buffer> {
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) {
      call.tooLarge = true;
      throw new Error('request body too large');
    }
    yield chunk;
  }
}

/** Headers for the upstream: no route secret, no client-made x-honeygate-*, the user passed on. */
function upstreamHeaders(ex: Exchange, call: ToolCall, keepAuthorization: boolean): { headers: HttpRequest['headers']; set: Record<string, string> } {
  const auth = call.route.config.auth;
  const headers: HttpRequest['headers'] = {};
  for (const [k, v] of Object.entries(ex.req.headers)) {
    if (GATEWAY_HEADER.test(k)) continue;
    if (k === auth.secret_header && call.via === 'secret') continue;
    if (k === 'authorization' && !keepAuthorization) continue;
    headers[k] = v;
  }
  const set: Record<string, string> = { 'x-honeygate-route': call.route.name };
  if (call.user !== undefined) set['x-honeygate-user'] = call.user;
  return { headers, set };
}

function faultToClient(ex: Exchange, e: unknown, call: ToolCall): void {
  if (call.tooLarge) {
    writeProblem(ex.res, 'HG_TOOL_TOO_LARGE', { detail: `The request body is larger than ${call.route.maxBodyBytes} bytes.` });
    return;
  }
  if (!(e instanceof UpstreamFault)) throw e;
  if (e.kind === 'aborted' || ex.res.headersSent || ex.res.destroyed) {
    if (!ex.res.destroyed && !ex.res.writableEnded) ex.res.destroy();
    return;
  }
  writeProblem(ex.res, e.kind === 'timeout' ? 'HG_TOOL_UPSTREAM_TIMEOUT' : 'HG_TOOL_UPSTREAM_ERROR');
}

export async function send(ex: Exchange, call: ToolCall, upstream: HttpUpstream, keepAuthorization: boolean): Promise<void> {
  const m = method(ex);
  const route = call.route;
  const { headers, set } = upstreamHeaders(ex, call, keepAuthorization);
  const hasBody = m !== 'GET' && m !== 'HEAD';
  const body = call.body ?? (hasBody ? (limited(ex.req, route.maxBodyBytes, call) as unknown as HttpRequest) : null);
  if (route.ratePolicy !== undefined) ex.res.setHeader('RateLimit-Policy', route.ratePolicy);
  const started = performance.now();
  try {
    const onResponse = (_status: number, h: Readonly<Record<string, string | string[] | undefined>>, ms: number): void => {
      ex.upstreamMs = ms;
      ex.stream = /^text\/event-stream/i.test(String(h['content-type'] ?? ''));
    };
    const result = await upstream.forward({ method: m, path: upstreamPath(route, call), headers, body, setHeaders: set, replaceServerErrors: true, onResponse }, ex.res);
    ex.upstreamMs = result.upstreamMs;
    if (result.replaced) writeProblem(ex.res, result.status === 504 ? 'HG_TOOL_UPSTREAM_TIMEOUT' : 'HG_TOOL_UPSTREAM_ERROR');
  } catch (e: unknown) {
    ex.upstreamMs = performance.now() - started;
    faultToClient(ex, e, call);
  }
}

export async function forward(ex: Exchange, call: ToolCall): Promise<void> {
  ex.upstream = call.route.name;
  await send(ex, call, call.route.upstream, true);
}

