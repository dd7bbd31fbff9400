/**
 * The Gemini provider's part of the configuration (config/part.ts): `gemini_keys` (also read from
 * key files), the `gemini` options and the `gemini` upstream type; its rules are in rules.ts.
 */
import { z } from 'zod';
import type { ProviderConfigPart } from '../../config/part.js';
import { geminiKeySchema, geminiOptionsSchema, geminiUpstreamSchema, type GeminiUpstreamConfig } from './config.js';
import { checkGeminiRules } from './rules.js';

const sections = {
  gemini_keys: z.array(geminiKeySchema).default([]).describe('Google API keys (AIza…) for the Gemini provider, raw or as sha256'),
  gemini: geminiOptionsSchema.prefault({}).describe('Gemini provider options (served when the config has Gemini keys or a gemini upstream)'),
};

declare module '../../config/schema.js' {
  interface ProviderConfigSections extends z.output<z.ZodObject<typeof sections>> {}
  interface ProviderUpstreamTypes {
    gemini: GeminiUpstreamConfig;
  }
}

export const geminiConfigPart: ProviderConfigPart = {
  sections,
  upstreams: [geminiUpstreamSchema],
  keyFileLists: { gemini_keys: geminiKeySchema },
  rules: checkGeminiRules,
};
