/** x-ratelimit-* values (src/deception/ratelimit-headers.ts) against the recorded formats of wire-spec A1.1. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RATE_LIMIT_HEADER_NAMES, formatGoDuration, rateLimitHeaders } from '../../src/deception/ratelimit-headers.js';

describe('formatGoDuration', () => {
  it('writes the recorded values (A1.1) and Go String() forms', () => {
    const cases: Array<[number, string]> = [
      [0, '0s'],
      [0.004, '0s'],
      [2, '2ms'],
      [6, '6ms'],
      [17, '17ms'],
      [120, '120ms'],
      [999, '999ms'],
      [1000, '1s'],
      [1235, '1.235s'],
      [8640, '8.64s'],
      [2572, '2.572s'],
      [20000, '20s'],
      [60000, '1m0s'],
      [360000, '6m0s'],
      [90500, '1m30.5s'],
      [3_723_000, '1h2m3s'],
      [3_600_000, '1h0m0s'],
    ];
    for (const [ms, text] of cases) expect(formatGoDuration(ms), String(ms)).toBe(text);
  });

  it('never throws and always matches the Go grammar (property)', () => {
    const grammar = /^(0s|\d{1,3}ms|(\d+h)?(\d+m)?\d+(\.\d{1,3})?s)$/;
    fc.assert(
      fc.property(fc.double(), (ms) => {
        expect(formatGoDuration(ms)).toMatch(grammar);
      }),
    );
    for (const v of [NaN, -1, -Infinity, Infinity, Number.MAX_VALUE]) expect(formatGoDuration(v)).toMatch(grammar);
  });
});

describe('rateLimitHeaders', () => {
  it('has the header names in wire order', () => {
    expect(RATE_LIMIT_HEADER_NAMES).toEqual([
      'x-ratelimit-limit-requests',
      'x-ratelimit-limit-tokens',
      'x-ratelimit-remaining-requests',
      'x-ratelimit-remaining-tokens',
      'x-ratelimit-reset-requests',
      'x-ratelimit-reset-tokens',
    ]);
  });

  it('reproduces a recorded pair: 30000 TPM, 1287 used → remaining 28713, reset ≈ 2.572s', () => {
    const v = rateLimitHeaders({ rpm: 500, tpm: 30000 }, { requests: 1, tokens: 1287, resetMs: 60_000 });
    expect(v[1]).toBe('30000');
    expect(v[3]).toBe('28713');
    expect(v[5]).toBe('2.574s');
    expect(v[4]).toBe('120ms');
  });

  it('counts down with use and resets reflect usage (tier-5 gpt-4o-mini)', () => {
    const limits = { rpm: 30000, tpm: 150_000_000 };
    const first = rateLimitHeaders(limits, { requests: 1, tokens: 10, resetMs: 60_000 });
    expect(first).toEqual(['30000', '150000000', '29999', '149999990', '2ms', '0s']);
    let prev = Number(first[2]);
    for (let i = 2; i < 50; i++) {
      const v = rateLimitHeaders(limits, { requests: i, tokens: i * 500, resetMs: 60_000 });
      expect(Number(v[2])).toBeLessThan(prev);
      prev = Number(v[2]);
    }
  });

  it('caps the reset at the window and never goes negative', () => {
    const v = rateLimitHeaders({ rpm: 10, tpm: 100 }, { requests: 50, tokens: 5000, resetMs: 1500 });
    expect(v).toEqual(['10', '100', '0', '0', '1.5s', '1.5s']);
  });

  it('survives garbage input', () => {
    fc.assert(
      fc.property(fc.double(), fc.double(), fc.double(), fc.double(), fc.double(), (a, b, c, d, e) => {
        const v = rateLimitHeaders({ rpm: a, tpm: b }, { requests: c, tokens: d, resetMs: e });
        expect(v).toHaveLength(6);
        for (const x of v.slice(0, 4)) expect(x).toMatch(/^\d+$/);
      }),
    );
  });
});
