/**
 * Hot-path cost of the memory store (run: npx vitest bench --run test/store): MemoryStore.admit
 * with its own counters against rate-limiter-flexible's RateLimiterMemory doing the same single
 * limit. Two patterns: one busy client (same key), and a flood (a new client on every call).
 * Results and the memory comparison are in docs/store.md.
 */
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { bench, describe } from 'vitest';
import { MemoryStore } from '../../src/store/memory.js';

describe('one busy client', () => {
  const store = new MemoryStore();
  const limiter = new RateLimiterMemory({ points: 1e9, duration: 60 });
  bench('MemoryStore.admit (limit only)', async () => {
    await store.admit({ subjects: [], limits: [{ rule: 'rpm', key: 'ip:1.2.3.4', limit: 1e9, durationSec: 60 }] });
  });
  bench('MemoryStore.admitSync (limit only)', () => {
    store.admitSync({ subjects: [], limits: [{ rule: 'rpm', key: 'ip:1.2.3.4', limit: 1e9, durationSec: 60 }] });
  });
  bench('MemoryStore.admit (block check + limit)', async () => {
    await store.admit({ subjects: ['ip:1.2.3.4'], limits: [{ rule: 'rpm', key: 'ip:1.2.3.4', limit: 1e9, durationSec: 60 }] });
  });
  bench('RateLimiterMemory.consume', async () => {
    await limiter.consume('rpm:ip:1.2.3.4');
  });
});

describe('flood: a new client every call', () => {
  const store = new MemoryStore({ maxEntries: 200_000 });
  const limiter = new RateLimiterMemory({ points: 60, duration: 60 });
  let i = 0;
  let j = 0;
  bench('MemoryStore.admit (limit only)', async () => {
    await store.admit({ subjects: [], limits: [{ rule: 'rpm', key: `ip:${i++}`, limit: 60, durationSec: 60 }] });
  });
  bench('RateLimiterMemory.consume', async () => {
    try {
      await limiter.consume(`rpm:ip:${j++}`);
    } catch (e: unknown) {
      if (!(e instanceof RateLimiterRes)) throw e;
    }
  });
});
