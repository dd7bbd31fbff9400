/**
 * Plausible JSON values from a JSON Schema, for decoy answers that must parse: structured outputs
 * (`response_format: json_schema`), JSON mode and tool-call arguments. Bounded in depth and size so
 * a hostile schema cannot make the decoy build something huge.
 */
type Schema = Record<string, unknown>;

const MAX_DEPTH = 6;
const MAX_PROPS = 32;

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

export function fillSchema(schema: unknown, text: string, root?: unknown, depth = 0): unknown {
  if (!isSchema(schema) || depth > MAX_DEPTH) return null;
  const rootSchema = isSchema(root) ? root : schema;
  const s = resolveRef(schema, rootSchema);
  if (Array.isArray(s['enum']) && s['enum'].length > 0) return s['enum'][0];
  if ('const' in s) return s['const'];
  for (const key of ['anyOf', 'oneOf', 'allOf']) {
    const alts = s[key];
    if (Array.isArray(alts) && alts.length > 0) return fillSchema(alts.find((a) => isSchema(a) && a['type'] !== 'null') ?? alts[0], text, rootSchema, depth + 1);
  }
  let type = s['type'];
  if (Array.isArray(type)) type = type.find((t) => t !== 'null') ?? 'null';
  if (type === undefined && isSchema(s['properties'])) type = 'object';
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      const props = isSchema(s['properties']) ? Object.entries(s['properties']).slice(0, MAX_PROPS) : [];
      for (const [name, sub] of props) out[name] = fillSchema(sub, text, rootSchema, depth + 1);
      return out;
    }
    case 'array': {
      const min = typeof s['minItems'] === 'number' ? Math.min(s['minItems'], 3) : 1;
      return Array.from({ length: Math.max(1, min) }, () => fillSchema(s['items'], text, rootSchema, depth + 1));
    }
    case 'string':
      return s['format'] === 'date' ? new Date().toISOString().slice(0, 10) : s['format'] === 'date-time' ? new Date().toISOString() : text;
    case 'integer':
      return typeof s['minimum'] === 'number' ? Math.ceil(s['minimum']) : 1;
    case 'number':
      return typeof s['minimum'] === 'number' ? s['minimum'] : 1;
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      return text;
  }
}
