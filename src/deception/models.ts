/**
 * The OpenAI model catalogue a lure account lists and accepts.
 * `CATALOGUE` is a real `GET /v1/models` answer of a paid account from ~Oct 2025 (99 ids, public
 * code sample) [OBS]; its `created` values agree with every recorded answer [REC/OBS].
 * What each model is for (chat, legacy completions, embeddings, Responses-only …), the snapshot an
 * answer reports for an alias, its completion-token ceiling and its rate-limit family are added
 * here; tags say how sure each is.
 */

export interface ModelObject {
  readonly id: string;
  readonly object: 'model';
  readonly created: number;
  readonly owned_by: string;
}

/** [id, created, owned_by] in the order the real listing returned them [OBS]. */
const CATALOGUE: ReadonlyArray<readonly [string, number, string]> = [
  ['omni-moderation-latest', 1731689265, 'system'],
  ['dall-e-2', 1698798177, 'system'],
  ['gpt-4o-mini-search-preview', 1741391161, 'system'],
  ['gpt-4o-mini-search-preview-2025-03-11', 1741390858, 'system'],
  ['o3-mini-2025-01-31', 1738010200, 'system'],
  ['gpt-4-turbo', 1712361441, 'system'],
  ['gpt-4.1', 1744316542, 'system'],
  ['gpt-4.1-mini-2025-04-14', 1744317547, 'system'],
  ['gpt-5-nano-2025-08-07', 1754426303, 'system'],
  ['gpt-4.1-mini', 1744318173, 'system'],
  ['sora-2', 1759708615, 'system'],
  ['sora-2-pro', 1759708663, 'system'],
  ['gpt-4-turbo-2024-04-09', 1712601677, 'system'],
  ['text-embedding-3-small', 1705948997, 'system'],
  ['gpt-realtime-mini', 1759517133, 'system'],
  ['o3-2025-04-16', 1744133301, 'system'],
  ['o4-mini-2025-04-16', 1744133506, 'system'],
  ['gpt-4.1-2025-04-14', 1744315746, 'system'],
  ['gpt-4o-2024-05-13', 1715368132, 'system'],
  ['gpt-4o-search-preview-2025-03-11', 1741388170, 'system'],
  ['gpt-4o-search-preview', 1741388720, 'system'],
  ['gpt-3.5-turbo-16k', 1683758102, 'openai-internal'],
  ['o1-mini', 1725649008, 'system'],
  ['o1-mini-2024-09-12', 1725648979, 'system'],
  ['tts-1-1106', 1699053241, 'system'],
  ['gpt-4o-mini-2024-07-18', 1721172717, 'system'],
  ['o3', 1744225308, 'system'],
  ['o4-mini', 1744225351, 'system'],
  ['o4-mini-deep-research-2025-06-26', 1750866121, 'system'],
  ['codex-mini-latest', 1746673257, 'system'],
  ['gpt-5-nano', 1754426384, 'system'],
  ['babbage-002', 1692634615, 'system'],
  ['gpt-4-turbo-preview', 1706037777, 'system'],
  ['chatgpt-4o-latest', 1723515131, 'system'],
  ['tts-1-hd-1106', 1699053533, 'system'],
  ['gpt-4o-mini-tts', 1742403959, 'system'],
  ['o1-pro-2025-03-19', 1742251504, 'system'],
  ['dall-e-3', 1698785189, 'system'],
  ['o1', 1734375816, 'system'],
  ['davinci-002', 1692634301, 'system'],
  ['tts-1-hd', 1699046015, 'system'],
  ['o1-pro', 1742251791, 'system'],
  ['o4-mini-deep-research', 1749685485, 'system'],
  ['gpt-4o-2024-11-20', 1739331543, 'system'],
  ['gpt-4-0125-preview', 1706037612, 'system'],
  ['gpt-5-mini', 1754425928, 'system'],
  ['gpt-5-mini-2025-08-07', 1754425867, 'system'],
  ['gpt-4o-realtime-preview-2024-12-17', 1733945430, 'system'],
  ['gpt-image-1', 1745517030, 'system'],
  ['text-embedding-ada-002', 1671217299, 'openai-internal'],
  ['gpt-4o-mini', 1721172741, 'system'],
  ['o3-mini', 1737146383, 'system'],
  ['gpt-5', 1754425777, 'system'],
  ['gpt-4.1-nano-2025-04-14', 1744321025, 'system'],
  ['gpt-4.1-nano', 1744321707, 'system'],
  ['gpt-4o-realtime-preview-2025-06-03', 1748907838, 'system'],
  ['gpt-4o-transcribe', 1742068463, 'system'],
  ['gpt-3.5-turbo-instruct', 1692901427, 'system'],
  ['gpt-3.5-turbo-instruct-0914', 1694122472, 'system'],
  ['gpt-4-1106-preview', 1698957206, 'system'],
  ['gpt-5-codex', 1757527818, 'system'],
  ['whisper-1', 1677532384, 'openai-internal'],
  ['gpt-4o', 1715367049, 'system'],
  ['gpt-5-2025-08-07', 1754075360, 'system'],
  ['gpt-4o-2024-08-06', 1722814719, 'system'],
  ['o1-2024-12-17', 1734326976, 'system'],
  ['omni-moderation-2024-09-26', 1732734466, 'system'],
  ['gpt-4o-audio-preview-2025-06-03', 1748908498, 'system'],
  ['gpt-4o-audio-preview', 1727460443, 'system'],
  ['text-embedding-3-large', 1705953180, 'system'],
  ['gpt-4', 1687882411, 'openai'],
  ['gpt-4-0613', 1686588896, 'openai'],
  ['tts-1', 1681940951, 'openai-internal'],
  ['gpt-5-search-api', 1759514629, 'system'],
  ['gpt-3.5-turbo', 1677610602, 'openai'],
  ['gpt-3.5-turbo-0125', 1706048358, 'system'],
  ['gpt-realtime-mini-2025-10-06', 1759517175, 'system'],
  ['gpt-4o-transcribe-diarize', 1750798887, 'system'],
  ['gpt-3.5-turbo-1106', 1698959748, 'system'],
  ['gpt-5-search-api-2025-10-14', 1760043960, 'system'],
  ['gpt-4o-audio-preview-2024-10-01', 1727389042, 'system'],
  ['gpt-4o-realtime-preview', 1727659998, 'system'],
  ['gpt-5-pro', 1759469822, 'system'],
  ['gpt-5-pro-2025-10-06', 1759469707, 'system'],
  ['gpt-5-chat-latest', 1754073306, 'system'],
  ['gpt-4o-mini-realtime-preview', 1734387380, 'system'],
  ['gpt-4o-mini-audio-preview-2024-12-17', 1734115920, 'system'],
  ['gpt-4o-mini-realtime-preview-2024-12-17', 1734112601, 'system'],
  ['gpt-4o-mini-audio-preview', 1734387424, 'system'],
  ['gpt-audio-mini', 1759512027, 'system'],
  ['gpt-audio-mini-2025-10-06', 1759512137, 'system'],
  ['gpt-4o-audio-preview-2024-12-17', 1734034239, 'system'],
  ['gpt-4o-mini-transcribe', 1742068596, 'system'],
  ['gpt-realtime-2025-08-28', 1756271773, 'system'],
  ['gpt-realtime', 1756271701, 'system'],
  ['gpt-audio', 1756339249, 'system'],
  ['gpt-audio-2025-08-28', 1756256146, 'system'],
  ['gpt-4o-realtime-preview-2024-10-01', 1727131766, 'system'],
  ['gpt-image-1-mini', 1758845821, 'system'],
];

export const MODEL_OBJECTS: readonly ModelObject[] = Object.freeze(
  CATALOGUE.map(([id, created, owned_by]) => Object.freeze({ id, object: 'model' as const, created, owned_by })),
);

const BY_ID: ReadonlyMap<string, ModelObject> = new Map(MODEL_OBJECTS.map((m) => [m.id, m]));

export function catalogueModel(id: string): ModelObject | undefined {
  return BY_ID.get(id);
}

/**
 * The dated snapshot an answer's `model` field names when an alias was requested (recorded:
 * `gpt-4o` → `gpt-4o-2024-08-06` [REC], `gpt-4o-mini` → `gpt-4o-mini-2024-07-18` [REC]); the
 * other pairs follow OpenAI's published alias table [DOC]. Ids not listed here answer as themselves
 * (embeddings answer with the requested id [REC A4.3]; `chatgpt-4o-latest`, `gpt-5-chat-latest`,
 * `codex-mini-latest` have no dated twin in the listing).
 */
const SNAPSHOTS: ReadonlyMap<string, string> = new Map([
  ['gpt-4o', 'gpt-4o-2024-08-06'],
  ['gpt-4o-mini', 'gpt-4o-mini-2024-07-18'],
  ['gpt-4.1', 'gpt-4.1-2025-04-14'],
  ['gpt-4.1-mini', 'gpt-4.1-mini-2025-04-14'],
  ['gpt-4.1-nano', 'gpt-4.1-nano-2025-04-14'],
  ['gpt-5', 'gpt-5-2025-08-07'],
  ['gpt-5-mini', 'gpt-5-mini-2025-08-07'],
  ['gpt-5-nano', 'gpt-5-nano-2025-08-07'],
  ['gpt-5-pro', 'gpt-5-pro-2025-10-06'],
  ['gpt-5-search-api', 'gpt-5-search-api-2025-10-14'],
  ['o1', 'o1-2024-12-17'],
  ['o1-mini', 'o1-mini-2024-09-12'],
  ['o1-pro', 'o1-pro-2025-03-19'],
  ['o3', 'o3-2025-04-16'],
  ['o3-mini', 'o3-mini-2025-01-31'],
  ['o4-mini', 'o4-mini-2025-04-16'],
  ['o4-mini-deep-research', 'o4-mini-deep-research-2025-06-26'],
  ['gpt-4-turbo', 'gpt-4-turbo-2024-04-09'],
  ['gpt-4-turbo-preview', 'gpt-4-0125-preview'],
  ['gpt-4', 'gpt-4-0613'],
  ['gpt-3.5-turbo', 'gpt-3.5-turbo-0125'],
  ['gpt-4o-search-preview', 'gpt-4o-search-preview-2025-03-11'],
  ['gpt-4o-mini-search-preview', 'gpt-4o-mini-search-preview-2025-03-11'],
  ['gpt-4o-audio-preview', 'gpt-4o-audio-preview-2024-12-17'],
  ['gpt-4o-mini-audio-preview', 'gpt-4o-mini-audio-preview-2024-12-17'],
  ['gpt-audio', 'gpt-audio-2025-08-28'],
  ['gpt-audio-mini', 'gpt-audio-mini-2025-10-06'],
  // [REC 2026-03] the base completion models answer with their internal name, in body and openai-model
  ['davinci-002', 'davinci:2023-07-21-v2'],
  ['babbage-002', 'babbage:2023-07-21-v2'],
]);

/** The snapshot an answer reports for a catalogue id (the id itself when it has no dated twin). */
export function snapshotOf(id: string): string {
  return SNAPSHOTS.get(id) ?? id;
}

/**
 * What a model is served on:
 * - `chat`: /v1/chat/completions and /v1/responses
 * - `completion`: legacy /v1/completions only [SRC A4.4]
 * - `embedding`: /v1/embeddings only
 * - `responses-only`: /v1/responses only (chat gives 404 "only supported in v1/responses") [OBS]
 * - `other`: audio, image, moderation, realtime, video — none of the text endpoints
 */
export type ModelKind = 'chat' | 'completion' | 'embedding' | 'responses-only' | 'other';

export function modelKind(id: string): ModelKind {
  if (id.startsWith('text-embedding-')) return 'embedding';
  if (id === 'davinci-002' || id === 'babbage-002' || id.startsWith('gpt-3.5-turbo-instruct')) return 'completion';
  if (/^(o1-pro|gpt-5-pro|gpt-5-codex|codex-mini|o3-deep-research|o4-mini-deep-research)/.test(id)) return 'responses-only';
  if (/(realtime|transcribe|tts|whisper|dall-e|gpt-image|sora|moderation)/.test(id)) return 'other';
  if (/^(gpt-|o1|o3|o4|chatgpt-)/.test(id)) return 'chat';
  return 'other';
}

/** Reasoning models refuse `max_tokens`, non-default sampling and penalties [OBS]. */
export function isReasoningModel(id: string): boolean {
  if (id.startsWith('gpt-5-chat') || id.startsWith('gpt-5-search')) return false;
  return /^(o1|o3|o4|gpt-5|codex-mini)/.test(id);
}

/** `stop` is refused by the newer reasoning models [REC]. */
export function refusesStop(id: string): boolean {
  // [REC] o1-mini refused `stop` with unsupported_parameter (crewAI cassette, 2025-07)
  return isReasoningModel(id);
}

/**
 * The completion-token ceiling behind "max_tokens is too large: N. This model supports at most M
 * completion tokens" [OBS for 16384 (gpt-4o), 4096, 128000; the rest from OpenAI's model pages, DOC].
 */
export function maxCompletionTokens(id: string): number {
  const snap = snapshotOf(id);
  if (snap === 'gpt-4o-2024-05-13') return 4096;
  if (snap.startsWith('gpt-5-pro')) return 272000;
  if (snap.startsWith('gpt-5-chat')) return 16384;
  if (snap.startsWith('gpt-5')) return 128000;
  if (snap.startsWith('gpt-4.1')) return 32768;
  if (snap.startsWith('o1-mini')) return 65536;
  if (/^(o1|o3|o4)/.test(snap)) return 100000;
  if (snap.startsWith('codex-mini')) return 100000;
  if (/^(gpt-4o|chatgpt-4o)/.test(snap)) return 16384;
  if (snap === 'gpt-4-0613' || snap === 'gpt-4') return 8192;
  if (snap === 'davinci-002' || snap === 'babbage-002') return 16384;
  return 4096;
}

/**
 * Rate-limit families: which row of the tier table a model uses (OpenAI's published tier tables
 * [DOC, from memory; the recorded values 10000/30000000 and 30000/150000000 match tier 5]).
 */
export type LimitFamily = 'flagship' | 'mini' | 'gpt5' | 'embedding' | 'gpt4-turbo' | 'gpt4' | 'gpt35' | 'legacy' | 'latest' | 'other';

export function limitFamily(id: string): LimitFamily {
  const kind = modelKind(id);
  if (kind === 'embedding') return 'embedding';
  if (kind === 'completion') return 'legacy';
  if (id.startsWith('chatgpt-4o') || id.startsWith('gpt-5-chat')) return 'latest';
  if (/^(gpt-4o-mini|gpt-4\.1-mini|gpt-4\.1-nano|o1-mini|o3-mini|o4-mini|gpt-5-mini|gpt-5-nano|codex-mini)/.test(id)) return 'mini';
  if (/^gpt-5/.test(id)) return 'gpt5';
  if (/^(gpt-4o|gpt-4\.1|o1|o3)/.test(id)) return 'flagship';
  if (/^gpt-4-(turbo|0125|1106)/.test(id)) return 'gpt4-turbo';
  if (/^gpt-4(-0613)?$/.test(id)) return 'gpt4';
  if (id.startsWith('gpt-3.5')) return 'gpt35';
  return 'other';
}

export interface RateLimits {
  /** requests per minute */
  readonly rpm: number;
  /** tokens per minute */
  readonly tpm: number;
}

/** [tier 3, tier 4, tier 5] per family. */
const TIER_TABLE: Readonly<Record<LimitFamily, readonly [RateLimits, RateLimits, RateLimits]>> = {
  flagship: [{ rpm: 5000, tpm: 800_000 }, { rpm: 10000, tpm: 2_000_000 }, { rpm: 10000, tpm: 30_000_000 }],
  mini: [{ rpm: 5000, tpm: 4_000_000 }, { rpm: 10000, tpm: 10_000_000 }, { rpm: 30000, tpm: 150_000_000 }],
  gpt5: [{ rpm: 5000, tpm: 2_000_000 }, { rpm: 10000, tpm: 4_000_000 }, { rpm: 15000, tpm: 40_000_000 }],
  embedding: [{ rpm: 5000, tpm: 5_000_000 }, { rpm: 10000, tpm: 5_000_000 }, { rpm: 10000, tpm: 10_000_000 }],
  'gpt4-turbo': [{ rpm: 5000, tpm: 600_000 }, { rpm: 10000, tpm: 800_000 }, { rpm: 10000, tpm: 2_000_000 }],
  gpt4: [{ rpm: 5000, tpm: 80_000 }, { rpm: 10000, tpm: 300_000 }, { rpm: 10000, tpm: 1_000_000 }],
  gpt35: [{ rpm: 3500, tpm: 800_000 }, { rpm: 10000, tpm: 1_000_000 }, { rpm: 10000, tpm: 50_000_000 }],
  legacy: [{ rpm: 3500, tpm: 250_000 }, { rpm: 3500, tpm: 250_000 }, { rpm: 3500, tpm: 250_000 }],
  latest: [{ rpm: 200, tpm: 500_000 }, { rpm: 200, tpm: 500_000 }, { rpm: 200, tpm: 500_000 }],
  other: [{ rpm: 5000, tpm: 800_000 }, { rpm: 10000, tpm: 2_000_000 }, { rpm: 10000, tpm: 30_000_000 }],
};

export function tierLimits(tier: 3 | 4 | 5, model: string): RateLimits {
  return TIER_TABLE[limitFamily(model)][tier - 3] as RateLimits;
}

/**
 * Model ids OpenAI has shut down (its deprecations page): the API answers them with "has been
 * deprecated" instead of "does not exist" (recorded 2026-01 for gpt-3.5-turbo-0613).
 */
const RETIRED: ReadonlySet<string> = new Set([
  'gpt-3.5-turbo-0301', 'gpt-3.5-turbo-0613', 'gpt-3.5-turbo-16k-0613', 'gpt-4-0314', 'gpt-4-32k', 'gpt-4-32k-0314', 'gpt-4-32k-0613',
  'gpt-4-vision-preview', 'gpt-4-1106-vision-preview', 'text-davinci-003', 'text-davinci-002', 'text-davinci-001', 'code-davinci-002',
  'text-curie-001', 'text-babbage-001', 'text-ada-001', 'davinci', 'curie', 'babbage', 'ada', 'text-embedding-ada-001',
  'gpt-4.5-preview', 'gpt-4.5-preview-2025-02-27',
]);

export function isRetiredModel(id: string): boolean {
  return RETIRED.has(id);
}

/**
 * Reasoning tokens a reasoning model spends before it answers: none at `minimal`/`none` effort or
 * for a short prompt (a "say hello" is answered without reasoning, recorded 2026-03 on gpt-5), then
 * growing with the prompt and the effort, in whole blocks of 64 as the API reports them.
 */
export function reasoningTokensFor(effort: unknown, promptTokens: number): number {
  if (effort === 'minimal' || effort === 'none') return 0;
  const factor = effort === 'low' ? 2 : effort === 'high' ? 12 : 5;
  const raw = Math.min(Math.max(promptTokens, 0), 100_000) * factor - 64;
  return raw <= 0 ? 0 : Math.min(Math.floor(raw / 64) * 64, 32_768);
}
