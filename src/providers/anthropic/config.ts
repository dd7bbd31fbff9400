/**
 * Config for the Anthropic provider (config-part.ts adds it to the config file's schema and rules):
 * (a) an `anthropic` upstream (the real API or a compatible one; its own `api_key` replaces the
 *     client's, sent as `x-api-key`),
 * (b) `anthropic_keys`: API keys the provider knows (raw or sha256), valid or lure — the same
 *     fields as `keys`. Keys in the Anthropic format listed under `keys` (or in key files written
 *     by `honeygate keys new --format anthropic`) belong here too: isAnthropicKeyConfig.
 * The cross-field rules are in rules.ts.
 */
import { z } from 'zod';
import { duration as durationMs } from '../../config/primitives.js';

const SHA256_REF = /^sha256:[0-9a-f]{64}$/;

export const anthropicUpstreamSchema = z
  .object({
    type: z.literal('anthropic'),
    url: z.url().default('https://api.anthropic.com').describe('base URL of the Anthropic API (or a compatible one)'),
    api_key: z
      .string()
      .min(1)
      .optional()
      .describe("the upstream's own key, sent as x-api-key in place of the client's (write it as ${ENV_VAR}); absent: the client's key passes through"),
    timeout: durationMs.default(600_000).describe('headers/body timeout (long generations stream for minutes)'),
    connections: z.number().int().min(1).max(4096).default(128).describe('pooled connections to this upstream'),
  })
  .strict();

export const anthropicKeySchema = z
  .object({
    name: z.string().min(1).optional().describe('a name for events and the admin API; default: the key fingerprint'),
    key: z.string().min(1).describe('the key (sk-ant-…), raw or as sha256:<64 hex>'),
    class: z.enum(['valid', 'lure']),
    upstream: z.string().optional().describe('an `anthropic` upstream (valid keys) or `decoy` (lure keys, default)'),
    mask: z.string().optional().describe('for sha256 keys: the mask to show in events'),
    campaign: z.string().optional().describe('lure campaign: where the key was planted'),
    placement: z.string().optional().describe('lure placement: the exact spot'),
    prompt: z.string().optional().describe('lure prompt injected after the client system prompt (a real lure upstream only)'),
    reply: z.string().optional().describe("the decoy's answer for this lure key; canary placeholders are filled per attacker"),
    max_requests: z.number().int().min(0).optional(),
    block_duration: durationMs.optional(),
    response_delay: durationMs.optional(),
    realistic_timing: z.boolean().optional(),
  })
  .strict()
  .superRefine((value, ctx) => {
    if (value.key.startsWith('sha256:') && !SHA256_REF.test(value.key)) {
      ctx.addIssue({ code: 'custom', path: ['key'], message: 'sha256 key references are sha256: followed by 64 lowercase hex digits' });
    }
  });

export type AnthropicKeyConfig = z.output<typeof anthropicKeySchema>;

/** Is a `keys` entry an Anthropic key? (a raw `sk-ant-` key, or a sha256 entry whose mask says so) */
export function isAnthropicKeyConfig(k: { readonly key: string; readonly mask?: string | undefined }): boolean {
  return k.key.startsWith('sk-ant-') || (k.key.startsWith('sha256:') && k.mask?.startsWith('sk-ant-') === true);
}

