import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite } from '../../src/events/store/sqlite.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeSinkConfigSchema } from '../../src/events/config.js';
import type { GatewayEvent } from '../../src/events/model.js';
import { createStoreSink } from '../../src/events/sinks/store.js';
import { eventRow, EventStoreError, insertRowsOf, openEventStore, type EventStore, type OpenStoreOptions } from '../../src/events/store/index.js';
import type { EventRow } from '../../src/events/store/schema.js';
import { makeEvent, waitFor } from './fixtures.js';
import { dropSchema, PG_URL, uniqueSchema } from './pg.js';

const T0 = Date.parse('2024-05-01T00:00:00.000Z');
const MIN = 60_000;
const HOUR = 3_600_000;
const HOSTILE = `'; drop table honeygate_events; -- "\\ \u0000 ü 🐝`;

/** A fixed data set whose every count the tests below know. */
function dataset(): GatewayEvent[] {
  const out: GatewayEvent[] = [];
  // 203.0.113.1: 5 lure uses of github-leak (3 at repo/.env, 2 at README), hour 0
  for (let i = 0; i < 5; i++) {
    out.push(makeEvent({ id: `a-${i}`, time: T0 + i * MIN, ip: '203.0.113.1', keyClass: 'lure', campaign: 'github-leak', placement: i < 3 ? 'repo/.env' : 'README', fingerprint: 'sha256:aaaaaaaaaaaaaaaa' }));
  }
  // 203.0.113.2: 2 lure uses of ci-secrets, hour 2, then 3 blocked requests
  for (let i = 0; i < 2; i++) {
    out.push(makeEvent({ id: `b-${i}`, time: T0 + 2 * HOUR + i * MIN, ip: '203.0.113.2', keyClass: 'lure', campaign: 'ci-secrets', placement: 'gha', fingerprint: 'sha256:bbbbbbbbbbbbbbbb', model: 'gpt-4o' }));
  }
  for (let i = 0; i < 3; i++) {
    out.push(makeEvent({ id: `d-${i}`, time: T0 + 2 * HOUR + 10 * MIN + i * MIN, ip: '203.0.113.2', keyClass: 'lure', campaign: 'ci-secrets', placement: 'gha', action: 'block', reason: 'lure_threshold', fingerprint: 'sha256:bbbbbbbbbbbbbbbb' }));
  }
  // 198.51.100.7: 4 valid requests (one hostile model name), hour 0 and hour 3
  for (let i = 0; i < 4; i++) {
    out.push(makeEvent({ id: `c-${i}`, time: T0 + (i < 2 ? 30 * MIN + i : 3 * HOUR + i), ip: '198.51.100.7', keyClass: 'valid', model: i === 3 ? HOSTILE : 'gpt-4o-mini', surface: i === 2 ? 'bedrock' : 'openai', status: i === 1 ? 500 : 200 }));
  }
  // one canary hit, one tool call, hour 3
  out.push(makeEvent({ id: 'k-0', time: T0 + 3 * HOUR + 5 * MIN, dataset: 'honeygate.canary', ip: '192.0.2.44', keyClass: 'missing' }));
  out.push(makeEvent({ id: 't-0', time: T0 + 3 * HOUR + 6 * MIN, ip: '192.0.2.45', surface: 'tool', toolUser: 'alice', toolConversation: 'conv-1' }));
  return out;
}

interface Backend {
  name: string;
  open(extra?: { readonly?: boolean }): Promise<EventStore>;
  cleanup(): Promise<void>;
}

function sqliteBackend(): Backend {
  let dir = '';
  return {
    name: 'sqlite',
    async open(extra = {}) {
      if (dir === '') dir = await mkdtemp(join(tmpdir(), 'hg-store-'));
      return openEventStore({ driver: 'sqlite', path: join(dir, 'events.db'), ...extra });
    },
    async cleanup() {
      if (dir !== '') await rm(dir, { recursive: true, force: true });
    },
  };
}

function postgresBackend(): Backend {
  const schema = uniqueSchema();
  return {
    name: 'postgres',
    open: (extra = {}) => openEventStore({ driver: 'postgres', url: PG_URL, schema, ...extra }),
    cleanup: () => dropSchema(schema),
  };
}

describe.each([sqliteBackend(), postgresBackend()])('event store on $name', (backend) => {
  let store: EventStore;
  const events = dataset();

  beforeAll(async () => {
    store = await backend.open();
    expect(await store.insert(events.slice(0, 7))).toBe(7);
    expect(await store.insert(events.slice(7))).toBe(events.length - 7);
  });
  afterAll(async () => {
    await store.close();
    await backend.cleanup();
  });

  it('ignores an event id it already has', async () => {
    expect(await store.insert(events.slice(0, 3))).toBe(0);
    expect((await store.stats()).total).toBe(events.length);
  });

  it('returns the stored events intact, newest first by default, oldest first on request', async () => {
    const all = await store.queryEvents({}, { limit: 100 });
    expect(all).toHaveLength(events.length);
    const byId = new Map(events.map((e) => [e.event.id, e]));
    for (const e of all) expect(e).toEqual(byId.get(e.event.id));
    const times = all.map((e) => Date.parse(e['@timestamp']));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    const asc = await store.queryEvents({}, { order: 'asc', limit: 3 });
    expect(asc.map((e) => e.event.id)).toEqual(['a-0', 'a-1', 'a-2']);
  });

  it('filters on every indexed field', async () => {
    const ids = async (filter: Parameters<EventStore['queryEvents']>[0]) =>
      (await store.queryEvents(filter, { order: 'asc', limit: 100 })).map((e) => e.event.id).sort();
    expect(await ids({ keyClass: 'lure' })).toEqual(['a-0', 'a-1', 'a-2', 'a-3', 'a-4', 'b-0', 'b-1', 'd-0', 'd-1', 'd-2']);
    expect(await ids({ campaign: 'github-leak', placement: 'README' })).toEqual(['a-3', 'a-4']);
    expect(await ids({ sourceIp: '198.51.100.7' })).toEqual(['c-0', 'c-1', 'c-2', 'c-3']);
    expect(await ids({ fingerprint: 'sha256:bbbbbbbbbbbbbbbb', verdictAction: 'block' })).toEqual(['d-0', 'd-1', 'd-2']);
    expect(await ids({ verdictReason: 'lure_threshold' })).toEqual(['d-0', 'd-1', 'd-2']);
    expect(await ids({ model: 'gpt-4o' })).toEqual(['b-0', 'b-1']);
    expect(await ids({ model: HOSTILE })).toEqual(['c-3']);
    expect(await ids({ surface: 'bedrock' })).toEqual(['c-2']);
    expect(await ids({ status: 500 })).toEqual(['c-1']);
    expect(await ids({ dataset: 'honeygate.canary' })).toEqual(['k-0']);
    expect(await ids({ toolUser: 'alice', toolConversation: 'conv-1' })).toEqual(['t-0']);
    expect(await ids({ toolUser: 'mallory' })).toEqual([]);
    expect(await ids({ campaign: "x' or '1'='1" })).toEqual([]);
  });

  it('treats since as inclusive and until as exclusive', async () => {
    const ids = async (since: number, until: number) =>
      (await store.queryEvents({ since, until }, { order: 'asc' })).map((e) => e.event.id);
    expect(await ids(T0 + MIN, T0 + 3 * MIN)).toEqual(['a-1', 'a-2']);
    expect(await ids(T0 + 2 * HOUR, T0 + 2 * HOUR + 1)).toEqual(['b-0']);
    expect(await ids(T0 + 10 * HOUR, T0 + 11 * HOUR)).toEqual([]);
  });

  it('clamps limits', async () => {
    expect(await store.queryEvents({}, { limit: 2 })).toHaveLength(2);
    expect(await store.queryEvents({}, { limit: 0 })).toHaveLength(1);
    expect(await store.queryEvents({}, { limit: -5 })).toHaveLength(1);
    expect(await store.queryEvents({}, { limit: Number.NaN })).toHaveLength(events.length);
  });

  it('ranks source addresses', async () => {
    const top = await store.topIps({}, 3);
    expect(top).toEqual([
      { ip: '203.0.113.1', count: 5, lure: 5, blocked: 0, keys: 1, first: new Date(T0).toISOString(), last: new Date(T0 + 4 * MIN).toISOString() },
      { ip: '203.0.113.2', count: 5, lure: 5, blocked: 3, keys: 1, first: new Date(T0 + 2 * HOUR).toISOString(), last: new Date(T0 + 2 * HOUR + 12 * MIN).toISOString() },
      { ip: '198.51.100.7', count: 4, lure: 0, blocked: 0, keys: 1, first: new Date(T0 + 30 * MIN).toISOString(), last: new Date(T0 + 3 * HOUR + 3).toISOString() },
    ]);
    expect((await store.topIps({ keyClass: 'valid' })).map((t) => t.ip)).toEqual(['198.51.100.7', '192.0.2.45']);
  });

  it('ranks campaigns with their placements', async () => {
    const top = await store.topCampaigns();
    expect(top.map((c) => [c.campaign, c.count, c.ips])).toEqual([
      ['ci-secrets', 5, 1],
      ['github-leak', 5, 1],
    ]);
    expect(top[1]?.placements).toEqual([
      { placement: 'repo/.env', count: 3 },
      { placement: 'README', count: 2 },
    ]);
    expect(top[0]?.placements).toEqual([{ placement: 'gha', count: 5 }]);
    expect(await store.topCampaigns({ since: T0 + 10 * HOUR })).toEqual([]);
  });

  it('buckets a timeline and fills the empty buckets', async () => {
    const line = await store.timeline(HOUR);
    expect(line.map((b) => [b.start, b.count, b.lure, b.blocked])).toEqual([
      [new Date(T0).toISOString(), 7, 5, 0],
      [new Date(T0 + HOUR).toISOString(), 0, 0, 0],
      [new Date(T0 + 2 * HOUR).toISOString(), 5, 5, 3],
      [new Date(T0 + 3 * HOUR).toISOString(), 4, 0, 0],
    ]);
    const day = await store.timeline(86_400_000 * 30);
    expect(day.reduce((n, b) => n + b.count, 0)).toBe(events.length);
    expect(await store.timeline(HOUR, { campaign: 'nope' })).toEqual([]);
    await expect(store.timeline(0)).rejects.toThrow(RangeError);
    await expect(store.timeline(1.5e3 + 0.5)).rejects.toThrow(RangeError);
  });

  it('summarizes', async () => {
    const s = await store.stats();
    expect(s).toEqual({
      total: 16,
      first: new Date(T0).toISOString(),
      last: new Date(T0 + 3 * HOUR + 6 * MIN).toISOString(),
      sourceIps: 5,
      campaigns: 2,
      byDataset: { 'honeygate.request': 15, 'honeygate.canary': 1 },
      byKeyClass: { lure: 10, valid: 5, missing: 1 },
      byVerdict: { deceive: 7, block: 3, forward: 6 },
    });
    expect((await store.stats({ since: T0 + 100 * HOUR })).first).toBeNull();
  });

  it('inserts a large batch at once, duplicates skipped, and a failing batch not at all', async () => {
    const insertRows = insertRowsOf(store);
    if (insertRows === undefined) throw new Error('no batched insert');
    const before = (await store.stats()).total;
    const batch = Array.from({ length: 1200 }, (_, i) => makeEvent({ id: `bulk-${i % 1000}`, time: T0 - 2 * HOUR + i }));
    expect(await insertRows(batch.map((e) => eventRow(e, JSON.stringify(e))))).toBe(1000);
    expect((await store.stats()).total).toBe(before + 1000);
    // a row the database refuses (doc is NOT NULL): the batch is one transaction, nothing of it stays
    const bad = [makeEvent({ id: 'tx-1', time: T0 - HOUR }), makeEvent({ id: 'tx-2', time: T0 - HOUR })].map((e) => eventRow(e, JSON.stringify(e)));
    await expect(insertRows([bad[0] as EventRow, { ...(bad[1] as EventRow), doc: null as unknown as string }])).rejects.toThrow();
    expect((await store.stats()).total).toBe(before + 1000);
    expect(await store.prune(T0 - HOUR)).toBe(1000);
  });

  it('caps attacker-sized column values but keeps the whole event', async () => {
    const long = 'm'.repeat(5000);
    await store.insert([makeEvent({ id: 'long-1', time: T0 - HOUR, model: long })]);
    const [found] = await store.queryEvents({ model: 'm'.repeat(256) });
    expect(found?.honeygate.model).toBe(long);
    expect((await store.queryEvents({ model: long })).map((e) => e.event.id)).toEqual(['long-1']);
    expect(await store.queryEvents({ model: 'm'.repeat(255) })).toEqual([]);
    expect(await store.prune(T0)).toBe(1);
  });

  it('opens again without migrating twice, and read-only', async () => {
    const again = await backend.open();
    expect((await again.stats()).total).toBe(16);
    await again.close();
    const ro = await backend.open({ readonly: true });
    expect((await ro.queryEvents({ keyClass: 'lure' }, { limit: 1 })).length).toBe(1);
    await ro.close();
  });

  it('prunes by age in chunks', async () => {
    const old = Array.from({ length: 12_000 }, (_, i) => makeEvent({ id: `old-${i}`, time: T0 - 48 * HOUR + i }));
    expect(await store.insert(old)).toBe(12_000);
    expect(await store.prune(T0 - 24 * HOUR)).toBe(12_000);
    expect((await store.stats()).total).toBe(16);
  });
});

describe('opening event stores', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hg-store-open-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the SQLite file 0600, in WAL mode', async () => {
    const path = join(dir, 'new', 'events.db');
    const store = await openEventStore({ driver: 'sqlite', path });
    await store.insert([makeEvent()]);
    await store.close();
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const raw = openSqlite(path, { readonly: true });
    expect(raw.pragma('journal_mode')).toBe('wal');
    raw.database.close();
  });

  it('refuses, read-only, a file that is not an event store', async () => {
    const path = join(dir, 'other.db');
    const raw = openSqlite(path, { readonly: false });
    raw.database.prepare('create table t (x)').run([]);
    raw.database.close();
    await expect(openEventStore({ driver: 'sqlite', path, readonly: true })).rejects.toThrow(EventStoreError);
    const junk = join(dir, 'junk.db');
    await writeFile(junk, 'this is not a database at all, just text '.repeat(200));
    await expect(openEventStore({ driver: 'sqlite', path: junk, readonly: true })).rejects.toThrow(EventStoreError);
    await expect(openEventStore({ driver: 'sqlite', path: join(dir, 'missing.db'), readonly: true })).rejects.toThrow(/cannot open/);
  });

  it('reports an unreachable PostgreSQL without its password', async () => {
    const options: OpenStoreOptions = { driver: 'postgres', url: 'postgres://u:hunter2@127.0.0.1:1/nope' };
    const error = await openEventStore(options).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EventStoreError);
    expect(String(error)).not.toContain('hunter2');
    expect(String(error)).toContain('***');
  });
});

describe('store sink', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hg-store-sink-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a full batch at once and a partial batch after flush_interval', async () => {
    const store = await openEventStore({ driver: 'sqlite', path: join(dir, 'batch.db') });
    const config = storeSinkConfigSchema.parse({ batch_size: 50, flush_interval: '300ms', retention: 0 });
    const { sink, stop } = createStoreSink({ store, config, queueSize: 1000, target: 'test' });
    for (let i = 0; i < 50; i++) sink.offer(makeEvent());
    await waitFor(async () => (await store.stats()).total === 50, 2000);
    const started = Date.now();
    for (let i = 0; i < 10; i++) sink.offer(makeEvent());
    await new Promise((r) => setTimeout(r, 100));
    expect((await store.stats()).total).toBe(50); // still lingering
    await waitFor(async () => (await store.stats()).total === 60, 2000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(sink.stats()).toMatchObject({ written: 60, failed: 0, queued: 0 });
    stop();
    await sink.close(5000);
    await store.close();
  });

  it('deletes events past retention', async () => {
    const store = await openEventStore({ driver: 'sqlite', path: join(dir, 'retention.db') });
    const config = storeSinkConfigSchema.parse({ retention: '1d' });
    let clock = T0;
    const { sink, prune, stop } = createStoreSink({ store, config, queueSize: 100, target: 'test', now: () => clock });
    sink.offer(makeEvent({ time: T0 - 2 * 86_400_000 }));
    sink.offer(makeEvent({ time: T0 - 3_600_000 }));
    await sink.flush();
    expect(await prune()).toBe(1);
    clock += 86_400_000;
    expect(await prune()).toBe(1);
    expect((await store.stats()).total).toBe(0);
    stop();
    await sink.close(5000);
    await store.close();
  });

  it('counts failed batches when the database goes away, without throwing', async () => {
    const store = await openEventStore({ driver: 'sqlite', path: join(dir, 'gone.db') });
    const config = storeSinkConfigSchema.parse({ batch_size: 5, flush_interval: 0, retention: 0 });
    const { sink } = createStoreSink({ store, config, queueSize: 100, target: 'test' });
    await store.close();
    for (let i = 0; i < 5; i++) sink.offer(makeEvent());
    await sink.flush();
    expect(sink.stats()).toMatchObject({ written: 0, failed: 5 });
    expect(sink.stats().lastError).toBeDefined();
    await sink.close(1000);
  });
});

describe('store sink on postgres', () => {
  const schema = uniqueSchema();
  afterAll(() => dropSchema(schema));

  it('isolates a row PostgreSQL refuses instead of losing its batch', async () => {
    const store = await openEventStore({ driver: 'postgres', url: PG_URL, schema });
    const config = storeSinkConfigSchema.parse({ batch_size: 5, flush_interval: 0, retention: 0 });
    const { sink } = createStoreSink({ store, config, queueSize: 100, target: 'test' });
    const events = Array.from({ length: 5 }, (_, i) => makeEvent({ id: `iso-${i}`, status: i === 2 ? 1e20 : 200 }));
    for (const e of events) sink.offer(e);
    await sink.close(5000);
    expect(sink.stats()).toMatchObject({ written: 4, failed: 1 });
    expect((await store.queryEvents({}, { order: 'asc' })).map((e) => e.event.id)).toEqual(['iso-0', 'iso-1', 'iso-3', 'iso-4']);
    await store.close();
  });
});
