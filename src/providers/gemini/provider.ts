/**
 * The Gemini provider: the Google Gemini API (`generativelanguage.googleapis.com`) — the native
 * `/v1beta/` and `/v1/` routes and the OpenAI-compatible `/v1beta/openai/` ones — with Google API
 * keys from `gemini_keys`. On only when the config has Gemini keys or a `gemini` upstream;
 * otherwise those URLs keep the default provider's unknown-URL answer. It sits before the OpenAI
 * provider in the registry: `/v1/` requests that carry Gemini's signals (its Host, a Google key,
 * a model method) are its own.
 */
import type { Config } from '../../config/schema.js';
import { keyHash } from '../../config/rules.js';
import { HttpUpstream } from '../../core/forward.js';
import { KeyRing } from '../../core/keyring.js';
import type { Provider, ProviderRuntime } from '../../core/provider.js';
import type { CompileContext } from '../../core/provider.js';
import { maskKey } from '../../util/mask.js';
import { GeminiCall, type GeminiRuntime, type GeminiUpstreamEntry } from './call.js';
import { isGeminiRequest } from './routes.js';
import { writeGeminiError, writeNotFoundPage } from './wire.js';
import { geminiConfigPart } from './config-part.js';

/** Does this config serve the Gemini provider? */
export function hasGemini(config: Readonly<Config>): boolean {
  return config.gemini_keys.length > 0 || Object.values(config.upstreams).some((u) => u.type === 'gemini');
}

export interface CompiledGemini extends ProviderRuntime, GeminiRuntime {}

function compile(config: Readonly<Config>, ctx: CompileContext): CompiledGemini | null {
  if (!hasGemini(config)) return null;
  const records = config.gemini_keys.map((k) => {
    const raw = !k.key.startsWith('sha256:');
    return ctx.record({ name: k.name, hash: keyHash(k.key), mask: k.mask ?? (raw ? maskKey(k.key) : undefined), campaign: k.campaign, placement: k.placement }, k, 'gemini');
  });
  const keyring = new KeyRing(records);
  const upstreams = new Map<string, GeminiUpstreamEntry>();
  for (const [name, u] of Object.entries(config.upstreams)) {
    if (u.type !== 'gemini') continue;
    upstreams.set(name, { upstream: new HttpUpstream({ url: u.url, timeoutMs: u.timeout, connections: u.connections }), ...(u.api_key !== undefined ? { apiKey: u.api_key } : {}) });
  }
  const hosts = new Set(config.gemini.hosts.map((h) => h.toLowerCase()));
  const disabled = new Set(config.gemini_keys.filter((k) => k.class === 'lure' && k.api_disabled === true).map((k) => keyHash(k.key)));
  const compiled: CompiledGemini = {
    keyring,
    upstreams,
    hosts,
    disabled,
    keys: records,
    match: (ex) => (isGeminiRequest(ex.req.method ?? 'GET', ex.path, ex.req.url, ex.req.headers, hosts) ? new GeminiCall(ex, compiled) : null),
    unknownUrl(ex) {
      void writeNotFoundPage(ex.res, ex.path, ex.req.method === 'HEAD');
    },
    fault(ex) {
      void writeGeminiError(ex.res, 'internal', [], { gzip: false });
    },
    async close() {
      await Promise.all([...upstreams.values()].map((u) => u.upstream.close()));
    },
  };
  return compiled;
}

export const geminiProvider: Provider<CompiledGemini> = {
  name: 'gemini',
  config: geminiConfigPart,
  keyFormats: ['gemini'],
  compile,
};
