/**
 * The SigV4 algorithm itself: canonical URI, query and headers of a request as
 * received, the canonical request, the string to sign, and the signing key derived from a secret
 * (cached per key pair and scope). sigv4.ts parses credentials and verifies requests with it.
 */
import { createHmac, createSecretKey, hash as oneShotHash, type KeyObject } from 'node:crypto';
import { FifoCache } from '../../util/fifo-cache.js';

/** What the key ring knows about an access key id (the secret is needed: SigV4 is an HMAC). */
export interface AwsSecretEntry {
  readonly secretAccessKey: string;
  /** required on the request (`x-amz-security-token`) when set, refused when absent */
  readonly sessionToken?: string;
}

export const ALGORITHM = 'AWS4-HMAC-SHA256';
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** The encoding of each ASCII code unit (`/` as itself; `keepSlash` is decided by the caller). */
const ASCII_ENCODED: readonly string[] = Array.from({ length: 0x80 }, (_, byte) => {
  const ch = String.fromCharCode(byte);
  return /[A-Za-z0-9._~/-]/.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
});

/** RFC 3986 encoding of every byte outside `A-Za-z0-9-._~` (and `/` when `keepSlash`). */
export function awsUriEncode(text: string, keepSlash = false): string {
  // ASCII (every SDK-sent path and query): a table lookup per code unit, no Buffer
  let ascii = '';
  let i = 0;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) break;
    ascii += c === 0x2f && !keepSlash ? '%2F' : (ASCII_ENCODED[c] as string);
  }
  if (i === text.length) return ascii;
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const ch = String.fromCharCode(byte);
    if ((byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x30 && byte <= 0x39) || ch === '-' || ch === '.' || ch === '_' || ch === '~' || (keepSlash && ch === '/')) {
      out += ch;
    } else {
      out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    }
  }
  return out;
}

/** Canonical URI of a raw path: empty and dot segments removed, then encoded again (`%3A` → `%253A`). */
export function canonicalUri(rawPath: string): string {
  // no empty, `.` or `..` segment (every SDK-sent path): nothing to remove, the path is encoded as is
  if (rawPath.charCodeAt(0) === 0x2f && !rawPath.includes('//') && !rawPath.includes('/.')) return awsUriEncode(rawPath, true);
  const segments: string[] = [];
  for (const s of rawPath.split('/')) {
    if (s === '' || s === '.') continue;
    if (s === '..') segments.pop();
    else segments.push(s);
  }
  const trailing = segments.length > 0 && rawPath.endsWith('/') ? '/' : '';
  return awsUriEncode(`/${segments.join('/')}${trailing}`, true);
}

export function percentDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Canonical query: pairs decoded, re-encoded, sorted by key then value; `exclude` names dropped. */
export function canonicalQuery(rawQuery: string, exclude: ReadonlySet<string> = new Set()): string {
  if (rawQuery === '') return '';
  const pairs: [string, string][] = [];
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = percentDecode(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? '' : percentDecode(part.slice(eq + 1));
    if (exclude.has(key)) continue;
    pairs.push([awsUriEncode(key), awsUriEncode(value)]);
  }
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

/**
 * Header name (lowercase) → values in arrival order. On HTTP/2 the client's `host` is the
 * `:authority` pseudo-header (B5.3: "Use the Host/:authority exactly as the client sent it").
 */
export function headerMap(rawHeaders: readonly string[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] ?? '').toLowerCase();
    const list = map.get(name);
    const value = rawHeaders[i + 1] ?? '';
    if (list) list.push(value);
    else map.set(name, [value]);
  }
  const authority = map.get(':authority');
  if (!map.has('host') && authority !== undefined) map.set('host', authority.slice(0, 1));
  return map;
}

/** A value that only needs trimming: no CR, LF, tab or run of spaces (the usual case). */
const NEEDS_FOLDING = /[\r\n\t]| {2}/;

function canonicalHeaderValue(values: readonly string[]): string {
  if (values.length === 1) {
    const v = values[0] as string;
    if (!NEEDS_FOLDING.test(v)) return v.trim();
  }
  return values.map((v) => v.replace(/[\r\n]/g, ' ').replace(/[ \t]+/g, ' ').trim()).join(',');
}

export function canonicalRequest(
  method: string,
  rawPath: string,
  rawQuery: string,
  headers: ReadonlyMap<string, readonly string[]>,
  signedHeaders: readonly string[],
  payloadHash: string,
  excludeQuery?: ReadonlySet<string>,
): string {
  const lines = [...signedHeaders].sort().map((name) => `${name}:${canonicalHeaderValue(headers.get(name) ?? [])}\n`);
  return `${method}\n${canonicalUri(rawPath)}\n${canonicalQuery(rawQuery, excludeQuery)}\n${lines.join('')}\n${signedHeaders.join(';')}\n${payloadHash}`;
}

export function hmac(key: Buffer | string | KeyObject, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
}

/**
 * Derived signing keys, kept per key pair and scope (date, region, service), as the AWS SDKs keep
 * them (smithy's signature-v4 caches by date, region, service and credentials): the four-HMAC
 * derivation was 8.6% of the Bedrock path's CPU profile (issue 11), one HMAC chain per request for
 * a key that changes once a day. The cache holds no more secret material than the key ring already
 * does (the secret itself; a derived key is weaker). It hangs off the entry object (WeakMap: a pair
 * dropped at a reload takes its keys with it), remembers the secret it was derived from (a
 * different secret never hits), and holds at most SIGNING_KEYS_PER_ENTRY scopes per pair, oldest
 * dropped first: a verified scope is within 5 minutes of today (at most two dates) in the regions
 * the endpoint accepts.
 */
export const SIGNING_KEYS_PER_ENTRY = 8;

interface DerivedKeys {
  readonly secret: string;
  /** `date/region/service` (none of them can hold a `/`: the credential is split on it) → key */
  readonly keys: FifoCache<string, KeyObject>;
}

const derivedKeys = new WeakMap<AwsSecretEntry, DerivedKeys>();

/**
 * `signingKey` of this entry's secret for a scope, derived once per entry and scope; held as a
 * KeyObject (createHmac with one skips copying a Buffer key into a new key each time).
 */
export function cachedSigningKey(entry: AwsSecretEntry, date: string, region: string, service: string): KeyObject {
  const secret = entry.secretAccessKey;
  let held = derivedKeys.get(entry);
  if (held === undefined || held.secret !== secret) {
    held = { secret, keys: new FifoCache(SIGNING_KEYS_PER_ENTRY) };
    derivedKeys.set(entry, held);
  }
  const scope = `${date}/${region}/${service}`;
  let key = held.keys.get(scope);
  if (key === undefined) {
    key = createSecretKey(signingKey(secret, date, region, service));
    held.keys.set(scope, key);
  }
  return key;
}

/** How many scopes are held for an entry (tests). */
export function cachedSigningKeyCount(entry: AwsSecretEntry): number {
  return derivedKeys.get(entry)?.keys.size ?? 0;
}

export function stringToSign(amzDate: string, scope: string, canonical: string): string {
  // crypto.hash: one call instead of a Hash object (~3× cheaper for inputs this size; Node ≥ 20.12)
  return `${ALGORITHM}\n${amzDate}\n${scope}\n${oneShotHash('sha256', canonical, 'hex')}`;
}
