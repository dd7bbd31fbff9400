/**
 * The event store: its interface (types.ts), opening and migrating it (open.ts), rows (rows.ts),
 * queries over kysely (queries.ts), batched inserts per driver (insert.ts), tables and migrations
 * (schema.ts), the SQLite driver by runtime (sqlite.ts).
 */
export { columnValue, eventRow } from './rows.js';
export { insertRowsOf } from './queries.js';
export { openEventStore, redactUrl } from './open.js';
export {
  EventStoreError,
  MAX_BUCKETS,
  MAX_LIMIT,
  type EventFilter,
  type EventPage,
  type EventStore,
  type EventStoreDriver,
  type OpenStoreOptions,
  type PageCursor,
  type QueryOptions,
  type StoreStats,
  type TimelineBucket,
  type TopCampaign,
  type TopIp,
} from './types.js';
