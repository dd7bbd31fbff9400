/**
 * The event store over kysely: one implementation that SQLite and PostgreSQL both run, and one
 * test suite runs against both (test/events/store.test.ts).
 *
 * Only portable SQL in queries: integer epoch-ms timestamps, `count(distinct …)`, `sum(case …
 * end)`, integer division for time buckets. PostgreSQL returns bigint and count() as strings, so
 * every number read passes through Number().
 *
 * Inserts are batched per driver (insert.ts): SQLite runs one prepared INSERT per row inside one
 * transaction (on the events worker: better-sqlite3 is synchronous); PostgreSQL inserts a batch in
 * one statement over unnest() arrays, whose text is the same for any batch size.
 */
import { sql, type Expression, type ExpressionBuilder, type Kysely, type SqlBool } from 'kysely';
import type { GatewayEvent } from '../model.js';
import { postgresInsert, sqliteInsert, type RowInserter } from './insert.js';
import { columnValue, eventRow } from './rows.js';
import { EVENTS_TABLE, type EventRow, type EventsDatabase } from './schema.js';
import type { SqliteConnection } from './sqlite.js';
import {
  MAX_BUCKETS,
  MAX_LIMIT,
  type EventFilter,
  type EventPage,
  type EventStore,
  type EventStoreDriver,
  type PageCursor,
  type QueryOptions,
  type StoreStats,
  type TimelineBucket,
  type TopCampaign,
  type TopIp,
} from './types.js';

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
  if (f.clientId !== undefined) list.push(eb('client_id', '=', columnValue(f.clientId)));
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

export class KyselyEventStore implements EventStore {
  readonly driver: EventStoreDriver;
  readonly #db: Kysely<EventsDatabase>;
  readonly #insert: RowInserter;
  #closed = false;

  constructor(db: Kysely<EventsDatabase>, driver: EventStoreDriver, access: { readonly sqlite: SqliteConnection } | { readonly schema: string | undefined }) {
    this.#db = db;
    this.driver = driver;
    this.#insert = 'sqlite' in access ? sqliteInsert(access.sqlite) : postgresInsert(db, access.schema);
  }

  async insert(events: readonly GatewayEvent[]): Promise<number> {
    return this.insertRows(events.map((e) => eventRow(e, JSON.stringify(e))));
  }

  /** insert prepared rows (the sink serializes with the shared cache); duplicates by id are ignored */
  insertRows(rows: readonly EventRow[]): Promise<number> {
    if (rows.length === 0) return Promise.resolve(0);
    return this.#insert(rows);
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
