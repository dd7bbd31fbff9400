/**
 * The request's compact record: what the request thread hands over when a request ends (or, for a
 * lure, as soon as its verdict is known) — a few numbers and strings read off the Exchange, no
 * nested event, no JSON. The events worker (worker/thread.ts) turns it into the ECS event
 * (`eventFromRecord`) and writes it; a listener on the request thread that wants the whole event
 * (tests, the diagnostics channel) gets the same function's output, so both are one event.
 *
 * Everything that costs more than a field read — the client fingerprint, the model sniffed from a
 * forwarded body's head, the ISO timestamp, the event id, the ECS arrays — happens in
 * `eventFromRecord`, off the request thread.
 */
import { randomUUID } from 'node:crypto';
import { clientFingerprint } from '../core/identity.js';
import type { Exchange, LureDetail } from '../core/exchange.js';
import type { ClientFingerprint, GatewayEvent, KeyInfo, SurfaceName, VerdictAction } from './model.js';
import { redactRecord, redactSecrets } from './redact.js';
import { lureToolsOf } from './tools.js';
import { clientId, headerNames } from './client-id.js';

/** A request's record; every field a primitive except the rare ones (lure, tool, client, stainless). */
export interface RequestRecord {
  /** 0: the request ended; 1: early (a lure's verdict is known, the answer is still to come) */
  phase: 0 | 1;
  /** final record of a request whose alert already left early: alert consumers skip it */
  alerted: boolean;
  id: string | undefined;
  /** epoch ms of arrival */
  wall: number;
  durationMs: number;
  /** 0 when no header was sent */
  status: number;
  method: string;
  /** the declared content-length header, as sent */
  contentLength: string | undefined;
  /** -1: not known (HTTP/2 shares its socket) */
  responseBytes: number;
  ip: string;
  /** -1: none */
  port: number;
  path: string;
  ua: string | undefined;
  /** the header names in order and case, `h1`/`h2` first (client-id.ts), for the client id */
  headerNames: string | undefined;
  surface: SurfaceName | undefined;
  key: KeyInfo;
  verdictAction: VerdictAction | undefined;
  verdictReason: string | undefined;
  model: string | undefined;
  /** the first bytes of a forwarded body (latin1), when the model was not parsed on the way */
  bodyHead: string | undefined;
  upstream: string | undefined;
  route: string | undefined;
  upstreamMs: number;
  /** 0: unknown, 1: false, 2: true */
  stream: 0 | 1 | 2;
  client: ClientFingerprint | undefined;
  /** the x-stainless-* headers (OpenAI SDKs), only when the client sent them */
  stainless: Record<string, string> | undefined;
  lure: LureDetail | undefined;
  tool: Record<string, string> | undefined;
  /** the response ended before its end, and why (core/cut.ts) */
  cut: string | undefined;
}

function header(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : value?.[0];
}

const STAINLESS = ['x-stainless-lang', 'x-stainless-package-version', 'x-stainless-runtime', 'x-stainless-runtime-version', 'x-stainless-os', 'x-stainless-arch'] as const;

/** Read the record off an Exchange: field reads only (plus a latin1 copy of a forwarded body's head). */
export function requestRecord(ex: Exchange, phase: 0 | 1 = 0): RequestRecord {
  const { req, res } = ex;
  const headers = req.headers;
  const verdict = ex.verdict;
  let stainless: Record<string, string> | undefined;
  if (ex.client === undefined && headers['x-stainless-lang'] !== undefined) {
    stainless = {};
    for (const name of STAINLESS) {
      const v = header(headers[name]);
      if (v !== undefined) stainless[name] = v;
    }
  }
  const head = ex.model === undefined && ex.bodyHead !== undefined && ex.bodyHead.length > 0 ? Buffer.concat(ex.bodyHead).toString('latin1') : undefined;
  return {
    phase,
    alerted: false,
    id: ex.id,
    wall: ex.startedWall,
    durationMs: performance.now() - ex.startedAt,
    status: res.headersSent ? res.statusCode : 0,
    method: req.method ?? 'GET',
    contentLength: header(headers['content-length']),
    // HTTP/2 multiplexes streams on one socket: its byte count is not this response's
    responseBytes: req.httpVersionMajor !== 2 ? ex.socket.bytesWritten - ex.bytesWritten0 : -1,
    ip: ex.ip,
    port: ex.remotePort ?? -1,
    path: ex.path,
    ua: header(headers['user-agent']),
    headerNames: headerNames(req.rawHeaders, req.httpVersionMajor),
    surface: ex.surface,
    key: ex.key,
    verdictAction: verdict?.action,
    verdictReason: verdict?.reason,
    model: ex.model,
    bodyHead: head,
    upstream: ex.upstream,
    route: ex.route,
    upstreamMs: ex.upstreamMs ?? -1,
    stream: ex.stream === undefined ? 0 : ex.stream ? 2 : 1,
    client: ex.client,
    stainless,
    lure: ex.lure,
    tool: ex.tool,
    cut: ex.cut,
  };
}

/** Is this request an alert (a lure key was used, or it was blocked)? */
export function isAlertRecord(rec: RequestRecord): boolean {
  return rec.key.class === 'lure' || rec.verdictAction === 'block';
}

const MODEL_FIELD = /"model"\s*:\s*"([^"\\]{1,200})"/;

// LLMjacking as ATT&CK sees it: stolen cloud credentials used to consume paid resources
export const LURE_THREAT = {
  framework: 'MITRE ATT&CK',
  technique: { id: ['T1078.004', 'T1496'], name: ['Valid Accounts: Cloud Accounts', 'Resource Hijacking'] },
  tactic: { id: ['TA0001', 'TA0040'], name: ['Initial Access', 'Impact'] },
} as const;
const ECS = { version: '8.11.0' } as const;
export const LURE_TAGS = ['honeytoken', 'llmjacking', 'mitre-engage:lures', 'mitre-engage:decoy-content', 'mitre-engage:monitor'] as const;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

type EventLure = NonNullable<GatewayEvent['honeygate']['lure']>;

/**
 * The event's lure fields: the prompt with key-shaped secrets masked, the tool definitions
 * normalized and bounded (tools.ts); the other fields as the surface set them, in their order.
 */
function lureOf(detail: LureDetail): EventLure {
  if (detail.prompt === undefined && detail.tools === undefined) return detail as EventLure;
  const out: Mutable<EventLure> & { toolsTotal?: number } = { ...(detail as EventLure) };
  if (detail.prompt !== undefined) out.prompt = redactSecrets(detail.prompt);
  if (detail.tools !== undefined) {
    const tools = lureToolsOf(detail.tools);
    if (tools !== undefined) out.tools = tools;
    else delete out.tools;
    if (detail.toolsTotal !== undefined) {
      delete out.toolsTotal;
      if (tools !== undefined) out.tools_total = detail.toolsTotal;
    }
  }
  return out;
}

function fingerprintOf(rec: RequestRecord): ClientFingerprint {
  if (rec.client !== undefined) return rec.client;
  const headers: Record<string, string> = rec.stainless !== undefined ? { ...rec.stainless } : {};
  if (rec.ua !== undefined) headers['user-agent'] = rec.ua;
  return clientFingerprint(headers);
}

/**
 * The ECS event of a record. Built without object spreads (they were most of its cost); optional
 * fields are assigned in a fixed order, so the JSON key order is what SIEM mappings and tests know.
 */
export function eventFromRecord(rec: RequestRecord): GatewayEvent {
  const status = rec.status;
  const action = rec.verdictAction;
  const lure = rec.key.class === 'lure';
  const sniffed = rec.model ?? (rec.bodyHead !== undefined ? MODEL_FIELD.exec(rec.bodyHead)?.[1] : undefined);
  // key-shaped secrets a client put in what is recorded are masked (redact.ts)
  const model = sniffed === undefined ? undefined : redactSecrets(sniffed);

  const event: Mutable<GatewayEvent['event']> = {
    id: rec.id ?? randomUUID(),
    kind: lure || action === 'block' ? 'alert' : 'event',
    dataset: 'honeygate.request',
    category: lure ? ['web', 'intrusion_detection'] : ['web'],
    type: action === 'forward' || action === 'deceive' ? ['access', 'allowed'] : ['access', 'denied'],
    action: action !== undefined ? `${action}:${rec.verdictReason ?? ''}` : 'unrouted',
    // a response cut before its end (an upstream reset or stall mid-stream) failed, whatever its head said
    outcome: rec.cut !== undefined && rec.cut !== 'client_closed' ? 'failure' : status === 0 ? 'unknown' : status < 400 ? 'success' : 'failure',
    duration: Math.round(rec.durationMs * 1e6),
  };
  if (action !== undefined) event.reason = rec.verdictReason ?? '';
  const source: { ip: string; port?: number } = { ip: rec.ip };
  if (rec.port >= 0) source.port = rec.port;
  // the request was read before the handler ran: its size is what it declared
  const request: { method: string; bytes?: number } = { method: rec.method };
  if (rec.contentLength !== undefined) request.bytes = Number(rec.contentLength) || 0;
  const response: { status_code: number; bytes?: number } = { status_code: status };
  if (rec.responseBytes >= 0) response.bytes = rec.responseBytes;

  const hg: Mutable<GatewayEvent['honeygate']> = {};
  if (rec.surface) hg.surface = rec.surface;
  hg.key = rec.key;
  if (model !== undefined) hg.model = model;
  if (rec.upstream !== undefined) hg.upstream = rec.upstream;
  if (rec.route !== undefined) hg.route = rec.route;
  if (action !== undefined) hg.verdict = { action, reason: rec.verdictReason ?? '' };
  const fp = redactRecord(fingerprintOf(rec));
  const cid = clientId(rec.headerNames, rec.ua, fp);
  hg.client = cid !== undefined ? { ...fp, id: cid } : fp;
  const upstreamMs = rec.upstreamMs >= 0 ? rec.upstreamMs : undefined;
  hg.overhead_ms = Math.round((rec.durationMs - (upstreamMs ?? 0)) * 1000) / 1000;
  if (upstreamMs !== undefined) hg.upstream_ms = Math.round(upstreamMs * 1000) / 1000;
  if (rec.stream !== 0) hg.stream = rec.stream === 2;
  if (rec.lure) hg.lure = lureOf(rec.lure);
  if (rec.tool) hg.tool = rec.tool;

  // key order as the SIEM mappings and tests know it: honeygate last
  const out = {
    '@timestamp': new Date(rec.wall).toISOString(),
    ecs: ECS,
    event,
    source,
    http: { request, response },
    url: { path: redactSecrets(rec.path.length > 2048 ? rec.path.slice(0, 2048) : rec.path) },
  } as Mutable<GatewayEvent>;
  if (rec.ua !== undefined) out.user_agent = { original: redactSecrets(rec.ua.slice(0, 512)) };
  if (rec.cut !== undefined) out.error = { type: rec.cut, message: `response cut before its end: ${rec.cut.replace(/_/g, ' ')}` };
  if (lure) {
    out.threat = LURE_THREAT;
    out.tags = LURE_TAGS;
  }
  out.honeygate = hg;
  return out;
}
