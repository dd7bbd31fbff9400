/**
 * The Bedrock provider's config rules (run after the schema, config/part.ts `rules`): AWS keys and
 * Bedrock API keys — one class per key, upstreams that exist and speak Bedrock, and lure traffic
 * never signed with a valid user's credentials.
 */
import { aType, uniqueIssues, type ConfigIssue } from '../../config/issues.js';
import { defaultLureUpstream, defaultValidUpstream, duplicateIssues, duplicateKeyIssues, speaks } from '../../config/rules.js';
import type { Config } from '../../config/schema.js';

const LURE_ONLY = ['prompt', 'reply', 'max_requests', 'block_duration', 'response_delay', 'realistic_timing', 'campaign', 'placement'] as const;

/**
 * AWS keys and Bedrock API keys (the Bedrock surface): one class per key, upstreams that exist and
 * speak Bedrock, and lure traffic never signed with a valid user's credentials — a lure key's
 * `bedrock` upstream must hold its own burner credentials (not `env`, which is the host's, and not
 * a pair that valid keys are forwarded with).
 */
export function checkAwsRules(config: Config): ConfigIssue[] {
  const issues: ConfigIssue[] = [
    ...duplicateIssues('aws_keys', 'access_key_id', config.aws_keys, (k) => k.access_key_id, 'access key id'),
    ...duplicateKeyIssues('bedrock_api_keys', config.bedrock_api_keys),
  ];
  const validIds = new Set<string>();
  /** upstream name → the first valid key path forwarded to it */
  const validUpstreams = new Map<string, string>();
  config.aws_keys.forEach((k, i) => {
    if (k.class === 'valid') {
      validIds.add(k.access_key_id);
      const up = k.upstream ?? defaultValidUpstream(config, 'bedrock');
      if (!validUpstreams.has(up)) validUpstreams.set(up, `aws_keys.${i}`);
    }
  });
  config.bedrock_api_keys.forEach((k, i) => {
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
      issues.push({ level: 'error', path, message: `"${name}" is ${aType(up.type)} upstream: it cannot answer Bedrock requests (use a bedrock upstream with burner credentials, or "decoy")` });
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
      if (!speaks(config, name, 'bedrock')) issues.push({ level: 'error', path, message: `"${name}" is ${aType(config.upstreams[name]?.type ?? '')} upstream: AWS keys need a bedrock upstream (or "decoy")` });
      for (const field of LURE_ONLY) {
        if (k[field] !== undefined) issues.push({ level: 'warning', path: `${list}.${i}.${field}`, message: 'ignored on a valid key (lure keys only)' });
      }
    } else {
      checkLure(k.upstream ?? defaultLureUpstream(config, 'bedrock'), k.upstream !== undefined ? path : 'lure_defaults.upstream');
    }
  };
  config.aws_keys.forEach((k, i) => check('aws_keys', k, i));
  config.bedrock_api_keys.forEach((k, i) => check('bedrock_api_keys', k, i));
  return uniqueIssues(issues);
}
