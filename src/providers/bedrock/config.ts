/**
 * Config schemas for the Bedrock provider (config-part.ts adds them to the config file's schema):
 * (a) a `bedrock` upstream (the real service, re-signed with the upstream's own credentials),
 * (b) AWS access keys — SigV4 needs the secret itself, not a hash — and
 * (c) Bedrock API keys (`ABSK…` long-term keys, stored raw or as sha256), plus (d) the surface's
 * own options. Secrets may be written `${ENV}`; the loader interpolates before validation.
 */
import { z } from 'zod';
import { duration as durationMs } from '../../config/primitives.js';
import { BEDROCK_REGIONS } from './models.js';

const REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;
/** AKIA/ASIA + 16; AWS ids are base32 but scanners (and some tools) accept [A-Z0-9] */
const ACCESS_KEY_ID = /^(AKIA|ASIA)[A-Z0-9]{16}$/;
const SHA256_REF = /^sha256:[0-9a-f]{64}$/;

const awsRegion = z.string().regex(REGION, 'an AWS region like us-east-1');

const awsCredentialsSchema = z
  .object({
    access_key_id: z.string().regex(ACCESS_KEY_ID, 'an access key id: AKIA or ASIA + 16 characters'),
    secret_access_key: z.string().min(16).describe('raw, or ${ENV_VAR}'),
    session_token: z.string().min(1).optional().describe('for ASIA (temporary) keys'),
  })
  .strict();

export const bedrockUpstreamSchema = z
  .object({
    type: z.literal('bedrock'),
    region: awsRegion.optional().describe('the upstream region; default AWS_REGION / AWS_DEFAULT_REGION'),
    endpoint: z.url().optional().describe('runtime base URL; default https://bedrock-runtime.<region>.amazonaws.com'),
    control_endpoint: z.url().optional().describe('control-plane base URL; default https://bedrock.<region>.amazonaws.com'),
    credentials: z
      .union([z.literal('env'), awsCredentialsSchema])
      .default('env')
      .describe("the upstream's own AWS credentials, or `env` for AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN"),
    timeout: durationMs.default(600_000).describe('headers timeout (LLM calls can be slow)'),
    connections: z.number().int().min(1).max(4096).default(64),
  })
  .strict();

const lureFields = {
  campaign: z.string().optional().describe('lure campaign: where the key was planted'),
  placement: z.string().optional().describe('lure placement: the exact spot'),
  prompt: z.string().optional().describe('lure prompt injected into requests made with this key'),
  reply: z.string().optional().describe("the decoy's answer for this lure key"),
  max_requests: z.number().int().min(0).optional(),
  block_duration: durationMs.optional(),
  response_delay: durationMs.optional(),
  realistic_timing: z.boolean().optional().describe('the decoy takes as long as a real model would; false answers at once'),
};

export const awsKeySchema = z
  .object({
    name: z.string().min(1),
    class: z.enum(['valid', 'lure']),
    access_key_id: z.string().regex(ACCESS_KEY_ID, 'an access key id: AKIA or ASIA + 16 characters'),
    secret_access_key: z.string().min(16).describe('raw or ${ENV_VAR}: SigV4 is an HMAC keyed by the secret, a hash cannot verify it'),
    session_token: z.string().min(1).optional().describe('required on requests when set (ASIA keys)'),
    account_id: z.string().regex(/^\d{12}$/).optional().describe('informational; the decoys use the account the key id decodes to'),
    upstream: z.string().optional().describe('named upstream: a `bedrock` upstream (valid keys) or `decoy` (lure, default)'),
    ...lureFields,
  })
  .strict()
  .superRefine((k, ctx) => {
    if (k.access_key_id.startsWith('ASIA') && k.session_token === undefined) {
      ctx.addIssue({ code: 'custom', path: ['session_token'], message: 'ASIA keys are temporary credentials: set the session token the requests will carry' });
    }
  });

export const bedrockApiKeySchema = z
  .object({
    name: z.string().min(1),
    class: z.enum(['valid', 'lure']),
    key: z
      .string()
      .min(1)
      .describe('a long-term Bedrock API key (ABSK…), raw or as sha256:<64 hex>')
      .refine((v) => SHA256_REF.test(v) || /^ABSK[A-Za-z0-9+/]+={0,2}$/.test(v), 'an ABSK… key or sha256:<64 lowercase hex>'),
    upstream: z.string().optional(),
    ...lureFields,
  })
  .strict();

/** Entries of the `keys.aws-secrets.yaml` sidecar that `honeygate keys new --format aws` writes. */
export const awsSecretsSidecarSchema = z
  .object({
    aws_credentials: z.array(
      z
        .object({
          name: z.string().min(1),
          access_key_id: z.string().regex(ACCESS_KEY_ID),
          secret_access_key: z.string().min(16),
          account_id: z.string().regex(/^\d{12}$/).optional(),
        })
        .strict(),
    ),
  })
  .strict();

export const bedrockSurfaceSchema = z
  .object({
    regions: z
      .array(awsRegion)
      .optional()
      .describe('regions accepted in SigV4 scopes when the Host names none; default every Bedrock region'),
    explain_signature_mismatch: z.boolean().default(true).describe("append AWS's canonical-request explanation to InvalidSignatureException (as the service does since 2025)"),
    max_body_bytes: z.number().int().min(1024).max(25_000_000).default(25_000_000),
    stream_chunk_delay: durationMs.default(0).describe('pause between decoy stream frames'),
  })
  .strict();

export type BedrockUpstreamConfig = z.output<typeof bedrockUpstreamSchema>;
export type AwsKeyConfig = z.output<typeof awsKeySchema>;
export type BedrockApiKeyConfig = z.output<typeof bedrockApiKeySchema>;
export type BedrockSurfaceConfig = z.output<typeof bedrockSurfaceSchema>;

/** The SigV4 region set for a surface config. */
export function acceptedRegions(surface: Pick<BedrockSurfaceConfig, 'regions'>): ReadonlySet<string> {
  return surface.regions ? new Set(surface.regions) : BEDROCK_REGIONS;
}
