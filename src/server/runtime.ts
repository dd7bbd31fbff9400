/**
 * The runtime: the validated config compiled once into what the request path uses — the key ring,
 * the policy (CIDR lists, limit rules), the upstreams (undici pools or the decoy) and the lure
 * policies with defaults applied. Rebuilt whole on reload; the request path never reads raw config.
 */
import { keyHash } from '../config/rules.js';
import type { Config, KeyConfig } from '../config/schema.js';
import { maskOpenAIKey } from '../deception/mask.js';
import { KeyRing, type KeyRecord, type LurePolicy } from '../pipeline/keyring.js';
import { Policy } from '../pipeline/policy.js';
import { ToolRuntime } from '../surfaces/tool/route.js';
import { HttpUpstream } from '../upstream/forward.js';
import { fingerprintOfHash } from '../util/hash.js';

export type UpstreamEntry =
  | { readonly name: string; readonly kind: 'decoy' }
  | { readonly name: string; readonly kind: 'http'; readonly upstream: HttpUpstream; readonly apiKey?: string };

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
  close(): Promise<void>;
}

function defaultUpstream(config: Config): string {
  const real = Object.entries(config.upstreams).find(([, u]) => u.type !== 'decoy');
  return real ? real[0] : 'decoy';
}

export function keyRecord(k: KeyConfig, config: Config, index: number): KeyRecord {
  const hash = keyHash(k.key);
  const fingerprint = fingerprintOfHash(hash);
  const raw = !k.key.startsWith('sha256:');
  const mask = k.mask ?? (raw ? maskOpenAIKey(k.key) : undefined);
  const base = {
    name: k.name ?? `key-${index + 1}`,
    hash,
    fingerprint,
    ...(mask !== undefined ? { mask } : {}),
    ...(k.campaign !== undefined ? { campaign: k.campaign } : {}),
    ...(k.placement !== undefined ? { placement: k.placement } : {}),
  };
  if (k.class === 'valid') return { ...base, class: 'valid', upstream: k.upstream ?? defaultUpstream(config) };
  const d = config.lure_defaults;
  const lure: LurePolicy = {
    prompt: k.prompt ?? d.prompt,
    reply: k.reply ?? d.reply ?? DEFAULT_REPLY,
    maxRequests: k.max_requests ?? d.max_requests,
    blockDurationMs: k.block_duration ?? d.block_duration,
    responseDelayMs: k.response_delay ?? d.response_delay,
    realisticTiming: k.realistic_timing ?? d.realistic_timing,
  };
  return { ...base, class: 'lure', upstream: k.upstream ?? d.upstream, lure };
}

export function buildRuntime(config: Readonly<Config>): Runtime {
  const upstreams = new Map<string, UpstreamEntry>();
  for (const [name, u] of Object.entries(config.upstreams)) {
    if (u.type === 'decoy') upstreams.set(name, { name, kind: 'decoy' });
    else {
      const upstream = new HttpUpstream({ url: u.url, timeoutMs: u.timeout, connections: u.connections });
      upstreams.set(name, { name, kind: 'http', upstream, ...(u.api_key !== undefined ? { apiKey: u.api_key } : {}) });
    }
  }
  if (!upstreams.has('decoy')) upstreams.set('decoy', { name: 'decoy', kind: 'decoy' });
  const keyring = new KeyRing(config.keys.map((k, i) => keyRecord(k, config, i)));
  const tool = config.routes.length > 0 ? new ToolRuntime(config) : null;
  return {
    config,
    keyring,
    policy: new Policy(config),
    upstreams,
    maxBodyBytes: config.max_body_bytes,
    tool,
    async close() {
      await Promise.all([...upstreams.values()].map((u) => (u.kind === 'http' ? u.upstream.close() : undefined)));
      await tool?.close();
    },
  };
}
