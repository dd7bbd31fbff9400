/**
 * MemoryStore: the shared contract, plus what only the memory store promises: bounded memory under
 * a flood of distinct clients, recency (an active client's counter survives the flood), and the
 * BoundedMap it is built on.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BoundedMap } from '../../src/store/bounded-map.js';
import { storeConfigSchema } from '../../src/store/config.js';
import { createStore } from '../../src/store/index.js';
import { MemoryStore } from '../../src/store/memory.js';
import { storeContract } from './contract.js';

storeContract('memory', () => Promise.resolve(new MemoryStore()));

const ipOf = (i: number): string => `ip:10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;

describe('MemoryStore bounds', () => {
  it('1,000,000 distinct IPs through admit() stay under the default max_entries cap', async () => {
    const store = createStore(storeConfigSchema.parse({}));
    expect(store).toBeInstanceOf(MemoryStore);
    const memory = store as MemoryStore;
    let allowed = 0;
    for (let i = 0; i < 1_000_000; i++) {
      const r = await memory.admit({ subjects: [ipOf(i)], limits: [{ rule: 'rpm', key: ipOf(i), limit: 60, durationSec: 60 }] });
      if (r.limited === null) allowed++;
    }
    expect(allowed).toBe(1_000_000);
    const { entries } = memory.stats();
    expect(entries).toBeLessThanOrEqual(200_000);
    expect(entries).toBeGreaterThan(50_000);
    await store.close();
  });

  it('honours a configured cap, for counters, lure counters and usage alike', async () => {
    const store = createStore(storeConfigSchema.parse({ memory: { max_entries: 1000 } })) as MemoryStore;
    for (let i = 0; i < 50_000; i++) {
      store.admitSync({
        subjects: [],
        limits: [{ rule: 'rpm', key: ipOf(i), limit: 5, durationSec: 60 }],
        lure: { lureId: 'l', subject: ipOf(i), max: 10, blockDurationMs: 1000, windowMs: 60_000 },
        usage: { key: `persona-${i}`, windowMs: 60_000, tokens: 1 },
      });
    }
    expect(store.stats().entries).toBeLessThanOrEqual(1000);
  });

  it('caps blocks and canaries', async () => {
    const store = new MemoryStore({ maxBlocks: 500, maxCanaries: 300 });
    for (let i = 0; i < 20_000; i++) {
      await store.block(ipOf(i), 60_000, 'flood');
      await store.putCanary({ token: `t${i}`, kind: 'url', mintedBy: 'e', lureKeyFingerprint: 'f', clientIp: '1.2.3.4', createdAt: 0 }, 60_000);
    }
    expect(store.stats().blocks).toBeLessThanOrEqual(500);
    expect(store.stats().canaries).toBeLessThanOrEqual(300);
    expect((await store.listBlocks()).length).toBeLessThanOrEqual(500);
    // the newest survive
    expect((await store.admit({ subjects: [ipOf(19_999)], limits: [] })).blocked?.subject).toBe(ipOf(19_999));
    expect(await store.getCanary('t19999')).not.toBeNull();
  });

  it('keeps an active client counted through a flood of new ones (recency, not insertion order)', () => {
    const store = new MemoryStore({ maxEntries: 1000 });
    const hot = { rule: 'rpm', key: 'ip:203.0.113.9', limit: 5, durationSec: 600 };
    for (let i = 0; i < 5; i++) expect(store.admitSync({ subjects: [], limits: [hot] }).limited).toBeNull();
    for (let i = 0; i < 100_000; i++) {
      store.admitSync({ subjects: [], limits: [{ rule: 'rpm', key: ipOf(i), limit: 5, durationSec: 600 }] });
      if (i % 100 === 0) expect(store.admitSync({ subjects: [], limits: [hot] }).limited).not.toBeNull();
    }
    expect(store.admitSync({ subjects: [], limits: [hot] }).limited).not.toBeNull();
  });

  it('a client silent through the flood is forgotten (the cap is real)', () => {
    const store = new MemoryStore({ maxEntries: 1000 });
    const cold = { rule: 'rpm', key: 'ip:203.0.113.9', limit: 1, durationSec: 600 };
    store.admitSync({ subjects: [], limits: [cold] });
    expect(store.admitSync({ subjects: [], limits: [cold] }).limited).not.toBeNull();
    for (let i = 0; i < 5000; i++) store.admitSync({ subjects: [], limits: [{ rule: 'rpm', key: ipOf(i), limit: 5, durationSec: 600 }] });
    expect(store.admitSync({ subjects: [], limits: [cold] }).limited).toBeNull();
  });

  it('follows its clock: windows, lure windows and blocks end on time (fake clock)', async () => {
    let now = 1_000_000;
    const store = new MemoryStore({ now: () => now });
    const one = { rule: 'rpm', key: 'ip:1', limit: 1, durationSec: 1 };
    expect(store.admitSync({ subjects: [], limits: [one] }).limited).toBeNull();
    expect(store.admitSync({ subjects: [], limits: [one] }).limited).toEqual({ rule: 'rpm', retryAfterMs: 1000, limit: 1 });
    now += 999;
    expect(store.admitSync({ subjects: [], limits: [one] }).limited?.retryAfterMs).toBe(1);
    now += 1;
    expect(store.admitSync({ subjects: [], limits: [one] }).limited).toBeNull();
    const block = await store.block('ip:1', 5000, 'x');
    expect(block).toEqual({ subject: 'ip:1', until: now + 5000, reason: 'x', createdAt: now });
    now += 4999;
    expect(store.admitSync({ subjects: ['ip:1'], limits: [] }).blocked).toEqual(block);
    now += 1;
    expect(store.admitSync({ subjects: ['ip:1'], limits: [] }).blocked).toBeNull();
  });

  it('admitSync and admit agree, and admit turns input errors into rejections', async () => {
    const store = new MemoryStore();
    expect(() => store.admitSync({ subjects: [''], limits: [] })).toThrow(/subjects\.0/);
    await expect(store.admit({ subjects: [''], limits: [] })).rejects.toThrow(/subjects\.0/);
  });
});

describe('BoundedMap', () => {
  it('never holds more than maxEntries, and always holds the last key set (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 50 }),
        fc.array(fc.tuple(fc.constantFrom('set', 'get', 'delete'), fc.integer({ min: 0, max: 120 })), { maxLength: 400 }),
        (max, ops) => {
          const map = new BoundedMap<{ expiresAt: number; v: number }>(max);
          let last: string | undefined;
          for (const [op, k] of ops) {
            const key = `k${k}`;
            if (op === 'set') {
              map.set(key, { expiresAt: Number.MAX_SAFE_INTEGER, v: k });
              last = key;
            } else if (op === 'get') {
              const got = map.get(key, 0);
              if (got !== undefined) expect(got.v).toBe(k);
            } else {
              map.delete(key);
              if (last === key) last = undefined;
            }
            expect(map.size).toBeLessThanOrEqual(max);
          }
          if (last !== undefined) expect(map.get(last, 0)).toBeDefined();
        },
      ),
      { numRuns: 300 },
    );
  });

  it('drops expired entries when met', () => {
    const map = new BoundedMap<{ expiresAt: number }>(10);
    map.set('a', { expiresAt: 100 });
    expect(map.get('a', 99)).toBeDefined();
    expect(map.get('a', 100)).toBeUndefined();
    expect(map.size).toBe(0);
  });

  it('refuses a cap below 2', () => {
    expect(() => new BoundedMap(1)).toThrow(RangeError);
  });
});
