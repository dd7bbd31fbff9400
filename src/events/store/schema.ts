/**
 * The event store's tables and their migrations (kysely Migrator, in-code provider). One schema
 * for SQLite and PostgreSQL: only types both understand (`text`, `integer`, `bigint` — SQLite gives
 * `bigint` INTEGER affinity), timestamps as epoch milliseconds so range and bucket arithmetic is
 * plain integer math in both, and the full event as JSON text in `doc`.
 *
 * Table names carry a `honeygate_` prefix: a shared PostgreSQL database has other tenants.
 * Migrations are append-only: never edit one that has shipped, add the next number.
 */
import { sql, type ColumnType, type Insertable, type Kysely, type Migration, type MigrationProvider } from 'kysely';

export const EVENTS_TABLE = 'honeygate_events';
export const MIGRATION_TABLE = 'honeygate_migration';
export const MIGRATION_LOCK_TABLE = 'honeygate_migration_lock';

/** One row per event; the filterable fields are columns, the rest lives in `doc`. */
export interface EventsTable {
  /** event.id */
  id: string;
  /** @timestamp in epoch ms (PostgreSQL returns bigint as a string: read it through Number()) */
  ts: ColumnType<number | string, number, never>;
  dataset: string;
  kind: string;
  action: string;
  outcome: string;
  key_class: string | null;
  key_fingerprint: string | null;
  campaign: string | null;
  placement: string | null;
  source_ip: string | null;
  model: string | null;
  surface: string | null;
  verdict_action: string | null;
  verdict_reason: string | null;
  status: number | null;
  tool_user: string | null;
  tool_conversation: string | null;
  /** honeygate.client.id (migration 0002): one client program across addresses */
  client_id: string | null;
  /** the whole event, JSON */
  doc: string;
}

/** A row as inserted (ts is a number going in). */
export type EventRow = Insertable<EventsTable>;

export interface EventsDatabase {
  [EVENTS_TABLE]: EventsTable;
}

/**
 * Columns with an index; every index leads with the column and ends with ts for range scans.
 * INITIAL_INDEXED_COLUMNS are 0001's (frozen: it has shipped); later migrations add their own (0002: client_id).
 */
const INITIAL_INDEXED_COLUMNS = [
  'dataset',
  'key_class',
  'key_fingerprint',
  'campaign',
  'placement',
  'source_ip',
  'model',
  'surface',
  'verdict_action',
  'verdict_reason',
  'status',
  'tool_user',
  'tool_conversation',
] as const;

const initial: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable(EVENTS_TABLE)
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('ts', 'bigint', (c) => c.notNull())
      .addColumn('dataset', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('outcome', 'text', (c) => c.notNull())
      .addColumn('key_class', 'text')
      .addColumn('key_fingerprint', 'text')
      .addColumn('campaign', 'text')
      .addColumn('placement', 'text')
      .addColumn('source_ip', 'text')
      .addColumn('model', 'text')
      .addColumn('surface', 'text')
      .addColumn('verdict_action', 'text')
      .addColumn('verdict_reason', 'text')
      .addColumn('status', 'integer')
      .addColumn('tool_user', 'text')
      .addColumn('tool_conversation', 'text')
      .addColumn('doc', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex(`${EVENTS_TABLE}_ts_idx`).on(EVENTS_TABLE).columns(['ts', 'id']).execute();
    for (const column of INITIAL_INDEXED_COLUMNS) {
      await db.schema.createIndex(`${EVENTS_TABLE}_${column}_idx`).on(EVENTS_TABLE).columns([column, 'ts']).execute();
    }
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable(EVENTS_TABLE).ifExists().execute();
  },
};

/**
 * 0002: `client_id` (honeygate.client.id), indexed like the others. Rows written before it keep
 * NULL: older events carry no client id (their header order was never recorded).
 */
const clientIdColumn: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable(EVENTS_TABLE).addColumn('client_id', 'text').execute();
    await db.schema.createIndex(`${EVENTS_TABLE}_client_id_idx`).on(EVENTS_TABLE).columns(['client_id', 'ts']).execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropIndex(`${EVENTS_TABLE}_client_id_idx`).ifExists().execute();
    await db.schema.alterTable(EVENTS_TABLE).dropColumn('client_id').execute();
  },
};

/**
 * Columns NULL in many events whose queries only ever ask for a value (`=`, `in`, `is not null`):
 * 0003 makes their indexes partial (`where column is not null`), so an event without the field
 * adds no entry — a reject carries no model, campaign, placement or tool fields: 5 fewer b-tree
 * inserts of its 17. `dataset`, `key_class` and `verdict_action` keep full indexes: `stats()`
 * groups every row by them (a partial index cannot cover rows it does not hold).
 */
export const SPARSE_INDEXED_COLUMNS = [
  'key_fingerprint',
  'campaign',
  'placement',
  'source_ip',
  'model',
  'surface',
  'verdict_reason',
  'status',
  'tool_user',
  'tool_conversation',
  'client_id',
] as const;

/**
 * 0003: the sparse columns' `(column, ts)` indexes rebuilt partial, under the same names (same
 * columns; both databases use a partial index for `column = ?`, `column in (…)` and
 * `column is not null`, which every query on these columns has). An existing store rebuilds them
 * once at start: seconds per million rows, holding the write lock meanwhile.
 */
const partialIndexes: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    for (const column of SPARSE_INDEXED_COLUMNS) {
      await db.schema.dropIndex(`${EVENTS_TABLE}_${column}_idx`).ifExists().execute();
      await db.schema
        .createIndex(`${EVENTS_TABLE}_${column}_idx`)
        .on(EVENTS_TABLE)
        .columns([column, 'ts'])
        .where(sql.ref(column), 'is not', null)
        .execute();
    }
  },
  async down(db: Kysely<unknown>): Promise<void> {
    for (const column of SPARSE_INDEXED_COLUMNS) {
      await db.schema.dropIndex(`${EVENTS_TABLE}_${column}_idx`).ifExists().execute();
      await db.schema.createIndex(`${EVENTS_TABLE}_${column}_idx`).on(EVENTS_TABLE).columns([column, 'ts']).execute();
    }
  },
};

export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  '0001_events': initial,
  '0002_client_id': clientIdColumn,
  '0003_partial_indexes': partialIndexes,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve({ ...MIGRATIONS }),
};

/** The newest migration name: a database is current when it has run this one. */
export const LATEST_MIGRATION = Object.keys(MIGRATIONS).sort().at(-1) ?? '';

/** `create schema if not exists` (PostgreSQL). */
export async function ensureSchema(db: Kysely<unknown>, schema: string): Promise<void> {
  await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
}
