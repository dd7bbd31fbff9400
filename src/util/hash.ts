/** sha256 helpers: keys are stored, compared and logged only as hashes. */
import { createHash, timingSafeEqual } from 'node:crypto';

export function sha256Hex(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
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
