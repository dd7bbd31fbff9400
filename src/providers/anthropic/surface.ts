/**
 * The Anthropic provider's call (`/v1/messages*`, and `/v1/models*`, `/v1/files*` when the request
 * speaks Anthropic — protocol.ts): classify the `x-api-key` / bearer key; forward valid keys to their
 * Anthropic upstream with the key swapped in and the body streamed both ways; deceive lure keys
 * (persona headers, validation, the decoy or a burner-key upstream with the lure prompt injected,
 * canaries, tarpit); refuse everything else with Anthropic's own errors.
 * Stage order of a lure request (each returns early once it answered): route → `anthropic-version`
 * → body (size, JSON) → tarpit → endpoint (validation, model) → answer.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { checkCanaryKey } from '../../deception/canary-hits.js';
import { hasPlaceholders, lureReply } from '../../deception/lure.js';
import type { Classification, KeyRing, KeyRecord } from '../../core/keyring.js';
import { lureTools, type Exchange } from '../../core/exchange.js';
import { DEFAULT_REPLY } from '../../core/runtime.js';
import type { GatewayState } from '../../core/provider.js';
import type { AdmitResult } from '../../store/types.js';
import type { ProviderCall } from '../../core/provider.js';
import { cutOf, UpstreamFault, type UpstreamFaultKind } from '../../core/forward.js';
import { bufferedBody, declaredTooLarge, parseJson, readBody } from '../../util/body.js';
import { anthropicPersona, type AnthropicPersona } from './account.js';
import { serveMessages } from './decoy.js';
import { checkBetas } from './betas.js';
import { answerEndpoint } from './endpoints.js';
import { thousands } from './errors.js';
import { RATE_LIMIT_HEADER_NAMES, type AnthropicAccount } from './headers.js';
import { injectLurePrompt, promptText } from './inject.js';
import { acceptsGzip, anthropicCredential, anthropicVersion, credentialSource, matchAnthropicRoute } from './protocol.js';
import { randomPad, sseEvent, writeAnthropicError, writeAnthropicJson, type RenderOptions } from './render.js';
import { validateMessages } from './validate.js';

type Json = Record<string, unknown>;

/** The persona of a lure key, computed once per key and kept in the gateway's per-key cache. */
export function anthropicPersonaFor(record: KeyRecord, state: GatewayState): AnthropicPersona {
  const key = `anthropic-persona:${record.hash}`;
  const cached = state.cache.get(key) as AnthropicPersona | undefined;
  if (cached) return cached;
  const persona = anthropicPersona(record.hash);
  state.cache.set(key, persona);
  return persona;
}

function method(ex: Exchange): string {
  return ex.req.method ?? 'GET';
}

function query(ex: Exchange): URLSearchParams {
  const url = ex.req.url ?? '';
  const q = url.indexOf('?');
  return new URLSearchParams(q < 0 ? '' : url.slice(q + 1, q + 1 + 4096));
}

type BodyRead = { ok: true; body: Json | undefined; raw: Buffer } | { ok: false };

async function readJson(ex: Exchange, state: GatewayState, opts: () => RenderOptions, multipart: boolean): Promise<BodyRead> {
  const m = method(ex);
  if (m === 'GET' || m === 'HEAD' || m === 'DELETE') return { ok: true, body: undefined, raw: Buffer.alloc(0) };
  const max = state.runtime.maxBodyBytes;
  const result = bufferedBody(ex.req, max) ?? (await readBody(ex.req, max));
  if (!result.ok) {
    if (result.reason === 'too_large') writeAnthropicError(ex.res, 'body_too_large', [], opts());
    else if (!ex.res.destroyed) ex.res.destroy();
    return { ok: false };
  }
  if (multipart || result.body.length === 0) return { ok: true, body: undefined, raw: result.body };
  const parsed = parseJson(result.body);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    writeAnthropicError(ex.res, 'invalid_json', [], opts());
    return { ok: false };
  }
  return { ok: true, body: parsed as Json, raw: result.body };
}

function faultToClient(ex: Exchange, e: unknown, opts: RenderOptions): void {
  if (!(e instanceof UpstreamFault)) throw e;
  if (e.kind === 'aborted' || ex.res.headersSent || ex.res.destroyed) {
    if (!ex.res.destroyed && !ex.res.writableEnded) ex.res.destroy();
    return;
  }
  writeAnthropicError(ex.res, e.kind === 'timeout' ? 'timeout' : 'api_error', [], opts);
}

function recordResponse(ex: Exchange, headers: Readonly<Record<string, string | string[] | undefined>>, upstreamMs: number): void {
  ex.upstreamMs = upstreamMs;
  ex.stream = String(headers['content-type'] ?? '').includes('event-stream');
}

/**
 * The last words of a forwarded stream the upstream broke off: the API's own mid-stream error
 * event, `overloaded_error` "Overloaded" (the SDKs raise it as an APIError from the stream), as the
 * API writes it (compact, `details: null`, padded); the event records the cut.
 */
function streamFault(ex: Exchange): (kind: UpstreamFaultKind) => string {
  return (kind) => {
    ex.cut = cutOf(kind);
    return sseEvent('error', { type: 'error', error: { details: null, type: 'overloaded_error', message: 'Overloaded' } }, randomPad());
  };
}

const RATE_LIMIT_NAMES: ReadonlySet<string> = new Set(RATE_LIMIT_HEADER_NAMES);

/**
 * A burner upstream's answer to a lure key wears the lure persona's account: its
 * `anthropic-organization-id` and its (high-tier) rate-limit headers replace the burner's own, and
 * the burner's other account headers (priority tier, unknown rate-limit names) are dropped. An
 * answer without account headers (a 401) gets none.
 */
export function wearPersona(headers: Record<string, string | string[] | undefined>, account: AnthropicAccount): void {
  let limited = false;
  for (const name of Object.keys(headers)) {
    if (name === 'anthropic-organization-id') headers[name] = account.organizationId;
    else if (name.startsWith('anthropic-ratelimit-') || name.startsWith('anthropic-priority-')) {
      limited = true;
      if (!RATE_LIMIT_NAMES.has(name)) delete headers[name];
    }
  }
  const rl = account.rateLimit;
  if (limited && rl) RATE_LIMIT_HEADER_NAMES.forEach((name, i) => (headers[name] = rl[i] ?? '0'));
}

/** The client's headers without its credential (the upstream's own goes in instead). */
function withoutCredential(ex: Exchange): Exchange['req']['headers'] {
  return { ...ex.req.headers, authorization: undefined, 'x-api-key': undefined };
}

async function deceive(ex: Exchange, record: KeyRecord, admit: AdmitResult | null, state: GatewayState): Promise<void> {
  const m = method(ex);
  const persona = anthropicPersonaFor(record, state);
  const gzip = acceptsGzip(ex.req.headers);
  const head = m === 'HEAD';
  const usage = admit?.usage;
  // the account headers of an answer before the model is known: made only for such an answer
  const base = (): RenderOptions => ({ account: persona.account(undefined, usage), gzip, head });
  const route = matchAnthropicRoute(m, ex.path);
  if (route.kind === 'unknown') {
    writeAnthropicError(ex.res, 'not_found', [], base());
    return;
  }
  if (route.kind === 'method') {
    writeAnthropicError(ex.res, 'method_not_allowed', [], base());
    return;
  }
  const version = anthropicVersion(ex.req.headers);
  if (version.kind === 'missing') {
    writeAnthropicError(ex.res, 'version_required', [], base());
    return;
  }
  if (version.kind === 'invalid') {
    writeAnthropicError(ex.res, 'version_invalid', [version.value], base());
    return;
  }
  const beta = checkBetas(ex.req.headers['anthropic-beta']);
  if (!beta.ok) {
    writeAnthropicError(ex.res, 'invalid_request', [beta.message], base());
    return;
  }
  const betas = beta.betas;
  const parsed = await readJson(ex, state, base, route.endpoint === 'files.upload');
  if (!parsed.ok) return;
  const body = parsed.body;
  const model = typeof body?.['model'] === 'string' ? body['model'] : undefined;
  if (model !== undefined) ex.model = model.slice(0, 200);
  ex.stream = body?.['stream'] === true;
  const detail = (ex.lure ??= {});
  const prompt = body ? promptText(body) : undefined;
  if (prompt !== undefined) detail.prompt = prompt;
  if (body) lureTools(ex, body['tools']);
  const lure = record.lure;
  if (lure && lure.responseDelayMs > 0) await sleep(lure.responseDelayMs);
  if (ex.res.destroyed) return;
  const opts: RenderOptions = { account: persona.account(model, usage), gzip, head };

  if (route.endpoint !== 'messages') {
    const answer = answerEndpoint(route.endpoint, route.param, body, parsed.raw, query(ex), betas);
    if (answer.kind === 'json') writeAnthropicJson(ex.res, answer.status, answer.value, opts);
    else if (answer.code === 'model_not_found') writeAnthropicError(ex.res, 'model_not_found', [answer.arg], opts);
    else if (answer.code === 'not_found') writeAnthropicError(ex.res, 'resource_not_found', [answer.arg], opts);
    else writeAnthropicError(ex.res, 'invalid_request', [answer.arg], opts);
    return;
  }
  const valid = validateMessages(body ?? {}, false, betas);
  if (valid.kind === 'invalid') {
    writeAnthropicError(ex.res, 'invalid_request', [valid.message], opts);
    return;
  }
  if (valid.kind === 'model') {
    writeAnthropicError(ex.res, 'model_not_found', [valid.model], opts);
    return;
  }
  const upstream = state.runtime.upstreams.get(record.upstream);
  ex.upstream = record.upstream;
  const offline = async (): Promise<void> => {
    detail.injected = false;
    let reply = lure?.reply ?? DEFAULT_REPLY;
    if (hasPlaceholders(reply)) {
      const minted = await lureReply(ex, record, reply, state);
      reply = minted.text;
      if (minted.canaries.length > 0) detail.canaries = minted.canaries;
    }
    const pace = lure?.realisticTiming ?? state.runtime.config.lure_defaults.realistic_timing;
    ex.model = valid.model.id;
    await serveMessages({ body: body ?? {}, model: valid.model, inputTokens: valid.inputTokens, cacheablePrefix: valid.cacheablePrefix, reply, account: opts.account as AnthropicAccount, gzip, head, pace, betas }, ex.res);
  };
  if (!upstream || upstream.kind !== 'http') return offline();
  // a real lure upstream with its own burner key: the lure prompt goes after the client's system prompt
  const injection = injectLurePrompt(body ?? {}, lure?.prompt ?? '');
  detail.injected = injection.injected;
  const started = performance.now();
  try {
    const result = await upstream.upstream.forward(
      {
        method: m,
        path: ex.req.url ?? ex.path,
        headers: withoutCredential(ex),
        body: injection.injected ? Buffer.from(JSON.stringify(injection.body)) : parsed.raw,
        setHeaders: { 'x-api-key': upstream.apiKey ?? '' },
        replaceServerErrors: true,
        onResponse: (_status, headers, upstreamMs) => recordResponse(ex, headers, upstreamMs),
        rewriteHeaders: (headers) => wearPersona(headers, opts.account as AnthropicAccount),
        streamFault: streamFault(ex),
        // the burner's rate-limit refusal names the burner's organization and tier: the persona's own
        // instead; a burner key that stopped working (401, 403) must not make the lure read as revoked
        replaceStatus: (status) => status === 429 || status === 401 || status === 403,
      },
      ex.res,
    );
    if (result.replaced && (result.status === 401 || result.status === 403)) {
      ex.upstream = 'decoy';
      await offline();
    } else if (result.replaced && result.status === 429) {
      const limits = persona.limitsFor(model);
      writeAnthropicError(ex.res, 'rate_limit', [thousands(limits.otpm), 'output tokens', persona.organizationId, model !== undefined ? `, model: ${model.slice(0, 100)}` : ''], { ...opts, retryAfter: 30 });
    } else if (result.replaced) writeAnthropicError(ex.res, result.status === 529 ? 'overloaded' : 'api_error', [], opts);
  } catch (e: unknown) {
    ex.upstreamMs = performance.now() - started;
    faultToClient(ex, e, opts);
  }
}

async function forward(ex: Exchange, record: KeyRecord, state: GatewayState): Promise<void> {
  const upstream = state.runtime.upstreams.get(record.upstream);
  ex.upstream = record.upstream;
  if (!upstream || upstream.kind !== 'http') {
    // the embedded demo: a valid key answered offline by the decoy (no lure, no canaries)
    const { lure: _none, ...plain } = record;
    return deceive(ex, plain, null, state);
  }
  const m = method(ex);
  const gzip = acceptsGzip(ex.req.headers);
  if (declaredTooLarge(ex.req, state.runtime.maxBodyBytes)) {
    writeAnthropicError(ex.res, 'body_too_large', [], { gzip });
    ex.req.resume();
    return;
  }
  try {
    const result = await upstream.upstream.forward(
      {
        method: m,
        path: ex.req.url ?? ex.path,
        headers: upstream.apiKey !== undefined ? withoutCredential(ex) : ex.req.headers,
        body: m === 'GET' || m === 'HEAD' ? null : ex.req,
        ...(upstream.apiKey !== undefined ? { setHeaders: { 'x-api-key': upstream.apiKey } } : {}),
        replaceServerErrors: true,
        onResponse: (_status, headers, upstreamMs) => recordResponse(ex, headers, upstreamMs),
        streamFault: streamFault(ex),
      },
      ex.res,
    );
    // an upstream 5xx body is never passed on; its overload keeps its own status (529: the SDKs retry it)
    if (result.replaced) writeAnthropicError(ex.res, result.status === 529 ? 'overloaded' : 'api_error', [], { gzip });
  } catch (e: unknown) {
    faultToClient(ex, e, { gzip });
  }
}

function refuse(ex: Exchange, verdict: { action: string; reason: string }, admit: AdmitResult | null, classification: { record?: KeyRecord; hash?: string }, state: GatewayState): void {
  const head = method(ex) === 'HEAD';
  const gzip = acceptsGzip(ex.req.headers);
  const record = classification.record;
  const persona = record ? anthropicPersonaFor(record, state) : undefined;
  const opts: RenderOptions = { head, gzip, ...(persona ? { account: persona.account(undefined, admit?.usage) } : {}) };
  switch (verdict.reason) {
    case 'network_denied':
      writeAnthropicError(ex.res, 'region', [], { head, gzip });
      return;
    case 'missing_key':
      writeAnthropicError(ex.res, 'missing_key', [], { head, gzip });
      return;
    case 'invalid_key': {
      const secret = anthropicCredential(ex.req.headers);
      writeAnthropicError(ex.res, credentialSource(ex.req.headers) === 'bearer' ? 'invalid_bearer' : 'invalid_key', [], { head, gzip });
      checkCanaryKey(ex, state, secret, classification.hash);
      return;
    }
    case 'rate_limited': {
      const retry = admit?.limited ? Math.max(1, Math.ceil(admit.limited.retryAfterMs / 1000)) : 1;
      const limit = admit?.limited?.limit ?? persona?.rpm ?? 50;
      writeAnthropicError(ex.res, 'rate_limit', [thousands(limit), 'requests', persona?.organizationId ?? '', ''], { ...opts, retryAfter: retry });
      return;
    }
    case 'store_unavailable':
      writeAnthropicError(ex.res, 'overloaded', [], opts);
      return;
    default:
      // blocked, lure_threshold: the organization's prepaid credit has run out
      writeAnthropicError(ex.res, 'credit_balance', [], opts);
  }
}

/** The call of this provider, bound to the compiled key ring (one object per configuration, not per request). */
export function anthropicCall(keyring: KeyRing): ProviderCall {
  return {
    classify(ex: Exchange): Classification {
      return keyring.classify(anthropicCredential(ex.req.headers));
    },
    forward,
    deceive,
    refuse,
  };
}
