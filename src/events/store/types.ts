/**
 * The event store's interface and the shapes its queries return (store/queries.ts implements it
 * over kysely for SQLite and PostgreSQL).
 */
import type { Dataset, GatewayEvent, KeyClass, SurfaceName, VerdictAction } from '../model.js';

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
  /** honeygate.client.id (`cfp_…`): one client program across addresses */
  readonly clientId?: string;
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
  /** request events per key fingerprint (the HITS column of `honeygate keys list`) */
  /** one page in time order after `cursor` (keyset paging on (ts, id): as fast on page 1000 as on page 1) */
  queryPage(filter: EventFilter, options: QueryOptions & { readonly cursor?: PageCursor }): Promise<EventPage>;
  /** distinct source addresses of matching events, at most `max` (a CIDR filter resolves through this) */
  sourceIps(filter: EventFilter, max: number): Promise<string[]>;
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
