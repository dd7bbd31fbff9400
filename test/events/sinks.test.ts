import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventBus } from '../../src/events/bus.js';
import { eventsConfigSchema, type EventsConfigInput } from '../../src/events/config.js';
import type { GatewayEvent } from '../../src/events/model.js';
import { createSinks, type SinkMetric, type SinkStats } from '../../src/events/sinks/index.js';
import { EventStoreError, openEventStore } from '../../src/events/store/index.js';
import { makeEvent, waitFor } from './fixtures.js';
import { dropSchema, PG_URL, uniqueSchema } from './pg.js';
import { webhookReceiver } from './receivers.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hg-sinks-'));
});
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await rm(dir, { recursive: true, force: true });
});

function config(input: Omit<EventsConfigInput, 'dir'> = {}) {
  return eventsConfigSchema.parse({ dir, ...input });
}

/** A port that refuses connections: bound, then closed. */
async function refusedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

async function jsonlLines(path: string): Promise<GatewayEvent[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as GatewayEvent);
}

const byName = (stats: SinkStats[], name: string): SinkStats | undefined => stats.find((s) => s.name === name);

describe('createSinks', () => {
  it('failing and hanging sinks leave publish(), the JSONL file and the store untouched', async () => {
    const hanging = await webhookReceiver(() => 'hang');
    cleanups.push(() => hanging.close());
    const refused = await refusedPort();
    const bus = new EventBus();
    const sinks = await createSinks(
      config({
        syslog: [{ host: '127.0.0.1', port: refused, protocol: 'tcp' }],
        webhooks: [
          { kind: 'json', url: `http://127.0.0.1:${refused}/hook`, throttle: 0, retries: 2, backoff: '50ms', disable_after: 1000 },
          { kind: 'slack', url: hanging.url, throttle: 0, timeout: '10s', retries: 0 },
        ],
      }),
      bus,
      { closeTimeoutMs: 3000 },
    );
    const n = 5000;
    const times: number[] = [];
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const e = makeEvent({ keyClass: i % 3 === 0 ? 'lure' : 'valid', ip: `10.0.${i % 250}.${i % 200}` });
      ids.push(e.event.id);
      const t0 = performance.now();
      bus.publish(e);
      times.push(performance.now() - t0);
      if (i % 500 === 0) await new Promise((r) => setImmediate(r)); // let the workers run meanwhile
    }
    times.sort((a, b) => a - b);
    const p99 = times[Math.floor(n * 0.99)] ?? Infinity;
    expect(p99).toBeLessThan(1); // ms: enqueue only
    expect(times.reduce((a, b) => a + b, 0)).toBeLessThan(500);
    // the healthy sinks get everything while the webhooks still hang or retry
    const store = sinks.store;
    if (store === undefined) throw new Error('no store');
    await waitFor(async () => (await store.stats()).total === n, 10_000);
    await waitFor(async () => (await jsonlLines(join(dir, 'events.jsonl'))).length === n, 10_000);
    expect(hanging.requests.length).toBeGreaterThanOrEqual(1);
    expect(byName(sinks.stats(), 'webhook.1')?.written).toBe(0);
    const stored = await store.queryEvents({}, { limit: 10_000, order: 'asc' });
    expect(new Set(stored.map((e) => e.event.id))).toEqual(new Set(ids));
    const started = Date.now();
    await sinks.close();
    expect(Date.now() - started).toBeLessThan(4500);
    const stats = sinks.stats();
    expect(byName(stats, 'jsonl')).toMatchObject({ written: n, failed: 0, dropped: 0 });
    expect(byName(stats, 'store')).toMatchObject({ written: n, failed: 0, dropped: 0 });
    expect(byName(stats, 'syslog.0')?.written).toBe(0);
    expect(byName(stats, 'syslog.0')?.failed).toBe(n);
    const lure = Math.ceil(n / 3);
    const hook0 = byName(stats, 'webhook.0');
    expect((hook0?.failed ?? 0) + (hook0?.dropped ?? 0) + (hook0?.queued ?? 0)).toBe(lure);
    expect((await jsonlLines(join(dir, 'events.jsonl'))).map((e) => e.event.id)).toEqual(ids);
  });

  it('close() flushes everything: published = stored = written, SQLite and JSONL', async () => {
    const bus = new EventBus();
    const sinks = await createSinks(config({ store: { batch_size: 100, flush_interval: '10s' } }), bus);
    for (let i = 0; i < 1234; i++) bus.publish(makeEvent());
    await sinks.close(); // flush_interval is 10 s: only close() can have written the last partial batch
    const store = await openEventStore({ driver: 'sqlite', path: join(dir, 'events.db'), readonly: true });
    expect((await store.stats()).total).toBe(1234);
    await store.close();
    expect(await jsonlLines(join(dir, 'events.jsonl'))).toHaveLength(1234);
    await sinks.close(); // idempotent
  });

  it('close() flushes everything into PostgreSQL', async () => {
    const schema = uniqueSchema();
    cleanups.push(() => dropSchema(schema));
    const bus = new EventBus();
    const sinks = await createSinks(config({ jsonl: { enabled: false }, store: { driver: 'postgres', url: PG_URL, schema, flush_interval: '10s' } }), bus);
    expect(sinks.store?.driver).toBe('postgres');
    for (let i = 0; i < 777; i++) bus.publish(makeEvent());
    await sinks.close();
    const store = await openEventStore({ driver: 'postgres', url: PG_URL, schema, readonly: true });
    expect((await store.stats()).total).toBe(777);
    await store.close();
    expect(sinks.stats().map((s) => s.name)).toEqual(['store']);
  });

  it('counts drops when a queue overflows, per sink, and reports them as metrics', async () => {
    const metrics: SinkMetric[] = [];
    const bus = new EventBus();
    const sinks = await createSinks(config({ queue_size: 100, jsonl: { queue_size: 50 } }), bus, {
      onMetric: (m) => {
        metrics.push(m);
        if (metrics.length === 3) throw new Error('a broken metrics handler');
      },
    });
    for (let i = 0; i < 1000; i++) bus.publish(makeEvent()); // one synchronous burst
    expect(byName(sinks.stats(), 'jsonl')).toMatchObject({ queued: 50, dropped: 950 });
    expect(byName(sinks.stats(), 'store')).toMatchObject({ queued: 100, dropped: 900 });
    await sinks.close();
    expect(byName(sinks.stats(), 'jsonl')).toMatchObject({ queued: 0, dropped: 950, written: 50 });
    expect(byName(sinks.stats(), 'store')).toMatchObject({ queued: 0, dropped: 900, written: 100 });
    const sum = (sink: string, name: string): number => metrics.filter((m) => m.sink === sink && m.name === name).reduce((a, m) => a + m.value, 0);
    expect(sum('jsonl', 'dropped')).toBe(950);
    expect(sum('store', 'dropped')).toBe(900);
    expect(sum('store', 'written')).toBe(100);
  });

  it('records a webhook auto-disable as a honeygate.system event in the JSONL file and the store', async () => {
    const rx = await webhookReceiver(() => 500);
    cleanups.push(() => rx.close());
    const bus = new EventBus();
    const sinks = await createSinks(
      config({ webhooks: [{ kind: 'discord', url: rx.url, throttle: 0, retries: 0, disable_after: 2 }] }),
      bus,
    );
    for (let i = 0; i < 5; i++) bus.publish(makeEvent({ keyClass: 'lure' }));
    await waitFor(() => byName(sinks.stats(), 'webhook.0')?.disabled === true);
    const store = sinks.store;
    await waitFor(async () => ((await store?.queryEvents({ dataset: 'honeygate.system' })) ?? []).length === 1);
    await sinks.close();
    const system = (await jsonlLines(join(dir, 'events.jsonl'))).filter((e) => e.event.dataset === 'honeygate.system');
    expect(system).toHaveLength(1);
    expect(system[0]?.honeygate.system?.component).toBe('events.webhook.0');
    expect(rx.requests).toHaveLength(2);
  });

  it('rejects a store it cannot open and leaves nothing running', async () => {
    const bus = new EventBus();
    const port = await refusedPort();
    await expect(createSinks(config({ store: { driver: 'postgres', url: `postgres://x:pw@127.0.0.1:${port}/db` } }), bus)).rejects.toThrow(EventStoreError);
    expect(bus.hasSubscribers).toBe(false);
    const none = await createSinks(config({ store: { driver: 'none' }, jsonl: { enabled: false } }), bus);
    expect(none.store).toBeUndefined();
    expect(none.stats()).toEqual([]);
    await none.close();
  });

  it('measures: enqueueing costs far less than serializing on the publisher stack', async () => {
    const bus = new EventBus();
    const sinks = await createSinks(config({ queue_size: 200_000 }), bus);
    const events = Array.from({ length: 20_000 }, () => makeEvent({ keyClass: 'lure', prompt: 'p'.repeat(500) }));
    const t0 = performance.now();
    for (const e of events) bus.publish(e);
    const enqueue = (performance.now() - t0) / events.length;
    const t1 = performance.now();
    let bytes = 0;
    for (const e of events) bytes += JSON.stringify(e).length;
    const stringify = (performance.now() - t1) / events.length;
    console.log(`publish to jsonl+store: ${(enqueue * 1000).toFixed(2)} µs/event; JSON.stringify alone: ${(stringify * 1000).toFixed(2)} µs/event (${bytes} bytes)`);
    expect(enqueue).toBeLessThan(stringify);
    expect(enqueue).toBeLessThan(0.05);
    await sinks.close();
  });
});
