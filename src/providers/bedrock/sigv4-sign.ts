/**
 * Re-signing for forwarding valid Bedrock requests to the real service (issue 4):
 * the client's own signature is for honeygate's host and the client's key, so the request is signed
 * again with the upstream's AWS credentials (from config, or the standard AWS_* environment
 * variables) by @smithy/signature-v4 — the JS SDK's own signer: the path is sent in the SDK's
 * encoding (`%3A`, which the signer encodes again for the canonical URI), and
 * `x-amz-content-sha256` is added and signed as the JS SDK does.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** Credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, or null. */
export function credentialsFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): AwsCredentials | null {
  const accessKeyId = env['AWS_ACCESS_KEY_ID']?.trim();
  const secretAccessKey = env['AWS_SECRET_ACCESS_KEY']?.trim();
  if (!accessKeyId || !secretAccessKey) return null;
  const sessionToken = env['AWS_SESSION_TOKEN']?.trim();
  return sessionToken ? { accessKeyId, secretAccessKey, sessionToken } : { accessKeyId, secretAccessKey };
}

/** AWS_REGION, else AWS_DEFAULT_REGION, else null. */
export function regionFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): string | null {
  return env['AWS_REGION']?.trim() || env['AWS_DEFAULT_REGION']?.trim() || null;
}

/** The public endpoint of a Bedrock service in a region. */
export function bedrockEndpoint(service: 'bedrock-runtime' | 'bedrock', region: string): string {
  return `https://${service}.${region}.amazonaws.com`;
}

/** Client request headers worth passing on (B1: InvokeModel request headers, SDK metadata). */
const FORWARDED = /^(content-type|accept|x-amzn-bedrock-[a-z0-9-]+|amz-sdk-invocation-id|amz-sdk-request|x-amz-user-agent|user-agent)$/;

/** The client headers to forward (lower-case names), from `req.rawHeaders`; credentials never. */
export function forwardableHeaders(rawHeaders: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] ?? '').toLowerCase();
    if (!FORWARDED.test(name)) continue;
    const value = rawHeaders[i + 1] ?? '';
    out[name] = name in out ? `${out[name]},${value}` : value;
  }
  return out;
}

export interface UpstreamRequest {
  readonly method: string;
  /** path as it should be sent (percent-encoded), e.g. `/model/us.amazon.nova-micro-v1%3A0/converse` */
  readonly path: string;
  /** raw query string without `?` ('' for none) */
  readonly query: string;
  /** headers to send besides the signing headers (lower-case names) */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

export interface SignOptions {
  /** the upstream base URL (scheme://host[:port]); its host is signed */
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: AwsCredentials;
  /** credential-scope service: `bedrock` for both runtime and control plane */
  readonly service?: string;
  readonly now?: Date;
}

export interface SignedRequest {
  /** path and query to send */
  readonly path: string;
  /** every header to send, the signature's included (host too: send exactly this) */
  readonly headers: Record<string, string>;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function parseQuery(query: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = decode(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? '' : decode(part.slice(eq + 1));
    const prev = out[key];
    out[key] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return out;
}

/** Sign a request for the upstream with its own credentials. */
export async function signForUpstream(req: UpstreamRequest, options: SignOptions): Promise<SignedRequest> {
  const url = new URL(options.endpoint);
  const signer = new SignatureV4({
    service: options.service ?? 'bedrock',
    region: options.region,
    credentials: options.credentials,
    sha256: Sha256,
    applyChecksum: true,
  });
  const headers: Record<string, string> = { ...req.headers, host: url.host, 'content-length': String(req.body.length) };
  if (req.method === 'GET' || req.method === 'HEAD') delete headers['content-length'];
  const signed = await signer.sign(
    {
      method: req.method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: req.path,
      query: parseQuery(req.query),
      headers,
      body: req.body,
    },
    options.now ? { signingDate: options.now } : {},
  );
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(signed.headers)) out[k] = String(v);
  return { path: req.query === '' ? req.path : `${req.path}?${req.query}`, headers: out };
}
