/**
 * The OpenAI error bodies are written from templates (render.ts, errors.ts) for speed: they must
 * stay byte for byte what JSON.stringify with the layer's indent and a regex fill would give.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OPENAI_ERRORS, openaiError, type OpenAIErrorBody, type OpenAIErrorCode } from '../../src/providers/openai/errors.js';
import { formatErrorBody } from '../../src/providers/openai/render.js';

function reference(error: OpenAIErrorBody, layer: 'legacy' | 'current'): string {
  const body = { error: { message: error.message, type: error.type, param: error.param, code: error.code } };
  return layer === 'legacy' ? `${JSON.stringify(body, null, 4)}\n` : JSON.stringify(body, null, 2);
}

const codes = Object.keys(OPENAI_ERRORS) as OpenAIErrorCode[];

describe('OpenAI error rendering', () => {
  it('fills every registry template as a regex replace would', () => {
    fc.assert(
      fc.property(fc.constantFrom(...codes), fc.array(fc.string({ unit: 'binary' }), { maxLength: 4 }), (code, args) => {
        const spec = OPENAI_ERRORS[code];
        const expected = args.length === 0 ? spec.message : spec.message.replace(/\{(\d)\}/g, (_m, i: string) => args[Number(i)] ?? '');
        expect(openaiError(code, args).message).toBe(expected);
      }),
      { numRuns: 400 },
    );
    // a real one, with the masked key
    expect(openaiError('invalid_api_key', ['sk-proj-****abcd']).message).toBe(
      'Incorrect API key provided: sk-proj-****abcd. You can find your API key at https://platform.openai.com/account/api-keys.',
    );
  });

  it('writes each layer byte for byte as JSON.stringify with its indent', () => {
    fc.assert(
      fc.property(
        fc.record({ message: fc.string({ unit: 'binary' }), type: fc.string(), param: fc.option(fc.string({ unit: 'binary' })), code: fc.option(fc.string()) }),
        fc.constantFrom('legacy' as const, 'current' as const),
        (error, layer) => {
          expect(formatErrorBody(error, layer)).toBe(reference(error, layer));
        },
      ),
      { numRuns: 400 },
    );
    for (const code of codes) {
      const spec = OPENAI_ERRORS[code];
      const error = openaiError(code, ['a "quoted"\narg', '\\', '\u2028'], code === 'invalid_api_key' ? null : 'model');
      expect(formatErrorBody(error, spec.layer)).toBe(reference(error, spec.layer));
    }
  });
});
