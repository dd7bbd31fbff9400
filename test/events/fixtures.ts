/** Valid GatewayEvent objects for sink tests, varied by a few knobs. */
import { randomUUID } from 'node:crypto';
import type { Dataset, GatewayEvent, KeyClass, SurfaceName, VerdictAction } from '../../src/events/model.js';

export interface EventKnobs {
  id?: string;
  time?: number | string;
  dataset?: Dataset;
  ip?: string;
  keyClass?: KeyClass;
  fingerprint?: string;
  campaign?: string;
  placement?: string;
  model?: string;
  surface?: SurfaceName;
  action?: VerdictAction;
  reason?: string;
  status?: number;
  userAgent?: string;
  path?: string;
  prompt?: string;
  toolUser?: string;
  toolConversation?: string;
  clientId?: string;
}

let counter = 0;

export function makeEvent(k: EventKnobs = {}): GatewayEvent {
  counter++;
  const dataset = k.dataset ?? 'honeygate.request';
  const time = k.time === undefined ? Date.now() : k.time;
  const timestamp = typeof time === 'number' ? new Date(time).toISOString() : time;
  const keyClass = k.keyClass ?? 'valid';
  const action = k.action ?? (keyClass === 'lure' ? 'deceive' : 'forward');
  const status = k.status ?? (action === 'block' ? 403 : 200);
  const base = {
    '@timestamp': timestamp,
    ecs: { version: '8.11.0' as const },
    event: {
      id: k.id ?? randomUUID(),
      kind: keyClass === 'lure' || dataset === 'honeygate.canary' ? ('alert' as const) : ('event' as const),
      dataset,
      category: ['web'],
      type: ['access'],
      action: dataset === 'honeygate.canary' ? 'canary-hit' : action,
      outcome: status < 400 ? ('success' as const) : ('failure' as const),
      duration: 1_500_000,
    },
    source: { ip: k.ip ?? '203.0.113.9', port: 40000 + (counter % 20000) },
    http: { request: { method: 'POST', bytes: 120 }, response: { status_code: status, bytes: 640 } },
    url: { path: k.path ?? '/v1/chat/completions' },
    user_agent: { original: k.userAgent ?? 'OpenAI/Python 1.40.0' },
  };
  const honeygate: GatewayEvent['honeygate'] = {
    surface: k.surface ?? 'openai',
    key: {
      class: keyClass,
      ...(keyClass === 'missing' ? {} : { fingerprint: k.fingerprint ?? 'sha256:0123456789abcdef', mask: 'sk-...abcd' }),
      ...(k.campaign !== undefined ? { campaign: k.campaign } : {}),
      ...(k.placement !== undefined ? { placement: k.placement } : {}),
    },
    model: k.model ?? 'gpt-4o-mini',
    verdict: { action, reason: k.reason ?? (keyClass === 'lure' ? 'lure_key' : 'valid_key') },
    client: { name: 'openai-python', version: '1.40.0', ...(k.clientId !== undefined ? { id: k.clientId } : {}) },
    overhead_ms: 1,
    ...(k.prompt !== undefined ? { lure: { count: 1, max: 25, prompt: k.prompt } } : {}),
    ...(k.toolUser !== undefined || k.toolConversation !== undefined
      ? {
          tool: {
            ...(k.toolUser !== undefined ? { user: k.toolUser } : {}),
            ...(k.toolConversation !== undefined ? { conversation: k.toolConversation } : {}),
          },
        }
      : {}),
    ...(dataset === 'honeygate.canary'
      ? { canary: { token: 'cnry_abc123', kind: 'url', minted_by: 'evt-1', minted_for_ip: '198.51.100.7', via: 'http' as const } }
      : {}),
  };
  return { ...base, honeygate };
}

/** A tiny bounded wait: poll `check` every 10 ms for at most `ms`. */
export async function waitFor(check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`condition not met within ${ms} ms`);
}
