/**
 * The runtime: the validated config compiled once into what the request path uses — the bearer key
 * ring of `keys`, the policy (CIDR lists, limit rules), the HTTP upstreams (undici pools, or the
 * decoy), the lure policies with defaults applied, and each provider's own compiled part (in
 * registry order). Rebuilt whole on reload; the request path never reads raw config.
 */
import { configParts } from '../config/part.js';
import { defaultLureUpstream, defaultValidUpstream, isOpenAIKeyEntry, keyHash, type KeyProtocol } from '../config/rules.js';
import type { Config, KeyConfig, UpstreamConfig } from '../config/schema.js';
import { maskOpenAIKey } from '../util/mask.js';
import { fingerprintOfHash } from '../util/hash.js';
import { HttpUpstream } from './forward.js';
import { KeyRing, type KeyRecord, type LurePolicy } from './keyring.js';
import { Policy } from './policy.js';
import type { CompileContext, KeyFieldsConfig, LureFieldsConfig, Provider, ProviderRuntime, RecordBase, Runtime, UpstreamEntry } from './provider.js';

/** Every key the runtime knows, of every provider, for listings — never a secret. */
export function allKeyRecords(runtime: Pick<Runtime, 'keyring' | 'providers'>): KeyRecord[] {
  const out = [...runtime.keyring.records];
  for (const p of runtime.providers.values()) if (p.keys) out.push(...p.keys);
  return out;
}

export const DEFAULT_REPLY =
  'Sure. Could you share a little more detail about what you need, so I can give you a precise answer?';

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

function record(base: RecordBase, k: KeyFieldsConfig, config: Config, protocol: KeyProtocol): KeyRecord {
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

/** What the core reads of an upstream it pools as plain HTTP. */
interface HttpUpstreamConfig {
  readonly type: string;
  readonly url: string;
  readonly timeout: number;
  readonly connections: number;
  readonly api_key?: string | undefined;
}

export function buildRuntime(config: Readonly<Config>, registry: readonly Provider[]): Runtime {
  const parts = configParts(registry);
  // `openai` and the types a provider's config part marks plain HTTP get a pool here; the rest are the provider's
  const pooled = new Set<string>(['openai', ...parts.flatMap((p) => p.httpUpstreamTypes ?? [])]);
  const isHttp = (u: UpstreamConfig): u is UpstreamConfig & HttpUpstreamConfig => pooled.has(u.type);
  const upstreams = new Map<string, UpstreamEntry>();
  for (const [name, u] of Object.entries(config.upstreams)) {
    if (u.type === 'decoy') upstreams.set(name, { name, kind: 'decoy' });
    else if (isHttp(u)) {
      const upstream = new HttpUpstream({ url: u.url, timeoutMs: u.timeout, connections: u.connections });
      upstreams.set(name, { name, kind: 'http', upstream, ...(u.api_key !== undefined ? { apiKey: u.api_key } : {}) });
    } else upstreams.set(name, { name, kind: 'provider', type: u.type });
  }
  if (!upstreams.has('decoy')) upstreams.set('decoy', { name: 'decoy', kind: 'decoy' });
  // `keys` entries a provider owns (Anthropic-format keys) are in that provider's ring: OpenAI does not know them
  const keyring = new KeyRing(config.keys.flatMap((k, i) => (isOpenAIKeyEntry(k, parts) ? [keyRecord(k, config, i)] : [])));
  const ctx: CompileContext = { record: (base, k, protocol) => record(base, k, config, protocol) };
  const providers = new Map<string, ProviderRuntime>();
  try {
    for (const p of registry) {
      const compiled = p.compile(config, ctx);
      if (compiled !== null) providers.set(p.name, compiled);
    }
  } catch (e: unknown) {
    // a provider that cannot start stops the start; release what the others built
    void Promise.all([...providers.values()].map((p) => p.close?.()));
    void Promise.all([...upstreams.values()].map((u) => (u.kind === 'http' ? u.upstream.close() : undefined)));
    throw e;
  }
  return {
    config,
    keyring,
    policy: new Policy(config),
    upstreams,
    maxBodyBytes: config.max_body_bytes,
    providers,
    async close() {
      await Promise.all([...upstreams.values()].map((u) => (u.kind === 'http' ? u.upstream.close() : undefined)));
      await Promise.all([...providers.values()].map((p) => p.close?.()));
    },
  };
}
