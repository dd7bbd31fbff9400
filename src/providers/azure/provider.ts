/**
 * The Azure OpenAI provider: `/openai/*` (and any path on a `*.openai.azure.com`,
 * `*.cognitiveservices.azure.com` or `*.services.ai.azure.com` Host) with a key from `azure_keys`
 * in `api-key` or as a bearer token. On when the config has Azure keys or an `azure` upstream;
 * otherwise those URLs keep the default provider's unknown-URL answer.
 *
 * The four jobs:
 * - forward: valid keys go to their `azure` upstream with the key swapped in `api-key` (a bearer
 *   key is removed, so the client's key never travels on), streamed both ways, never buffered;
 * - reject: Azure's own gateway answers (401 PermissionDenied, Resource not found, API version not
 *   supported, firewall 403, 429 with retry-after);
 * - deceive: a lure key's resource persona answers through the OpenAI decoy (decoy.ts), or a lure
 *   upstream with its own burner key gets the lure prompt injected;
 * - record: the pipeline's event, with the deployment's model.
 * Azure OpenAI is OpenAI's protocol behind Azure's edge: this folder imports the OpenAI provider's
 * decoy, validation and prompt injection rather than keeping copies.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../../config/schema.js';
import { keepBodyHead, lureTools, type Exchange } from '../../core/exchange.js';
import { HttpUpstream, UpstreamFault } from '../../core/forward.js';
import { KeyRing, type Classification, type KeyRecord } from '../../core/keyring.js';
import type { Provider, ProviderCall, ProviderRuntime } from '../../core/provider.js';
import { DEFAULT_REPLY } from '../../core/runtime.js';
import type { CompileContext } from '../../core/provider.js';
import type { GatewayState } from '../../core/provider.js';
import type { Verdict } from '../../core/verdict.js';
import { keyHash } from '../../config/rules.js';
import { checkCanaryKey } from '../../deception/canary-hits.js';
import { hasPlaceholders, lureReply } from '../../deception/lure.js';
import { openaiPersona, type OpenAIPersona } from '../../deception/persona.js';
import type { AdmitResult } from '../../store/types.js';
import { bufferedBody, declaredTooLarge, parseJson, readBody } from '../../util/body.js';
import { injectLurePrompt, promptText } from '../openai/inject.js';
import type { OpenAIEndpoint } from '../openai/protocol.js';
import type { Json } from '../openai/decoy-shared.js';
import { type AzureKeyConfig } from './config.js';
import { modelHeaders, serveAzureDecoy } from './decoy.js';
import { operationName } from './errors.js';
import { maskAzureKey } from '../../deception/azure-keys.js';
import { azurePersona, type AzurePersona, type AzurePersonaOptions } from './persona.js';
import { azureCredential, isAzureRequest, matchAzureRoute, type AzureCredential, type AzureRoute } from './protocol.js';
import { writeAzureError } from './render.js';
import { azureConfigPart } from './config-part.js';

interface AzureUpstream {
  readonly upstream: HttpUpstream;
  readonly apiKey?: string;
}

export interface AzureRuntime extends ProviderRuntime {
  readonly keyring: KeyRing;
  /** per lure key hash: what the operator pinned of its persona */
  readonly personaOptions: ReadonlyMap<string, AzurePersonaOptions>;
  readonly upstreams: ReadonlyMap<string, AzureUpstream>;
  readonly maxBodyBytes: number;
}

/** Does this config serve the Azure provider? */
export function hasAzure(config: Readonly<Config>): boolean {
  return config.azure_keys.length > 0 || Object.values(config.upstreams).some((u) => u.type === 'azure');
}

interface Personas {
  readonly azure: AzurePersona;
  readonly openai: OpenAIPersona;
}

/** The persona of a lure key, computed once per key and cached in the gateway state. */
function personasFor(record: KeyRecord, rt: AzureRuntime, state: GatewayState): Personas {
  const cacheKey = `azure-persona:${record.hash}`;
  const cached = state.cache.get(cacheKey) as Personas | undefined;
  if (cached) return cached;
  const made: Personas = { azure: azurePersona(record.hash, rt.personaOptions.get(record.hash) ?? {}), openai: openaiPersona(record.hash) };
  state.cache.set(cacheKey, made);
  return made;
}

const MISSING: Classification = Object.freeze({ class: 'missing' });
const OPENAI_ENDPOINT: Readonly<Record<string, OpenAIEndpoint>> = {
  'chat.completions': 'chat.completions',
  completions: 'completions',
  embeddings: 'embeddings',
  responses: 'responses',
};

function method(ex: Exchange): string {
  return ex.req.method ?? 'GET';
}

function recordResponse(ex: Exchange, headers: Readonly<Record<string, string | string[] | undefined>>, upstreamMs: number): void {
  ex.upstreamMs = upstreamMs;
  ex.stream = String(headers['content-type'] ?? '').includes('event-stream');
}

/** The client's headers without its credentials (the upstream's own key goes in `api-key`). */
function withoutCredentials(headers: Exchange['req']['headers']): Exchange['req']['headers'] {
  if (headers.authorization === undefined) return headers;
  const { authorization: _drop, ...rest } = headers;
  return rest;
}


class AzureCall implements ProviderCall {
  readonly #rt: AzureRuntime;
  credential: AzureCredential = { kind: 'none' };
  route: AzureRoute | undefined;

  constructor(rt: AzureRuntime) {
    this.#rt = rt;
  }

  classify(ex: Exchange): Classification {
    this.credential = azureCredential(ex.req.headers);
    const c = this.credential;
    if (c.kind === 'none') return MISSING;
    // an Entra ID token is never one of our keys: the ring answers invalid (by its hash)
    return this.#rt.keyring.classify(c.value);
  }

  async forward(ex: Exchange, record: KeyRecord, state: GatewayState): Promise<void> {
    const up = this.#rt.upstreams.get(record.upstream);
    ex.upstream = record.upstream;
    if (!up) {
      // the embedded demo: a valid key answered offline by the decoy (no lure, no canaries)
      const { lure: _none, ...plain } = record;
      return this.deceive(ex, plain, null, state);
    }
    if (declaredTooLarge(ex.req, this.#rt.maxBodyBytes)) {
      writeAzureError(ex.res, 'body_too_large', [String(this.#rt.maxBodyBytes)]);
      ex.req.resume();
      return;
    }
    const m = method(ex);
    const hasBody = m !== 'GET' && m !== 'HEAD';
    try {
      const result = await up.upstream.forward(
        {
          method: m,
          path: ex.req.url ?? ex.path,
          headers: up.apiKey !== undefined ? withoutCredentials(ex.req.headers) : ex.req.headers,
          body: hasBody ? keepBodyHead(ex) : null,
          ...(up.apiKey !== undefined ? { setHeaders: { 'api-key': up.apiKey } } : {}),
          replaceServerErrors: true,
          onResponse: (_s, headers, upstreamMs) => recordResponse(ex, headers, upstreamMs),
        },
        ex.res,
      );
      if (result.replaced) writeAzureError(ex.res, result.status === 504 ? 'upstream_timeout' : 'upstream_error');
    } catch (e: unknown) {
      this.#fault(ex, e);
    }
  }

  #fault(ex: Exchange, e: unknown): void {
    if (!(e instanceof UpstreamFault)) throw e;
    if (e.kind === 'aborted' || ex.res.headersSent || ex.res.destroyed) {
      if (!ex.res.destroyed && !ex.res.writableEnded) ex.res.destroy();
      return;
    }
    writeAzureError(ex.res, e.kind === 'timeout' ? 'upstream_timeout' : 'upstream_error');
  }

  async deceive(ex: Exchange, record: KeyRecord, admit: AdmitResult | null, state: GatewayState): Promise<void> {
    const rt = this.#rt;
    const m = method(ex);
    const head = m === 'HEAD';
    const route = (this.route ??= matchAzureRoute(m, ex.req.url ?? ex.path));
    const personas = personasFor(record, rt, state);
    const region = personas.azure.region.display;
    if (route.kind === 'not_found' || route.kind === 'method') {
      ex.req.resume();
      writeAzureError(ex.res, 'resource_not_found', [], { head });
      return;
    }
    if (route.kind === 'bad_version') {
      ex.req.resume();
      writeAzureError(ex.res, 'api_version_unsupported', [], { region, head });
      return;
    }
    // the body (a GET has none)
    let body: Json | undefined;
    let raw: Buffer = Buffer.alloc(0);
    if (m !== 'GET' && m !== 'HEAD') {
      const result = bufferedBody(ex.req, rt.maxBodyBytes) ?? (await readBody(ex.req, rt.maxBodyBytes));
      if (!result.ok) {
        if (result.reason === 'too_large') writeAzureError(ex.res, 'body_too_large', [String(rt.maxBodyBytes)], { head });
        else if (!ex.res.destroyed) ex.res.destroy();
        return;
      }
      raw = result.body;
      if (raw.length > 0) {
        const parsed = parseJson(raw);
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
          writeAzureError(ex.res, 'invalid_json', [], { head });
          return;
        }
        body = parsed as Json;
      }
    }
    const name = route.kind === 'deployment' ? route.deployment : typeof body?.['model'] === 'string' ? body['model'] : undefined;
    const deployment = name !== undefined ? personas.azure.deployment(name) : undefined;
    if (deployment) ex.model = deployment.reported;
    else if (name !== undefined) ex.model = name.slice(0, 200);
    ex.stream = body?.['stream'] === true;
    const endpoint = 'operation' in route ? OPENAI_ENDPOINT[route.operation] : undefined;
    const detail = (ex.lure ??= {});
    const prompt = body && endpoint ? promptText(endpoint, body) : undefined;
    if (prompt !== undefined) detail.prompt = prompt;
    if (body) lureTools(ex, body['tools'] ?? body['functions']);

    // the tarpit applies to every lure answer
    const lure = record.lure;
    if (lure && lure.responseDelayMs > 0) await sleep(lure.responseDelayMs);
    if (ex.res.destroyed) return;

    let reply = lure?.reply ?? DEFAULT_REPLY;
    if (hasPlaceholders(reply)) {
      const minted = await lureReply(ex, record, reply, state);
      reply = minted.text;
      if (minted.canaries.length > 0) detail.canaries = minted.canaries;
    }
    const up = rt.upstreams.get(record.upstream);
    ex.upstream = record.upstream;
    if (!up) {
      detail.injected = false;
      const pace = lure?.realisticTiming ?? state.runtime.config.lure_defaults.realistic_timing;
      await serveAzureDecoy({ route, method: m, persona: personas.azure, openai: personas.openai, body, usage: admit?.usage, reply, head, pace }, ex.res);
      return;
    }
    // a real lure resource with its own burner key: the lure prompt goes into the body
    const injection = body && endpoint ? injectLurePrompt(endpoint, body, lure?.prompt ?? '') : { body: undefined, injected: false };
    detail.injected = injection.injected;
    const started = performance.now();
    try {
      const result = await up.upstream.forward(
        {
          method: m,
          path: ex.req.url ?? ex.path,
          headers: withoutCredentials(ex.req.headers),
          body: injection.body ? Buffer.from(JSON.stringify(injection.body)) : raw,
          setHeaders: { 'api-key': up.apiKey ?? '' },
          replaceServerErrors: true,
          onResponse: (_s, headers, upstreamMs) => recordResponse(ex, headers, upstreamMs),
        },
        ex.res,
      );
      if (result.replaced) writeAzureError(ex.res, 'upstream_error');
    } catch (e: unknown) {
      ex.upstreamMs = performance.now() - started;
      this.#fault(ex, e);
    }
  }

  refuse(ex: Exchange, verdict: Verdict, admit: AdmitResult | null, classification: Classification, state: GatewayState): void {
    const head = method(ex) === 'HEAD';
    ex.req.resume();
    switch (verdict.reason) {
      case 'network_denied':
        writeAzureError(ex.res, 'network_denied', [], { head });
        return;
      case 'missing_key':
        writeAzureError(ex.res, 'missing_key', [], { head });
        return;
      case 'invalid_key': {
        const c = this.credential;
        writeAzureError(ex.res, c.kind === 'entra' ? 'invalid_token' : 'invalid_key', [], { head });
        if (c.kind === 'key') checkCanaryKey(ex, state, c.value);
        return;
      }
      case 'store_unavailable':
        writeAzureError(ex.res, 'overloaded', [], { head });
        return;
      default:
        break;
    }
    // rate limited, blocked, lure threshold: the deployment's throttle answer
    const record = classification.record;
    const route = (this.route ??= matchAzureRoute(method(ex), ex.req.url ?? ex.path));
    const personas = record ? personasFor(record, this.#rt, state) : undefined;
    const name = route.kind === 'deployment' ? route.deployment : undefined;
    const d = (name !== undefined ? personas?.azure.deployment(name) : undefined) ?? personas?.azure.deployments[0];
    const region = personas?.azure.region.display ?? 'East US 2';
    const operation = 'operation' in route ? route.operation : 'chat.completions';
    const version = 'apiVersion' in route && route.apiVersion !== undefined ? route.apiVersion : '2024-10-21';
    const limited = verdict.reason === 'rate_limited';
    // a blocked persona is out of quota for a day, and says so the same way every time
    const seconds = limited ? Math.max(1, Math.ceil((admit?.limited?.retryAfterMs ?? 1000) / 1000)) : 86_400;
    const deploymentName = d?.name ?? name ?? 'gpt-4o';
    const model = d?.model ?? deploymentName;
    const model429 = personas && d ? { model: modelHeaders(personas.azure, d, admit?.usage, operation), region } : { region };
    writeAzureError(ex.res, limited ? 'call_rate_limit' : 'token_rate_limit', [deploymentName, model, region, operationName(operation), version, String(seconds)], {
      ...model429,
      retryAfter: seconds,
      head,
    });
  }
}

function keyRecord(k: AzureKeyConfig, ctx: CompileContext): KeyRecord {
  const raw = !k.key.startsWith('sha256:');
  return ctx.record(
    { name: k.name ?? `azure-${keyHash(k.key).slice(0, 8)}`, hash: keyHash(k.key), mask: raw ? maskAzureKey(k.key) : k.mask, campaign: k.campaign, placement: k.placement },
    k,
    'azure',
  );
}

function compile(config: Readonly<Config>, ctx: CompileContext): AzureRuntime | null {
  if (!hasAzure(config)) return null;
  const records = config.azure_keys.map((k) => keyRecord(k, ctx));
  const personaOptions = new Map<string, AzurePersonaOptions>();
  config.azure_keys.forEach((k) => {
    if (k.class !== 'lure') return;
    personaOptions.set(keyHash(k.key), {
      ...(k.resource !== undefined ? { resource: k.resource } : {}),
      ...(k.region !== undefined ? { region: k.region } : {}),
      ...(k.deployments !== undefined ? { deployments: k.deployments } : {}),
      ...(!k.key.startsWith('sha256:') ? { key: k.key } : {}),
    });
  });
  const upstreams = new Map<string, AzureUpstream>();
  for (const [name, u] of Object.entries(config.upstreams)) {
    if (u.type !== 'azure') continue;
    upstreams.set(name, { upstream: new HttpUpstream({ url: u.url, timeoutMs: u.timeout, connections: u.connections }), ...(u.api_key !== undefined ? { apiKey: u.api_key } : {}) });
  }
  const keyring = new KeyRing(records);
  const rt: AzureRuntime = {
    keyring,
    keys: records,
    personaOptions,
    upstreams,
    maxBodyBytes: config.max_body_bytes,
    match: (ex) => (isAzureRequest(ex.req.headers.host ?? undefined, ex.path) ? new AzureCall(rt) : null),
    unknownUrl(ex) {
      writeAzureError(ex.res, 'resource_not_found');
    },
    fault(ex) {
      writeAzureError(ex.res, 'upstream_error');
    },
    async close() {
      await Promise.all([...upstreams.values()].map((u) => u.upstream.close()));
    },
  };
  return rt;
}

export const azureProvider: Provider<AzureRuntime> = {
  name: 'azure',
  config: azureConfigPart,
  keyFormats: ['azure'],
  compile,
};
