/**
 * JSON writers that reproduce the byte layout of real clients and servers:
 * JavaScript / httpx compact output, Python's `json.dumps` defaults (`", "` and `": "`, \uXXXX
 * escapes), OpenAI's pretty-printed bodies, and Bedrock's compact alphabetical keys.
 */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** compact: `{"a":1}`; python: `{"a": 1}`; pretty2/pretty4: indented with a trailing newline (OpenAI). */
export type JsonStyle = 'compact' | 'python' | 'pretty2' | 'pretty4';

/**
 * Key order: as written in the flow file; `sorted` (every level, Bedrock responses);
 * `sorted-top` (top level only); `required-first` (the flow's required keys, then the rest of the
 * top level sorted: the code generator order of openai-python).
 */
export type KeyOrder = 'as-written' | 'sorted' | 'sorted-top' | 'required-first';

export interface JsonFormat {
  readonly style: JsonStyle;
  /** escape every non-ASCII character as \uXXXX (Python's ensure_ascii=True) */
  readonly ascii: boolean;
  readonly order: KeyOrder;
}

export const COMPACT: JsonFormat = { style: 'compact', ascii: false, order: 'as-written' };

function isObject(value: JsonValue): value is { [key: string]: JsonValue } {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function sortKeys(value: JsonValue, deep: boolean): JsonValue {
  if (Array.isArray(value)) return deep ? value.map((v) => sortKeys(v, deep)) : value;
  if (!isObject(value)) return value;
  const out: { [key: string]: JsonValue } = {};
  for (const key of Object.keys(value).sort()) {
    const v = value[key] as JsonValue;
    out[key] = deep ? sortKeys(v, deep) : v;
  }
  return out;
}

/** Reorder keys as the format says; `required` lists the keys an SDK writes first. */
export function orderKeys(value: JsonValue, order: KeyOrder, required: readonly string[] = []): JsonValue {
  switch (order) {
    case 'as-written':
      return value;
    case 'sorted':
      return sortKeys(value, true);
    case 'sorted-top':
      return sortKeys(value, false);
    case 'required-first': {
      if (!isObject(value)) return value;
      const out: { [key: string]: JsonValue } = {};
      for (const key of required) if (key in value) out[key] = value[key] as JsonValue;
      for (const key of Object.keys(value).sort()) if (!(key in out)) out[key] = value[key] as JsonValue;
      return out;
    }
    default: {
      const never: never = order;
      return never;
    }
  }
}

function escapeAscii(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    out += code > 0x7f ? `\\u${code.toString(16).padStart(4, '0')}` : text[i];
  }
  return out;
}

function str(text: string, ascii: boolean): string {
  const json = JSON.stringify(text);
  return ascii ? escapeAscii(json) : json;
}

function write(value: JsonValue, f: JsonFormat, indent: string, level: number): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return str(value, f.ascii);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('JSON cannot hold NaN or Infinity');
    return JSON.stringify(value);
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  const comma = f.style === 'python' ? ', ' : ',';
  const colon = f.style === 'compact' ? ':' : ': ';
  const pretty = indent !== '';
  const inner = pretty ? `\n${indent.repeat(level + 1)}` : '';
  const outer = pretty ? `\n${indent.repeat(level)}` : '';
  const sep = pretty ? ',' : comma;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[${value.map((v) => inner + write(v, f, indent, level + 1)).join(sep)}${outer}]`;
  }
  const keys = Object.keys(value);
  if (keys.length === 0) return '{}';
  return `{${keys.map((k) => `${inner}${str(k, f.ascii)}${colon}${write(value[k] as JsonValue, f, indent, level + 1)}`).join(sep)}${outer}}`;
}

/** Serialize with the given layout; key order must already be applied (see orderKeys). */
export function formatJson(value: JsonValue, format: JsonFormat): string {
  switch (format.style) {
    case 'compact':
    case 'python':
      return write(value, format, '', 0);
    case 'pretty2':
      return `${write(value, format, '  ', 0)}\n`;
    case 'pretty4':
      return `${write(value, format, '    ', 0)}\n`;
    default: {
      const never: never = format.style;
      return never;
    }
  }
}

/** Narrow unknown parsed YAML/JSON to JsonValue (rejects undefined, functions, non-finite numbers). */
export function isJsonValue(value: unknown): value is JsonValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(isJsonValue);
  if (typeof value === 'object') return Object.values(value as Record<string, unknown>).every(isJsonValue);
  return false;
}

/** Read a dotted path (`choices.0.message.content`) from parsed JSON; undefined when absent. */
export function getPath(value: unknown, path: string): unknown {
  let cur: unknown = value;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (Array.isArray(cur)) {
      if (!/^\d+$/.test(part)) return undefined;
      cur = cur[Number(part)];
    } else {
      if (!Object.prototype.hasOwnProperty.call(cur, part)) return undefined;
      cur = (cur as Record<string, unknown>)[part];
    }
  }
  return cur;
}
