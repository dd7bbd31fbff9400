/** check-config rules of the Gemini provider: a lure never spends a valid or company key. */
import { describe, expect, it } from 'vitest';
import { checkGeminiRules, type GeminiRulesInput } from '../../src/providers/gemini/rules.js';

const K1 = 'AIzaSyBdyIRXbZPhJBWTKtRhwfBwnWN8tz1mGrY';
const K2 = 'AIzaSyCq3m9VZ0p5Kx1t7Yb2Hn4Lw8Rf6Jd0Ss0';
const COMPANY = 'AIzaSyDcompanyKeyOfTheUpstream000000000';

function input(over: Partial<GeminiRulesInput>): GeminiRulesInput {
  return { gemini_keys: [], keys: [], upstreams: { decoy: { type: 'decoy' } }, lure_defaults: { upstream: 'decoy' }, ...over };
}

describe('gemini rules', () => {
  it('accepts decoy lures and a valid key on a gemini upstream', () => {
    expect(checkGeminiRules(input({
      upstreams: { decoy: { type: 'decoy' }, google: { type: 'gemini', api_key: COMPANY } },
      gemini_keys: [{ name: 'a', class: 'lure', key: K1 }, { name: 'b', class: 'valid', key: K2, upstream: 'google' }],
    }))).toEqual([]);
  });

  it('refuses duplicates, in gemini_keys and across keys', () => {
    const issues = checkGeminiRules(input({ keys: [{ key: K1, class: 'valid' }], gemini_keys: [{ name: 'a', class: 'lure', key: K1 }, { name: 'b', class: 'lure', key: K1 }] }));
    expect(issues.map((i) => i.message)).toEqual(expect.arrayContaining(['the same key as gemini_keys.0', 'the same key as keys.0']));
  });

  it('refuses a lure upstream without its own key, or holding the company key, or shared with valid keys', () => {
    const noKey = checkGeminiRules(input({ upstreams: { decoy: { type: 'decoy' }, g: { type: 'gemini' } }, gemini_keys: [{ name: 'a', class: 'lure', key: K1, upstream: 'g' }] }));
    expect(noKey[0]?.message).toMatch(/carry the thief's lure key/);
    const shared = checkGeminiRules(input({
      upstreams: { decoy: { type: 'decoy' }, google: { type: 'gemini', api_key: COMPANY } },
      gemini_keys: [{ name: 'v', class: 'valid', key: K2, upstream: 'google' }, { name: 'a', class: 'lure', key: K1, upstream: 'google' }],
    }));
    expect(shared[0]?.message).toMatch(/also forwards gemini_keys.0/);
    const sameKey = checkGeminiRules(input({
      upstreams: { decoy: { type: 'decoy' }, google: { type: 'gemini', api_key: COMPANY }, burner: { type: 'gemini', api_key: COMPANY } },
      gemini_keys: [{ name: 'v', class: 'valid', key: K2, upstream: 'google' }, { name: 'a', class: 'lure', key: K1, upstream: 'burner' }],
    }));
    expect(sameKey[0]?.message).toMatch(/holds a valid key/);
    const client = checkGeminiRules(input({
      upstreams: { decoy: { type: 'decoy' }, burner: { type: 'gemini', api_key: K2 } },
      gemini_keys: [{ name: 'v', class: 'valid', key: K2 }, { name: 'a', class: 'lure', key: K1, upstream: 'burner' }],
    }));
    expect(client.some((i) => /holds a valid key|also forwards/.test(i.message))).toBe(true);
  });

  it('refuses other protocols\' upstreams and warns about lure fields on valid keys', () => {
    const issues = checkGeminiRules(input({
      upstreams: { decoy: { type: 'decoy' }, oa: { type: 'openai', api_key: 'sk-x' } },
      gemini_keys: [{ name: 'v', class: 'valid', key: K2, upstream: 'oa', prompt: 'x' }, { name: 'a', class: 'lure', key: K1, upstream: 'oa' }, { name: 'm', class: 'lure', key: COMPANY, upstream: 'nope' }],
    }));
    expect(issues.map((i) => `${i.level} ${i.path}`)).toEqual(['error gemini_keys.0.upstream', 'warning gemini_keys.0.prompt', 'error gemini_keys.1.upstream', 'error gemini_keys.2.upstream']);
    expect(issues[0]?.message).toBe('"oa" is an openai upstream: Gemini keys need a gemini upstream (or "decoy")');
  });
});

describe('the registry names gemini everywhere a provider is listed', () => {
  it('admin event filters accept surface=gemini and still refuse unknown surfaces', async () => {
    const { parseQuery } = await import('../../src/admin/query.js');
    expect(parseQuery({ surface: 'gemini' }, Date.now()).filter).toMatchObject({ surface: 'gemini' });
    expect(() => parseQuery({ surface: 'vertex' }, Date.now())).toThrow();
  });
});
