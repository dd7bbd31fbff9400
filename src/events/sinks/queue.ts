/**
 * The bounded queue every sink sits behind (docs/events.md: a slow sink never slows a request,
 * a failing sink never loses the others' events).
 *
 * - `offer()` is what the bus listener calls: O(1), no I/O, no serialization, never throws.
 * - The queue is a fixed ring of `capacity` slots. When it is full the NEWEST item is dropped and
 *   counted (drop-newest, like a full socket buffer): the start of an incident — the first lure
 *   use, the first canary hit — is the evidence, and a flood cannot push it out of the queue.
 * - One worker per sink drains the ring in batches of at most `batchSize`, one batch at a time, so
 *   a writer never runs concurrently with itself (JSONL lines cannot interleave). A partial batch
 *   waits at most `lingerMs` (0: written on the next turn of the event loop).
 */
import type { GatewayEvent } from '../model.js';

/** What `stats()` reports per sink. */
export interface SinkStats {
  /** stable name: `jsonl`, `store`, `syslog.0`, `webhook.1` … */
  readonly name: string;
  /** what it is: `jsonl`, `store:sqlite`, `syslog:tcp/cef`, `webhook:slack` … */
  readonly kind: string;
  /** where it writes (file path, host:port, webhook host — never a webhook's secret path) */
  readonly target: string;
  /** events waiting in the queue now */
  readonly queued: number;
  /** events refused because the queue was full (or the sink disabled / closed) */
  readonly dropped: number;
  /** events the writer delivered */
  readonly written: number;
  /** events the writer could not deliver */
  readonly failed: number;
  readonly disabled: boolean;
  /** webhooks: alerts held back by the per-source throttle */
  readonly suppressed?: number;
  /** the last write error, short and without secrets */
  readonly lastError?: string;
}

export type SinkMetricName = 'dropped' | 'written' | 'failed' | 'suppressed' | 'disabled';

/** A counter increment, for Prometheus or logs. Called on the publisher's stack for `dropped`: keep it O(1). */
export interface SinkMetric {
  readonly sink: string;
  readonly name: SinkMetricName;
  readonly value: number;
}
export type MetricHandler = (metric: SinkMetric) => void;

/** The outcome of writing one batch. Throwing means: the whole batch failed. */
export interface WriteResult {
  readonly written: number;
  readonly failed: number;
  /** why some failed (short, no secrets) */
  readonly error?: string;
}

export interface SinkWriter<T> {
  write(batch: readonly T[]): Promise<WriteResult>;
  /** release files and sockets; the queue has been flushed (or given up on) before */
  close(): Promise<void>;
  /** abort work in flight (called when close() runs out of time) */
  abort?(): void;
}

export interface QueuedSinkOptions {
  readonly name: string;
  readonly kind: string;
  readonly target: string;
  readonly capacity: number;
  readonly batchSize: number;
  readonly lingerMs: number;
  readonly onMetric?: MetricHandler | undefined;
}

/** Short, single-line error text for stats (no stack, no secrets in our own messages). */
export function errorText(e: unknown): string {
  const text = e instanceof Error ? `${(e as NodeJS.ErrnoException).code ?? e.name}: ${e.message}` : String(e);
  return text.replace(/\s+/g, ' ').slice(0, 200);
}

export class QueuedSink<T = GatewayEvent> {
  readonly name: string;
  readonly #kind: string;
  readonly #target: string;
  readonly #writer: SinkWriter<T>;
  readonly #ring: (T | undefined)[];
  readonly #capacity: number;
  readonly #batchSize: number;
  readonly #lingerMs: number;
  readonly #onMetric: MetricHandler | undefined;
  #head = 0;
  #length = 0;
  #dropped = 0;
  #written = 0;
  #failed = 0;
  #suppressed = 0;
  #disabled = false;
  #closed = false;
  #lastError: string | undefined;
  #running = false;
  /** items handed to the writer and not yet settled */
  #inFlight = 0;
  /** close() gave up: results that arrive later are not counted again */
  #abandoned = false;
  #timer: NodeJS.Timeout | undefined;
  #idleWaiters: (() => void)[] = [];

  constructor(writer: SinkWriter<T>, options: QueuedSinkOptions) {
    this.name = options.name;
    this.#kind = options.kind;
    this.#target = options.target;
    this.#writer = writer;
    this.#capacity = options.capacity;
    this.#batchSize = Math.max(1, options.batchSize);
    this.#lingerMs = options.lingerMs;
    this.#onMetric = options.onMetric;
    this.#ring = new Array<T | undefined>(options.capacity);
  }

  /** Enqueue one item: O(1), never throws, never waits. Returns false when it was dropped. */
  offer(item: T): boolean {
    if (this.#closed || this.#disabled || this.#length >= this.#capacity) {
      this.#dropped++;
      this.#metric('dropped', 1);
      return false;
    }
    this.#ring[(this.#head + this.#length) % this.#capacity] = item;
    this.#length++;
    this.#schedule();
    return true;
  }

  /** Count an item that a pre-queue filter (the webhook throttle) held back. */
  countSuppressed(n = 1): void {
    this.#suppressed += n;
    this.#metric('suppressed', n);
  }

  get disabled(): boolean {
    return this.#disabled;
  }

  /** Stop this sink for good: queued items are dropped (counted), new ones refused. */
  disable(reason: string): void {
    if (this.#disabled) return;
    this.#disabled = true;
    this.#lastError = reason.slice(0, 200);
    const pending = this.#take(this.#length).length;
    if (pending > 0) {
      this.#dropped += pending;
      this.#metric('dropped', pending);
    }
    this.#metric('disabled', 1);
    this.#wakeIdle();
  }

  stats(): SinkStats {
    return {
      name: this.name,
      kind: this.#kind,
      target: this.#target,
      queued: this.#length,
      dropped: this.#dropped,
      written: this.#written,
      failed: this.#failed,
      disabled: this.#disabled,
      ...(this.#kind.startsWith('webhook') ? { suppressed: this.#suppressed } : {}),
      ...(this.#lastError !== undefined ? { lastError: this.#lastError } : {}),
    };
  }

  /** Resolve when everything queued so far has been handed to the writer and written (or failed). */
  flush(): Promise<void> {
    if (this.#length === 0 && !this.#running) return Promise.resolve();
    const idle = new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
    if (!this.#running) this.#start();
    return idle;
  }

  /**
   * Refuse new items, flush within `timeoutMs`, then close the writer. What could not be written
   * in time is counted as failed.
   */
  async close(timeoutMs: number): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const outcome = await Promise.race([this.flush().then(() => 'flushed' as const), deadline]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.#abandoned = true;
      this.#writer.abort?.();
      const left = this.#take(this.#length).length + this.#inFlight;
      this.#inFlight = 0;
      if (left > 0) this.#fail(left, 'closed before these could be written');
    }
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    try {
      await this.#writer.close();
    } catch (e: unknown) {
      this.#lastError = errorText(e);
    }
  }

  #schedule(): void {
    if (this.#running) return;
    if (this.#lingerMs <= 0 || this.#length >= this.#batchSize) {
      this.#start();
      return;
    }
    if (this.#timer === undefined) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        if (!this.#running) this.#start();
      }, this.#lingerMs);
    }
  }

  #start(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    this.#running = true;
    // setImmediate: the worker never runs on the publisher's stack
    setImmediate(() => void this.#drain());
  }

  async #drain(): Promise<void> {
    try {
      while (this.#length > 0 && !this.#disabled) {
        const batch = this.#take(this.#batchSize);
        this.#inFlight = batch.length;
        try {
          const result = await this.#writer.write(batch);
          if (this.#abandoned) break;
          this.#written += result.written;
          if (result.written > 0) this.#metric('written', result.written);
          if (result.failed > 0) this.#fail(result.failed, result.error);
        } catch (e: unknown) {
          if (this.#abandoned) break;
          this.#fail(batch.length, errorText(e));
        } finally {
          this.#inFlight = 0;
        }
      }
    } finally {
      this.#running = false;
      if (this.#length > 0 && !this.#disabled) this.#schedule();
      else this.#wakeIdle();
    }
  }

  /** Record a write error without counting events (e.g. a failed reconnect). */
  noteError(text: string): void {
    this.#lastError = text.slice(0, 200);
  }

  #fail(count: number, error?: string): void {
    this.#failed += count;
    if (error !== undefined) this.#lastError = error;
    this.#metric('failed', count);
  }

  #take(max: number): T[] {
    const n = Math.min(max, this.#length);
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) {
      const index = (this.#head + i) % this.#capacity;
      out[i] = this.#ring[index] as T;
      this.#ring[index] = undefined;
    }
    this.#head = (this.#head + n) % this.#capacity;
    this.#length -= n;
    return out;
  }

  #wakeIdle(): void {
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const wake of waiters) wake();
  }

  #metric(name: SinkMetricName, value: number): void {
    if (this.#onMetric === undefined) return;
    try {
      this.#onMetric({ sink: this.name, name, value });
    } catch {
      // a metrics bug must not reach the publisher
    }
  }
}
