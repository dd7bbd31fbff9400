/** sha256 helpers: keys are stored, compared and logged only as hashes. */
import { hash, timingSafeEqual } from 'node:crypto';

/**
 * One-shot `crypto.hash` (Node ≥ 20.12): the same digest as `createHash().update().digest('hex')`
 * without a Hash object and its stream machinery per call — every request hashes its key once, and
 * the object was ~5 µs of it (the reject path's profile, issue 19).
 */
export function sha256Hex(text: string | Buffer): string {
  return hash('sha256', text, 'hex');
}

/** `sha256:<first 16 hex>` — the key fingerprint that events and the admin API show. */
export function fingerprintOfHash(hex: string): string {
  return `sha256:${hex.slice(0, 16)}`;
}

/** Constant-time equality of two strings (length leaks, content does not). */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  if (ab.length !== bb.length) {
    timingSafeEqual(ab, ab);
    return false;
  }
  return timingSafeEqual(ab, bb);
}
