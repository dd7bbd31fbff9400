/**
 * The Azure OpenAI provider's part of the configuration (config/part.ts): `azure_keys` (also read
 * from key files) and the `azure` upstream type; its rules are in config.ts.
 */
import { z } from 'zod';
import type { ProviderConfigPart } from '../../config/part.js';
import { azureKeySchema, azureUpstreamSchema, checkAzureRules, type AzureUpstreamConfig } from './config.js';

const sections = {
  azure_keys: z.array(azureKeySchema).default([]).describe('Azure OpenAI keys (api-key header or bearer), raw or as sha256; lures may pin their resource persona'),
};

declare module '../../config/schema.js' {
  interface ProviderConfigSections extends z.output<z.ZodObject<typeof sections>> {}
  interface ProviderUpstreamTypes {
    azure: AzureUpstreamConfig;
  }
}

export const azureConfigPart: ProviderConfigPart = {
  sections,
  upstreams: [azureUpstreamSchema],
  keyFileLists: { azure_keys: azureKeySchema },
  rules: checkAzureRules,
};
