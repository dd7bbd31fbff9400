import { describe, expect, it } from 'vitest';
import { httpDate, oncePerSecond } from '../../src/util/http-date.js';

describe('oncePerSecond', () => {
  it('formats once per second and again when the second changes', () => {
    const seconds: number[] = [];
    const f = oncePerSecond((s) => {
      seconds.push(s);
      return `t${s}`;
    });
    expect([f(1_000), f(1_999), f(2_000), f(2_500), f(1_000)]).toEqual(['t1', 't1', 't2', 't2', 't1']);
    expect(seconds).toEqual([1, 2, 1]);
  });

  it('gives the Date header as IMF-fixdate', () => {
    expect(httpDate(Date.UTC(2025, 10, 11, 0, 38, 16, 999))).toBe('Tue, 11 Nov 2025 00:38:16 GMT');
  });
});
