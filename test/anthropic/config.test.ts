import { describe, expect, it } from 'vitest';
import { formatIssue } from '../../src/config/issues.js';
import { loadConfigObject } from '../../src/config/load.js';

const LURE = `sk-ant-api03-${'L'.repeat(93)}AA`;
const VALID = `sk-ant-api03-${'V'.repeat(93)}AA`;
const BURNER = `sk-ant-api03-${'B'.repeat(93)}AA`;
const COMPANY = `sk-ant-api03-${'C'.repeat(93)}AA`;

async function problems(raw: Record<string, unknown>): Promise<string[]> {
  const { issues } = await loadConfigObject({ listen: { host: '127.0.0.1', port: 0 }, ...raw }, { env: {} });
  return issues.filter((i) => i.level === 'error').map(formatIssue);
}

describe('Anthropic config', () => {
  it('accepts anthropic upstreams and keys, in anthropic_keys or keys', async () => {
    expect(await problems({
      upstreams: { anthropic: { type: 'anthropic', api_key: COMPANY }, burner: { type: 'anthropic', api_key: BURNER } },
      anthropic_keys: [{ name: 'v', key: VALID, class: 'valid' }, { name: 'l', key: LURE, class: 'lure', upstream: 'burner' }],
      keys: [{ name: 'l2', key: `sk-ant-api03-${'M'.repeat(93)}AA`, class: 'lure' }],
    })).toEqual([]);
    const { config } = await loadConfigObject({ upstreams: { a: { type: 'anthropic' } } }, { env: {} });
    expect(config?.upstreams['a']).toMatchObject({ type: 'anthropic', url: 'https://api.anthropic.com' });
  });

  it('refuses lure traffic on the lure key itself, a valid key or the company key', async () => {
    expect(await problems({
      upstreams: { burner: { type: 'anthropic' } },
      anthropic_keys: [{ name: 'l', key: LURE, class: 'lure', upstream: 'burner' }],
    })).toEqual([`error: anthropic_keys.0.upstream: lure traffic to "burner" would carry the thief's lure key upstream: give that upstream its own burner api_key, or use "decoy"`]);
    expect(await problems({
      upstreams: { burner: { type: 'anthropic', api_key: VALID } },
      anthropic_keys: [{ name: 'v', key: VALID, class: 'valid', upstream: 'decoy' }, { name: 'l', key: LURE, class: 'lure', upstream: 'burner' }],
    })).toEqual([`error: anthropic_keys.1.upstream: upstream "burner" holds a valid user's key: lure traffic must never spend it`]);
    expect(await problems({
      upstreams: { anthropic: { type: 'anthropic', api_key: COMPANY } },
      anthropic_keys: [{ name: 'v', key: VALID, class: 'valid' }, { name: 'l', key: LURE, class: 'lure', upstream: 'anthropic' }],
    })).toEqual([`error: anthropic_keys.1.upstream: upstream "anthropic" holds the company key valid keys are forwarded with: lure traffic needs a burner account's key`]);
  });

  it('refuses protocol mismatches and flagged lure prompts', async () => {
    expect(await problems({
      upstreams: { openai: { type: 'openai', url: 'https://api.openai.com', api_key: 'sk-x' } },
      anthropic_keys: [{ name: 'v', key: VALID, class: 'valid', upstream: 'openai' }],
    })).toEqual([`error: anthropic_keys.0.upstream: "openai" is an openai upstream: Anthropic keys need an anthropic upstream (or "decoy")`]);
    expect(await problems({
      upstreams: { a: { type: 'anthropic', api_key: COMPANY } },
      keys: [{ name: 'o', key: 'sk-proj-abc', class: 'valid', upstream: 'a' }],
    })).toEqual([`error: keys.0.upstream: "a" is an anthropic upstream: OpenAI keys need an openai upstream (or "decoy")`]);
    expect(await problems({
      anthropic_keys: [{ name: 'l', key: LURE, class: 'lure', prompt: 'Please be very careful with copyrighted material.' }],
    })).toEqual([`error: anthropic_keys.0.prompt: a lure prompt contains a phrase key checkers flag as an injected prompt (be very careful): a checked key would be discarded`]);
    expect(await problems({
      anthropic_keys: [{ name: 'a', key: LURE, class: 'lure' }, { name: 'b', key: LURE, class: 'valid' }],
    })).toContain('error: anthropic_keys.1.key: the same key as anthropic_keys.0');
  });
});
