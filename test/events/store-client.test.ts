/**
 * `honeygate.client.id` in the event store, SQLite and PostgreSQL: migration 0002 adds the indexed
 * `client_id` column to a store an older version created (its rows keep NULL), the `clientId`
 * filter finds one client across addresses through the index, and a read-only open of a store not
 * yet migrated says so instead of failing later.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, Migrator, sql, PostgresDialect, SqliteDialect, WithSchemaPlugin, type Migration } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openEventStore, type EventStore, type OpenStoreOptions } from '../../src/events/store/index.js';
import { EVENTS_TABLE, MIGRATION_LOCK_TABLE, MIGRATION_TABLE, MIGRATIONS } from '../../src/events/store/schema.js';
import { openSqlite } from '../../src/events/store/sqlite.js';
import { makeEvent } from './fixtures.js';
import { dropSchema, PG_URL, uniqueSchema } from './pg.js';

const A = 'cfp_aaaaaaaaaaaaaaaa';
const B = 'cfp_bbbbbbbbbbbbbbbb';
const T0 = Date.parse('2025-03-01T00:00:00Z');

/** Run only the first migration, as the version before 0002 did. */
async function migrateTo0001(db: Kysely<unknown>, schema?: string): Promise<void> {
  const first = MIGRATIONS['0001_events'] as Migration;
  const migrator = new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve({ '0001_events': first }) },
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
    ...(schema !== undefined ? { migrationTableSchema: schema } : {}),
  });
  const { error } = await migrator.migrateToLatest();
  if (error !== undefined) throw error instanceof Error ? error : new Error(String(error));
  // one row as that version wrote it: no client_id column
  await sql`insert into ${schema !== undefined ? sql.id(schema, EVENTS_TABLE) : sql.id(EVENTS_TABLE)} (id, ts, dataset, kind, action, outcome, key_class, source_ip, doc) values ('old1', ${T0 - 1000}, 'honeygate.request', 'alert', 'deceive:lure_key', 'success', 'lure', '203.0.113.1', ${JSON.stringify(makeEvent({ id: 'old1', time: T0 - 1000, ip: '203.0.113.1', keyClass: 'lure' }))})`.execute(db);
}

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

async function sqliteOld(): Promise<OpenStoreOptions> {
  const dir = await mkdtemp(join(tmpdir(), 'hg-client-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'events.db');
  const conn = openSqlite(path, { readonly: false });
  const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: conn.database }) });
  await migrateTo0001(db);
  await db.destroy();
  return { driver: 'sqlite', path };
}

async function postgresOld(): Promise<OpenStoreOptions> {
  const schema = uniqueSchema('hg_client');
  cleanups.push(() => dropSchema(schema));
  const pool = new pg.Pool({ connectionString: PG_URL, max: 1 });
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }), plugins: [new WithSchemaPlugin(schema)] });
  await db.schema.createSchema(schema).ifNotExists().execute();
  await migrateTo0001(db, schema);
  await db.destroy();
  return { driver: 'postgres', url: PG_URL, schema };
}

describe.each([
  ['sqlite', sqliteOld],
  ['postgres', postgresOld],
] as const)('%s', (_name, old) => {
  it('migrates a 0001 store, filters by client id across addresses, old rows keep NULL', async () => {
    const options = await old();
    // a store of the previous version is refused read-only (the events command), with the reason
    await expect(openEventStore({ ...options, readonly: true })).rejects.toThrow(/older version/);
    let store: EventStore | undefined = await openEventStore(options);
    try {
      await store.insert([
        makeEvent({ id: 'a1', time: T0, ip: '203.0.113.1', keyClass: 'lure', clientId: A }),
        makeEvent({ id: 'a2', time: T0 + 1000, ip: '198.51.100.2', keyClass: 'lure', clientId: A }),
        makeEvent({ id: 'a3', time: T0 + 2000, ip: '192.0.2.3', keyClass: 'invalid', clientId: A }),
        makeEvent({ id: 'b1', time: T0 + 3000, ip: '203.0.113.1', keyClass: 'lure', clientId: B }),
        makeEvent({ id: 'n1', time: T0 + 4000, ip: '203.0.113.1', keyClass: 'lure' }),
      ]);
      const page = await store.queryPage({ clientId: A }, { limit: 10 });
      expect(page.events.map((e) => e.event.id)).toEqual(['a3', 'a2', 'a1']);
      expect(page.events[0]?.honeygate.client?.id).toBe(A);
      expect((await store.topIps({ clientId: A }, 10)).map((r) => r.ip).sort()).toEqual(['192.0.2.3', '198.51.100.2', '203.0.113.1']);
      expect((await store.stats({ clientId: B })).total).toBe(1);
      expect((await store.stats({ clientId: 'cfp_0000000000000000' })).total).toBe(0);
      // the row written before the migration is there, with no client id
      expect((await store.stats({})).total).toBe(6);
      expect((await store.queryEvents({ sourceIp: '203.0.113.1' }, { order: 'asc' })).map((e) => [e.event.id, e.honeygate.client?.id ?? null])).toEqual([['old1', null], ['a1', A], ['b1', B], ['n1', null]]);
      await store.close();
      // read-only now opens: the store is current
      store = await openEventStore({ ...options, readonly: true });
      expect((await store.queryEvents({ clientId: A, keyClass: 'lure' })).length).toBe(2);
    } finally {
      await store?.close();
    }
  });
});

describe('the client_id index', () => {
  it('SQLite plans a client filter on honeygate_events_client_id_idx', async () => {
    const options = await sqliteOld();
    const store = await openEventStore(options);
    await store.close();
    if (options.driver !== 'sqlite') throw new Error('unreachable');
    const conn = openSqlite(options.path, { readonly: true });
    const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: conn.database }) });
    const plan = await sql<{ detail: string }>`explain query plan select doc from ${sql.id(EVENTS_TABLE)} where client_id = ${A} order by ts desc, id desc limit 50`.execute(db);
    expect(plan.rows.map((p) => p.detail).join(' ')).toContain(`${EVENTS_TABLE}_client_id_idx`);
    await db.destroy();
  });
});
