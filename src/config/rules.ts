/**
 * Cross-field rules, run after the schema: every problem is collected with its dotted path.
 * The safety rules here are the ones a deception tool must never get wrong: no key in two classes,
 * no lure traffic sent upstream with a valid user's key or with the lure key itself.
 */
import { BUILTIN_PRESET_NAMES } from '../surfaces/tool/presets.js';
import { checkToolRules } from '../surfaces/tool/config.js';
import { sha256Hex } from '../util/hash.js';
import type { ConfigIssue } from './issues.js';
import type { Config } from './schema.js';

export function keyHash(key: string): string {
  return key.startsWith('sha256:') ? key.slice(7) : sha256Hex(key);
}

export function checkRules(config: Config): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const seen = new Map<string, number>();
  const validHashes = new Set<string>();
  config.keys.forEach((k, i) => {
    const hash = keyHash(k.key);
    const before = seen.get(hash);
    if (before !== undefined) issues.push({ level: 'error', path: `keys.${i}.key`, message: `the same key as keys.${before}` });
    else seen.set(hash, i);
    if (k.class === 'valid') validHashes.add(hash);
  });
  const checkLureUpstream = (name: string, path: string): void => {
    const up = config.upstreams[name];
    if (!up) {
      issues.push({ level: 'error', path, message: `no upstream named "${name}"` });
      return;
    }
    if (up.type === 'openai') {
      if (up.api_key === undefined) {
        issues.push({
          level: 'error',
          path,
          message: `lure traffic to "${name}" would carry the thief's lure key upstream: give that upstream its own burner api_key, or use "decoy"`,
        });
      } else if (validHashes.has(sha256Hex(up.api_key))) {
        issues.push({ level: 'error', path, message: `upstream "${name}" holds a valid user's key: lure traffic must never spend it` });
      }
    }
  };
  config.keys.forEach((k, i) => {
    if (k.upstream !== undefined && !(k.upstream in config.upstreams)) {
      issues.push({ level: 'error', path: `keys.${i}.upstream`, message: `no upstream named "${k.upstream}"` });
    } else if (k.class === 'lure') {
      checkLureUpstream(k.upstream ?? config.lure_defaults.upstream, k.upstream !== undefined ? `keys.${i}.upstream` : 'lure_defaults.upstream');
    }
    if (k.class === 'valid') {
      for (const field of ['prompt', 'reply', 'max_requests', 'block_duration', 'response_delay', 'realistic_timing', 'campaign', 'placement'] as const) {
        if (k[field] !== undefined) issues.push({ level: 'warning', path: `keys.${i}.${field}`, message: `ignored on a valid key (lure keys only)` });
      }
    }
  });
  if (config.keys.some((k) => k.class === 'lure') && !config.keys.some((k) => k.class === 'lure' && k.upstream !== undefined)) {
    checkLureUpstream(config.lure_defaults.upstream, 'lure_defaults.upstream');
  }
  for (const [name, up] of Object.entries(config.upstreams)) {
    if (up.type === 'decoy' && name !== 'decoy') {
      issues.push({ level: 'warning', path: `upstreams.${name}`, message: 'a second decoy upstream behaves exactly like "decoy"' });
    }
  }
  issues.push(...checkToolRules(config.routes, config.cidr_presets, BUILTIN_PRESET_NAMES));
  return issues;
}
