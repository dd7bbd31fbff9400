/**
 * The Google Cloud project behind a Gemini lure key, derived from the key's sha256 so it is the same
 * on every request and instance and different for every key: the project number and the id AI
 * Studio gives the projects it creates (`gen-lang-client-0…`), the paid usage tier and the per-model
 * rate limits of that tier (requests per minute and per day, input tokens per minute, from Google's
 * published rate-limit table), and the backend's speed. The limits are what the decoy's 429s quote:
 * Gemini sends no rate-limit headers, so its quota errors are where a checker reads the tier.
 */
import { seededRandom } from '../../deception/random.js';
import type { GeminiModel } from './models.js';

export type GeminiTier = 1 | 2 | 3;

export interface GeminiLimits {
  readonly rpm: number;
  readonly tpm: number;
  /** requests per day; 0 = no daily limit */
  readonly rpd: number;
}

export interface GeminiPersona {
  readonly projectNumber: string;
  readonly projectId: string;
  readonly tier: GeminiTier;
  /** milliseconds the front end spends before the backend answers */
  readonly baseLatencyMs: number;
  limitsFor(model: GeminiModel | undefined): GeminiLimits;
}

type Group = 'pro' | 'flash' | 'lite' | 'classic' | 'classic-lite' | 'embedding';

/** Published paid-tier limits (ai.google.dev rate-limits page, 2025): [tier 1, tier 2, tier 3]. */
const LIMITS: Readonly<Record<Group, readonly [GeminiLimits, GeminiLimits, GeminiLimits]>> = {
  pro: [
    { rpm: 150, tpm: 2_000_000, rpd: 10_000 },
    { rpm: 1_000, tpm: 5_000_000, rpd: 50_000 },
    { rpm: 2_000, tpm: 8_000_000, rpd: 0 },
  ],
  flash: [
    { rpm: 1_000, tpm: 1_000_000, rpd: 10_000 },
    { rpm: 2_000, tpm: 3_000_000, rpd: 100_000 },
    { rpm: 10_000, tpm: 8_000_000, rpd: 0 },
  ],
  lite: [
    { rpm: 4_000, tpm: 4_000_000, rpd: 0 },
    { rpm: 10_000, tpm: 10_000_000, rpd: 0 },
    { rpm: 30_000, tpm: 30_000_000, rpd: 0 },
  ],
  classic: [
    { rpm: 2_000, tpm: 4_000_000, rpd: 0 },
    { rpm: 10_000, tpm: 10_000_000, rpd: 0 },
    { rpm: 30_000, tpm: 30_000_000, rpd: 0 },
  ],
  'classic-lite': [
    { rpm: 4_000, tpm: 4_000_000, rpd: 0 },
    { rpm: 10_000, tpm: 10_000_000, rpd: 0 },
    { rpm: 30_000, tpm: 30_000_000, rpd: 0 },
  ],
  embedding: [
    { rpm: 3_000, tpm: 1_000_000, rpd: 0 },
    { rpm: 5_000, tpm: 5_000_000, rpd: 0 },
    { rpm: 10_000, tpm: 10_000_000, rpd: 0 },
  ],
};

function groupOf(model: GeminiModel | undefined): Group {
  if (!model) return 'flash';
  if (model.family === 'embedding') return 'embedding';
  const id = model.reports ?? model.id;
  if (model.family === 'classic') return id.includes('lite') ? 'classic-lite' : 'classic';
  if (id.includes('pro')) return 'pro';
  return id.includes('lite') ? 'lite' : 'flash';
}

/** The persona of a lure key, from the hex sha256 of the key. */
export function geminiPersona(keyHashHex: string): GeminiPersona {
  const project = seededRandom(keyHashHex, 'gemini:project');
  const projectNumber = `${project.range(1, 9)}${project.chars('0123456789', 11)}`;
  const projectId = `gen-lang-client-0${project.chars('0123456789', 9)}`;
  const tierRng = seededRandom(keyHashHex, 'gemini:tier');
  const roll = tierRng.int(100);
  const tier: GeminiTier = roll < 55 ? 1 : roll < 85 ? 2 : 3;
  const latency = seededRandom(keyHashHex, 'gemini:latency');
  const baseLatencyMs = latency.range(180, 420);
  return {
    projectNumber,
    projectId,
    tier,
    baseLatencyMs,
    limitsFor(model) {
      const row = LIMITS[groupOf(model)];
      return row[tier - 1] ?? row[0];
    },
  };
}
