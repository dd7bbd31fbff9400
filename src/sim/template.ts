/**
 * The template language of flow and profile files: `{{name}}` inserts a parameter, `{{name|filter}}`
 * transforms it, `{{$generator}}` makes a fresh value (ids, dates). A string that is exactly one
 * `{{x|int}}`, `|number`, `|bool` or `|json` becomes a typed JSON value, so a tester can change
 * `max_tokens` without editing the body. An unknown name is an error, never an empty string.
 */
import { createHash, randomBytes, randomInt, randomUUID } from 'node:crypto';
import type { JsonValue } from './json.js';

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

export type Vars = Readonly<Record<string, string>>;

const TOKEN = /\{\{\s*(\$?[A-Za-z_][A-Za-z0-9_]*)(?::(\d{1,4}))?\s*(?:\|\s*([a-z0-9]+)\s*)?\}\}/g;
const WHOLE = /^\{\{\s*(\$?[A-Za-z_][A-Za-z0-9_]*)(?::(\d{1,4}))?\s*(?:\|\s*([a-z0-9]+)\s*)?\}\}$/;

export const FILTERS = ['uri', 'int', 'number', 'bool', 'json', 'upper', 'lower', 'base64'] as const;
const GENERATORS = ['$uuid', '$hex', '$alnum', '$lower', '$digits', '$unix', '$unix_ms', '$date_http', '$amz_date', '$iso', '$floats'] as const;

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const LOWER = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** Where generated values come from: the system's CSPRNG, or a seeded stream (reproducible runs). */
export interface RandomSource {
  bytes(n: number): Buffer;
  /** an integer in [min, max) */
  int(min: number, max: number): number;
  uuid(): string;
}

export const SYSTEM_RANDOM: RandomSource = {
  bytes: (n) => randomBytes(n),
  int: (min, max) => randomInt(min, max),
  uuid: () => randomUUID(),
};

/**
 * A deterministic stream: SHA-256 of (seed, counter) blocks. The same seed gives the same ids,
 * hex strings and digits, so a seeded run's bytes can be reproduced and diffed.
 */
export function seededRandom(seed: string): RandomSource {
  let counter = 0;
  let pool = Buffer.alloc(0);
  const bytes = (n: number): Buffer => {
    while (pool.length < n) {
      pool = Buffer.concat([pool, createHash('sha256').update(`${seed}\0${counter++}`).digest()]);
    }
    const out = pool.subarray(0, n);
    pool = pool.subarray(n);
    return Buffer.from(out);
  };
  const int = (min: number, max: number): number => {
    const range = max - min;
    if (range <= 0) return min;
    // rejection sampling over 48 bits keeps the distribution uniform
    const limit = Math.floor(2 ** 48 / range) * range;
    for (;;) {
      const v = bytes(6).readUIntBE(0, 6);
      if (v < limit) return min + (v % range);
    }
  };
  const uuid = (): string => {
    const b = bytes(16);
    b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
    b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
    const h = b.toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  };
  return { bytes, int, uuid };
}

function pick(alphabet: string, n: number, rng: RandomSource): string {
  let out = '';
  for (let i = 0; i < n; i++) out += alphabet[rng.int(0, alphabet.length)];
  return out;
}

/** `20250130T203827Z` (SigV4 x-amz-date). */
export function amzDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** RFC 3986 percent-encoding of everything but unreserved characters (botocore `percent_encode`). */
export function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function generate(name: string, arg: string | undefined, now: Date, rng: RandomSource): string {
  const n = arg === undefined ? 16 : Number(arg);
  switch (name) {
    case '$uuid':
      return rng.uuid();
    case '$hex':
      return rng.bytes(Math.ceil(n / 2)).toString('hex').slice(0, n);
    case '$alnum':
      return pick(ALNUM, n, rng);
    case '$lower':
      return pick(LOWER, n, rng);
    case '$digits':
      return pick('0123456789', n, rng);
    case '$unix':
      return String(Math.floor(now.getTime() / 1000));
    case '$unix_ms':
      return String(now.getTime());
    case '$date_http':
      return now.toUTCString();
    case '$amz_date':
      return amzDate(now);
    case '$iso':
      return now.toISOString();
    case '$floats':
      // a JSON array of n floats in [-0.1, 0.1): embedding vectors (use with |json)
      return `[${Array.from({ length: Math.min(n, 8192) }, () => (rng.int(-100000, 100000) / 1e6).toString()).join(',')}]`;
    default:
      throw new TemplateError(`unknown generator {{${name}}} (known: ${GENERATORS.join(', ')})`);
  }
}

function lookup(name: string, arg: string | undefined, vars: Vars, now: Date, where: string, rng: RandomSource): string {
  if (name.startsWith('$')) return generate(name, arg, now, rng);
  if (arg !== undefined) throw new TemplateError(`${where}: only generators take an argument ({{${name}:${arg}}})`);
  const value = vars[name];
  if (value === undefined) throw new TemplateError(`${where}: unknown parameter {{${name}}}`);
  return value;
}

function applyText(filter: string | undefined, value: string, where: string): string {
  switch (filter) {
    case undefined:
    case 'int':
    case 'number':
    case 'bool':
    case 'json':
      return value;
    case 'uri':
      return uriEncode(value);
    case 'upper':
      return value.toUpperCase();
    case 'lower':
      return value.toLowerCase();
    case 'base64':
      return Buffer.from(value, 'utf8').toString('base64');
    default:
      throw new TemplateError(`${where}: unknown filter |${filter} (known: ${FILTERS.join(', ')})`);
  }
}

function typed(filter: string, value: string, where: string): JsonValue {
  switch (filter) {
    case 'int': {
      if (!/^-?\d{1,15}$/.test(value.trim())) throw new TemplateError(`${where}: ${JSON.stringify(value)} is not an integer`);
      return Number(value);
    }
    case 'number': {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n)) throw new TemplateError(`${where}: ${JSON.stringify(value)} is not a number`);
      return n;
    }
    case 'bool':
      if (value === 'true') return true;
      if (value === 'false') return false;
      throw new TemplateError(`${where}: ${JSON.stringify(value)} is not true or false`);
    case 'json':
      try {
        return JSON.parse(value) as JsonValue;
      } catch {
        throw new TemplateError(`${where}: ${JSON.stringify(value.slice(0, 40))} is not JSON`);
      }
    default:
      return applyText(filter, value, where);
  }
}

/** Render a template string. `where` names the place for error messages. */
export function renderString(template: string, vars: Vars, where: string, now: Date = new Date(), rng: RandomSource = SYSTEM_RANDOM): string {
  if (template.replace(TOKEN, '').includes('{{')) {
    throw new TemplateError(`${where}: malformed template ${JSON.stringify(template.slice(0, 60))}`);
  }
  return template.replace(TOKEN, (_m, name: string, arg: string | undefined, filter: string | undefined) =>
    applyText(filter, lookup(name, arg, vars, now, where, rng), where),
  );
}

/** Render a JSON template: every string is rendered; whole-string typed tokens become typed values. */
export function renderJson(template: JsonValue, vars: Vars, where: string, now: Date = new Date(), rng: RandomSource = SYSTEM_RANDOM): JsonValue {
  if (typeof template === 'string') {
    const whole = WHOLE.exec(template);
    if (whole) {
      const [, name = '', arg, filter] = whole;
      const value = lookup(name, arg, vars, now, where, rng);
      return filter === undefined ? value : typed(filter, value, where);
    }
    return renderString(template, vars, where, now, rng);
  }
  if (Array.isArray(template)) return template.map((v, i) => renderJson(v, vars, `${where}.${i}`, now, rng));
  if (template !== null && typeof template === 'object') {
    const out: { [key: string]: JsonValue } = {};
    for (const [k, v] of Object.entries(template)) out[k] = renderJson(v, vars, `${where}.${k}`, now, rng);
    return out;
  }
  return template;
}

/** Names of the parameters a template string refers to (generators excluded). */
export function referencedNames(template: string): string[] {
  const names: string[] = [];
  for (const m of template.matchAll(TOKEN)) if (m[1] !== undefined && !m[1].startsWith('$')) names.push(m[1]);
  return names;
}
