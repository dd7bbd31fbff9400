/** maskOpenAIKey against the wire-spec A2.2 samples. */
import { describe, expect, it } from 'vitest';
import { maskKey, maskOpenAIKey } from '../../src/util/mask.js';
import { mintAwsKeyPair, mintOpenAIKey } from '../../src/deception/keygen.js';

describe('maskOpenAIKey', () => {
  it('masks the recorded 13-character sample exactly (242-byte 401 of A2.1)', () => {
    expect(maskOpenAIKey('fk-fakekey123')).toBe('fk-fakek*y123');
  });

  it('keeps length: 51-char legacy → 39 stars, 164-char project → 152 stars', () => {
    const legacy = mintOpenAIKey('legacy');
    const m = maskOpenAIKey(legacy);
    expect(m).toBe(`${legacy.slice(0, 8)}${'*'.repeat(39)}${legacy.slice(-4)}`);
    const project = mintOpenAIKey('project');
    expect(maskOpenAIKey(project)).toBe(`sk-proj-${'*'.repeat(152)}${project.slice(-4)}`);
  });

  it('masks garbage the same way (A2.2 samples)', () => {
    expect(maskOpenAIKey('YOUR_OPENAI_KEY')).toBe('YOUR_OPE***_KEY');
    expect(maskOpenAIKey('https://api.openai.com/v1/keys')).toBe(`https://${'*'.repeat(18)}keys`);
  });

  it('echoes 12 characters or fewer unmasked', () => {
    for (const s of ['kk', 'ai', 'sk jj', 'API_KEY', 'sk-xxxxxx', '', 'abcdefghijkl']) expect(maskOpenAIKey(s)).toBe(s);
  });

  it('counts code points, never splitting a character', () => {
    const key = `sk-${'é'.repeat(5)}😀😀😀😀😀😀xyz1`;
    const masked = maskOpenAIKey(key);
    expect(Array.from(masked)).toHaveLength(Array.from(key).length);
    expect(masked.endsWith('xyz1')).toBe(true);
  });
});

describe('maskKey', () => {
  it('keeps an AWS key id prefix and last four', () => {
    const { accessKeyId } = mintAwsKeyPair();
    expect(maskKey(accessKeyId)).toBe(`${accessKeyId.slice(0, 4)}${'*'.repeat(12)}${accessKeyId.slice(-4)}`);
    expect(maskKey('fk-fakekey123')).toBe('fk-fakek*y123');
  });
});
