/** Pooled random text (util/random.ts): right alphabet and length, uniform, never handed out twice. */
import { describe, expect, it } from 'vitest';
import { B64URL, COOKIE, LOWER_ALNUM, randomChars, randomHex } from '../../src/util/random.js';

function counts(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const c of text) m.set(c, (m.get(c) ?? 0) + 1);
  return m;
}

/** Pearson's chi-square of character counts against the uniform distribution on `alphabet`. */
function chiSquare(text: string, alphabet: string): number {
  const expected = text.length / alphabet.length;
  const seen = counts(text);
  let chi = 0;
  for (const c of alphabet) chi += ((seen.get(c) ?? 0) - expected) ** 2 / expected;
  return chi;
}

describe('random text', () => {
  it('gives exactly the length asked, from the alphabet, across many pool refills', () => {
    for (const [alphabet, make] of [
      [B64URL, (n: number) => randomChars(B64URL, n)],
      [COOKIE, (n: number) => randomChars(COOKIE, n)],
      ['0123456789abcdef', (n: number) => randomHex(n)],
      [LOWER_ALNUM, (n: number) => randomChars(LOWER_ALNUM, n)],
    ] as const) {
      let all = '';
      for (let i = 0; i < 3000; i++) {
        const n = 1 + (i % 157);
        const s = make(n);
        expect(s.length).toBe(n);
        all += s;
      }
      expect([...counts(all).keys()].every((c) => alphabet.includes(c))).toBe(true);
      // 64 (or 16, 36) categories; 99.99th percentile of chi-square with 63 degrees of freedom is ~120
      expect(chiSquare(all, alphabet)).toBeLessThan(130);
    }
  });

  it('never hands out the same characters twice (consecutive values differ)', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) seen.add(randomChars(COOKIE, 43));
    expect(seen.size).toBe(20_000);
    const hex = new Set<string>();
    for (let i = 0; i < 20_000; i++) hex.add(randomHex(32));
    expect(hex.size).toBe(20_000);
  });

  it('serves lengths larger than a pool', () => {
    const big = randomChars(COOKIE, 200_000);
    expect(big.length).toBe(200_000);
    expect(/^[A-Za-z0-9._]+$/.test(big)).toBe(true);
    expect(chiSquare(big, COOKIE)).toBeLessThan(130);
    expect(randomHex(150_001)).toMatch(/^[0-9a-f]{150001}$/);
  });
});
