/**
 * Who answered, and what the answer means. A provider's error is recognised only when several
 * independent traits agree: the body shape of that provider's errors, AND a header only that
 * provider's edge writes in that format (request-id shape, account headers), AND nothing that
 * betrays an intermediary (Via, a proxy's Server, a proxy error header, an HTML page). One forged
 * header (an intercepting proxy's `x-amzn-ErrorType`) is not enough.
 *
 * A recognised error that refuses service (region/network denied, quota exhausted, rate limited,
 * access denied) is a block: it says who refused (the provider itself when the target is the
 * provider's public host, otherwise the gateway policy in front of it) and why. An authentication
 * error is not a block: the request reached something that answers as the provider does.
 */
import type { CheckerVerdict, VerdictRule } from './flows.js';
import { getPath } from './json.js';
import type { Surface } from './profiles.js';
import { decodedBody, headerValue, type ParsedResponse } from './response.js';

/** Who refused a request. */
export type Refuser = 'network' | 'edge-proxy' | 'gateway-policy' | 'provider' | 'simulator';

/** What kind of refusal a provider-shaped error means. */
export type RefusalKind = 'network-denied' | 'quota' | 'rate-limited' | 'access-denied';

export interface ProviderAnswer {
  /** true when the answer is the provider's own error shape, with corroborating headers */
  readonly recognized: boolean;
  /** the provider's error code (`insufficient_quota`, `ThrottlingException`, …) */
  readonly code?: string;
  readonly message?: string;
  /** the traits that matched */
  readonly evidence: readonly string[];
  /** traits that contradict a provider answer (intermediary markers) */
  readonly contradictions: readonly string[];
  /** set when the error refuses service */
  readonly refusal?: { readonly kind: RefusalKind; readonly why: string };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const OPENAI_REQUEST_ID = /^req_[0-9a-f]{32}$/;
const ANTHROPIC_REQUEST_ID = /^req_[0-9A-Za-z]{24}$/;
const CF_RAY = /^[0-9a-f]{16}-[A-Z]{3}$/;
const AWS_ERROR_TYPE = /^[A-Za-z][A-Za-z0-9]*(?::http:\/\/internal\.amazon\.com\/coral\/[A-Za-z0-9._/-]+)?$/;
/** Server header values of proxies, firewalls and TLS inspectors (never a provider's). */
const PROXY_SERVER = /squid|bluecoat|proxysg|zscaler|fortigate|fortiweb|palo ?alto|pan-os|mcafee|websense|forcepoint|netskope|sophos|checkpoint|barracuda|privoxy|tinyproxy|mitmproxy|ziproxy|polipo/i;
/** Headers only intermediaries write. */
const INTERMEDIARY_HEADERS = ['x-squid-error', 'x-cache-lookup', 'proxy-connection', 'proxy-agent', 'x-bluecoat-via', 'x-zscaler-transaction-id'];

/** `Via` values the providers' own fronts write (Anthropic's API answers through Google's front end). */
const PROVIDER_VIA = /^1\.1 google$/i;

/** Provider-owned public hosts: a refusal from one of them is the provider's own. */
const PROVIDER_HOST = /(^|\.)(api\.openai\.com|amazonaws\.com|amazonaws\.com\.cn|api\.anthropic\.com|openai\.azure\.com|cognitiveservices\.azure\.com|generativelanguage\.googleapis\.com|aiplatform\.googleapis\.com)\.?$/i;

export function isProviderHost(hostname: string): boolean {
  return PROVIDER_HOST.test(hostname);
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function contradictionsOf(res: ParsedResponse): string[] {
  const out: string[] = [];
  for (const name of INTERMEDIARY_HEADERS) if (headerValue(res.headers, name) !== undefined) out.push(`${name} header`);
  const via = headerValue(res.headers, 'via');
  if (via !== undefined && !PROVIDER_VIA.test(via.trim())) out.push('via header');
  const server = headerValue(res.headers, 'server');
  if (server !== undefined && PROXY_SERVER.test(server)) out.push(`Server: ${server.slice(0, 40)}`);
  const ctype = (headerValue(res.headers, 'content-type') ?? '').toLowerCase();
  if (ctype.startsWith('text/html')) out.push('an HTML page');
  return out;
}

function openaiAnswer(res: ParsedResponse, body: Buffer): Omit<ProviderAnswer, 'recognized' | 'contradictions' | 'refusal'> & { shape: boolean } {
  const doc = parseJson(body);
  const message = str(getPath(doc, 'error.message'));
  const type = getPath(doc, 'error.type');
  const shape = message !== undefined && (typeof type === 'string' || type === null);
  const evidence: string[] = [];
  if (shape) evidence.push('body {error:{message,type}}');
  const rid = headerValue(res.headers, 'x-request-id');
  if (rid !== undefined && OPENAI_REQUEST_ID.test(rid)) evidence.push('x-request-id req_<32 hex>');
  if (headerValue(res.headers, 'openai-version') !== undefined || headerValue(res.headers, 'openai-organization') !== undefined) {
    evidence.push('openai-* account headers');
  }
  const ray = headerValue(res.headers, 'cf-ray');
  if (ray !== undefined && CF_RAY.test(ray)) evidence.push('CF-RAY');
  const code = str(getPath(doc, 'error.code')) ?? str(type);
  return { shape, evidence, ...(code !== undefined ? { code } : {}), ...(message !== undefined ? { message } : {}) };
}

function awsAnswer(res: ParsedResponse, body: Buffer): Omit<ProviderAnswer, 'recognized' | 'contradictions' | 'refusal'> & { shape: boolean } {
  const evidence: string[] = [];
  const errorType = headerValue(res.headers, 'x-amzn-errortype');
  const typeOk = errorType !== undefined && AWS_ERROR_TYPE.test(errorType);
  const rid = headerValue(res.headers, 'x-amzn-requestid') ?? headerValue(res.headers, 'x-amz-request-id');
  if (rid !== undefined && UUID.test(rid)) evidence.push('x-amzn-RequestId UUID');
  let code = typeOk ? (errorType ?? '').split(':')[0] : undefined;
  let message: string | undefined;
  let shape = false;
  const text = body.toString('utf8');
  const doc = parseJson(body);
  if (doc !== null && typeof doc === 'object' && !Array.isArray(doc)) {
    message = str(getPath(doc, 'message')) ?? str(getPath(doc, 'Message'));
    const keys = Object.keys(doc);
    // JSON protocols: {"message"} / {"Message"}, `__type` on some services, `{}` for UnknownOperation
    shape = typeOk && (message !== undefined || keys.length === 0);
    const t = str(getPath(doc, '__type'));
    if (code === undefined && t !== undefined) code = t.split('#').pop();
  } else {
    // Query protocols (STS, IAM): <ErrorResponse><Error><Code>…</Code><Message>…</Message></Error><RequestId>…
    const xmlCode = /<Error>[\s\S]*?<Code>([A-Za-z.]+)<\/Code>/.exec(text)?.[1];
    const xmlId = /<RequestId>([0-9a-f-]{36})<\/RequestId>/i.exec(text)?.[1];
    if (xmlCode !== undefined && /<ErrorResponse\b/.test(text)) {
      shape = true;
      code = xmlCode;
      message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1];
      if (xmlId !== undefined && rid !== undefined && xmlId === rid) evidence.push('RequestId in body equals the header');
    }
  }
  if (shape) evidence.unshift(typeOk ? 'x-amzn-ErrorType and body {message}' : 'AWS XML ErrorResponse');
  return { shape, evidence, ...(code !== undefined ? { code } : {}), ...(message !== undefined ? { message } : {}) };
}

function anthropicAnswer(res: ParsedResponse, body: Buffer): Omit<ProviderAnswer, 'recognized' | 'contradictions' | 'refusal'> & { shape: boolean } {
  const doc = parseJson(body);
  const message = str(getPath(doc, 'error.message'));
  const type = str(getPath(doc, 'error.type'));
  const shape = getPath(doc, 'type') === 'error' && message !== undefined && type !== undefined;
  const evidence: string[] = [];
  if (shape) evidence.push('body {type:error,error:{type,message}}');
  const rid = headerValue(res.headers, 'request-id');
  if (rid !== undefined && ANTHROPIC_REQUEST_ID.test(rid)) evidence.push('request-id req_<24>');
  if (headerValue(res.headers, 'anthropic-organization-id') !== undefined) evidence.push('anthropic-organization-id');
  const ray = headerValue(res.headers, 'cf-ray');
  if (ray !== undefined && CF_RAY.test(ray)) evidence.push('CF-RAY');
  return { shape, evidence, ...(type !== undefined ? { code: type } : {}), ...(message !== undefined ? { message } : {}) };
}

function azureAnswer(res: ParsedResponse, body: Buffer): Omit<ProviderAnswer, 'recognized' | 'contradictions' | 'refusal'> & { shape: boolean } {
  const doc = parseJson(body);
  const message = str(getPath(doc, 'error.message'));
  const rawCode = getPath(doc, 'error.code');
  const code = typeof rawCode === 'string' || typeof rawCode === 'number' ? String(rawCode) : undefined;
  const shape = message !== undefined && code !== undefined;
  const evidence: string[] = [];
  if (shape) evidence.push('body {error:{code,message}}');
  const apim = headerValue(res.headers, 'apim-request-id');
  if (apim !== undefined && UUID.test(apim)) evidence.push('apim-request-id UUID');
  if (headerValue(res.headers, 'x-ms-region') !== undefined) evidence.push('x-ms-region');
  return { shape, evidence, ...(code !== undefined ? { code } : {}), ...(message !== undefined ? { message } : {}) };
}

function geminiAnswer(res: ParsedResponse, body: Buffer): Omit<ProviderAnswer, 'recognized' | 'contradictions' | 'refusal'> & { shape: boolean } {
  const doc = parseJson(body);
  const message = str(getPath(doc, 'error.message'));
  const status = str(getPath(doc, 'error.status'));
  const shape = message !== undefined && status !== undefined && typeof getPath(doc, 'error.code') === 'number';
  const evidence: string[] = [];
  if (shape) evidence.push('body {error:{code,message,status}}');
  const server = headerValue(res.headers, 'server') ?? '';
  if (/^(scaffolding on HTTPServer2|ESF)$/.test(server)) evidence.push(`Server: ${server}`);
  if (/^gfet4t7; dur=\d+/.test(headerValue(res.headers, 'server-timing') ?? '')) evidence.push('Server-Timing gfet4t7');
  return { shape, evidence, ...(status !== undefined ? { code: status } : {}), ...(message !== undefined ? { message } : {}) };
}

function refusalOf(surface: Surface, status: number, code: string | undefined): ProviderAnswer['refusal'] {
  const c = (code ?? '').toLowerCase();
  if (surface === 'bedrock') {
    if (c.startsWith('throttling') || c === 'toomanyrequestsexception') return { kind: 'rate-limited', why: `rate limited (${code ?? status})` };
    if (c === 'servicequotaexceededexception') return { kind: 'quota', why: `quota exceeded (${code ?? status})` };
    if (c === 'accessdeniedexception' || c === 'accessdenied') return { kind: 'access-denied', why: `access denied (${code ?? status})` };
    return undefined;
  }
  if (surface === 'gemini') {
    if (c === 'resource_exhausted') return { kind: 'rate-limited', why: 'quota or rate limit (RESOURCE_EXHAUSTED)' };
    if (c === 'permission_denied') return { kind: 'access-denied', why: 'access denied (PERMISSION_DENIED)' };
    if (c === 'failed_precondition') return { kind: 'network-denied', why: 'not available in this region (FAILED_PRECONDITION)' };
    return undefined;
  }
  if (surface === 'azure-openai') {
    if (status === 429) return { kind: 'rate-limited', why: `rate limited (${code ?? status})` };
    if (status === 403) return { kind: 'access-denied', why: `access denied (${code ?? status})` };
    return undefined;
  }
  if (surface === 'anthropic') {
    if (c === 'rate_limit_error') return { kind: 'rate-limited', why: 'rate limited (rate_limit_error)' };
    if (c === 'permission_error') return { kind: 'access-denied', why: 'access denied (permission_error)' };
    return undefined;
  }
  if (c === 'unsupported_country_region_territory' || c === 'request_forbidden') return { kind: 'network-denied', why: `network/region denied (${code ?? status})` };
  if (c === 'insufficient_quota') return { kind: 'quota', why: 'quota exhausted (insufficient_quota)' };
  if (c === 'rate_limit_exceeded' || c === 'requests' || c === 'tokens' || (status === 429 && c !== '')) return { kind: 'rate-limited', why: `rate limited (${code ?? status})` };
  return undefined;
}

/**
 * Is this response the provider's own error? Needs the body shape, at least one corroborating
 * header, and no intermediary marker. Returns the traits either way (for the report).
 */
export function recognizeProvider(surface: Surface, res: ParsedResponse): ProviderAnswer {
  if (res.status < 400) return { recognized: false, evidence: [], contradictions: [] };
  let body: Buffer;
  try {
    body = decodedBody(res);
  } catch {
    return { recognized: false, evidence: [], contradictions: ['undecodable body'] };
  }
  const a =
    surface === 'bedrock'
      ? awsAnswer(res, body)
      : surface === 'anthropic'
        ? anthropicAnswer(res, body)
        : surface === 'azure-openai'
          ? azureAnswer(res, body)
          : surface === 'gemini'
            ? geminiAnswer(res, body)
            : openaiAnswer(res, body);
  const contradictions = contradictionsOf(res);
  const recognized = a.shape && a.evidence.length >= 2 && contradictions.length === 0;
  const refusal = recognized ? refusalOf(surface, res.status, a.code) : undefined;
  return {
    recognized,
    evidence: a.evidence,
    contradictions,
    ...(a.code !== undefined ? { code: a.code } : {}),
    ...(a.message !== undefined ? { message: a.message } : {}),
    ...(refusal ? { refusal } : {}),
  };
}

// ───────────────────────────── key-checker verdicts ─────────────────────────────

export interface CheckerJudgement {
  readonly verdict: CheckerVerdict;
  readonly why: string;
}

function statusOk(want: number | readonly number[] | undefined, status: number): boolean {
  if (want === undefined) return true;
  return typeof want === 'number' ? want === status : want.includes(status);
}

function numericHeader(res: ParsedResponse, name: string): number | undefined {
  const v = headerValue(res.headers, name);
  if (v === undefined) return undefined;
  const n = Number(v.trim());
  return Number.isFinite(n) ? n : undefined;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Does one rule hold for this answer? */
function ruleHolds(rule: VerdictRule, surface: Surface, res: ParsedResponse): boolean {
  if (!statusOk(rule.status, res.status)) return false;
  let text: string | undefined;
  const body = (): string => {
    if (text === undefined) {
      try {
        text = decodedBody(res).toString('utf8');
      } catch {
        text = '';
      }
    }
    return text;
  };
  if (rule.code) {
    const a = recognizeProvider(surface, res);
    if (!a.recognized || a.code === undefined || !rule.code.includes(a.code)) return false;
  }
  if (rule.json) {
    const doc = parseJson(Buffer.from(body(), 'utf8'));
    for (const [path, want] of Object.entries(rule.json)) if (!sameJson(getPath(doc, path), want)) return false;
  }
  for (const [name, min] of Object.entries(rule.header_min ?? {})) {
    const n = numericHeader(res, name);
    if (n === undefined || n < min) return false;
  }
  for (const [name, max] of Object.entries(rule.header_max ?? {})) {
    const n = numericHeader(res, name);
    if (n === undefined || n > max) return false;
  }
  if (rule.body_match !== undefined && !new RegExp(rule.body_match, 'i').test(body())) return false;
  if (rule.body_not_match !== undefined && new RegExp(rule.body_not_match, 'i').test(body())) return false;
  return true;
}

/**
 * What the key checker concludes from this probe's answer: the first rule that holds, else
 * `unexpected` (an answer the checker does not know, which it logs and a careful thief notices).
 */
export function judge(rules: readonly VerdictRule[], surface: Surface, res: ParsedResponse | undefined, failure?: string): CheckerJudgement {
  if (!res) return { verdict: 'unexpected', why: `no answer (${failure ?? 'no response'})` };
  for (const rule of rules) if (ruleHolds(rule, surface, res)) return { verdict: rule.verdict, why: rule.why };
  return { verdict: 'unexpected', why: `no rule matches the ${res.status} answer` };
}

const SEVERITY: readonly CheckerVerdict[] = ['revoked', 'unexpected', 'no-access', 'quota', 'pozzed', 'trial', 'live'];

/** A checker's verdict over all its probes: the most severe one (a key is live only if every probe says so). */
export function overallVerdict(verdicts: readonly CheckerVerdict[]): CheckerVerdict {
  for (const v of SEVERITY) if (verdicts.includes(v)) return v;
  return 'unexpected';
}
