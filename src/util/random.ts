/**
 * Random identifiers for the wire (request ids, cookies, completion ids): drawn from a pooled
 * crypto-random buffer so the hot path does not make one syscall per id. Alphabets are those the
 * providers use (wire-spec A1.1, A3.2, A4.5, B1.1).
 */
import { randomFillSync } from 'node:crypto';

const POOL_SIZE = 64 * 1024;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let offset = POOL_SIZE;

function take(n: number): Buffer {
  if (n > POOL_SIZE) return randomFillSync(Buffer.allocUnsafe(n));
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

export function randomHex(length: number): string {
  return take(Math.ceil(length / 2)).toString('hex').slice(0, length);
}

/**
 * 64-character alphabets that are base64url with its 63rd character renamed. With 64 characters the
 * loop below never rejects and takes 6 uniform bits per character, exactly what `base64url`
 * encoding (native) does, several times faster: the cookies of every OpenAI answer are ~450 such
 * characters (issue 11 profile).
 */
const BASE64_RENAMES: ReadonlyMap<string, readonly [string, string]> = new Map([
  ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_', ['-', '_']],
  ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._', ['.', '_']],
]);

/** `length` characters from `alphabet` (rejection sampling: no modulo bias). */
export function randomChars(alphabet: string, length: number): string {
  const renamed = BASE64_RENAMES.get(alphabet);
  if (renamed !== undefined) {
    // 3 bytes → 4 characters, each 6 uniform bits
    const text = take(Math.ceil((length * 3) / 4)).toString('base64url').slice(0, length);
    return renamed[0] === '-' ? text : text.replaceAll('-', renamed[0]);
  }
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

/** A float in [0, 1) from the pool (for jitter, not for secrets). */
export function randomUnit(): number {
  return take(4).readUInt32BE(0) / 0x1_0000_0000;
}

export { HEX };
