/**
 * Writing OpenAI answers onto a node:http response: errors from the registry in their layer's
 * exact JSON layout, JSON successes, and the header set of each profile.
 */
import type { HttpResponse } from '../../core/http.js';
import { openaiJson, toJson } from '../../util/json.js';
import { endBody } from '../../util/write-head.js';
import { OPENAI_ERRORS, openaiError, type OpenAIErrorBody, type OpenAIErrorCode, type OpenAILayer } from './errors.js';
import { accountFor, edgeFamily, openaiHeaders, openaiRequestId, type AccountHeaders, type OpenAIHeaderProfile } from './headers.js';

const jsonOrNull = (value: string | null): string => (value === null ? 'null' : JSON.stringify(value));

/**
 * `JSON.stringify({ error: { message, type, param, code } }, null, indent)` written as a template:
 * the indenting stringify was ~2% of the reject path's CPU (issue 11 profile); the bytes are the
 * same (test/openai/render.test.ts compares the two).
 */
export function formatErrorBody(error: OpenAIErrorBody, layer: OpenAILayer): string {
  const [one, two, end] = layer === 'legacy' ? ['\n    ', '\n        ', '\n}\n'] : ['\n  ', '\n    ', '\n}'];
  return `{${one}"error": {${two}"message": ${JSON.stringify(error.message)},${two}"type": ${JSON.stringify(error.type)},${two}"param": ${jsonOrNull(error.param)},${two}"code": ${jsonOrNull(error.code)}${one}}${end}`;
}

export interface RenderOptions {
  readonly account?: AccountHeaders;
  readonly processingMs?: number;
  readonly requestId?: string;
  readonly extraHeaders?: readonly string[];
  readonly head?: boolean;
}

/** Write an error; returns the bytes written. */
export function writeOpenAIErrorBody(
  res: HttpResponse,
  status: number,
  error: OpenAIErrorBody,
  layer: OpenAILayer,
  options: RenderOptions = {},
): number {
  const body = formatErrorBody(error, layer);
  const length = Buffer.byteLength(body);
  const family = edgeFamily(res.req.url);
  const profile: OpenAIHeaderProfile = layer === 'legacy' ? 'legacy' : status === 401 ? 'unauthorized' : family.profile;
  const account = status === 401 ? undefined : accountFor(family, options.account);
  const headers = openaiHeaders({
    profile,
    contentType: layer === 'legacy' ? 'application/json; charset=utf-8' : 'application/json',
    // legacy-layer errors are sent chunked (and so compressed), current-layer ones with a length
    ...(layer === 'legacy' ? {} : { contentLength: length }),
    processingMs: options.processingMs ?? 2 + Math.floor(Math.random() * 9),
    requestId: options.requestId ?? openaiRequestId(),
    ...(account ? { account } : {}),
    proxyWasm: family.proxyWasm,
    edge2605: family.edge2605 === true,
    requestCookie: res.req.headers.cookie,
  });
  if (options.extraHeaders) headers.push(...options.extraHeaders);
  return endBody(res, status, headers, body, options.head === true);
}

export function writeOpenAIError(
  res: HttpResponse,
  code: OpenAIErrorCode,
  args: readonly string[] = [],
  options: RenderOptions & { param?: string | null; layer?: OpenAILayer } = {},
): number {
  const spec = OPENAI_ERRORS[code];
  return writeOpenAIErrorBody(res, spec.status, openaiError(code, args, options.param ?? null), options.layer ?? spec.layer, options);
}

/**
 * A JSON success, 2-space indented and chunked as the API sends it; with a trailing newline except
 * on the Responses API, whose bodies end at the closing brace [REC 2026-02, 2026-03].
 */
export function writeOpenAIJson(
  res: HttpResponse,
  status: number,
  value: unknown,
  profile: OpenAIHeaderProfile,
  options: RenderOptions & { model?: string },
): number {
  const family = edgeFamily(res.req.url);
  const body = family.profile === 'responses' ? toJson(value, { indent: 2 }) : openaiJson(value);
  const account = accountFor(family, options.account);
  const headers = openaiHeaders({
    profile: profile === 'chat' ? family.profile : profile,
    contentType: 'application/json',
    processingMs: options.processingMs ?? 100,
    requestId: options.requestId ?? openaiRequestId(),
    ...(account ? { account } : {}),
    ...(options.model !== undefined ? { model: options.model } : {}),
    proxyWasm: family.proxyWasm,
    edge2605: family.edge2605 === true,
    requestCookie: res.req.headers.cookie,
  });
  if (options.extraHeaders) headers.push(...options.extraHeaders);
  return endBody(res, status, headers, body, options.head === true);
}

/** Any prepared answer (probe answers): success JSON, or an error body in its layer's layout. */
export function writeOpenAIAnswer(
  res: HttpResponse,
  status: number,
  body: unknown,
  layer: OpenAILayer,
  options: RenderOptions,
): number {
  if (status < 400) return writeOpenAIJson(res, status, body, 'chat', options);
  const error = (body as { error?: OpenAIErrorBody } | null)?.error;
  if (error) return writeOpenAIErrorBody(res, status, error, layer, options);
  const text = JSON.stringify(body, null, 2);
  const family = edgeFamily(res.req.url);
  const account = accountFor(family, options.account);
  const headers = openaiHeaders({
    profile: family.profile,
    contentType: 'application/json',
    contentLength: Buffer.byteLength(text),
    processingMs: options.processingMs ?? 5,
    requestId: options.requestId ?? openaiRequestId(),
    ...(account ? { account } : {}),
    proxyWasm: family.proxyWasm,
    edge2605: family.edge2605 === true,
    requestCookie: res.req.headers.cookie,
  });
  return endBody(res, status, headers, text, options.head === true);
}
