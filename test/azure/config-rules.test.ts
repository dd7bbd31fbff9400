import { describe, expect, it } from 'vitest';
import { azureKeySchema, checkAzureRules, type AzureKeyConfig, type AzureRulesInput } from '../../src/providers/azure/config.js';
import { sha256Hex } from '../../src/util/hash.js';

const VALID = '0123456789abcdef0123456789abcdef';
const LURE = 'fedcba9876543210fedcba9876543210';

function key(k: Partial<AzureKeyConfig> & { key: string; class: 'valid' | 'lure' }): AzureKeyConfig {
  return azureKeySchema.parse(k);
}

function input(over: Partial<AzureRulesInput>): AzureRulesInput {
  return { upstreams: { decoy: { type: 'decoy' } }, azure_keys: [], lure_defaults: { upstream: 'decoy' }, keys: [], ...over };
}

describe('Azure config rules', () => {
  it('accepts a valid key forwarded to the company resource and a lure on the decoy', () => {
    expect(checkAzureRules(input({
      upstreams: { decoy: { type: 'decoy' }, prod: { type: 'azure', api_key: 'company' } },
      azure_keys: [key({ key: VALID, class: 'valid' }), key({ key: LURE, class: 'lure', deployments: { 'gpt-4o': 'gpt-4o' } })],
    }))).toEqual([]);
  });

  it('refuses a lure upstream without its own key, shared with valid keys, or holding a valid key', () => {
    const noKey = checkAzureRules(input({ upstreams: { decoy: { type: 'decoy' }, burner: { type: 'azure' } }, azure_keys: [key({ key: LURE, class: 'lure', upstream: 'burner' })] }));
    expect(noKey[0]?.message).toMatch(/thief's lure key upstream/);
    const shared = checkAzureRules(input({
      upstreams: { decoy: { type: 'decoy' }, prod: { type: 'azure', api_key: 'company' } },
      azure_keys: [key({ key: VALID, class: 'valid' }), key({ key: LURE, class: 'lure', upstream: 'prod' })],
    }));
    expect(shared[0]?.message).toMatch(/also forwards azure_keys.0/);
    const holds = checkAzureRules(input({
      upstreams: { decoy: { type: 'decoy' }, burner: { type: 'azure', api_key: VALID } },
      azure_keys: [key({ key: `sha256:${sha256Hex(VALID)}`, class: 'valid', upstream: 'decoy' }), key({ key: LURE, class: 'lure', upstream: 'burner' })],
    }));
    expect(holds[0]?.message).toMatch(/holds a valid user's or the company's key/);
    const sameCompanyKey = checkAzureRules(input({
      upstreams: { decoy: { type: 'decoy' }, prod: { type: 'azure', api_key: 'company' }, burner: { type: 'azure', api_key: 'company' } },
      azure_keys: [key({ key: VALID, class: 'valid', upstream: 'prod' }), key({ key: LURE, class: 'lure', upstream: 'burner' })],
    }));
    expect(sameCompanyKey[0]?.message).toMatch(/company's key/);
  });

  it('refuses duplicates, unknown and foreign upstreams; warns on lure fields of valid keys', () => {
    const issues = checkAzureRules(input({
      upstreams: { decoy: { type: 'decoy' }, oa: { type: 'openai', api_key: 'x' } },
      azure_keys: [key({ key: VALID, class: 'valid', upstream: 'oa', region: 'eastus2' }), key({ key: VALID, class: 'lure' }), key({ key: LURE, class: 'lure', upstream: 'nope' })],
    }));
    expect(issues.map((i) => `${i.level} ${i.path}`)).toEqual(expect.arrayContaining([
      'error azure_keys.0.upstream', 'warning azure_keys.0.region', 'error azure_keys.1.key', 'error azure_keys.2.upstream',
    ]));
  });

  it('names a foreign upstream with the right article, for valid and lure keys', () => {
    const issues = checkAzureRules(input({
      upstreams: { decoy: { type: 'decoy' }, gm: { type: 'gemini', api_key: 'g' }, oa: { type: 'openai', api_key: 'x' } },
      azure_keys: [key({ key: VALID, class: 'valid', upstream: 'gm' }), key({ key: LURE, class: 'lure', upstream: 'oa' })],
    }));
    expect(issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      'azure_keys.0.upstream: "gm" is a gemini upstream: Azure keys need an azure upstream (or "decoy")',
      'azure_keys.1.upstream: "oa" is an openai upstream: Azure keys need an azure upstream (or "decoy")',
    ]);
  });

  it('validates the persona fields', () => {
    expect(() => key({ key: LURE, class: 'lure', region: 'mars' })).toThrow();
    expect(() => key({ key: LURE, class: 'lure', resource: 'Bad_Name' })).toThrow();
    expect(() => key({ key: LURE, class: 'lure', deployments: { '../x': 'gpt-4o' } })).toThrow();
    expect(() => key({ key: 'sha256:abc', class: 'lure' })).toThrow();
  });
});
