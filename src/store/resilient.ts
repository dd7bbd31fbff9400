/**
 * The failure policy around RedisStore (issue 5). Every Redis call is bounded by `redis.timeout`;
 * the first failure (timeout, refused connection, lost connection, any Redis error) opens the
 * circuit: from then on no request touches Redis at all until a background probe (PING every
 * `probe_interval`, also right when ioredis reconnects) succeeds. While open:
 *   - fail_open: every call is served by a local MemoryStore, so limits, lure thresholds and blocks
 *     still apply, per instance; on recovery, blocks and canaries made locally are carried to Redis.
 *   - fail_closed: every call throws StoreUnavailableError at once.
 * So a request never waits on Redis longer than the timeout, and waits not at all while Redis is
 * known to be down. Each change of health is reported once through `onHealthChange`.
 */
import { StoreInputError, StoreUnavailableError } from './errors.js';
import type { MemoryStore } from './memory.js';
import type { RedisStore } from './redis.js';
import type { AdmitInput, AdmitResult, BlockRecord, CanaryRecord, Store, StoreHealth } from './types.js';

export type FailurePolicy = 'fail_open' | 'fail_closed';

export interface ResilientStoreOptions {
  readonly policy: FailurePolicy;
  /** ms a call may wait on Redis */
  readonly timeoutMs: number;
  /** ms between recovery probes while degraded */
  readonly probeIntervalMs: number;
  /** local store for fail_open (required then; ignored by fail_closed) */
  readonly fallback?: MemoryStore;
  readonly onHealthChange?: (health: StoreHealth) => void;
  /** most blocks / canaries carried back to Redis on recovery */
  readonly maxSync?: number;
}

/**
 * Resolves like `promise`, or rejects with a timeout error once `ms` of the event loop's own time
 * has passed without an answer. A deadline measured by a plain timer counts the time the loop was
 * held up by other work (a burst of local requests) against Redis: when the timer fires late, the
 * answer may already sit unread in the socket, or the command may have been written late. So:
 *   - the timer's callback never rejects at once: it waits one `setImmediate`, which runs after the
 *     loop's I/O poll, so an answer that arrived while the loop was busy is read first;
 *   - when the timer fired late (the loop was held up by more than half of `ms`), the call gets
 *     one more `ms` from the moment the loop is free again.
 * A healthy Redis behind a busy loop is therefore not declared down; a Redis that does not answer
 * fails after at most `2 × ms` plus the loop's lag (the bound in README "Several instances").
 */
export function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let graced = false;
    let timer: NodeJS.Timeout | undefined;
    let immediate: NodeJS.Immediate | undefined;
    const arm = (): void => {
      const armedAt = performance.now();
      timer = setTimeout(() => {
        const late = performance.now() - armedAt - ms;
        immediate = setImmediate(() => {
          if (settled) return;
          if (!graced && late > ms / 2) {
            graced = true;
            arm();
            return;
          }
          settled = true;
          reject(new Error(`no answer within ${ms}ms`));
        });
      }, ms);
    };
    arm();
    const done = (): void => {
      settled = true;
      clearTimeout(timer);
      if (immediate !== undefined) clearImmediate(immediate);
    };
    promise.then(
      (value) => {
        if (settled) return;
        done();
        resolve(value);
      },
      (e: unknown) => {
        if (settled) return;
        done();
        reject(e);
      },
    );
  });
}

function describe(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

export class ResilientStore implements Store {
  readonly backend = 'redis' as const;
  readonly #redis: RedisStore;
  readonly #fallback: MemoryStore | undefined;
  readonly #policy: FailurePolicy;
  readonly #timeoutMs: number;
  readonly #probeMs: number;
  readonly #maxSync: number;
  readonly #onHealthChange: ((health: StoreHealth) => void) | undefined;
  #up = false;
  #health: StoreHealth;
  #probeTimer: NodeJS.Timeout | undefined;
  #probing = false;
  #closed = false;
  #readyWaiters: (() => void)[] = [];
  readonly #onReady = (): void => void this.#probe();
  readonly #onClose = (): void => this.#trip('connection closed');
  readonly #onError = (): void => {
    // ioredis reports connection errors here too; 'close' and failed calls drive the state
  };

  constructor(redis: RedisStore, options: ResilientStoreOptions) {
    if (options.policy === 'fail_open' && options.fallback === undefined) throw new Error('fail_open needs a fallback MemoryStore');
    this.#redis = redis;
    this.#fallback = options.policy === 'fail_open' ? options.fallback : undefined;
    this.#policy = options.policy;
    this.#timeoutMs = options.timeoutMs;
    this.#probeMs = options.probeIntervalMs;
    this.#maxSync = options.maxSync ?? 10_000;
    this.#onHealthChange = options.onHealthChange;
    this.#health = this.#downHealth('connecting');
    const client = redis.client;
    client.on('ready', this.#onReady);
    client.on('close', this.#onClose);
    client.on('error', this.#onError);
    if (client.status === 'ready') void this.#probe();
    this.#armProbe();
  }

  /** Resolves once Redis answered (health ok), or after `timeoutMs` (then check health()). */
  ready(timeoutMs = 5000): Promise<StoreHealth> {
    if (this.#up || this.#closed) return Promise.resolve(this.#health);
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        resolve(this.#health);
      };
      const timer = setTimeout(() => {
        this.#readyWaiters = this.#readyWaiters.filter((w) => w !== done);
        resolve(this.#health);
      }, timeoutMs);
      this.#readyWaiters.push(done);
    });
  }

  admit(input: AdmitInput): Promise<AdmitResult> {
    return this.#call((s) => s.admit(input), (m) => m.admit(input));
  }

  block(subject: string, durationMs: number, reason: string): Promise<BlockRecord> {
    return this.#call((s) => s.block(subject, durationMs, reason), (m) => m.block(subject, durationMs, reason));
  }

  unblock(subject: string): Promise<boolean> {
    // a local block (set during an outage) must go too, even when Redis answers
    return this.#call(
      async (s) => {
        const [remote, local] = await Promise.all([s.unblock(subject), this.#fallback?.unblock(subject) ?? false]);
        return remote || local;
      },
      (m) => m.unblock(subject),
    );
  }

  listBlocks(): Promise<BlockRecord[]> {
    return this.#call((s) => s.listBlocks(), (m) => m.listBlocks());
  }

  putCanary(record: CanaryRecord, ttlMs: number): Promise<void> {
    return this.#call((s) => s.putCanary(record, ttlMs), (m) => m.putCanary(record, ttlMs));
  }

  getCanary(token: string): Promise<CanaryRecord | null> {
    return this.#call((s) => s.getCanary(token), (m) => m.getCanary(token));
  }

  health(): StoreHealth {
    return this.#health;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#probeTimer !== undefined) clearInterval(this.#probeTimer);
    const client = this.#redis.client;
    client.off('ready', this.#onReady);
    client.off('close', this.#onClose);
    for (const waiter of this.#readyWaiters) waiter();
    this.#readyWaiters = [];
    try {
      await withDeadline(this.#redis.close(), Math.max(this.#timeoutMs, 500));
    } catch {
      client.disconnect();
    }
    client.off('error', this.#onError);
    await this.#fallback?.close();
  }

  /** Runs `remote` on Redis within the deadline, or applies the policy. Input errors pass through. */
  async #call<T>(remote: (s: RedisStore) => Promise<T>, local: (m: MemoryStore) => Promise<T>): Promise<T> {
    if (this.#up) {
      try {
        return await withDeadline(remote(this.#redis), this.#timeoutMs);
      } catch (e: unknown) {
        if (e instanceof StoreInputError) throw e;
        this.#trip(describe(e));
        return this.#degraded(local, e);
      }
    }
    return this.#degraded(local, undefined);
  }

  #degraded<T>(local: (m: MemoryStore) => Promise<T>, cause: unknown): Promise<T> {
    if (this.#closed) return Promise.reject(new StoreUnavailableError('store closed'));
    if (this.#fallback !== undefined) return local(this.#fallback);
    return Promise.reject(new StoreUnavailableError(this.#health.detail ?? 'redis unavailable', cause === undefined ? {} : { cause }));
  }

  #downHealth(reason: string): StoreHealth {
    const detail = this.#policy === 'fail_open' ? `redis unavailable (${reason}): serving from local memory` : `redis unavailable (${reason}): refusing (fail_closed)`;
    return Object.freeze({ backend: 'redis', ok: false, degraded: true, detail });
  }

  #setHealth(health: StoreHealth): void {
    this.#health = health;
    if (this.#onHealthChange !== undefined) {
      try {
        this.#onHealthChange(health);
      } catch {
        // the listener's bug must not break the store
      }
    }
  }

  /** Opens the circuit (once per outage) and starts probing. */
  #trip(reason: string): void {
    if (!this.#up || this.#closed) return;
    this.#up = false;
    this.#setHealth(this.#downHealth(reason));
    this.#armProbe();
  }

  #armProbe(): void {
    if (this.#probeTimer !== undefined || this.#closed) return;
    this.#probeTimer = setInterval(() => void this.#probe(), this.#probeMs);
    this.#probeTimer.unref();
  }

  /** PING within the deadline; on success carry local state over, then close the circuit. */
  async #probe(): Promise<void> {
    if (this.#up || this.#probing || this.#closed) return;
    this.#probing = true;
    try {
      await withDeadline(this.#redis.ping(), this.#timeoutMs);
      if (this.#fallback !== undefined) await this.#syncFallback(this.#fallback);
      if (this.#closed) return;
      if (this.#probeTimer !== undefined) clearInterval(this.#probeTimer);
      this.#probeTimer = undefined;
      this.#up = true;
      this.#setHealth(Object.freeze({ backend: 'redis', ok: true, degraded: false }));
      const waiters = this.#readyWaiters;
      this.#readyWaiters = [];
      for (const waiter of waiters) waiter();
    } catch {
      // still down; the interval (or the next 'ready') tries again
    } finally {
      this.#probing = false;
    }
  }

  /**
   * Blocks and canaries made locally during the outage go to Redis (bounded in count; each call
   * bounded by the timeout), then leave the local store. Counters stay local and expire there:
   * after recovery the Redis counters rule again.
   */
  async #syncFallback(fallback: MemoryStore): Promise<void> {
    const blocks = fallback.listBlocksSync().slice(0, this.#maxSync);
    for (const record of blocks) {
      await withDeadline(this.#redis.blockUntil(record), this.#timeoutMs);
      await fallback.unblock(record.subject);
    }
    const canaries = fallback.listCanariesSync().slice(0, this.#maxSync);
    for (const { record, expiresAt } of canaries) {
      const ttl = Math.floor(expiresAt - Date.now());
      if (ttl >= 1) await withDeadline(this.#redis.putCanary(record, ttl), this.#timeoutMs);
      fallback.deleteCanary(record.token);
    }
  }
}
