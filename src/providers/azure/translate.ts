/**
 * OpenAI answer bodies as Azure OpenAI sends them. Azure runs the same models behind its content
 * filter, which re-serializes what the model wrote [REC 2026-03]:
 * - compact JSON with every object's keys in alphabetical order (`choices`, `created`, `id`,
 *   `model`, `object`, `prompt_filter_results`, `system_fingerprint`, `usage`), except the
 *   `prompt_filter_results` entries (`prompt_index` before `content_filter_results`);
 * - `prompt_filter_results` on the answer (on a stream: a first chunk of its own with empty `id`,
 *   `model`, `object` and `created: 0`), `content_filter_results` on each choice (empty on the role
 *   and finish chunks of a stream), no `service_tier`;
 * - `model` is the deployment's model and version (`gpt-4.1-mini-2025-04-14`).
 * Embeddings do not pass the filter: compact, in the model's own key order [INF].
 */

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** An object whose keys are written in their own order (everything else is sorted). */
export class Ordered {
  constructor(readonly value: Json) {}
}

/**
 * Go's encoding/json escapes `<`, `>`, `&`, U+2028 and U+2029 in strings (its HTML-safe default);
 * Azure's filter layer writes with it.
 */
const GO_UNSAFE = /[<>&\u2028\u2029]/;
const GO_UNSAFE_ALL = /[<>&\u2028\u2029]/g;
const GO_ESCAPES: Readonly<Record<string, string>> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029' };

function goString(s: string): string {
  const json = JSON.stringify(s);
  return GO_UNSAFE.test(json) ? json.replace(GO_UNSAFE_ALL, (c) => GO_ESCAPES[c] ?? c) : json;
}

function write(v: unknown, sort: boolean): string {
  if (v instanceof Ordered) return writeObject(v.value, false, sort);
  if (Array.isArray(v)) return `[${v.map((x) => write(x === undefined ? null : x, sort)).join(',')}]`;
  if (isObject(v)) return writeObject(v, sort, sort);
  if (typeof v === 'string') return sort ? goString(v) : JSON.stringify(v);
  const s = JSON.stringify(v);
  return s === undefined ? 'null' : s;
}

function writeObject(o: Json, sortHere: boolean, sortBelow: boolean): string {
  const keys = Object.keys(o).filter((k) => o[k] !== undefined);
  if (sortHere) keys.sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${write(o[k], sortBelow)}`).join(',')}}`;
}

/** Compact JSON, keys sorted, Go's escaping (Azure's content-filter layer). */
export function azureJson(value: unknown): string {
  return write(value, true);
}

/** A whole body from the filter layer: Go's json.Encoder ends it with a newline [REC 2026-03]. */
export function azureJsonBody(value: unknown): string {
  return `${write(value, true)}\n`;
}

/** Compact JSON in the value's own key order. */
export function compactJson(value: unknown): string {
  return write(value, false);
}

const SAFE = { filtered: false, severity: 'safe' } as const;
const UNDETECTED = { detected: false, filtered: false } as const;

/** The filter verdict on a completion: nothing found. */
export function completionFilterResults(): Json {
  return {
    hate: { ...SAFE },
    protected_material_code: { ...UNDETECTED },
    protected_material_text: { ...UNDETECTED },
    self_harm: { ...SAFE },
    sexual: { ...SAFE },
    violence: { ...SAFE },
  };
}

/** The filter verdict on the prompt: nothing found. */
export function promptFilterResults(): Ordered[] {
  return [
    new Ordered({
      prompt_index: 0,
      content_filter_results: { hate: { ...SAFE }, jailbreak: { ...UNDETECTED }, self_harm: { ...SAFE }, sexual: { ...SAFE }, violence: { ...SAFE } },
    }),
  ];
}

/** A chat completion or legacy completion object (OpenAI's) as Azure writes it. */
export function azureCompletionBody(body: Json, reported: string): string {
  const out: Json = { ...body, model: reported, prompt_filter_results: promptFilterResults() };
  delete out['service_tier'];
  if (Array.isArray(body['choices'])) {
    out['choices'] = body['choices'].map((c: unknown) => (isObject(c) ? { ...c, content_filter_results: completionFilterResults() } : c));
  }
  return azureJsonBody(out);
}

/** An embeddings list as Azure writes it. */
export function azureEmbeddingsBody(body: Json, reported: string): string {
  return compactJson({ ...body, model: reported });
}

/** An OpenAI-shaped error of the deployment, compact. */
export function azureModelErrorBody(body: Json): string {
  return compactJson(body);
}

/** The first chunk of an Azure chat stream: the prompt's filter results alone. */
export function promptFilterChunk(): string {
  return `data: ${azureJson({ choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: promptFilterResults() })}\n\n`;
}

/**
 * One SSE event of an OpenAI stream as Azure sends it (null = drop). Chat chunks: no
 * `service_tier`, the deployment's model, filter results on each choice: empty on the role chunk,
 * the finish chunk and tool-call chunks, the full verdict on content.
 */
export function azureStreamEvent(data: string, reported: string): string | null {
  if (data === '[DONE]') return 'data: [DONE]\n\n';
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return null;
  }
  if (!isObject(parsed)) return null;
  const out: Json = { ...parsed, model: reported };
  delete out['service_tier'];
  if (Array.isArray(parsed['choices'])) {
    out['choices'] = parsed['choices'].map((c: unknown) => {
      if (!isObject(c)) return c;
      const delta = isObject(c['delta']) ? c['delta'] : undefined;
      const text = typeof c['text'] === 'string' ? c['text'] : delta && typeof delta['content'] === 'string' ? delta['content'] : '';
      const finished = c['finish_reason'] !== null && c['finish_reason'] !== undefined;
      const full = text !== '' && !finished && (delta === undefined || delta['role'] === undefined);
      return { ...c, content_filter_results: full ? completionFilterResults() : {} };
    });
  }
  return `data: ${azureJson(out)}\n\n`;
}

/**
 * Splits an SSE byte stream into `data:` payloads across chunk boundaries and rewrites each
 * event; a comment or other field line is dropped (the decoy writes none).
 */
export class AzureSseRewriter {
  private pending = '';
  constructor(private readonly reported: string) {}

  push(text: string): string {
    this.pending += text;
    let out = '';
    let end = this.pending.indexOf('\n\n');
    while (end >= 0) {
      const event = this.pending.slice(0, end);
      this.pending = this.pending.slice(end + 2);
      for (const line of event.split('\n')) {
        if (!line.startsWith('data: ')) continue;
        const rewritten = azureStreamEvent(line.slice(6), this.reported);
        if (rewritten !== null) out += rewritten;
      }
      end = this.pending.indexOf('\n\n');
    }
    return out;
  }
}
