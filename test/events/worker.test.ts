/**
 * The events worker end to end: a real gateway on 127.0.0.1:0 whose bus feeds only the worker (no
 * whole-event listener, so the request thread hands over compact records as in `honeygate serve`),
 * the default sinks (JSONL + SQLite) or PostgreSQL on the worker, a real webhook receiver.
 *
 * The worker runs the compiled entry (dist/events/worker/thread.js): `npm test` builds first; run
 * `npx tsc -p tsconfig.json` before running this file alone.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { EventBus } from '../../src/events/bus.js';
import type { GatewayEvent } from '../../src/events/model.js';
import type { RequestRecord } from '../../src/events/record.js';
import { openEventStore } from '../../src/events/store/index.js';
import { startEventsWorker, type EventsWorkerHandle } from '../../src/events/worker/client.js';
import { startGateway, type Gateway } from '../../src/gateway/gateway.js';
import { configFrom } from '../helpers/gateway.js';
import { waitFor } from './fixtures.js';
import { dropSchema, PG_URL, uniqueSchema } from './pg.js';
import { webhookReceiver } from './receivers.js';

const LURE = 'sk-proj-' + 'L'.repeat(40) + 'T3BlbkFJ' + 'l'.repeat(40);
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

interface Setup {
  gateway: Gateway;
  events: EventsWorkerHandle;
  dir: string;
  bus: EventBus;
}

async function setup(eventsConfig: Record<string, unknown>, extra: Record<string, unknown> = {}, options: Parameters<typeof startEventsWorker>[2] = {}): Promise<Setup> {
  const dir = await mkdtemp(join(tmpdir(), 'hg-worker-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const config = await configFrom({
    upstreams: { decoy: { type: 'decoy' } },
    keys: [{ name: 'lure-1', key: LURE, class: 'lure', campaign: 'c1', realistic_timing: false }],
    ...extra,
    events: { dir, ...eventsConfig },
  });
  const bus = new EventBus();
  const events = await startEventsWorker(config.events, bus, options);
  cleanups.push(() => events.close());
  await events.ready();
  const gateway = await startGateway(config, { bus, port: 0, host: '127.0.0.1' });
  cleanups.push(() => gateway.close());
  return { gateway, events, dir, bus };
}

/** `n` requests with an invalid key (the reject path), `concurrency` at a time; returns the statuses. */
async function rejects(url: string, n: number, concurrency = 8): Promise<number[]> {
  const statuses: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        next++;
        const res = await request(`${url}/v1/models`, { headers: { authorization: 'Bearer sk-invalid-0123456789' } });
        await res.body.dump();
        statuses.push(res.statusCode);
      }
    }),
  );
  return statuses;
}

async function jsonl(dir: string): Promise<GatewayEvent[]> {
  const text = await readFile(join(dir, 'events.jsonl'), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as GatewayEvent);
}

function workerStats(handle: EventsWorkerHandle): { dropped: number; written: number; failed: number } {
  const own = handle.stats().find((s) => s.name === 'events-worker');
  if (own === undefined) throw new Error('no events-worker stats');
  return own;
}

describe('events worker', () => {
  it('loses no event at a load it sustains: JSONL lines and SQLite rows equal answered requests', async () => {
    const { gateway, events, dir } = await setup({});
    const statuses = await rejects(gateway.url, 600);
    expect(statuses.filter((s) => s === 401)).toHaveLength(600);
    await events.flush();
    const lines = await jsonl(dir);
    expect(lines.filter((e) => e.event.dataset === 'honeygate.request')).toHaveLength(600);
    expect(lines[0]).toMatchObject({ event: { action: 'reject:invalid_key', outcome: 'failure' }, http: { response: { status_code: 401 } }, honeygate: { surface: 'openai', key: { class: 'invalid' } } });
    // built on the worker from the record: the client id (from the header names the record carries)
    expect(lines[0]?.honeygate.client?.id).toMatch(/^cfp_[0-9a-f]{16}$/);
    expect(new Set(lines.map((e) => e.event.id)).size).toBe(600);
    const store = events.store;
    if (store === undefined) throw new Error('no store');
    expect((await store.stats({ dataset: 'honeygate.request' })).total).toBe(600);
    expect(workerStats(events)).toMatchObject({ dropped: 0, failed: 0, written: 600 });
    const sinkStats = events.stats().filter((s) => s.name !== 'events-worker');
    expect(sinkStats.map((s) => s.name).sort()).toEqual(['jsonl', 'store']);
    for (const s of sinkStats) expect(s).toMatchObject({ dropped: 0, failed: 0, written: 600 });
  });

  it('drops above its capacity and counts every drop: written + dropped = offered', async () => {
    const { events, dir, bus } = await setup({ store: { driver: 'none' } }, {}, { capacity: 10 });
    // 100 requests ending in one turn of the event loop: 10 fit in flight, 90 are dropped
    const base: RequestRecord = {
      phase: 0, alerted: false, id: undefined, wall: Date.now(), durationMs: 1, status: 401, method: 'GET', contentLength: undefined,
      responseBytes: 300, ip: '203.0.113.7', port: 1234, path: '/v1/models', ua: 'curl/8.5.0', headerNames: undefined, surface: 'openai', key: { class: 'invalid' },
      verdictAction: 'reject', verdictReason: 'invalid_key', model: undefined, bodyHead: undefined, upstream: undefined, route: undefined,
      upstreamMs: -1, stream: 0, client: undefined, stainless: undefined, lure: undefined, tool: undefined, cut: undefined,
    };
    for (let i = 0; i < 100; i++) bus.publishRecord({ ...base, path: `/v1/models/${i}` });
    await events.flush();
    expect(workerStats(events)).toMatchObject({ dropped: 90, written: 10 });
    const lines = await jsonl(dir);
    expect(lines.map((e) => e.url?.path)).toEqual(Array.from({ length: 10 }, (_, i) => `/v1/models/${i}`));
    // the next turn has room again
    bus.publishRecord({ ...base, path: '/later' });
    await events.flush();
    expect(workerStats(events)).toMatchObject({ dropped: 90, written: 11 });
    expect((await jsonl(dir)).at(-1)?.url?.path).toBe('/later');
  });

  it('restarts a worker that dies, reports it, and the gateway keeps serving', async () => {
    const crashes: string[] = [];
    const { gateway, events, dir } = await setup({ store: { driver: 'none' } }, {}, { onCrash: (m) => crashes.push(m) });
    expect(await rejects(gateway.url, 20)).toHaveLength(20);
    await events.flush();
    const first = events.worker;
    await first?.terminate();
    // answered while no worker runs (or a new one starts)
    expect((await rejects(gateway.url, 20)).every((s) => s === 401)).toBe(true);
    await waitFor(() => events.restarts === 1 && events.worker !== undefined && events.worker !== first, 5000);
    expect(crashes).toHaveLength(1);
    expect(crashes[0]).toMatch(/events worker stopped/);
    expect((await rejects(gateway.url, 20)).every((s) => s === 401)).toBe(true);
    await waitFor(async () => {
      await events.flush();
      return (await jsonl(dir)).some((e) => e.event.action === 'events:worker_restarted');
    }, 5000);
    const lines = await jsonl(dir);
    const requests = lines.filter((e) => e.event.dataset === 'honeygate.request').length;
    const { failed, dropped } = workerStats(events);
    // every request is either written or counted: lost with the dead worker (failed) or dropped
    expect(requests + failed + dropped).toBe(60);
    expect(requests).toBeGreaterThanOrEqual(40);
  });

  it('stop drains: every event taken before close() is written', async () => {
    const { gateway, events, dir } = await setup({});
    expect(await rejects(gateway.url, 300)).toHaveLength(300);
    const store = await openEventStore({ driver: 'sqlite', path: join(dir, 'events.db'), readonly: true });
    cleanups.push(() => store.close());
    await gateway.close();
    await events.close();
    expect((await jsonl(dir)).filter((e) => e.event.dataset === 'honeygate.request')).toHaveLength(300);
    expect((await store.stats()).total).toBe(300);
  });

  it('writes to PostgreSQL from the worker in batches', async () => {
    const schema = uniqueSchema('hg_worker');
    cleanups.push(() => dropSchema(schema));
    const { gateway, events } = await setup({ jsonl: { enabled: false }, store: { driver: 'postgres', url: PG_URL, schema, batch_size: 50, flush_interval: '20ms' } });
    expect(await rejects(gateway.url, 400)).toHaveLength(400);
    await events.flush();
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: string }>(`select count(*) as n from "${schema}".honeygate_events`);
      expect(Number(rows[0]?.n)).toBe(400);
    } finally {
      await client.end();
    }
    expect(events.stats().find((s) => s.name === 'store')).toMatchObject({ kind: 'store:postgres', written: 400, failed: 0, dropped: 0 });
  });

  it('sends a lure alert within 100 ms of the request, before a 700 ms tarpit ends, and only once', async () => {
    const rx = await webhookReceiver();
    cleanups.push(() => rx.close());
    const { gateway, events, dir } = await setup(
      { store: { driver: 'none' }, webhooks: [{ kind: 'json', url: rx.url, throttle: 0 }] },
      { keys: [{ name: 'lure-1', key: LURE, class: 'lure', campaign: 'c1', realistic_timing: false, response_delay: '700ms' }] },
    );
    const lure = async (content: string): Promise<{ sent: number; answered: number; status: number }> => {
      const sent = Date.now();
      const res = await request(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${LURE}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }] }),
      });
      await res.body.dump();
      return { sent, answered: Date.now(), status: res.statusCode };
    };
    // the first alert of a fresh worker (code not yet compiled, first connection to the receiver):
    // it still leaves long before the answer
    const first = await lure('first');
    expect(first.status).toBe(200);
    expect(first.answered - first.sent).toBeGreaterThanOrEqual(700);
    expect(rx.requests).toHaveLength(1);
    expect((rx.requests[0]?.at ?? Infinity) - first.sent).toBeLessThan(700);
    // once the path has run (compiled by V8's tiers: a second warm-up), within 100 ms of the request
    await lure('warm');
    const second = await lure('hello');
    expect(second.answered - second.sent).toBeGreaterThanOrEqual(700);
    expect(rx.requests).toHaveLength(3);
    expect((rx.requests[2]?.at ?? Infinity) - second.sent).toBeLessThan(100);
    const alert = JSON.parse(rx.requests[2]?.raw.toString('utf8') ?? '{}') as { triggers: string[]; event: GatewayEvent };
    expect(alert.triggers).toEqual(['lure']);
    expect(alert.event.honeygate).toMatchObject({ key: { class: 'lure', campaign: 'c1' }, verdict: { action: 'deceive' } });
    await events.flush();
    // the stored event is the complete one (status, prompt), with the alert's id; no second alert
    const stored = (await jsonl(dir)).filter((e) => e.event.dataset === 'honeygate.request');
    expect(stored).toHaveLength(3);
    expect(stored[2]?.event.id).toBe(alert.event.event.id);
    expect(stored[2]).toMatchObject({ http: { response: { status_code: 200 } }, honeygate: { lure: { prompt: 'hello' } } });
    await new Promise((r) => setTimeout(r, 100));
    expect(rx.requests).toHaveLength(3);
  });
});
