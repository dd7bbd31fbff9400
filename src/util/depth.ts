/**
 * The nesting bound for every JSON body honeygate reads. Bodies are parsed by V8's `JSON.parse`,
 * which is iterative and takes any depth; everything that walks a parsed body afterwards (decoy
 * generation, validation, lure injection, token counting, schema filling, prompt extraction, tool
 * inspection, the JSON writer) recurses. A body nested deeper than MAX_JSON_DEPTH is therefore
 * treated as not JSON at the parse (each provider answers its own "could not parse" 400, as the
 * real services refuse such bodies), so no walker ever sees more than MAX_JSON_DEPTH levels.
 */

/** Containers (arrays and objects) nested in one JSON body, counting the outermost. */
export const MAX_JSON_DEPTH = 256;

/**
 * True when `value` nests containers deeper than `max`. Recursion stops at `max + 1` levels, so
 * the check itself cannot overflow the stack; it visits containers only (strings and numbers cost
 * one type check), a few hundred nanoseconds for a chat body.
 */
export function tooDeep(value: unknown, max: number = MAX_JSON_DEPTH): boolean {
  return deeper(value, max);
}

function deeper(value: unknown, left: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (left <= 0) return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (v !== null && typeof v === 'object' && deeper(v, left - 1)) return true;
    }
    return false;
  }
  const o = value as Record<string, unknown>;
  for (const k in o) {
    const v = o[k];
    if (v !== null && typeof v === 'object' && deeper(v, left - 1)) return true;
  }
  return false;
}

/** `JSON.parse` of UTF-8 text, undefined when it is not JSON or nests deeper than MAX_JSON_DEPTH. */
export function parseJsonText(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return tooDeep(value) ? undefined : value;
}
