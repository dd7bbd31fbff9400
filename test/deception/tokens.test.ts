/**
 * Token counts (src/deception/decoy/tokens.ts): exact o200k_base counts whether or not the text was
 * seen before, a bounded cache of recent texts (issue 11: the lure reply and replayed prompts are
 * not tokenized again), long texts never held.
 */
import { countTokens as bpeCount } from 'gpt-tokenizer';
import { beforeEach, describe, expect, it, vi } from 'vitest';

// count the real tokenizer's calls, so a test can tell a cache hit from a fresh count
const bpe = vi.hoisted(() => ({ calls: 0 }));
vi.mock('gpt-tokenizer', async (importOriginal) => {
  const real = await importOriginal<typeof import('gpt-tokenizer')>();
  return {
    ...real,
    countTokens: (...args: Parameters<typeof real.countTokens>) => {
      bpe.calls++;
      return real.countTokens(...args);
    },
  };
});

const { TOKEN_CACHE_MAX, TOKEN_CACHE_MAX_CHARS, chatPromptTokens, tokenCacheSize, tokenCount } = await import('../../src/deception/decoy/tokens.js');

let seq = 0;
/** a text no other test used */
const fresh = (body = 'the quick brown fox'): string => `${body} #${++seq}-${Math.random()}`;

beforeEach(() => {
  bpe.calls = 0;
});

describe('tokenCount', () => {
  it('counts exactly what the tokenizer counts, the first time and from the cache', () => {
    const texts = [fresh('Hello there'), fresh('héllo wörld 😀 こんにちは'), fresh('{"a":[1,2,3]}'), fresh('  spaces   and\ttabs\n\n'), fresh('x'.repeat(4000))];
    for (const t of texts) {
      const expected = bpeCount(t);
      expect(tokenCount(t)).toBe(expected);
      expect(tokenCount(t)).toBe(expected);
      // a copy built at run time (another string object, same text) hits the same entry
      expect(tokenCount(t.split('').join(''))).toBe(expected);
    }
  });

  it('tokenizes a repeated text once', () => {
    const t = fresh('Sure. Could you share a little more detail about what you need?');
    const n = tokenCount(t);
    const calls = bpe.calls;
    for (let i = 0; i < 100; i++) expect(tokenCount(t)).toBe(n);
    expect(bpe.calls).toBe(calls);
  });

  it('never answers one text with another text’s count (same length, same prefix)', () => {
    const a = fresh('aaaa aaaa aaaa');
    const b = a.replace(/aaaa aaaa aaaa/, 'a a a a a a a ');
    expect(b.length).toBe(a.length);
    expect(tokenCount(a)).toBe(bpeCount(a));
    expect(tokenCount(b)).toBe(bpeCount(b));
    expect(tokenCount(a)).not.toBe(tokenCount(b));
  });

  it('stays bounded under a flood of distinct texts, and stays exact after evictions', () => {
    const first = fresh('kept at first');
    const firstCount = tokenCount(first);
    for (let i = 0; i < TOKEN_CACHE_MAX * 3; i++) {
      tokenCount(fresh());
      expect(tokenCacheSize()).toBeLessThanOrEqual(TOKEN_CACHE_MAX);
    }
    expect(tokenCacheSize()).toBeGreaterThan(TOKEN_CACHE_MAX / 4);
    // evicted long ago: counted again, the same
    const calls = bpe.calls;
    expect(tokenCount(first)).toBe(firstCount);
    expect(bpe.calls).toBe(calls + 1);
  });

  it('keeps a text that is in use through a flood (a hit moves it to the newer generation)', () => {
    const reply = fresh('the lure reply');
    tokenCount(reply);
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < TOKEN_CACHE_MAX / 4; i++) tokenCount(fresh());
      const calls = bpe.calls;
      tokenCount(reply);
      expect(bpe.calls).toBe(calls);
    }
  });

  it('does not hold texts longer than TOKEN_CACHE_MAX_CHARS (still exact)', () => {
    const long = fresh('y '.repeat(TOKEN_CACHE_MAX_CHARS));
    const size = tokenCacheSize();
    expect(tokenCount(long)).toBe(bpeCount(long));
    expect(tokenCount(long)).toBe(bpeCount(long));
    expect(tokenCacheSize()).toBe(size);
  });

  it('estimates beyond the exact limit and counts nothing for the empty text', () => {
    expect(tokenCount('')).toBe(0);
    expect(tokenCount('z'.repeat(64 * 1024 + 4))).toBe(16 * 1024 + 1);
  });
});

describe('chatPromptTokens', () => {
  it('is the cookbook count over exact per-message counts, cached or not', () => {
    const system = fresh('You are a helpful assistant.');
    const user = fresh('Summarise the benefits of connection pooling in two sentences.');
    const messages = [
      { role: 'system', content: system },
      { role: 'user', content: [{ type: 'text', text: user }], name: 'bob' },
    ];
    // 3 per message plus the role's own token, 1 for the name, 3 to prime the reply
    const expected = 3 + (3 + bpeCount('system') + bpeCount(system)) + (3 + bpeCount('user') + bpeCount(user) + 1);
    expect(chatPromptTokens(messages)).toBe(expected);
    expect(chatPromptTokens(structuredClone(messages))).toBe(expected);
  });
});
