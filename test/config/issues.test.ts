/** Helpers of the config issues every provider's rules share (config/issues.ts). */
import { describe, expect, it } from 'vitest';
import { aType, uniqueIssues, type ConfigIssue } from '../../src/config/issues.js';

describe('uniqueIssues', () => {
  it('drops exact repeats and keeps the first of each, in order', () => {
    const a: ConfigIssue = { level: 'error', path: 'lure_defaults.upstream', message: 'no upstream named "x"' };
    const b: ConfigIssue = { level: 'warning', path: 'lure_defaults.upstream', message: 'no upstream named "x"' };
    const c: ConfigIssue = { level: 'error', path: 'azure_keys.1.upstream', message: 'no upstream named "x"' };
    expect(uniqueIssues([a, b, { ...a }, c, a, b])).toEqual([a, b, c]);
    expect(uniqueIssues([])).toEqual([]);
  });

  it('does not merge issues whose fields only join to the same text', () => {
    const x: ConfigIssue = { level: 'error', path: 'a|b', message: 'c' };
    const y: ConfigIssue = { level: 'error', path: 'a', message: 'b|c' };
    expect(uniqueIssues([x, y])).toEqual([x, y]);
  });
});

describe('aType', () => {
  it('puts the article a type is read with', () => {
    expect(aType('openai')).toBe('an openai');
    expect(aType('azure')).toBe('an azure');
    expect(aType('bedrock')).toBe('a bedrock');
    expect(aType('gemini')).toBe('a gemini');
  });
});
