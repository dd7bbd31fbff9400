/**
 * The Anthropic provider's config rules, run after the schema (config-part.ts): an Anthropic
 * key's upstream speaks Anthropic (or is the decoy); lure traffic never carries the lure key itself,
 * a valid user's key, or the company key valid keys are forwarded with; a lure prompt never
 * contains a phrase key checkers flag as an injected prompt. Also which keys are Anthropic's and
 * where a key without `upstream` goes.
 */
import { aType, type ConfigIssue } from '../../config/issues.js';
import { duplicateKeyIssues, keyHash } from '../../config/rules.js';
import type { Config } from '../../config/schema.js';
import { sha256Hex } from '../../util/hash.js';
import { isAnthropicKeyConfig, type AnthropicKeyConfig } from './config.js';
import { POZZED_PATTERNS } from './inject.js';

/** Every Anthropic key of a config: `anthropic_keys`, then the Anthropic-format entries of `keys` (with their path). */
export function anthropicKeysOf(config: Config): { readonly k: AnthropicKeyConfig; readonly path: string }[] {
  const out: { k: AnthropicKeyConfig; path: string }[] = config.anthropic_keys.map((k, i) => ({ k, path: `anthropic_keys.${i}` }));
  config.keys.forEach((k, i) => {
    if (isAnthropicKeyConfig(k)) out.push({ k, path: `keys.${i}` });
  });
  return out;
}

/** Where an Anthropic key without `upstream` goes: valid → the first `anthropic` upstream (else the decoy); lure → the decoy unless lure_defaults names an anthropic upstream. */
export function defaultAnthropicUpstream(config: Config, cls: 'valid' | 'lure'): string {
  if (cls === 'valid') return Object.entries(config.upstreams).find(([, u]) => u.type === 'anthropic')?.[0] ?? 'decoy';
  const name = config.lure_defaults.upstream;
  return config.upstreams[name]?.type === 'anthropic' ? name : 'decoy';
}

export function checkAnthropicRules(config: Config): ConfigIssue[] {
  // a key repeated in `keys` is reported by the common rules (config/rules.ts)
  const issues: ConfigIssue[] = duplicateKeyIssues('anthropic_keys', config.anthropic_keys);
  const keys = anthropicKeysOf(config);
  const validHashes = new Set<string>();
  const validUpstreams = new Set<string>();
  for (const { k } of keys) {
    if (k.class === 'valid') {
      validHashes.add(keyHash(k.key));
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
      issues.push({ level: 'error', path: `${path}.upstream`, message: `"${name}" is ${aType(up.type)} upstream: Anthropic keys need an anthropic upstream (or "decoy")` });
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
