/**
 * The request thread's side of the events worker: a consumer on the gateway's bus that appends
 * each request's compact record to a flat array and posts that array (every few ms, or at once when
 * a batch is full) to a `node:worker_threads` worker, which builds the ECS events and owns every
 * sink (the sink factory, sinks/index.ts, runs there unchanged).
 *
 * Bounded: at most `capacity` events are in flight (taken by this thread, not yet taken by the
 * worker — the worker counts what it took in a shared Int32). Beyond that a record is dropped and
 * counted (`dropped` of the pseudo-sink `events-worker`, hence `honeygate_sink_dropped_total`);
 * the request thread never waits and never queues without bound.
 *
 * A worker that dies is reported (stderr and an `events:worker_restarted` system event) and
 * restarted after a backoff (50 ms doubling to 5 s, reset after 30 s of life); the events in flight
 * to it are counted as `failed`. `close()` posts what is pending, lets the worker flush and close
 * its sinks, and waits for it to exit.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { EventBus, EventConsumer } from '../bus.js';
import { buildSystemEvent } from '../build.js';
import type { EventsConfig } from '../config.js';
import type { GatewayEvent, KeyInfo } from '../model.js';
import type { RequestRecord } from '../record.js';
import type { SinkStats } from '../sinks/queue.js';
import { openEventStore, type EventStore } from '../store/index.js';
import type { Sinks } from '../sinks/index.js';
import { encodeRecord, type FromWorker, type ToWorker, type WorkerInit } from './protocol.js';

export interface EventsWorkerOptions {
  /** events in flight to the worker before new ones are dropped; default events.worker.queue_size */
  readonly capacity?: number;
  /** how long close() waits for the worker to flush its sinks; default 10 s */
  readonly closeTimeoutMs?: number;
  /** product version for CEF headers */
  readonly version?: string;
  /** how often the worker reports its sinks' counters; default 1 s */
  readonly statsIntervalMs?: number;
  /** report a worker's death (default: process.emitWarning) */
  readonly onCrash?: (message: string) => void;
}

export interface EventsWorkerHandle extends Sinks {
  /** the worker thread now (tests terminate it to see the restart) */
  readonly worker: Worker | undefined;
  /** restarts so far */
  readonly restarts: number;
  /** resolves when a worker has opened its sinks (the start does not wait for it) */
  ready(): Promise<void>;
}

/** The compiled worker entry: next to this module in dist/, or dist/ itself when running from src/ (tests). */
function workerEntry(): URL {
  const here = new URL('./thread.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  const dist = new URL('../../../dist/events/worker/thread.js', import.meta.url);
  if (existsSync(fileURLToPath(dist))) return dist;
  throw new Error(`events worker entry not found (${fileURLToPath(here)}); build with tsc first`);
}

/**
 * Records are posted at most `POST_WINDOW_MS` after the first of a batch, or at once when
 * `POST_BATCH` are pending. Under load most requests end in a turn of their own, so a post per turn
 * was a post per request (~7 µs each, 9% of the reject path's CPU, issue 19); a window of a few ms
 * gathers 10–30 records per post (~1 µs each). An alert still leaves within milliseconds.
 */
const POST_WINDOW_MS = 2;
const POST_BATCH = 256;

const WORKER_STATS = (name: string): SinkStats => ({ name, kind: 'events-worker', target: 'thread', queued: 0, dropped: 0, written: 0, failed: 0, disabled: false });

class EventsWorker implements EventConsumer {
  readonly #config: EventsConfig;
  readonly #options: EventsWorkerOptions;
  readonly #capacity: number;
  readonly #entry: URL;
  #worker: Worker | undefined;
  #done = new Int32Array(new SharedArrayBuffer(4));
  /** events posted to this incarnation of the worker (wraps like #done) */
  #sent = 0;
  #records: unknown[] = [];
  #pendingRecords = 0;
  #events: GatewayEvent[] = [];
  #keys: unknown[] = [];
  #keyIds = new WeakMap<KeyInfo, number>();
  #nextKey = 0;
  #scheduled = false;
  #timer: NodeJS.Timeout | undefined;
  #closing = false;
  #dropped = 0;
  #failed = 0;
  #taken = 0;
  #restarts = 0;
  #backoffMs = 50;
  #startedAt = 0;
  #restartTimer: NodeJS.Timeout | undefined;
  #sinkStats: SinkStats[] = [];
  #flushSeq = 0;
  #flushWaiters = new Map<number, () => void>();
  #closed: ((stats: SinkStats[]) => void) | undefined;
  #readyWaiters: (() => void)[] = [];
  #isReady = false;
  /** events this thread received from the worker (not sent back to it) */
  readonly #fromWorker = new WeakSet<GatewayEvent>();
  readonly #bus: EventBus;
  readonly early: ((rec: RequestRecord) => void) | undefined;

  constructor(config: EventsConfig, bus: EventBus, options: EventsWorkerOptions) {
    this.#config = config;
    this.#options = options;
    this.#bus = bus;
    this.#capacity = options.capacity ?? config.worker.queue_size;
    this.#entry = workerEntry();
    // early alerts go to the worker only when it has webhooks to send them
    this.early = config.webhooks.length > 0 ? (rec) => this.#offerRecord(rec) : undefined;
  }

  get worker(): Worker | undefined {
    return this.#worker;
  }

  get restarts(): number {
    return this.#restarts;
  }

  ready(): Promise<void> {
    return this.#isReady ? Promise.resolve() : new Promise((resolve) => this.#readyWaiters.push(resolve));
  }

  /**
   * Start the worker. Not awaited: the gateway serves while the worker loads and opens its sinks
   * (what ends meanwhile waits in the worker, within the same bound); a worker that cannot start
   * is reported and retried like one that dies.
   */
  start(): void {
    this.#spawn();
  }

  record(rec: RequestRecord): void {
    this.#offerRecord(rec);
  }

  event(event: GatewayEvent): void {
    if (this.#fromWorker.has(event)) return;
    if (this.#closing || this.#inFlight() >= this.#capacity) {
      this.#dropped++;
      return;
    }
    this.#events.push(event);
    this.#schedule();
  }

  #inFlight(): number {
    return ((this.#sent - Atomics.load(this.#done, 0)) | 0) + this.#pendingRecords + this.#events.length;
  }

  #offerRecord(rec: RequestRecord): void {
    if (this.#closing || this.#inFlight() >= this.#capacity) {
      this.#dropped++;
      return;
    }
    const info = rec.key;
    let key: number | KeyInfo = info;
    if (Object.isFrozen(info)) {
      let id = this.#keyIds.get(info);
      if (id === undefined) {
        id = this.#nextKey++;
        this.#keyIds.set(info, id);
        this.#keys.push(id, info);
      }
      key = id;
    }
    encodeRecord(rec, key, this.#records);
    this.#pendingRecords++;
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled) {
      // a full batch leaves at once (bounds the array, and the delay under a flood)
      if (this.#pendingRecords + this.#events.length >= POST_BATCH) this.#post();
      return;
    }
    this.#scheduled = true;
    this.#timer = setTimeout(this.#postLater, POST_WINDOW_MS);
  }

  readonly #postLater = (): void => {
    this.#timer = undefined;
    this.#post();
  };

  #post(): void {
    this.#scheduled = false;
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const worker = this.#worker;
    if (worker === undefined) return; // restarting: kept (bounded by capacity) until the next worker runs
    const n = this.#pendingRecords + this.#events.length;
    if (n === 0) return;
    const message: ToWorker = {
      type: 'batch',
      r: this.#records,
      k: this.#keys.length > 0 ? this.#keys : undefined,
      e: this.#events.length > 0 ? this.#events : undefined,
    };
    this.#records = [];
    this.#keys = [];
    this.#events = [];
    this.#pendingRecords = 0;
    this.#sent = (this.#sent + n) | 0;
    this.#taken += n;
    worker.postMessage(message);
  }

  #spawn(): void {
    const init: WorkerInit = {
      config: this.#config,
      done: this.#done.buffer as SharedArrayBuffer,
      closeTimeoutMs: this.#options.closeTimeoutMs ?? 10_000,
      statsIntervalMs: this.#options.statsIntervalMs ?? 1000,
      ...(this.#options.version !== undefined ? { version: this.#options.version } : {}),
    };
    const worker = new Worker(this.#entry, { workerData: init, name: 'honeygate-events' });
    this.#isReady = false;
    this.#worker = worker;
    this.#startedAt = Date.now();
    let fatal: string | undefined;
    worker.on('message', (m: FromWorker) => {
      switch (m.type) {
        case 'ready':
          this.#isReady = true;
          for (const wake of this.#readyWaiters.splice(0)) wake();
          return;
        case 'fatal':
          fatal = m.message;
          return;
        case 'stats':
          this.#sinkStats = m.stats;
          return;
        case 'flushed':
          this.#sinkStats = m.stats;
          this.#flushWaiters.get(m.seq)?.();
          this.#flushWaiters.delete(m.seq);
          return;
        case 'closed':
          this.#sinkStats = m.stats;
          this.#closed?.(m.stats);
          return;
        case 'event':
          this.#fromWorker.add(m.event);
          this.#bus.publish(m.event);
          return;
      }
    });
    worker.on('error', (e: Error) => {
      fatal ??= e.message;
    });
    worker.on('exit', (code) => {
      if (this.#worker !== worker) return;
      this.#worker = undefined;
      if (this.#closing) {
        this.#closed?.(this.#sinkStats);
        return;
      }
      this.#restart(fatal ?? `exit code ${code}`);
    });
    // what accumulated while no worker ran (the worker holds what arrives while its sinks open)
    if (this.#pendingRecords + this.#events.length > 0) this.#schedule();
  }

  #restart(reason: string): void {
    const lost = (this.#sent - Atomics.load(this.#done, 0)) | 0;
    this.#failed += lost;
    this.#sent = 0;
    this.#done = new Int32Array(new SharedArrayBuffer(4));
    this.#keyIds = new WeakMap();
    this.#keys = [];
    if (Date.now() - this.#startedAt > 30_000) this.#backoffMs = 50;
    const delay = this.#backoffMs;
    this.#backoffMs = Math.min(5000, this.#backoffMs * 2);
    this.#restarts++;
    for (const wake of this.#flushWaiters.values()) wake();
    this.#flushWaiters.clear();
    const message = `events worker stopped (${reason.slice(0, 300)}); ${lost} event(s) in flight lost; restarting in ${delay} ms`;
    (this.#options.onCrash ?? ((text: string) => process.emitWarning(`honeygate: ${text}`)))(message);
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      if (this.#closing) return;
      this.#spawn();
      this.#bus.publish(buildSystemEvent('events', 'events:worker_restarted', message, 'failure'));
    }, delay);
  }

  stats(): SinkStats[] {
    const own: SinkStats = {
      ...WORKER_STATS('events-worker'),
      queued: Math.max(0, this.#inFlight()),
      dropped: this.#dropped,
      written: this.#taken - this.#failed,
      failed: this.#failed,
      disabled: this.#worker === undefined && !this.#closing,
    };
    return [own, ...this.#sinkStats];
  }

  /** Post what is pending and resolve when the worker's sinks have written everything so far. */
  flush(): Promise<void> {
    this.#post();
    const worker = this.#worker;
    if (worker === undefined) return Promise.resolve();
    const seq = ++this.#flushSeq;
    return new Promise<void>((resolve) => {
      this.#flushWaiters.set(seq, resolve);
      worker.postMessage({ type: 'flush', seq } satisfies ToWorker);
    });
  }

  async close(): Promise<void> {
    if (this.#closing) return;
    this.#post();
    this.#closing = true;
    clearTimeout(this.#restartTimer);
    const worker = this.#worker;
    if (worker === undefined) return;
    const timeoutMs = this.#options.closeTimeoutMs ?? 10_000;
    const closed = new Promise<void>((resolve) => {
      this.#closed = () => resolve();
    });
    worker.postMessage({ type: 'close', timeoutMs } satisfies ToWorker);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), timeoutMs + 2000);
    });
    const outcome = await Promise.race([closed.then(() => 'closed' as const), late]);
    clearTimeout(timer);
    if (outcome === 'late') this.#failed += (this.#sent - Atomics.load(this.#done, 0)) | 0;
    await worker.terminate().catch(() => undefined);
    this.#worker = undefined;
  }
}

/**
 * Start the events worker with every configured sink, attached to `bus`. The event store is also
 * opened here, on the request thread, for queries (admin API, `events` command) and to find a
 * wrong URL at start (rejecting then); the worker opens its own connection for writing (SQLite in
 * WAL mode lets one writer and readers work at once). Resolves without waiting for the worker.
 */
export async function startEventsWorker(config: EventsConfig, bus: EventBus, options: EventsWorkerOptions = {}): Promise<EventsWorkerHandle> {
  let store: EventStore | undefined;
  if (config.store.driver !== 'none') {
    store =
      config.store.driver === 'sqlite'
        ? await openEventStore({ driver: 'sqlite', path: config.store.url ?? join(config.dir, 'events.db') })
        : await openEventStore({
            driver: 'postgres',
            url: config.store.url ?? '',
            maxConnections: 2,
            ...(config.store.schema !== undefined ? { schema: config.store.schema } : {}),
          });
  }
  const events = new EventsWorker(config, bus, options);
  events.start();
  const detach = bus.attach(events);
  let closing: Promise<void> | undefined;
  return {
    ...(store !== undefined ? { store } : {}),
    get worker() {
      return events.worker;
    },
    get restarts() {
      return events.restarts;
    },
    ready: () => events.ready(),
    stats: () => events.stats(),
    flush: () => events.flush(),
    close: () => {
      closing ??= (async () => {
        detach();
        await events.close();
        await store?.close();
      })();
      return closing;
    },
  };
}
