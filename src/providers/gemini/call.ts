/**
 * One Gemini request from classification to its action. Valid keys are forwarded to their `gemini`
 * upstream with the key swapped for the upstream's own (`x-goog-api-key`, or the bearer on the
 * OpenAI-compatible paths; a `?key=` in the query is removed), the body and the answer streamed,
 * never buffered. Lure keys are deceived: the persona's quotas, the API's own validation errors,
 * the decoy's answers (or a real lure upstream with its own burner key and the lure prompt in the
 * system instruction), after the lure's tarpit delay. Every refusal is Google's own error.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { checkCanaryKey } from '../../deception/canary-hits.js';
import { hasPlaceholders, lureReply } from '../../deception/lure.js';
import type { Classification, KeyRecord, KeyRing } from '../../core/keyring.js';
import type { Verdict } from '../../core/verdict.js';
import { lureTools, type Exchange } from '../../core/exchange.js';
import { DEFAULT_REPLY } from '../../core/runtime.js';
import type { GatewayState } from '../../core/provider.js';
import type { AdmitResult } from '../../store/types.js';
import { UpstreamFault, type HttpUpstream } from '../../core/forward.js';
import { bufferedBody, declaredTooLarge, parseJson, readBody } from '../../util/body.js';
import type { HttpRequest } from '../../core/http.js';
import { lastUserText } from './answer.js';
import { batchEmbedResponse, countTokensResponse, embedResponse, embedTokens, listModelsResponse, serveGenerate } from './decoy.js';
import type { ErrorContext, GeminiErrorCode } from './errors.js';
import { injectGeminiPrompt, type InjectTarget } from './inject.js';
import { findGeminiModel, modelObject, supports, type GeminiModel } from './models.js';
import { compatEmbeddings, compatModel, compatModelList, compatModelObject, serveCompatChat, sortedJson } from './openai-compat.js';
import { geminiPersona, type GeminiPersona } from './persona.js';
import { geminiCredential, matchGeminiRoute, parseGeminiQuery, type GeminiCredential, type GeminiQuery, type GeminiRoute } from './routes.js';
import { countPrompt } from './answer.js';
import { isObj, validateCount, validateEmbed, validateGenerate } from './validate.js';
import { JSON_TYPE, acceptsGzip, prettyJson, writeGeminiBody, writeGeminiError, writeNotFoundPage } from './wire.js';

type Obj = Record<string, unknown>;

export interface GeminiUpstreamEntry {
  readonly upstream: HttpUpstream;
  readonly apiKey?: string;
}

/** What the provider compiled for one configuration. */
export interface GeminiRuntime {
  readonly keyring: KeyRing;
  /** `gemini` upstreams by name; an absent name is the decoy */
  readonly upstreams: ReadonlyMap<string, GeminiUpstreamEntry>;
  readonly hosts: ReadonlySet<string>;
  /** hashes of lure keys whose persona's project has the API disabled */
  readonly disabled: ReadonlySet<string>;
}

const DECOY_BODY_LIMIT = 20 * 1024 * 1024;

function method(ex: Exchange): string {
  return ex.req.method ?? 'GET';
}

/** Per-request state: the route, the query and the credential, found once. */
export class GeminiCall {
  readonly route: GeminiRoute;
  readonly query: GeminiQuery;
  readonly credential: GeminiCredential | undefined;
  readonly #rt: GeminiRuntime;

  constructor(ex: Exchange, rt: GeminiRuntime) {
    this.#rt = rt;
    this.route = matchGeminiRoute(method(ex), ex.path);
    this.query = parseGeminiQuery(ex.req.url);
    this.credential = geminiCredential(ex.req.headers, this.query);
  }

  /** errors in an array: the JSON-array stream and the OpenAI-compatible endpoints */
  get arrayErrors(): boolean {
    const r = this.route;
    return (r.kind === 'model-method' && r.method === 'streamGenerateContent' && !this.query.sse) || r.kind === 'openai';
  }

  /** a call no quota applies to: ListModels, GetModel, countTokens (and the compatible model list) */
  get freeCall(): boolean {
    const r = this.route;
    return r.kind === 'models-list' || r.kind === 'model-get' || (r.kind === 'model-method' && r.method === 'countTokens') || (r.kind === 'openai' && (r.endpoint === 'models' || r.endpoint === 'model'));
  }

  /** a bearer token on a native path is read as an OAuth token, which an API key is not */
  get bearerOnNative(): boolean {
    return this.credential?.source === 'bearer' && this.route.kind !== 'openai';
  }

  classify(_ex: Exchange, _state: GatewayState): Classification {
    if (this.credential === undefined) return this.#rt.keyring.classify(undefined);
    const c = this.#rt.keyring.classify(this.credential.key);
    if (this.bearerOnNative && c.class !== 'missing') return { class: 'invalid', ...(c.hash !== undefined ? { hash: c.hash } : {}) };
    return c;
  }

  estimateTokens(ex: Exchange): number {
    const cl = Number(ex.req.headers['content-length'] ?? 0);
    return Number.isFinite(cl) && cl > 0 ? Math.ceil(cl / 4) : 0;
  }

  #error(ex: Exchange, code: GeminiErrorCode, args: readonly string[] = [], ctx: ErrorContext = {}): Promise<number> {
    return writeGeminiError(ex.res, code, args, { gzip: acceptsGzip(ex.req), array: this.arrayErrors, ctx, head: method(ex) === 'HEAD' });
  }

  refuse(ex: Exchange, verdict: Verdict, admit: AdmitResult | null, classification: Classification, state: GatewayState): void {
    const persona = classification.record ? personaOf(classification.record, state) : undefined;
    const model = this.route.kind === 'model-method' ? findGeminiModel(this.route.model) : undefined;
    switch (verdict.reason) {
      case 'network_denied':
        void this.#error(ex, 'location_unsupported');
        return;
      case 'missing_key':
        void this.#error(ex, 'missing_key');
        return;
      case 'invalid_key':
        if (this.bearerOnNative) void this.#error(ex, 'oauth_invalid');
        else void this.#error(ex, 'api_key_invalid');
        checkCanaryKey(ex, state, this.credential?.key);
        return;
      case 'rate_limited': {
        const retry = admit?.limited ? admit.limited.retryAfterMs / 1000 : 30;
        void this.#quota(ex, 'quota_minute', persona, model, retry, admit?.limited?.limit);
        return;
      }
      case 'store_unavailable':
        void this.#error(ex, 'overloaded');
        return;
      default: {
        // blocked or over the lure threshold: the persona's project is out of its daily quota —
        // which Google never applies to the free calls (listing models, counting tokens)
        const record = classification.record;
        if (record?.class === 'lure' && this.freeCall) {
          void this.deceive(ex, record, admit, state);
          return;
        }
        const now = new Date();
        const midnightPt = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + (now.getUTCHours() >= 8 ? 1 : 0), 8);
        void this.#quota(ex, 'quota_day', persona, model, (midnightPt - now.getTime()) / 1000);
      }
    }
  }

  #quota(ex: Exchange, code: 'quota_minute' | 'quota_day', persona: GeminiPersona | undefined, model: GeminiModel | undefined, retrySeconds: number, limitOverride?: number): Promise<number> {
    const limits = persona?.limitsFor(model);
    const daily = code === 'quota_day';
    const value = String(limitOverride ?? (daily ? limits?.rpd || 10_000 : limits?.rpm ?? 1000));
    const metric = 'generativelanguage.googleapis.com/generate_content_paid_tier_requests';
    const modelId = model?.reports ?? model?.id ?? 'gemini-2.5-flash';
    const quotaId = daily ? 'GenerateRequestsPerDayPerProjectPerModel' : 'GenerateRequestsPerMinutePerProjectPerModel';
    const retry = `${Math.max(0.5, retrySeconds).toFixed(6).replace(/0+$/, '').replace(/\.$/, '')}s`;
    return this.#error(ex, code, [metric, value, modelId, retry], { quota: { metric, quotaId, model: modelId, value, retrySeconds } });
  }

  async #readJson(ex: Exchange, limit: number): Promise<{ ok: true; body: Obj; raw: Buffer } | { ok: false }> {
    const result = bufferedBody(ex.req, limit) ?? (await readBody(ex.req, limit));
    if (!result.ok) {
      if (result.reason === 'too_large') await this.#error(ex, 'body_too_large', [String(limit)]);
      else if (!ex.res.destroyed) ex.res.destroy();
      return { ok: false };
    }
    if (result.body.length === 0) return { ok: true, body: {}, raw: result.body };
    const parsed = parseJson(result.body);
    if (!isObj(parsed)) {
      await this.#error(ex, 'invalid_json', jsonProblem(result.body, parsed));
      return { ok: false };
    }
    return { ok: true, body: parsed, raw: result.body };
  }

  async deceive(ex: Exchange, record: KeyRecord, admit: AdmitResult | null, state: GatewayState): Promise<void> {
    const lure = record.lure;
    const persona = personaOf(record, state);
    const route = this.route;
    const head = method(ex) === 'HEAD';
    const gzip = acceptsGzip(ex.req);
    if (lure && lure.responseDelayMs > 0) await sleep(lure.responseDelayMs);
    if (ex.res.destroyed) return;
    if (route.kind === 'unknown') return writeNotFoundPage(ex.res, ex.path, head);
    if (lure && this.#rt.disabled.has(record.hash)) {
      await this.#error(ex, 'service_disabled', [persona.projectNumber], { projectNumber: persona.projectNumber });
      return;
    }
    if (route.kind === 'models-list') {
      const list = listModelsResponse(this.query.pageSize, this.query.pageToken);
      if (list === null) {
        await this.#error(ex, 'page_token');
        return;
      }
      await writeGeminiBody(ex.res, 200, JSON_TYPE, prettyJson(list), { gzip, head });
      return;
    }
    if (route.kind === 'model-get') {
      const model = findGeminiModel(route.model);
      if (!model) await this.#error(ex, 'model_not_found', [route.model.replace(/^models\//, ''), route.version, 'get']);
      else await writeGeminiBody(ex.res, 200, JSON_TYPE, prettyJson(modelObject(model)), { gzip, head });
      return;
    }
    if (route.kind === 'openai' && (route.endpoint === 'models' || route.endpoint === 'model')) {
      const model = route.model === undefined ? undefined : findGeminiModel(route.model);
      if (route.endpoint === 'model' && !model) await this.#error(ex, 'model_not_found', [route.model ?? '', 'v1main', 'get']);
      else await writeGeminiBody(ex.res, 200, JSON_TYPE, sortedJson(model ? compatModelObject(model) : compatModelList()), { gzip, head });
      return;
    }
    const parsed = await this.#readJson(ex, Math.min(state.runtime.maxBodyBytes, DECOY_BODY_LIMIT));
    if (!parsed.ok) return;
    const body = parsed.body;
    const detail = (ex.lure ??= {});
    let reply = lure?.reply ?? DEFAULT_REPLY;
    const pace = lure?.realisticTiming ?? state.runtime.config.lure_defaults.realistic_timing;
    const upstream = this.#rt.upstreams.get(record.upstream);
    ex.upstream = record.upstream;

    if (route.kind === 'openai') {
      const model = compatModel(body['model']);
      if (typeof body['model'] === 'string') ex.model = body['model'].slice(0, 200);
      ex.stream = body['stream'] === true;
      const wantsEmbed = route.endpoint === 'embeddings';
      if (!model || !supports(model, wantsEmbed ? 'embedContent' : 'generateContent')) {
        await this.#error(ex, 'model_not_found', [String(body['model'] ?? '').replace(/^models\//, '').slice(0, 200), 'v1main', wantsEmbed ? 'embedContent' : 'generateContent']);
        return;
      }
      if (!wantsEmbed) {
        const messages = Array.isArray(body['messages']) ? body['messages'] : [];
        const lastUser = [...messages].reverse().find((m) => isObj(m) && m['role'] === 'user');
        if (isObj(lastUser) && typeof lastUser['content'] === 'string') detail.prompt = lastUser['content'].slice(0, 2000);
        lureTools(ex, body['tools'] ?? body['functions']);
      }
      if (!wantsEmbed && model.family === 'media') return void (await this.#error(ex, 'tts_only'));
      if (await this.#overQuota(ex, persona, model, admit)) return;
      if (upstream) return this.#lureUpstream(ex, upstream, wantsEmbed ? 'none' : 'compat-chat', body, parsed.raw, lure?.prompt ?? '');
      detail.injected = false;
      reply = await this.#reply(ex, record, reply, state);
      if (wantsEmbed) await writeGeminiBody(ex.res, 200, JSON_TYPE, sortedJson(compatEmbeddings(model, body)), { gzip, head });
      else await serveCompatChat({ model, body, reply, baseLatencyMs: persona.baseLatencyMs, gzip, pace }, ex.res);
      return;
    }

    // model-method
    ex.model = route.model.slice(0, 200);
    ex.stream = route.method === 'streamGenerateContent';
    const model = findGeminiModel(route.model);
    if (!model || !route.known || !supports(model, route.method)) {
      await this.#error(ex, 'model_not_found', [route.model.replace(/^models\//, '').slice(0, 200), route.version, route.method]);
      return;
    }
    const style = { intEnums: this.query.intEnums };
    switch (route.method) {
      case 'generateContent':
      case 'streamGenerateContent': {
        const invalid = validateGenerate(body, model);
        if (invalid) return void (await this.#error(ex, invalid.code, invalid.args, invalid.ctx ?? {}));
        if (model.family === 'media') return void (await this.#error(ex, 'tts_only'));
        const prompt = lastUserText(body);
        if (prompt !== '') detail.prompt = prompt.slice(0, 2000);
        lureTools(ex, body['tools']);
        const count = countPrompt(body);
        if (count.total > model.inputTokenLimit) return void (await this.#error(ex, 'input_too_long', [String(count.total), String(model.inputTokenLimit)]));
        if (await this.#overQuota(ex, persona, model, admit)) return;
        if (upstream) return this.#lureUpstream(ex, upstream, 'generate', body, parsed.raw, lure?.prompt ?? '');
        detail.injected = false;
        reply = await this.#reply(ex, record, reply, state);
        const format = route.method === 'generateContent' ? 'none' : this.query.sse ? 'sse' : 'json';
        await serveGenerate({ model, body, reply, baseLatencyMs: persona.baseLatencyMs, style, format, gzip, pace, head }, ex.res);
        return;
      }
      case 'countTokens': {
        const invalid = validateCount(body, model);
        if (invalid) return void (await this.#error(ex, invalid.code, invalid.args, invalid.ctx ?? {}));
        if (upstream) return this.#lureUpstream(ex, upstream, 'countTokens', body, parsed.raw, lure?.prompt ?? '');
        const inner = body['generateContentRequest'] ?? body['generate_content_request'];
        const count = countPrompt(isObj(inner) ? inner : body);
        await writeGeminiBody(ex.res, 200, JSON_TYPE, prettyJson(countTokensResponse(count.total, count.text, count.image, style)), { gzip, head });
        return;
      }
      case 'embedContent': {
        const invalid = validateEmbed(body);
        if (invalid) return void (await this.#error(ex, invalid.code, invalid.args, invalid.ctx ?? {}));
        if (await this.#overQuota(ex, persona, model, admit)) return;
        if (upstream) return this.#lureUpstream(ex, upstream, 'none', body, parsed.raw, '');
        if (pace) await sleep(60 + Math.random() * 120);
        await writeGeminiBody(ex.res, 200, JSON_TYPE, prettyJson(embedResponse(model, body)), { gzip, head });
        return;
      }
      case 'batchEmbedContents': {
        const requests = body['requests'];
        if (!Array.isArray(requests) || requests.length === 0) return void (await this.#error(ex, 'requests_missing'));
        const list: Obj[] = [];
        for (let i = 0; i < requests.length && i < 1000; i++) {
          const r: unknown = requests[i];
          if (!isObj(r)) return void (await this.#error(ex, 'invalid_value', [`requests[${i}]`, 'type.googleapis.com/google.ai.generativelanguage.v1beta.EmbedContentRequest', JSON.stringify(r) ?? 'null'], { field: `requests[${i}]` }));
          const invalid = validateEmbed(r, `requests[${i}]`);
          if (invalid) return void (await this.#error(ex, invalid.code, invalid.args, invalid.ctx ?? {}));
          const m = r['model'];
          if (m !== undefined && (typeof m !== 'string' || findGeminiModel(m)?.id !== model.id)) return void (await this.#error(ex, 'batch_model_mismatch'));
          list.push(r);
        }
        if (await this.#overQuota(ex, persona, model, admit)) return;
        if (upstream) return this.#lureUpstream(ex, upstream, 'none', body, parsed.raw, '');
        if (pace) await sleep(80 + Math.min(2000, embedTokens(list) / 50));
        await writeGeminiBody(ex.res, 200, JSON_TYPE, prettyJson(batchEmbedResponse(model, list)), { gzip, head });
        return;
      }
      default:
        await this.#error(ex, 'model_not_found', [model.id, route.version, route.method]);
    }
  }

  /** The persona's per-minute quota, as the real project would refuse (Gemini sends no rate-limit headers). */
  async #overQuota(ex: Exchange, persona: GeminiPersona, model: GeminiModel, admit: AdmitResult | null): Promise<boolean> {
    const usage = admit?.usage;
    if (!usage) return false;
    const limits = persona.limitsFor(model);
    if (usage.requests <= limits.rpm && usage.tokens <= limits.tpm) return false;
    const retry = Math.max(1, usage.resetMs / 1000);
    if (usage.tokens > limits.tpm) {
      const metric = 'generativelanguage.googleapis.com/generate_content_paid_tier_input_token_count';
      const value = String(limits.tpm);
      const id = model.reports ?? model.id;
      const r = `${retry.toFixed(6).replace(/0+$/, '').replace(/\.$/, '')}s`;
      await this.#error(ex, 'quota_minute', [metric, value, id, r], { quota: { metric, quotaId: 'GenerateContentPaidTierInputTokensPerModelPerMinute', model: id, value, retrySeconds: retry } });
      return true;
    }
    await this.#quota(ex, 'quota_minute', persona, model, retry);
    return true;
  }

  async #reply(ex: Exchange, record: KeyRecord, template: string, state: GatewayState): Promise<string> {
    if (!hasPlaceholders(template)) return template;
    const minted = await lureReply(ex, record, template, state);
    if (minted.canaries.length > 0) (ex.lure ??= {}).canaries = minted.canaries;
    return minted.text;
  }

  /** A real lure upstream (its own burner key): the lure prompt injected, the answer streamed back. */
  async #lureUpstream(ex: Exchange, upstream: GeminiUpstreamEntry, target: InjectTarget, body: Obj, raw: Buffer, prompt: string): Promise<void> {
    const injection = injectGeminiPrompt(target, body, prompt);
    (ex.lure ??= {}).injected = injection.injected;
    const sent = injection.injected ? Buffer.from(JSON.stringify(injection.body)) : raw;
    await this.#send(ex, upstream, sent);
  }

  async #send(ex: Exchange, upstream: GeminiUpstreamEntry, body: HttpRequest | Buffer | null): Promise<void> {
    const started = performance.now();
    const compat = this.route.kind === 'openai';
    const setHeaders: Record<string, string> = {};
    let headers = ex.req.headers;
    if (upstream.apiKey !== undefined) {
      // the client's key goes nowhere upstream, in whichever place it was sent
      const { 'x-goog-api-key': _key, authorization: _auth, ...rest } = headers;
      headers = rest;
      if (compat) setHeaders['authorization'] = `Bearer ${upstream.apiKey}`;
      else setHeaders['x-goog-api-key'] = upstream.apiKey;
    }
    try {
      const result = await upstream.upstream.forward(
        {
          method: method(ex),
          path: upstream.apiKey !== undefined ? withoutKeyParam(ex.req.url ?? ex.path) : ex.req.url ?? ex.path,
          headers,
          body,
          setHeaders,
          replaceServerErrors: true,
          onResponse: (_s, headers, ms) => {
            ex.upstreamMs = ms;
            ex.stream = /event-stream/.test(String(headers['content-type'] ?? '')) || this.route.kind === 'model-method' && this.route.method === 'streamGenerateContent';
          },
        },
        ex.res,
      );
      if (result.replaced) await this.#error(ex, result.status === 504 ? 'deadline' : 'internal');
    } catch (e: unknown) {
      ex.upstreamMs = performance.now() - started;
      if (!(e instanceof UpstreamFault)) throw e;
      if (e.kind === 'aborted' || ex.res.headersSent || ex.res.destroyed) {
        if (!ex.res.destroyed && !ex.res.writableEnded) ex.res.destroy();
        return;
      }
      await this.#error(ex, e.kind === 'timeout' ? 'deadline' : 'internal');
    }
  }

  async forward(ex: Exchange, record: KeyRecord, state: GatewayState): Promise<void> {
    const upstream = this.#rt.upstreams.get(record.upstream);
    ex.upstream = record.upstream;
    if (!upstream) {
      // a valid key on the decoy (the offline demo): answered like a lure, without lure details
      const { lure: _none, ...plain } = record;
      return this.deceive(ex, plain, null, state);
    }
    if (this.route.kind === 'model-method') {
      ex.model = this.route.model.slice(0, 200);
      ex.stream = this.route.method === 'streamGenerateContent';
    }
    if (declaredTooLarge(ex.req, state.runtime.maxBodyBytes)) {
      await this.#error(ex, 'body_too_large', [String(state.runtime.maxBodyBytes)]);
      ex.req.resume();
      return;
    }
    const m = method(ex);
    await this.#send(ex, upstream, m === 'GET' || m === 'HEAD' ? null : ex.req);
  }
}

/** The request URL without its `key` query parameter (the client's key never goes upstream). */
export function withoutKeyParam(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const kept = url
    .slice(q + 1)
    .split('&')
    .filter((p) => p !== '' && p !== 'key' && !p.startsWith('key='));
  return kept.length > 0 ? `${url.slice(0, q)}?${kept.join('&')}` : url.slice(0, q);
}

/** The reason and the context lines of Google's "Invalid JSON payload" message. */
function jsonProblem(raw: Buffer, parsed: unknown): [string, string] {
  const text = raw.subarray(0, 4096).toString('utf8');
  if (parsed !== undefined) {
    // valid JSON that is not an object: the transcoder expects one
    const shown = text.split('\n')[0]?.slice(0, 80) ?? '';
    return ['Expected an object.', `${shown}\n^`];
  }
  let pos = 0;
  try {
    JSON.parse(text);
    pos = text.length;
  } catch (e: unknown) {
    const m = /position (\d+)/.exec(e instanceof Error ? e.message : '');
    pos = m ? Number(m[1]) : text.length;
  }
  const lineStart = text.lastIndexOf('\n', pos - 1) + 1;
  const lineEnd = text.indexOf('\n', pos);
  const line = text.slice(lineStart, lineEnd < 0 ? undefined : lineEnd).slice(0, 120);
  const reason = pos >= text.length ? 'Unexpected end of string. Expected a value.' : 'Unexpected token.';
  return [reason, `${line}\n${' '.repeat(Math.min(pos - lineStart, 120))}^`];
}

/** The persona of a lure key, computed once per key. */
export function personaOf(record: KeyRecord, state: GatewayState): GeminiPersona {
  const key = `gemini-persona:${record.hash}`;
  const cached = state.cache.get(key) as GeminiPersona | undefined;
  if (cached) return cached;
  const persona = geminiPersona(record.hash);
  state.cache.set(key, persona);
  return persona;
}
