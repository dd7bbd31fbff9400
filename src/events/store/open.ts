/**
 * Opening the event store: SQLite (better-sqlite3, or node:sqlite on Node ≥ 24 — see sqlite.ts;
 * WAL; the embedded default at <events.dir>/events.db) or PostgreSQL (pg Pool; shared
 * deployments), migrated to the latest schema (schema.ts) unless opened read-only.
 */
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, WithSchemaPlugin } from 'kysely';
import pg from 'pg';
import { KyselyEventStore } from './queries.js';
import { ensureSchema, LATEST_MIGRATION, MIGRATION_LOCK_TABLE, MIGRATION_TABLE, migrationProvider, type EventsDatabase } from './schema.js';
import { openSqlite, type SqliteConnection } from './sqlite.js';
import { EventStoreError, type EventStore, type OpenStoreOptions } from './types.js';

/** Open (and migrate) a store. Throws EventStoreError when it cannot be opened or is not current. */
export async function openEventStore(options: OpenStoreOptions): Promise<EventStore> {
  let db: Kysely<EventsDatabase>;
  let schema: string | undefined;
  let sqlite: SqliteConnection | undefined;
  if (options.driver === 'sqlite') {
    let connection: SqliteConnection;
    try {
      if (options.readonly !== true) {
        mkdirSync(dirname(options.path), { recursive: true, mode: 0o700 });
        // create it 0600 ourselves: SQLite gives the -wal and -shm files the database's mode
        closeSync(openSync(options.path, 'a', 0o600));
      }
      connection = openSqlite(options.path, { readonly: options.readonly === true });
      if (options.readonly !== true) {
        connection.pragma('journal_mode = WAL');
        connection.pragma('synchronous = NORMAL');
      }
      connection.pragma('busy_timeout = 5000');
    } catch (e: unknown) {
      throw new EventStoreError(`cannot open SQLite event store ${options.path}: ${e instanceof Error ? e.message : String(e)}`);
    }
    sqlite = connection;
    db = new Kysely<EventsDatabase>({ dialect: new SqliteDialect({ database: connection.database }) });
  } else {
    schema = options.schema;
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.maxConnections ?? 4,
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 10_000,
    });
    // an idle client's error (server restart) is emitted on the pool: without a listener it kills the process
    pool.on('error', () => undefined);
    db = new Kysely<EventsDatabase>({
      dialect: new PostgresDialect({ pool }),
      ...(schema !== undefined ? { plugins: [new WithSchemaPlugin(schema)] } : {}),
    });
  }
  try {
    if (options.readonly === true) await checkCurrent(db, schema);
    else await migrate(db, schema);
  } catch (e: unknown) {
    await db.destroy().catch(() => undefined);
    const where = options.driver === 'sqlite' ? options.path : redactUrl(options.url);
    throw new EventStoreError(`cannot open ${options.driver} event store ${where}: ${e instanceof Error ? e.message : String(e)}`);
  }
  return new KyselyEventStore(db, options.driver, sqlite !== undefined ? { sqlite } : { schema });
}

/** A postgres URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparsable url)';
  }
}

async function migrate(db: Kysely<EventsDatabase>, schema: string | undefined): Promise<void> {
  if (schema !== undefined) await ensureSchema(db as unknown as Kysely<unknown>, schema);
  const migrator = new Migrator({
    db,
    provider: migrationProvider,
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
    ...(schema !== undefined ? { migrationTableSchema: schema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? '?';
    throw new Error(`migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function checkCurrent(db: Kysely<EventsDatabase>, schema: string | undefined): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: migrationProvider,
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
    ...(schema !== undefined ? { migrationTableSchema: schema } : {}),
  });
  let done: boolean;
  try {
    const list = await migrator.getMigrations();
    done = list.some((m) => m.name === LATEST_MIGRATION && m.executedAt !== undefined);
  } catch (e: unknown) {
    throw new Error(`not a honeygate event store (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!done) throw new Error('not a honeygate event store, or one from an older version (start the gateway once to migrate it)');
}
