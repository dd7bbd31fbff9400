/**
 * The live feed (Server-Sent Events) and failure answers: only alerts and canary hits are streamed,
 * as exact frames; the number of streams is capped; closing the admin listener ends them. Without
 * an event store, with a failing event store and with an unavailable state store the API answers
 * 503 with a fixed message (never the internal error) and counts the failure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_LIVE_CLIENTS } from '../../src/admin/live.js';
import { startAdmin } from '../../src/admin/server.js';
import type { EventStore } from '../../src/events/store/index.js';
import { createMemoryStore, StoreUnavailableError, storeConfigSchema } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { startTestGateway } from '../helpers/gateway.js';
import { auth, chat, LURE, startHarness, TOKEN, VALID, type Harness } from './harness.js';

/** Read SSE frames from a fetch response body until `count` alert frames arrived (bounded). */
async function frames(res: Response, count: number, timeoutMs = 5000): Promise<{ raw: string; alerts: { id: string; data: unknown }[] }> {
  const reader = res.body?.getReader();
  if (reader === undefined) throw new Error('no body');
  const decoder = new TextDecoder();
  let raw = '';
  const deadline = Date.now() + timeoutMs;
  const alerts = (): { id: string; data: unknown }[] =>
    [...raw.matchAll(/id: ([^\n]+)\nevent: alert\ndata: ([^\n]+)\n\n/g)].map((m) => ({ id: m[1] ?? '', data: JSON.parse(m[2] ?? 'null') as unknown }));
  while (alerts().length < count && Date.now() < deadline) {
    const chunk = await Promise.race([reader.read(), new Promise<null>((r) => setTimeout(() => r(null), Math.max(1, deadline - Date.now())))]);
    if (chunk === null || chunk.done === true) break;
    raw += decoder.decode(chunk.value, { stream: true });
  }
  await reader.cancel();
  return { raw, alerts: alerts() };
}

describe('live feed', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('streams lure requests and blocks, not valid or rejected traffic, as exact SSE frames', async () => {
    const res = await fetch(`${h.adminUrl}/api/v1/live`, { headers: auth() });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const reading = frames(res, 2);
    await new Promise((r) => setTimeout(r, 50));
    expect((await chat(h.url, VALID, '192.0.2.5')).status).toBe(200);
    expect((await chat(h.url, 'sk-nope-000000000000000000000', '192.0.2.6')).status).toBe(401);
    expect((await chat(h.url, LURE, '203.0.113.5')).status).toBe(200);
    await (await fetch(`${h.adminUrl}/api/v1/blocks`, { method: 'POST', headers: { ...auth(), 'content-type': 'application/json' }, body: '{"ip":"192.0.2.5","duration":"1m"}' })).text();
    expect((await chat(h.url, VALID, '192.0.2.5')).status).toBe(429);
    const { raw, alerts } = await reading;
    expect(raw.startsWith('retry: 5000\n: connected\n\n')).toBe(true);
    expect(alerts).toHaveLength(2);
    const [lure, block] = alerts.map((a) => a.data as { event: { id: string }; source: { ip: string }; honeygate: { key: { class: string }; verdict: { action: string } } });
    expect(lure?.source.ip).toBe('203.0.113.5');
    expect(lure?.honeygate.key.class).toBe('lure');
    expect(alerts[0]?.id).toBe(lure?.event.id);
    expect(block?.honeygate.verdict.action).toBe('block');
    expect(raw).not.toContain(LURE);
  });

  it('a client that connects and says nothing does not hold up close()', async () => {
    const t = await startHarness();
    const { connect } = await import('node:net');
    const u = new URL(t.adminUrl);
    const silent = connect(Number(u.port), u.hostname);
    await new Promise<void>((r) => silent.once('connect', () => r()));
    const slow = connect(Number(u.port), u.hostname);
    await new Promise<void>((r) => slow.once('connect', () => r()));
    slow.write(`GET /api/v1/blocks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\n`); // headers never end
    const started = Date.now();
    await t.admin.close();
    expect(Date.now() - started).toBeLessThan(2000);
    silent.destroy();
    slow.destroy();
    await t.close();
  });

  it(`caps streams at ${MAX_LIVE_CLIENTS}, and closing the listener ends them`, async () => {
    const t = await startHarness();
    const open: Response[] = [];
    try {
      for (let i = 0; i < MAX_LIVE_CLIENTS; i++) {
        const r = await fetch(`${t.adminUrl}/api/v1/live`, { headers: auth() });
        expect(r.status).toBe(200);
        open.push(r);
      }
      const extra = await fetch(`${t.adminUrl}/api/v1/live`, { headers: auth() });
      expect(extra.status).toBe(503);
      expect(await extra.json()).toEqual({ error: { code: 'too_many_streams', message: 'too many live feed connections' } });
      const metrics = await (await fetch(`${t.adminUrl}/metrics`, { headers: auth() })).text();
      expect(metrics).toMatch(new RegExp(`^honeygate_dashboard_live_clients ${MAX_LIVE_CLIENTS}$`, 'm'));
      const ended = Promise.all(open.map(async (r) => r.text()));
      const started = Date.now();
      await t.admin.close();
      await ended;
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      await t.close();
    }
  });
});

describe('failures answer 503 with a fixed text', () => {
  it('no event store: event routes 503 no_event_store; keys still listed, hits null', async () => {
    const gw = await startTestGateway({ admin: { token: TOKEN, listen: { port: 0 } }, keys: [{ name: 'k', key: VALID, class: 'valid' }] });
    const admin = await startAdmin({ gateway: gw.gateway, port: 0, processMetrics: false });
    try {
      for (const path of ['/api/v1/events', '/api/v1/stats', '/api/v1/stats/ips', '/api/v1/stats/timeline', '/api/v1/stats/clients']) {
        const r = await fetch(`${admin?.url ?? ''}${path}`, { headers: auth() });
        expect(r.status, path).toBe(503);
        expect(((await r.json()) as { error: { code: string } }).error.code).toBe('no_event_store');
      }
      const keys = (await (await fetch(`${admin?.url ?? ''}/api/v1/keys`, { headers: auth() })).json()) as { keys: { name: string; hits: unknown }[] };
      expect(keys.keys).toEqual([expect.objectContaining({ name: 'k', hits: null })]);
      const health = (await (await fetch(`${admin?.url ?? ''}/api/v1/health`, { headers: auth() })).json()) as { status: string; event_store: unknown };
      expect(health).toMatchObject({ status: 'ok', event_store: null });
    } finally {
      await admin?.close();
      await gw.close();
    }
  });

  it('a failing event store: 503 event_store_error, the cause only in the log, counted', async () => {
    const gw = await startTestGateway({ admin: { token: TOKEN, listen: { port: 0 } } });
    const secretCause = 'SQLITE_CORRUPT: /var/lib/secret/path';
    const failing = new Proxy({} as EventStore, {
      get: (_t, prop) => (prop === 'driver' ? 'sqlite' : () => Promise.reject(new Error(secretCause))),
    });
    const lines: string[] = [];
    const admin = await startAdmin({ gateway: gw.gateway, sinks: { stats: () => [], store: failing }, port: 0, processMetrics: false, log: (l) => lines.push(l) });
    try {
      const r = await fetch(`${admin?.url ?? ''}/api/v1/events`, { headers: auth() });
      expect(r.status).toBe(503);
      const text = await r.text();
      expect(JSON.parse(text)).toEqual({ error: { code: 'event_store_error', message: 'the event store could not answer' } });
      expect(text).not.toContain('SQLITE');
      expect(lines.join('\n')).toContain(secretCause);
      const health = (await (await fetch(`${admin?.url ?? ''}/api/v1/health`, { headers: auth() })).json()) as { status: string };
      expect(health.status).toBe('degraded');
      const metrics = await (await fetch(`${admin?.url ?? ''}/metrics`, { headers: auth() })).text();
      expect(metrics).toMatch(/^honeygate_event_store_query_errors_total 1$/m);
    } finally {
      await admin?.close();
      await gw.close();
    }
  });

  it('an unavailable state store: blocks answer 503 store_unavailable; store_up reads 0', async () => {
    const memory = createMemoryStore(storeConfigSchema.parse({}));
    const down: Store = {
      backend: 'redis',
      admit: () => Promise.reject(new StoreUnavailableError('test')),
      block: () => Promise.reject(new StoreUnavailableError('test')),
      unblock: () => Promise.reject(new StoreUnavailableError('test')),
      listBlocks: () => Promise.reject(new StoreUnavailableError('test')),
      putCanary: (r, ttl) => memory.putCanary(r, ttl),
      getCanary: (t) => memory.getCanary(t),
      health: () => ({ backend: 'redis', ok: false, degraded: true, detail: 'connection refused' }),
      close: () => memory.close(),
    };
    const gw = await startTestGateway({ admin: { token: TOKEN, listen: { port: 0 } } }, { store: down });
    const admin = await startAdmin({ gateway: gw.gateway, port: 0, processMetrics: false });
    try {
      const calls: [string, string, string?][] = [
        ['GET', '/api/v1/blocks'],
        ['POST', '/api/v1/blocks', '{"ip":"192.0.2.1","duration":"1h"}'],
        ['DELETE', '/api/v1/blocks/ip:192.0.2.1'],
        ['GET', '/api/v1/blocklist.txt'],
      ];
      for (const [method, path, body] of calls) {
        const r = await fetch(`${admin?.url ?? ''}${path}`, { method, headers: { ...auth(), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body } : {}) });
        expect(r.status, path).toBe(503);
        expect(await r.json()).toEqual({ error: { code: 'store_unavailable', message: 'the state store is unavailable' } });
      }
      const metrics = await (await fetch(`${admin?.url ?? ''}/metrics`, { headers: auth() })).text();
      expect(metrics).toMatch(/^honeygate_store_up\{backend="redis"\} 0$/m);
      expect(metrics).toMatch(/^honeygate_store_degraded\{backend="redis"\} 1$/m);
    } finally {
      await admin?.close();
      await gw.close();
    }
  });
});
