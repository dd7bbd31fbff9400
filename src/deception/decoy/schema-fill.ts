/**
 * Plausible JSON values from a JSON Schema, for decoy answers that must parse: structured outputs
 * (`response_format` / Responses `text.format` json_schema, JSON mode), tool-call arguments and
 * Bedrock tool-forced output. A value is chosen by the schema's `enum`/`const`, `format`, type and
 * bounds, then by the field's name (an `email` gets an address, an `age` an age, a `city` a city);
 * the lure's reply goes into the first free-text field (`answer`, `text`, `summary` …, or the first
 * string when there is none) and nowhere else, as a model fills one answer field and plausible
 * values around it. Values are derived from the reply and the field name, so one request always
 * gets the same object. Bounded in depth and size so a hostile schema cannot make the decoy build
 * something huge.
 */
import { createHash } from 'node:crypto';

type Schema = Record<string, unknown>;

const MAX_DEPTH = 6;
const MAX_PROPS = 32;

interface Fill {
  readonly root: Schema;
  readonly text: string;
  /** the reply has been placed */
  placed: boolean;
  /** the object has a free-text field somewhere (the reply goes there, not into the first string) */
  readonly hasTextField: boolean;
}

function isSchema(v: unknown): v is Schema {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function resolveRef(schema: Schema, root: Schema): Schema {
  const ref = schema['$ref'];
  if (typeof ref !== 'string' || !ref.startsWith('#/')) return schema;
  let node: unknown = root;
  for (const part of ref.slice(2).split('/').slice(0, 8)) node = isSchema(node) ? node[part.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
  return isSchema(node) ? node : {};
}

const TEXT_FIELD = /^(answer|text|content|response|reply|message|output|result|summary|description|explanation|reasoning|body|comment|notes?|details?|analysis|translation|completion)$/i;

/** Does any property (at any depth, bounded) look like a free-text field? */
function findTextField(schema: unknown, root: Schema, depth: number): boolean {
  if (!isSchema(schema) || depth > MAX_DEPTH) return false;
  const s = resolveRef(schema, root);
  const props = isSchema(s['properties']) ? Object.entries(s['properties']).slice(0, MAX_PROPS) : [];
  for (const [name, sub] of props) {
    if (TEXT_FIELD.test(name) && isSchema(sub) && typeOf(resolveRef(sub, root)) === 'string') return true;
    if (findTextField(sub, root, depth + 1)) return true;
  }
  return findTextField(s['items'], root, depth + 1);
}

function typeOf(s: Schema): unknown {
  let type = s['type'];
  if (Array.isArray(type)) type = type.find((t) => t !== 'null') ?? 'null';
  if (type === undefined && isSchema(s['properties'])) type = 'object';
  return type;
}

/** A stable pseudo-random integer for this reply and field. */
function pick(ctx: Fill, name: string, n: number): number {
  return n <= 1 ? 0 : createHash('sha256').update(`${ctx.text}\u0000${name}`).digest().readUInt32BE(0) % n;
}

const FIRST = ['Maria', 'James', 'Aisha', 'Daniel', 'Sofia', 'Liam', 'Chen', 'Olivia', 'Mateo', 'Priya'];
const LAST = ['Okafor', 'Schmidt', 'Tanaka', 'Rossi', 'Nguyen', 'Garcia', 'Cohen', 'Larsen', 'Silva', 'Kowalski'];
const CITIES = ['Lisbon', 'Toronto', 'Austin', 'Berlin', 'Melbourne', 'Osaka', 'Denver', 'Lyon', 'Seattle', 'Dublin'];
const COUNTRIES = ['Portugal', 'Canada', 'United States', 'Germany', 'Australia', 'Japan', 'France', 'Ireland'];
const WORDS = ['alpha', 'standard', 'primary', 'active', 'general', 'default', 'pending', 'review', 'core', 'basic'];

function stringFor(ctx: Fill, name: string, s: Schema): string {
  const format = s['format'];
  const now = new Date();
  if (format === 'date') return now.toISOString().slice(0, 10);
  if (format === 'date-time') return now.toISOString().slice(0, 19) + 'Z';
  if (format === 'time') return now.toISOString().slice(11, 19);
  if (format === 'email' || /e-?mail/i.test(name)) return `${(FIRST[pick(ctx, name, FIRST.length)] ?? 'maria').toLowerCase()}.${(LAST[pick(ctx, `${name}l`, LAST.length)] ?? 'okafor').toLowerCase()}@example.com`;
  if (format === 'uri' || format === 'url' || /(^|_)(url|uri|link|website)$/i.test(name)) return 'https://example.com/';
  if (format === 'uuid' || /(^|_)uuid$/i.test(name)) {
    const h = createHash('sha256').update(`${ctx.text}\u0000${name}`).digest('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }
  if (!ctx.placed && (TEXT_FIELD.test(name) || !ctx.hasTextField)) {
    ctx.placed = true;
    return ctx.text;
  }
  const first = FIRST[pick(ctx, name, FIRST.length)] ?? 'Maria';
  const last = LAST[pick(ctx, `${name}l`, LAST.length)] ?? 'Okafor';
  if (/^(first_?name|given_?name)$/i.test(name)) return first;
  if (/^(last_?name|family_?name|surname)$/i.test(name)) return last;
  if (/name$/i.test(name) || /^(author|person|user|customer|owner)$/i.test(name)) return `${first} ${last}`;
  if (/city|location|place|destination|origin/i.test(name)) return CITIES[pick(ctx, name, CITIES.length)] ?? 'Lisbon';
  if (/country/i.test(name)) return COUNTRIES[pick(ctx, name, COUNTRIES.length)] ?? 'Canada';
  if (/phone/i.test(name)) return `+1-555-01${String(10 + pick(ctx, name, 89))}`;
  if (/(^|_)(id|code|sku|ref)$/i.test(name)) return `${name.slice(0, 3).toLowerCase()}_${createHash('sha256').update(`${ctx.text}${name}`).digest('hex').slice(0, 8)}`;
  if (/title|headline|subject|topic/i.test(name)) return 'Overview';
  if (/lang/i.test(name)) return 'en';
  if (/currency/i.test(name)) return 'USD';
  if (/unit/i.test(name)) return 'celsius';
  const word = WORDS[pick(ctx, name, WORDS.length)] ?? 'standard';
  const min = typeof s['minLength'] === 'number' ? s['minLength'] : 0;
  return word.length >= min ? word : word.padEnd(Math.min(min, 256), 'x');
}

function integerFor(ctx: Fill, name: string, s: Schema): number {
  const min = typeof s['minimum'] === 'number' ? Math.ceil(s['minimum']) : typeof s['exclusiveMinimum'] === 'number' ? Math.floor(s['exclusiveMinimum']) + 1 : undefined;
  const max = typeof s['maximum'] === 'number' ? Math.floor(s['maximum']) : typeof s['exclusiveMaximum'] === 'number' ? Math.ceil(s['exclusiveMaximum']) - 1 : undefined;
  let v: number;
  if (/age/i.test(name)) v = 24 + pick(ctx, name, 40);
  else if (/year/i.test(name)) v = new Date().getUTCFullYear() - pick(ctx, name, 5);
  else if (/(count|quantity|number|num|total|amount|items|size)/i.test(name)) v = 1 + pick(ctx, name, 12);
  else if (/(rating|score|rank|priority|level)/i.test(name)) v = 1 + pick(ctx, name, 5);
  else if (/(percent|pct)/i.test(name)) v = 10 + pick(ctx, name, 80);
  else v = 1 + pick(ctx, name, 20);
  if (min !== undefined && v < min) v = min;
  if (max !== undefined && v > max) v = max;
  return v;
}

function numberFor(ctx: Fill, name: string, s: Schema): number {
  const min = typeof s['minimum'] === 'number' ? s['minimum'] : undefined;
  const max = typeof s['maximum'] === 'number' ? s['maximum'] : undefined;
  let v: number;
  if (/(confidence|probability|score|ratio|weight)/i.test(name)) v = 0.5 + pick(ctx, name, 49) / 100;
  else if (/(price|cost|amount|total|balance)/i.test(name)) v = 5 + pick(ctx, name, 195) + 0.99;
  else if (/temp/i.test(name)) v = 12 + pick(ctx, name, 180) / 10;
  else if (/^lat/i.test(name)) v = 38.72;
  else if (/^(lon|lng)/i.test(name)) v = -9.14;
  else v = 1 + pick(ctx, name, 900) / 10;
  if (min !== undefined && v < min) v = min;
  if (max !== undefined && v > max) v = max;
  return v;
}

function fill(schema: unknown, ctx: Fill, name: string, depth: number): unknown {
  if (!isSchema(schema) || depth > MAX_DEPTH) return null;
  const s = resolveRef(schema, ctx.root);
  if (Array.isArray(s['enum']) && s['enum'].length > 0) return s['enum'][pick(ctx, name, s['enum'].length)];
  if ('const' in s) return s['const'];
  for (const key of ['anyOf', 'oneOf', 'allOf']) {
    const alts = s[key];
    if (Array.isArray(alts) && alts.length > 0) return fill(alts.find((a) => isSchema(a) && a['type'] !== 'null') ?? alts[0], ctx, name, depth + 1);
  }
  switch (typeOf(s)) {
    case 'object': {
      const out: Record<string, unknown> = {};
      const props = isSchema(s['properties']) ? Object.entries(s['properties']).slice(0, MAX_PROPS) : [];
      for (const [prop, sub] of props) out[prop] = fill(sub, ctx, prop, depth + 1);
      return out;
    }
    case 'array': {
      const min = typeof s['minItems'] === 'number' ? Math.min(s['minItems'], 3) : 1;
      const singular = name.endsWith('s') ? name.slice(0, -1) : name;
      return Array.from({ length: Math.max(1, min) }, (_, i) => fill(s['items'], ctx, i === 0 ? singular : `${singular}${i}`, depth + 1));
    }
    case 'string':
      return stringFor(ctx, name, s);
    case 'integer':
      return integerFor(ctx, name, s);
    case 'number':
      return numberFor(ctx, name, s);
    case 'boolean':
      return /^(is_?|has_?|should_?|can_?)?(valid|success|ok|enabled|active|available|correct)/i.test(name) || pick(ctx, name, 2) === 0;
    case 'null':
      return null;
    default:
      if (!ctx.placed) {
        ctx.placed = true;
        return ctx.text;
      }
      return stringFor(ctx, name, s);
  }
}

export function fillSchema(schema: unknown, text: string, root?: unknown): unknown {
  const rootSchema = isSchema(root) ? root : isSchema(schema) ? schema : {};
  const ctx: Fill = { root: rootSchema, text, placed: false, hasTextField: findTextField(schema, rootSchema, 0) };
  return fill(schema, ctx, '', 0);
}
