/** The registries' message templates (util/template.ts): placeholders filled in order, missing ones empty, arguments never re-read as templates. */
import { describe, expect, it } from 'vitest';
import { fillTemplate } from '../../src/util/template.js';

describe('fillTemplate', () => {
  it('replaces {n} with the nth argument, wherever and however often it stands', () => {
    expect(fillTemplate('models/{0} is not found for API version {1}; {0} again', ['gemini-x', 'v1beta'])).toBe('models/gemini-x is not found for API version v1beta; gemini-x again');
  });

  it('leaves text without placeholders alone and fills a missing argument with nothing', () => {
    expect(fillTemplate('Not Found', [])).toBe('Not Found');
    expect(fillTemplate('a {0} b {1}', ['x'])).toBe('a x b ');
  });

  it('does not expand placeholders or replacement patterns inside the arguments', () => {
    expect(fillTemplate('{0}-{1}', ['{1}', '$&$1'])).toBe('{1}-$&$1');
    expect(fillTemplate('{0}', ['__proto__'])).toBe('__proto__');
  });
});
