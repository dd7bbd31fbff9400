/**
 * The SQLite connection under kysely's SqliteDialect, chosen by runtime:
 * - Node ≥ 24: the built-in `node:sqlite`. better-sqlite3 12 (the last major that supports Node 20)
 *   aborts the process on Node 24: its `Statement`/`Database` destructors, run by the garbage
 *   collector, call `RemoveEnvironmentCleanupHook` where Node 24 finds no environment
 *   (`Assertion failed: (env) != nullptr`, exit 134; WiseLibs/better-sqlite3#1515, fixed only in
 *   better-sqlite3 13, which requires Node ≥ 22). The event store's inserts trigger it within seconds.
 * - Node 20–23: better-sqlite3 (node:sqlite is missing on 20 and experimental before 22.13).
 * Both expose the same small surface here: kysely's `SqliteDatabase` plus a pragma runner.
 */
import { createRequire } from 'node:module';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

export interface SqliteConnection {
  readonly database: SqliteDatabase;
  /** run a PRAGMA; returns the first column of its first row, if any */
  pragma(statement: string): unknown;
  readonly driver: 'node:sqlite' | 'better-sqlite3';
}

export interface SqliteOpenOptions {
  readonly readonly: boolean;
}

// node:sqlite's types are not in @types/node 20: the few members used, typed here
interface NodeSqliteStatement {
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): { changes: number | bigint; lastInsertRowid: number | bigint };
  iterate(...params: unknown[]): IterableIterator<unknown>;
  columns(): unknown[];
}
interface NodeSqliteDatabase {
  prepare(sql: string): NodeSqliteStatement;
  exec(sql: string): void;
  close(): void;
}
interface NodeSqliteModule {
  DatabaseSync: new (path: string, options?: { readOnly?: boolean }) => NodeSqliteDatabase;
}

interface BetterSqliteDatabase extends SqliteDatabase {
  pragma(source: string, options?: { simple?: boolean }): unknown;
}
type BetterSqliteConstructor = new (path: string, options?: { readonly?: boolean; fileMustExist?: boolean }) => BetterSqliteDatabase;

const require = createRequire(import.meta.url);
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

const SQLITE_DRIVER: SqliteConnection['driver'] = NODE_MAJOR >= 24 ? 'node:sqlite' : 'better-sqlite3';

function nodeSqlite(path: string, options: SqliteOpenOptions): SqliteConnection {
  const { DatabaseSync } = require('node:sqlite') as NodeSqliteModule;
  const db = new DatabaseSync(path, { readOnly: options.readonly });
  const statement = (sql: string): SqliteStatement => {
    const st = db.prepare(sql);
    return {
      reader: st.columns().length > 0,
      all: (params) => st.all(...params),
      run: (params) => st.run(...params),
      iterate: (params) => st.iterate(...params),
    };
  };
  return {
    driver: 'node:sqlite',
    database: { prepare: statement, close: () => db.close() },
    pragma(text) {
      const rows = db.prepare(`PRAGMA ${text}`).all();
      const first = rows[0];
      return first !== null && typeof first === 'object' ? Object.values(first)[0] : undefined;
    },
  };
}

function betterSqlite(path: string, options: SqliteOpenOptions): SqliteConnection {
  const Database = require('better-sqlite3') as BetterSqliteConstructor;
  const db = new Database(path, { readonly: options.readonly, fileMustExist: options.readonly });
  return { driver: 'better-sqlite3', database: db, pragma: (text) => db.pragma(text, { simple: true }) };
}

/** Open a SQLite file with the driver that is safe on this runtime. Throws what the driver throws. */
export function openSqlite(path: string, options: SqliteOpenOptions): SqliteConnection {
  return SQLITE_DRIVER === 'node:sqlite' ? nodeSqlite(path, options) : betterSqlite(path, options);
}
