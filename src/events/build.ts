/**
 * Building the event of one request from its Exchange, after the response has closed: ECS fields,
 * the client fingerprint (computed here, off the hot path), the model (sniffed from the first bytes
 * of a forwarded body only now), and for lure traffic the MITRE ATT&CK technique and Engage tags.
 */
import { randomUUID } from 'node:crypto';
import { clientFingerprint } from '../core/identity.js';
import type { Exchange } from '../core/exchange.js';
import type { CanaryRecord } from '../store/types.js';
import type { GatewayEvent } from './model.js';

const MODEL_FIELD = /"model"\s*:\s*"([^"\\]{1,200})"/;

function sniffModel(head: Buffer[] | undefined): string | undefined {
  if (!head || head.length === 0) return undefined;
  const m = MODEL_FIELD.exec(Buffer.concat(head).toString('latin1'));
  return m?.[1];
}

// LLMjacking as ATT&CK sees it: stolen cloud credentials used to consume paid resources
const LURE_THREAT = {
  framework: 'MITRE ATT&CK',
  technique: { id: ['T1078.004', 'T1496'], name: ['Valid Accounts: Cloud Accounts', 'Resource Hijacking'] },
  tactic: { id: ['TA0001', 'TA0040'], name: ['Initial Access', 'Impact'] },
} as const;
const ECS = { version: '8.11.0' } as const;
const LURE_TAGS = ['honeytoken', 'llmjacking', 'mitre-engage:lures', 'mitre-engage:decoy-content', 'mitre-engage:monitor'] as const;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Built without object spreads: they were most of this function's ~8 µs per request (issue 11
 * profile). Optional fields are assigned in the order the spreads wrote them, so the JSON is the same.
 */
export function buildRequestEvent(ex: Exchange): GatewayEvent {
  const { req, res } = ex;
  const durationMs = performance.now() - ex.startedAt;
  const status = res.headersSent ? res.statusCode : 0;
  const verdict = ex.verdict;
  const lure = ex.key.class === 'lure';
  const model = ex.model ?? sniffModel(ex.bodyHead);
  const headers = req.headers;

  const event: Mutable<GatewayEvent['event']> = {
    id: ex.id ?? randomUUID(),
    kind: lure || verdict?.action === 'block' ? 'alert' : 'event',
    dataset: 'honeygate.request',
    category: lure ? ['web', 'intrusion_detection'] : ['web'],
    type: verdict?.action === 'forward' || verdict?.action === 'deceive' ? ['access', 'allowed'] : ['access', 'denied'],
    action: verdict ? `${verdict.action}:${verdict.reason}` : 'unrouted',
    outcome: status === 0 ? 'unknown' : status < 400 ? 'success' : 'failure',
    duration: Math.round(durationMs * 1e6),
  };
  if (verdict) event.reason = verdict.reason;
  const source: { ip: string; port?: number } = { ip: ex.ip };
  if (ex.remotePort !== undefined) source.port = ex.remotePort;
  // the request was read before the handler ran: its size is what it declared
  const request: { method: string; bytes?: number } = { method: req.method ?? 'GET' };
  const length = headers['content-length'];
  if (length !== undefined) request.bytes = Number(length) || 0;
  const response: { status_code: number; bytes?: number } = { status_code: status };
  // HTTP/2 multiplexes streams on one socket: its byte count is not this response's
  if (req.httpVersionMajor !== 2) response.bytes = ex.socket.bytesWritten - ex.bytesWritten0;

  const hg: Mutable<GatewayEvent['honeygate']> = {};
  if (ex.surface) hg.surface = ex.surface;
  hg.key = ex.key;
  if (model !== undefined) hg.model = model;
  if (ex.upstream !== undefined) hg.upstream = ex.upstream;
  if (ex.route !== undefined) hg.route = ex.route;
  if (verdict) hg.verdict = { action: verdict.action, reason: verdict.reason };
  hg.client = ex.client ?? clientFingerprint(headers);
  hg.overhead_ms = Math.round((durationMs - (ex.upstreamMs ?? 0)) * 1000) / 1000;
  if (ex.upstreamMs !== undefined) hg.upstream_ms = Math.round(ex.upstreamMs * 1000) / 1000;
  if (ex.stream !== undefined) hg.stream = ex.stream;
  if (ex.lure) hg.lure = ex.lure;
  if (ex.tool) hg.tool = ex.tool;

  // key order as the SIEM mappings and tests know it: honeygate last
  const out = {
    '@timestamp': new Date(ex.startedWall).toISOString(),
    ecs: ECS,
    event,
    source,
    http: { request, response },
    url: { path: ex.path.length > 2048 ? ex.path.slice(0, 2048) : ex.path },
  } as Mutable<GatewayEvent>;
  const ua = headers['user-agent'];
  if (ua !== undefined) out.user_agent = { original: ua.slice(0, 512) };
  if (lure) {
    out.threat = LURE_THREAT;
    out.tags = LURE_TAGS;
  }
  out.honeygate = hg;
  return out;
}

/** A canary was used: an alert linking back to the lure request that minted it. */
export function buildCanaryEvent(ex: Exchange, canary: CanaryRecord, via: 'http' | 'api_key'): GatewayEvent {
  return {
    '@timestamp': new Date().toISOString(),
    ecs: { version: '8.11.0' },
    event: {
      id: randomUUID(),
      kind: 'alert',
      dataset: 'honeygate.canary',
      category: ['intrusion_detection'],
      type: ['indicator'],
      action: `canary:${via}`,
      outcome: 'success',
      reason: `canary ${canary.kind} minted for ${canary.clientIp} used again`,
    },
    source: { ip: ex.ip, ...(ex.remotePort !== undefined ? { port: ex.remotePort } : {}) },
    url: { path: ex.path.length > 2048 ? ex.path.slice(0, 2048) : ex.path },
    ...(ex.req.headers['user-agent'] !== undefined ? { user_agent: { original: ex.req.headers['user-agent'].slice(0, 512) } } : {}),
    threat: LURE_THREAT,
    tags: ['canary', ...LURE_TAGS],
    honeygate: {
      ...(ex.surface ? { surface: ex.surface } : {}),
      key: {
        class: 'lure',
        fingerprint: canary.lureKeyFingerprint,
        ...(canary.campaign !== undefined ? { campaign: canary.campaign } : {}),
        ...(canary.placement !== undefined ? { placement: canary.placement } : {}),
      },
      client: clientFingerprint(ex.req.headers),
      canary: { token: canary.token, kind: canary.kind, minted_by: canary.mintedBy, minted_for_ip: canary.clientIp, via },
    },
  };
}

/** A change in the gateway itself: store degraded or recovered, sink disabled, config reloaded. */
export function buildSystemEvent(component: string, action: string, detail: string, outcome: 'success' | 'failure' = 'success'): GatewayEvent {
  return {
    '@timestamp': new Date().toISOString(),
    ecs: { version: '8.11.0' },
    event: { id: randomUUID(), kind: 'event', dataset: 'honeygate.system', category: ['configuration'], type: ['change'], action, outcome },
    honeygate: { system: { component, detail } },
  };
}
