/**
 * The config's shared value types, imported by the main schema, the providers' config parts and every capability's
 * sub-schema (which schema.ts imports in turn — so they live here, not in schema.ts):
 * durations (`48h`, `1h30m`, `500ms`, or a number of seconds → milliseconds) and IP/CIDR blocks.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { parseDuration } from './duration.js';

/** A duration written `48h` / `1h30m` / `500ms` or a number of seconds; parsed to milliseconds. */
export const duration = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const ms = parseDuration(value);
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: `not a duration: ${JSON.stringify(value)} (use e.g. 500ms, 2s, 10m, 48h)` });
    return z.NEVER;
  }
  return ms;
});

/** An IPv4/IPv6 address or CIDR block. */
export function isCidr(text: string): boolean {
  const [addr, bits, extra] = text.split('/');
  if (extra !== undefined || addr === undefined) return false;
  const family = isIP(addr);
  if (family === 0) return false;
  if (bits === undefined) return true;
  if (!/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}

export const cidr = z.string().refine(isCidr, { message: 'not an IP address or CIDR block (e.g. 10.0.0.0/8, 2001:db8::/32)' });
