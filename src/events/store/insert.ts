/**
 * Batched inserts of event rows, one per driver; duplicates by id are ignored (`on conflict (id)
 * do nothing`: SQLite ≥ 3.24, PostgreSQL ≥ 9.5), and the count of rows actually inserted returned.
 *
 * - SQLite: prepared multi-row INSERTs (32 rows each, the rest in one of the size left; one
 *   statement per row count, prepared once) between BEGIN and COMMIT — one transaction (one WAL
 *   commit) per batch, no statement text to build or parse per batch. The whole batch runs
 *   synchronously, so nothing interleaves with it; on the events worker it never blocks the
 *   request thread.
 * - PostgreSQL: one multi-row `insert … values ($1, …, $20), ($21, …)` per batch (up to 1000 rows
 *   a statement; a larger batch is several in one transaction), one round trip. Each value travels
 *   as its own parameter, as is: the `unnest($1::text[], …)` form it replaces had pg build array
 *   literals in JavaScript, escaping every quote of every `doc` — two thirds of what the
 *   PostgreSQL sink cost the events worker (274 k → 171 k instructions per event for JSONL +
 *   PostgreSQL), for the same server-side work (bench/README.md, "Events worker cost per event").
 *   The statement text is kept per row count (at most 16 counts).
 */
import { CompiledQuery, type Kysely } from 'kysely';
import { EVENTS_TABLE, type EventRow, type EventsDatabase } from './schema.js';
import type { SqliteConnection } from './sqlite.js';

export type RowInserter = (rows: readonly EventRow[]) => Promise<number>;

/** Columns in insert order. */
const COLUMNS = [
  'id',
  'ts',
  'dataset',
  'kind',
  'action',
  'outcome',
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
  'client_id',
  'doc',
] as const satisfies readonly (keyof EventRow)[];

type Value = string | number | null;

/** the row's values in column order, written into `out` from `at` */
function valuesInto(row: EventRow, out: Value[], at: number): void {
  for (let i = 0; i < COLUMNS.length; i++) {
    const v = row[COLUMNS[i] as (typeof COLUMNS)[number]];
    out[at + i] = v === undefined ? null : v;
  }
}

/** rows per SQLite INSERT statement: 32 × 20 = 640 parameters (SQLite allows 32 766 since 3.32) */
export const SQLITE_ROWS_PER_STATEMENT = 32;

export function sqliteInsert(connection: SqliteConnection): RowInserter {
  const db = connection.database;
  const names = COLUMNS.map((c) => `"${c}"`).join(', ');
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

/** rows per PostgreSQL INSERT: 1000 × 20 = 20 000 parameters (the protocol allows 65 535) */
const PG_ROWS_PER_STATEMENT = 1000;

export function postgresInsert(db: Kysely<EventsDatabase>, schema: string | undefined): RowInserter {
  const quote = (name: string): string => `"${name.replaceAll('"', '""')}"`;
  const head = `insert into ${schema !== undefined ? `${quote(schema)}.` : ''}${quote(EVENTS_TABLE)} (${COLUMNS.map((c) => quote(c)).join(', ')}) values `;
  // the statement text per row count, kept for the few counts a sink uses (batch_size, and what a flush leaves)
  const texts = new Map<number, string>();
  const textOf = (n: number): string => {
    let text = texts.get(n);
    if (text === undefined) {
      const tuples: string[] = [];
      for (let r = 0; r < n; r++) tuples.push(`(${COLUMNS.map((_, c) => `$${r * COLUMNS.length + c + 1}`).join(', ')})`);
      text = `${head}${tuples.join(', ')} on conflict ("id") do nothing`;
      if (texts.size >= 16) texts.clear();
      texts.set(n, text);
    }
    return text;
  };
  const run = async (runner: Kysely<EventsDatabase>, rows: readonly EventRow[], at: number, n: number): Promise<number> => {
    const params: Value[] = new Array<Value>(n * COLUMNS.length);
    for (let r = 0; r < n; r++) valuesInto(rows[at + r] as EventRow, params, r * COLUMNS.length);
    const result = await runner.executeQuery(CompiledQuery.raw(textOf(n), params));
    return Number(result.numAffectedRows ?? 0n);
  };
  return async (rows) => {
    if (rows.length <= PG_ROWS_PER_STATEMENT) return run(db, rows, 0, rows.length);
    // more than one statement: one transaction, so a failure leaves nothing of the batch behind
    return db.transaction().execute(async (trx) => {
      let inserted = 0;
      for (let at = 0; at < rows.length; at += PG_ROWS_PER_STATEMENT) inserted += await run(trx, rows, at, Math.min(PG_ROWS_PER_STATEMENT, rows.length - at));
      return inserted;
    });
  };
}
