/**
 * JSON writing as the providers format it. OpenAI pretty-prints success bodies with 2 spaces and a
 * trailing newline and writes some floats as `1.0` (wire-spec A2, A4.5); `Float` marks such a value.
 * One serializer for indented, compact and key-sorted (Bedrock) output.
 */

/** A number that must be written with a decimal point (`1.0`, `0.0`). */
export class Float {
  constructor(readonly value: number) {}
}

export interface JsonStyle {
  /** 0 = compact */
  readonly indent: number;
  /** separator after `:` in compact mode: OpenAI SSE uses none */
  readonly sortKeys?: boolean;
}

function writeNumber(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null';
}

function write(value: unknown, style: JsonStyle, depth: number): string {
  if (value === null || value === undefined) return 'null';
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
  let keys = Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined);
  if (style.sortKeys) keys = keys.sort();
  if (keys.length === 0) return '{}';
  return `{${keys
    .map((k) => `${pad}${JSON.stringify(k)}${colon}${write((value as Record<string, unknown>)[k], style, depth + 1)}`)
    .join(',')}${end}}`;
}

export function toJson(value: unknown, style: JsonStyle): string {
  return write(value, style, 0);
}

/** OpenAI success body: 2 spaces, trailing newline. */
export function openaiJson(value: unknown): string {
  return `${write(value, { indent: 2 }, 0)}\n`;
}

/** Compact JSON with every object's keys sorted (Bedrock bodies and event payloads). */
export function sortedCompactJson(value: unknown): string {
  return write(value, { indent: 0, sortKeys: true }, 0);
}
