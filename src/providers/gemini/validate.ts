/**
 * The refusals the Gemini API gives a malformed request, in the order it checks: the JSON
 * transcoder first (unknown field names, values of the wrong type — with the proto field path in
 * snake_case, as Google's front end writes it), then the model's own checks (contents present,
 * parts not empty, valid roles, the output-token range, thinking budgets, structured output needing
 * a JSON MIME type). Never throws; bounded in the work it does on hostile input.
 */
import type { GeminiErrorCode, ErrorContext } from './errors.js';
import type { GeminiModel } from './models.js';

export interface GeminiRefusal {
  readonly code: GeminiErrorCode;
  readonly args: readonly string[];
  readonly ctx?: ErrorContext;
}

type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** camelCase → snake_case (proto field names), bounded. */
export function snake(name: string): string {
  return name.slice(0, 128).replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** camelCase and snake_case spellings of each field (the transcoder accepts both). */
function fieldSet(names: readonly string[]): ReadonlySet<string> {
  const out = new Set<string>();
  for (const n of names) {
    out.add(n);
    out.add(snake(n));
  }
  return out;
}

const REQUEST_FIELDS = fieldSet(['model', 'contents', 'tools', 'toolConfig', 'safetySettings', 'systemInstruction', 'generationConfig', 'cachedContent', 'labels']);
const GENERATION_FIELDS = fieldSet([
  'stopSequences', 'responseMimeType', 'responseSchema', 'responseJsonSchema', '_responseJsonSchema', 'responseModalities', 'candidateCount',
  'maxOutputTokens', 'temperature', 'topP', 'topK', 'seed', 'presencePenalty', 'frequencyPenalty', 'responseLogprobs', 'logprobs',
  'enableEnhancedCivicAnswers', 'speechConfig', 'thinkingConfig', 'imageConfig', 'mediaResolution', 'routingConfig', 'audioTimestamp',
]);
const THINKING_FIELDS = fieldSet(['thinkingBudget', 'includeThoughts', 'thinkingLevel']);
const CONTENT_FIELDS = fieldSet(['parts', 'role']);
const PART_FIELDS = fieldSet([
  'text', 'inlineData', 'fileData', 'functionCall', 'functionResponse', 'executableCode', 'codeExecutionResult', 'thought', 'thoughtSignature',
  'videoMetadata', 'partMetadata', 'mediaResolution',
]);
const EMBED_FIELDS = fieldSet(['model', 'content', 'taskType', 'title', 'outputDimensionality']);
const COUNT_FIELDS = fieldSet(['contents', 'generateContentRequest', 'model']);

const MAX_CONTENTS = 10_000;

/** The first own key of `o` not in `allowed`, if any. */
function unknownKey(o: Obj, allowed: ReadonlySet<string>): string | undefined {
  for (const k in o) if (!allowed.has(k)) return k;
  return undefined;
}

function pick(o: Obj, camel: string): unknown {
  return o[camel] ?? o[snake(camel)];
}

function shown(v: unknown): string {
  const s = typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? 'null';
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** An int32 field as the transcoder reads it (numbers or numeric strings); null = wrong type. */
export function int32(v: unknown): number | null | undefined {
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d{1,10}$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n > 2_147_483_647 || n < -2_147_483_648) return null;
  return n;
}

function float(v: unknown): number | null | undefined {
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.length < 32 && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : null;
}

function badValue(path: string, type: string, v: unknown): GeminiRefusal {
  return { code: 'invalid_value', args: [path, type, shown(v)], ctx: { field: path } };
}

/** Unknown names and wrong types in one Content object (the transcoder's checks). */
function checkContent(c: unknown, path: string): GeminiRefusal | null {
  if (!isObj(c)) return badValue(path, 'type.googleapis.com/google.ai.generativelanguage.v1beta.Content', c);
  const extra = unknownKey(c, CONTENT_FIELDS);
  if (extra !== undefined) return { code: 'unknown_field', args: [extra, ` at '${path}'`] };
  const role = c['role'];
  if (role !== undefined && typeof role !== 'string') return badValue(`${path}.role`, 'TYPE_STRING', role);
  const parts = c['parts'];
  if (parts !== undefined && !Array.isArray(parts)) return badValue(`${path}.parts`, 'type.googleapis.com/google.ai.generativelanguage.v1beta.Part', parts);
  if (Array.isArray(parts)) {
    for (let i = 0; i < parts.length && i < MAX_CONTENTS; i++) {
      const p: unknown = parts[i];
      if (!isObj(p)) return badValue(`${path}.parts[${i}]`, 'type.googleapis.com/google.ai.generativelanguage.v1beta.Part', p);
      const bad = unknownKey(p, PART_FIELDS);
      if (bad !== undefined) return { code: 'unknown_field', args: [bad, ` at '${path}.parts[${i}]'`] };
      if (p['text'] !== undefined && typeof p['text'] !== 'string') return badValue(`${path}.parts[${i}].text`, 'TYPE_STRING', p['text']);
    }
  }
  return null;
}

/** generateContent / streamGenerateContent bodies. */
export function validateGenerate(body: Obj, model: GeminiModel): GeminiRefusal | null {
  const extra = unknownKey(body, REQUEST_FIELDS);
  if (extra !== undefined) return { code: 'unknown_field', args: [extra, ''] };
  const contents = pick(body, 'contents');
  if (contents !== undefined && !Array.isArray(contents)) {
    const r = checkContent(contents, 'contents');
    if (r) return r;
  }
  const list = Array.isArray(contents) ? contents : contents === undefined ? [] : [contents];
  for (let i = 0; i < list.length && i < MAX_CONTENTS; i++) {
    const r = checkContent(list[i], `contents[${i}]`);
    if (r) return r;
  }
  const sys = pick(body, 'systemInstruction');
  if (sys !== undefined) {
    const r = checkContent(sys, 'system_instruction');
    if (r) return r;
  }
  const gc = pick(body, 'generationConfig');
  let maxOut: number | undefined;
  let thinking: Obj | undefined;
  let mime: unknown;
  let schema: unknown;
  if (gc !== undefined) {
    if (!isObj(gc)) return badValue('generation_config', 'type.googleapis.com/google.ai.generativelanguage.v1beta.GenerationConfig', gc);
    const bad = unknownKey(gc, GENERATION_FIELDS);
    if (bad !== undefined) return { code: 'unknown_field', args: [bad, " at 'generation_config'"] };
    for (const f of ['maxOutputTokens', 'candidateCount', 'topK', 'seed']) {
      const v = int32(pick(gc, f));
      if (v === null) return badValue(`generation_config.${snake(f)}`, 'TYPE_INT32', pick(gc, f));
    }
    for (const f of ['temperature', 'topP', 'presencePenalty', 'frequencyPenalty']) {
      if (float(pick(gc, f)) === null) return badValue(`generation_config.${snake(f)}`, 'TYPE_FLOAT', pick(gc, f));
    }
    const tc = pick(gc, 'thinkingConfig');
    if (tc !== undefined) {
      if (!isObj(tc)) return badValue('generation_config.thinking_config', 'type.googleapis.com/google.ai.generativelanguage.v1beta.ThinkingConfig', tc);
      const badT = unknownKey(tc, THINKING_FIELDS);
      if (badT !== undefined) return { code: 'unknown_field', args: [badT, " at 'generation_config.thinking_config'"] };
      if (int32(pick(tc, 'thinkingBudget')) === null) return badValue('generation_config.thinking_config.thinking_budget', 'TYPE_INT32', pick(tc, 'thinkingBudget'));
      thinking = tc;
    }
    maxOut = int32(pick(gc, 'maxOutputTokens')) ?? undefined;
    mime = pick(gc, 'responseMimeType');
    schema = pick(gc, 'responseSchema');
  }
  // the model's own checks, once the body has parsed
  if (list.length === 0) return { code: 'contents_missing', args: [] };
  for (let i = 0; i < list.length && i < MAX_CONTENTS; i++) {
    const c = list[i] as Obj;
    const parts = c['parts'];
    if (!Array.isArray(parts) || parts.length === 0) return { code: 'parts_empty', args: [String(i)] };
    const role = c['role'];
    if (role !== undefined && role !== '' && role !== 'user' && role !== 'model' && role !== 'function') return { code: 'invalid_role', args: [] };
  }
  if (maxOut !== undefined && (maxOut < 0 || maxOut > model.outputTokenLimit)) return { code: 'max_tokens_range', args: [String(maxOut), String(model.outputTokenLimit + 1)] };
  if (thinking !== undefined) {
    const budget = int32(pick(thinking, 'thinkingBudget'));
    if (typeof budget === 'number' && budget !== -1) {
      const b = model.budget;
      if (!b || !model.thinking) {
        if (budget !== 0) return { code: 'thinking_budget_range', args: [String(budget), '0', '0'] };
      } else if (budget === 0 && b.min > 0) return { code: 'thinking_only', args: [] };
      else if (budget !== 0 && (budget < Math.max(1, b.min) || budget > b.max)) return { code: 'thinking_budget_range', args: [String(budget), String(Math.max(1, b.min)), String(b.max)] };
    }
  }
  if (schema !== undefined && mime !== 'application/json' && mime !== 'text/x.enum') return { code: 'json_mime_required', args: [] };
  return null;
}

/** countTokens bodies: `contents` or a whole `generateContentRequest`. */
export function validateCount(body: Obj, model: GeminiModel): GeminiRefusal | null {
  const extra = unknownKey(body, COUNT_FIELDS);
  if (extra !== undefined) return { code: 'unknown_field', args: [extra, ''] };
  const gcr = pick(body, 'generateContentRequest');
  if (gcr !== undefined) {
    if (!isObj(gcr)) return badValue('generate_content_request', 'type.googleapis.com/google.ai.generativelanguage.v1beta.GenerateContentRequest', gcr);
    return validateGenerate(gcr, model);
  }
  const contents = pick(body, 'contents');
  const list = Array.isArray(contents) ? contents : contents === undefined ? [] : [contents];
  for (let i = 0; i < list.length && i < MAX_CONTENTS; i++) {
    const r = checkContent(list[i], `contents[${i}]`);
    if (r) return r;
  }
  return null;
}

/** embedContent bodies (and each request of batchEmbedContents). */
export function validateEmbed(body: Obj, path = ''): GeminiRefusal | null {
  const extra = unknownKey(body, EMBED_FIELDS);
  if (extra !== undefined) return { code: 'unknown_field', args: [extra, path ? ` at '${path}'` : ''] };
  const content = body['content'];
  if (content === undefined) return { code: 'contents_missing', args: [] };
  const r = checkContent(content, path ? `${path}.content` : 'content');
  if (r) return r;
  const dim = int32(pick(body, 'outputDimensionality'));
  if (dim === null) return badValue(`${path ? `${path}.` : ''}output_dimensionality`, 'TYPE_INT32', pick(body, 'outputDimensionality'));
  return null;
}
