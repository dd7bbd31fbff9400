/** The deception error registry: every name equals its code (the fastify habit). */
import { describe, expect, it } from 'vitest';
import { DECEPTION_ERRORS, DeceptionError, type DeceptionErrorCode } from '../../src/deception/errors.js';

describe('DeceptionError', () => {
  it('has name === code for every registered code, and the registered message', () => {
    for (const code of Object.keys(DECEPTION_ERRORS) as DeceptionErrorCode[]) {
      const e = new DeceptionError(code);
      expect(e.name).toBe(code);
      expect(e.code).toBe(code);
      expect(e.message).toBe(DECEPTION_ERRORS[code]);
      expect(e).toBeInstanceOf(Error);
      expect(code).toMatch(/^HG_DECEPTION_[A-Z_]+$/);
    }
  });

  it('appends a detail', () => {
    expect(new DeceptionError('HG_DECEPTION_BAD_ARGUMENT', 'x').message).toBe('invalid argument: x');
  });
});
