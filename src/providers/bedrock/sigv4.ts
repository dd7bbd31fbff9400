/**
 * Inbound AWS authentication for the Bedrock surface and the AWS probe decoys.
 *
 * SigV4 (`Authorization: AWS4-HMAC-SHA256 …`) is verified the way the service does it, from the
 * request as received: the canonical URI is the raw (still percent-encoded) path, dot-segments
 * removed, URI-encoded again (`%3A` → `%253A`, B5.3); the canonical query is decoded and
 * re-encoded; exactly the headers the client declared are signed, and `host` must be one of them;
 * the payload hash is sha256(body), and an `x-amz-content-sha256` header (JS SDK) must equal it.
 * The canonicalisation (sigv4-canonical.ts) is written here rather than taken from @smithy/signature-v4, because the
 * verifier must use the client's declared header list and the path exactly as received; tests
 * prove both agree with smithy's signer (JS SDK view) and with a botocore-style request.
 *
 * Bedrock API keys (`Authorization: Bearer …`, B5): long-term `ABSK…` keys are looked up by sha256;
 * short-term `bedrock-api-key-…` keys are base64 presigned SigV4 URLs (service `bedrock`, action
 * `CallWithBearerToken`, ≤ 12 h) and are verified as such.
 *
 * Outcome order (B5.6): missing/foreign credential → malformed Authorization (IncompleteSignature)
 * → scope (terminator, service, region) → clock skew → scope date → unknown key id
 * (UnrecognizedClient) → session token → payload hash → signature (InvalidSignature). Authorization
 * and validation come after, in the caller. Secrets are compared only as HMAC outputs, in constant time.
 */
import { hash as oneShotHash } from 'node:crypto';
import { safeEqual, sha256Hex } from '../../util/hash.js';
import { type BedrockErrorCode, INVALID_SIGNATURE_TEXT, skewMessage } from './errors.js';
import { type AwsSecretEntry, ALGORITHM, cachedSigningKey, canonicalRequest, EMPTY_SHA256, headerMap, hmac, percentDecode, stringToSign } from './sigv4-canonical.js';


const MAX_SKEW_MS = 5 * 60 * 1000;
const MAX_SIGNED_HEADERS = 64;
const MAX_BEARER_LENGTH = 8192;
const BEARER_SHORT_PREFIX = 'bedrock-api-key-';
const BEARER_LONG_PREFIX = 'ABSK';
const BEARER_MAX_EXPIRES = 43_200;

/** The request as it arrived: method, `req.url`, `req.rawHeaders`, the full body. */
export interface InboundRequest {
  readonly method: string;
  readonly url: string;
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
}

export type { AwsSecretEntry };

export interface AuthOptions {
  /** access key id → secret; undefined for an unknown id */
  readonly lookupAccessKey: (accessKeyId: string) => AwsSecretEntry | undefined;
  /** sha256 hex of a long-term Bedrock API key → true if known */
  readonly lookupBearerHash?: (sha256hex: string) => boolean;
  /** the credential-scope service this endpoint accepts: `bedrock` (runtime, control plane) or `sts` */
  readonly service: string;
  /**
   * The endpoint region. A string: the scope must name exactly it. A set: any of them (a listener
   * that is not bound to one region's hostname).
   */
  readonly region: string | ReadonlySet<string>;
  /** accept `Authorization: Bearer` Bedrock API keys (runtime and control plane only) */
  readonly allowBearer?: boolean;
  /** append AWS's "The Canonical String for this request should have been …" to signature mismatches */
  readonly explainMismatch?: boolean;
  readonly now?: number;
}

export type AuthScheme = 'sigv4' | 'bearer-long' | 'bearer-short';

export type AuthResult =
  | {
      readonly ok: true;
      readonly scheme: AuthScheme;
      /** the SigV4 (or short-term bearer) access key id; null for a long-term bearer key */
      readonly accessKeyId: string | null;
      /** sha256 of a long-term bearer key */
      readonly bearerHash?: string;
      /** the account a long-term bearer key names (`BedrockAPIKey-…-at-<account>:…`), when it does */
      readonly bearerAccountId?: string;
      readonly region: string;
      readonly service: string;
    }
  | {
      readonly ok: false;
      readonly error: BedrockErrorCode;
      readonly message: string;
      /** the key id the client claimed, when one could be parsed (for events; not a secret) */
      readonly accessKeyId?: string;
      readonly scheme?: AuthScheme;
    };

// ------------------------------------------------------------------------------------------------
// Authorization header parsing (B5.1)

export interface ParsedAuthorization {
  readonly credential: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
}

export interface CredentialScope {
  readonly accessKeyId: string;
  readonly date: string;
  readonly region: string;
  readonly service: string;
  readonly terminator: string;
}

/** Parse the parameters after `AWS4-HMAC-SHA256 `; returns the names that are missing instead. */
function parseAuthorizationParams(params: string): ParsedAuthorization | { missing: string[] } {
  // the first occurrence of each name counts; other names are ignored
  let credential: string | undefined;
  let signedHeaders: string | undefined;
  let signature: string | undefined;
  for (const part of params.split(',')) {
    const p = part.trim();
    const eq = p.indexOf('=');
    if (eq <= 0) continue;
    const name = p.slice(0, eq).trim();
    if (name === 'Credential') credential ??= p.slice(eq + 1).trim();
    else if (name === 'SignedHeaders') signedHeaders ??= p.slice(eq + 1).trim();
    else if (name === 'Signature') signature ??= p.slice(eq + 1).trim();
  }
  if (credential === undefined || signedHeaders === undefined || signature === undefined) {
    const missing: string[] = [];
    if (credential === undefined) missing.push('Credential');
    if (signature === undefined) missing.push('Signature');
    if (signedHeaders === undefined) missing.push('SignedHeaders');
    return { missing };
  }
  return { credential, signedHeaders: signedHeaders.split(';').map((h) => h.trim().toLowerCase()).filter((h) => h !== ''), signature };
}

function parseCredential(credential: string): CredentialScope | null {
  const parts = credential.split('/');
  if (parts.length !== 5) return null;
  const [accessKeyId = '', date = '', region = '', service = '', terminator = ''] = parts;
  return { accessKeyId, date, region, service, terminator };
}

/** The number in `text[from, from + n)` when all of it is ASCII digits, else -1. */
function digits(text: string, from: number, n: number): number {
  let v = 0;
  for (let i = from; i < from + n; i++) {
    const c = text.charCodeAt(i) - 0x30;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/** `YYYYMMDDTHHMMSSZ` → epoch ms, or null. (Read digit by digit: no regex match and array per request.) */
export function parseAmzDate(text: string): number | null {
  if (text.length !== 16 || text.charCodeAt(8) !== 0x54 /* T */ || text.charCodeAt(15) !== 0x5a /* Z */) return null;
  const y = digits(text, 0, 4);
  const mo = digits(text, 4, 2);
  const d = digits(text, 6, 2);
  const h = digits(text, 9, 2);
  const mi = digits(text, 11, 2);
  const s = digits(text, 13, 2);
  if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || s < 0) return null;
  const t = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(t);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return null;
  return t;
}

export function formatAmzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

function first(headers: ReadonlyMap<string, readonly string[]>, name: string): string | undefined {
  return headers.get(name)?.[0];
}

function fail(error: BedrockErrorCode, message: string, extra: { accessKeyId?: string; scheme?: AuthScheme } = {}): AuthResult {
  return { ok: false, error, message, ...extra };
}

function regionAccepted(region: string, expected: string | ReadonlySet<string>): boolean {
  return typeof expected === 'string' ? region === expected : expected.has(region);
}

// ------------------------------------------------------------------------------------------------
// verification

interface SigV4Input {
  readonly method: string;
  readonly rawPath: string;
  readonly rawQuery: string;
  readonly headers: ReadonlyMap<string, readonly string[]>;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
  readonly scope: CredentialScope;
  readonly amzDate: string;
  readonly payloadHash: string;
  readonly excludeQuery?: ReadonlySet<string>;
}

/** Compute and compare; returns the expected canonical request and string-to-sign for explanations. */
function checkSignature(input: SigV4Input, entry: AwsSecretEntry): { match: boolean; canonical: string; toSign: string } {
  const canonical = canonicalRequest(input.method, input.rawPath, input.rawQuery, input.headers, input.signedHeaders, input.payloadHash, input.excludeQuery);
  const s = input.scope;
  const scopeText = `${s.date}/${s.region}/${s.service}/${s.terminator}`;
  const toSign = stringToSign(input.amzDate, scopeText, canonical);
  const expected = hmac(cachedSigningKey(entry, s.date, s.region, s.service), toSign).toString('hex');
  return { match: safeEqual(expected, input.signature.toLowerCase()), canonical, toSign };
}

function mismatchMessage(explain: boolean, canonical: string, toSign: string, signedHeaders: readonly string[]): string {
  // the explanation repeats signed header values; never when a session token is among them
  if (!explain || signedHeaders.includes('x-amz-security-token')) return INVALID_SIGNATURE_TEXT;
  return `${INVALID_SIGNATURE_TEXT}\n\nThe Canonical String for this request should have been\n'${canonical}'\n\nThe String-to-Sign should have been\n'${toSign}'\n`;
}

function splitUrl(url: string): { rawPath: string; rawQuery: string } {
  const q = url.indexOf('?');
  return q < 0 ? { rawPath: url, rawQuery: '' } : { rawPath: url.slice(0, q), rawQuery: url.slice(q + 1) };
}

/** Verify a SigV4 `Authorization` header request (B5). */
function verifySigV4Header(req: InboundRequest, authorization: string, headers: Map<string, string[]>, options: AuthOptions): AuthResult {
  const now = options.now ?? Date.now();
  const params = parseAuthorizationParams(authorization.slice(ALGORITHM.length));
  const amzDateHeader = first(headers, 'x-amz-date');
  const dateHeader = first(headers, 'date');
  const amzDate = amzDateHeader !== undefined ? amzDateHeader.trim() : dateHeader !== undefined ? httpDateToAmz(dateHeader) : null;
  if ('missing' in params || amzDate === null) {
    const parts = 'missing' in params ? params.missing.map((m) => `Authorization header requires '${m}' parameter.`) : [];
    if (amzDate === null) parts.push("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
    return fail('IncompleteSignature', `${parts.join(' ')} Authorization=${authorization}`);
  }
  const scope = parseCredential(params.credential);
  if (scope === null) {
    return fail('IncompleteSignature', `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${params.credential}'`);
  }
  const claimed = { accessKeyId: scope.accessKeyId, scheme: 'sigv4' as const };
  // over HTTP/2 the JS SDK signs `:authority` instead of `host`
  if (!(params.signedHeaders.includes('host') || params.signedHeaders.includes(':authority')) || params.signedHeaders.length > MAX_SIGNED_HEADERS) {
    return fail('IncompleteSignature', "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.", claimed);
  }
  if (scope.terminator !== 'aws4_request') {
    return fail('WrongTerminatorScope', `Credential should be scoped with a valid terminator: 'aws4_request', not '${scope.terminator}'. `, claimed);
  }
  if (scope.service !== options.service) {
    return fail('WrongServiceScope', `Credential should be scoped to correct service: '${options.service}'. `, claimed);
  }
  if (!regionAccepted(scope.region, options.region)) {
    return fail('WrongRegionScope', typeof options.region === 'string' && /^[a-z]{2}(-[a-z]+)+-\d$/.test(scope.region)
      ? `Credential should be scoped to a valid region, not '${scope.region}'. `
      : 'Credential should be scoped to a valid region.', claimed);
  }
  const t = parseAmzDate(amzDate);
  if (t === null) {
    return fail('IncompleteSignature', `Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=${authorization}`, claimed);
  }
  if (now - t > MAX_SKEW_MS) return fail('SignatureExpired', skewMessage('expired', amzDate, now), claimed);
  if (t - now > MAX_SKEW_MS) return fail('SignatureNotYetCurrent', skewMessage('not-yet', amzDate, now), claimed);
  if (scope.date !== amzDate.slice(0, 8)) {
    return fail('ScopeDateMismatch', `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scope.date}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`, claimed);
  }
  const entry = options.lookupAccessKey(scope.accessKeyId);
  if (entry === undefined) return fail('UnrecognizedClient', 'The security token included in the request is invalid.', claimed);
  const token = first(headers, 'x-amz-security-token');
  if (!tokenMatches(entry, token, scope.accessKeyId)) {
    return fail('UnrecognizedClient', 'The security token included in the request is invalid.', claimed);
  }
  const payloadHash = oneShotHash('sha256', req.body, 'hex');
  const declared = first(headers, 'x-amz-content-sha256');
  if (declared !== undefined && declared.trim().toLowerCase() !== payloadHash) {
    return fail('InvalidSignature', INVALID_SIGNATURE_TEXT, claimed);
  }
  const { rawPath, rawQuery } = splitUrl(req.url);
  const check = checkSignature(
    { method: req.method, rawPath, rawQuery, headers, signedHeaders: params.signedHeaders, signature: params.signature, scope, amzDate, payloadHash },
    entry,
  );
  if (!check.match) {
    return fail('InvalidSignature', mismatchMessage(options.explainMismatch ?? true, check.canonical, check.toSign, params.signedHeaders), claimed);
  }
  return { ok: true, scheme: 'sigv4', accessKeyId: scope.accessKeyId, region: scope.region, service: scope.service };
}

function tokenMatches(entry: AwsSecretEntry, token: string | undefined, accessKeyId: string): boolean {
  if (entry.sessionToken === undefined) return token === undefined && !accessKeyId.startsWith('ASIA');
  return token !== undefined && safeEqual(sha256Hex(token.trim()), sha256Hex(entry.sessionToken));
}

function httpDateToAmz(text: string): string | null {
  const t = Date.parse(text);
  return Number.isNaN(t) ? null : formatAmzDate(t);
}

/**
 * Verify a presigned SigV4 URL (query authentication): `host` is the Host it was signed for,
 * `pathAndQuery` the URL without scheme and host. Used for short-term Bedrock API keys.
 */
function verifyPresignedUrl(
  method: string,
  host: string,
  pathAndQuery: string,
  options: AuthOptions & { readonly maxExpiresSec?: number; readonly unsignedQuery?: ReadonlySet<string> },
): AuthResult {
  const now = options.now ?? Date.now();
  const { rawPath, rawQuery } = splitUrl(pathAndQuery);
  const q = new Map<string, string>();
  for (const part of rawQuery.split('&')) {
    const eq = part.indexOf('=');
    if (eq > 0) q.set(percentDecode(part.slice(0, eq)), percentDecode(part.slice(eq + 1)));
  }
  const invalid = (accessKeyId?: string): AuthResult =>
    fail('BearerKeyInvalid', 'Authentication failed: Please make sure your API Key is valid.', { scheme: 'bearer-short', ...(accessKeyId === undefined ? {} : { accessKeyId }) });
  const credential = q.get('X-Amz-Credential');
  const amzDate = q.get('X-Amz-Date');
  const expires = Number(q.get('X-Amz-Expires') ?? 'NaN');
  const signature = q.get('X-Amz-Signature');
  const signed = (q.get('X-Amz-SignedHeaders') ?? '').split(';').filter((h) => h !== '');
  if (q.get('X-Amz-Algorithm') !== ALGORITHM || credential === undefined || amzDate === undefined || signature === undefined) return invalid();
  const scope = parseCredential(credential);
  if (scope === null) return invalid();
  if (scope.terminator !== 'aws4_request' || scope.service !== options.service || !regionAccepted(scope.region, options.region)) return invalid(scope.accessKeyId);
  const t = parseAmzDate(amzDate);
  const maxExpires = options.maxExpiresSec ?? 604_800;
  if (t === null || !Number.isInteger(expires) || expires <= 0 || expires > maxExpires) return invalid(scope.accessKeyId);
  if (scope.date !== amzDate.slice(0, 8) || now > t + expires * 1000 || t - now > MAX_SKEW_MS) return invalid(scope.accessKeyId);
  if (!signed.includes('host') || signed.length > MAX_SIGNED_HEADERS) return invalid(scope.accessKeyId);
  const entry = options.lookupAccessKey(scope.accessKeyId);
  if (entry === undefined) return invalid(scope.accessKeyId);
  if (!tokenMatches(entry, q.get('X-Amz-Security-Token'), scope.accessKeyId)) return invalid(scope.accessKeyId);
  const headers = new Map<string, string[]>([['host', [host]]]);
  const exclude = new Set(['X-Amz-Signature', ...(options.unsignedQuery ?? [])]);
  const check = checkSignature(
    { method, rawPath, rawQuery, headers, signedHeaders: signed, signature, scope, amzDate, payloadHash: EMPTY_SHA256, excludeQuery: exclude },
    entry,
  );
  if (!check.match) return invalid(scope.accessKeyId);
  return { ok: true, scheme: 'bearer-short', accessKeyId: scope.accessKeyId, region: scope.region, service: scope.service };
}

/** Decode a short-term key to the presigned URL it carries (`host/?Action=CallWithBearerToken&…&Version=1`). */
export function decodeShortTermKey(token: string): { host: string; pathAndQuery: string } | null {
  if (!token.startsWith(BEARER_SHORT_PREFIX)) return null;
  const b64 = token.slice(BEARER_SHORT_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return null;
  const text = Buffer.from(b64, 'base64').toString('utf8');
  const slash = text.indexOf('/');
  if (slash <= 0 || !/^[A-Za-z0-9.-]+(:\d+)?$/.test(text.slice(0, slash))) return null;
  return { host: text.slice(0, slash), pathAndQuery: text.slice(slash) };
}

/**
 * The account a long-term key names: `ABSK` + base64(`BedrockAPIKey-<id>-at-<account>:<secret>`)
 * [DOC: IAM service-specific credentials for Bedrock; INF for the exact layout].
 */
export function longTermKeyAccount(token: string): string | null {
  if (!token.startsWith(BEARER_LONG_PREFIX)) return null;
  const text = Buffer.from(token.slice(BEARER_LONG_PREFIX.length), 'base64').toString('latin1');
  const m = /-at-(\d{12})(?::|$)/.exec(text.slice(0, 256));
  return m ? (m[1] ?? null) : null;
}

function verifyBearer(token: string, options: AuthOptions): AuthResult {
  if (token.length > MAX_BEARER_LENGTH) return fail('BearerKeyFormat', 'Invalid API Key format: Must start with pre-defined prefix');
  if (token.startsWith(BEARER_LONG_PREFIX)) {
    const hash = sha256Hex(token);
    if (/^ABSK[A-Za-z0-9+/]+={0,2}$/.test(token) && options.lookupBearerHash?.(hash) === true) {
      const region = typeof options.region === 'string' ? options.region : 'us-east-1';
      const account = longTermKeyAccount(token);
      return { ok: true, scheme: 'bearer-long', accessKeyId: null, bearerHash: hash, ...(account === null ? {} : { bearerAccountId: account }), region, service: options.service };
    }
    return fail('BearerKeyInvalid', 'Authentication failed: Please make sure your API Key is valid.', { scheme: 'bearer-long' });
  }
  if (token.startsWith(BEARER_SHORT_PREFIX)) {
    const url = decodeShortTermKey(token);
    if (url === null || !/[?&]Action=CallWithBearerToken(&|$)/.test(url.pathAndQuery)) {
      return fail('BearerKeyInvalid', 'Authentication failed: Please make sure your API Key is valid.', { scheme: 'bearer-short' });
    }
    return verifyPresignedUrl('POST', url.host, url.pathAndQuery, { ...options, maxExpiresSec: BEARER_MAX_EXPIRES, unsignedQuery: new Set(['Version']) });
  }
  return fail('BearerKeyFormat', 'Invalid API Key format: Must start with pre-defined prefix');
}

/**
 * Authenticate one request. `req.body` must be the complete body (SigV4 signs its hash).
 */
export function authenticate(req: InboundRequest, options: AuthOptions): AuthResult {
  const headers = headerMap(req.rawHeaders);
  const authValues = headers.get('authorization');
  const authorization = authValues?.[0]?.trim();
  if (authorization === undefined || authorization === '') {
    return fail('MissingAuthorization', 'Authorization header is missing');
  }
  if (authValues !== undefined && authValues.length > 1) {
    return fail('IncompleteSignature', 'Authorization header may only be specified once.');
  }
  if (authorization.startsWith(`${ALGORITHM} `)) return verifySigV4Header(req, authorization, headers, options);
  if (/^bearer /i.test(authorization) && options.allowBearer === true) return verifyBearer(authorization.slice(7).trim(), options);
  // any other scheme (and Bearer where no API keys exist): treated as an unrecognised API key, never echoed
  return fail('BearerKeyFormat', 'Invalid API Key format: Must start with pre-defined prefix');
}
