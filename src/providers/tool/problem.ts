/**
 * Errors of the tool surface: RFC 9457 problem details (`application/problem+json`), one registry of
 * stable codes (the fastify habit). Every refusal uses `type: "about:blank"` with the HTTP status
 * phrase as title (RFC 9457 §4.2.1), so a refused caller learns the status and nothing about which
 * policy refused: network lists, blocks, denied methods and denied tools all read "Forbidden".
 * A `detail` is given only where the caller can fix the request (validation, size, syntax).
 * 401 answers carry an RFC 6750 §3 `WWW-Authenticate: Bearer` challenge; for OAuth routes with
 * RFC 9728 metadata it names `resource_metadata` (MCP authorization, 2025-06-18).
 */
import type { HttpResponse } from '../../core/http.js';

export const TOOL_PROBLEMS = {
  HG_TOOL_BAD_REQUEST: { status: 400, title: 'Bad Request' },
  HG_TOOL_INVALID_REQUEST: { status: 400, title: 'Bad Request' },
  HG_TOOL_UNAUTHORIZED: { status: 401, title: 'Unauthorized' },
  HG_TOOL_FORBIDDEN: { status: 403, title: 'Forbidden' },
  HG_TOOL_NOT_FOUND: { status: 404, title: 'Not Found' },
  HG_TOOL_METHOD_NOT_ALLOWED: { status: 405, title: 'Method Not Allowed' },
  HG_TOOL_TOO_LARGE: { status: 413, title: 'Content Too Large' },
  HG_TOOL_RATE_LIMITED: { status: 429, title: 'Too Many Requests' },
  HG_TOOL_UPSTREAM_ERROR: { status: 502, title: 'Bad Gateway' },
  HG_TOOL_UNAVAILABLE: { status: 503, title: 'Service Unavailable' },
  HG_TOOL_UPSTREAM_TIMEOUT: { status: 504, title: 'Gateway Timeout' },
} as const satisfies Record<string, { readonly status: number; readonly title: string }>;

export type ToolProblemCode = keyof typeof TOOL_PROBLEMS;

export interface ProblemOptions {
  readonly detail?: string;
  /** extra members (RFC 9457 §3.2), e.g. `errors` */
  readonly extra?: Readonly<Record<string, unknown>>;
  readonly headers?: Readonly<Record<string, string>>;
  readonly head?: boolean;
}

export function problemBody(code: ToolProblemCode, options: ProblemOptions = {}): string {
  const p = TOOL_PROBLEMS[code];
  return JSON.stringify({
    type: 'about:blank',
    title: p.title,
    status: p.status,
    ...(options.detail !== undefined ? { detail: options.detail } : {}),
    ...options.extra,
  });
}

export function writeProblem(res: HttpResponse, code: ToolProblemCode, options: ProblemOptions = {}): void {
  if (res.headersSent || res.destroyed) {
    if (!res.destroyed && !res.writableEnded) res.destroy();
    return;
  }
  const body = problemBody(code, options);
  const status = TOOL_PROBLEMS[code].status;
  res.statusCode = status;
  res.setHeader('content-type', 'application/problem+json');
  res.setHeader('content-length', Buffer.byteLength(body));
  if (status === 401 || status === 403) res.setHeader('cache-control', 'no-store');
  for (const [k, v] of Object.entries(options.headers ?? {})) res.setHeader(k, v);
  res.end(options.head ? undefined : body);
}

/** RFC 6750 §3 / RFC 9728 §5.1 challenge. Values are quoted-string safe (no `"` or `\` in them). */
export function bearerChallenge(params: Readonly<Record<string, string | undefined>>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(params)) if (v !== undefined) parts.push(`${k}="${v.replace(/["\\]/g, '')}"`);
  return parts.length > 0 ? `Bearer ${parts.join(', ')}` : 'Bearer';
}
