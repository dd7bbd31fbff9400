/**
 * The event-store sink: batched INSERTs into the kysely event store (store/index.ts) — a batch is
 * written when `batch_size` events wait or `flush_interval` after the first one — and retention:
 * events older than `retention` are deleted at start and then every hour (or every retention/4 if
 * that is shorter, at least every minute), on an unref'd timer.
 */
import type { StoreSinkConfig } from '../config.js';
import type { GatewayEvent } from '../model.js';
import { eventRow, insertRowsOf, type EventStore } from '../store/index.js';
import type { EventRow } from '../store/schema.js';
import { errorText, QueuedSink, type MetricHandler, type SinkWriter, type WriteResult } from './queue.js';
import { eventJson } from './serialize.js';

export interface StoreSinkOptions {
  readonly store: EventStore;
  readonly config: StoreSinkConfig;
  readonly queueSize: number;
  readonly target: string;
  readonly onMetric?: MetricHandler | undefined;
  readonly now?: () => number;
}

class StoreWriter implements SinkWriter<GatewayEvent> {
  readonly #store: EventStore;
  readonly #insertRows: ((rows: readonly (EventRow)[]) => Promise<number>) | undefined;

  constructor(store: EventStore) {
    this.#store = store;
    this.#insertRows = insertRowsOf(store);
  }

  async write(batch: readonly GatewayEvent[]): Promise<WriteResult> {
    if (this.#insertRows === undefined) {
      await this.#store.insert(batch);
      return { written: batch.length, failed: 0 };
    }
    const rows: (EventRow)[] = [];
    let failed = 0;
    for (const event of batch) {
      try {
        rows.push(eventRow(event, eventJson(event)));
      } catch {
        failed++;
      }
    }
    try {
      await this.#insertRows(rows);
    } catch (e: unknown) {
      if (!isDataError(e) || rows.length === 1) throw e;
      // one bad row must not cost its batch: insert the rows one by one (bounded by batch_size)
      let written = 0;
      for (const row of rows) {
        try {
          await this.#insertRows([row]);
          written++;
        } catch {
          failed++;
        }
      }
      return { written, failed };
    }
    // an id already stored counts as written: the event is in the store
    return { written: rows.length, failed };
  }

  // the store itself is closed by createSinks after this sink has flushed
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** PostgreSQL SQLSTATE class 22 (data exception) or 23 (integrity): the data, not the connection. */
function isDataError(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code);
}

export interface StoreSink {
  readonly sink: QueuedSink<GatewayEvent>;
  /** run retention now (also runs on its timer); resolves to rows deleted */
  prune(): Promise<number>;
  /** stop the retention timer */
  stop(): void;
}

export function createStoreSink(options: StoreSinkOptions): StoreSink {
  const { store, config } = options;
  const now = options.now ?? Date.now;
  const sink = new QueuedSink<GatewayEvent>(new StoreWriter(store), {
    name: 'store',
    kind: `store:${store.driver}`,
    target: options.target,
    capacity: options.queueSize,
    batchSize: config.batch_size,
    lingerMs: config.flush_interval,
    onMetric: options.onMetric,
  });
  let pruning: Promise<number> | undefined;
  const prune = (): Promise<number> => {
    if (config.retention <= 0) return Promise.resolve(0);
    pruning ??= store
      .prune(now() - config.retention)
      .catch((e: unknown) => {
        sink.noteError(`retention: ${errorText(e)}`);
        return 0;
      })
      .finally(() => {
        pruning = undefined;
      });
    return pruning;
  };
  let timer: NodeJS.Timeout | undefined;
  let first: NodeJS.Timeout | undefined;
  if (config.retention > 0) {
    const every = Math.max(60_000, Math.min(3_600_000, Math.floor(config.retention / 4)));
    first = setTimeout(() => void prune(), 1000);
    first.unref();
    timer = setInterval(() => void prune(), every);
    timer.unref();
  }
  return {
    sink,
    prune,
    stop: () => {
      clearTimeout(first);
      clearInterval(timer);
    },
  };
}
