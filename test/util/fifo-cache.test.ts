import { describe, expect, it } from 'vitest';
import { FifoCache } from '../../src/util/fifo-cache.js';

describe('FifoCache', () => {
  it('holds at most max entries and drops the oldest first', () => {
    const c = new FifoCache<string, number>(3);
    for (const [k, v] of [['a', 1], ['b', 2], ['c', 3], ['d', 4]] as const) c.set(k, v);
    expect(c.size).toBe(3);
    expect(c.get('a')).toBeUndefined();
    expect([c.get('b'), c.get('c'), c.get('d')]).toEqual([2, 3, 4]);
  });

  it('replacing a key neither grows the cache nor evicts another entry', () => {
    const c = new FifoCache<string, number>(2);
    c.set('a', 1);
    c.set('b', 2);
    c.set('a', 10);
    expect(c.size).toBe(2);
    expect([c.get('a'), c.get('b')]).toEqual([10, 2]);
  });

  it('refuses a bound that is not a positive integer', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => new FifoCache(bad)).toThrow(RangeError);
  });
});
