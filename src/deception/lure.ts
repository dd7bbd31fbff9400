/**
 * Lure glue between the pipeline and the deception modules: the persona of a lure key (computed
 * once per key and cached in the gateway state), its account headers for an answer (organization,
 * project, rate limits falling with use, colo), and the controlled reply with canaries minted for
 * this attacker and registered in the store (so a later use links back to this request).
 */
import { randomUUID } from 'node:crypto';
import type { AccountHeaders } from '../providers/openai/headers.js';
import type { KeyRecord } from '../core/keyring.js';
import type { Exchange } from '../core/exchange.js';
import type { GatewayState } from '../core/state.js';
import { mintCanaries } from './canary.js';
import { openaiPersona, type OpenAIPersona } from './persona.js';
import { rateLimitHeaders, type RateLimitUsage } from './ratelimit-headers.js';

const DEFAULT_MODEL_FOR_LIMITS = 'gpt-4o-mini';
const CANARY_TTL_MS = 90 * 86_400_000;
/** usage when the store reported none: this is the window's first request */
const FIRST_REQUEST: RateLimitUsage = Object.freeze({ requests: 1, tokens: 0, resetMs: 0 });

export interface LurePersona {
  readonly persona: OpenAIPersona;
  headers(model: string | undefined, usage: RateLimitUsage | undefined): AccountHeaders;
}

export function personaFor(record: KeyRecord, state: GatewayState): LurePersona {
  const cacheKey = `persona:${record.hash}`;
  const cached = state.cache.get(cacheKey) as LurePersona | undefined;
  if (cached) return cached;
  const persona = openaiPersona(record.hash);
  const organization = persona.orgSlug;
  const project = persona.projectId;
  const colo = persona.cfColo;
  const handle: LurePersona = {
    persona,
    headers(model, usage) {
      const limits = persona.limitsFor(model ?? DEFAULT_MODEL_FOR_LIMITS);
      // a literal, not a spread of a base object: one allocation per answer (issue 11 profile)
      return { organization, project, colo, rateLimit: rateLimitHeaders(limits, usage ?? FIRST_REQUEST) };
    },
  };
  state.cache.set(cacheKey, handle);
  return handle;
}

/** Does a reply template have canary placeholders (`{{canary:…}}`)? Without them lureReply returns it as is. */
export function hasPlaceholders(template: string): boolean {
  return template.includes('{{');
}

/** The reply with its canary placeholders filled for this attacker; the canaries are stored. */
export async function lureReply(ex: Exchange, record: KeyRecord, template: string, state: GatewayState): Promise<{ text: string; canaries: string[] }> {
  if (!hasPlaceholders(template)) return { text: template, canaries: [] };
  ex.id ??= randomUUID();
  const minted = mintCanaries(template, {
    clientIp: ex.ip,
    lureKeyFingerprint: record.fingerprint,
    eventId: ex.id,
    baseUrl: state.publicUrl,
    ...(record.campaign !== undefined ? { campaign: record.campaign } : {}),
    ...(record.placement !== undefined ? { placement: record.placement } : {}),
  }, state.canarySecret);
  try {
    await Promise.all(minted.records.map((r) => state.store.putCanary(r, CANARY_TTL_MS)));
  } catch (e: unknown) {
    // the thief still gets the answer (the values are derived, not stored); only attribution of
    // this mint is lost, and the next request from the same attacker registers the same values again
    process.emitWarning(`honeygate: canary registration failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  return { text: minted.text, canaries: minted.records.map((r) => r.token) };
}
