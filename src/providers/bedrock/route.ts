/**
 * Bedrock Runtime routing: `POST /model/{modelId}/{converse|converse-stream|invoke|
 * invoke-with-response-stream|count-tokens}` with the model id percent-encoded as the SDKs send it
 * (`us.amazon.nova-micro-v1%3A0`, ARNs with `%3A` and `%2F`).
 *
 * Two stages, as the service does them: a path that names no operation is refused before
 * authentication (`UnknownOperationException`); a model id that breaks the member constraints
 * (length ≤ 2048, the service-model pattern) is a ValidationException, sent only after the
 * signature checks out (B5.6) — so `parseBedrockPath` returns it as `invalid`, not as a failure.
 * Catalog lookup (unknown id → `The provided model identifier is invalid.`) is `resolveModel`.
 */
import { BEDROCK_REGIONS, type CatalogModel, type ModelFamily, type ProfileGeo, PROFILE_GEOS, catalogModel, detectFamily, geoOfRegion } from './models.js';
import type { BedrockErrorCode } from './errors.js';

export type BedrockOperation = 'Converse' | 'ConverseStream' | 'InvokeModel' | 'InvokeModelWithResponseStream' | 'CountTokens';

const OPERATIONS: Readonly<Record<string, BedrockOperation>> = {
  converse: 'Converse',
  'converse-stream': 'ConverseStream',
  invoke: 'InvokeModel',
  'invoke-with-response-stream': 'InvokeModelWithResponseStream',
  'count-tokens': 'CountTokens',
};

export const STREAMING_OPERATIONS: ReadonlySet<BedrockOperation> = new Set(['ConverseStream', 'InvokeModelWithResponseStream']);

/** The longest request-target we look at; anything longer is not a Bedrock call. */
export const MAX_PATH_LENGTH = 8192;
const MODEL_ID_MAX = 2048;

/** botocore `ConversationalModelId` / `InvokeModelIdentifier` pattern (service-2.json). */
const MODEL_ID_PATTERN_TEXT =
  '(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:(([0-9]{12}:custom-model/[a-z0-9-]{1,63}[.]{1}[a-z0-9-:]{1,63}/[a-z0-9]{12})|(:foundation-model/[a-z0-9-]{1,63}[.]{1}[a-z0-9-]{1,63}([.:]?[a-z0-9-]{1,63}))|([0-9]{12}:imported-model/[a-z0-9]{12})|([0-9]{12}:provisioned-model/[a-z0-9]{12})|([0-9]{12}:(inference-profile|application-inference-profile)/[a-zA-Z0-9-:.]+)))|([a-z0-9-]{1,63}[.]{1}[a-z0-9-:]{1,63})|(([0-9a-zA-Z][_-]?)+)|([a-zA-Z0-9-:.]+)';
const MODEL_ID_PATTERN = new RegExp(`^(?:${MODEL_ID_PATTERN_TEXT})$`);

export interface ValidationProblem {
  readonly code: BedrockErrorCode;
  readonly message: string;
}

export interface BedrockRoute {
  readonly operation: BedrockOperation;
  /** the path segment exactly as received (still percent-encoded) */
  readonly rawModelId: string;
  /** the decoded model id */
  readonly modelId: string;
  /** the query string as received (without `?`), usually empty */
  readonly query: string;
  /** a member-constraint violation to send after authentication, if any */
  readonly invalid?: ValidationProblem;
}

export type RouteResult = { readonly ok: true; readonly route: BedrockRoute } | { readonly ok: false; readonly error: 'UnknownOperation' };

const UNKNOWN: RouteResult = { ok: false, error: 'UnknownOperation' };
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Percent-decode one path segment. Returns null for a malformed escape (`%G1`, `%4`) or bytes that
 * are not UTF-8 — such an id can never name a model.
 */
export function decodeSegment(segment: string): string | null {
  if (!segment.includes('%')) return segment;
  const ascii = decodeAsciiSegment(segment);
  if (ascii !== undefined) return ascii;
  const bytes: number[] = [];
  for (let i = 0; i < segment.length; i++) {
    const c = segment.charCodeAt(i);
    if (c === 0x25) {
      const hex = segment.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return null;
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (c < 0x80) {
      bytes.push(c);
    } else {
      for (const b of Buffer.from(segment[i] ?? '', 'utf8')) bytes.push(b);
    }
  }
  try {
    return utf8.decode(Uint8Array.from(bytes));
  } catch {
    return null;
  }
}

/** 0–15 for an ASCII hex digit's code, else -1 (also for NaN: past the end). */
function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/**
 * `decodeSegment` for the usual model id (`us.amazon.nova-micro-v1%3A0`): ASCII characters and
 * escapes of ASCII bytes, which decode to themselves as UTF-8, without the byte array and
 * TextDecoder of the general path (decodeSegment was ~0.7% of the Bedrock path's profile, issue 11).
 * undefined: something non-ASCII, for the general path; null: a malformed escape, as there.
 */
function decodeAsciiSegment(segment: string): string | null | undefined {
  let out = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment.charCodeAt(i);
    if (c === 0x25) {
      const hi = hexValue(segment.charCodeAt(i + 1));
      const lo = hexValue(segment.charCodeAt(i + 2));
      if (hi < 0 || lo < 0) return null;
      if (hi >= 8) return undefined;
      out += String.fromCharCode(hi * 16 + lo);
      i += 2;
    } else if (c >= 0x80) {
      return undefined;
    } else {
      out += String.fromCharCode(c);
    }
  }
  return out;
}

/** RFC 3986 §5.2.4 dot-segment removal on raw segments (`.`/`..`, also written `%2E`). */
function removeDotSegments(segments: readonly string[]): string[] {
  const out: string[] = [];
  for (const s of segments) {
    const lower = s.toLowerCase();
    if (lower === '.' || lower === '%2e') continue;
    if (lower === '..' || lower === '%2e%2e' || lower === '.%2e' || lower === '%2e.') {
      out.pop();
      continue;
    }
    out.push(s);
  }
  return out;
}

function constraint(value: string, text: string): ValidationProblem {
  return {
    code: 'ConstraintViolation',
    message: `1 validation error detected: Value '${value}' at 'modelId' failed to satisfy constraint: ${text}`,
  };
}

/**
 * Route a request-target. `method` must be POST; `rawUrl` is `req.url` as received.
 */
export function parseBedrockPath(method: string, rawUrl: string): RouteResult {
  if (rawUrl.length > MAX_PATH_LENGTH || !rawUrl.startsWith('/')) return UNKNOWN;
  const q = rawUrl.indexOf('?');
  const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const query = q < 0 ? '' : rawUrl.slice(q + 1);
  const segments = removeDotSegments(rawPath.split('/').slice(1));
  if (segments.length !== 3 || segments[0] !== 'model') return UNKNOWN;
  const rawModelId = segments[1] ?? '';
  const operation = OPERATIONS[segments[2] ?? ''];
  if (operation === undefined || method !== 'POST' || rawModelId === '') return UNKNOWN;

  const decoded = decodeSegment(rawModelId);
  const modelId = decoded ?? rawModelId;
  let invalid: ValidationProblem | undefined;
  if (modelId.length > MODEL_ID_MAX) {
    invalid = constraint(modelId, `Member must have length less than or equal to ${MODEL_ID_MAX}`);
  } else if (decoded === null || !MODEL_ID_PATTERN.test(modelId)) {
    invalid = constraint(modelId, `Member must satisfy regular expression pattern: ${MODEL_ID_PATTERN_TEXT}`);
  }
  const route: BedrockRoute = invalid ? { operation, rawModelId, modelId, query, invalid } : { operation, rawModelId, modelId, query };
  return { ok: true, route };
}

export type ModelRefKind =
  | 'foundation-model'
  | 'inference-profile'
  | 'application-inference-profile'
  | 'provisioned-model'
  | 'custom-model'
  | 'imported-model'
  | 'other-arn';

export interface ModelRef {
  readonly kind: ModelRefKind;
  /** the foundation-model id behind the reference (profile prefix and ARN stripped), if it names one */
  readonly baseModelId: string | null;
  readonly family: ModelFamily;
  /** system inference-profile geography (`us.` …) */
  readonly geo?: ProfileGeo;
  readonly arnRegion?: string;
  readonly arnAccount?: string;
}

const ARN_RE = /^arn:aws(?:-[a-z-]+)?:bedrock:([a-z0-9-]*):(\d{12})?:([a-z-]+)\/(.+)$/;

function stripProfile(id: string): { geo?: ProfileGeo; base: string } {
  const dot = id.indexOf('.');
  if (dot > 0) {
    const prefix = id.slice(0, dot) as ProfileGeo;
    if ((PROFILE_GEOS as readonly string[]).includes(prefix)) return { geo: prefix, base: id.slice(dot + 1) };
  }
  return { base: id };
}

/** What a (decoded) model id refers to, and the body family it implies. */
export function parseModelRef(modelId: string): ModelRef {
  const arn = ARN_RE.exec(modelId);
  if (arn) {
    const [, region = '', account, type = '', resource = ''] = arn;
    const extra = { arnRegion: region, ...(account === undefined ? {} : { arnAccount: account }) };
    if (type === 'foundation-model') {
      return { kind: 'foundation-model', baseModelId: resource, family: detectFamily(resource), ...extra };
    }
    if (type === 'inference-profile') {
      const { geo, base } = stripProfile(resource);
      return { kind: 'inference-profile', baseModelId: base, family: detectFamily(base), ...(geo ? { geo } : {}), ...extra };
    }
    const kinds: Readonly<Record<string, ModelRefKind>> = {
      'application-inference-profile': 'application-inference-profile',
      'provisioned-model': 'provisioned-model',
      'custom-model': 'custom-model',
      'imported-model': 'imported-model',
    };
    return { kind: kinds[type] ?? 'other-arn', baseModelId: null, family: 'unknown', ...extra };
  }
  const { geo, base } = stripProfile(modelId);
  if (geo) return { kind: 'inference-profile', baseModelId: base, family: detectFamily(base), geo };
  return { kind: 'foundation-model', baseModelId: modelId, family: detectFamily(modelId) };
}

export type ResolveResult =
  | { readonly ok: true; readonly ref: ModelRef; readonly model: CatalogModel }
  | { readonly ok: false; readonly ref: ModelRef; readonly error: BedrockErrorCode; readonly message?: string };

/**
 * Decide, as the decoy must, whether a model id names a model this (pretend) account can call in
 * `region` with `operation`. Unknown ids, profiles that do not exist for the model or region, ARNs
 * of resources the account does not have → `The provided model identifier is invalid.`.
 */
export function resolveModel(modelId: string, region: string, operation: BedrockOperation, accountId?: string): ResolveResult {
  const ref = parseModelRef(modelId);
  const model = ref.baseModelId === null ? undefined : catalogModel(ref.baseModelId);
  const invalid = (): ResolveResult => ({ ok: false, ref, error: 'ModelIdentifierInvalid' });
  if (!model || !BEDROCK_REGIONS.has(region)) return invalid();
  if (ref.arnRegion !== undefined && ref.arnRegion !== region) return invalid();
  if (ref.kind === 'inference-profile') {
    if (ref.geo === undefined || !model.profiles.includes(ref.geo)) return invalid();
    if (ref.geo !== 'global' && geoOfRegion(region) !== ref.geo) return invalid();
    if (ref.arnAccount !== undefined && accountId !== undefined && ref.arnAccount !== accountId) return invalid();
  } else if (ref.kind === 'foundation-model') {
    if (!model.onDemand) {
      return {
        ok: false,
        ref,
        error: 'OnDemandUnsupported',
        message: `Invocation of model ID ${model.id} with on-demand throughput isn’t supported. Retry your request with the ID or ARN of an inference profile that contains this model.`,
      };
    }
  } else {
    return invalid();
  }
  if ((operation === 'Converse' || operation === 'ConverseStream') && !model.converse) {
    return { ok: false, ref, error: 'ConverseUnsupported' };
  }
  if ((operation === 'InvokeModelWithResponseStream' || operation === 'ConverseStream') && !model.streaming) {
    return { ok: false, ref, error: 'StreamingUnsupported' };
  }
  return { ok: true, ref, model };
}
