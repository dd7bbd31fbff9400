/**
 * Randomness for deception (issue 3), in three strengths:
 * - `seededRandom(seed, label)`: a fast sfc32 stream seeded from sha256(seed ‖ label). Personas use
 *   one stream per field, so the same lure key always yields the same persona and adding a field
 *   later never shifts the others. Not for secrets.
 * - `hmacBytes(secret, info)`: an HMAC-SHA256 counter-mode byte stream (the HKDF-expand shape,
 *   RFC 5869 §2.3) for values that must repeat for the same input yet stay unguessable without the
 *   server secret (canaries).
 * - `cryptoBytes`: the OS CSPRNG, for keys minted by `honeygate keys new`.
 * Plus the alphabets the providers use and a Shannon-entropy helper (the measure gitleaks and
 * trufflehog apply to candidate secrets).
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';

/** `n` random bytes. */
export type ByteSource = (n: number) => Uint8Array;
/** A float in [0, 1), like Math.random. */
export type RandomFn = () => number;

export const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
export const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
export const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
export const HEX = '0123456789abcdef';

export const cryptoBytes: ByteSource = (n) => randomBytes(n);

/** A deterministic generator with the few draws personas need. */
export interface Rng {
  /** float in [0, 1) */
  next(): number;
  /** integer in [0, n) */
  int(n: number): number;
  /** integer in [lo, hi] */
  range(lo: number, hi: number): number;
  pick<T>(items: readonly T[]): T;
  chars(alphabet: string, length: number): string;
}

function sfc32(a: number, b: number, c: number, d: number): RandomFn {
  return () => {
    a |= 0;
    b |= 0;
    c |= 0;
    d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

/** The sfc32 stream for (seed, label): same inputs, same sequence, on every platform. */
export function seededRandom(seed: string, label: string): Rng {
  const digest = createHash('sha256').update(seed).update('\0').update(label).digest();
  const next = sfc32(digest.readUInt32BE(0), digest.readUInt32BE(4), digest.readUInt32BE(8), digest.readUInt32BE(12));
  for (let i = 0; i < 12; i++) next();
  const int = (n: number): number => (n <= 1 ? 0 : Math.floor(next() * n));
  return {
    next,
    int,
    range: (lo, hi) => lo + int(hi - lo + 1),
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new RangeError('pick from an empty list');
      return items[int(items.length)] as T;
    },
    chars(alphabet, length) {
      let out = '';
      for (let i = 0; i < length; i++) out += alphabet[int(alphabet.length)];
      return out;
    },
  };
}

/**
 * HMAC-SHA256(secret, info ‖ counter) blocks, concatenated: a keyed, reproducible byte stream.
 * Each returned function has its own position; calls continue where the last one stopped.
 */
export function hmacBytes(secret: string | Uint8Array, info: string): ByteSource {
  let counter = 0;
  let buffer = Buffer.alloc(0);
  return (n) => {
    while (buffer.length < n) {
      const block = createHmac('sha256', secret).update(info).update(Buffer.from([counter >>> 24, (counter >>> 16) & 255, (counter >>> 8) & 255, counter & 255])).digest();
      counter++;
      buffer = Buffer.concat([buffer, block]);
    }
    const out = buffer.subarray(0, n);
    buffer = buffer.subarray(n);
    return Uint8Array.from(out);
  };
}

/** `length` characters of `alphabet` from a byte source, by rejection sampling (no modulo bias). */
export function charsFrom(source: ByteSource, alphabet: string, length: number): string {
  if (alphabet.length < 2 || alphabet.length > 256) throw new RangeError('alphabet must have 2..256 characters');
  const limit = 256 - (256 % alphabet.length);
  let out = '';
  // Each byte is accepted with probability ≥ 1/2, so the loop ends; the bound guards a broken source.
  for (let round = 0; out.length < length && round < 64; round++) {
    for (const b of source(length - out.length + 8)) {
      if (b < limit) out += alphabet[b % alphabet.length];
      if (out.length === length) break;
    }
  }
  if (out.length < length) throw new RangeError('byte source returned too few usable bytes');
  return out;
}

/** An unbiased integer in [0, n) from a byte source (n ≤ 2^48). */
export function intFrom(source: ByteSource, n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 2 ** 48) throw new RangeError('intFrom needs 1 ≤ n ≤ 2^48');
  const space = 2 ** 48;
  const limit = space - (space % n);
  for (let i = 0; i < 64; i++) {
    const v = Buffer.from(source(6)).readUIntBE(0, 6);
    if (v < limit) return v % n;
  }
  throw new RangeError('byte source returned too few usable values');
}

/** Shannon entropy in bits per character, as gitleaks and trufflehog compute it. */
export function shannonEntropy(text: string): number {
  if (text.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  const n = [...text].length;
  for (const c of counts.values()) {
    const p = c / n;
    h -= p * Math.log2(p);
  }
  return h;
}

/** RFC 4648 base32 without padding. */
export function base32Encode(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/** RFC 4648 base32 decode without padding; null on a character outside the alphabet. */
export function base32Decode(text: string): Uint8Array | null {
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of text) {
    const v = BASE32.indexOf(ch);
    if (v < 0) return null;
    value = ((value << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Uint8Array.from(out);
}
