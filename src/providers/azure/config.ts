/**
 * Config schemas for the Azure OpenAI provider (config-part.ts adds them to the config file's schema):
 * - an `azure` upstream: a real Azure OpenAI resource (`https://<resource>.openai.azure.com`), with
 *   the upstream's own key sent in `api-key` in place of the client's;
 * - `azure_keys`: keys clients present in `api-key` (or as a bearer key), raw or as sha256, valid or
 *   lure; a lure may pin its persona's resource, region and deployments.
 * And the cross-field rules: one class per key, upstreams that speak Azure, and lure traffic never
 * sent on a valid user's or the company's key.
 */
import { z } from 'zod';
import { duration as durationMs } from '../../config/primitives.js';
import { aType, uniqueIssues, type ConfigIssue } from '../../config/issues.js';
import { duplicateKeyIssues, keyHash } from '../../config/rules.js';
import { sha256Hex } from '../../util/hash.js';
import { AZURE_REGIONS } from '../../deception/azure-keys.js';

const SHA256_REF = /^sha256:[0-9a-f]{64}$/;
const DEPLOYMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const RESOURCE = /^[a-z0-9][a-z0-9-]{1,62}$/;

export const azureUpstreamSchema = z
  .object({
    type: z.literal('azure'),
    url: z.url().describe('the resource endpoint, e.g. https://acme-prod.openai.azure.com'),
    api_key: z
      .string()
      .optional()
      .describe("the resource's own key, sent as api-key in place of the client's (write it as ${ENV_VAR}); absent: the client's key passes through"),
    timeout: durationMs.default(600_000).describe('headers timeout for a request (LLM calls can be slow)'),
    connections: z.number().int().min(1).max(4096).default(128).describe('pooled connections to this upstream'),
  })
  .strict();

export const azureKeySchema = z
  .object({
    name: z.string().min(1).optional().describe('a name for events and the admin API; default: the key fingerprint'),
    key: z.string().min(1).describe('the key (32 hex or 84 characters), raw or as sha256:<64 hex>'),
    class: z.enum(['valid', 'lure']).describe('valid: forwarded to an azure upstream; lure: deceived'),
    upstream: z.string().optional().describe('named upstream; default: the first azure upstream (valid) or `decoy` (lure)'),
    mask: z.string().optional().describe('for sha256 keys: the mask to show in events'),
    campaign: z.string().optional().describe('lure campaign: where the key was planted'),
    placement: z.string().optional().describe('lure placement: the exact spot'),
    prompt: z.string().optional().describe('lure prompt injected into requests made with this key (sent to a real lure upstream)'),
    reply: z.string().optional().describe("the decoy's answer text for this lure key; canary placeholders are filled per attacker"),
    max_requests: z.number().int().min(0).optional(),
    block_duration: durationMs.optional(),
    response_delay: durationMs.optional(),
    realistic_timing: z.boolean().optional().describe('the decoy takes as long as a real model would; false answers at once'),
    resource: z.string().regex(RESOURCE, 'an Azure resource name: lowercase letters, digits and -').optional().describe("lure persona: the resource's name"),
    region: z
      .enum(AZURE_REGIONS.map((r) => r.id) as [string, ...string[]])
      .optional()
      .describe("lure persona: the resource's region (x-ms-region); default: the one an 84-character key names, else derived from the key"),
    deployments: z
      .record(
        z.string().regex(DEPLOYMENT, 'a deployment name: letters, digits, . _ -, at most 64'),
        z.union([
          z.string().min(1).max(100),
          z
            .object({
              model: z.string().min(1).max(100),
              version: z.string().min(1).max(40).optional(),
              capacity: z.number().int().min(1).max(100_000).optional().describe('thousands of tokens per minute (x-ratelimit-limit-tokens / 1000)'),
              sku: z.enum(['GlobalStandard', 'Standard']).optional(),
            })
            .strict(),
        ]),
      )
      .optional()
      .describe('lure persona: deployment name → model (`gpt-4.1-mini`, `gpt-4o@2024-08-06`, or {model, version, capacity, sku}); default: derived from the key'),
  })
  .strict()
  .superRefine((value, ctx) => {
    if (value.key.startsWith('sha256:') && !SHA256_REF.test(value.key)) {
      ctx.addIssue({ code: 'custom', path: ['key'], message: 'sha256 key references are sha256: followed by 64 lowercase hex digits' });
    }
  });

export type AzureKeyConfig = z.output<typeof azureKeySchema>;
export type AzureUpstreamConfig = z.output<typeof azureUpstreamSchema>;

const LURE_ONLY = ['prompt', 'reply', 'max_requests', 'block_duration', 'response_delay', 'realistic_timing', 'campaign', 'placement', 'resource', 'region', 'deployments'] as const;

/** The parts of the config the Azure rules read (keeps this module free of config/schema.ts). */
export interface AzureRulesInput {
  readonly upstreams: Readonly<Record<string, { readonly type: string; readonly api_key?: string | undefined }>>;
  readonly azure_keys: readonly AzureKeyConfig[];
  readonly lure_defaults: { readonly upstream: string };
  /** OpenAI keys: their valid hashes are company keys too */
  readonly keys: readonly { readonly key: string; readonly class: 'valid' | 'lure' }[];
}

/** Where an Azure valid key without `upstream` goes: the first azure upstream, else the decoy (demo). */
export function defaultAzureValidUpstream(config: Pick<AzureRulesInput, 'upstreams'>): string {
  const real = Object.entries(config.upstreams).find(([, u]) => u.type === 'azure');
  return real ? real[0] : 'decoy';
}

/** Where an Azure lure key without `upstream` goes: `lure_defaults.upstream` when it speaks Azure, else the decoy. */
export function defaultAzureLureUpstream(config: Pick<AzureRulesInput, 'upstreams' | 'lure_defaults'>): string {
  const name = config.lure_defaults.upstream;
  const up = config.upstreams[name];
  return up !== undefined && (up.type === 'azure' || up.type === 'decoy') ? name : 'decoy';
}

/**
 * One class per key; upstreams exist and speak Azure; a lure's azure upstream holds its own burner
 * key — never absent (the thief's lure key would be sent on), never a valid Azure or OpenAI key of
 * this config, never an upstream that valid keys are forwarded to.
 */
export function checkAzureRules(config: AzureRulesInput): ConfigIssue[] {
  const issues: ConfigIssue[] = duplicateKeyIssues('azure_keys', config.azure_keys);
  const validHashes = new Set<string>();
  for (const k of config.keys) if (k.class === 'valid') validHashes.add(keyHash(k.key));
  const validUpstreams = new Map<string, string>();
  config.azure_keys.forEach((k, i) => {
    if (k.class === 'valid') {
      validHashes.add(keyHash(k.key));
      const up = k.upstream ?? defaultAzureValidUpstream(config);
      if (!validUpstreams.has(up)) validUpstreams.set(up, `azure_keys.${i}`);
    }
  });
  const validApiKeys = new Set<string>();
  for (const name of validUpstreams.keys()) {
    const key = config.upstreams[name]?.api_key;
    if (key !== undefined) validApiKeys.add(key);
  }
  const checkLure = (name: string, path: string): void => {
    const up = config.upstreams[name];
    if (!up) {
      issues.push({ level: 'error', path, message: `no upstream named "${name}"` });
      return;
    }
    if (up.type === 'decoy') return;
    if (up.type !== 'azure') {
      issues.push({ level: 'error', path, message: `"${name}" is ${aType(up.type)} upstream: Azure keys need an azure upstream (or "decoy")` });
      return;
    }
    const shared = validUpstreams.get(name);
    if (up.api_key === undefined) {
      issues.push({ level: 'error', path, message: `lure traffic to "${name}" would carry the thief's lure key upstream: give that upstream its own burner api_key, or use "decoy"` });
    } else if (shared !== undefined) {
      issues.push({ level: 'error', path, message: `upstream "${name}" also forwards ${shared} (a valid key): lure traffic must never spend the company's key` });
    } else if (validHashes.has(sha256Hex(up.api_key)) || validApiKeys.has(up.api_key)) {
      issues.push({ level: 'error', path, message: `upstream "${name}" holds a valid user's or the company's key: lure traffic must never spend it` });
    }
  };
  config.azure_keys.forEach((k, i) => {
    const path = `azure_keys.${i}.upstream`;
    if (k.upstream !== undefined && !(k.upstream in config.upstreams)) {
      issues.push({ level: 'error', path, message: `no upstream named "${k.upstream}"` });
      return;
    }
    if (k.class === 'valid') {
      const name = k.upstream ?? defaultAzureValidUpstream(config);
      const type = config.upstreams[name]?.type;
      if (type !== undefined && type !== 'azure' && type !== 'decoy') issues.push({ level: 'error', path, message: `"${name}" is ${aType(type)} upstream: Azure keys need an azure upstream (or "decoy")` });
      for (const field of LURE_ONLY) {
        if (k[field] !== undefined) issues.push({ level: 'warning', path: `azure_keys.${i}.${field}`, message: 'ignored on a valid key (lure keys only)' });
      }
    } else {
      checkLure(k.upstream ?? defaultAzureLureUpstream(config), k.upstream !== undefined ? path : 'lure_defaults.upstream');
    }
  });
  return uniqueIssues(issues);
}
