/**
 * Forwarding valid-key Bedrock traffic to the real service (issue 4): the request is re-signed with
 * the upstream's own credentials (sigv4-sign.ts) and sent through the pooled undici forwarder
 * (forward.ts), which streams event streams straight through. The runtime path is re-encoded the
 * way the SDKs send it (`%3A`, `%2F`); the body may carry a lure prompt (lure upstreams).
 * Upstream faults become the service's own errors (B4): unreachable → ServiceUnavailable,
 * timeout → ModelTimeout, anything else → InternalServer — never upstream detail.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { HttpResponse } from '../../core/http.js';
import { renderAwsError } from './errors.js';
import type { BedrockRoute } from './route.js';
import { type ForwardOptions, HttpUpstream, UpstreamFault } from '../../core/forward.js';
import { type AwsCredentials, bedrockEndpoint, credentialsFromEnv, forwardableHeaders, regionFromEnv, signForUpstream } from './sigv4-sign.js';

export interface BedrockUpstreamOptions {
  readonly region?: string;
  /** base URL; default `https://bedrock-runtime.<region>.amazonaws.com` (control plane: `bedrock.`) */
  readonly endpoint?: string;
  readonly controlEndpoint?: string;
  /** the upstream's credentials, or `env` for the standard AWS_* variables */
  readonly credentials?: AwsCredentials | 'env';
  readonly timeoutMs?: number;
  readonly connections?: number;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface BedrockForwardRequest {
  readonly service: 'bedrock-runtime' | 'bedrock';
  /** the runtime route (null for control-plane calls) */
  readonly route: BedrockRoute | null;
  readonly method: string;
  /** `req.url` as received */
  readonly url: string;
  readonly rawHeaders: readonly string[];
  /** the body to send (possibly with a lure prompt injected) */
  readonly body: Buffer;
  /** called when the upstream's head arrives, before any byte goes to the client (forward.ts) */
  readonly onResponse?: ForwardOptions['onResponse'];
}

export class BedrockUpstreamError extends Error {
  readonly code = 'HG_BEDROCK_UPSTREAM_CONFIG';
  constructor(message: string) {
    super(message);
    this.name = 'BedrockUpstreamError';
  }
}

/** The path the SDKs would send for a route: the model id encoded with encodeURIComponent. */
export function upstreamPath(route: BedrockRoute): string {
  const op = {
    Converse: 'converse',
    ConverseStream: 'converse-stream',
    InvokeModel: 'invoke',
    InvokeModelWithResponseStream: 'invoke-with-response-stream',
    CountTokens: 'count-tokens',
  }[route.operation];
  return `/model/${encodeURIComponent(route.modelId)}/${op}`;
}

export class BedrockUpstream {
  readonly region: string;
  readonly #credentials: AwsCredentials;
  readonly #runtime: HttpUpstream;
  readonly #control: HttpUpstream;
  readonly #runtimeEndpoint: string;
  readonly #controlEndpoint: string;

  constructor(options: BedrockUpstreamOptions) {
    const env = options.env ?? process.env;
    const region = options.region ?? regionFromEnv(env);
    if (!region) throw new BedrockUpstreamError('a bedrock upstream needs a region (config, AWS_REGION or AWS_DEFAULT_REGION)');
    const creds = options.credentials === undefined || options.credentials === 'env' ? credentialsFromEnv(env) : options.credentials;
    if (!creds) throw new BedrockUpstreamError('a bedrock upstream needs credentials (config, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)');
    this.region = region;
    this.#credentials = creds;
    this.#runtimeEndpoint = (options.endpoint ?? bedrockEndpoint('bedrock-runtime', region)).replace(/\/$/, '');
    this.#controlEndpoint = (options.controlEndpoint ?? bedrockEndpoint('bedrock', region)).replace(/\/$/, '');
    const pool = { timeoutMs: options.timeoutMs ?? 600_000, connections: options.connections ?? 64 };
    this.#runtime = new HttpUpstream({ url: this.#runtimeEndpoint, ...pool });
    this.#control = new HttpUpstream({ url: this.#controlEndpoint, ...pool });
  }

  /** Re-sign and forward; writes the upstream's answer (or a Bedrock error) to `res`. */
  async forward(req: BedrockForwardRequest, res: HttpResponse): Promise<{ status: number; upstreamMs: number }> {
    const runtime = req.service === 'bedrock-runtime';
    const q = req.url.indexOf('?');
    const path = runtime && req.route ? upstreamPath(req.route) : q < 0 ? req.url : req.url.slice(0, q);
    const query = q < 0 ? '' : req.url.slice(q + 1);
    const signed = await signForUpstream(
      { method: req.method, path, query, headers: forwardableHeaders(req.rawHeaders), body: req.body },
      { endpoint: runtime ? this.#runtimeEndpoint : this.#controlEndpoint, region: this.region, credentials: this.#credentials },
    );
    const headers: IncomingHttpHeaders = {};
    for (const [k, v] of Object.entries(signed.headers)) headers[k.toLowerCase()] = v;
    try {
      const r = await (runtime ? this.#runtime : this.#control).forward(
        // an upstream 5xx may carry internal detail (a traceback, a host, a secret): AWS's own error instead
        { method: req.method, path: signed.path, headers, body: req.method === 'GET' ? null : req.body, replaceServerErrors: true, ...(req.onResponse ? { onResponse: req.onResponse } : {}) },
        res,
      );
      if (r.replaced) {
        if (!res.headersSent && !res.destroyed) renderAwsError(res, r.status === 503 ? 'ServiceUnavailable' : 'InternalServer');
        return { status: res.statusCode, upstreamMs: r.upstreamMs };
      }
      return { status: r.status, upstreamMs: r.upstreamMs };
    } catch (e: unknown) {
      if (!(e instanceof UpstreamFault)) throw e;
      const code = e.kind === 'connect' ? 'ServiceUnavailable' : e.kind === 'timeout' ? 'ModelTimeout' : 'InternalServer';
      if (!res.headersSent && !res.destroyed) renderAwsError(res, code);
      return { status: res.statusCode, upstreamMs: 0 };
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.#runtime.close(), this.#control.close()]);
  }
}
