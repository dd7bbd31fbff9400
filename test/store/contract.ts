/**
 * The Store contract (issue 5): one suite, run against every implementation
 * (memory.test.ts, redis.test.ts). A factory gives a fresh, empty store per test.
 * Windows are short (≤ 1s) and every wait is bounded.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { StoreInputError } from '../../src/store/errors.js';
import type { AdmitInput, CanaryRecord, LimitCheck, LureCheck, Store } from '../../src/store/types.js';
import { sleep } from './helpers.js';

export type StoreFactory = () => Promise<Store>;

const lim = (over: Partial<LimitCheck> = {}): LimitCheck => ({ rule: 'rpm', key: 'ip:198.51.100.7', limit: 3, durationSec: 0.6, ...over });
const lureOf = (over: Partial<LureCheck> = {}): LureCheck => ({
  lureId: 'sha256:00aa11bb22cc33dd',
  subject: 'ip:203.0.113.9',
  max: 3,
  blockDurationMs: 700,
  windowMs: 60_000,
  ...over,
});
const canary = (token: string, over: Partial<CanaryRecord> = {}): CanaryRecord => ({
  token,
  kind: 'api_key',
  mintedBy: 'evt-1',
  lureKeyFingerprint: 'sha256:00aa11bb22cc33dd',
  clientIp: '203.0.113.9',
  createdAt: 1_700_000_000_000,
  ...over,
});

export function storeContract(name: string, factory: StoreFactory): void {
  describe(`Store contract: ${name}`, () => {
    const open: Store[] = [];
    const make = async (): Promise<Store> => {
      const store = await factory();
      open.push(store);
      return store;
    };
    afterEach(async () => {
      for (const store of open.splice(0)) {
        // no test may leave the store degraded: a Redis hiccup must fail the test, not hide in a fallback
        expect(store.health().ok).toBe(true);
        await store.close();
      }
    });

    describe('rate limits', () => {
      it('allows up to the limit, refuses past it, and recovers after the window', async () => {
        const store = await make();
        const input: AdmitInput = { subjects: [], limits: [lim()] };
        for (let i = 0; i < 3; i++) {
          const r = await store.admit(input);
          expect(r.blocked).toBeNull();
          expect(r.limited).toBeNull();
        }
        const refused = await store.admit(input);
        expect(refused.blocked).toBeNull();
        expect(refused.limited).toMatchObject({ rule: 'rpm', limit: 3 });
        const wait = refused.limited?.retryAfterMs ?? -1;
        expect(wait).toBeGreaterThan(0);
        expect(wait).toBeLessThanOrEqual(600);
        expect((await store.admit(input)).limited).not.toBeNull();
        await sleep(wait + 60);
        expect((await store.admit(input)).limited).toBeNull();
      });

      it('counts per rule and per key', async () => {
        const store = await make();
        const one = lim({ limit: 1 });
        expect((await store.admit({ subjects: [], limits: [one] })).limited).toBeNull();
        expect((await store.admit({ subjects: [], limits: [one] })).limited).not.toBeNull();
        expect((await store.admit({ subjects: [], limits: [lim({ limit: 1, key: 'ip:198.51.100.8' })] })).limited).toBeNull();
        expect((await store.admit({ subjects: [], limits: [lim({ limit: 1, rule: 'other' })] })).limited).toBeNull();
      });

      it('names rules and keys without collisions (a:b + c is not a + b:c)', async () => {
        const store = await make();
        expect((await store.admit({ subjects: [], limits: [lim({ limit: 1, rule: 'a:b', key: 'c' })] })).limited).toBeNull();
        expect((await store.admit({ subjects: [], limits: [lim({ limit: 1, rule: 'a', key: 'b:c' })] })).limited).toBeNull();
      });

      it('is all or nothing: a refused request consumes no other limit', async () => {
        const store = await make();
        const wide = lim({ rule: 'wide', limit: 5, durationSec: 10 });
        const narrow = lim({ rule: 'narrow', limit: 1, durationSec: 10 });
        expect((await store.admit({ subjects: [], limits: [wide, narrow] })).limited).toBeNull();
        for (let i = 0; i < 3; i++) {
          expect((await store.admit({ subjects: [], limits: [wide, narrow] })).limited?.rule).toBe('narrow');
        }
        // wide holds 1, not 4: four more fit, the fifth does not
        for (let i = 0; i < 4; i++) expect((await store.admit({ subjects: [], limits: [wide] })).limited).toBeNull();
        expect((await store.admit({ subjects: [], limits: [wide] })).limited?.rule).toBe('wide');
      });

      it('reports the first limit that refuses', async () => {
        const store = await make();
        const a = lim({ rule: 'a', limit: 1, durationSec: 10 });
        const b = lim({ rule: 'b', limit: 1, durationSec: 10 });
        await store.admit({ subjects: [], limits: [a, b] });
        expect((await store.admit({ subjects: [], limits: [a, b] })).limited?.rule).toBe('a');
        expect((await store.admit({ subjects: [], limits: [b, a] })).limited?.rule).toBe('b');
      });

      it('charges cost points; cost 0 only looks; a cost above the limit is always refused', async () => {
        const store = await make();
        const two = lim({ limit: 5, cost: 2, durationSec: 10 });
        expect((await store.admit({ subjects: [], limits: [two] })).limited).toBeNull();
        expect((await store.admit({ subjects: [], limits: [two] })).limited).toBeNull();
        expect((await store.admit({ subjects: [], limits: [two] })).limited).not.toBeNull(); // 4 + 2 > 5
        expect((await store.admit({ subjects: [], limits: [lim({ limit: 5, cost: 1, durationSec: 10 })] })).limited).toBeNull(); // 5
        expect((await store.admit({ subjects: [], limits: [lim({ limit: 5, cost: 0, durationSec: 10 })] })).limited).toBeNull();
        const huge = await store.admit({ subjects: [], limits: [lim({ rule: 'fresh', limit: 5, cost: 6, durationSec: 10 })] });
        expect(huge.limited).toEqual({ rule: 'fresh', retryAfterMs: 10_000, limit: 5 });
      });

      it('is atomic under concurrency: 50 parallel admits on limit 10 → exactly 10 allowed', async () => {
        const store = await make();
        const input: AdmitInput = { subjects: ['ip:198.51.100.7'], limits: [lim({ limit: 10, durationSec: 10 })] };
        const results = await Promise.all(Array.from({ length: 50 }, () => store.admit(input)));
        expect(results.filter((r) => r.limited === null).length).toBe(10);
        expect(results.filter((r) => r.limited !== null).length).toBe(40);
      });
    });

    describe('lure threshold', () => {
      it('counts hits and blocks at exactly max + 1; the block holds, then expires and counting restarts', async () => {
        const store = await make();
        const lure = lureOf();
        const input: AdmitInput = { subjects: [lure.subject], limits: [], lure };
        for (let i = 1; i <= 3; i++) {
          const r = await store.admit(input);
          expect(r).toMatchObject({ blocked: null, limited: null, lureCount: i, lureBlocked: false });
        }
        const before = Date.now();
        const crossing = await store.admit(input);
        expect(crossing).toMatchObject({ blocked: null, limited: null, lureCount: 4, lureBlocked: true });
        const held = await store.admit(input);
        expect(held.blocked?.subject).toBe(lure.subject);
        expect(held.blocked?.reason).toContain(lure.lureId);
        expect(held.lureCount).toBeUndefined();
        const until = held.blocked?.until ?? 0;
        expect(until).toBeGreaterThanOrEqual(before + 700 - 50);
        expect(until).toBeLessThanOrEqual(Date.now() + 700 + 50);
        expect((await store.listBlocks()).map((b) => b.subject)).toEqual([lure.subject]);
        await sleep(Math.max(0, until - Date.now()) + 80);
        const after = await store.admit(input);
        expect(after).toMatchObject({ blocked: null, lureCount: 1, lureBlocked: false });
        expect(await store.listBlocks()).toEqual([]);
      });

      it('blocks on the first hit when max is 0', async () => {
        const store = await make();
        const lure = lureOf({ max: 0 });
        expect(await store.admit({ subjects: [lure.subject], limits: [], lure })).toMatchObject({ lureCount: 1, lureBlocked: true });
        expect((await store.admit({ subjects: [lure.subject], limits: [], lure })).blocked?.subject).toBe(lure.subject);
      });

      it('counts per lure id and per subject', async () => {
        const store = await make();
        const a = lureOf({ max: 1 });
        expect((await store.admit({ subjects: [], limits: [], lure: a })).lureCount).toBe(1);
        expect((await store.admit({ subjects: [], limits: [], lure: { ...a, lureId: 'other' } })).lureCount).toBe(1);
        expect((await store.admit({ subjects: [], limits: [], lure: { ...a, subject: 'ip:203.0.113.10' } })).lureCount).toBe(1);
        expect(await store.admit({ subjects: [], limits: [], lure: a })).toMatchObject({ lureCount: 2, lureBlocked: true });
      });

      it('forgets a subject windowMs after its last hit', async () => {
        const store = await make();
        const lure = lureOf({ windowMs: 300 });
        await store.admit({ subjects: [], limits: [], lure });
        await sleep(150);
        expect((await store.admit({ subjects: [], limits: [], lure })).lureCount).toBe(2); // renewed
        await sleep(450);
        expect((await store.admit({ subjects: [], limits: [], lure })).lureCount).toBe(1);
      });

      it('is atomic under concurrency: 20 parallel hits, max 5 → 5 served, 1 crosses, 14 blocked', async () => {
        const store = await make();
        const lure = lureOf({ max: 5, blockDurationMs: 10_000 });
        const input: AdmitInput = { subjects: [lure.subject], limits: [], lure };
        const results = await Promise.all(Array.from({ length: 20 }, () => store.admit(input)));
        expect(results.filter((r) => r.blocked === null && r.lureBlocked === false).length).toBe(5);
        expect(results.filter((r) => r.lureBlocked === true).length).toBe(1);
        expect(results.filter((r) => r.blocked !== null).length).toBe(14);
      });

      it('does not count a lure hit for a request refused by a limit', async () => {
        const store = await make();
        const lure = lureOf({ max: 10 });
        const one = lim({ limit: 1, durationSec: 10 });
        expect((await store.admit({ subjects: [], limits: [one], lure })).lureCount).toBe(1);
        const refused = await store.admit({ subjects: [], limits: [one], lure });
        expect(refused.limited).not.toBeNull();
        expect(refused.lureCount).toBeUndefined();
        expect((await store.admit({ subjects: [], limits: [], lure })).lureCount).toBe(2);
      });
    });

    describe('blocks', () => {
      it('refuses when any listed subject is blocked, and consumes nothing then', async () => {
        const store = await make();
        const before = Date.now();
        const record = await store.block('user:alice', 60_000, 'manual: abuse');
        expect(record.subject).toBe('user:alice');
        expect(record.reason).toBe('manual: abuse');
        expect(record.createdAt).toBeGreaterThanOrEqual(before - 50);
        expect(record.until - record.createdAt).toBe(60_000);
        const one = lim({ limit: 1, durationSec: 10 });
        const usage = { key: 'persona-a', windowMs: 60_000, tokens: 5 };
        const r = await store.admit({ subjects: ['ip:198.51.100.7', 'user:alice'], limits: [one], lure: lureOf(), usage });
        expect(r.blocked).toEqual(record);
        expect(r.limited).toBeNull();
        expect(r.lureCount).toBeUndefined();
        expect(r.usage).toBeUndefined();
        const ok = await store.admit({ subjects: ['ip:198.51.100.7'], limits: [one], lure: lureOf(), usage });
        expect(ok).toMatchObject({ blocked: null, limited: null, lureCount: 1, usage: { requests: 1, tokens: 5 } });
      });

      it('reports the first blocked subject in the order given', async () => {
        const store = await make();
        await store.block('ip:1', 60_000, 'one');
        await store.block('ip:2', 60_000, 'two');
        expect((await store.admit({ subjects: ['ip:2', 'ip:1'], limits: [] })).blocked?.subject).toBe('ip:2');
      });

      it('unblock lifts a block and says whether there was one', async () => {
        const store = await make();
        await store.block('ip:203.0.113.9', 60_000, 'manual');
        expect(await store.unblock('ip:203.0.113.9')).toBe(true);
        expect(await store.unblock('ip:203.0.113.9')).toBe(false);
        expect(await store.unblock('ip:never')).toBe(false);
        expect((await store.admit({ subjects: ['ip:203.0.113.9'], limits: [] })).blocked).toBeNull();
        expect(await store.listBlocks()).toEqual([]);
      });

      it('a second block replaces the first', async () => {
        const store = await make();
        await store.block('ip:9', 60_000, 'first');
        await store.block('ip:9', 120_000, 'second');
        const list = await store.listBlocks();
        expect(list.length).toBe(1);
        expect(list[0]?.reason).toBe('second');
        expect((list[0]?.until ?? 0) - (list[0]?.createdAt ?? 0)).toBe(120_000);
      });

      it('listBlocks gives live blocks, soonest end first; unblocked and ended ones are gone', async () => {
        const store = await make();
        const a = await store.block('ip:a', 60_000, 'a');
        const b = await store.block('ip:b', 30_000, 'b');
        const c = await store.block('ip:c', 300, 'c');
        expect(await store.listBlocks()).toEqual([c, b, a]);
        expect(await store.unblock('ip:b')).toBe(true);
        expect(await store.listBlocks()).toEqual([c, a]);
        await sleep(Math.max(0, c.until - Date.now()) + 80);
        expect(await store.listBlocks()).toEqual([a]);
        expect((await store.admit({ subjects: ['ip:c'], limits: [] })).blocked).toBeNull();
      });
    });

    describe('canaries', () => {
      it('puts, gets and expires canaries', async () => {
        const store = await make();
        const full = canary('tok-full', { campaign: 'github-leak', placement: 'repo/.env' });
        const bare = canary('tok-bare');
        await store.putCanary(full, 60_000);
        await store.putCanary(bare, 300);
        expect(await store.getCanary('tok-full')).toEqual(full);
        // a re-mint keeps the first record (attribution to the first lure request)
        await store.putCanary(canary('tok-full', { mintedBy: 'a-later-request' }), 60_000);
        expect(await store.getCanary('tok-full')).toEqual(full);
        const got = await store.getCanary('tok-bare');
        expect(got).toEqual(bare);
        expect(got !== null && 'campaign' in got).toBe(false);
        expect(await store.getCanary('tok-unknown')).toBeNull();
        expect(await store.getCanary('')).toBeNull();
        await sleep(400);
        expect(await store.getCanary('tok-bare')).toBeNull();
        expect(await store.getCanary('tok-full')).toEqual(full);
      });
    });

    describe('usage', () => {
      it('counts requests and tokens per persona window, with the time to reset', async () => {
        const store = await make();
        const usage = (tokens: number, key = 'persona-a') => ({ key, windowMs: 600, tokens });
        expect((await store.admit({ subjects: [], limits: [], usage: usage(10) })).usage).toMatchObject({ requests: 1, tokens: 10 });
        expect((await store.admit({ subjects: [], limits: [], usage: usage(20) })).usage).toMatchObject({ requests: 2, tokens: 30 });
        const third = (await store.admit({ subjects: [], limits: [], usage: usage(30) })).usage;
        expect(third).toMatchObject({ requests: 3, tokens: 60 });
        expect(third?.resetMs).toBeGreaterThan(0);
        expect(third?.resetMs).toBeLessThanOrEqual(600);
        expect((await store.admit({ subjects: [], limits: [], usage: usage(7, 'persona-b') })).usage).toMatchObject({ requests: 1, tokens: 7 });
        await sleep((third?.resetMs ?? 600) + 80);
        expect((await store.admit({ subjects: [], limits: [], usage: usage(5) })).usage).toMatchObject({ requests: 1, tokens: 5 });
      });

      it('does not count the request refused by the lure threshold', async () => {
        const store = await make();
        const lure = lureOf({ max: 1 });
        const usage = { key: 'persona-a', windowMs: 60_000, tokens: 3 };
        expect((await store.admit({ subjects: [], limits: [], lure, usage })).usage).toMatchObject({ requests: 1, tokens: 3 });
        const crossing = await store.admit({ subjects: [], limits: [], lure, usage });
        expect(crossing.lureBlocked).toBe(true);
        expect(crossing.usage).toMatchObject({ requests: 1, tokens: 3 });
      });

      it('leaves usage and lure fields out when not asked', async () => {
        const store = await make();
        const r = await store.admit({ subjects: ['ip:1'], limits: [lim()] });
        expect(r).toEqual({ blocked: null, limited: null });
      });
    });

    describe('malformed input', () => {
      const base: AdmitInput = { subjects: ['ip:1'], limits: [lim()] };
      const bad: [string, AdmitInput][] = [
        ['empty subject', { ...base, subjects: [''] }],
        ['huge subject', { ...base, subjects: ['x'.repeat(10_000)] }],
        ['too many subjects', { ...base, subjects: Array.from({ length: 17 }, (_, i) => `ip:${i}`) }],
        ['limit 0', { ...base, limits: [lim({ limit: 0 })] }],
        ['negative limit', { ...base, limits: [lim({ limit: -1 })] }],
        ['fractional limit', { ...base, limits: [lim({ limit: 1.5 })] }],
        ['zero window', { ...base, limits: [lim({ durationSec: 0 })] }],
        ['negative window', { ...base, limits: [lim({ durationSec: -1 })] }],
        ['NaN window', { ...base, limits: [lim({ durationSec: Number.NaN })] }],
        ['negative cost', { ...base, limits: [lim({ cost: -1 })] }],
        ['empty key', { ...base, limits: [lim({ key: '' })] }],
        ['huge key', { ...base, limits: [lim({ key: 'k'.repeat(100_000) })] }],
        ['empty rule', { ...base, limits: [lim({ rule: '' })] }],
        ['negative lure max', { ...base, lure: lureOf({ max: -1 }) }],
        ['zero block duration', { ...base, lure: lureOf({ blockDurationMs: 0 }) }],
        ['empty lure subject', { ...base, lure: lureOf({ subject: '' }) }],
        ['negative tokens', { ...base, usage: { key: 'p', windowMs: 1000, tokens: -5 } }],
        ['zero usage window', { ...base, usage: { key: 'p', windowMs: 0, tokens: 1 } }],
      ];
      it.each(bad)('rejects %s with StoreInputError, and the store still works', async (_label, input) => {
        const store = await make();
        const error = await store.admit(input).then(
          () => null,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(StoreInputError);
        expect((error as StoreInputError).code).toBe('HG_STORE_INVALID_INPUT');
        expect((await store.admit(base)).limited).toBeNull();
      });

      it('rejects bad blocks and canaries, tolerates lookups of nothing', async () => {
        const store = await make();
        await expect(store.block('', 1000, 'r')).rejects.toBeInstanceOf(StoreInputError);
        await expect(store.block('ip:1', 0, 'r')).rejects.toBeInstanceOf(StoreInputError);
        await expect(store.block('ip:1', -5, 'r')).rejects.toBeInstanceOf(StoreInputError);
        await expect(store.putCanary(canary(''), 1000)).rejects.toBeInstanceOf(StoreInputError);
        await expect(store.putCanary(canary('t'), 0)).rejects.toBeInstanceOf(StoreInputError);
        expect(await store.unblock('')).toBe(false);
        expect(await store.getCanary('')).toBeNull();
        expect(await store.listBlocks()).toEqual([]);
      });
    });

    it('reports healthy', async () => {
      const store = await make();
      expect(store.health()).toMatchObject({ ok: true, degraded: false });
    });
  });
}
