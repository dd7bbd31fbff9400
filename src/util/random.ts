/**
 * Random identifiers for the wire (request ids, cookies, completion ids): drawn from a pooled
 * crypto-random buffer so the hot path does not make one syscall per id. Alphabets are those the
 * providers use.
 */
import { randomFillSync } from 'node:crypto';

const POOL_SIZE = 64 * 1024;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let offset = POOL_SIZE;

const fresh = (bytes: number): Buffer => randomFillSync(Buffer.allocUnsafe(bytes));

function take(n: number): Buffer {
  if (n > POOL_SIZE) return fresh(n);
  if (offset + n > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const out = pool.subarray(offset, offset + n);
  offset += n;
  return out;
}

const HEX = '0123456789abcdef';
export const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
export const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
export const COOKIE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._';

/**
 * Random text pools: crypto-random bytes encoded natively (hex, base64url) 64 K characters at a
 * time, handed out as slices. Every OpenAI answer carries ~300 such characters (request id, two
 * Cloudflare cookies, CF-RAY); encoding them per request was ~3% of the reject path's CPU (issue 11
 * profile), a slice of a pooled string is a pointer and a length.
 */
class TextPool {
  #text = '';
  #offset = 0;
  readonly #encode: () => string;

  constructor(encode: () => string) {
    this.#encode = encode;
  }

  take(length: number): string {
    // callers ask for at most POOLED_CHARS at once
    if (this.#offset + length > this.#text.length) {
      this.#text = this.#encode();
      this.#offset = 0;
    }
    const out = this.#text.slice(this.#offset, this.#offset + length);
    this.#offset += length;
    return out;
  }
}

const POOLED_CHARS = 64 * 1024;
const hexPool = new TextPool(() => fresh(POOLED_CHARS / 2).toString('hex'));
// 3 bytes → 4 characters, each 6 uniform bits
const base64Pool = new TextPool(() => fresh((POOLED_CHARS * 3) / 4).toString('base64url'));
const cookiePool = new TextPool(() => fresh((POOLED_CHARS * 3) / 4).toString('base64url').replaceAll('-', '.'));

export function randomHex(length: number): string {
  return length <= POOLED_CHARS ? hexPool.take(length) : fresh(Math.ceil(length / 2)).toString('hex').slice(0, length);
}

/**
 * The 64-character alphabets are base64url with its 63rd character renamed: `base64url` encoding
 * gives each character 6 uniform bits, the same distribution rejection sampling over 64 characters
 * gives, so their text comes from the pools.
 */
const BASE64_POOLS: ReadonlyMap<string, TextPool> = new Map([
  [B64URL, base64Pool],
  [COOKIE, cookiePool],
]);

/** `length` characters from `alphabet` (pooled base64url, else rejection sampling: no modulo bias). */
export function randomChars(alphabet: string, length: number): string {
  const pool = BASE64_POOLS.get(alphabet);
  if (pool !== undefined && length <= POOLED_CHARS) return pool.take(length);
  const limit = 256 - (256 % alphabet.length);
  let out = '';
  while (out.length < length) {
    const bytes = take(length - out.length + 8);
    for (const b of bytes) {
      if (b < limit) out += alphabet[b % alphabet.length];
      if (out.length === length) break;
    }
  }
  return out;
}

/** RFC 4122 version-4 UUID (x-amzn-RequestId, amz-sdk-invocation-id). */
export function uuid4(): string {
  const b = Buffer.from(take(16));
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export { HEX };
