/**
 * The event store's indexes after migration 0003 (partial indexes on the sparse columns), SQLite
 * and PostgreSQL:
 * - a 0002 store upgrades: its sparse indexes become partial, every row stays and is found;
 * - batched inserts of any size: multi-row statements, duplicates ignored, all or nothing;
 * - every query the store runs (queries.ts: the admin API, the `events` command and the exports all
 *   go through them) still uses an index for every filter: each SELECT is captured from kysely's
 *   log and planned with EXPLAIN (QUERY PLAN); a filter on a sparse column uses that column's index;
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, WithSchemaPlugin, type CompiledQuery, type Migration } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { eventRow, insertRowsOf, openEventStore, type EventFilter, type EventStore } from '../../src/events/store/index.js';
import { KyselyEventStore } from '../../src/events/store/queries.js';
import { EVENTS_TABLE, MIGRATION_LOCK_TABLE, MIGRATION_TABLE, MIGRATIONS, SPARSE_INDEXED_COLUMNS, type EventRow, type EventsDatabase } from '../../src/events/store/schema.js';
import { openSqlite } from '../../src/events/store/sqlite.js';
import { makeEvent } from './fixtures.js';
import { dropSchema, PG_URL, uniqueSchema } from './pg.js';

const T0 = Date.parse('2025-03-01T00:00:00Z');
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** Migrate to 0002, as the version before 0003 did. */
async function migrateTo0002(db: Kysely<unknown>, schema?: string): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve({ '0001_events': MIGRATIONS['0001_events'] as Migration, '0002_client_id': MIGRATIONS['0002_client_id'] as Migration }) },
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
    ...(schema !== undefined ? { migrationTableSchema: schema } : {}),
  });
  const { error } = await migrator.migrateToLatest();
  if (error !== undefined) throw error instanceof Error ? error : new Error(String(error));
}

/** the events of both tests: sparse fields present on some, absent on others */
function events(): ReturnType<typeof makeEvent>[] {
  return [
    makeEvent({ id: 'r1', time: T0 + 1000, ip: '192.0.2.1', keyClass: 'invalid', action: 'reject', status: 401 }),
    makeEvent({ id: 'l1', time: T0 + 2000, ip: '192.0.2.2', keyClass: 'lure', campaign: 'github-leak', placement: 'ci', model: 'gpt-4o' }),
    makeEvent({ id: 'l2', time: T0 + 3000, ip: '192.0.2.2', keyClass: 'lure', campaign: 'github-leak', placement: 'wiki', model: 'gpt-4o-mini' }),
    makeEvent({ id: 'm1', time: T0 + 4000, ip: '192.0.2.3', keyClass: 'missing', action: 'reject', status: 401 }),
  ];
}

const OLD_COLUMNS = ['id', 'ts', 'dataset', 'kind', 'action', 'outcome', 'key_class', 'key_fingerprint', 'campaign', 'placement', 'source_ip', 'model', 'surface', 'verdict_action', 'status', 'doc'];
function oldRow(e: ReturnType<typeof makeEvent>): (string | number | null)[] {
  const h = e.honeygate;
  return [e.event.id, Date.parse(e['@timestamp']), e.event.dataset, e.event.kind, e.event.action, e.event.outcome, h.key?.class ?? null, h.key?.fingerprint ?? null, h.key?.campaign ?? null, h.key?.placement ?? null, e.source?.ip ?? null, h.model ?? null, h.surface ?? null, h.verdict?.action ?? null, e.http?.response.status_code ?? null, JSON.stringify(e)];
}

/** One query per filter the store accepts, each alone (and `text`, which implies key_class). */
const FILTERS: readonly EventFilter[] = [
  { keyClass: 'lure' },
  { dataset: 'honeygate.canary' },
  { verdictAction: 'block' },
  { campaign: 'github-leak' },
  { placement: 'ci' },
  { sourceIp: '192.0.2.2' },
  { sourceIps: ['192.0.2.1', '192.0.2.2'] },
  { fingerprint: 'sha256:0123456789abcdef' },
  { model: 'gpt-4o' },
  { surface: 'bedrock' },
  { verdictReason: 'lure_key' },
  { status: 401 },
  { toolUser: 'u1' },
  { toolConversation: 'c1' },
  { clientId: 'cfp_aaaaaaaaaaaaaaaa' },
  { text: 'bucket' },
];

/** the column a filter's own index is on, when the filter names one column */
function columnOf(f: EventFilter): string | undefined {
  const map: Record<string, string> = {
    keyClass: 'key_class',
    dataset: 'dataset',
    verdictAction: 'verdict_action',
    campaign: 'campaign',
    placement: 'placement',
    sourceIp: 'source_ip',
    sourceIps: 'source_ip',
    fingerprint: 'key_fingerprint',
    model: 'model',
    surface: 'surface',
    verdictReason: 'verdict_reason',
    status: 'status',
    toolUser: 'tool_user',
    toolConversation: 'tool_conversation',
    clientId: 'client_id',
    text: 'key_class',
  };
  const key = Object.keys(f)[0];
  return key === undefined ? undefined : map[key];
}

/** Every store call that takes a filter; the SELECTs they run are what gets planned. */
async function runAll(store: EventStore, filter: EventFilter): Promise<void> {
  await store.queryEvents(filter, { limit: 10 });
  await store.queryPage(filter, { limit: 10 });
  await store.queryPage(filter, { limit: 10, cursor: { ts: T0 + 5000, id: 'zz' } });
  await store.sourceIps(filter, 100);
  await store.topIps(filter, 10);
  await store.topCampaigns(filter, 10);
  await store.hitsByKey(filter);
  await store.timeline(60_000, filter);
  await store.stats(filter);
}

describe('sqlite', () => {
  async function old(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'hg-idx-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'events.db');
    const conn = openSqlite(path, { readonly: false });
    const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: conn.database }) });
    await migrateTo0002(db);
    await db.destroy();
    return path;
  }

  const indexSql = (path: string): Map<string, string> => {
    const conn = openSqlite(path, { readonly: true });
    const rows = conn.database.prepare(`select name, sql from sqlite_master where type = 'index' and sql is not null`).all([]) as { name: string; sql: string }[];
    conn.database.close();
    return new Map(rows.map((r) => [r.name, r.sql]));
  };

  it('upgrades a 0002 store: sparse indexes partial, the others full, every row kept and found', async () => {
    const path = await old();
    const before = indexSql(path);
    for (const c of SPARSE_INDEXED_COLUMNS) expect(before.get(`${EVENTS_TABLE}_${c}_idx`)).not.toMatch(/where/i);
    // rows as the 0002 version wrote them
    const conn = openSqlite(path, { readonly: false });
    const insert = conn.database.prepare(`insert into ${EVENTS_TABLE} (${OLD_COLUMNS}) values (${OLD_COLUMNS.map(() => '?').join(', ')})`);
    for (const e of events()) insert.run(oldRow(e));
    conn.database.close();

    const store = await openEventStore({ driver: 'sqlite', path });
    try {
      const after = indexSql(path);
      for (const c of SPARSE_INDEXED_COLUMNS) expect(after.get(`${EVENTS_TABLE}_${c}_idx`)).toMatch(/where\s+"?\w+"?\s+is not null/i);
      for (const c of ['dataset', 'key_class', 'verdict_action']) expect(after.get(`${EVENTS_TABLE}_${c}_idx`)).not.toMatch(/where/i);
      expect(after.get(`${EVENTS_TABLE}_ts_idx`)).toBeDefined();
      expect((await store.stats({})).total).toBe(4);
      expect((await store.queryEvents({ campaign: 'github-leak' }, { order: 'asc' })).map((e) => e.event.id)).toEqual(['l1', 'l2']);
      expect((await store.queryEvents({ model: 'gpt-4o' })).map((e) => e.event.id)).toEqual(['l1']);
      expect((await store.topCampaigns({}, 10))[0]?.placements.length).toBe(2);
    } finally {
      await store.close();
    }
  });

  it('plans every query of every filter on an index; a sparse filter on its own index', async () => {
    const path = await old();
    await (await openEventStore({ driver: 'sqlite', path })).close();
    const conn = openSqlite(path, { readonly: false });
    const captured: CompiledQuery[] = [];
    const db = new Kysely<EventsDatabase>({
      dialect: new SqliteDialect({ database: conn.database }),
      log: (e) => {
        if (e.level === 'query') captured.push(e.query);
      },
    });
    const store = new KyselyEventStore(db, 'sqlite', { sqlite: conn });
    await store.insert(events());
    try {
      for (const filter of FILTERS) {
        captured.length = 0;
        await runAll(store, filter);
        const selects = captured.filter((q) => /^select/i.test(q.sql));
        expect(selects.length).toBeGreaterThanOrEqual(9);
        const own = `${EVENTS_TABLE}_${columnOf(filter) ?? '?'}_idx`;
        for (const q of selects) {
          const plan = conn.database.prepare(`explain query plan ${q.sql}`).all(q.parameters as unknown[]) as { detail: string }[];
          const details = plan.map((p) => p.detail);
          // no bare scan of the table: every access goes through an index
          expect(details.filter((d) => /^SCAN honeygate_events$/.test(d)), `${JSON.stringify(filter)}: ${q.sql} → ${details.join(' | ')}`).toEqual([]);
          expect(details.join(' | '), `${JSON.stringify(filter)}: ${q.sql}`).toMatch(/USING (COVERING )?INDEX|USING INTEGER PRIMARY KEY/);
        }
        // the page query: the filter's own index
        const page = selects[1] as CompiledQuery;
        const plan = conn.database.prepare(`explain query plan ${page.sql}`).all(page.parameters as unknown[]) as { detail: string }[];
        expect(plan.map((p) => p.detail).join(' | '), JSON.stringify(filter)).toContain(own);
      }
    } finally {
      await db.destroy();
    }
  });
});

describe('postgres', () => {
  async function old(): Promise<string> {
    const schema = uniqueSchema('hg_idx');
    cleanups.push(() => dropSchema(schema));
    const pool = new pg.Pool({ connectionString: PG_URL, max: 1 });
    const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }), plugins: [new WithSchemaPlugin(schema)] });
    await db.schema.createSchema(schema).ifNotExists().execute();
    await migrateTo0002(db, schema);
    await db.destroy();
    return schema;
  }

  const indexDefs = async (client: pg.Client, schema: string): Promise<Map<string, string>> => {
    const r = await client.query<{ indexname: string; indexdef: string }>('select indexname, indexdef from pg_indexes where schemaname = $1', [schema]);
    return new Map(r.rows.map((x) => [x.indexname, x.indexdef]));
  };

  it('upgrades a 0002 store with rows: sparse indexes partial, every row kept and found', async () => {
    const schema = await old();
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      const before = await indexDefs(client, schema);
      for (const c of SPARSE_INDEXED_COLUMNS) expect(before.get(`${EVENTS_TABLE}_${c}_idx`)).not.toMatch(/WHERE/);
      // rows as 0002 wrote them
      for (const e of events()) {
        await client.query(`insert into "${schema}".${EVENTS_TABLE} (${OLD_COLUMNS}) values (${OLD_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`, oldRow(e));
      }
      const store = await openEventStore({ driver: 'postgres', url: PG_URL, schema });
      try {
        const after = await indexDefs(client, schema);
        for (const c of SPARSE_INDEXED_COLUMNS) expect(after.get(`${EVENTS_TABLE}_${c}_idx`)).toMatch(new RegExp(`WHERE \\(${c} IS NOT NULL\\)`));
        for (const c of ['dataset', 'key_class', 'verdict_action']) expect(after.get(`${EVENTS_TABLE}_${c}_idx`)).not.toMatch(/WHERE/);
        expect((await store.stats({})).total).toBe(4);
        expect((await store.queryEvents({ campaign: 'github-leak' }, { order: 'asc' })).map((e) => e.event.id)).toEqual(['l1', 'l2']);
        expect((await store.queryEvents({ model: 'gpt-4o' })).map((e) => e.event.id)).toEqual(['l1']);
      } finally {
        await store.close();
      }
    } finally {
      await client.end();
    }
  });

  it('plans a filter on a sparse column on its partial index', async () => {
    const schema = await old();
    await (await openEventStore({ driver: 'postgres', url: PG_URL, schema })).close();
    const pool = new pg.Pool({ connectionString: PG_URL, max: 1 });
    const captured: CompiledQuery[] = [];
    const db = new Kysely<EventsDatabase>({
      dialect: new PostgresDialect({ pool }),
      plugins: [new WithSchemaPlugin(schema)],
      log: (e) => {
        if (e.level === 'query') captured.push(e.query);
      },
    });
    const store = new KyselyEventStore(db, 'postgres', { schema });
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      await store.insert(events());
      // 20 000 other rows (rejects: no campaign, model, tool, client id), so the planner's costs
      // favour a selective index as they do on a real store; then no table scans allowed at all
      await client.query(
        `insert into "${schema}".${EVENTS_TABLE} (id, ts, dataset, kind, action, outcome, key_class, source_ip, surface, verdict_action, verdict_reason, status, doc)
         select 'f' || i, ${T0} - i, 'honeygate.request', 'event', 'reject:invalid_key', 'failure', 'invalid', '10.0.' || (i % 250) || '.' || (i % 199), 'openai', 'reject', 'invalid_key', 500, '{}'
         from generate_series(1, 20000) as i`,
      );
      await client.query(`analyze "${schema}".${EVENTS_TABLE}`);
      await client.query('set enable_seqscan = off');
      for (const filter of FILTERS) {
        const column = columnOf(filter);
        if (column === undefined || !(SPARSE_INDEXED_COLUMNS as readonly string[]).includes(column)) continue;
        captured.length = 0;
        await runAll(store, filter);
        const selects = captured.filter((q) => /^select/i.test(q.sql));
        for (const q of selects) {
          const plan = await client.query<{ 'QUERY PLAN': string }>(`explain ${q.sql}`, q.parameters as unknown[]);
          const text = plan.rows.map((r) => r['QUERY PLAN']).join('\n');
          expect(text, `${JSON.stringify(filter)}: ${q.sql}`).toMatch(/Index (Only )?Scan|Bitmap Index Scan/);
          expect(text, `${JSON.stringify(filter)}: ${q.sql}`).not.toMatch(/Seq Scan/);
        }
        const page = selects[1] as CompiledQuery;
        const plan = await client.query<{ 'QUERY PLAN': string }>(`explain ${page.sql}`, page.parameters as unknown[]);
        expect(plan.rows.map((r) => r['QUERY PLAN']).join('\n'), JSON.stringify(filter)).toContain(`${EVENTS_TABLE}_${column}_idx`);
      }
    } finally {
      await client.end();
      await db.destroy();
    }
  });
});

describe.each([
  ['sqlite', async (): Promise<EventStore> => {
    const dir = await mkdtemp(join(tmpdir(), 'hg-ins-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    return openEventStore({ driver: 'sqlite', path: join(dir, 'events.db') });
  }],
  ['postgres', async (): Promise<EventStore> => {
    const schema = uniqueSchema('hg_ins');
    cleanups.push(() => dropSchema(schema));
    return openEventStore({ driver: 'postgres', url: PG_URL, schema });
  }],
] as const)('batched inserts, %s', (_name, open) => {
  it('a batch of any size: all rows in (multi-row statements), duplicates ignored, a failing batch leaves nothing', async () => {
    const store = await open();
    try {
      const insertRows = insertRowsOf(store);
      if (insertRows === undefined) throw new Error('no row inserter');
      const rows = Array.from({ length: 2501 }, (_, i) => {
        const e = makeEvent({ id: `b${i}`, time: T0 + i, ip: `198.51.100.${i % 250}` });
        return eventRow(e, JSON.stringify(e));
      });
      // 2501: SQLite 78 statements of 32 and one of 5; PostgreSQL 3 statements in one transaction
      expect(await insertRows(rows)).toBe(2501);
      expect((await store.stats({})).total).toBe(2501);
      expect((await store.queryEvents({ sourceIp: '198.51.100.7' }, { limit: 100 })).length).toBe(10);
      // the same rows again, and one new: only the new one is inserted
      const extra = makeEvent({ id: 'new', time: T0 });
      expect(await insertRows([...rows.slice(0, 40), eventRow(extra, JSON.stringify(extra))])).toBe(1);
      // a row the database refuses (doc is NOT NULL) late in a large batch: nothing of the batch stays
      const bad = Array.from({ length: 1500 }, (_, i) => {
        const e = makeEvent({ id: `c${i}`, time: T0 + i });
        return eventRow(e, JSON.stringify(e));
      });
      bad[1400] = { ...(bad[1400] as EventRow), doc: null as unknown as string };
      await expect(insertRows(bad)).rejects.toThrow(/null|NOT NULL/i);
      expect((await store.stats({})).total).toBe(2502);
    } finally {
      await store.close();
    }
  });
});
