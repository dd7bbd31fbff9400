/**
 * util/json: the fast path (native JSON.stringify) writes exactly the bytes of the generic writer,
 * which still handles what JSON.stringify would write differently (Float, toJSON, functions,
 * hostile depth); a RenderedJson is sent as is in its own style only.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Float, RenderedJson, openaiJson, toJson } from '../../src/util/json.js';

describe('toJson fast path', () => {
  it('equals JSON.stringify with the same indent for plain JSON values (indent 0, 2, 4)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(toJson(v, { indent: 2 })).toBe(JSON.stringify(v, null, 2));
        expect(toJson(v, { indent: 4 })).toBe(JSON.stringify(v, null, 4));
        expect(toJson(v, { indent: 0 })).toBe(JSON.stringify(v));
        expect(openaiJson(v)).toBe(`${JSON.stringify(v, null, 2)}\n`);
      }),
      { numRuns: 300 },
    );
  });

  it('writes what the generic writer writes (a Float beside the value forces the generic writer)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        for (const indent of [0, 2]) {
          const generic = toJson([new Float(0), v], { indent });
          const fast = toJson([0, v], { indent });
          expect(generic).toBe(indent === 0 ? fast.replace('[0,', '[0.0,') : fast.replace('[\n  0,', '[\n  0.0,'));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('keeps the generic writer’s answers where JSON.stringify would differ', () => {
    // Float: a decimal point on integers, anywhere in the tree
    expect(toJson({ a: [{ t: new Float(1) }], b: new Float(0.5) }, { indent: 0 })).toBe('{"a":[{"t":1.0}],"b":0.5}');
    expect(openaiJson({ temperature: new Float(1) })).toBe('{\n  "temperature": 1.0\n}\n');
    // a function-valued property is null (JSON.stringify would drop the key), a toJSON is not called
    expect(toJson({ f: () => 1, d: new Date(0) }, { indent: 0 })).toBe('{"f":null,"d":{}}');
    // undefined at the top is null; undefined properties are skipped; non-finite numbers are null
    expect(toJson(undefined, { indent: 2 })).toBe('null');
    expect(toJson({ u: undefined, n: Number.NaN, i: [Infinity] }, { indent: 0 })).toBe('{"n":null,"i":[null]}');
    // class instances are written by their own enumerable keys
    class P {
      constructor(readonly x: number) {}
    }
    expect(toJson({ p: new P(3) }, { indent: 0 })).toBe('{"p":{"x":3}}');
  });

  it('writes deep values beyond the fast path’s depth the same way', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100; i++) deep = { d: [deep] };
    expect(toJson(deep, { indent: 2 })).toBe(JSON.stringify(deep, null, 2));
  });
});

describe('RenderedJson', () => {
  const text = '{\n  "a": 1,\n  "b": [\n    true\n  ]\n}';

  it('is sent as is in its own style', () => {
    // a marker the text alone carries: the writer would never produce this spacing
    const odd = new RenderedJson('{ "as":   "is" }', 2);
    expect(openaiJson(odd)).toBe('{ "as":   "is" }\n');
    expect(toJson(new RenderedJson(text, 2), { indent: 2 })).toBe(text);
  });

  it('is parsed and written in any other style, or when nested', () => {
    expect(toJson(new RenderedJson(text, 2), { indent: 0 })).toBe('{"a":1,"b":[true]}');
    expect(toJson({ x: new RenderedJson(text, 2) }, { indent: 2 })).toBe(JSON.stringify({ x: { a: 1, b: [true] } }, null, 2));
  });
});
