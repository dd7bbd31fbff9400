/**
 * The tool definitions a thief sent with a lure key, as the event records them
 * (`honeygate.lure.tools`): what their agent was built to do (read files, run shell commands,
 * search the web) is intelligence the prompt alone does not give.
 *
 * Runs where events are built (the events worker), never on the request thread: the surfaces only
 * keep a reference to their body's tool list (core/exchange.ts `lureTools`). One normalizer for
 * every provider's shape:
 *
 * - OpenAI chat / Azure / Gemini's OpenAI-compatible API: `{type: 'function', function: {name, description, parameters}}`
 *   and the legacy `functions: [{name, description, parameters}]`
 * - OpenAI Responses: `{type: 'function', name, description, parameters}`, built-ins `{type: 'web_search'}` …
 * - Anthropic (and Anthropic bodies on Bedrock InvokeModel): `{name, description, input_schema}`,
 *   server tools `{type: 'web_search_20250305', name: 'web_search'}`
 * - Bedrock Converse: `{toolSpec: {name, description, inputSchema: {json}}}`
 * - Gemini: `{functionDeclarations: [{name, description, parameters | parametersJsonSchema}]}`,
 *   built-ins `{googleSearch: {}}`, `{codeExecution: {}}` …
 *
 * Bounded: at most MAX_TOOLS entries, a name of 128 characters, a description of 1 024, the
 * parameter schema as compact JSON text of at most 4 096 (a string, not an object: a SIEM index
 * must not grow one field per attacker-chosen property name), and 24 KiB in all. Key-shaped secrets
 * are masked (redact.ts), as everywhere an event records client text.
 */
import { redactSecrets } from './redact.js';

export interface LureTool {
  readonly name: string;
  /** the declared type when not a plain function (`web_search`, `code_interpreter`, `googleSearch` …) */
  readonly type?: string;
  readonly description?: string;
  /** the parameter (input) schema, compact JSON text, truncated with `…` */
  readonly parameters?: string;
}

export const MAX_TOOLS = 64;
const MAX_NAME = 128;
const MAX_DESCRIPTION = 1024;
const MAX_PARAMETERS = 4096;
const MAX_TOTAL = 24 * 1024;
const MAX_GEMINI_DECLARATIONS = 128;

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function text(v: unknown, max: number): string | undefined {
  if (typeof v !== 'string' || v === '') return undefined;
  return redactSecrets(v.length > max ? `${v.slice(0, max)}…` : v);
}

function schemaText(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  let json: string | undefined;
  try {
    json = JSON.stringify(v);
  } catch {
    return undefined; // a cycle cannot come from JSON.parse; anything else odd is skipped
  }
  if (json === undefined) return undefined;
  return redactSecrets(json.length > MAX_PARAMETERS ? `${json.slice(0, MAX_PARAMETERS)}…` : json);
}

function tool(name: unknown, type: string | undefined, description: unknown, parameters: unknown): LureTool | undefined {
  const n = text(name, MAX_NAME) ?? (type !== undefined ? text(type, MAX_NAME) : undefined);
  if (n === undefined) return undefined;
  const out: { name: string; type?: string; description?: string; parameters?: string } = { name: n };
  const t = type !== undefined && type !== 'function' && type !== 'custom' ? text(type, MAX_NAME) : undefined;
  if (t !== undefined) out.type = t;
  const d = text(description, MAX_DESCRIPTION);
  if (d !== undefined) out.description = d;
  const p = schemaText(parameters);
  if (p !== undefined) out.parameters = p;
  return out;
}

/** One entry of a tool list, in any provider's shape: zero, one or (Gemini) several tools. */
function entryTools(entry: unknown, out: LureTool[]): void {
  if (!isObj(entry)) return;
  const type = typeof entry['type'] === 'string' ? entry['type'] : undefined;
  const fn = entry['function'];
  if (isObj(fn)) {
    const t = tool(fn['name'], type, fn['description'], fn['parameters']);
    if (t) out.push(t);
    return;
  }
  const spec = entry['toolSpec'];
  if (isObj(spec)) {
    const input = spec['inputSchema'];
    const t = tool(spec['name'], undefined, spec['description'], isObj(input) && 'json' in input ? input['json'] : input);
    if (t) out.push(t);
    return;
  }
  const declarations = entry['functionDeclarations'] ?? entry['function_declarations'];
  if (Array.isArray(declarations)) {
    for (const d of declarations.slice(0, MAX_GEMINI_DECLARATIONS)) {
      if (!isObj(d)) continue;
      const t = tool(d['name'], undefined, d['description'], d['parameters'] ?? d['parametersJsonSchema'] ?? d['parameters_json_schema']);
      if (t) out.push(t);
    }
    return;
  }
  if (entry['name'] !== undefined || type !== undefined) {
    const t = tool(entry['name'], type, entry['description'], entry['parameters'] ?? entry['input_schema'] ?? entry['inputSchema']);
    if (t) out.push(t);
    return;
  }
  // Gemini built-ins: one key naming the tool (googleSearch, codeExecution, urlContext …)
  const keys = Object.keys(entry);
  if (keys.length === 1 && keys[0] !== undefined) {
    const t = tool(keys[0], keys[0], undefined, undefined);
    if (t) out.push(t);
  }
}

/** The event's `honeygate.lure.tools` of a body's tool list; undefined when none is recognized. */
export function lureToolsOf(list: readonly unknown[] | undefined): LureTool[] | undefined {
  if (list === undefined || list.length === 0) return undefined;
  const all: LureTool[] = [];
  for (const entry of list.slice(0, MAX_TOOLS)) {
    entryTools(entry, all);
    if (all.length >= MAX_TOOLS) break;
  }
  const out: LureTool[] = [];
  let size = 0;
  for (const t of all.slice(0, MAX_TOOLS)) {
    size += t.name.length + (t.description?.length ?? 0) + (t.parameters?.length ?? 0);
    if (size > MAX_TOTAL && out.length > 0) break;
    out.push(t);
  }
  return out.length > 0 ? out : undefined;
}
