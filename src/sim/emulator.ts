/**
 * The server arm of two-arm runs: a raw HTTP/1.1 server that answers each flow's request with the
 * flow's `response` (the real service's body layout, SSE or event-stream framing) behind a server
 * profile's headers (order and casing as the real edge writes them). It records every request as
 * received and every response as sent, for fidelity checks and the HAR's server arm.
 * Anything that can play the server arm implements EmulatedServer (honeygate's gateway too).
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, TLSSocket } from 'node:tls';
import type { Flow } from './flows.js';
import { encodeEvent, padding } from './eventstream.js';
import { formatJson, orderKeys, COMPACT, type JsonValue } from './json.js';
import type { Profile } from './profiles.js';
import { checkHeaderValue, expandHeaders, holds, type HeaderPair } from './request.js';
import { renderJson, renderString, type Vars } from './template.js';

/** The server side of a two-arm run: where to send requests, and how to stop it. */
export interface EmulatedServer {
  readonly url: string;
  close(): Promise<void>;
}

/** One request as the server arm received it and the response it sent. */
export interface ServerExchange {
  readonly startedAt: Date;
  readonly flow: string | undefined;
  readonly method: string;
  readonly target: string;
  readonly requestHeaders: readonly HeaderPair[];
  readonly requestBody: Buffer;
  readonly rawRequest: Buffer;
  readonly status: number;
  readonly reason: string;
  readonly responseHeaders: readonly HeaderPair[];
  readonly responseBody: Buffer;
  readonly time: number;
  /** over TLS: the version and cipher as the server saw them */
  readonly tls?: { readonly version: string; readonly cipher: string; readonly sni: string | null };
}

export interface FlowEmulator extends EmulatedServer {
  readonly exchanges: ServerExchange[];
  /** answer the next requests as this flow (two-arm runs flows one by one) */
  pin(flow: string | undefined): void;
}

export interface EmulatorOptions {
  readonly flows: readonly Flow[];
  /** server profiles by surface */
  readonly servers: ReadonlyMap<string, Profile>;
  /** tester's parameters (response_prompt, model, …) */
  readonly params?: Readonly<Record<string, string>>;
  readonly host?: string;
  /** keep at most this many exchanges in memory (load runs) */
  readonly maxRecorded?: number;
  /** serve HTTPS with this certificate and key (PEM), ALPN http/1.1 */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
}

const MAX_REQUEST_HEAD = 64 * 1024;
const MAX_REQUEST_BODY = 16 * 1024 * 1024;

/** The answer text in pieces as a model streams it: words with their leading white space. */
export function pieces(text: string): string[] {
  const parts = text.match(/\s*\S+\s*$|\s*\S+/g);
  return parts && parts.length > 0 ? parts : [text];
}

function pathPattern(template: string): RegExp {
  const parts = template.split(/\{\{[^}]*\}\}/).map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('[^/?]+')}(?:\\?.*)?$`);
}

function flowVars(flow: Flow, params: Readonly<Record<string, string>>, now: Date, server?: Profile): Record<string, string> {
  const raw: Record<string, string> = {};
  for (const [k, v] of Object.entries(server?.params ?? {})) raw[k] = typeof v === 'string' ? v : v.https;
  for (const [k, v] of Object.entries(flow.params)) raw[k] = typeof v === 'string' ? v : v.https;
  const merged = { ...raw, ...params };
  const vars: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) vars[k] = renderString(v, merged, `${flow.name}: param ${k}`, now);
  return { ...vars, ...params };
}

interface ParsedRequest {
  readonly method: string;
  readonly target: string;
  readonly headers: HeaderPair[];
  readonly body: Buffer;
  readonly raw: Buffer;
}

/** Render the flow's response: headers in the server profile's order, body bytes or stream parts. */
function renderResponse(
  flow: Flow,
  server: Profile,
  params: Readonly<Record<string, string>>,
  requestBody: Buffer,
  now: Date = new Date(),
): { status: number; reason: string; headers: HeaderPair[]; parts: Buffer[]; chunked: boolean } {
  const base = flowVars(flow, params, now, server);
  const answer = base['response_prompt'] ?? 'Hello! How can I help you today?';
  const split = pieces(answer);
  const promptTokens = Math.max(1, Math.ceil(requestBody.length / 4));
  const vars: Record<string, string> = {
    ...base,
    response_prompt: answer,
    prompt_tokens: String(promptTokens),
    completion_tokens: String(split.length),
    total_tokens: String(promptTokens + split.length),
    piece_count: String(split.length),
  };
  for (const [k, v] of Object.entries(flow.response.vars)) vars[k] = renderString(v, vars, `${flow.name}: response.vars.${k}`, now);
  const where = `${flow.name}: response.body`;
  const parts: Buffer[] = [];
  const body = flow.response.body;
  // `seq` counts the events of one response (Responses API sequence_number)
  let seq = 0;
  const each = <T>(repeat: boolean, fn: (v: Vars) => T): T[] =>
    repeat
      ? split.map((piece, i) => fn({ ...vars, seq: String(seq++), piece, piece_index: String(i), piece_last: String(i === split.length - 1) }))
      : [fn({ ...vars, seq: String(seq++) })];
  if ('json' in body) {
    const value = orderKeys(renderJson(body.json, vars, where, now), body.format.order);
    parts.push(Buffer.from(formatJson(value, body.format), 'utf8'));
  } else if ('text' in body) {
    parts.push(Buffer.from(renderString(body.text, vars, where, now), 'utf8'));
  } else if ('sse' in body) {
    for (const e of body.sse) {
      if ('raw' in e) {
        parts.push(Buffer.from(`data: ${renderString(e.raw, vars, where, now)}\n\n`, 'utf8'));
        continue;
      }
      for (const text of each(e.each === 'piece', (v) => formatJson(renderJson(e.data, v, where, now), COMPACT))) {
        parts.push(Buffer.from(`${e.event !== undefined ? `event: ${e.event}\n` : ''}data: ${text}\n\n`, 'utf8'));
      }
    }
  } else {
    for (const e of body.eventstream) {
      for (const frame of each(e.each === 'piece', (v) => {
        let payload: JsonValue;
        if (e.bytes !== undefined) {
          const native = formatJson(renderJson(e.bytes, v, where, now), COMPACT);
          payload = { bytes: Buffer.from(native, 'utf8').toString('base64'), p: padding() };
        } else {
          const rendered = renderJson(e.payload ?? {}, v, where, now);
          payload = rendered !== null && typeof rendered === 'object' && !Array.isArray(rendered) ? { ...rendered, p: padding() } : rendered;
        }
        return encodeEvent(e.event, Buffer.from(formatJson(orderKeys(payload, 'sorted'), COMPACT), 'utf8'));
      })) {
        parts.push(frame);
      }
    }
  }
  const chunked = flow.response.framing === 'chunked';
  const length = parts.reduce((n, p) => n + p.length, 0);
  const hvars: Record<string, string> = { ...vars, content_length: String(length), content_type: flow.response.content_type };
  const cond = { body: length > 0, proxy: false, https: false, chunked, length: !chunked };
  const headers = expandHeaders(server.headers, flow.response.headers, false)
    .filter((l) => holds(l.when, hvars, cond))
    .map((l): HeaderPair => {
      const value = renderString(l.value, hvars, `${server.name}: header ${l.name}`, now);
      checkHeaderValue(l.name, value);
      return [l.name, value];
    });
  return { status: flow.response.status, reason: flow.response.reason, headers, parts, chunked };
}

class RequestReader {
  private buf = Buffer.alloc(0);
  push(chunk: Buffer): void {
    this.buf = Buffer.concat([this.buf, chunk]);
  }
  /** One complete request, or undefined when more bytes are needed; throws on a bad request. */
  next(): ParsedRequest | undefined {
    const end = this.buf.indexOf('\r\n\r\n');
    if (end < 0) {
      if (this.buf.length > MAX_REQUEST_HEAD) throw new Error('request head too large');
      return undefined;
    }
    const head = this.buf.subarray(0, end).toString('latin1');
    const [line = '', ...lines] = head.split('\r\n');
    const m = /^([A-Z]{1,16}) (\S+) HTTP\/1\.[01]$/.exec(line);
    if (!m) throw new Error('bad request line');
    const headers: HeaderPair[] = lines.map((l) => {
      const at = l.indexOf(':');
      if (at <= 0) throw new Error('bad header line');
      return [l.slice(0, at), l.slice(at + 1).trim()] as const;
    });
    if (headers.some(([n]) => n.toLowerCase() === 'transfer-encoding')) throw new Error('chunked requests are not supported');
    const cl = headers.find(([n]) => n.toLowerCase() === 'content-length')?.[1] ?? '0';
    if (!/^\d{1,9}$/.test(cl) || Number(cl) > MAX_REQUEST_BODY) throw new Error('bad content-length');
    const total = end + 4 + Number(cl);
    if (this.buf.length < total) return undefined;
    const raw = this.buf.subarray(0, total);
    this.buf = this.buf.subarray(total);
    return { method: m[1] ?? '', target: m[2] ?? '', headers, body: raw.subarray(end + 4), raw };
  }
}

/** Start the flow emulator on 127.0.0.1 (port 0 unless given). */
export async function startFlowEmulator(options: EmulatorOptions): Promise<FlowEmulator> {
  const params = options.params ?? {};
  const routes = options.flows.map((flow) => {
    const vars = flowVars(flow, params, new Date());
    let exact: string | undefined;
    try {
      exact = renderString(flow.request.path, vars, flow.name);
    } catch {
      exact = undefined;
    }
    return { flow, exact, pattern: pathPattern(flow.request.path) };
  });
  const exchanges: ServerExchange[] = [];
  const max = options.maxRecorded ?? 10_000;
  let pinned: string | undefined;
  const sockets = new Set<Socket>();

  const route = (req: ParsedRequest): Flow | undefined => {
    if (pinned !== undefined) {
      const f = routes.find((r) => r.flow.name === pinned)?.flow;
      if (f) return f;
    }
    const path = req.target.replace(/^[a-z]+:\/\/[^/]+/i, '');
    const candidates = routes.filter((r) => r.flow.request.method === req.method && (r.exact === path || r.pattern.test(path)));
    if (candidates.length <= 1) return candidates[0]?.flow;
    const exact = candidates.filter((r) => r.exact === path);
    const pool = exact.length > 0 ? exact : candidates;
    let doc: unknown;
    try {
      doc = JSON.parse(req.body.toString('utf8')) as unknown;
    } catch {
      doc = undefined;
    }
    const text = req.body.toString('latin1');
    // which API the client speaks, from its headers (paths such as /v1/models are shared)
    const has = (name: string): string | undefined => req.headers.find(([n]) => n.toLowerCase() === name)?.[1];
    const auth = has('authorization') ?? '';
    const surface =
      has('anthropic-version') !== undefined || has('x-api-key') !== undefined
        ? 'anthropic'
        : has('api-key') !== undefined
          ? 'azure-openai'
          : has('x-goog-api-key') !== undefined
            ? 'gemini'
            : auth.startsWith('AWS4-HMAC-SHA256')
              ? 'bedrock'
              : auth !== ''
                ? 'openai'
                : undefined;
    const streaming = doc !== null && typeof doc === 'object' && (doc as { stream?: unknown }).stream === true;
    // the flow whose body looks most like this one: same literal values, same keys, same Action
    const score = (flow: Flow): number => {
      let n = flow.stream === streaming ? 4 : 0;
      if (surface !== undefined && flow.surface === surface) n += 50;
      if (flow.checker === undefined) n += 1;
      const action = /^Action=([A-Za-z]+)/.exec(flow.request.text ?? '')?.[1];
      if (action !== undefined) n += text.startsWith(`Action=${action}&`) ? 20 : -20;
      const tpl = flow.request.body;
      if (tpl !== null && typeof tpl === 'object' && !Array.isArray(tpl) && doc !== null && typeof doc === 'object' && !Array.isArray(doc)) {
        const body = doc as Record<string, unknown>;
        for (const [k, v] of Object.entries(tpl)) {
          if (!(k in body)) n -= 2;
          else if (typeof v !== 'string' || !v.includes('{{')) n += JSON.stringify(v) === JSON.stringify(body[k]) ? 3 : -3;
          else n += 1;
        }
        for (const k of Object.keys(body)) if (!(k in tpl)) n -= 2;
      }
      return n;
    };
    let best = pool[0];
    for (const r of pool) if (best && score(r.flow) > score(best.flow)) best = r;
    return best?.flow;
  };

  const answer = (socket: Socket, req: ParsedRequest): void => {
    const t0 = performance.now();
    const startedAt = new Date();
    const flow = route(req);
    const server = flow ? options.servers.get(flow.surface) : undefined;
    let status = 404;
    let reason = 'Not Found';
    let headers: HeaderPair[];
    let parts: Buffer[];
    let chunked = false;
    if (flow && server) {
      try {
        const r = renderResponse(flow, server, params, req.body);
        ({ status, reason, headers, parts, chunked } = r);
      } catch (e: unknown) {
        status = 500;
        reason = 'Internal Server Error';
        parts = [Buffer.from(`{"message":"emulator: ${e instanceof Error ? e.message.replace(/["\\]/g, "'") : 'error'}"}`)];
        headers = [['Content-Type', 'application/json'], ['Content-Length', String(parts[0]?.length ?? 0)]];
      }
    } else {
      parts = [Buffer.from('{"message":"no flow for this request"}')];
      headers = [['Content-Type', 'application/json'], ['Content-Length', String(parts[0]?.length ?? 0)]];
    }
    let head = `HTTP/1.1 ${status} ${reason}\r\n`;
    for (const [n, v] of headers) head += `${n}: ${v}\r\n`;
    socket.write(`${head}\r\n`, 'latin1');
    for (const p of parts) {
      if (chunked) {
        if (p.length > 0) socket.write(Buffer.concat([Buffer.from(`${p.length.toString(16)}\r\n`), p, Buffer.from('\r\n')]));
      } else socket.write(p);
    }
    if (chunked) socket.write('0\r\n\r\n');
    if (exchanges.length >= max) exchanges.shift();
    exchanges.push({
      startedAt,
      flow: flow?.name,
      method: req.method,
      target: req.target,
      requestHeaders: req.headers,
      requestBody: req.body,
      rawRequest: req.raw,
      status,
      reason,
      responseHeaders: headers,
      responseBody: Buffer.concat(parts),
      time: performance.now() - t0,
      ...(socket instanceof TLSSocket
        ? {
            tls: {
              version: socket.getProtocol() ?? 'unknown',
              cipher: socket.getCipher().name,
              sni: (socket as TLSSocket & { servername?: string | false }).servername || null,
            },
          }
        : {}),
    });
  };

  const onSocket = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setTimeout(30_000, () => socket.destroy());
    const reader = new RequestReader();
    socket.on('data', (chunk: Buffer) => {
      reader.push(chunk);
      try {
        for (let req = reader.next(); req; req = reader.next()) answer(socket, req);
      } catch {
        socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      }
    });
  };
  const server: Server = options.tls
    ? createTlsServer({ cert: options.tls.cert, key: options.tls.key, ALPNProtocols: ['http/1.1'], minVersion: 'TLSv1.2' }, onSocket)
    : createServer(onSocket);
  if (options.tls) server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `${options.tls ? 'https' : 'http'}://${host}:${port}`,
    exchanges,
    pin(flow: string | undefined): void {
      pinned = flow;
    },
    close(): Promise<void> {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
