/**
 * The Anthropic organization behind a lure key, derived from the key's sha256 (stable per key,
 * unlike any other key's): its `anthropic-organization-id`, its Cloudflare colo, and its rate
 * limits — always a high tier (the resale checkers read the tier from
 * `anthropic-ratelimit-tokens-limit`: above 400,000 is their top "scale" tier). The limits per
 * model class follow the published tier-4 table and the recorded answers: Haiku 4.5 and later
 * Haiku 4,000,000 input / 800,000 output tokens a minute, Claude 3.x 400,000 / 80,000, every other
 * model 2,000,000 / 400,000; requests 4,000 a minute, or 20,000 on a custom-limit organization
 * (both recorded).
 * The `-remaining` values fall with the window's use (the store's counters): requests exactly,
 * tokens rounded to the nearest thousand, as the API reports them; `-reset` is the RFC 3339 second
 * at which the bucket is full again (the API refills continuously: used × 60 s / limit).
 */
import { seededRandom } from '../../deception/random.js';
import type { RateLimitUsage } from '../../deception/ratelimit-headers.js';
import type { AnthropicAccount, AnthropicRateLimitValues } from './headers.js';

const COLOS = ['SJC', 'SEA', 'LAX', 'ORD', 'IAD', 'EWR', 'DFW', 'ATL', 'AMS', 'FRA', 'LHR', 'CDG', 'ARN', 'NRT', 'SIN', 'SYD'] as const;

export interface AnthropicLimits {
  readonly rpm: number;
  readonly itpm: number;
  readonly otpm: number;
}

export interface AnthropicPersona {
  readonly organizationId: string;
  readonly colo: string;
  readonly rpm: number;
  limitsFor(model: string | undefined): AnthropicLimits;
  /** the account headers of one answer after `usage` in the window */
  account(model: string | undefined, usage: RateLimitUsage | undefined, now?: number): AnthropicAccount;
}

function uuidFrom(hex: string): string {
  // a version-4 layout from 32 hex digits
  const h = hex.padEnd(32, '0').slice(0, 32).split('');
  h[12] = '4';
  h[16] = '89ab'[parseInt(h[16] ?? '0', 16) % 4] ?? '8';
  const s = h.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20, 32)}`;
}

/** Model class for the limits table. */
export function limitClass(model: string | undefined): 'haiku-new' | 'legacy' | 'default' {
  if (model === undefined) return 'default';
  if (/^claude-3[-.]/.test(model) || model.startsWith('claude-2') || model.startsWith('claude-instant')) return 'legacy';
  if (/^claude-haiku-(4-5|[5-9])/.test(model)) return 'haiku-new';
  return 'default';
}

function iso(ms: number): string {
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

function roundThousand(n: number): number {
  return Math.max(0, Math.round(n / 1000) * 1000);
}

export function rateLimitValues(limits: AnthropicLimits, usage: RateLimitUsage | undefined, now: number, inputShare = 0.85): AnthropicRateLimitValues {
  const requests = Math.max(0, Math.min(Math.floor(usage?.requests ?? 1), limits.rpm));
  const tokens = Math.max(0, Math.min(Math.floor(usage?.tokens ?? 0), limits.itpm + limits.otpm));
  const input = Math.min(Math.round(tokens * inputShare), limits.itpm);
  const output = Math.min(tokens - input, limits.otpm);
  // the reset is never before the second that just passed (the API's value is often now − 1 s)
  const reset = (used: number, limit: number): string => iso(now - 1000 + Math.ceil((used * 60_000) / Math.max(1, limit)));
  const tpm = limits.itpm + limits.otpm;
  return [
    String(limits.itpm), String(roundThousand(limits.itpm - input)), reset(input, limits.itpm),
    String(limits.otpm), String(roundThousand(limits.otpm - output)), reset(output, limits.otpm),
    String(limits.rpm), String(limits.rpm - requests), reset(requests, limits.rpm),
    String(tpm), String(roundThousand(tpm - input - output)), reset(input + output, tpm),
  ];
}

const KEY_HASH = /^[0-9a-f]{64}$/;

export function anthropicPersona(keyHashHex: string): AnthropicPersona {
  const seed = KEY_HASH.test(keyHashHex) ? keyHashHex : '0'.repeat(64);
  const ids = seededRandom(seed, 'anthropic:org');
  const organizationId = uuidFrom(ids.chars('0123456789abcdef', 32));
  const colo = seededRandom(seed, 'anthropic:colo').pick(COLOS);
  const rpm = seededRandom(seed, 'anthropic:tier').next() < 0.5 ? 4000 : 20000;
  const table = {
    'haiku-new': { rpm, itpm: 4_000_000, otpm: 800_000 },
    legacy: { rpm, itpm: 400_000, otpm: 80_000 },
    default: { rpm, itpm: 2_000_000, otpm: 400_000 },
  } as const;
  const persona: AnthropicPersona = {
    organizationId,
    colo,
    rpm,
    limitsFor: (model) => table[limitClass(model)],
    account(model, usage, now = Date.now()) {
      return { organizationId, colo, rateLimit: rateLimitValues(table[limitClass(model)], usage, now) };
    },
  };
  return Object.freeze(persona);
}
