/**
 * The Anthropic provider's part of the configuration (config/part.ts): `anthropic_keys`, the
 * `anthropic` upstream type, the Anthropic-format entries of `keys` (which are its keys, not
 * OpenAI's), and its rules (rules.ts).
 */
import { z } from 'zod';
import type { ProviderConfigPart } from '../../config/part.js';
import { anthropicKeySchema, anthropicUpstreamSchema, isAnthropicKeyConfig } from './config.js';
import { checkAnthropicRules } from './rules.js';

const sections = {
  anthropic_keys: z
    .array(anthropicKeySchema)
    .default([])
    .describe('Anthropic API keys (x-api-key or Authorization: Bearer sk-ant-…), raw or as sha256; Anthropic-format entries of `keys` count too'),
};

declare module '../../config/schema.js' {
  interface ProviderConfigSections extends z.output<z.ZodObject<typeof sections>> {}
  interface ProviderUpstreamTypes {
    anthropic: z.output<typeof anthropicUpstreamSchema>;
  }
}

export const anthropicConfigPart: ProviderConfigPart = {
  sections,
  upstreams: [anthropicUpstreamSchema],
  httpUpstreamTypes: ['anthropic'],
  ownsKeyEntry: isAnthropicKeyConfig,
  rules: checkAnthropicRules,
};
