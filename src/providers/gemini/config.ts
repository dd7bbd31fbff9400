/**
 * Config schemas of the Gemini provider: (a) a `gemini` upstream (Google's API or any service
 * speaking it; its own `api_key` replaces the client's key), (b) `gemini_keys` — Google API keys
 * (`AIza…`) written raw or as `sha256:<64 hex>` with the provider-style mask, valid (forwarded) or
 * lure (deceived) — and (c) the provider's own options. Secrets may be `${ENV}`. config-part.ts
 * adds them to the config file's schema.
 */
import { z } from 'zod';
import { duration as durationMs } from '../../config/primitives.js';

const SHA256_REF = /^sha256:[0-9a-f]{64}$/;
/** what gitleaks and trufflehog match: AIza + 35 of [0-9A-Za-z_-] */
export const GOOGLE_API_KEY = /^AIza[0-9A-Za-z_-]{35}$/;

export const GEMINI_DEFAULT_URL = 'https://generativelanguage.googleapis.com';

export const geminiUpstreamSchema = z
  .object({
    type: z.literal('gemini'),
    url: z.url().default(GEMINI_DEFAULT_URL).describe('base URL of the Gemini API (default Google\'s)'),
    api_key: z
      .string()
      .min(1)
      .optional()
      .describe("the upstream's own key: replaces the client's key, sent as x-goog-api-key (write it as ${ENV_VAR}); absent: the client's key passes through"),
    timeout: durationMs.default(600_000).describe('headers timeout (LLM calls can be slow)'),
    connections: z.number().int().min(1).max(4096).default(128).describe('pooled connections to this upstream'),
  })
  .strict();

export const geminiKeySchema = z
  .object({
    name: z.string().min(1),
    class: z.enum(['valid', 'lure']).describe('valid: forwarded upstream; lure: deceived'),
    key: z
      .string()
      .min(1)
      .describe('a Google API key (AIza…, 39 characters), raw or as sha256:<64 hex>')
      .refine((v) => SHA256_REF.test(v) || GOOGLE_API_KEY.test(v), 'an AIza… key (39 characters) or sha256:<64 lowercase hex>'),
    mask: z.string().max(64).optional().describe('how events show the key (AIza****…abcd), for sha256 keys'),
    upstream: z.string().optional().describe('named upstream: a `gemini` upstream, or `decoy` (lure default)'),
    campaign: z.string().optional().describe('lure campaign: where the key was planted'),
    placement: z.string().optional().describe('lure placement: the exact spot'),
    prompt: z.string().optional().describe('lure prompt injected into systemInstruction (real lure upstream only)'),
    reply: z.string().optional().describe("the decoy's answer for this lure key"),
    max_requests: z.number().int().min(0).optional(),
    block_duration: durationMs.optional(),
    response_delay: durationMs.optional(),
    realistic_timing: z.boolean().optional().describe('the decoy takes as long as a real model would; false answers at once'),
    api_disabled: z
      .boolean()
      .optional()
      .describe("lure only: the persona's project never enabled the Generative Language API — every call gets 403 SERVICE_DISABLED (a key that looks real but dead, still recorded)"),
  })
  .strict();

export const geminiOptionsSchema = z
  .object({
    hosts: z
      .array(z.string().min(1))
      .default(['generativelanguage.googleapis.com'])
      .describe('Host names answered as the Gemini API on `/v1/` (which the OpenAI API shares); `/v1beta/` is always Gemini'),
  })
  .strict();

export type GeminiUpstreamConfig = z.output<typeof geminiUpstreamSchema>;
export type GeminiKeyConfig = z.output<typeof geminiKeySchema>;
