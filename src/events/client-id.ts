/**
 * `honeygate.client.id`: one client program across addresses. A thief rotating through proxies
 * or cloud hosts keeps its tool — the same User-Agent, the same SDK headers, the same headers in
 * the same order and spelling — while its address changes at every request; the id names that
 * tool so the attacker page can list every address it came from.
 *
 * `cfp_` + the first 16 hex digits of sha256 over what the request thread already has without
 * work: the User-Agent as sent, the SDK fingerprint (client name, version, runtime, OS, arch from
 * User-Agent and x-stainless-* headers: core/identity.ts), the HTTP major version, and the header
 * names in the order and case sent — minus headers whose presence depends on the request rather
 * than the client (body framing, proxies, per-request ids, retry counters). Nothing from TLS: the
 * gateway often sits behind a TLS-terminating balancer, and a plain-HTTP listener has no TLS.
 *
 * Limits: two installs of the same tool and version look alike (the id is a tool fingerprint, not
 * a person); a balancer that rewrites or reorders headers changes the id of everyone behind it the
 * same way; a client that randomizes its header order gets a new id each time. Header values other
 * than the User-Agent and SDK headers are never part of it (no key, no cookie).
 *
 * Runs where events are built (the events worker, or a canary hit's own event), never per request
 * on the request thread: that thread only joins the header names (record.ts).
 */
import { createHash } from 'node:crypto';
import type { ClientFingerprint } from './model.js';

/** Headers whose presence or place varies per request of one client: left out of the id. */
const VOLATILE = new Set([
  'content-length',
  'content-type',
  'content-encoding',
  'transfer-encoding',
  'expect',
  'cookie',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-real-ip',
  'forwarded',
  'via',
  'x-request-id',
  'x-amzn-trace-id',
  'traceparent',
  'tracestate',
  'idempotency-key',
  'x-stainless-retry-count',
  'x-stainless-timeout',
  'x-stainless-read-timeout',
  'amz-sdk-request',
  'x-amz-content-sha256',
  'x-amz-date',
  'x-amz-security-token',
  'x-goog-api-client',
]);

const MAX_NAMES = 64;

/**
 * The header names of a request, in order and case, one string (`h1` or `h2` first): what the
 * request thread hands over. A loop over rawHeaders, no allocation but the string.
 */
export function headerNames(rawHeaders: readonly string[], httpMajor: number): string {
  let out = httpMajor === 2 ? 'h2' : 'h1';
  for (let i = 0, n = 0; i < rawHeaders.length && n < MAX_NAMES; i += 2, n++) out += `\n${rawHeaders[i] ?? ''}`;
  return out;
}

/**
 * Ids of recent traits. A client program sends the same header names, User-Agent and SDK headers
 * at every request, so the id of the previous request is the next one's: the events worker hashed
 * each event anew, ~4 % of its CPU (bench/README.md, "Events worker cost per event"). Bounded:
 * cleared when full, so traits that change at every request (a client randomizing its headers)
 * cost a hash each, as before, and never grow memory.
 */
const memo = new Map<string, string>();
const MEMO_MAX = 1024;
/** longer traits are hashed without being kept: the memo holds at most ~1 MB of keys */
const MEMO_KEY_MAX = 512;

/** The client id of a request's traits; undefined when there is nothing to tell clients apart. */
export function clientId(names: string | undefined, ua: string | undefined, fp: ClientFingerprint): string | undefined {
  if (names === undefined) return undefined;
  // every input of the id, NUL-separated (NUL is in no header name, and the fingerprint's fields come from headers)
  const key = `${names}\u0000${ua ?? ''}\u0000${fp.name}\u0000${fp.version ?? ''}\u0000${fp.runtime ?? ''}\u0000${fp.os ?? ''}\u0000${fp.arch ?? ''}`;
  if (key.length > MEMO_KEY_MAX) return hashTraits(names, ua, fp);
  const known = memo.get(key);
  if (known !== undefined) return known;
  const id = hashTraits(names, ua, fp);
  if (memo.size >= MEMO_MAX) memo.clear();
  memo.set(key, id);
  return id;
}

function hashTraits(names: string, ua: string | undefined, fp: ClientFingerprint): string {
  const kept: string[] = [];
  for (const name of names.split('\n')) if (!VOLATILE.has(name.toLowerCase())) kept.push(name);
  const traits = [kept.join(','), ua ?? '', fp.name, fp.version ?? '', fp.runtime ?? '', fp.os ?? '', fp.arch ?? ''].join('\u0000');
  return `cfp_${createHash('sha256').update(traits).digest('hex').slice(0, 16)}`;
}

/** `cfp_` and 16 lowercase hex digits. */
export const CLIENT_ID = /^cfp_[0-9a-f]{16}$/;
