/**
 * JSON writing as the providers format it. OpenAI pretty-prints success bodies with 2 spaces and a
 * trailing newline and writes some floats as `1.0`; `Float` marks such a value.
 * One serializer for indented and compact output (Bedrock's key-sorted JSON is surfaces/bedrock/eventstream.ts `sortedJson`).
 */

/** A number that must be written with a decimal point (`1.0`, `0.0`). */
export class Float {
  constructor(readonly value: number) {}
}

/**
 * A body already written by a fixed-shape template (decoy/openai.ts `chatCompletionJson`) in the
 * compact (0) or indented style it names: toJson returns its text as is when asked for that style
 * (anywhere else it is parsed and written like any value), so a hot answer skips the generic writer
 * but still goes through the one renderer (surfaces/openai/render.ts).
 */
export class RenderedJson {
  constructor(
    readonly text: string,
    readonly indent: number,
  ) {}
}

export interface JsonStyle {
  /** 0 = compact */
  readonly indent: number;
}

function writeNumber(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null';
}

function write(value: unknown, style: JsonStyle, depth: number): string {
  if (value === null || value === undefined) return 'null';
  // in another style or nested in another value: its parsed value, written in this one
  if (value instanceof RenderedJson) return write(JSON.parse(value.text), style, depth);
  if (value instanceof Float) {
    const s = writeNumber(value.value);
    return Number.isInteger(value.value) ? `${s}.0` : s;
  }
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return writeNumber(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      break;
    default:
      return 'null';
  }
  const pad = style.indent > 0 ? '\n' + ' '.repeat(style.indent * (depth + 1)) : '';
  const end = style.indent > 0 ? '\n' + ' '.repeat(style.indent * depth) : '';
  const colon = style.indent > 0 ? ': ' : ':';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[${value.map((v) => pad + write(v, style, depth + 1)).join(',')}${end}]`;
  }
  const keys = Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined);
  if (keys.length === 0) return '{}';
  return `{${keys
    .map((k) => `${pad}${JSON.stringify(k)}${colon}${write((value as Record<string, unknown>)[k], style, depth + 1)}`)
    .join(',')}${end}}`;
}

const MAX_PLAIN_DEPTH = 64;

/**
 * True when `JSON.stringify` writes exactly what `write` does: a tree of strings, numbers, booleans,
 * null/undefined, arrays and objects whose prototype is Object.prototype or null, with no `toJSON`,
 * no Float, no function, symbol or bigint (where the two disagree), not deeper than
 * MAX_PLAIN_DEPTH (a cycle or a hostile depth goes to `write`, which throws as before).
 * Both enumerate own enumerable string keys in the same order, skip undefined properties, write
 * undefined array items and non-finite numbers as null, and format numbers and strings alike.
 */
function isPlain(value: unknown, depth: number): boolean {
  if (value === null) return true;
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'undefined':
      return true;
    case 'object':
      break;
    default:
      return false;
  }
  if (depth >= MAX_PLAIN_DEPTH) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!isPlain(value[i], depth + 1)) return false;
    return true;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  const o = value as Record<string, unknown>;
  if (o['toJSON'] !== undefined) return false;
  for (const k in o) if (!isPlain(o[k], depth + 1)) return false;
  return true;
}

/**
 * The serializer's hot path: V8's native `JSON.stringify` whenever it writes the same bytes
 * (isPlain), `write` otherwise (Floats, toJSON). util/json's `write` was ~7% of the lure
 * path's CPU profile (issue 11): 5.0 µs for a chat completion against 1.8 µs + a ~0.3 µs check.
 */
export function toJson(value: unknown, style: JsonStyle): string {
  if (value instanceof RenderedJson && value.indent === style.indent) return value.text;
  // JSON.stringify caps its indent at 10 spaces
  if (Number.isInteger(style.indent) && style.indent <= 10 && isPlain(value, 0)) {
    const text = style.indent > 0 ? JSON.stringify(value, null, style.indent) : JSON.stringify(value);
    // JSON.stringify(undefined) is undefined, write() says null
    if (text !== undefined) return text;
  }
  return write(value, style, 0);
}

/** OpenAI success body: 2 spaces, trailing newline. */
export function openaiJson(value: unknown): string {
  return `${toJson(value, { indent: 2 })}\n`;
}
