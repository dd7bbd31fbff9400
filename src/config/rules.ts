/**
 * Cross-field rules, run after the schema: every problem is collected with its dotted path.
 * The safety rules here are the ones a deception tool must never get wrong: no key in two classes,
 * no lure traffic sent upstream with a valid user's key or with the lure key itself — for OpenAI
 * keys and for AWS keys (whose lure traffic is re-signed with the upstream's credentials).
 */
import { BUILTIN_PRESET_NAMES } from '../providers/tool/presets.js';
import { checkToolRules } from '../providers/tool/config.js';
import { checkAzureRules } from '../providers/azure/config.js';
import { sha256Hex } from '../util/hash.js';
import { checkGeminiRules } from '../providers/gemini/rules.js';
import { isAnthropicKeyConfig } from '../providers/anthropic/config.js';
import { checkAnthropicRules } from '../providers/anthropic/rules.js';
import type { ConfigIssue } from './issues.js';
import type { Config } from './schema.js';

export function keyHash(key: string): string {
  return key.startsWith('sha256:') ? key.slice(7) : sha256Hex(key);
}

/** The protocol a key speaks; each upstream type answers one (the decoy answers all). */
export type KeyProtocol = 'openai' | 'bedrock' | 'azure' | 'gemini' | 'anthropic';

/** The protocol of a `keys` entry: Anthropic-format keys belong to the Anthropic provider, the rest to OpenAI. */
export function keyProtocolOf(k: { readonly key: string; readonly mask?: string | undefined }): 'openai' | 'anthropic' {
  return isAnthropicKeyConfig(k) ? 'anthropic' : 'openai';
}

function speaks(config: Config, name: string, protocol: KeyProtocol): boolean {
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
    // Anthropic-format keys belong to the Anthropic provider: its rules check them
    if (isAnthropicKeyConfig(k)) return;
    if (k.upstream !== undefined && !(k.upstream in config.upstreams)) {
      issues.push({ level: 'error', path: `keys.${i}.upstream`, message: `no upstream named "${k.upstream}"` });
    } else if (k.upstream !== undefined && !speaks(config, k.upstream, 'openai')) {
      issues.push({ level: 'error', path: `keys.${i}.upstream`, message: `"${k.upstream}" is ${/^[aeiou]/.test(config.upstreams[k.upstream]?.type ?? '') ? 'an' : 'a'} ${config.upstreams[k.upstream]?.type ?? ''} upstream: OpenAI keys need an openai upstream (or "decoy")` });
    } else if (k.class === 'lure') {
      checkLureUpstream(k.upstream ?? config.lure_defaults.upstream, k.upstream !== undefined ? `keys.${i}.upstream` : 'lure_defaults.upstream');
    }
    if (k.class === 'valid') {
      for (const field of ['prompt', 'reply', 'max_requests', 'block_duration', 'response_delay', 'realistic_timing', 'campaign', 'placement'] as const) {
        if (k[field] !== undefined) issues.push({ level: 'warning', path: `keys.${i}.${field}`, message: `ignored on a valid key (lure keys only)` });
      }
    }
  });
  const openaiKeys = config.keys.filter((k) => !isAnthropicKeyConfig(k));
  if (openaiKeys.some((k) => k.class === 'lure') && !openaiKeys.some((k) => k.class === 'lure' && k.upstream !== undefined)) {
    checkLureUpstream(config.lure_defaults.upstream, 'lure_defaults.upstream');
  }
  for (const [name, up] of Object.entries(config.upstreams)) {
    if (up.type === 'decoy' && name !== 'decoy') {
      issues.push({ level: 'warning', path: `upstreams.${name}`, message: 'a second decoy upstream behaves exactly like "decoy"' });
    }
  }
  issues.push(...checkAwsRules(config));
  issues.push(...checkAzureRules(config));
  issues.push(...checkGeminiRules(config));
  issues.push(...checkAnthropicRules(config));
  issues.push(...checkToolRules(config.routes, config.cidr_presets, BUILTIN_PRESET_NAMES));
  return issues;
}

const LURE_ONLY = ['prompt', 'reply', 'max_requests', 'block_duration', 'response_delay', 'realistic_timing', 'campaign', 'placement'] as const;

/**
 * AWS keys and Bedrock API keys (the Bedrock surface): one class per key, upstreams that exist and
 * speak Bedrock, and lure traffic never signed with a valid user's credentials — a lure key's
 * `bedrock` upstream must hold its own burner credentials (not `env`, which is the host's, and not
 * a pair that valid keys are forwarded with).
 */
function checkAwsRules(config: Config): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const ids = new Map<string, number>();
  const validIds = new Set<string>();
  /** upstream name → the first valid key path forwarded to it */
  const validUpstreams = new Map<string, string>();
  config.aws_keys.forEach((k, i) => {
    const before = ids.get(k.access_key_id);
    if (before !== undefined) issues.push({ level: 'error', path: `aws_keys.${i}.access_key_id`, message: `the same access key id as aws_keys.${before}` });
    else ids.set(k.access_key_id, i);
    if (k.class === 'valid') {
      validIds.add(k.access_key_id);
      const up = k.upstream ?? defaultValidUpstream(config, 'bedrock');
      if (!validUpstreams.has(up)) validUpstreams.set(up, `aws_keys.${i}`);
    }
  });
  const hashes = new Map<string, number>();
  config.bedrock_api_keys.forEach((k, i) => {
    const hash = keyHash(k.key);
    const before = hashes.get(hash);
    if (before !== undefined) issues.push({ level: 'error', path: `bedrock_api_keys.${i}.key`, message: `the same key as bedrock_api_keys.${before}` });
    else hashes.set(hash, i);
    if (k.class === 'valid') {
      const up = k.upstream ?? defaultValidUpstream(config, 'bedrock');
      if (!validUpstreams.has(up)) validUpstreams.set(up, `bedrock_api_keys.${i}`);
    }
  });
  /** access key ids of the credentials valid traffic is signed with (explicit pairs only) */
  const validSigning = new Set<string>();
  for (const name of validUpstreams.keys()) {
    const up = config.upstreams[name];
    if (up?.type === 'bedrock' && up.credentials !== 'env') validSigning.add(up.credentials.access_key_id);
  }
  const checkLure = (name: string, path: string): void => {
    const up = config.upstreams[name];
    if (!up) {
      issues.push({ level: 'error', path, message: `no upstream named "${name}"` });
      return;
    }
    if (up.type === 'openai' || up.type === 'azure' || up.type === 'gemini') {
      issues.push({ level: 'error', path, message: `"${name}" is ${/^[aeiou]/.test(up.type) ? 'an' : 'a'} ${up.type} upstream: it cannot answer Bedrock requests (use a bedrock upstream with burner credentials, or "decoy")` });
      return;
    }
    if (up.type !== 'bedrock') return;
    const shared = validUpstreams.get(name);
    if (up.credentials === 'env') {
      issues.push({
        level: 'error',
        path,
        message: `lure traffic to "${name}" would be signed with the environment's AWS credentials: give that upstream its own burner credentials, or use "decoy"`,
      });
    } else if (shared !== undefined) {
      issues.push({ level: 'error', path, message: `upstream "${name}" also forwards ${shared} (a valid key): lure traffic must never spend a valid user's credentials` });
    } else if (validIds.has(up.credentials.access_key_id) || validSigning.has(up.credentials.access_key_id)) {
      issues.push({ level: 'error', path, message: `upstream "${name}" holds a valid user's AWS credentials: lure traffic must never spend them` });
    }
  };
  const check = (list: 'aws_keys' | 'bedrock_api_keys', k: (typeof config.aws_keys)[number] | (typeof config.bedrock_api_keys)[number], i: number): void => {
    const path = `${list}.${i}.upstream`;
    if (k.upstream !== undefined && !(k.upstream in config.upstreams)) {
      issues.push({ level: 'error', path, message: `no upstream named "${k.upstream}"` });
    } else if (k.class === 'valid') {
      const name = k.upstream ?? defaultValidUpstream(config, 'bedrock');
      if (!speaks(config, name, 'bedrock')) issues.push({ level: 'error', path, message: `"${name}" is ${/^[aeiou]/.test(config.upstreams[name]?.type ?? '') ? 'an' : 'a'} ${config.upstreams[name]?.type ?? ''} upstream: AWS keys need a bedrock upstream (or "decoy")` });
      for (const field of LURE_ONLY) {
        if (k[field] !== undefined) issues.push({ level: 'warning', path: `${list}.${i}.${field}`, message: 'ignored on a valid key (lure keys only)' });
      }
    } else {
      checkLure(k.upstream ?? defaultLureUpstream(config, 'bedrock'), k.upstream !== undefined ? path : 'lure_defaults.upstream');
    }
  };
  config.aws_keys.forEach((k, i) => check('aws_keys', k, i));
  config.bedrock_api_keys.forEach((k, i) => check('bedrock_api_keys', k, i));
  return dedupe(issues);
}

/** A problem found once per key (lure_defaults.upstream) is reported once. */
function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const id = `${i.level}|${i.path}|${i.message}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}
