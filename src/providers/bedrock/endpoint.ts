/**
 * A self-contained AWS endpoint for the Bedrock surface: one node:http request handler that does,
 * in the service's order (wire-spec B5.6), what bedrock-runtime, the Bedrock control plane and STS
 * do for a request — pick the service (Host, else credential scope and path), refuse unknown
 * operations, read the body (bounded), authenticate (SigV4 or Bedrock API key), then either answer
 * a lure key from the decoys or hand a valid key's request to `forward`.
 *
 * The gateway wires the Bedrock surface through the same pieces; this handler is what the tests
 * drive with the official AWS SDK clients, and what a Bedrock-only deployment can listen with.
 */
import type { HttpRequest, HttpResponse } from '../../core/http.js';
import { readBody } from '../../util/body.js';
import { sha256Hex } from '../../util/hash.js';
import { awsPersona, type AwsPersona } from '../../deception/persona.js';
import type { RandomFn } from '../../deception/random.js';
import { serveBedrockDecoy } from './decoy.js';
import { type AwsService, renderStsAuthError, serveControlPlaneProbe, serveStsProbe, serviceOf } from './aws-probes.js';
import { type BedrockErrorCode, renderAwsError } from './errors.js';
import { BEDROCK_REGIONS } from './models.js';
import { type BedrockRoute, parseBedrockPath } from './route.js';
import { type AuthResult, type AwsSecretEntry, authenticate } from './sigv4.js';
import { injectLure } from './inject.js';
import { detectFamily } from './models.js';
import { parseModelRef } from './route.js';
import { FifoCache } from '../../util/fifo-cache.js';

export type AwsKeyClass = 'valid' | 'lure';

/** One AWS credential the endpoint knows: a SigV4 key pair or a long-term Bedrock API key. */
export interface AwsCredentialEntry {
  readonly name: string;
  readonly class: AwsKeyClass;
  /** the lure's canned answer (lure keys) */
  readonly lureText?: string;
  /** the lure prompt injected into forwarded lure traffic, when a lure upstream is used */
  readonly prompt?: string;
}

export interface AwsKeyEntry extends AwsCredentialEntry, AwsSecretEntry {}

/** What one exchange was, for events and tests (no secret in it). */
export interface AwsExchangeInfo {
  readonly service: AwsService;
  readonly operation: string;
  readonly status: number;
  readonly accessKeyId: string | null;
  readonly keyName: string | null;
  readonly keyClass: AwsKeyClass | 'invalid' | 'missing';
  readonly error?: BedrockErrorCode | undefined;
  readonly modelId?: string | undefined;
  readonly inputTokens?: number | undefined;
  readonly outputTokens?: number | undefined;
}

/** The request handed to `forward` for a valid key (body read, authenticated). */
export interface ForwardContext {
  readonly service: AwsService;
  readonly route: BedrockRoute | null;
  readonly auth: Extract<AuthResult, { ok: true }>;
  readonly entry: AwsCredentialEntry;
  readonly body: Buffer;
}

export interface BedrockEndpointOptions {
  /** access key id → entry (with the secret: SigV4 is an HMAC) */
  readonly lookupAccessKey: (accessKeyId: string) => AwsKeyEntry | undefined;
  /** sha256 hex of a long-term Bedrock API key → entry */
  readonly lookupBearerHash?: (sha256hex: string) => AwsCredentialEntry | undefined;
  /** regions accepted in credential scopes when the Host names none; default: every Bedrock region */
  readonly regions?: ReadonlySet<string>;
  /** largest body read (Bedrock's own limit is 25 MB) */
  readonly maxBodyBytes?: number;
  /** the answer for lure keys that set none */
  readonly defaultLureText?: string;
  /** valid keys: forward to a real upstream; absent → the request is refused as unknown */
  readonly forward?: (ctx: ForwardContext, req: HttpRequest, res: HttpResponse) => Promise<void>;
  readonly onExchange?: (info: AwsExchangeInfo) => void;
  readonly rand?: RandomFn;
  readonly chunkDelayMs?: number;
  /** append AWS's canonical-string explanation to signature mismatches (default true) */
  readonly explainMismatch?: boolean;
  readonly now?: () => number;
}

const DEFAULT_MAX_BODY = 25_000_000;
const DEFAULT_LURE_TEXT = 'I can help with that. Could you share a little more detail about what you need?';

function header(req: HttpRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Build the handler. */
export function createBedrockEndpoint(options: BedrockEndpointOptions): (req: HttpRequest, res: HttpResponse) => Promise<void> {
  const regions = options.regions ?? BEDROCK_REGIONS;
  return async (req, res) => {
    const url = req.url ?? '/';
    const method = req.method ?? 'GET';
    const authorization = header(req, 'authorization');
    const accept = header(req, 'accept');
    const target = serviceOf(header(req, 'host') ?? header(req, ':authority'), url, authorization, header(req, 'content-type'));
    const report = (info: Omit<AwsExchangeInfo, 'service'>): void => options.onExchange?.({ service: target.service, ...info });

    let route: BedrockRoute | null = null;
    if (target.service === 'bedrock-runtime') {
      const r = parseBedrockPath(method, url);
      if (!r.ok) {
        req.resume();
        const status = 404;
        renderAwsError(res, 'UnknownOperation');
        report({ operation: 'Unknown', status, accessKeyId: null, keyName: null, keyClass: 'missing', error: 'UnknownOperation' });
        return;
      }
      route = r.route;
    }

    const read = await readBody(req, options.maxBodyBytes ?? DEFAULT_MAX_BODY);
    if (!read.ok) {
      if (read.reason === 'too_large' && !res.headersSent) {
        renderAwsError(res, 'MalformedInput', 'Input is too long for requested model.', { connection: 'close' });
        report({ operation: route?.operation ?? 'Unknown', status: 400, accessKeyId: null, keyName: null, keyClass: 'missing', error: 'MalformedInput' });
      }
      return;
    }
    const body = read.body;

    let found: AwsCredentialEntry | undefined;
    const auth = authenticate(
      { method, url, rawHeaders: req.rawHeaders, body },
      {
        lookupAccessKey: (id) => {
          const e = options.lookupAccessKey(id);
          found = e;
          return e;
        },
        lookupBearerHash: (hash) => {
          const e = options.lookupBearerHash?.(hash);
          found = e;
          return e !== undefined;
        },
        service: target.signingName,
        region: target.region ?? regions,
        allowBearer: target.service !== 'sts' && options.lookupBearerHash !== undefined,
        explainMismatch: options.explainMismatch ?? true,
        ...(options.now ? { now: options.now() } : {}),
      },
    );
    if (!auth.ok) {
      const keyClass = auth.error === 'MissingAuthorization' ? 'missing' : 'invalid';
      if (target.service === 'sts') renderStsAuthError(res, auth.error, auth.message, accept);
      else renderAwsError(res, auth.error, auth.message);
      report({ operation: route?.operation ?? target.service, status: res.statusCode, accessKeyId: auth.accessKeyId ?? null, keyName: null, keyClass, error: auth.error });
      return;
    }
    const entry = found;
    if (entry === undefined) throw new Error('authenticated without a key entry');
    const who = { accessKeyId: auth.accessKeyId, keyName: entry.name, keyClass: entry.class } as const;

    if (entry.class === 'valid') {
      if (options.forward) {
        await options.forward({ service: target.service, route, auth, entry, body }, req, res);
        report({ operation: route?.operation ?? target.service, status: res.statusCode, ...who, modelId: route?.modelId });
        return;
      }
      renderAwsError(res, 'UnknownOperation');
      report({ operation: 'Unknown', status: 404, ...who, error: 'UnknownOperation' });
      return;
    }

    const persona = personaOf(auth);
    if (target.service === 'sts') {
      const r = serveStsProbe({ method, url, body, contentType: header(req, 'content-type'), accept, persona }, res);
      report({ operation: r.operation, status: r.status, ...who });
      return;
    }
    if (target.service === 'bedrock') {
      const r = serveControlPlaneProbe({ method, url, region: auth.region, persona }, res);
      report({ operation: r.operation, status: r.status, ...who });
      return;
    }
    if (route === null) throw new Error('runtime request without a route');
    if (route.invalid) {
      renderAwsError(res, route.invalid.code, route.invalid.message);
      report({ operation: route.operation, status: res.statusCode, ...who, error: route.invalid.code, modelId: route.modelId });
      return;
    }
    const ref = parseModelRef(route.modelId);
    const prompt = entry.prompt;
    // a lure prompt shapes the decoy's token counts as it would shape a lure upstream's answer
    const decoyBody = prompt === undefined ? body : injectLure(route.operation, ref.family, body, prompt).body;
    const result = await serveBedrockDecoy(
      {
        operation: route.operation,
        modelId: route.modelId,
        family: ref.baseModelId === null ? 'unknown' : detectFamily(ref.baseModelId),
        body: decoyBody,
        lureText: entry.lureText ?? options.defaultLureText ?? DEFAULT_LURE_TEXT,
        accountId: persona.accountId,
        region: auth.region,
        ...(options.rand ? { rand: options.rand } : {}),
        ...(options.chunkDelayMs !== undefined ? { chunkDelayMs: options.chunkDelayMs } : {}),
      },
      res,
    );
    report({
      operation: route.operation,
      status: result.status,
      ...who,
      error: result.error,
      modelId: route.modelId,
      inputTokens: result.inputTokens,
      outputTokens: result.outputTokens,
    });
  };
}

/**
 * Personas already derived, by credential. A persona is a pure function of the access key id (or
 * the bearer key's hash and account), but deriving one — sha256, two seeded generators, the
 * account-id decode and unique-id encode of keygen.ts — was 6.8% of the Bedrock path's CPU profile
 * (issue 11), per request. Only authenticated credentials get here, so the keys are the key ring's
 * own; bounded anyway (oldest dropped first).
 */
export const PERSONA_CACHE_MAX = 1024;
const personas = new FifoCache<string, AwsPersona>(PERSONA_CACHE_MAX);

function derivePersona(auth: Extract<AuthResult, { ok: true }>): AwsPersona {
  if (auth.accessKeyId !== null) return awsPersona(auth.accessKeyId);
  const p = awsPersona(`bearer:${auth.bearerHash ?? ''}`);
  if (auth.bearerAccountId === undefined) return p;
  return Object.freeze({ ...p, accountId: auth.bearerAccountId, arn: `arn:aws:iam::${auth.bearerAccountId}:user/${p.userName}` });
}

/** The IAM identity behind an authenticated credential (account from the key id, B6). */
export function personaOf(auth: Extract<AuthResult, { ok: true }>): AwsPersona {
  // `k` (key id) and `b` (bearer hash, account) keys cannot collide
  const key = auth.accessKeyId !== null ? `k ${auth.accessKeyId}` : `b ${auth.bearerHash ?? ''} ${auth.bearerAccountId ?? ''}`;
  let persona = personas.get(key);
  if (persona === undefined) {
    persona = derivePersona(auth);
    personas.set(key, persona);
  }
  return persona;
}

/** How many personas are held (tests). */
export function personaCacheSize(): number {
  return personas.size;
}

/** sha256 of a Bedrock API key, as the key ring stores it. */
export function bearerKeyHash(key: string): string {
  return sha256Hex(key);
}
