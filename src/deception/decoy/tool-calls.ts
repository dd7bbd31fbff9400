/**
 * Which tool calls a model makes in one turn, protocol-free (docs/deception.md "Tool calls").
 * Every decoy (OpenAI chat and Responses, Anthropic Messages, Bedrock Converse and InvokeModel,
 * Gemini generateContent and its OpenAI-compatible chat) hands over the tools offered, the last user text, the tool choice and whether parallel calls are
 * allowed, and gets back the calls: tool name and arguments object.
 *
 * Whether a tool is called at all: never with `none`; always when forced (`required`/`any`, or a
 * named tool); with `auto`, on a fresh user turn, and after a tool's result only when the provider
 * continues with tools not called yet (`called`), else the model answers in text.
 *
 * How many calls: models call in parallel when the request asks for several independent things a
 * tool covers. Three signs, tried in order, each capped at MAX_CALLS:
 * 1. an enumeration in the prompt ("X and Y", "X, Y and Z", a bulleted list; "X or Y" only in a
 *    comparison, else it is a choice: one call, for X) of short items, after a preposition or as
 *    proper names: one call of the chosen tool per item, the item in the
 *    parameter it fills (the first required plain string; a string-array parameter takes all the
 *    items in one call instead);
 * 2. several tools whose purposes the prompt names (a distinctive word of the tool's name): one
 *    call of each, in the order offered;
 * 3. a count ("two", "3") before a plural noun with a tool that takes no arguments: that many calls.
 * Otherwise, or when parallel calls are off, one call. A single call gets the one item the prompt
 * names for its item parameter (singleItem: only when the prompt names the tool). Other fields
 * come from the schema filler.
 * Bounded: the text read (the first 1,500 characters), the tools and properties scanned and the calls made are capped; every
 * pattern is compiled once, here.
 */
import { FifoCache } from '../../util/fifo-cache.js';
import { fillSchema } from './schema-fill.js';

export interface ToolDef {
  readonly name: string;
  readonly description?: string;
  /** the JSON Schema of its arguments */
  readonly schema: unknown;
}

export type ToolMode = { readonly mode: 'auto' } | { readonly mode: 'none' } | { readonly mode: 'any' } | { readonly mode: 'tool'; readonly name: string };

export interface ToolPlanInput {
  readonly tools: readonly ToolDef[];
  /** the last user message's text */
  readonly text: string;
  readonly choice: ToolMode;
  /** parallel calls allowed (OpenAI `parallel_tool_calls`, Anthropic `disable_parallel_tool_use`) */
  readonly parallel: boolean;
  /** what the conversation ends with: a fresh user turn, tool results, or an assistant prefill */
  readonly turn: 'user' | 'tool_result' | 'assistant';
  /** tools called earlier: with `auto`, after a result, the model calls the next one not in it */
  readonly called?: ReadonlySet<string>;
  /** the text the filler derives values from and places in a free-text field */
  readonly seed: string;
}

export interface PlannedCall {
  readonly name: string;
  readonly input: Record<string, unknown>;
}

export const MAX_CALLS = 4;
/** the part of the user text read: a request for several things is stated up front */
const MAX_TEXT = 1500;
const MAX_TOOLS = 128;
const MAX_PROPS = 64;
const MAX_ITEM_WORDS = 4;
const MAX_ITEM_CHARS = 48;

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The tool a forced or fresh turn calls first, or undefined for a text answer. */
function firstTool(input: ToolPlanInput, tools: readonly ToolDef[]): ToolDef | undefined {
  const { choice } = input;
  if (choice.mode === 'none' || tools.length === 0) return undefined;
  if (choice.mode === 'tool') return tools.find((t) => t.name === choice.name) ?? tools[0];
  if (choice.mode === 'any') return tools[0];
  if (input.turn === 'user') return tools[0];
  if (input.turn === 'tool_result' && input.called !== undefined) {
    const called = input.called;
    return tools.find((t) => !called.has(t.name));
  }
  return undefined;
}

// ------------------------------------------------------------------------------------------------
// enumerations

/**
 * The list patterns, built once at load: "and" lists always; "or" lists only in a comparison
 * ("which is warmer, Boston or Tokyo?"), where a model needs both; otherwise "X or Y" offers a
 * choice and the model makes one call, for the first.
 */
function listPatterns(conj: string): { readonly afterPreposition: RegExp; readonly proper: RegExp; readonly separator: RegExp } {
  return {
    /** A list after a preposition: "in Boston and Tokyo", "for Paris, Rome, and Oslo". */
    afterPreposition: new RegExp(`\\b(?:in|for|of|at|from|about|on|to|between|near|with)\\s+((?:[^\\s,;:.?!()]+(?:\\s+|\\s*,\\s*)){1,16}?${conj}\\s+[^,;:.?!()\\n]{1,64})`, 'gi'),
    /** Proper names joined: "San Francisco and Boston", "Paris, Rome and Oslo". */
    proper: new RegExp(`((?:[A-Z][\\p{L}'.-]*(?:\\s+[A-Z][\\p{L}'.-]*){0,3})(?:\\s*,\\s*[A-Z][\\p{L}'.-]*(?:\\s+[A-Z][\\p{L}'.-]*){0,3}){0,6}\\s*,?\\s+${conj}\\s+[A-Z][\\p{L}'.-]*(?:\\s+[A-Z][\\p{L}'.-]*){0,3})`, 'gu'),
    separator: new RegExp(`\\s*,\\s*(?:${conj}\\s+)?|\\s+${conj}\\s+`, 'i'),
  };
}
const AND_LIST = listPatterns('(?:and|&)');
const OR_LIST = listPatterns('(?:and|or|&)');
/** A question that compares its items: an "or" list is then a list. */
const COMPARISON = /\b(?:which|whichever|compare|compared|comparing|comparison|versus|vs)\b/i;
/** Any sign of a list at all (most prompts have none: no further pattern runs). */
const LIST_HINT = /\band\b|&|^\s*(?:[-*•]|\d{1,2}[.)])\s/im;
const OR_HINT = /\bor\b/i;
/** Bulleted or numbered lines. */
const BULLET = /^\s*(?:[-*•]|\d{1,2}[.)])\s+(.{1,48}?)\s*$/gm;
const LEADING = /^(?:(?:in|for|of|at|from|about|on|to|near|with)\s+)?(?:(?:the|a|an)\s+)?/i;
/** An item with a pronoun is a clause ("test it"), not a thing. */
const PRONOUN = /\b(?:it|them|me|us|him|her|this|that|these|those|my|your|our|their)\b/i;
const CAPITALIZED = /^\p{Lu}/u;
/** A phrase after the item says how or where ("Tokyo in Fahrenheit", "Rome for the weekend"): not part of it. */
const TAIL_PHRASE = /\s+(?:in|for|at|from|on|near|with|by|to|than|like)\s[^]*$/i;
const SPACES = /\s+/;
/** Words that end an item ("Boston today"), and words no item starts with (a new clause). */
const TRAILING = /\s+(?:today|tomorrow|tonight|now|right now|please|currently|this week|this weekend|as well|too|respectively)$/i;
const CLAUSE_START = /^(?:tell|give|show|then|also|me|i|you|we|it|they|what|how|why|when|where|which|who|is|are|can|could|would|should|will|do|does|please|let|make|send|write|explain|compare|summarize|find|get|check|look|see|use)\b/i;

function cleanItem(raw: string): string | undefined {
  let s = raw.trim().replace(LEADING, '').replace(TAIL_PHRASE, '');
  for (let i = 0; i < 3 && TRAILING.test(s); i++) s = s.replace(TRAILING, '');
  s = s.trim();
  if (s === '' || s.length > MAX_ITEM_CHARS || CLAUSE_START.test(s) || PRONOUN.test(s)) return undefined;
  if (s.split(SPACES).length > MAX_ITEM_WORDS) return undefined;
  return s;
}

function splitItems(list: string, separator: RegExp): string[] | undefined {
  const parts = list.split(separator).slice(0, MAX_CALLS * 4);
  const items: string[] = [];
  for (const p of parts) {
    const item = cleanItem(p);
    if (item === undefined) return undefined;
    if (!items.some((x) => x.toLowerCase() === item.toLowerCase())) items.push(item);
  }
  // items of one list look alike: all names, or all common words
  const caps = items.filter((i) => CAPITALIZED.test(i)).length;
  if (caps !== 0 && caps !== items.length) return undefined;
  return items.length >= 2 ? items : undefined;
}

/** The items of the first enumeration in the text (at most MAX_CALLS), or undefined. */
export function enumeration(text: string): string[] | undefined {
  const t = text.slice(0, MAX_TEXT);
  const or = OR_HINT.test(t) && COMPARISON.test(t);
  if (!or && !LIST_HINT.test(t)) return undefined;
  const list = or ? OR_LIST : AND_LIST;
  for (const re of [list.afterPreposition, list.proper]) {
    re.lastIndex = 0;
    for (let m = re.exec(t), n = 0; m !== null && n < 8; n++) {
      const items = splitItems(m[1] ?? '', list.separator);
      if (items !== undefined) return items.slice(0, MAX_CALLS);
      // a failed candidate may hide a list that starts one word later ("Compare Paris and Rome")
      re.lastIndex = m.index + 1;
      m = re.exec(t);
    }
  }
  BULLET.lastIndex = 0;
  const bullets: string[] = [];
  for (let m = BULLET.exec(t), n = 0; m !== null && bullets.length < MAX_CALLS && n < 16; m = BULLET.exec(t), n++) {
    const item = cleanItem(m[1] ?? '');
    if (item !== undefined) bullets.push(item);
  }
  return bullets.length >= 2 ? bullets : undefined;
}

/** The parameter an enumerated item fills: the first required plain string, else the first plain string. */
function itemParameter(schema: unknown): { readonly name: string; readonly array: boolean } | undefined {
  if (!isObject(schema) || !isObject(schema['properties'])) return undefined;
  const required = new Set(Array.isArray(schema['required']) ? schema['required'].slice(0, MAX_PROPS).filter((r): r is string => typeof r === 'string') : []);
  let fallback: { name: string; array: boolean } | undefined;
  for (const [name, sub] of Object.entries(schema['properties']).slice(0, MAX_PROPS)) {
    if (!isObject(sub) || 'enum' in sub || 'const' in sub || typeof sub['format'] === 'string') continue;
    const array = sub['type'] === 'array' && isObject(sub['items']) && sub['items']['type'] === 'string' && !('enum' in sub['items']);
    if (sub['type'] !== 'string' && !array) continue;
    if (required.has(name)) return { name, array };
    fallback ??= { name, array };
  }
  return fallback;
}

// ------------------------------------------------------------------------------------------------
// one named item

/** One item after a preposition, cut at the next preposition or conjunction ("in Boston in Celsius"). */
const ONE_AFTER_PREPOSITION = /\b(?:in|for|of|at|from|about|on|to|near|with)\s+([^\s,;:.?!()]+(?:\s+(?!(?:in|for|at|from|about|on|to|near|with|and|or|but|by|than|like|if|so|because)\b)[^\s,;:.?!()]+){0,3})/gi;
/** A proper name inside a sentence (a capitalized word that does not start it). */
const ONE_PROPER = /(?<=[^\s.?!]\s)(\p{Lu}[\p{L}'.-]*(?:\s+\p{Lu}[\p{L}'.-]*){0,3})/gu;
const POSSESSIVE = /['’]s$/;
/** Phrases after a preposition that say how, not what ("in general", "in 3 days", "in English"). */
const NOT_ITEM = /^(?:general|detail|details|particular|short|brief|total|advance|fact|case|order|time|summary|english|simple terms|plain english|other words|nutshell|word|sentence|words|sentences|\d+\s+\p{L}+)$/iu;
const SELF = /\b(?:i|i'm|i've|i'd|you're)\b/i;

/** The words a prompt names a tool by: its purpose words and those of the item parameter's name. */
function toolWords(tool: ToolDef, param: string): readonly string[] {
  return [...purposeWords(tool.name), ...purposeWords(param)];
}

function itemWordsOk(item: string, named: readonly string[]): boolean {
  if (NOT_ITEM.test(item) || SELF.test(item)) return false;
  for (const w of item.split(SPACES, MAX_ITEM_WORDS + 1)) if (named.includes(stem(w))) return false;
  return true;
}

/**
 * The one item the prompt names for a tool's item parameter: only when the prompt names the tool
 * (a purpose word of its name or a word of the parameter's name: "the weather in Boston" for
 * `get_weather`, not "a function in Python"); then the first item after a preposition, else the
 * first proper name inside a sentence. Undefined when there is none.
 */
export function singleItem(text: string, tool: ToolDef, param: string, words: ReadonlySet<string> = promptWords(text.slice(0, MAX_TEXT))): string | undefined {
  const t = text.slice(0, MAX_TEXT);
  const named = toolWords(tool, param);
  if (!named.some((w) => words.has(w))) return undefined;
  for (const re of [ONE_AFTER_PREPOSITION, ONE_PROPER]) {
    re.lastIndex = 0;
    for (let m = re.exec(t), n = 0; m !== null && n < 8; m = re.exec(t), n++) {
      const item = cleanItem((m[1] ?? '').replace(POSSESSIVE, ''));
      if (item !== undefined && itemWordsOk(item, named)) return item;
    }
  }
  return undefined;
}

// ------------------------------------------------------------------------------------------------
// purposes and counts

const NON_WORD = /[^A-Za-z0-9]+/;
const CAMEL = /([a-z0-9])([A-Z])/g;
const DIGITS = /^\d+$/;
/** Name words that say how, not what: they never tell two tools' purposes apart. */
const GENERIC = new Set(['get', 'set', 'fetch', 'find', 'search', 'lookup', 'look', 'up', 'list', 'create', 'make', 'run', 'call', 'do', 'tool', 'api', 'query', 'current', 'info', 'data', 'by', 'for', 'the', 'a', 'of', 'to', 'and', 'new', 'check', 'read', 'write', 'update', 'delete', 'send', 'retrieve', 'generator', 'generate', 'function', 'fn', 'func', 'v1', 'v2']);
const COUNT = /\b(two|three|four|couple of|pair of|[2-4])\s+(?:more\s+|different\s+|other\s+|new\s+|random\s+|short\s+|good\s+|cute\s+|funny\s+)?([a-z]{3,})\b/i;
const COUNTS: Readonly<Record<string, number>> = { two: 2, three: 3, four: 4, 'couple of': 2, 'pair of': 2, '2': 2, '3': 3, '4': 4 };
/** Plural-looking words that are not things asked for. */
const NOT_NOUNS = new Set(['plus', 'minus', 'times', 'is', 'was', 'has', 'this', 'thus', 'us', 'yes', 'less', 'does', 'goes', 'days', 'hours', 'minutes', 'seconds', 'weeks', 'months', 'years', 'ways']);

function stem(w: string): string {
  const l = w.toLowerCase();
  return l.length > 3 && l.endsWith('s') && !l.endsWith('ss') ? l.slice(0, -1) : l;
}

/** The words of a prompt, stemmed (ASCII words: tool names are ASCII, so only those can match). */
function promptWords(text: string): Set<string> {
  const out = new Set<string>();
  for (const w of text.toLowerCase().split(NON_WORD, 512)) if (w.length >= 3) out.add(stem(w));
  return out;
}

/** The distinctive words of a tool's name (`get_weather` → weather, `searchFlights` → flight). */
/** Tool sets repeat from request to request: each name is split once (bounded). */
const purposeCache = new FifoCache<string, readonly string[]>(2048);

function purposeWords(name: string): readonly string[] {
  const held = purposeCache.get(name);
  if (held !== undefined) return held;
  const out: string[] = [];
  // tool names are ASCII identifiers on every provider (`^[a-zA-Z0-9_-]{1,64}$`)
  for (const part of name.slice(0, 128).replace(CAMEL, '$1 $2').split(NON_WORD)) {
    const w = stem(part);
    if (w.length >= 3 && !GENERIC.has(w) && !DIGITS.test(w) && !out.includes(w)) out.push(w);
    if (out.length >= 8) break;
  }
  if (name.length <= 128) purposeCache.set(name, Object.freeze(out));
  return out;
}

function takesNoArguments(schema: unknown): boolean {
  if (!isObject(schema)) return true;
  const props = schema['properties'];
  return !isObject(props) || Object.keys(props).length === 0;
}

/** "Two names …": how many things are asked for (2–4), or 1. */
export function askedCount(text: string): number {
  const m = COUNT.exec(text.slice(0, MAX_TEXT));
  if (m === null) return 1;
  const noun = (m[2] ?? '').toLowerCase();
  if (!noun.endsWith('s') || noun.endsWith('ss') || NOT_NOUNS.has(noun)) return 1;
  return COUNTS[(m[1] ?? '').toLowerCase()] ?? 1;
}

// ------------------------------------------------------------------------------------------------

const ENUM_WORD = /^[a-z0-9]{3,32}$/;
const MAX_ENUM = 32;

/**
 * The filler's arguments, a top-level `enum` string the prompt names as a word taking that value
 * ("in Celsius" → `unit: "celsius"`), the named item (if any) in the item parameter.
 */
function callWith(tool: ToolDef, seed: string, item: string | readonly string[] | undefined, words: ReadonlySet<string>): PlannedCall {
  const filled = fillSchema(tool.schema, seed);
  const base: Json = isObject(filled) ? filled : {};
  const props = isObject(tool.schema) ? tool.schema['properties'] : undefined;
  if (isObject(props) && words.size > 0) {
    for (const [name, sub] of Object.entries(props).slice(0, MAX_PROPS)) {
      if (!isObject(sub) || !Array.isArray(sub['enum']) || !(name in base)) continue;
      const named = sub['enum'].slice(0, MAX_ENUM).find((v): v is string => typeof v === 'string' && ENUM_WORD.test(v.toLowerCase()) && words.has(stem(v)));
      if (named !== undefined) base[name] = named;
    }
  }
  const param = item === undefined ? undefined : itemParameter(tool.schema);
  if (param === undefined || item === undefined) return { name: tool.name, input: base };
  const value = typeof item === 'string' ? (param.array ? [item] : item) : param.array ? [...item] : item[0];
  return { name: tool.name, input: { ...base, [param.name]: value } };
}

/** One call of a tool, with the item the prompt names for it (the first of a list, or a single one). */
function oneCall(tool: ToolDef, text: string, seed: string, words: ReadonlySet<string>): PlannedCall {
  const param = itemParameter(tool.schema);
  if (param === undefined) return callWith(tool, seed, undefined, words);
  return callWith(tool, seed, enumeration(text)?.[0] ?? singleItem(text, tool, param.name, words), words);
}

/** The calls of this turn: none (answer in text), one, or up to MAX_CALLS in parallel. */
export function planToolCalls(input: ToolPlanInput): PlannedCall[] {
  const tools = input.tools.slice(0, MAX_TOOLS);
  const first = firstTool(input, tools);
  if (first === undefined) return [];
  const text = input.text.slice(0, MAX_TEXT);
  const words = promptWords(text);
  const one = (): PlannedCall[] => [oneCall(first, text, input.seed, words)];
  if (!input.parallel || input.turn !== 'user') return one();

  // 1. an enumeration onto the parameter it fills
  const param = itemParameter(first.schema);
  if (param !== undefined) {
    const items = enumeration(text);
    if (items !== undefined) {
      if (param.array) return [callWith(first, input.seed, items, words)];
      return items.map((item) => callWith(first, input.seed, item, words));
    }
  }

  // 2. several tools whose purposes the prompt names (not when one tool is forced)
  if (input.choice.mode !== 'tool' && tools.length > 1) {
    // a purpose word shared by several tools (read_file, write_file) names none of them
    const purposes = tools.map((t) => purposeWords(t.name));
    const owners = new Map<string, number>();
    for (const ws of purposes) for (const w of ws) if (words.has(w)) owners.set(w, (owners.get(w) ?? 0) + 1);
    const named = owners.size === 0 ? [] : tools.filter((_, i) => (purposes[i] ?? []).some((w) => owners.get(w) === 1)).slice(0, MAX_CALLS);
    if (named.length >= 2) return named.map((t) => oneCall(t, text, input.seed, words));
  }

  // 3. a count of things a tool without arguments makes one at a time
  if (takesNoArguments(first.schema)) {
    const n = Math.min(askedCount(text), MAX_CALLS);
    if (n > 1) return Array.from({ length: n }, () => callWith(first, input.seed, undefined, words));
  }
  return one();
}
