import { describe, expect, it } from 'vitest';
import { AZURE_REGIONS, detectAzureKey, maskAzureKey, mintAzureKey, regionOfKey } from '../../src/deception/azure-keys.js';
import { shannonEntropy } from '../../src/deception/random.js';

// Microsoft security_utilities SEC101/200 "UnclassifiedLegacyCommonAnnotatedSecurityKey" (the scanner
// rule that matches the 84-character Azure AI Services keys), written out with its character classes
const B62 = '[a-zA-Z0-9]';
const SEC101_200 = new RegExp(`^${B62}{52}JQQJ9(?:9|D|H)${B62}[A-L]${B62}{16}[A-Za-z]${B62}{7}$`);

describe('Azure keys', () => {
  it('mints 84-character keys the scanner rule matches, naming their region and month', () => {
    for (const region of AZURE_REGIONS) {
      for (let i = 0; i < 50; i++) {
        const key = mintAzureKey({ region: region.id, issued: new Date(Date.UTC(2026, 11, 6)) });
        expect(key).toHaveLength(84);
        expect(key).toMatch(SEC101_200);
        expect(key.slice(52, 60)).toBe('JQQJ99CL');
        expect(key.slice(76, 80)).toBe('ACOG');
        expect(detectAzureKey(key)).toBe('ai-services');
        expect(regionOfKey(key)?.id).toBe(region.id);
        expect(shannonEntropy(key)).toBeGreaterThan(4.5);
      }
    }
  });

  it('mints classic 32-hex keys', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const key = mintAzureKey({ kind: 'classic' });
      expect(key).toMatch(/^[0-9a-f]{32}$/);
      expect(detectAzureKey(key)).toBe('classic');
      expect(regionOfKey(key)).toBeUndefined();
      seen.add(key);
    }
    expect(seen.size).toBe(200);
  });

  it('refuses unknown regions and tells other strings apart', () => {
    expect(() => mintAzureKey({ region: 'mars' })).toThrow(/unknown Azure region/);
    expect(detectAzureKey('0123456789ABCDEF0123456789abcdef')).toBeNull();
    expect(detectAzureKey('sk-proj-abc')).toBeNull();
    expect(detectAzureKey('x'.repeat(84))).toBeNull();
  });

  it('masks keys to their ends', () => {
    expect(maskAzureKey('0123456789abcdef0123456789abcdef')).toBe('0123************************cdef');
    expect(maskAzureKey('short')).toBe('*****');
  });
});
