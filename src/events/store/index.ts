/**
 * The event store: one implementation over kysely that SQLite (better-sqlite3, or node:sqlite on
 * Node ≥ 24 — see sqlite.ts; WAL; the embedded
 * default at <events.dir>/events.db) and PostgreSQL (pg Pool; shared deployments) both run, and
 * one test suite runs against both (test/events/store.test.ts).
 *
 * Only portable SQL: integer epoch-ms timestamps, `count(distinct …)`, `sum(case … end)`, integer
 * division for time buckets, `on conflict (id) do nothing` (SQLite ≥ 3.24, PostgreSQL ≥ 9.5).
 * PostgreSQL returns bigint and count() as strings, so every number read passes through Number().
 *
 * better-sqlite3 is synchronous: an INSERT of one batch runs on the event loop (measured well
 * under a millisecond for 100 events), on the sink's worker, never on the publisher's stack.
 */
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  Kysely,
  Migrator,
  PostgresDialect,
  sql,
  SqliteDialect,
  WithSchemaPlugin,
  type Expression,
  type ExpressionBuilder,
  type SqlBool,
} from 'kysely';
import pg from 'pg';
import type { Dataset, GatewayEvent, KeyClass, SurfaceName, VerdictAction } from '../model.js';
import { openSqlite, type SqliteConnection } from './sqlite.js';
import {
  ensureSchema,
  EVENTS_TABLE,
  LATEST_MIGRATION,
  MIGRATION_LOCK_TABLE,
  MIGRATION_TABLE,
  migrationProvider,
  type EventRow,
  type EventsDatabase,
} from './schema.js';

export interface EventFilter {
  /** epoch ms, inclusive */
  readonly since?: number;
  /** epoch ms, exclusive */
  readonly until?: number;
  readonly dataset?: Dataset;
  readonly keyClass?: KeyClass;
  readonly campaign?: string;
  readonly placement?: string;
  readonly sourceIp?: string;
  readonly fingerprint?: string;
  readonly model?: string;
  readonly surface?: SurfaceName;
  readonly verdictAction?: VerdictAction;
  readonly verdictReason?: string;
  readonly status?: number;
  readonly toolUser?: string;
  readonly toolConversation?: string;
  /** any of these source addresses (a CIDR filter, resolved by the caller); empty: matches nothing */
  readonly sourceIps?: readonly string[];
  /** text in the prompt of lure traffic (case-insensitive substring; implies lure events) */
  readonly text?: string;
}

export interface QueryOptions {
  /** rows returned; default 100, at most MAX_LIMIT */
  readonly limit?: number;
  /** by time; default `desc` (newest first) */
  readonly order?: 'asc' | 'desc';
}

/** A position in a time-ordered listing: the page goes on strictly after it (keyset paging). */
export interface PageCursor {
  readonly ts: number;
  readonly id: string;
}

export interface EventPage {
  readonly events: GatewayEvent[];
  /** where the next page starts; absent on the last page */
  readonly next?: PageCursor;
}

export const MAX_LIMIT = 10_000;

export interface TopIp {
  readonly ip: string;
  readonly count: number;
  readonly lure: number;
  readonly blocked: number;
  /** distinct key fingerprints this address presented */
  readonly keys: number;
  readonly first: string;
  readonly last: string;
}

export interface TopCampaign {
  readonly campaign: string;
  readonly count: number;
  /** distinct source addresses */
  readonly ips: number;
  readonly first: string;
  readonly last: string;
  /** most used first */
  readonly placements: readonly { readonly placement: string | null; readonly count: number }[];
}

export interface TimelineBucket {
  /** ISO start of the bucket */
  readonly start: string;
  readonly count: number;
  readonly lure: number;
  readonly blocked: number;
}

export interface StoreStats {
  readonly total: number;
  readonly first: string | null;
  readonly last: string | null;
  readonly sourceIps: number;
  readonly campaigns: number;
  readonly byDataset: Readonly<Record<string, number>>;
  readonly byKeyClass: Readonly<Record<string, number>>;
  readonly byVerdict: Readonly<Record<string, number>>;
}

export type EventStoreDriver = 'sqlite' | 'postgres';

export interface EventStore {
  readonly driver: EventStoreDriver;
  /** insert a batch (duplicates by event id are ignored); returns rows inserted */
  insert(events: readonly GatewayEvent[]): Promise<number>;
  queryEvents(filter?: EventFilter, options?: QueryOptions): Promise<GatewayEvent[]>;
  topIps(filter?: EventFilter, limit?: number): Promise<TopIp[]>;
  topCampaigns(filter?: EventFilter, limit?: number): Promise<TopCampaign[]>;
  /** counts per time bucket of `bucketMs`, oldest first, empty buckets filled (at most MAX_BUCKETS) */
  timeline(bucketMs: number, filter?: EventFilter): Promise<TimelineBucket[]>;
  stats(filter?: EventFilter): Promise<StoreStats>;
  /** one page in time order after `cursor` (keyset paging on (ts, id): as fast on page 1000 as on page 1) */
  queryPage(filter: EventFilter, options: QueryOptions & { readonly cursor?: PageCursor }): Promise<EventPage>;
  /** distinct source addresses of matching events, at most `max` (a CIDR filter resolves through this) */
  sourceIps(filter: EventFilter, max: number): Promise<string[]>;
  /** request events per key fingerprint (the HITS column of `honeygate keys list`) */
  hitsByKey(filter?: EventFilter): Promise<Map<string, number>>;
  /** delete events older than `before` (epoch ms); returns rows deleted */
  prune(before: number): Promise<number>;
  close(): Promise<void>;
}

export const MAX_BUCKETS = 10_000;

export type OpenStoreOptions =
  | {
      readonly driver: 'sqlite';
      readonly path: string;
      /** open an existing database read-only, without migrating (the `events` command) */
      readonly readonly?: boolean;
    }
  | {
      readonly driver: 'postgres';
      readonly url: string;
      /** schema for the tables (created if missing); default: the search_path */
      readonly schema?: string;
      /** pool size; default 4 */
      readonly maxConnections?: number;
      /** only check that the tables exist; never migrate (the `events` command) */
      readonly readonly?: boolean;
    };

export class EventStoreError extends Error {
  override readonly name = 'EventStoreError';
}

/** Open (and migrate) a store. Throws EventStoreError when it cannot be opened or is not current. */
export async function openEventStore(options: OpenStoreOptions): Promise<EventStore> {
  let db: Kysely<EventsDatabase>;
  let schema: string | undefined;
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
  return new KyselyEventStore(db, options.driver);
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

/**
 * Column values are normalized: `model` and friends come from request bodies an attacker writes.
 * Capped at 256 characters, and NUL replaced by U+FFFD (PostgreSQL text cannot hold NUL: one such
 * value would fail its whole batch). Filters pass through the same function, so a query for the
 * original value finds the row. The `doc` JSON keeps the exact value (JSON escapes NUL as \u0000).
 */
const MAX_COLUMN = 256;
export function columnValue(value: string): string {
  const capped = value.length > MAX_COLUMN ? value.slice(0, MAX_COLUMN) : value;
  return capped.includes('\u0000') ? capped.replaceAll('\u0000', '\uFFFD') : capped;
}
function cap(value: string | undefined): string | null {
  return value === undefined ? null : columnValue(value);
}

export function eventRow(event: GatewayEvent, doc: string): EventRow {
  const parsed = Date.parse(event['@timestamp']);
  const h = event.honeygate;
  return {
    id: event.event.id,
    ts: Number.isFinite(parsed) ? parsed : Date.now(),
    dataset: event.event.dataset,
    kind: event.event.kind,
    action: columnValue(event.event.action),
    outcome: event.event.outcome,
    key_class: h.key?.class ?? null,
    key_fingerprint: cap(h.key?.fingerprint),
    campaign: cap(h.key?.campaign),
    placement: cap(h.key?.placement),
    source_ip: cap(event.source?.ip),
    model: cap(h.model),
    surface: h.surface ?? null,
    verdict_action: h.verdict?.action ?? null,
    verdict_reason: cap(h.verdict?.reason),
    status: event.http?.response.status_code ?? null,
    tool_user: cap(h.tool?.user),
    tool_conversation: cap(h.tool?.conversation),
    doc,
  };
}

type Eb = ExpressionBuilder<EventsDatabase, typeof EVENTS_TABLE>;

/** `%text%` for LIKE, with the wildcards of `text` escaped by backslash */
function likePattern(text: string): string {
  return `%${columnValue(text).replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function conditions(eb: Eb, f: EventFilter, driver: EventStoreDriver = 'sqlite'): Expression<SqlBool> {
  const list: Expression<SqlBool>[] = [];
  if (f.sourceIps !== undefined) {
    list.push(f.sourceIps.length === 0 ? sql<SqlBool>`1 = 0` : eb('source_ip', 'in', f.sourceIps.map(columnValue)));
  }
  if (f.text !== undefined) {
    // prompts are recorded on lure traffic only: the key_class index narrows the scan first
    list.push(eb('key_class', '=', 'lure'));
    const pattern = likePattern(f.text);
    list.push(
      driver === 'postgres'
        ? sql<SqlBool>`((${sql.ref('doc')})::json -> 'honeygate' -> 'lure' ->> 'prompt') ilike ${pattern} escape '\\'`
        : sql<SqlBool>`json_extract(${sql.ref('doc')}, '$.honeygate.lure.prompt') like ${pattern} escape '\\'`,
    );
  }
  if (f.since !== undefined) list.push(eb('ts', '>=', Math.floor(f.since)));
  if (f.until !== undefined) list.push(eb('ts', '<', Math.floor(f.until)));
  if (f.dataset !== undefined) list.push(eb('dataset', '=', f.dataset));
  if (f.keyClass !== undefined) list.push(eb('key_class', '=', f.keyClass));
  if (f.campaign !== undefined) list.push(eb('campaign', '=', columnValue(f.campaign)));
  if (f.placement !== undefined) list.push(eb('placement', '=', columnValue(f.placement)));
  if (f.sourceIp !== undefined) list.push(eb('source_ip', '=', columnValue(f.sourceIp)));
  if (f.fingerprint !== undefined) list.push(eb('key_fingerprint', '=', columnValue(f.fingerprint)));
  if (f.model !== undefined) list.push(eb('model', '=', columnValue(f.model)));
  if (f.surface !== undefined) list.push(eb('surface', '=', f.surface));
  if (f.verdictAction !== undefined) list.push(eb('verdict_action', '=', f.verdictAction));
  if (f.verdictReason !== undefined) list.push(eb('verdict_reason', '=', columnValue(f.verdictReason)));
  if (f.status !== undefined) list.push(eb('status', '=', f.status));
  if (f.toolUser !== undefined) list.push(eb('tool_user', '=', columnValue(f.toolUser)));
  if (f.toolConversation !== undefined) list.push(eb('tool_conversation', '=', columnValue(f.toolConversation)));
  return eb.and(list);
}

const LURE = sql<number | string>`sum(case when ${sql.ref('key_class')} = 'lure' then 1 else 0 end)`;
const BLOCKED = sql<number | string>`sum(case when ${sql.ref('verdict_action')} = 'block' then 1 else 0 end)`;

function iso(ms: number | string | null | undefined): string {
  return new Date(Number(ms ?? 0)).toISOString();
}

function clampLimit(limit: number | undefined, fallback: number): number {
  if (limit === undefined || !Number.isFinite(limit)) return fallback;
  return Math.max(1, Math.min(MAX_LIMIT, Math.floor(limit)));
}

const INSERT_CHUNK = 500;

class KyselyEventStore implements EventStore {
  readonly driver: EventStoreDriver;
  readonly #db: Kysely<EventsDatabase>;
  #closed = false;

  constructor(db: Kysely<EventsDatabase>, driver: EventStoreDriver) {
    this.#db = db;
    this.driver = driver;
  }

  async insert(events: readonly GatewayEvent[]): Promise<number> {
    return this.insertRows(events.map((e) => eventRow(e, JSON.stringify(e))));
  }

  /** insert prepared rows (the sink serializes with the shared cache) */
  async insertRows(rows: readonly (EventRow)[]): Promise<number> {
    if (rows.length === 0) return 0;
    let inserted = 0;
    await this.#db.transaction().execute(async (tx) => {
      for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
        const result = await tx
          .insertInto(EVENTS_TABLE)
          .values(rows.slice(i, i + INSERT_CHUNK))
          .onConflict((oc) => oc.column('id').doNothing())
          .executeTakeFirst();
        inserted += Number(result.numInsertedOrUpdatedRows ?? 0n);
      }
    });
    return inserted;
  }

  async queryEvents(filter: EventFilter = {}, options: QueryOptions = {}): Promise<GatewayEvent[]> {
    const order = options.order === 'asc' ? 'asc' : 'desc';
    const rows = await this.#db
      .selectFrom(EVENTS_TABLE)
      .select('doc')
      .where((eb) => conditions(eb, filter, this.driver))
      .orderBy('ts', order)
      .orderBy('id', order)
      .limit(clampLimit(options.limit, 100))
      .execute();
    return rows.map((r) => JSON.parse(r.doc) as GatewayEvent);
  }

  async queryPage(filter: EventFilter, options: QueryOptions & { readonly cursor?: PageCursor }): Promise<EventPage> {
    const order = options.order === 'asc' ? 'asc' : 'desc';
    const limit = clampLimit(options.limit, 100);
    const cursor = options.cursor;
    const rows = await this.#db
      .selectFrom(EVENTS_TABLE)
      .select(['ts', 'id', 'doc'])
      .where((eb) => {
        const base = conditions(eb, filter, this.driver);
        if (cursor === undefined) return base;
        const op = order === 'desc' ? '<' : '>';
        const ts = Math.floor(cursor.ts);
        return eb.and([base, eb.or([eb('ts', op, ts), eb.and([eb('ts', '=', ts), eb('id', op, cursor.id)])])]);
      })
      .orderBy('ts', order)
      .orderBy('id', order)
      .limit(limit + 1)
      .execute();
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      events: page.map((r) => JSON.parse(r.doc) as GatewayEvent),
      ...(rows.length > limit && last !== undefined ? { next: { ts: Number(last.ts), id: last.id } } : {}),
    };
  }

  async sourceIps(filter: EventFilter, max: number): Promise<string[]> {
    const rows = await this.#db
      .selectFrom(EVENTS_TABLE)
      .select('source_ip')
      .distinct()
      .where((eb) => eb.and([conditions(eb, filter, this.driver), eb('source_ip', 'is not', null)]))
      .limit(Math.max(1, Math.floor(max)))
      .execute();
    return rows.map((r) => r.source_ip ?? '').filter((ip) => ip !== '');
  }

  async topIps(filter: EventFilter = {}, limit?: number): Promise<TopIp[]> {
    const rows = await this.#db
      .selectFrom(EVENTS_TABLE)
      .select((eb) => [
        'source_ip',
        eb.fn.countAll<number | string>().as('count'),
        LURE.as('lure'),
        BLOCKED.as('blocked'),
        eb.fn.count<number | string>('key_fingerprint').distinct().as('keys'),
        eb.fn.min('ts').as('first'),
        eb.fn.max('ts').as('last'),
      ])
      .where((eb) => eb.and([conditions(eb, filter, this.driver), eb('source_ip', 'is not', null)]))
      .groupBy('source_ip')
      .orderBy('count', 'desc')
      .orderBy('source_ip', 'asc')
      .limit(clampLimit(limit, 10))
      .execute();
    return rows.map((r) => ({
      ip: r.source_ip ?? '',
      count: Number(r.count),
      lure: Number(r.lure ?? 0),
      blocked: Number(r.blocked ?? 0),
      keys: Number(r.keys),
      first: iso(r.first),
      last: iso(r.last),
    }));
  }

  async topCampaigns(filter: EventFilter = {}, limit?: number): Promise<TopCampaign[]> {
    const rows = await this.#db
      .selectFrom(EVENTS_TABLE)
      .select((eb) => [
        'campaign',
        eb.fn.countAll<number | string>().as('count'),
        eb.fn.count<number | string>('source_ip').distinct().as('ips'),
        eb.fn.min('ts').as('first'),
        eb.fn.max('ts').as('last'),
      ])
      .where((eb) => eb.and([conditions(eb, filter, this.driver), eb('campaign', 'is not', null)]))
      .groupBy('campaign')
      .orderBy('count', 'desc')
      .orderBy('campaign', 'asc')
      .limit(clampLimit(limit, 10))
      .execute();
    const names = rows.map((r) => r.campaign).filter((c): c is string => c !== null);
    if (names.length === 0) return [];
    const placements = await this.#db
      .selectFrom(EVENTS_TABLE)
      .select((eb) => ['campaign', 'placement', eb.fn.countAll<number | string>().as('count')])
      .where((eb) => eb.and([conditions(eb, filter, this.driver), eb('campaign', 'in', names)]))
      .groupBy(['campaign', 'placement'])
      .execute();
    return rows.map((r) => ({
      campaign: r.campaign ?? '',
      count: Number(r.count),
      ips: Number(r.ips),
      first: iso(r.first),
      last: iso(r.last),
      placements: placements
        .filter((p) => p.campaign === r.campaign)
        .map((p) => ({ placement: p.placement, count: Number(p.count) }))
        .sort((a, b) => b.count - a.count || (a.placement ?? '').localeCompare(b.placement ?? '')),
    }));
  }

  async hitsByKey(filter: EventFilter = {}): Promise<Map<string, number>> {
    const rows = await this.#db
      .selectFrom(EVENTS_TABLE)
      .select((eb) => ['key_fingerprint', eb.fn.countAll<number | string>().as('count')])
      .where((eb) => eb.and([conditions(eb, { dataset: 'honeygate.request', ...filter }, this.driver), eb('key_fingerprint', 'is not', null)]))
      .groupBy('key_fingerprint')
      .execute();
    return new Map(rows.map((r) => [r.key_fingerprint ?? '', Number(r.count)]));
  }

  async timeline(bucketMs: number, filter: EventFilter = {}): Promise<TimelineBucket[]> {
    if (!Number.isInteger(bucketMs) || bucketMs < 1000) throw new RangeError('bucket must be a whole number of ms, at least 1000');
    // integer division in both databases; the bucket is a literal (validated integer), not a parameter
    const bucket = sql<number | string>`(${sql.ref('ts')} / ${sql.lit(bucketMs)}) * ${sql.lit(bucketMs)}`;
    const rows = await this.#db
      .selectFrom(EVENTS_TABLE)
      .select((eb) => [bucket.as('bucket'), eb.fn.countAll<number | string>().as('count'), LURE.as('lure'), BLOCKED.as('blocked')])
      .where((eb) => conditions(eb, filter, this.driver))
      .groupBy(bucket)
      .orderBy(bucket)
      .execute();
    const found = new Map(rows.map((r) => [Number(r.bucket), r]));
    const first = rows[0];
    const last = rows.at(-1);
    if (first === undefined || last === undefined) return [];
    const out: TimelineBucket[] = [];
    for (let start = Number(first.bucket); start <= Number(last.bucket) && out.length < MAX_BUCKETS; start += bucketMs) {
      const r = found.get(start);
      out.push({
        start: iso(start),
        count: Number(r?.count ?? 0),
        lure: Number(r?.lure ?? 0),
        blocked: Number(r?.blocked ?? 0),
      });
    }
    return out;
  }

  async stats(filter: EventFilter = {}): Promise<StoreStats> {
    const totals = await this.#db
      .selectFrom(EVENTS_TABLE)
      .select((eb) => [
        eb.fn.countAll<number | string>().as('total'),
        eb.fn.min('ts').as('first'),
        eb.fn.max('ts').as('last'),
        eb.fn.count<number | string>('source_ip').distinct().as('ips'),
        eb.fn.count<number | string>('campaign').distinct().as('campaigns'),
      ])
      .where((eb) => conditions(eb, filter, this.driver))
      .executeTakeFirst();
    const by = async (column: 'dataset' | 'key_class' | 'verdict_action'): Promise<Record<string, number>> => {
      const rows = await this.#db
        .selectFrom(EVENTS_TABLE)
        .select((eb) => [sql.ref<string | null>(column).as('value'), eb.fn.countAll<number | string>().as('count')])
        .where((eb) => conditions(eb, filter, this.driver))
        .groupBy(column)
        .execute();
      const out: Record<string, number> = {};
      for (const r of rows) out[r.value ?? 'none'] = Number(r.count);
      return out;
    };
    const total = Number(totals?.total ?? 0);
    return {
      total,
      first: total > 0 ? iso(totals?.first) : null,
      last: total > 0 ? iso(totals?.last) : null,
      sourceIps: Number(totals?.ips ?? 0),
      campaigns: Number(totals?.campaigns ?? 0),
      byDataset: await by('dataset'),
      byKeyClass: await by('key_class'),
      byVerdict: await by('verdict_action'),
    };
  }

  async prune(before: number): Promise<number> {
    let deleted = 0;
    // in chunks, so a large backlog never holds one long write lock
    for (let round = 0; round < 10_000; round++) {
      const result = await this.#db
        .deleteFrom(EVENTS_TABLE)
        .where('id', 'in', (eb) => eb.selectFrom(EVENTS_TABLE).select('id').where('ts', '<', Math.floor(before)).limit(5000))
        .executeTakeFirst();
      const n = Number(result.numDeletedRows);
      deleted += n;
      if (n < 5000) break;
    }
    return deleted;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#db.destroy();
  }
}

/** For the sink: insert rows prepared with the shared JSON cache, if the store supports it. */
export function insertRowsOf(store: EventStore): ((rows: readonly (EventRow)[]) => Promise<number>) | undefined {
  return store instanceof KyselyEventStore ? (rows) => store.insertRows(rows) : undefined;
}
