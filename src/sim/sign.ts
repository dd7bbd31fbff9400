/**
 * SigV4 signing of simulated Bedrock requests with @smithy/signature-v4 (the SDK's own code path):
 * service `bedrock`, the wire path (already percent-encoded, `%3A`) encoded again in
 * the canonical URI (`%253A`), exactly the headers the profile marks `signed`, payload hash of the
 * body as sent (botocore sends no x-amz-content-sha256, so applyChecksum is off).
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { ALWAYS_UNSIGNABLE_HEADERS, SignatureV4 } from '@smithy/signature-v4';

export interface SigV4Input {
  readonly method: string;
  /** origin-form path exactly as on the wire (query included, if any) */
  readonly path: string;
  /** the headers to sign, with their wire values; must include host */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: Uint8Array;
  readonly region: string;
  readonly service: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** x-amz-date, `YYYYMMDDTHHMMSSZ` */
  readonly amzDate: string;
}

export interface SigV4Result {
  readonly authorization: string;
  readonly signedHeaders: string;
  readonly signature: string;
}

export class SignError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SignError';
  }
}

const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** Parse `20250130T203827Z`; throws SignError on anything else. */
export function parseAmzDate(text: string): Date {
  const m = AMZ_DATE.exec(text);
  if (!m) throw new SignError(`amz_date must look like 20250130T203827Z, got ${JSON.stringify(text.slice(0, 32))}`);
  const date = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`);
  if (Number.isNaN(date.getTime())) throw new SignError(`amz_date is not a real date: ${text}`);
  return date;
}

function splitPath(path: string): { path: string; query: Record<string, string | string[]> } {
  const at = path.indexOf('?');
  if (at < 0) return { path, query: {} };
  const query: Record<string, string | string[]> = {};
  for (const pair of path.slice(at + 1).split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const k = decodeURIComponent(eq < 0 ? pair : pair.slice(0, eq));
    const v = eq < 0 ? '' : decodeURIComponent(pair.slice(eq + 1));
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return { path: path.slice(0, at), query };
}

/** Compute the Authorization header value for a request. */
export async function signSigV4(input: SigV4Input): Promise<SigV4Result> {
  const date = parseAmzDate(input.amzDate);
  const headers: Record<string, string> = {};
  let host = '';
  for (const [name, value] of input.headers) {
    const lower = name.toLowerCase();
    if (lower in ALWAYS_UNSIGNABLE_HEADERS || /^(proxy|sec)-/.test(lower)) {
      throw new SignError(`header ${name} cannot be signed (SigV4 clients never sign it)`);
    }
    if (lower === 'x-amz-date' && value !== input.amzDate) throw new SignError('X-Amz-Date differs from amz_date');
    headers[lower] = lower in headers ? `${headers[lower]},${value}` : value;
    if (lower === 'host') host = value;
  }
  if (host === '') throw new SignError('the Host header must be signed');
  if (input.accessKeyId === '' || input.secretAccessKey === '') throw new SignError('access_key_id and secret_access_key are required to sign');
  const signer = new SignatureV4({
    service: input.service,
    region: input.region,
    credentials: { accessKeyId: input.accessKeyId, secretAccessKey: input.secretAccessKey },
    sha256: Sha256,
    applyChecksum: false,
    uriEscapePath: true,
  });
  const { path, query } = splitPath(input.path);
  const signed = await signer.sign(
    { method: input.method, protocol: 'https:', hostname: host, path, query, headers, body: input.body },
    { signingDate: date },
  );
  const authorization = signed.headers['authorization'];
  if (authorization === undefined) throw new SignError('signer returned no Authorization');
  const m = /SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(authorization);
  return { authorization, signedHeaders: m?.[1] ?? '', signature: m?.[2] ?? '' };
}
