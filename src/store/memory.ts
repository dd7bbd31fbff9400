/**
 * MemoryStore: the embedded default store, and the local fallback of the Redis store (fail_open).
 * Same semantics as the Redis script (src/store/redis-script.ts), checked by the shared contract
 * suite (test/store/contract.ts).
 *
 * admit() is synchronous underneath (admitSync) and allocation-light: one map lookup per block
 * subject and per limit, counters mutated in place, a new object only when a window starts.
 * Own counters rather than rate-limiter-flexible's RateLimiterMemory: that one arms a timer per key
 * and keeps an unbounded Map, so a flood of distinct IPs costs a timer and an entry each, forever
 * capped by nothing (measured in test/store/admit.bench.ts, see docs/store.md).
 *
 * Memory is bounded: counters, blocks and canaries each live in a BoundedMap with its own cap
 * (memory.max_entries, max_blocks, max_canaries) and expire on their own.
 */
import { BoundedMap, type Expiring } from './bounded-map.js';
import { blockKey, canaryKey, limitKey, lureBlockReason, lureKey, usageKey } from './keys.js';
import type { AdmitInput, AdmitResult, BlockRecord, CanaryRecord, LimitCheck, Store, StoreHealth } from './types.js';
import { validateAdmitInput, validateBlock, validateCanary, windowMs } from './validate.js';

export interface MemoryStoreOptions {
  /** rate-limit, lure and usage counters held at most (LRU-ish eviction beyond) */
  readonly maxEntries?: number;
  /** blocks held at most */
  readonly maxBlocks?: number;
  /** canaries held at most */
  readonly maxCanaries?: number;
  /** clock (epoch ms); tests may pass a fake one */
  readonly now?: () => number;
}

const MEMORY_DEFAULTS = { maxEntries: 200_000, maxBlocks: 100_000, maxCanaries: 100_000 } as const;

/** One counter: a fixed window that started with its first hit and ends at expiresAt. */
interface Counter extends Expiring {
  count: number;
  tokens: number;
}

interface BlockEntry extends Expiring {
  readonly record: BlockRecord;
}

interface CanaryEntry extends Expiring {
  readonly record: CanaryRecord;
}

const HEALTH: StoreHealth = Object.freeze({ backend: 'memory', ok: true, degraded: false });
const NOT_BLOCKED_NOT_LIMITED = { blocked: null, limited: null } as const;

export class MemoryStore implements Store {
  readonly backend = 'memory' as const;
  readonly #counters: BoundedMap<Counter>;
  readonly #blocks: BoundedMap<BlockEntry>;
  readonly #canaries: BoundedMap<CanaryEntry>;
  readonly #now: () => number;
  /** scratch for admitSync's two passes over the limits (admitSync never re-enters) */
  readonly #found: (Counter | undefined)[] = [];
  readonly #keys: string[] = [];

  constructor(options: MemoryStoreOptions = {}) {
    this.#counters = new BoundedMap(options.maxEntries ?? MEMORY_DEFAULTS.maxEntries);
    this.#blocks = new BoundedMap(options.maxBlocks ?? MEMORY_DEFAULTS.maxBlocks);
    this.#canaries = new BoundedMap(options.maxCanaries ?? MEMORY_DEFAULTS.maxCanaries);
    this.#now = options.now ?? Date.now;
  }

  admit(input: AdmitInput): Promise<AdmitResult> {
    try {
      return Promise.resolve(this.admitSync(input));
    } catch (e: unknown) {
      return Promise.reject(e);
    }
  }

  /** admit() without the promise: blocks → limits (all or nothing) → lure → usage. */
  admitSync(input: AdmitInput): AdmitResult {
    validateAdmitInput(input);
    const now = this.#now();
    const { subjects, limits, lure, usage } = input;

    for (let i = 0; i < subjects.length; i++) {
      const entry = this.#blocks.get(blockKey(subjects[i] as string), now);
      if (entry !== undefined) return { blocked: entry.record, limited: null };
    }

    // limits, pass 1: refuse if any would go over; nothing is consumed by a refused request
    const found = this.#found;
    const keys = this.#keys;
    for (let i = 0; i < limits.length; i++) {
      const l = limits[i] as LimitCheck;
      const key = limitKey(l.rule, l.key);
      const counter = this.#counters.get(key, now);
      const cost = l.cost ?? 1;
      if (cost > l.limit) {
        // can never fit: refused; the honest wait is a full window
        return { blocked: null, limited: { rule: l.rule, retryAfterMs: windowMs(l.durationSec), limit: l.limit } };
      }
      if (counter !== undefined && counter.count + cost > l.limit) {
        return { blocked: null, limited: { rule: l.rule, retryAfterMs: Math.max(1, counter.expiresAt - now), limit: l.limit } };
      }
      keys[i] = key;
      found[i] = counter;
    }
    // pass 2: consume
    for (let i = 0; i < limits.length; i++) {
      const l = limits[i] as LimitCheck;
      const cost = l.cost ?? 1;
      const key = keys[i] as string;
      const counter = found[i] ?? this.#counters.get(key, now);
      found[i] = undefined;
      if (cost === 0) continue;
      if (counter !== undefined) counter.count += cost;
      else this.#counters.set(key, { count: cost, tokens: 0, expiresAt: now + windowMs(l.durationSec) });
    }

    if (lure === undefined && usage === undefined) return NOT_BLOCKED_NOT_LIMITED;

    let lureCount: number | undefined;
    let lureBlocked = false;
    if (lure !== undefined) {
      const key = lureKey(lure.lureId, lure.subject);
      const counter = this.#counters.get(key, now);
      if (counter !== undefined) {
        lureCount = ++counter.count;
        counter.expiresAt = now + lure.windowMs; // the counter lives windowMs after the last hit
      } else {
        lureCount = 1;
        this.#counters.set(key, { count: 1, tokens: 0, expiresAt: now + lure.windowMs });
      }
      if (lureCount > lure.max) {
        lureBlocked = true;
        this.#setBlock(lure.subject, lure.blockDurationMs, lureBlockReason(lure.lureId), now);
        this.#counters.delete(key); // after the block, the subject starts over
      }
    }

    let usageResult: AdmitResult['usage'];
    if (usage !== undefined) {
      const key = usageKey(usage.key);
      let counter = this.#counters.get(key, now);
      if (!lureBlocked) {
        // a request refused by the lure threshold is not usage
        if (counter !== undefined) {
          counter.count += 1;
          counter.tokens += usage.tokens;
        } else {
          counter = { count: 1, tokens: usage.tokens, expiresAt: now + usage.windowMs };
          this.#counters.set(key, counter);
        }
      }
      usageResult = counter
        ? { requests: counter.count, tokens: counter.tokens, resetMs: counter.expiresAt - now }
        : { requests: 0, tokens: 0, resetMs: usage.windowMs };
    }

    if (lureCount !== undefined) {
      return usageResult !== undefined
        ? { blocked: null, limited: null, lureCount, lureBlocked, usage: usageResult }
        : { blocked: null, limited: null, lureCount, lureBlocked };
    }
    return usageResult !== undefined ? { blocked: null, limited: null, usage: usageResult } : NOT_BLOCKED_NOT_LIMITED;
  }

  block(subject: string, durationMs: number, reason: string): Promise<BlockRecord> {
    try {
      validateBlock(subject, durationMs, reason);
      return Promise.resolve(this.#setBlock(subject, durationMs, reason, this.#now()));
    } catch (e: unknown) {
      return Promise.reject(e);
    }
  }

  /** Sets a block that ends at an absolute time (used to carry blocks between stores). */
  blockUntil(record: BlockRecord): void {
    const now = this.#now();
    if (record.until > now) this.#blocks.set(blockKey(record.subject), { record, expiresAt: record.until });
  }

  unblock(subject: string): Promise<boolean> {
    const entry = this.#blocks.delete(blockKey(subject));
    return Promise.resolve(entry !== undefined && entry.expiresAt > this.#now());
  }

  listBlocks(): Promise<BlockRecord[]> {
    return Promise.resolve(this.listBlocksSync());
  }

  /** Live blocks, soonest to end first (the order RedisStore returns too). */
  listBlocksSync(): BlockRecord[] {
    const out: BlockRecord[] = [];
    for (const [, entry] of this.#blocks.entries(this.#now())) out.push(entry.record);
    return out.sort((a, b) => a.until - b.until || (a.subject < b.subject ? -1 : a.subject > b.subject ? 1 : 0));
  }

  putCanary(record: CanaryRecord, ttlMs: number): Promise<void> {
    try {
      validateCanary(record, ttlMs);
      // first mint wins; a re-mint only extends its life (as the Redis store does)
      const key = canaryKey(record.token);
      const existing = this.#canaries.get(key, this.#now())?.record;
      this.#canaries.set(key, { record: existing ?? { ...record }, expiresAt: this.#now() + ttlMs });
      return Promise.resolve();
    } catch (e: unknown) {
      return Promise.reject(e);
    }
  }

  getCanary(token: string): Promise<CanaryRecord | null> {
    if (typeof token !== 'string') return Promise.resolve(null);
    return Promise.resolve(this.#canaries.get(canaryKey(token), this.#now())?.record ?? null);
  }

  /** Live canaries with their absolute expiry (to carry them to Redis after an outage). */
  listCanariesSync(): { record: CanaryRecord; expiresAt: number }[] {
    const out: { record: CanaryRecord; expiresAt: number }[] = [];
    for (const [, entry] of this.#canaries.entries(this.#now())) out.push({ record: entry.record, expiresAt: entry.expiresAt });
    return out;
  }

  deleteCanary(token: string): boolean {
    return this.#canaries.delete(canaryKey(token)) !== undefined;
  }

  health(): StoreHealth {
    return HEALTH;
  }

  ready(): Promise<StoreHealth> {
    return Promise.resolve(HEALTH);
  }

  /** Entries held per map (expired ones not yet dropped included): for tests and metrics. */
  stats(): { entries: number; blocks: number; canaries: number } {
    return { entries: this.#counters.size, blocks: this.#blocks.size, canaries: this.#canaries.size };
  }

  close(): Promise<void> {
    this.#counters.clear();
    this.#blocks.clear();
    this.#canaries.clear();
    return Promise.resolve();
  }

  #setBlock(subject: string, durationMs: number, reason: string, now: number): BlockRecord {
    const record: BlockRecord = { subject, until: now + durationMs, reason, createdAt: now };
    this.#blocks.set(blockKey(subject), { record, expiresAt: record.until });
    return record;
  }
}
