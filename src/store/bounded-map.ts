/**
 * A bounded, expiring map for the memory store: approximately-LRU with two generations (the
 * "hashlru" scheme). Lookups hit one Map in the common case and never reorder; a hit in the older
 * generation moves the entry to the newer one; when the newer generation fills (half the cap),
 * the older one is dropped whole. So the map never holds more than `maxEntries` entries, an entry
 * touched recently survives a flood of new keys, and there is no timer and no per-hit allocation.
 * Expired entries are dropped when met, and at the latest when their generation is dropped.
 */

export interface Expiring {
  /** epoch ms after which the entry is gone */
  expiresAt: number;
}

export class BoundedMap<V extends Expiring> {
  readonly #half: number;
  #current = new Map<string, V>();
  #old = new Map<string, V>();

  constructor(maxEntries: number) {
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 2) throw new RangeError(`maxEntries must be an integer ≥ 2, got ${maxEntries}`);
    this.#half = Math.floor(maxEntries / 2);
  }

  /** The live entry for `key`, or undefined (an expired entry is deleted on the way). */
  get(key: string, now: number): V | undefined {
    const hit = this.#current.get(key);
    if (hit !== undefined) {
      if (hit.expiresAt > now) return hit;
      this.#current.delete(key);
      return undefined;
    }
    const old = this.#old.get(key);
    if (old === undefined) return undefined;
    this.#old.delete(key);
    if (old.expiresAt <= now) return undefined;
    this.#insert(key, old);
    return old;
  }

  set(key: string, value: V): void {
    if (this.#current.has(key)) {
      this.#current.set(key, value);
      return;
    }
    this.#old.delete(key);
    this.#insert(key, value);
  }

  /** Removes `key`; returns what was there (live or not). */
  delete(key: string): V | undefined {
    const value = this.#current.get(key) ?? this.#old.get(key);
    this.#current.delete(key);
    this.#old.delete(key);
    return value;
  }

  /** Live entries (newest generation first); expired ones met on the way are deleted. */
  *entries(now: number): Generator<[string, V]> {
    for (const map of [this.#current, this.#old]) {
      for (const [key, value] of map) {
        if (value.expiresAt > now) yield [key, value];
        else map.delete(key);
      }
    }
  }

  /** Entries held, expired ones not yet dropped included: never more than maxEntries. */
  get size(): number {
    return this.#current.size + this.#old.size;
  }

  clear(): void {
    this.#current = new Map();
    this.#old = new Map();
  }

  #insert(key: string, value: V): void {
    this.#current.set(key, value);
    if (this.#current.size >= this.#half) {
      this.#old = this.#current;
      this.#current = new Map();
    }
  }
}
