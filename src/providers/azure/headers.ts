/**
 * Azure OpenAI response headers, per family, and the one writer that puts them on the wire.
 * Azure answers through its API gateway (APIM) and the Cognitive Services front end; unlike
 * api.openai.com there is no Cloudflare, no cookie, no `Connection` header, and three header sets:
 * - `edge` (the gateway: 401, Resource not found, firewall): `Content-Length`, `Content-Type`,
 *   `apim-request-id`, `Date` [REC 2026-03 401];
 * - `service` (DeploymentNotFound, API version errors): adds `Strict-Transport-Security`,
 *   `x-content-type-options`, `x-ms-region` [REC 2026-03 404];
 * - `model` (a deployment's answers): adds `azureml-model-session`, `skip-error-remapping`,
 *   `x-accel-buffering`, `x-ms-deployment-name`, `x-ms-is-spilled-over`, `x-ms-rai-invoked`, the
 *   `x-ratelimit-*` set with its renewal periods and the abuse-penalty flag, `x-request-id`
 *   [REC 2026-03 200 JSON and SSE].
 * Header names are written in the recorded spelling; the recordings sort names, so the order
 * here is inferred: the gateway's `Content-*` first, `Date` last.
 */
import { randomUUID } from 'node:crypto';
import type { HttpResponse } from '../../core/http.js';
import { httpDate } from '../../util/http-date.js';
import type { AzureErrorFamily } from './errors.js';

export interface AzureModelHeaders {
  readonly region: string;
  readonly deployment: string;
  readonly modelSession: string;
  readonly limitRequests: number;
  readonly limitTokens: number;
  readonly remainingRequests: number;
  readonly remainingTokens: number;
  readonly resetRequests: number;
  readonly resetTokens: number;
  /** false for embeddings (no content filter runs) [INF] */
  readonly rai?: boolean;
}

export interface AzureHeaderInput {
  readonly family: AzureErrorFamily;
  readonly contentType?: string;
  /** undefined = chunked */
  readonly contentLength?: number;
  /** the region's display name (`East US 2`), for the service and model families */
  readonly region?: string;
  readonly model?: AzureModelHeaders;
  /** 429 answers: seconds until retry */
  readonly retryAfter?: number;
  readonly now?: number;
}

const HSTS = 'max-age=31536000; includeSubDomains; preload';

/** The raw header array of one answer. */
export function azureHeaders(input: AzureHeaderInput): string[] {
  const h: string[] = [];
  if (input.contentLength === undefined) h.push('Transfer-Encoding', 'chunked');
  else h.push('Content-Length', String(input.contentLength));
  if (input.contentType !== undefined) h.push('Content-Type', input.contentType);
  if (input.retryAfter !== undefined) h.push('retry-after', String(input.retryAfter));
  h.push('apim-request-id', randomUUID());
  if (input.family !== 'edge') {
    h.push('Strict-Transport-Security', HSTS, 'x-content-type-options', 'nosniff');
    const m = input.model;
    if (m) {
      h.push(
        'azureml-model-session', m.modelSession,
        'skip-error-remapping', 'true',
        'x-accel-buffering', 'no',
        'x-ms-deployment-name', m.deployment,
        'x-ms-is-spilled-over', 'false',
      );
      if (m.rai !== false) h.push('x-ms-rai-invoked', 'true');
      h.push(
        'x-ms-region', m.region,
        'x-ratelimit-abusepenalty-active', 'False',
        'x-ratelimit-limit-requests', String(m.limitRequests),
        'x-ratelimit-limit-tokens', String(m.limitTokens),
        'x-ratelimit-remaining-requests', String(m.remainingRequests),
        'x-ratelimit-remaining-tokens', String(m.remainingTokens),
        'x-ratelimit-renewalperiod-requests', '60',
        'x-ratelimit-renewalperiod-tokens', '60',
        'x-ratelimit-reset-requests', String(m.resetRequests),
        'x-ratelimit-reset-tokens', String(m.resetTokens),
        'x-request-id', randomUUID(),
      );
    } else if (input.region !== undefined) {
      h.push('x-ms-region', input.region);
    }
  }
  h.push('Date', httpDate(input.now ?? Date.now()));
  return h;
}

/** Headers HTTP/2 forbids (RFC 9113 §8.2.2), lower case. */
const CONNECTION_SPECIFIC: ReadonlySet<string> = new Set(['connection', 'transfer-encoding', 'keep-alive', 'proxy-connection', 'upgrade']);

/**
 * Write the head. HTTP/1.1: no `Connection` header unless the connection closes (node:http would
 * add `Connection: keep-alive` and `Keep-Alive` otherwise, which Azure never sends), no `Date` of
 * node's own; the reason phrase Azure writes (`401 PermissionDenied`). HTTP/2: no
 * connection-specific headers.
 */
export function writeAzureHead(res: HttpResponse, status: number, headers: string[], reason?: string): void {
  res.sendDate = false;
  if (res.req.httpVersionMajor === 2) {
    const out: string[] = [];
    for (let i = 0; i + 1 < headers.length; i += 2) {
      const name = headers[i] ?? '';
      if (!CONNECTION_SPECIFIC.has(name.toLowerCase())) out.push(name, headers[i + 1] ?? '');
    }
    res.writeHead(status, out);
    return;
  }
  const h1 = res as HttpResponse & { removeHeader(name: string): void; statusMessage: string };
  if (res.shouldKeepAlive !== false) h1.removeHeader('Connection');
  if (reason !== undefined) h1.statusMessage = reason;
  res.writeHead(status, headers);
}
