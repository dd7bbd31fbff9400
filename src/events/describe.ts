/**
 * What an event means to a human and to a SIEM: one title, one signature id, one severity on the
 * two scales the sinks speak — RFC 5424 §6.2.1 severities (0 emergency … 7 debug) for syslog, and
 * ArcSight CEF severities (0 … 10) — and the alert triggers (lure, block, canary) webhooks act on.
 * Shared by syslog.ts and webhook.ts so both say the same thing about the same event.
 */
import { readFileSync } from 'node:fs';
import type { AlertTrigger } from './config.js';
import type { GatewayEvent } from './model.js';

export interface EventClass {
  /** stable id for SIEM rules: `canary`, `lure`, `block`, `reject`, `forward`, `deceive`, `system:<action>` */
  readonly signatureId: string;
  /** human title: `Canary used`, `Lure key used` … */
  readonly name: string;
  /** CEF 0–10 */
  readonly cefSeverity: number;
  /** RFC 5424 0–7 */
  readonly syslogSeverity: number;
}

/** The one rule set, most specific first. */
export function classify(event: GatewayEvent): EventClass {
  const h = event.honeygate;
  if (event.event.dataset === 'honeygate.canary') {
    return { signatureId: 'canary', name: 'Canary used', cefSeverity: 9, syslogSeverity: 2 };
  }
  if (event.event.dataset === 'honeygate.system') {
    const failure = event.event.outcome === 'failure';
    return {
      signatureId: `system:${event.event.action}`.slice(0, 100),
      name: failure ? 'honeygate component failure' : 'honeygate system change',
      cefSeverity: failure ? 6 : 2,
      syslogSeverity: failure ? 4 : 6,
    };
  }
  const action = h.verdict?.action;
  if (action === 'block') return { signatureId: 'block', name: 'Request blocked', cefSeverity: 7, syslogSeverity: 4 };
  if (h.key?.class === 'lure') return { signatureId: 'lure', name: 'Lure key used', cefSeverity: 7, syslogSeverity: 4 };
  if (action === 'reject') return { signatureId: 'reject', name: 'Request rejected', cefSeverity: 4, syslogSeverity: 5 };
  if (action === 'deceive') return { signatureId: 'deceive', name: 'Request deceived', cefSeverity: 5, syslogSeverity: 5 };
  return { signatureId: action ?? event.event.action.slice(0, 100), name: 'Request forwarded', cefSeverity: 1, syslogSeverity: 6 };
}

/** Which alert triggers this event fires (empty: no alert). */
export function alertTriggers(event: GatewayEvent): AlertTrigger[] {
  const out: AlertTrigger[] = [];
  if (event.honeygate.key?.class === 'lure') out.push('lure');
  if (event.honeygate.verdict?.action === 'block') out.push('block');
  if (event.event.dataset === 'honeygate.canary') out.push('canary');
  return out;
}

/** C0/C1 controls and DEL become U+FFFD: a log line or terminal must not be steered by event text. */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '\uFFFD');
}

/** `printable` and capped at `max` characters (an ellipsis marks the cut). */
export function clip(text: string, max: number): string {
  const clean = printable(text);
  return clean.length > max ? `${clean.slice(0, Math.max(0, max - 1))}…` : clean;
}

/** One line of key=value facts, for syslog MSG and chat alerts. */
export function summary(event: GatewayEvent): string {
  const h = event.honeygate;
  const parts: string[] = [`${classify(event).name}:`];
  const add = (key: string, value: string | number | undefined): void => {
    if (value !== undefined && value !== '') parts.push(`${key}=${clip(String(value), 128)}`);
  };
  add('src', event.source?.ip);
  add('key', h.key?.class);
  add('campaign', h.key?.campaign);
  add('placement', h.key?.placement);
  add('fingerprint', h.key?.fingerprint);
  add('model', h.model);
  if (h.verdict !== undefined) add('verdict', `${h.verdict.action}/${h.verdict.reason}`);
  add('status', event.http?.response.status_code);
  if (event.http !== undefined && event.url !== undefined) add('request', `${event.http.request.method} ${event.url.path}`);
  add('client', h.client?.name);
  add('canary', h.canary?.token);
  add('component', h.system?.component);
  add('detail', h.system?.detail);
  add('id', event.event.id);
  return parts.join(' ');
}

let version: string | undefined;
/** honeygate's version from package.json (src/ and dist/ are both two folders below it). */
export function productVersion(): string {
  if (version === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
      version = typeof pkg.version === 'string' ? pkg.version : '0.0.0';
    } catch {
      version = '0.0.0';
    }
  }
  return version;
}
