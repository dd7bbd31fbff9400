/**
 * Config for the Anthropic provider, wired into config/schema.ts and config/rules.ts:
 * (a) an `anthropic` upstream (the real API or a compatible one; its own `api_key` replaces the
 *     client's, sent as `x-api-key`),
 * (b) `anthropic_keys`: API keys the provider knows (raw or sha256), valid or lure — the same
 *     fields as `keys`. Keys in the Anthropic format listed under `keys` (or in key files written
 *     by `honeygate keys new --format anthropic`) belong here too: isAnthropicKeyConfig.
 * (c) the rules: an Anthropic key's upstream speaks Anthropic (or is the decoy); lure traffic never
 *     carries the lure key itself, a valid user's key, or the company key of the valid keys'
 *     upstreams; a lure prompt never contains a phrase key checkers flag as an injected prompt.
 * This module must not import config/schema.ts at run time (schema.ts imports it).
 */
import { z } from 'zod';
import type { ConfigIssue } from '../../config/issues.js';
import { duration as durationMs } from '../../config/primitives.js';
import type { Config } from '../../config/schema.js';
import { sha256Hex } from '../../util/hash.js';
import { POZZED_PATTERNS } from './inject.js';

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

/** Every Anthropic key of a config: `anthropic_keys`, then the Anthropic-format entries of `keys` (with their path). */
export function anthropicKeysOf(config: Config): { readonly k: AnthropicKeyConfig; readonly path: string }[] {
  const out: { k: AnthropicKeyConfig; path: string }[] = config.anthropic_keys.map((k, i) => ({ k, path: `anthropic_keys.${i}` }));
  config.keys.forEach((k, i) => {
    if (isAnthropicKeyConfig(k)) out.push({ k, path: `keys.${i}` });
  });
  return out;
}

function keyHash(key: string): string {
  return key.startsWith('sha256:') ? key.slice(7) : sha256Hex(key);
}

/** Where an Anthropic key without `upstream` goes: valid → the first `anthropic` upstream (else the decoy); lure → the decoy unless lure_defaults names an anthropic upstream. */
export function defaultAnthropicUpstream(config: Config, cls: 'valid' | 'lure'): string {
  if (cls === 'valid') return Object.entries(config.upstreams).find(([, u]) => u.type === 'anthropic')?.[0] ?? 'decoy';
  const name = config.lure_defaults.upstream;
  return config.upstreams[name]?.type === 'anthropic' ? name : 'decoy';
}

export function checkAnthropicRules(config: Config): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const keys = anthropicKeysOf(config);
  const seen = new Map<string, string>();
  const validHashes = new Set<string>();
  const validUpstreams = new Set<string>();
  for (const { k, path } of keys) {
    const hash = keyHash(k.key);
    const before = seen.get(hash);
    if (before !== undefined && path.startsWith('anthropic_keys')) issues.push({ level: 'error', path: `${path}.key`, message: `the same key as ${before}` });
    else seen.set(hash, path);
    if (k.class === 'valid') {
      validHashes.add(hash);
      validUpstreams.add(k.upstream ?? defaultAnthropicUpstream(config, 'valid'));
    }
  }
  // the company keys: what valid Anthropic traffic is forwarded with
  const companyKeys = new Set<string>();
  for (const name of validUpstreams) {
    const up = config.upstreams[name];
    if (up?.type === 'anthropic' && up.api_key !== undefined) companyKeys.add(up.api_key);
  }
  const lurePrompts = new Map<string, string>();
  for (const { k, path } of keys) {
    const name = k.upstream ?? defaultAnthropicUpstream(config, k.class);
    const where = k.upstream !== undefined ? `${path}.upstream` : 'lure_defaults.upstream';
    const up = config.upstreams[name];
    if (!up) {
      issues.push({ level: 'error', path: `${path}.upstream`, message: `no upstream named "${name}"` });
      continue;
    }
    if (up.type !== 'anthropic' && up.type !== 'decoy') {
      issues.push({ level: 'error', path: `${path}.upstream`, message: `"${name}" is ${/^[aeiou]/.test(up.type) ? 'an' : 'a'} ${up.type} upstream: Anthropic keys need an anthropic upstream (or "decoy")` });
      continue;
    }
    if (k.class !== 'lure') continue;
    if (!lurePrompts.has(k.prompt ?? config.lure_defaults.prompt)) lurePrompts.set(k.prompt ?? config.lure_defaults.prompt, k.prompt !== undefined ? `${path}.prompt` : 'lure_defaults.prompt');
    if (up.type !== 'anthropic') continue;
    if (up.api_key === undefined) {
      issues.push({ level: 'error', path: where, message: `lure traffic to "${name}" would carry the thief's lure key upstream: give that upstream its own burner api_key, or use "decoy"` });
    } else if (validHashes.has(sha256Hex(up.api_key))) {
      issues.push({ level: 'error', path: where, message: `upstream "${name}" holds a valid user's key: lure traffic must never spend it` });
    } else if (validUpstreams.has(name) || companyKeys.has(up.api_key)) {
      issues.push({ level: 'error', path: where, message: `upstream "${name}" holds the company key valid keys are forwarded with: lure traffic needs a burner account's key` });
    }
  }
  for (const [prompt, path] of lurePrompts) {
    const hit = POZZED_PATTERNS.find((re) => re.test(prompt));
    if (hit) issues.push({ level: 'error', path, message: `a lure prompt contains a phrase key checkers flag as an injected prompt (${hit.source}): a checked key would be discarded` });
  }
  return issues;
}
