/**
 * The OpenAI account of a lure key: its persona (deception/persona.ts; computed once per key and
 * cached in the gateway state) and the account headers of an answer — organization, project, rate
 * limits falling with use, Cloudflare colo.
 */
import type { KeyRecord } from '../../core/keyring.js';
import type { GatewayState } from '../../core/provider.js';
import { openaiPersona, type OpenAIPersona } from '../../deception/persona.js';
import { rateLimitHeaders, type RateLimitUsage } from '../../deception/ratelimit-headers.js';
import type { AccountHeaders } from './headers.js';

const DEFAULT_MODEL_FOR_LIMITS = 'gpt-4o-mini';
/** usage when the store reported none: this is the window's first request */
const FIRST_REQUEST: RateLimitUsage = Object.freeze({ requests: 1, tokens: 0, resetMs: 0 });

interface LurePersona {
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
      // a literal, not a spread of a base object: one allocation per answer
      return { organization, project, colo, rateLimit: rateLimitHeaders(limits, usage ?? FIRST_REQUEST) };
    },
  };
  state.cache.set(cacheKey, handle);
  return handle;
}
