/**
 * The Bedrock provider's part of the configuration (config/part.ts): `aws_keys`,
 * `bedrock_api_keys`, the `bedrock` options and the `bedrock` upstream type; AWS key pairs from key
 * files with their secrets sidecars (key-files.ts); its rules (rules.ts).
 */
import { z } from 'zod';
import type { ProviderConfigPart } from '../../config/part.js';
import { awsKeySchema, bedrockApiKeySchema, bedrockSurfaceSchema, bedrockUpstreamSchema, type BedrockUpstreamConfig } from './config.js';
import { awsKeyFileReader } from './key-files.js';
import { checkAwsRules } from './rules.js';

const sections = {
  aws_keys: z
    .array(awsKeySchema)
    .default([])
    .describe('AWS access key pairs for the Bedrock surface (SigV4 needs the secret: write it as ${ENV_VAR})'),
  bedrock_api_keys: z.array(bedrockApiKeySchema).default([]).describe('Bedrock API keys (Authorization: Bearer ABSK…), raw or as sha256'),
  bedrock: bedrockSurfaceSchema.prefault({}).describe('Bedrock surface options (served when the config has AWS keys or a bedrock upstream)'),
};

declare module '../../config/schema.js' {
  interface ProviderConfigSections extends z.output<z.ZodObject<typeof sections>> {}
  interface ProviderUpstreamTypes {
    bedrock: BedrockUpstreamConfig;
  }
}

export const bedrockConfigPart: ProviderConfigPart = {
  sections,
  upstreams: [bedrockUpstreamSchema],
  keyFiles: awsKeyFileReader,
  rules: checkAwsRules,
};
