/**
 * The OpenAI provider's actions (`/v1/*`): classify the bearer key; forward valid keys to their upstream with
 * the body streamed; deceive lure keys (persona headers, probe answers, validation errors, canaries,
 * decoy or burner-key lure upstream, tarpit delay); refuse everything else exactly as
 * api.openai.com does.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { serveOpenAIDecoy } from './decoy.js';
import type { DecoyRequest, Json } from './decoy-shared.js';
import { hasPlaceholders, lureReply } from '../../deception/lure.js';
import { personaFor } from './account.js';
import { accountProbe } from './probes.js';
import { validateOpenAIRequest, type ValidatedEndpoint } from './validate.js';
import type { KeyRecord } from '../../core/keyring.js';
import { DEFAULT_REPLY } from '../../core/runtime.js';
import { keepBodyHead, lureTools, type Exchange } from '../../core/exchange.js';
import type { GatewayState } from '../../core/provider.js';
import type { AdmitResult } from '../../store/types.js';
import { UpstreamFault } from '../../core/forward.js';
import { formatGoDuration } from '../../deception/ratelimit-headers.js';
import { bufferedBody, declaredTooLarge, parseJson, readBody } from '../../util/body.js';
import type { ProviderCall } from '../../core/provider.js';
import { maskOpenAIKey } from '../../util/mask.js';
import { checkCanaryKey } from '../../deception/canary-hits.js';
import type { AccountHeaders } from './headers.js';
import { injectLurePrompt, promptText } from './inject.js';
import { matchOpenAIRoute, openaiCredential, type OpenAIEndpoint } from './protocol.js';
import type { OpenAILayer } from './errors.js';
import { writeOpenAIAnswer, writeOpenAIError, writeOpenAIErrorBody } from './render.js';

const VALIDATED: ReadonlySet<OpenAIEndpoint> = new Set(['chat.completions', 'completions', 'responses', 'embeddings']);

function isValidated(endpoint: OpenAIEndpoint): endpoint is ValidatedEndpoint {
  return VALIDATED.has(endpoint);
}

function recordResponse(ex: Exchange, headers: Readonly<Record<string, string | string[] | undefined>>, upstreamMs: number): void {
  ex.upstreamMs = upstreamMs;
  ex.stream = String(headers['content-type'] ?? '').includes('event-stream');
}

function pathAndQuery(ex: Exchange): string {
  return ex.req.url ?? ex.path;
}

function method(ex: Exchange): string {
  return ex.req.method ?? 'GET';
}

function faultToClient(ex: Exchange, e: unknown, account?: AccountHeaders): void {
  if (!(e instanceof UpstreamFault)) throw e;
  if (e.kind === 'aborted' || ex.res.headersSent || ex.res.destroyed) {
    if (!ex.res.destroyed && !ex.res.writableEnded) ex.res.destroy();
    return;
  }
  writeOpenAIError(ex.res, e.kind === 'timeout' ? 'upstream_timeout' : 'upstream_error', [], account ? { account } : {});
}

type BodyRead = { ok: true; body: Json | undefined; raw: Buffer } | { ok: false; reason: 'too_large' | 'aborted' | 'invalid_json' };

/** A lure request's body, read before the store call when its billability depends on it. */
const preread = new WeakMap<Exchange, BodyRead>();

async function readJson(ex: Exchange, state: GatewayState): Promise<BodyRead> {
  const early = preread.get(ex);
  if (early !== undefined) return early;
  if (method(ex) === 'GET' || method(ex) === 'HEAD' || method(ex) === 'DELETE') return { ok: true, body: undefined, raw: Buffer.alloc(0) };
  const max = state.runtime.maxBodyBytes;
  // a body node:http has already parsed whole is taken without a turn of the event loop
  const result = bufferedBody(ex.req, max) ?? (await readBody(ex.req, max));
  if (!result.ok) return { ok: false, reason: result.reason === 'too_large' ? 'too_large' : 'aborted' };
  if (result.body.length === 0) return { ok: true, body: undefined, raw: result.body };
  const parsed = parseJson(result.body);
  if (parsed === undefined || parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return { ok: false, reason: 'invalid_json' };
  return { ok: true, body: parsed as Json, raw: result.body };
}

async function readJsonBody(ex: Exchange, state: GatewayState, account: () => AccountHeaders): Promise<{ ok: true; body: Json | undefined; raw: Buffer } | { ok: false }> {
  const result = await readJson(ex, state);
  if (result.ok) return result;
  if (result.reason === 'too_large') writeOpenAIError(ex.res, 'body_too_large', [String(state.runtime.maxBodyBytes)], { account: account() });
  else if (result.reason === 'invalid_json') writeOpenAIError(ex.res, 'invalid_json', [], { account: account() });
  else if (!ex.res.destroyed) ex.res.destroy();
  return { ok: false };
}

/** Endpoints whose valid requests the API bills (a generation, an embedding, an image). */
const BILLED: ReadonlySet<OpenAIEndpoint> = new Set(['chat.completions', 'completions', 'responses', 'embeddings']);

/**
 * Would api.openai.com bill this lure request? Only a POST to a generating endpoint that passes
 * validation; models, account probes, refusals and malformed bodies are free (a key checker's sweep
 * is mostly those, and must not spend the lure).
 */
function billable(ex: Exchange, state: GatewayState): boolean {
  const m = method(ex);
  if (m !== 'POST') return false;
  const route = matchOpenAIRoute(m, ex.path);
  const read = preread.get(ex);
  if (route.kind !== 'ok' || read === undefined || !read.ok) return false;
  const record = state.runtime.keyring.classify(openaiCredential(ex.req.headers)).record;
  if (record === undefined) return false;
  const persona = personaFor(record, state).persona;
  if (ex.path === '/v1/images/generations') return accountProbe(m, ex.path, persona, read.body)?.status === 200;
  if (!BILLED.has(route.endpoint) || !isValidated(route.endpoint)) return false;
  return validateOpenAIRequest(route.endpoint, read.body ?? {}, persona) === null;
}

/**
 * Lure keys. Work done once per request and no more (issue 11 profile of the lure → decoy path):
 * the account headers before the model is known are made only for an answer that needs them (an
 * error before the body is read); the lure details are filled into one object in place, in the
 * order the event writes them (count, max from the pipeline, then prompt, canaries, injected);
 * a reply without canary placeholders and an unpaced answer cost no extra promise.
 */
async function deceive(ex: Exchange, record: KeyRecord, admit: AdmitResult | null, state: GatewayState): Promise<void> {
  const lure = record.lure;
  const m = method(ex);
  const route = matchOpenAIRoute(m, ex.path);
  const persona = personaFor(record, state);
  const usage = admit?.usage;
  const account = (): AccountHeaders => persona.headers(undefined, usage);
  if (route.kind === 'unknown') {
    writeOpenAIError(ex.res, 'invalid_url', [m, ex.path], { account: account() });
    return;
  }
  if (route.kind === 'method') {
    writeOpenAIError(ex.res, 'invalid_method', [m, ex.path], { account: account() });
    return;
  }
  // the organization a checker read from /v1/organizations is accepted; any other org id is refused
  const orgHeader = ex.req.headers['openai-organization'];
  if (typeof orgHeader === 'string' && orgHeader !== '' && orgHeader !== persona.persona.orgId && orgHeader !== persona.persona.personalOrgId) {
    writeOpenAIError(ex.res, 'mismatched_organization', [], { head: m === 'HEAD' });
    return;
  }
  const parsed = await readJsonBody(ex, state, account);
  if (!parsed.ok) return;
  const body = parsed.body;
  const endpoint: OpenAIEndpoint = route.endpoint;
  const model = typeof body?.['model'] === 'string' ? body['model'] : undefined;
  if (model !== undefined) ex.model = model.slice(0, 200);
  ex.stream = body?.['stream'] === true;
  const prompt = body ? promptText(endpoint, body) : undefined;
  // the pipeline's object (count, max) or a new one: this request's own, filled in place
  const detail = (ex.lure ??= {});
  if (prompt !== undefined) detail.prompt = prompt;
  if (body) lureTools(ex, body['tools'] ?? body['functions']);
  const headers = persona.headers(model, usage);
  const head = m === 'HEAD';

  // the tarpit applies to every lure answer, probes included
  if (lure && lure.responseDelayMs > 0) await sleep(lure.responseDelayMs);
  if (ex.res.destroyed) return;
  const beta = ex.req.headers['openai-beta'];
  const contentType = ex.req.headers['content-type'];
  const probeOptions: { openaiBeta?: string; contentType?: string } = {};
  if (beta !== undefined) probeOptions.openaiBeta = Array.isArray(beta) ? beta.join(',') : beta;
  if (contentType !== undefined) probeOptions.contentType = contentType;
  const probe = accountProbe(m, ex.path, persona.persona, body, probeOptions);
  if (probe) {
    writeOpenAIAnswer(ex.res, probe.status, probe.body, probe.layer, { account: headers, head });
    return;
  }
  const invalid = m === 'POST' && isValidated(endpoint) ? validateOpenAIRequest(endpoint, body ?? {}, persona.persona) : null;
  if (invalid) {
    writeOpenAIErrorBody(ex.res, invalid.status, invalid.error, invalid.layer, { account: headers, head });
    return;
  }
  const upstream = state.runtime.upstreams.get(record.upstream);
  ex.upstream = record.upstream;
  // canaries are minted only where the reply has placeholders: no promise to await otherwise
  let reply = lure?.reply ?? DEFAULT_REPLY;
  if (hasPlaceholders(reply)) {
    const minted = await lureReply(ex, record, reply, state);
    reply = minted.text;
    if (minted.canaries.length > 0) detail.canaries = minted.canaries;
  }
  if (!upstream || upstream.kind !== 'http') {
    // the decoy (config rules keep bedrock upstreams off OpenAI keys) needs no prompt: it is told
    // what to say; it answers the client's own body
    detail.injected = false;
    const pace = lure?.realisticTiming ?? state.runtime.config.lure_defaults.realistic_timing;
    const request: DecoyRequest = route.param !== undefined
      ? { endpoint, method: m, path: ex.path, param: route.param, body, account: persona.persona, headers, reply, head, pace }
      : { endpoint, method: m, path: ex.path, body, account: persona.persona, headers, reply, head, pace };
    const result = await serveOpenAIDecoy(request, ex.res);
    if (ex.model === undefined && result.model !== undefined) ex.model = result.model;
    return;
  }
  // a real lure upstream with its own burner key: inject the lure prompt into the body
  const injection = body ? injectLurePrompt(endpoint, body, lure?.prompt ?? '') : { body: undefined, injected: false };
  detail.injected = injection.injected;
  const started = performance.now();
  try {
    const sent = injection.body ? Buffer.from(JSON.stringify(injection.body)) : parsed.raw;
    const result = await upstream.upstream.forward(
      {
        method: m,
        path: pathAndQuery(ex),
        headers: ex.req.headers,
        body: sent,
        setHeaders: { authorization: `Bearer ${upstream.apiKey ?? ''}` },
        replaceServerErrors: true,
        onResponse: (_status, headers, upstreamMs) => recordResponse(ex, headers, upstreamMs),
      },
      ex.res,
    );
    if (result.replaced) writeOpenAIError(ex.res, 'upstream_error', [], { account: headers });
  } catch (e: unknown) {
    ex.upstreamMs = performance.now() - started;
    faultToClient(ex, e, headers);
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
  if (declaredTooLarge(ex.req, state.runtime.maxBodyBytes)) {
    writeOpenAIError(ex.res, 'body_too_large', [String(state.runtime.maxBodyBytes)]);
    ex.req.resume();
    return;
  }
  const hasBody = m !== 'GET' && m !== 'HEAD';
  try {
    const result = await upstream.upstream.forward(
      {
        method: m,
        path: pathAndQuery(ex),
        headers: ex.req.headers,
        body: hasBody ? keepBodyHead(ex) : null,
        ...(upstream.apiKey !== undefined ? { setHeaders: { authorization: `Bearer ${upstream.apiKey}` } } : {}),
        replaceServerErrors: true,
        // the event may be built (at the client's close) before forward() resolves: record now
        onResponse: (_status, headers, upstreamMs) => recordResponse(ex, headers, upstreamMs),
      },
      ex.res,
    );
    if (result.replaced) writeOpenAIError(ex.res, result.status === 504 ? 'upstream_timeout' : 'upstream_error');
  } catch (e: unknown) {
    faultToClient(ex, e);
  }
}

/**
 * The 401 of chat completions and legacy completions comes from the legacy layer (4-space JSON with
 * a trailing newline, `charset=utf-8`, `Vary: Origin`, no `www-authenticate`); every other endpoint
 * answers in the current layer's 401 family.
 */
function authLayer(path: string): OpenAILayer {
  return path === '/v1/chat/completions' || path === '/v1/completions' ? 'legacy' : 'current';
}

function refuse(ex: Exchange, verdict: { action: string; reason: string }, _admit: AdmitResult | null, classification: { record?: KeyRecord; hash?: string }, state: GatewayState): void {
  const head = method(ex) === 'HEAD';
  const record = classification.record;
  const persona = record ? personaFor(record, state) : undefined;
  const account = persona?.headers(undefined, undefined);
  const opts = { head, ...(account ? { account } : {}) };
  switch (verdict.reason) {
    case 'network_denied':
      writeOpenAIError(ex.res, 'unsupported_region', [], { head });
      return;
    case 'missing_key':
      writeOpenAIError(ex.res, 'missing_key', [], { head, layer: authLayer(ex.path) });
      return;
    case 'invalid_key': {
      const secret = openaiCredential(ex.req.headers);
      writeOpenAIError(ex.res, 'invalid_api_key', [maskOpenAIKey(secret ?? '')], { head, layer: authLayer(ex.path) });
      checkCanaryKey(ex, state, secret, classification.hash);
      return;
    }
    case 'rate_limited': {
      // one story in head and body: the rule's limit, nothing left, reset and Retry-After = "try again in"
      const seconds = _admit?.limited ? Math.max(1, Math.ceil(_admit.limited.retryAfterMs / 1000)) : 1;
      const limit = String(_admit?.limited?.limit ?? 0);
      const rl = account?.rateLimit;
      const reset = formatGoDuration(seconds * 1000);
      const limitedAccount = account ? { ...account, rateLimit: [limit, rl?.[1] ?? limit, '0', rl?.[3] ?? '0', reset, rl?.[5] ?? reset] as const } : undefined;
      ex.res.setHeader('retry-after', String(seconds));
      writeOpenAIError(ex.res, 'rate_limit_requests', [persona?.persona.orgId ?? 'org-unknown', limit, `${seconds}s`], { head, ...(limitedAccount ? { account: limitedAccount } : {}) });
      return;
    }
    case 'store_unavailable':
      writeOpenAIError(ex.res, 'overloaded', [], opts);
      return;
    default:
      // blocked, lure_threshold: the thief's credit has "run out"
      writeOpenAIError(ex.res, 'insufficient_quota', [], opts);
  }
}

/** The OpenAI call keeps no per-request state of its own: one object serves every request. */
export const openaiCall: ProviderCall = {
  classify(ex, state) {
    const classification = state.runtime.keyring.classify(openaiCredential(ex.req.headers));
    // a lure POST's body decides whether it counts toward max_requests: read it before the store call
    if (classification.record?.lure !== undefined && method(ex) === 'POST') {
      return readJson(ex, state).then((read) => {
        preread.set(ex, read);
        return classification;
      });
    }
    return classification;
  },
  billable,
  forward,
  deceive,
  refuse,
};
