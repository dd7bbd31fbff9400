/**
 * Cross-field rules of the Gemini config: one entry per key (across `gemini_keys` and the OpenAI
 * `keys`), upstreams that exist and speak Gemini, and lure traffic that never spends a valid key —
 * a lure key's `gemini` upstream must hold its own burner `api_key`, which must be neither a valid
 * client's key nor the key of an upstream valid keys are forwarded to (the company's key).
 */
import { aType, uniqueIssues, type ConfigIssue } from '../../config/issues.js';
import { duplicateKeyIssues, keyHash } from '../../config/rules.js';
import { sha256Hex } from '../../util/hash.js';
import type { GeminiKeyConfig } from './config.js';

const LURE_ONLY = ['prompt', 'reply', 'max_requests', 'block_duration', 'response_delay', 'realistic_timing', 'campaign', 'placement', 'api_disabled'] as const;

interface UpstreamLike {
  readonly type: string;
  readonly api_key?: string | undefined;
}

/** The parts of the config the rules read. */
export interface GeminiRulesInput {
  readonly gemini_keys: readonly GeminiKeyConfig[];
  readonly keys: readonly { readonly key: string; readonly class: 'valid' | 'lure' }[];
  readonly upstreams: Readonly<Record<string, UpstreamLike>>;
  readonly lure_defaults: { readonly upstream: string };
}

/** Where a valid Gemini key without an `upstream` goes: the first `gemini` upstream, else the decoy. */
export function defaultGeminiValidUpstream(upstreams: Readonly<Record<string, UpstreamLike>>): string {
  return Object.entries(upstreams).find(([, u]) => u.type === 'gemini')?.[0] ?? 'decoy';
}

/** Where a lure Gemini key without an `upstream` goes: `lure_defaults.upstream` when it speaks Gemini, else the decoy. */
export function defaultGeminiLureUpstream(upstreams: Readonly<Record<string, UpstreamLike>>, lureDefault: string): string {
  const up = upstreams[lureDefault];
  return up !== undefined && (up.type === 'gemini' || up.type === 'decoy') ? lureDefault : 'decoy';
}

export function checkGeminiRules(config: GeminiRulesInput): ConfigIssue[] {
  const issues: ConfigIssue[] = duplicateKeyIssues('gemini_keys', config.gemini_keys, [['keys', config.keys]]);
  const validHashes = new Set<string>();
  for (const k of config.keys) if (k.class === 'valid') validHashes.add(keyHash(k.key));
  const validUpstreams = new Map<string, string>();
  config.gemini_keys.forEach((k, i) => {
    if (k.class === 'valid') {
      validHashes.add(keyHash(k.key));
      const up = k.upstream ?? defaultGeminiValidUpstream(config.upstreams);
      if (!validUpstreams.has(up)) validUpstreams.set(up, `gemini_keys.${i}`);
    }
  });
  // keys of upstreams that valid traffic (of any provider) is forwarded with: the company's keys
  const companyKeys = new Set<string>();
  for (const name of validUpstreams.keys()) {
    const key = config.upstreams[name]?.api_key;
    if (key !== undefined) companyKeys.add(sha256Hex(key));
  }
  config.gemini_keys.forEach((k, i) => {
    const path = `gemini_keys.${i}.upstream`;
    if (k.upstream !== undefined && !(k.upstream in config.upstreams)) {
      issues.push({ level: 'error', path, message: `no upstream named "${k.upstream}"` });
      return;
    }
    if (k.class === 'valid') {
      const name = k.upstream ?? defaultGeminiValidUpstream(config.upstreams);
      const up = config.upstreams[name];
      if (up !== undefined && up.type !== 'gemini' && up.type !== 'decoy') issues.push({ level: 'error', path, message: `"${name}" is ${aType(up.type)} upstream: Gemini keys need a gemini upstream (or "decoy")` });
      for (const field of LURE_ONLY) {
        if (k[field] !== undefined) issues.push({ level: 'warning', path: `gemini_keys.${i}.${field}`, message: 'ignored on a valid key (lure keys only)' });
      }
      return;
    }
    const name = k.upstream ?? defaultGeminiLureUpstream(config.upstreams, config.lure_defaults.upstream);
    const where = k.upstream !== undefined ? path : 'lure_defaults.upstream';
    const up = config.upstreams[name];
    if (up === undefined || up.type === 'decoy') return;
    if (up.type !== 'gemini') {
      issues.push({ level: 'error', path: where, message: `"${name}" is ${aType(up.type)} upstream: it cannot answer Gemini requests (use a gemini upstream with its own burner api_key, or "decoy")` });
      return;
    }
    const shared = validUpstreams.get(name);
    if (up.api_key === undefined) {
      issues.push({ level: 'error', path: where, message: `lure traffic to "${name}" would carry the thief's lure key upstream: give that upstream its own burner api_key, or use "decoy"` });
    } else if (shared !== undefined) {
      issues.push({ level: 'error', path: where, message: `upstream "${name}" also forwards ${shared} (a valid key): lure traffic must never spend the company's key` });
    } else if (validHashes.has(sha256Hex(up.api_key)) || companyKeys.has(sha256Hex(up.api_key))) {
      issues.push({ level: 'error', path: where, message: `upstream "${name}" holds a valid key (a client's or the company's): lure traffic must never spend it` });
    }
  });
  return uniqueIssues(issues);
}
