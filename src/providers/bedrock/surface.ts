/**
 * The Bedrock provider's per-request call: Amazon Bedrock Runtime (`/model/{id}/…`), and the calls a thief
 * makes first with a stolen AWS key — STS `GetCallerIdentity` and the Bedrock control plane
 * (`/foundation-models`, `/inference-profiles`, `/logging/modelinvocations`) — through the same
 * pipeline as every provider (core/serve.ts):
 *
 * - classify: the service from the Host, else the SigV4 credential scope and the path, as AWS
 *   routes (aws-probes.ts `serviceOf`); an unknown runtime operation is refused before
 *   authentication (`beforeAuth: operation_unknown`, UnknownOperationException); the body is read
 *   (bounded), then SigV4 or the Bedrock API key is verified (sigv4.ts `authenticate`) against the
 *   provider's AWS key ring. Nothing is written here: the verdict function decides, and `refuse`
 *   renders AWS's own authentication errors (UnrecognizedClient, InvalidSignature, clock skew,
 *   missing Authorization …) from what classify kept on the call. A known credential becomes an
 *   ordinary Classification with its KeyRecord, so thresholds, blocks, rate limits and events work
 *   as for every provider.
 * - deceive: tarpit delay, the persona of the key (the account its id decodes to),
 *   the probe answers, the lure reply with canaries through the Bedrock decoy per model family —
 *   or, for a lure key on a `bedrock` upstream with burner credentials, the lure prompt injected
 *   and the request forwarded re-signed.
 * - forward: valid keys re-signed with the upstream's credentials; event streams pass frame by
 *   frame (undici streams straight into the response).
 * - refuse: what a real account would see (see `refuse` for the choices).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { checkCanaryKey } from '../../deception/canary-hits.js';
import { IAM_NS, serveIamProbe } from './aws-iam.js';
import { type AwsService, type ServiceTarget, renderStsAuthError, renderStsError, serveControlPlaneProbe, serveStsProbe, serviceOf } from './aws-probes.js';
import { parseJson, serveBedrockDecoy, wouldBill } from './decoy.js';
import { type GuardrailUse, invokeGuardrail } from './decoy-guardrail.js';
import { hasPlaceholders, lureReply } from '../../deception/lure.js';
import { maskKey } from '../../util/mask.js';
import type { Classification, KeyRecord } from '../../core/keyring.js';
import type { RequestRefusal, Verdict } from '../../core/verdict.js';
import { lureTools, lureUsage, type Exchange } from '../../core/exchange.js';
import { DEFAULT_REPLY } from '../../core/runtime.js';
import type { ProviderCall } from '../../core/provider.js';
import type { GatewayState } from '../../core/provider.js';
import type { AdmitResult } from '../../store/types.js';
import type { BedrockUpstream } from './upstream.js';
import { readBody } from '../../util/body.js';
import { sha256Hex } from '../../util/hash.js';
import { personaOf } from './personas.js';
import { renderAwsError } from './errors.js';
import { injectLure } from './inject.js';
import { detectFamily, type ModelFamily } from './models.js';
import { bedrockPromptTextOf, bedrockToolsOf } from './prompt.js';
import { type BedrockRoute, parseBedrockPath, parseModelRef, STREAMING_OPERATIONS } from './route.js';
import { type AuthResult, authenticate } from './sigv4.js';
import type { AwsKeyRing } from './keyring.js';

type Authenticated = Extract<AuthResult, { ok: true }>;
type AuthFailure = Extract<AuthResult, { ok: false }>;

/** The Bedrock provider compiled for one config (present when it has AWS keys or a bedrock upstream). */
export interface BedrockRuntime {
  readonly keyring: AwsKeyRing;
  /** regions accepted in SigV4 scopes when the Host names none */
  readonly regions: ReadonlySet<string>;
  readonly explainMismatch: boolean;
  /** the smaller of max_body_bytes and bedrock.max_body_bytes (Bedrock's own limit is 25 MB) */
  readonly maxBodyBytes: number;
  /** pause between decoy stream frames */
  readonly chunkDelayMs: number;
  /** the `bedrock` upstreams by name (re-signing clients) */
  readonly upstreams: ReadonlyMap<string, BedrockUpstream>;
}

const MISSING: Classification = Object.freeze({ class: 'missing' });

/** AWS endpoint names (with the Host's port, if any): the request is for AWS whatever its path. */
const AWS_HOST = /(^|\.)(bedrock-runtime|bedrock|sts|iam)(-fips)?(\.[a-z]{2}(-[a-z]+)+-\d)?\.amazonaws\.com(\.cn)?(:\d+)?$/i;
/** Control-plane paths (aws-probes.ts answers four of them; the rest are its unknown operations). */
const CONTROL_PATH = /^\/(foundation-models|inference-profiles|logging\/|foundation-model-availability|custom-models|guardrails|provisioned-model-throughputs)/;

/** The XML namespace of a Query-protocol service's errors. */
function queryNamespace(service: AwsService | undefined): string {
  return service === 'iam' ? IAM_NS : 'https://sts.amazonaws.com/doc/2011-06-15/';
}

/** InvokeModel's guardrail headers, for the decoy (Converse names its guardrail in the body). */
function guardrailOf(ex: Exchange): { guardrail?: GuardrailUse } {
  const g = invokeGuardrail(header(ex, 'x-amzn-bedrock-guardrailidentifier'), header(ex, 'x-amzn-bedrock-trace'));
  return g === undefined ? {} : { guardrail: g };
}

function header(ex: Exchange, name: string): string | undefined {
  const v = ex.req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Requests outside `/model/` that are AWS calls: SigV4-signed (only AWS clients sign), addressed to
 * an AWS endpoint name, a control-plane path, or an STS Query-protocol call on `/`. Anything else
 * keeps the OpenAI surface's unknown-URL answer.
 */
export function isAwsRequest(ex: Exchange): boolean {
  if (header(ex, 'authorization')?.startsWith('AWS4-HMAC-SHA256 ') === true) return true;
  const host = header(ex, 'host') ?? header(ex, ':authority');
  if (host !== undefined && AWS_HOST.test(host)) return true;
  if (CONTROL_PATH.test(ex.path)) return true;
  if (ex.path !== '/') return false;
  const url = ex.req.url ?? '/';
  return /[?&]Action=/.test(url) || (ex.req.method === 'POST' && (header(ex, 'content-type') ?? '').startsWith('application/x-www-form-urlencoded'));
}

/**
 * One Bedrock request: what classify learned (the body is read once, in classify), for the
 * verdict's action.
 */
export class BedrockCall implements ProviderCall {
  readonly #aws: BedrockRuntime;
  target: ServiceTarget | undefined;
  /** absent when the network policy refuses the client before its credential is read */
  auth?: Authenticated;
  route?: BedrockRoute;
  body?: Buffer;
  /** the authentication refusal, rendered by refuse() */
  failure?: AuthFailure;

  constructor(aws: BedrockRuntime) {
    this.#aws = aws;
  }

  async classify(ex: Exchange, state: GatewayState): Promise<Classification> {
    const aws = this.#aws;
    const url = ex.req.url ?? '/';
    const method = ex.req.method ?? 'GET';
    const target = serviceOf(header(ex, 'host') ?? header(ex, ':authority'), url, header(ex, 'authorization'), header(ex, 'content-type'));
    this.target = target;
    // verdict order: a client the network policy refuses is refused before anything else
    if (!state.runtime.policy.networkAllowed(ex.ip)) {
      ex.req.resume();
      return MISSING;
    }
    if (target.service === 'bedrock-runtime') {
      const r = parseBedrockPath(method, url);
      if (!r.ok) {
        // Coral resolves the operation before it authenticates
        ex.req.resume();
        return refusedBeforeAuth('operation_unknown');
      }
      const route = r.route;
      this.route = route;
      ex.route = route.operation;
      ex.model = route.modelId.slice(0, 200);
      ex.stream = STREAMING_OPERATIONS.has(route.operation);
    }
    const read = await readBody(ex.req, aws.maxBodyBytes);
    if (!read.ok) {
      // too large: the rest of the body is never read, the connection closes after the answer;
      // aborted: the client went away mid-body, nothing to answer
      if (read.reason !== 'too_large') ex.res.destroy();
      return refusedBeforeAuth('request_invalid');
    }
    const body = read.body;
    let found: KeyRecord | undefined;
    const auth = authenticate(
      { method, url, rawHeaders: ex.req.rawHeaders, body },
      {
        lookupAccessKey: (id) => {
          const pair = aws.keyring.pair(id);
          found = pair?.record;
          return pair;
        },
        lookupBearerHash: (hash) => {
          found = aws.keyring.bearer(hash);
          return found !== undefined;
        },
        service: target.signingName,
        region: target.region ?? aws.regions,
        allowBearer: target.service !== 'sts' && target.service !== 'iam',
        explainMismatch: aws.explainMismatch,
      },
    );
    if (!auth.ok) {
      this.failure = auth;
      // the claimed access key id is an identifier, not a secret: its fingerprint links it to a configured key
      const id = auth.accessKeyId;
      const keyClass = auth.error === 'MissingAuthorization' ? 'missing' : 'invalid';
      return { class: keyClass, ...(id !== undefined ? { hash: sha256Hex(id), mask: maskKey(id) } : {}) };
    }
    if (found === undefined) throw new Error('authenticated without a key record');
    this.auth = auth;
    this.body = body;
    return { class: found.class, record: found, hash: found.hash };
  }

  /** Only a generation the service would bill counts toward a lure's max_requests (docs/deception.md). */
  billable(): boolean {
    const route = this.route;
    if (this.auth === undefined || this.body === undefined || this.target?.service !== 'bedrock-runtime' || route === undefined || route.invalid) return false;
    return wouldBill(route.operation, route.modelId, this.auth.region, parseJson(this.body));
  }

  forward(ex: Exchange, record: KeyRecord, state: GatewayState): Promise<void> {
    return forward(ex, this.#context(), this.#aws, record, state);
  }

  deceive(ex: Exchange, record: KeyRecord, _admit: AdmitResult | null, state: GatewayState): Promise<void> {
    return deceive(ex, this.#context(), this.#aws, record, state);
  }

  refuse(ex: Exchange, verdict: Verdict, _admit: AdmitResult | null, _classification: Classification, state: GatewayState): void {
    refuse(ex, this, verdict, state);
  }

  #context(): AuthenticatedContext {
    if (this.auth === undefined || this.body === undefined || this.target === undefined) throw new Error('bedrock: no authenticated context');
    return { target: this.target, auth: this.auth, body: this.body, ...(this.route !== undefined ? { route: this.route } : {}) };
  }
}

const BEFORE_AUTH: Readonly<Record<'operation_unknown' | 'request_invalid', Classification>> = {
  operation_unknown: Object.freeze({ class: 'missing', beforeAuth: 'operation_unknown' }),
  request_invalid: Object.freeze({ class: 'missing', beforeAuth: 'request_invalid' }),
};

function refusedBeforeAuth(reason: Extract<RequestRefusal, 'operation_unknown' | 'request_invalid'>): Classification {
  return BEFORE_AUTH[reason];
}

function familyOf(route: BedrockRoute): ModelFamily {
  const ref = parseModelRef(route.modelId);
  return ref.baseModelId === null ? 'unknown' : detectFamily(ref.baseModelId);
}

interface AuthenticatedContext {
  readonly target: ServiceTarget;
  readonly auth: Authenticated;
  readonly route?: BedrockRoute;
  readonly body: Buffer;
}

/** STS and control-plane answers from the key's own identity (never forwarded: see docs/bedrock.md). */
function serveProbe(ex: Exchange, service: Exclude<AwsService, 'bedrock-runtime'>, auth: Authenticated, body: Buffer): void {
  const persona = personaOf(auth);
  const url = ex.req.url ?? '/';
  const method = ex.req.method ?? 'GET';
  const r =
    service === 'sts'
      ? serveStsProbe({ method, url, body, contentType: header(ex, 'content-type'), accept: header(ex, 'accept'), persona }, ex.res)
      : service === 'iam'
        ? serveIamProbe({ url, body, contentType: header(ex, 'content-type'), accept: header(ex, 'accept'), persona }, ex.res)
        : serveControlPlaneProbe({ method, url, region: auth.region, persona }, ex.res);
  ex.route = service === 'sts' ? `sts:${r.operation}` : r.operation;
}

/** Re-sign and forward to a real Bedrock upstream; event streams pass through frame by frame. */
async function forwardTo(ex: Exchange, upstream: BedrockUpstream, service: 'bedrock-runtime' | 'bedrock', route: BedrockRoute | undefined, body: Buffer): Promise<void> {
  const started = performance.now();
  await upstream.forward(
    {
      service,
      route: route ?? null,
      method: ex.req.method ?? 'POST',
      url: ex.req.url ?? '/',
      rawHeaders: ex.req.rawHeaders,
      body,
      // the event may be built (at the client's close) before forward() resolves: record now
      onResponse: (_status, _headers, upstreamMs) => {
        ex.upstreamMs = upstreamMs;
      },
    },
    ex.res,
  );
  ex.upstreamMs ??= performance.now() - started;
}

async function deceive(ex: Exchange, ctx: AuthenticatedContext, aws: BedrockRuntime, record: KeyRecord, state: GatewayState): Promise<void> {
  const lure = record.lure;
  if (lure && lure.responseDelayMs > 0) await sleep(lure.responseDelayMs);
  if (ex.res.destroyed) return;
  if (ctx.target.service !== 'bedrock-runtime') {
    serveProbe(ex, ctx.target.service, ctx.auth, ctx.body);
    return;
  }
  const route = ctx.route;
  if (route === undefined) throw new Error('bedrock: runtime request without a route');
  const family = familyOf(route);
  // parsed once here for the lure event's prompt and the decoy (undefined: not JSON)
  let parsedBody: { readonly value: unknown } | undefined;
  if (lure) {
    parsedBody = { value: parseJson(ctx.body) };
    const prompt = bedrockPromptTextOf(route.operation, family, parsedBody.value);
    if (prompt !== undefined) (ex.lure ??= {}).prompt = prompt;
    lureTools(ex, bedrockToolsOf(route.operation, parsedBody.value));
  }
  if (route.invalid) {
    // member constraints are checked after authentication (B5.6)
    renderAwsError(ex.res, route.invalid.code, route.invalid.message);
    return;
  }
  const upstream = aws.upstreams.get(record.upstream);
  ex.upstream = record.upstream;
  if (upstream !== undefined) {
    // a real model behind the lure, signed with the upstream's own burner credentials (config rules)
    const injected = injectLure(route.operation, family, ctx.body, lure?.prompt ?? '');
    ex.lure = { ...ex.lure, injected: injected.changed };
    await forwardTo(ex, upstream, 'bedrock-runtime', route, injected.body);
    return;
  }
  // a reply without canary placeholders is sent as it is: no promise, no store call
  const reply = lure?.reply ?? DEFAULT_REPLY;
  const minted = hasPlaceholders(reply) ? await lureReply(ex, record, reply, state) : { text: reply, canaries: [] };
  if (minted.canaries.length > 0) (ex.lure ??= {}).canaries = minted.canaries;
  if (lure) (ex.lure ??= {}).injected = false;
  const served = await serveBedrockDecoy(
    {
      operation: route.operation,
      modelId: route.modelId,
      family,
      body: ctx.body,
      lureText: minted.text,
      accountId: personaOf(ctx.auth).accountId,
      region: ctx.auth.region,
      chunkDelayMs: aws.chunkDelayMs,
      pace: lure?.realisticTiming ?? state.runtime.config.lure_defaults.realistic_timing,
      ...(parsedBody !== undefined ? { parsedBody } : {}),
      ...guardrailOf(ex),
    },
    ex.res,
  );
  if (lure && served.status === 200) lureUsage(ex, served.inputTokens, served.outputTokens);
}

async function forward(ex: Exchange, ctx: AuthenticatedContext, aws: BedrockRuntime, record: KeyRecord, state: GatewayState): Promise<void> {
  const upstream = aws.upstreams.get(record.upstream);
  ex.upstream = record.upstream;
  if (upstream === undefined) {
    // the embedded demo: a valid key answered offline by the decoy (no lure, no canaries)
    const { lure: _none, ...plain } = record;
    return deceive(ex, ctx, aws, plain, state);
  }
  if (ctx.target.service === 'sts' || ctx.target.service === 'iam') {
    // forwarding would show the upstream's own identity: the key's identity answers (docs/bedrock.md)
    serveProbe(ex, ctx.target.service, ctx.auth, ctx.body);
    return;
  }
  await forwardTo(ex, upstream, ctx.target.service, ctx.route, ctx.body);
}

/**
 * Refusals as a real account would see them (docs/bedrock.md):
 * - an unknown runtime operation → UnknownOperationException (before authentication, as Coral);
 * - a body over the limit → MalformedInput `Input is too long for requested model.`, connection closed;
 * - an authentication failure → AWS's own error for it (UnrecognizedClient, InvalidSignature, …);
 * - network denied → AccessDeniedException (`You don't have access to the model …`);
 * - blocked, lure threshold, rate limited → ThrottlingException 429 `Too many requests, please wait
 *   before trying again.` (STS: `Throttling` / `Rate exceeded`). A throttled key still looks alive
 *   (a checker counts 429 as a working key, the SDK retries it), as OpenAI's insufficient_quota
 *   keeps a lure key looking paid-up; an AccessDenied would read as revocation while the same key
 *   keeps working from other addresses;
 * - store unavailable → ServiceUnavailableException 503.
 */
function refuse(ex: Exchange, call: BedrockCall, verdict: Verdict, state: GatewayState): void {
  if (ex.res.headersSent || ex.res.destroyed) return;
  const service = call.target?.service;
  const sts = service === 'sts' || service === 'iam';
  const ns = queryNamespace(service);
  const accept = header(ex, 'accept');
  const failure = call.failure;
  if (failure !== undefined && (verdict.reason === 'missing_key' || verdict.reason === 'invalid_key')) {
    if (sts) renderStsAuthError(ex.res, failure.error, failure.message, accept, ns);
    else renderAwsError(ex.res, failure.error, failure.message);
    // an access key id minted into a decoy answer ({{canary:aws_key}}) and used here
    if (failure.error === 'UnrecognizedClient' && failure.accessKeyId !== undefined) checkCanaryKey(ex, state, failure.accessKeyId);
    return;
  }
  switch (verdict.reason) {
    case 'operation_unknown':
      renderAwsError(ex.res, 'UnknownOperation');
      return;
    case 'request_invalid':
      renderAwsError(ex.res, 'MalformedInput', 'Input is too long for requested model.', { connection: 'close' });
      return;
    case 'missing_key':
      if (sts) renderStsAuthError(ex.res, 'MissingAuthorization', 'Request is missing Authentication Token', accept, ns);
      else renderAwsError(ex.res, 'MissingAuthorization');
      return;
    case 'invalid_key':
      if (sts) renderStsAuthError(ex.res, 'UnrecognizedClient', 'The security token included in the request is invalid.', accept, ns);
      else renderAwsError(ex.res, 'UnrecognizedClient');
      return;
    case 'blocked':
    case 'lure_threshold':
    case 'rate_limited':
      if (sts) renderStsError(ex.res, 400, 'Throttling', 'Rate exceeded', accept, ns);
      else renderAwsError(ex.res, 'Throttling');
      return;
    case 'store_unavailable':
      if (sts) renderStsError(ex.res, 503, 'ServiceUnavailable', 'Service is unavailable.', accept, ns);
      else renderAwsError(ex.res, 'ServiceUnavailable');
      return;
    default:
      // network_denied (and any refusal a future pipeline stage adds)
      if (sts) renderStsError(ex.res, 403, 'AccessDenied', 'Access denied', accept, ns);
      else renderAwsError(ex.res, 'AccessDenied');
  }
}

