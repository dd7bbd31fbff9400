/**
 * The Claude model catalogue a lure organization lists (`GET /v1/models`, newest first, Anthropic's
 * cursor paging) and accepts (`POST /v1/messages`, `count_tokens`).
 * - LISTED: the ids the current official SDK names in its `Model` type (active and deprecated
 *   models), with release dates [OBS for the models up to Claude 4.6, INF after], output ceilings
 *   (`max_tokens`) and context windows (`max_input_tokens`).
 * - RETIRED_ACCEPTED: retired snapshots that key checkers and old clients still send (the resale
 *   checker's probe names `claude-3-sonnet-20240229`): the decoy answers them as an organization
 *   that kept access would, and never lists them. docs/anthropic.md names this trade-off.
 * - aliases resolve to the dated snapshot the answer's `model` field reports
 *   (`claude-sonnet-4-5` → `claude-sonnet-4-5-20250929`, `claude-3-5-haiku-latest` →
 *   `claude-3-5-haiku-20241022`, recorded); newer models have no dated snapshot.
 */

export type ModelLine = 'haiku' | 'sonnet' | 'opus' | 'fable' | 'mythos';

export interface ClaudeModel {
  readonly id: string;
  readonly displayName: string;
  /** RFC 3339 release date */
  readonly createdAt: string;
  readonly line: ModelLine;
  /** the `max_tokens` ceiling */
  readonly maxTokens: number;
  /** the context window */
  readonly maxInputTokens: number;
  readonly thinking: boolean;
  readonly adaptive: boolean;
  /** effort levels the model accepts (`output_config.effort`) */
  readonly efforts: readonly string[];
  readonly deprecatedAt?: string;
  readonly retiresAt?: string;
  /**
   * Claude 3.x snapshots, retired before today's message format: answered in the format of their
   * last recorded answers (mid-2025: `id` first, no `stop_details`, no `usage.inference_geo`, no
   * `caller` on tool calls). Nobody can compare them with a current answer: the API has none.
   */
  readonly legacyWire?: boolean;
}

const E4 = ['low', 'medium', 'high', 'max'] as const;
const E5 = ['low', 'medium', 'high', 'xhigh', 'max'] as const;

function m(id: string, displayName: string, date: string, line: ModelLine, maxTokens: number, maxInputTokens: number, extra: Partial<ClaudeModel> = {}): ClaudeModel {
  const legacyWire = id.startsWith('claude-3-');
  return Object.freeze({ id, displayName, createdAt: `${date}T00:00:00Z`, line, maxTokens, maxInputTokens, thinking: true, adaptive: false, efforts: [], ...(legacyWire ? { legacyWire } : {}), ...extra });
}

/** Newest first, as the API lists them. */
export const LISTED: readonly ClaudeModel[] = Object.freeze([
  m('claude-fable-5-2', 'Claude Fable 5.2', '2026-11-09', 'fable', 128000, 1_000_000, { adaptive: true, efforts: E5 }),
  m('claude-mythos-5-2', 'Claude Mythos 5.2', '2026-11-09', 'mythos', 128000, 1_000_000, { adaptive: true, efforts: E5 }),
  m('claude-haiku-5-5', 'Claude Haiku 5.5', '2026-10-01', 'haiku', 64000, 400_000, { adaptive: true, efforts: E5 }),
  m('claude-sonnet-5-5', 'Claude Sonnet 5.5', '2026-09-24', 'sonnet', 128000, 1_000_000, { adaptive: true, efforts: E5 }),
  m('claude-fable-5-1', 'Claude Fable 5.1', '2026-09-10', 'fable', 128000, 1_000_000, { adaptive: true, efforts: E5 }),
  m('claude-opus-5-5', 'Claude Opus 5.5', '2026-09-03', 'opus', 128000, 1_000_000, { adaptive: true, efforts: E5 }),
  m('claude-mythos-5-1', 'Claude Mythos 5.1', '2026-08-20', 'mythos', 128000, 1_000_000, { adaptive: true, efforts: E5 }),
  m('claude-sonnet-5', 'Claude Sonnet 5', '2026-07-22', 'sonnet', 128000, 1_000_000, { adaptive: true, efforts: E5 }),
  m('claude-fable-5', 'Claude Fable 5', '2026-07-08', 'fable', 128000, 1_000_000, { adaptive: true, efforts: E5 }),
  m('claude-mythos-5', 'Claude Mythos 5', '2026-07-08', 'mythos', 128000, 1_000_000, { adaptive: true, efforts: E5 }),
  m('claude-opus-5', 'Claude Opus 5', '2026-06-24', 'opus', 128000, 1_000_000, { adaptive: true, efforts: E5 }),
  m('claude-opus-4-8', 'Claude Opus 4.8', '2026-05-27', 'opus', 128000, 1_000_000, { adaptive: true, efforts: E5 }),
  m('claude-opus-4-7', 'Claude Opus 4.7', '2026-04-15', 'opus', 128000, 1_000_000, { adaptive: true, efforts: E5 }),
  m('claude-opus-4-6', 'Claude Opus 4.6', '2026-02-05', 'opus', 128000, 200_000, { adaptive: true, efforts: E4 }),
  m('claude-sonnet-4-6', 'Claude Sonnet 4.6', '2026-02-17', 'sonnet', 64000, 200_000, { adaptive: true, efforts: E4 }),
  m('claude-opus-4-5-20251101', 'Claude Opus 4.5', '2025-11-24', 'opus', 64000, 200_000, { efforts: ['low', 'medium', 'high'], deprecatedAt: '2026-11-23T00:00:00Z', retiresAt: '2027-01-22T00:00:00Z' }),
  m('claude-haiku-4-5-20251001', 'Claude Haiku 4.5', '2025-10-15', 'haiku', 64000, 200_000),
]);

/** Retired snapshots still answered, never listed. */
const RETIRED_ACCEPTED: readonly ClaudeModel[] = Object.freeze([
  m('claude-mythos-preview', 'Claude Mythos Preview', '2026-04-07', 'mythos', 128000, 1_000_000, { adaptive: true, efforts: E4 }),
  m('claude-sonnet-4-5-20250929', 'Claude Sonnet 4.5', '2025-09-29', 'sonnet', 64000, 200_000),
  m('claude-opus-4-1-20250805', 'Claude Opus 4.1', '2025-08-05', 'opus', 32000, 200_000),
  m('claude-opus-4-20250514', 'Claude Opus 4', '2025-05-22', 'opus', 32000, 200_000),
  m('claude-sonnet-4-20250514', 'Claude Sonnet 4', '2025-05-22', 'sonnet', 64000, 200_000),
  m('claude-3-7-sonnet-20250219', 'Claude Sonnet 3.7', '2025-02-24', 'sonnet', 64000, 200_000),
  m('claude-3-5-haiku-20241022', 'Claude Haiku 3.5', '2024-10-22', 'haiku', 8192, 200_000, { thinking: false }),
  m('claude-3-5-sonnet-20241022', 'Claude Sonnet 3.5 (New)', '2024-10-22', 'sonnet', 8192, 200_000, { thinking: false }),
  m('claude-3-5-sonnet-20240620', 'Claude Sonnet 3.5 (Old)', '2024-06-20', 'sonnet', 8192, 200_000, { thinking: false }),
  m('claude-3-haiku-20240307', 'Claude Haiku 3', '2024-03-07', 'haiku', 4096, 200_000, { thinking: false }),
  m('claude-3-sonnet-20240229', 'Claude Sonnet 3', '2024-02-29', 'sonnet', 4096, 200_000, { thinking: false }),
  m('claude-3-opus-20240229', 'Claude Opus 3', '2024-02-29', 'opus', 4096, 200_000, { thinking: false }),
]);

const ALIASES: ReadonlyMap<string, string> = new Map([
  ['claude-opus-4-5', 'claude-opus-4-5-20251101'],
  ['claude-haiku-4-5', 'claude-haiku-4-5-20251001'],
  ['claude-sonnet-4-5', 'claude-sonnet-4-5-20250929'],
  ['claude-opus-4-1', 'claude-opus-4-1-20250805'],
  ['claude-opus-4-0', 'claude-opus-4-20250514'],
  ['claude-sonnet-4-0', 'claude-sonnet-4-20250514'],
  ['claude-3-7-sonnet-latest', 'claude-3-7-sonnet-20250219'],
  ['claude-3-5-haiku-latest', 'claude-3-5-haiku-20241022'],
  ['claude-3-5-sonnet-latest', 'claude-3-5-sonnet-20241022'],
  ['claude-3-opus-latest', 'claude-3-opus-20240229'],
]);

const BY_ID: ReadonlyMap<string, ClaudeModel> = new Map([...LISTED, ...RETIRED_ACCEPTED].map((x) => [x.id, x]));

/** The model a request names (id or alias), or undefined when the API would answer 404. */
export function resolveModel(requested: string): ClaudeModel | undefined {
  if (requested.length > 200) return undefined;
  return BY_ID.get(ALIASES.get(requested) ?? requested);
}

function supported(v: boolean): { supported: boolean } {
  return { supported: v };
}

/** A `ModelInfo` object, keys in the API's order (`type` first, as the 2025 answers; later fields appended). */
export function modelInfo(x: ClaudeModel): Record<string, unknown> {
  const modern = x.adaptive;
  return {
    type: 'model',
    id: x.id,
    display_name: x.displayName,
    created_at: x.createdAt,
    max_input_tokens: x.maxInputTokens,
    max_tokens: x.maxTokens,
    capabilities: {
      batch: supported(true),
      citations: supported(true),
      code_execution: supported(modern),
      context_management: {
        clear_thinking_20251015: supported(x.thinking),
        clear_tool_uses_20250919: supported(true),
        compact_20260112: supported(modern),
        supported: true,
      },
      effort: {
        high: supported(x.efforts.includes('high')),
        low: supported(x.efforts.includes('low')),
        max: supported(x.efforts.includes('max')),
        medium: supported(x.efforts.includes('medium')),
        supported: x.efforts.length > 0,
        xhigh: supported(x.efforts.includes('xhigh')),
      },
      image_input: supported(true),
      pdf_input: supported(true),
      server_tools: { code_execution: supported(true), supported: true, web_search: supported(true) },
      structured_outputs: supported(true),
      thinking: {
        supported: x.thinking,
        types: {
          adaptive: supported(x.adaptive),
          between_tools: supported(modern),
          disabled: supported(true),
          enabled: supported(x.thinking),
        },
      },
    },
    lifecycle: x.deprecatedAt !== undefined ? 'deprecated' : 'active',
    line: x.line,
    deprecated_at: x.deprecatedAt ?? null,
    retires_at: x.retiresAt ?? null,
  };
}

export type ListResult = { readonly ok: true; readonly body: Record<string, unknown> } | { readonly ok: false; readonly message: string };

/** `GET /v1/models?limit&after_id&before_id`: Anthropic's cursor page. */
export function listModels(query: URLSearchParams): ListResult {
  const rawLimit = query.get('limit');
  let limit = 20;
  if (rawLimit !== null) {
    if (!/^-?\d{1,10}$/.test(rawLimit)) return { ok: false, message: 'limit: Input should be a valid integer, unable to parse string as an integer' };
    limit = Number(rawLimit);
    if (limit < 1) return { ok: false, message: 'limit: Input should be greater than or equal to 1' };
    if (limit > 1000) return { ok: false, message: 'limit: Input should be less than or equal to 1000' };
  }
  const after = query.get('after_id');
  const before = query.get('before_id');
  if (after !== null && before !== null) return { ok: false, message: 'Cannot specify both after_id and before_id' };
  let start = 0;
  let end = LISTED.length;
  if (after !== null) {
    const i = LISTED.findIndex((x) => x.id === after);
    start = i < 0 ? LISTED.length : i + 1;
  }
  if (before !== null) {
    const i = LISTED.findIndex((x) => x.id === before);
    end = i < 0 ? 0 : i;
    start = Math.max(0, end - limit);
  }
  const page = LISTED.slice(start, Math.min(end, start + limit));
  const hasMore = before !== null ? start > 0 : start + page.length < end;
  return {
    ok: true,
    body: {
      data: page.map(modelInfo),
      has_more: hasMore,
      first_id: page[0]?.id ?? null,
      last_id: page[page.length - 1]?.id ?? null,
    },
  };
}

/** `GET /v1/models/{id}`: listed or retired-but-answered models, aliases resolved. */
export function retrieveModel(id: string): Record<string, unknown> | undefined {
  const x = resolveModel(id);
  return x === undefined ? undefined : modelInfo(x);
}
