/**
 * The duplicate-key scan every key list of the config shares (config/rules.ts duplicateKeyIssues,
 * duplicateIssues): repeats found with the path of the repeat and the first entry named, none on
 * distinct keys, raw keys and their sha256 references treated as one key, and hostile entries
 * (prototype names, empty and huge lists, malformed sha256 references) handled without surprise.
 */
import { describe, expect, it } from 'vitest';
import { duplicateIssues, duplicateKeyIssues } from '../../src/config/rules.js';
import { sha256Hex } from '../../src/util/hash.js';

describe('duplicateKeyIssues', () => {
  it('reports each repeat at its own path, naming the first entry with that key', () => {
    const issues = duplicateKeyIssues('azure_keys', [{ key: 'a' }, { key: 'b' }, { key: 'a' }, { key: 'a' }, { key: 'b' }]);
    expect(issues).toEqual([
      { level: 'error', path: 'azure_keys.2.key', message: 'the same key as azure_keys.0' },
      { level: 'error', path: 'azure_keys.3.key', message: 'the same key as azure_keys.0' },
      { level: 'error', path: 'azure_keys.4.key', message: 'the same key as azure_keys.1' },
    ]);
  });

  it('finds nothing in distinct keys or an empty list', () => {
    expect(duplicateKeyIssues('gemini_keys', [{ key: 'AIzaA' }, { key: 'AIzaB' }, { key: 'aizaa' }])).toEqual([]);
    expect(duplicateKeyIssues('gemini_keys', [])).toEqual([]);
  });

  it('treats a raw key and its sha256 reference as the same key, in either order', () => {
    const raw = 'sk-lure-0123456789';
    const ref = `sha256:${sha256Hex(raw)}`;
    expect(duplicateKeyIssues('keys', [{ key: raw }, { key: ref }])).toEqual([{ level: 'error', path: 'keys.1.key', message: 'the same key as keys.0' }]);
    expect(duplicateKeyIssues('keys', [{ key: ref }, { key: raw }])).toEqual([{ level: 'error', path: 'keys.1.key', message: 'the same key as keys.0' }]);
  });

  it('checks the entries against other lists, after the repeat within the list, in the order given', () => {
    const issues = duplicateKeyIssues('gemini_keys', [{ key: 'x' }, { key: 'x' }, { key: 'y' }], [
      ['keys', [{ key: 'y' }, { key: 'x' }, { key: 'x' }]],
      ['other_keys', [{ key: 'x' }]],
    ]);
    expect(issues).toEqual([
      { level: 'error', path: 'gemini_keys.0.key', message: 'the same key as keys.1' },
      { level: 'error', path: 'gemini_keys.0.key', message: 'the same key as other_keys.0' },
      { level: 'error', path: 'gemini_keys.1.key', message: 'the same key as gemini_keys.0' },
      { level: 'error', path: 'gemini_keys.1.key', message: 'the same key as keys.1' },
      { level: 'error', path: 'gemini_keys.1.key', message: 'the same key as other_keys.0' },
      { level: 'error', path: 'gemini_keys.2.key', message: 'the same key as keys.0' },
    ]);
  });

  it('is not fooled by hostile keys: prototype names, empty strings, malformed sha256 references', () => {
    expect(duplicateKeyIssues('keys', [{ key: '__proto__' }, { key: 'constructor' }, { key: 'hasOwnProperty' }, { key: 'toString' }])).toEqual([]);
    expect(duplicateKeyIssues('keys', [{ key: '__proto__' }, { key: '__proto__' }])).toEqual([{ level: 'error', path: 'keys.1.key', message: 'the same key as keys.0' }]);
    expect(duplicateKeyIssues('keys', [{ key: '' }, { key: '' }])).toEqual([{ level: 'error', path: 'keys.1.key', message: 'the same key as keys.0' }]);
    // a `sha256:` prefix with anything after it is compared as written (the schema refuses malformed ones)
    expect(duplicateKeyIssues('keys', [{ key: 'sha256:' }, { key: sha256Hex('') }])).toEqual([]);
    expect(duplicateKeyIssues('keys', [{ key: 'sha256:' }, { key: 'sha256:' }])).toHaveLength(1);
  });

  it('stays linear on a long list of repeats', () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => ({ key: `k${i % 2}` }));
    const started = performance.now();
    const issues = duplicateKeyIssues('keys', keys);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(issues).toHaveLength(19_998);
    expect(issues.at(-1)).toEqual({ level: 'error', path: 'keys.19999.key', message: 'the same key as keys.1' });
  });
});

describe('duplicateIssues', () => {
  it('compares by the identity given and names the field and the word given', () => {
    const ids = [{ access_key_id: 'AKIA1' }, { access_key_id: 'AKIA2' }, { access_key_id: 'AKIA1' }];
    expect(duplicateIssues('aws_keys', 'access_key_id', ids, (k) => k.access_key_id, 'access key id')).toEqual([
      { level: 'error', path: 'aws_keys.2.access_key_id', message: 'the same access key id as aws_keys.0' },
    ]);
  });
});
