/**
 * A small bounded cache that drops its oldest entry first: for values that are a pure function of
 * their key (a persona per credential, the token pieces of an answer text), where any entry may be
 * recomputed and the bound only caps memory. (The memory store's BoundedMap adds expiry and keeps
 * recently used entries through a flood; these caches need neither.)
 */
export class FifoCache<K, V> {
  readonly #max: number;
  readonly #map = new Map<K, V>();

  constructor(max: number) {
    if (!Number.isSafeInteger(max) || max < 1) throw new RangeError(`max must be an integer ≥ 1, got ${max}`);
    this.#max = max;
  }

  get(key: K): V | undefined {
    return this.#map.get(key);
  }

  set(key: K, value: V): void {
    if (!this.#map.has(key) && this.#map.size >= this.#max) {
      const oldest = this.#map.keys().next();
      if (oldest.done !== true) this.#map.delete(oldest.value);
    }
    this.#map.set(key, value);
  }

  get size(): number {
    return this.#map.size;
  }
}
