/**
 * Building events: a canary hit's and a system change's (a request's comes from its record,
 * record.ts: the ECS mapping, shared with the events worker). For lure traffic and canaries, the MITRE ATT&CK technique and
 * Engage tags.
 */
import { randomUUID } from 'node:crypto';
import { clientFingerprint } from '../core/identity.js';
import type { Exchange } from '../core/exchange.js';
import type { CanaryRecord } from '../store/types.js';
import type { ClientFingerprint, GatewayEvent } from './model.js';
import { clientId, headerNames } from './client-id.js';
import { redactRecord, redactSecrets } from './redact.js';
import { LURE_TAGS, LURE_THREAT } from './record.js';

function withClientId(ex: Exchange, fp: ClientFingerprint): ClientFingerprint {
  const ua = ex.req.headers['user-agent'];
  const id = clientId(headerNames(ex.req.rawHeaders, ex.req.httpVersionMajor), typeof ua === 'string' ? ua : undefined, fp);
  return id !== undefined ? { ...fp, id } : fp;
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
    url: { path: redactSecrets(ex.path.length > 2048 ? ex.path.slice(0, 2048) : ex.path) },
    ...(ex.req.headers['user-agent'] !== undefined ? { user_agent: { original: redactSecrets(ex.req.headers['user-agent'].slice(0, 512)) } } : {}),
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
      client: withClientId(ex, redactRecord(clientFingerprint(ex.req.headers))),
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
