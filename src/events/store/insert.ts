/**
 * Batched inserts of event rows, one per driver; duplicates by id are ignored (`on conflict (id)
 * do nothing`: SQLite ≥ 3.24, PostgreSQL ≥ 9.5), and the count of rows actually inserted returned.
 *
 * - SQLite: one prepared single-row INSERT, run for each row between BEGIN and COMMIT — SQLite's
 *   own advice for bulk loads: one transaction (one WAL commit) per batch, no statement text to
 *   build or parse per batch. The whole batch runs synchronously, so nothing interleaves with it;
 *   on the events worker it never blocks the request thread.
 * - PostgreSQL: one `insert … select * from unnest($1::text[], $2::bigint[], …)`: a batch of any
 *   size is one statement with one parameter per column (a multi-row VALUES list would carry 20
 *   parameters per row and a different text per batch size). pg sends it as one round trip.
 */
import { sql, type Kysely } from 'kysely';
import { EVENTS_TABLE, type EventRow, type EventsDatabase } from './schema.js';
import type { SqliteConnection } from './sqlite.js';

export type RowInserter = (rows: readonly EventRow[]) => Promise<number>;

/** Columns in insert order, with their PostgreSQL array types. */
const COLUMNS = [
  ['id', 'text'],
  ['ts', 'bigint'],
  ['dataset', 'text'],
  ['kind', 'text'],
  ['action', 'text'],
  ['outcome', 'text'],
  ['key_class', 'text'],
  ['key_fingerprint', 'text'],
  ['campaign', 'text'],
  ['placement', 'text'],
  ['source_ip', 'text'],
  ['model', 'text'],
  ['surface', 'text'],
  ['verdict_action', 'text'],
  ['verdict_reason', 'text'],
  ['status', 'integer'],
  ['tool_user', 'text'],
  ['tool_conversation', 'text'],
  ['client_id', 'text'],
  ['doc', 'text'],
] as const satisfies readonly (readonly [keyof EventRow, string])[];

type Value = string | number | null;

/** the row's values in column order, written into `out` from `at` */
function valuesInto(row: EventRow, out: Value[], at: number): void {
  for (let i = 0; i < COLUMNS.length; i++) {
    const v = row[(COLUMNS[i] as (typeof COLUMNS)[number])[0]];
    out[at + i] = v === undefined ? null : v;
  }
}

/** rows per SQLite INSERT statement: 32 × 20 = 640 parameters (SQLite allows 32 766 since 3.32) */
export const SQLITE_ROWS_PER_STATEMENT = 32;

export function sqliteInsert(connection: SqliteConnection): RowInserter {
  const db = connection.database;
  const names = COLUMNS.map(([c]) => `"${c}"`).join(', ');
  const tuple = `(${COLUMNS.map(() => '?').join(', ')})`;
  type Statement = ReturnType<typeof db.prepare>;
  // one prepared statement per row count 1 … SQLITE_ROWS_PER_STATEMENT, made when first needed
  const inserts: (Statement | undefined)[] = [];
  const insertOf = (n: number): Statement => {
    let st = inserts[n];
    if (st === undefined) {
      st = db.prepare(`insert into "${EVENTS_TABLE}" (${names}) values ${new Array<string>(n).fill(tuple).join(', ')} on conflict ("id") do nothing`);
      inserts[n] = st;
    }
    return st;
  };
  let begin: Statement | undefined;
  let commit: Statement | undefined;
  let rollback: Statement | undefined;
  return (rows) => {
    // prepared at the first batch (the table exists once migrations have run)
    begin ??= db.prepare('begin');
    commit ??= db.prepare('commit');
    rollback ??= db.prepare('rollback');
    let inserted = 0;
    begin.run([]);
    try {
      for (let at = 0; at < rows.length; at += SQLITE_ROWS_PER_STATEMENT) {
        const n = Math.min(SQLITE_ROWS_PER_STATEMENT, rows.length - at);
        const params: Value[] = new Array<Value>(n * COLUMNS.length);
        for (let r = 0; r < n; r++) valuesInto(rows[at + r] as EventRow, params, r * COLUMNS.length);
        inserted += Number(insertOf(n).run(params).changes);
      }
      commit.run([]);
    } catch (e: unknown) {
      try {
        rollback.run([]);
      } catch {
        // SQLite already rolled back (e.g. SQLITE_FULL)
      }
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    return Promise.resolve(inserted);
  };
}

export function postgresInsert(db: Kysely<EventsDatabase>, schema: string | undefined): RowInserter {
  const table = schema !== undefined ? sql.id(schema, EVENTS_TABLE) : sql.id(EVENTS_TABLE);
  const names = sql.join(COLUMNS.map(([c]) => sql.id(c)));
  return async (rows) => {
    const columns: Value[][] = COLUMNS.map(() => new Array<Value>(rows.length));
    const v = new Array<Value>(COLUMNS.length);
    rows.forEach((row, r) => {
      valuesInto(row, v, 0);
      for (let c = 0; c < COLUMNS.length; c++) (columns[c] as Value[])[r] = v[c] as Value;
    });
    const arrays = sql.join(COLUMNS.map(([, type], c) => sql`${columns[c]}::${sql.raw(type)}[]`));
    const result = await sql`insert into ${table} (${names}) select * from unnest(${arrays}) on conflict (id) do nothing`.execute(db);
    return Number(result.numAffectedRows ?? 0n);
  };
}
