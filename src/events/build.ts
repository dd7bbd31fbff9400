/**
 * Building the event of one request from its Exchange, after the response has closed: ECS fields,
 * the client fingerprint (computed here, off the hot path), the model (sniffed from the first bytes
 * of a forwarded body only now), and for lure traffic the MITRE ATT&CK technique and Engage tags.
 */
import { randomUUID } from 'node:crypto';
import { clientFingerprint } from '../pipeline/identity.js';
import type { Exchange } from '../server/exchange.js';
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
const LURE_TAGS = ['honeytoken', 'llmjacking', 'mitre-engage:lures', 'mitre-engage:decoy-content', 'mitre-engage:monitor'] as const;

export function buildRequestEvent(ex: Exchange): GatewayEvent {
  const { req, res } = ex;
  const durationMs = performance.now() - ex.startedAt;
  const status = res.headersSent ? res.statusCode : 0;
  const verdict = ex.verdict;
  const lure = ex.key.class === 'lure';
  const model = ex.model ?? sniffModel(ex.bodyHead);
  const outcome = status === 0 ? 'unknown' : status < 400 ? 'success' : 'failure';
  return {
    '@timestamp': new Date(ex.startedWall).toISOString(),
    ecs: { version: '8.11.0' },
    event: {
      id: ex.id ?? randomUUID(),
      kind: lure || verdict?.action === 'block' ? 'alert' : 'event',
      dataset: 'honeygate.request',
      category: lure ? ['web', 'intrusion_detection'] : ['web'],
      type: verdict?.action === 'forward' || verdict?.action === 'deceive' ? ['access', 'allowed'] : ['access', 'denied'],
      action: verdict ? `${verdict.action}:${verdict.reason}` : 'unrouted',
      outcome,
      duration: Math.round(durationMs * 1e6),
      ...(verdict ? { reason: verdict.reason } : {}),
    },
    source: { ip: ex.ip, ...(ex.remotePort !== undefined ? { port: ex.remotePort } : {}) },
    http: {
      // the request was read before the handler ran: its size is what it declared
      request: { method: req.method ?? 'GET', ...(req.headers['content-length'] !== undefined ? { bytes: Number(req.headers['content-length']) || 0 } : {}) },
      response: { status_code: status, bytes: ex.socket.bytesWritten - ex.bytesWritten0 },
    },
    url: { path: ex.path.length > 2048 ? ex.path.slice(0, 2048) : ex.path },
    ...(req.headers['user-agent'] !== undefined ? { user_agent: { original: req.headers['user-agent'].slice(0, 512) } } : {}),
    ...(lure ? { threat: LURE_THREAT, tags: LURE_TAGS } : {}),
    honeygate: {
      ...(ex.surface ? { surface: ex.surface } : {}),
      key: ex.key,
      ...(model !== undefined ? { model } : {}),
      ...(ex.upstream !== undefined ? { upstream: ex.upstream } : {}),
      ...(ex.route !== undefined ? { route: ex.route } : {}),
      ...(verdict ? { verdict: { action: verdict.action, reason: verdict.reason } } : {}),
      client: ex.client ?? clientFingerprint(req.headers),
      overhead_ms: Math.round((durationMs - (ex.upstreamMs ?? 0)) * 1000) / 1000,
      ...(ex.upstreamMs !== undefined ? { upstream_ms: Math.round(ex.upstreamMs * 1000) / 1000 } : {}),
      ...(ex.stream !== undefined ? { stream: ex.stream } : {}),
      ...(ex.lure ? { lure: ex.lure } : {}),
      ...(ex.tool ? { tool: ex.tool } : {}),
    },
  };
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
