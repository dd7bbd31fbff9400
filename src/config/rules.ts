/**
 * Cross-field rules, run after the schema: every problem is collected with its dotted path.
 * The safety rules here are the ones a deception tool must never get wrong: no key in two classes,
 * no lure traffic sent upstream with a valid user's key or with the lure key itself. This module
 * checks the `keys` list (OpenAI keys) and the upstreams; each provider's config part checks its own
 * keys (config/part.ts `rules`), after these, in registry order.
 */
import { sha256Hex } from '../util/hash.js';
import { aType, type ConfigIssue } from './issues.js';
import type { ProviderConfigPart } from './part.js';
import type { Config } from './schema.js';

export function keyHash(key: string): string {
  return key.startsWith('sha256:') ? key.slice(7) : sha256Hex(key);
}

/**
 * The entries of a key list that repeat a key: for each entry, in order, an error at `<list>.<i>.key`
 * if an earlier entry of the same list holds the same key, then one for each list of `against` (in
 * its order) that holds it, naming the first entry that does. Keys compare by hash (keyHash), so a
 * raw key and its `sha256:` reference are the same key.
 */
export function duplicateKeyIssues(
  list: string,
  entries: readonly { readonly key: string }[],
  against: readonly (readonly [list: string, entries: readonly { readonly key: string }[]])[] = [],
): ConfigIssue[] {
  return duplicateIssues(list, 'key', entries, (k) => keyHash(k.key), 'key', against);
}

/**
 * The general scan behind duplicateKeyIssues: `id` is what makes two entries the same, `field` the
 * entry's field the error points at, `what` the word in the message ("the same access key id as …").
 */
export function duplicateIssues<T>(
  list: string,
  field: string,
  entries: readonly T[],
  id: (entry: T) => string,
  what: string,
  against: readonly (readonly [list: string, entries: readonly T[]])[] = [],
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const firstOf = (xs: readonly T[]): Map<string, number> => {
    const first = new Map<string, number>();
    xs.forEach((x, i) => {
      const h = id(x);
      if (!first.has(h)) first.set(h, i);
    });
    return first;
  };
  const others = against.map(([name, xs]) => [name, firstOf(xs)] as const);
  const seen = new Map<string, number>();
  entries.forEach((e, i) => {
    const h = id(e);
    const path = `${list}.${i}.${field}`;
    const before = seen.get(h);
    if (before !== undefined) issues.push({ level: 'error', path, message: `the same ${what} as ${list}.${before}` });
    else seen.set(h, i);
    for (const [name, first] of others) {
      const at = first.get(h);
      if (at !== undefined) issues.push({ level: 'error', path, message: `the same ${what} as ${name}.${at}` });
    }
  });
  return issues;
}

/** The protocol a key speaks: the upstream `type` that answers it (the decoy answers all). */
export type KeyProtocol = string;

type KeyEntryLike = { readonly key: string; readonly mask?: string | undefined };

/** Is a `keys` entry OpenAI's? Not when a provider's config part owns it (an `sk-ant-` key is Anthropic's). */
export function isOpenAIKeyEntry(k: KeyEntryLike, parts: readonly ProviderConfigPart[]): boolean {
  return !parts.some((p) => p.ownsKeyEntry?.(k) === true);
}

/** Does upstream `name` exist and answer `protocol` (its type, or the decoy)? */
export function speaks(config: Config, name: string, protocol: KeyProtocol): boolean {
  const up = config.upstreams[name];
  return up !== undefined && (up.type === 'decoy' || up.type === protocol);
}

/** Where a valid key without an `upstream` goes: the first upstream of its protocol, else the decoy (demo). */
export function defaultValidUpstream(config: Config, protocol: KeyProtocol): string {
  const real = Object.entries(config.upstreams).find(([, u]) => u.type === protocol);
  return real ? real[0] : 'decoy';
}

/** Where a lure key without an `upstream` goes: `lure_defaults.upstream` when it speaks the key's protocol, else the decoy. */
export function defaultLureUpstream(config: Config, protocol: KeyProtocol): string {
  const name = config.lure_defaults.upstream;
  return !(name in config.upstreams) || speaks(config, name, protocol) ? name : 'decoy';
}

export function checkRules(config: Config, parts: readonly ProviderConfigPart[]): ConfigIssue[] {
  const issues: ConfigIssue[] = duplicateKeyIssues('keys', config.keys);
  const validHashes = new Set<string>();
  for (const k of config.keys) if (k.class === 'valid') validHashes.add(keyHash(k.key));
  const validUpstreams = new Set<string>();
  for (const k of config.keys) if (k.class === 'valid') validUpstreams.add(k.upstream ?? defaultValidUpstream(config, 'openai'));
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
      } else if (validUpstreams.has(name)) {
        // its api_key is the one valid users' traffic is sent with: the company's key
        issues.push({ level: 'error', path, message: `upstream "${name}" also forwards valid keys with its api_key (the company's key): lure traffic must never spend it; give lures their own burner upstream, or use "decoy"` });
      }
    }
  };
  config.keys.forEach((k, i) => {
    // a key a provider owns (an Anthropic-format key) is checked by that provider's rules
    if (!isOpenAIKeyEntry(k, parts)) return;
    if (k.upstream !== undefined && !(k.upstream in config.upstreams)) {
      issues.push({ level: 'error', path: `keys.${i}.upstream`, message: `no upstream named "${k.upstream}"` });
    } else if (k.upstream !== undefined && !speaks(config, k.upstream, 'openai')) {
      issues.push({ level: 'error', path: `keys.${i}.upstream`, message: `"${k.upstream}" is ${aType(config.upstreams[k.upstream]?.type ?? '')} upstream: OpenAI keys need an openai upstream (or "decoy")` });
    } else if (k.class === 'lure') {
      checkLureUpstream(k.upstream ?? config.lure_defaults.upstream, k.upstream !== undefined ? `keys.${i}.upstream` : 'lure_defaults.upstream');
    }
    if (k.class === 'valid') {
      for (const field of ['prompt', 'reply', 'max_requests', 'block_duration', 'response_delay', 'realistic_timing', 'campaign', 'placement'] as const) {
        if (k[field] !== undefined) issues.push({ level: 'warning', path: `keys.${i}.${field}`, message: `ignored on a valid key (lure keys only)` });
      }
    }
  });
  const openaiKeys = config.keys.filter((k) => isOpenAIKeyEntry(k, parts));
  if (openaiKeys.some((k) => k.class === 'lure') && !openaiKeys.some((k) => k.class === 'lure' && k.upstream !== undefined)) {
    checkLureUpstream(config.lure_defaults.upstream, 'lure_defaults.upstream');
  }
  for (const [name, up] of Object.entries(config.upstreams)) {
    if (up.type === 'decoy' && name !== 'decoy') {
      issues.push({ level: 'warning', path: `upstreams.${name}`, message: 'a second decoy upstream behaves exactly like "decoy"' });
    }
  }
  for (const part of parts) if (part.rules) issues.push(...part.rules(config));
  return issues;
}
