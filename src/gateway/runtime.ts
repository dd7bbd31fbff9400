/**
 * The runtime: the validated config compiled once into what the request path uses — the key rings
 * (OpenAI keys by hash; AWS key pairs by the hash of the access key id, with the secret kept for
 * SigV4 verification only), the policy (CIDR lists, limit rules), the upstreams (undici pools, the
 * re-signing Bedrock upstream, or the decoy) and the lure policies with defaults applied. Rebuilt
 * whole on reload; the request path never reads raw config.
 */
import { defaultLureUpstream, defaultValidUpstream, keyHash, type KeyProtocol } from '../config/rules.js';
import type { Config, KeyConfig } from '../config/schema.js';
import { maskKey, maskOpenAIKey } from '../deception/mask.js';
import { KeyRing, type KeyRecord, type LurePolicy } from '../core/keyring.js';
import { Policy } from '../core/policy.js';
import { type AwsKeyConfig, type BedrockApiKeyConfig, acceptedRegions } from '../providers/bedrock/config.js';
import { AwsKeyRing, type AwsPairEntry } from '../providers/bedrock/keyring.js';
import { ToolRuntime } from '../providers/tool/route.js';
import { BedrockUpstream, BedrockUpstreamError } from '../providers/bedrock/upstream.js';
import { HttpUpstream } from '../core/forward.js';
import { fingerprintOfHash, sha256Hex } from '../util/hash.js';

export type UpstreamEntry =
  | { readonly name: string; readonly kind: 'decoy' }
  | { readonly name: string; readonly kind: 'http'; readonly upstream: HttpUpstream; readonly apiKey?: string }
  | { readonly name: string; readonly kind: 'bedrock'; readonly upstream: BedrockUpstream };

/** The Bedrock surface's part of the runtime (present when the config has AWS keys or a bedrock upstream). */
export interface AwsRuntime {
  readonly keyring: AwsKeyRing;
  /** regions accepted in SigV4 scopes when the Host names none */
  readonly regions: ReadonlySet<string>;
  readonly explainMismatch: boolean;
  /** the smaller of max_body_bytes and bedrock.max_body_bytes (Bedrock's own limit is 25 MB) */
  readonly maxBodyBytes: number;
  /** pause between decoy stream frames */
  readonly chunkDelayMs: number;
}

/** Every key the runtime knows, OpenAI and AWS (pairs and Bedrock API keys), for listings — never a secret. */
export function allKeyRecords(runtime: Pick<Runtime, 'keyring' | 'aws'>): KeyRecord[] {
  return [...runtime.keyring.records, ...(runtime.aws?.keyring.records ?? [])];
}

export const DEFAULT_REPLY =
  'Sure. Could you share a little more detail about what you need, so I can give you a precise answer?';

export interface Runtime {
  readonly config: Readonly<Config>;
  readonly keyring: KeyRing;
  readonly policy: Policy;
  readonly upstreams: ReadonlyMap<string, UpstreamEntry>;
  readonly maxBodyBytes: number;
  /** tool routes (issue 10), when the config has any */
  readonly tool: ToolRuntime | null;
  /** the Bedrock surface (issue 4), when the config has AWS keys or a bedrock upstream */
  readonly aws: AwsRuntime | null;
  close(): Promise<void>;
}

/** Does this config serve the Bedrock surface? */
export function hasBedrock(config: Readonly<Config>): boolean {
  return config.aws_keys.length > 0 || config.bedrock_api_keys.length > 0 || Object.values(config.upstreams).some((u) => u.type === 'bedrock');
}

interface LureFieldsConfig {
  readonly prompt?: string | undefined;
  readonly reply?: string | undefined;
  readonly max_requests?: number | undefined;
  readonly block_duration?: number | undefined;
  readonly response_delay?: number | undefined;
  readonly realistic_timing?: boolean | undefined;
}

function lurePolicy(k: LureFieldsConfig, config: Config): LurePolicy {
  const d = config.lure_defaults;
  return {
    prompt: k.prompt ?? d.prompt,
    reply: k.reply ?? d.reply ?? DEFAULT_REPLY,
    maxRequests: k.max_requests ?? d.max_requests,
    blockDurationMs: k.block_duration ?? d.block_duration,
    responseDelayMs: k.response_delay ?? d.response_delay,
    realisticTiming: k.realistic_timing ?? d.realistic_timing,
  };
}

interface RecordBase {
  readonly name: string;
  readonly hash: string;
  readonly mask?: string | undefined;
  readonly campaign?: string | undefined;
  readonly placement?: string | undefined;
}

function record(base: RecordBase, k: LureFieldsConfig & { class: 'valid' | 'lure'; upstream?: string | undefined }, config: Config, protocol: KeyProtocol): KeyRecord {
  const common = {
    name: base.name,
    hash: base.hash,
    fingerprint: fingerprintOfHash(base.hash),
    ...(base.mask !== undefined ? { mask: base.mask } : {}),
    ...(base.campaign !== undefined ? { campaign: base.campaign } : {}),
    ...(base.placement !== undefined ? { placement: base.placement } : {}),
  };
  if (k.class === 'valid') return { ...common, class: 'valid', upstream: k.upstream ?? defaultValidUpstream(config, protocol) };
  return { ...common, class: 'lure', upstream: k.upstream ?? defaultLureUpstream(config, protocol), lure: lurePolicy(k, config) };
}

export function keyRecord(k: KeyConfig, config: Config, index: number): KeyRecord {
  const raw = !k.key.startsWith('sha256:');
  return record(
    { name: k.name ?? `key-${index + 1}`, hash: keyHash(k.key), mask: k.mask ?? (raw ? maskOpenAIKey(k.key) : undefined), campaign: k.campaign, placement: k.placement },
    k,
    config,
    'openai',
  );
}

/** An AWS key pair: its record (fingerprint and mask of the access key id, which is not a secret) and its secret. */
export function awsKeyEntry(k: AwsKeyConfig, config: Config): AwsPairEntry {
  const rec = record({ name: k.name, hash: sha256Hex(k.access_key_id), mask: maskKey(k.access_key_id), campaign: k.campaign, placement: k.placement }, k, config, 'bedrock');
  return { record: rec, secretAccessKey: k.secret_access_key, ...(k.session_token !== undefined ? { sessionToken: k.session_token } : {}) };
}

export function bedrockApiKeyRecord(k: BedrockApiKeyConfig, config: Config): KeyRecord {
  const raw = !k.key.startsWith('sha256:');
  return record({ name: k.name, hash: keyHash(k.key), mask: raw ? maskOpenAIKey(k.key) : undefined, campaign: k.campaign, placement: k.placement }, k, config, 'bedrock');
}

/** A bedrock upstream whose region or `env` credentials are missing stops the start, naming it. */
function bedrockUpstream(name: string, make: () => BedrockUpstream): BedrockUpstream {
  try {
    return make();
  } catch (e: unknown) {
    if (e instanceof BedrockUpstreamError) throw new BedrockUpstreamError(`upstreams.${name}: ${e.message}`);
    throw e;
  }
}

export function buildRuntime(config: Readonly<Config>): Runtime {
  const upstreams = new Map<string, UpstreamEntry>();
  for (const [name, u] of Object.entries(config.upstreams)) {
    if (u.type === 'decoy') upstreams.set(name, { name, kind: 'decoy' });
    else if (u.type === 'bedrock') {
      const upstream = bedrockUpstream(name, () => new BedrockUpstream({
        ...(u.region !== undefined ? { region: u.region } : {}),
        ...(u.endpoint !== undefined ? { endpoint: u.endpoint } : {}),
        ...(u.control_endpoint !== undefined ? { controlEndpoint: u.control_endpoint } : {}),
        credentials:
          u.credentials === 'env'
            ? 'env'
            : { accessKeyId: u.credentials.access_key_id, secretAccessKey: u.credentials.secret_access_key, ...(u.credentials.session_token !== undefined ? { sessionToken: u.credentials.session_token } : {}) },
        timeoutMs: u.timeout,
        connections: u.connections,
      }));
      upstreams.set(name, { name, kind: 'bedrock', upstream });
    } else {
      const upstream = new HttpUpstream({ url: u.url, timeoutMs: u.timeout, connections: u.connections });
      upstreams.set(name, { name, kind: 'http', upstream, ...(u.api_key !== undefined ? { apiKey: u.api_key } : {}) });
    }
  }
  if (!upstreams.has('decoy')) upstreams.set('decoy', { name: 'decoy', kind: 'decoy' });
  const keyring = new KeyRing(config.keys.map((k, i) => keyRecord(k, config, i)));
  const tool = config.routes.length > 0 ? new ToolRuntime(config) : null;
  const aws: AwsRuntime | null = hasBedrock(config)
    ? {
        keyring: new AwsKeyRing(config.aws_keys.map((k) => awsKeyEntry(k, config)), config.bedrock_api_keys.map((k) => bedrockApiKeyRecord(k, config))),
        regions: acceptedRegions(config.bedrock),
        explainMismatch: config.bedrock.explain_signature_mismatch,
        maxBodyBytes: Math.min(config.max_body_bytes, config.bedrock.max_body_bytes),
        chunkDelayMs: config.bedrock.stream_chunk_delay,
      }
    : null;
  return {
    config,
    keyring,
    policy: new Policy(config),
    upstreams,
    maxBodyBytes: config.max_body_bytes,
    tool,
    aws,
    async close() {
      await Promise.all([...upstreams.values()].map((u) => (u.kind === 'decoy' ? undefined : u.upstream.close())));
      await tool?.close();
    },
  };
}
