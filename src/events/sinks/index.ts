/**
 * Assembly of the event sinks (issue 6): one bounded queue per sink (queue.ts), each subscribed to
 * the gateway's EventBus with a listener that only enqueues. `stats()` reports each sink's counters.
 *
 * `close()` runs in two phases within `closeTimeoutMs`: first the webhooks (up to half the time),
 * while the JSONL, store and syslog sinks still listen — a webhook that disables itself while
 * flushing publishes a `honeygate.system` event, and that event is still recorded — then the rest.
 */
import { join } from 'node:path';
import type { EventBus } from '../bus.js';
import type { EventsConfig } from '../config.js';
import type { GatewayEvent } from '../model.js';
import { openEventStore, redactUrl, type EventStore } from '../store/index.js';
import { createJsonlSink } from './jsonl.js';
import { createNatsSink } from './nats.js';
import type { MetricHandler, QueuedSink, SinkStats } from './queue.js';
import { createStoreSink } from './store.js';
import { createSyslogSink } from './syslog.js';
import { createWebhookSink } from './webhook.js';

export type { MetricHandler, SinkMetric, SinkStats } from './queue.js';
export type { EventFilter, EventStore, QueryOptions, StoreStats, TimelineBucket, TopCampaign, TopIp } from '../store/index.js';

export interface SinksOptions {
  /** counter increments (Prometheus); `dropped` is reported on the publisher's stack: keep it O(1) */
  readonly onMetric?: MetricHandler;
  /** how long close() waits for sinks to flush before counting the rest as failed; default 10 s */
  readonly closeTimeoutMs?: number;
  /** product version for CEF headers; default: package.json */
  readonly version?: string;
  /** clock for JSONL age rotation, store retention and webhook throttling (tests) */
  readonly now?: () => number;
  /**
   * where the webhooks subscribe, when not on `bus` (the events worker: a lure's alert leaves early
   * on this bus, its final event only on `bus`)
   */
  readonly alerts?: EventBus;
  /** where a sink's own system events go (a webhook disabling itself); default `bus.publish` */
  readonly publish?: (event: GatewayEvent) => void;
}

export interface Sinks {
  /** unsubscribe from the bus, flush every sink, release files and sockets */
  close(): Promise<void>;
  /** per sink: name, queued, dropped, written, failed, disabled */
  stats(): SinkStats[];
  /** resolve when every event offered so far has been written (or failed) */
  flush(): Promise<void>;
  /** the event store (queries for the admin API and the `events` command), when configured */
  readonly store?: EventStore;
}

interface Running {
  /** closed first, while the others still listen (webhooks publish system events) */
  readonly early?: boolean;
  readonly sink: { stats(): SinkStats; flush(): Promise<void>; close(timeoutMs: number): Promise<void> };
  readonly unsubscribe: () => void;
  /** after the sink has closed (store: stop retention, close the database) */
  readonly after?: () => Promise<void>;
}

function subscribe(bus: EventBus, sink: QueuedSink<GatewayEvent>): Running {
  return { sink, unsubscribe: bus.subscribe((event) => void sink.offer(event)) };
}

/**
 * Start every configured sink and subscribe it to `bus`. Rejects (with nothing left open) when the
 * event store cannot be opened or migrated: a wrong URL is found at start, not at the first event.
 */
export async function createSinks(config: EventsConfig, bus: EventBus, options: SinksOptions = {}): Promise<Sinks> {
  const running: Running[] = [];
  let store: EventStore | undefined;
  if (config.store.driver !== 'none') {
    const target =
      config.store.driver === 'sqlite' ? (config.store.url ?? join(config.dir, 'events.db')) : redactUrl(config.store.url ?? '');
    store =
      config.store.driver === 'sqlite'
        ? await openEventStore({ driver: 'sqlite', path: target })
        : await openEventStore({
            driver: 'postgres',
            url: config.store.url ?? '',
            ...(config.store.schema !== undefined ? { schema: config.store.schema } : {}),
          });
    const opened = store;
    const { sink, stop } = createStoreSink({
      store: opened,
      config: config.store,
      queueSize: config.store.queue_size ?? config.queue_size,
      target,
      onMetric: options.onMetric,
      ...(options.now !== undefined ? { now: options.now } : {}),
    });
    running.push({
      ...subscribe(bus, sink),
      after: async () => {
        stop();
        await opened.close();
      },
    });
  }
  if (config.jsonl.enabled) {
    const { sink } = createJsonlSink({
      path: config.jsonl.path ?? join(config.dir, 'events.jsonl'),
      config: config.jsonl,
      queueSize: config.jsonl.queue_size ?? config.queue_size,
      onMetric: options.onMetric,
      ...(options.now !== undefined ? { now: options.now } : {}),
    });
    running.push(subscribe(bus, sink));
  }
  for (const [index, syslog] of config.syslog.entries()) {
    const sink = createSyslogSink({
      index,
      config: syslog,
      queueSize: syslog.queue_size ?? config.queue_size,
      onMetric: options.onMetric,
      ...(options.version !== undefined ? { version: options.version } : {}),
    });
    running.push(subscribe(bus, sink));
  }
  for (const [index, webhook] of config.webhooks.entries()) {
    const { sink, listener } = createWebhookSink({
      index,
      config: webhook,
      queueSize: webhook.queue_size ?? config.queue_size,
      publish: options.publish ?? ((event) => bus.publish(event)),
      onMetric: options.onMetric,
      ...(options.version !== undefined ? { version: options.version } : {}),
      ...(options.now !== undefined ? { now: options.now } : {}),
    });
    running.push({ early: true, sink, unsubscribe: (options.alerts ?? bus).subscribe(listener) });
  }
  if (config.nats !== undefined) {
    const sink = createNatsSink({ config: config.nats, queueSize: config.nats.queue_size ?? config.queue_size, onMetric: options.onMetric });
    running.push(subscribe(bus, sink));
  }
  let closing: Promise<void> | undefined;
  return {
    ...(store !== undefined ? { store } : {}),
    stats: () => running.map((r) => r.sink.stats()),
    flush: async () => {
      await Promise.all(running.map((r) => r.sink.flush()));
    },
    close: () => {
      closing ??= (async () => {
        const timeout = options.closeTimeoutMs ?? 10_000;
        const started = Date.now();
        const phase = async (group: Running[], ms: number): Promise<void> => {
          for (const r of group) r.unsubscribe();
          await Promise.all(
            group.map(async (r) => {
              await r.sink.close(Math.max(1, ms));
              await r.after?.();
            }),
          );
        };
        await phase(running.filter((r) => r.early === true), timeout / 2);
        await phase(running.filter((r) => r.early !== true), timeout - (Date.now() - started));
      })();
      return closing;
    },
  };
}
