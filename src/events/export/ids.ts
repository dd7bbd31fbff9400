/**
 * Deterministic identifiers for exported intelligence: RFC 9562 UUID version 5 (SHA-1 over a
 * namespace and a name). The same content always gets the same id, so an export run twice — or on
 * two instances sharing one store — names each object once, and a consumer updates rather than
 * duplicates.
 */
import { createHash } from 'node:crypto';

function bytes(uuid: string): Buffer {
  const hex = uuid.replaceAll('-', '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new Error(`not a UUID: ${uuid}`);
  return Buffer.from(hex, 'hex');
}

/** RFC 9562 §5.5 UUIDv5 of `name` (UTF-8) in `namespace`. */
export function uuidv5(namespace: string, name: string): string {
  const hash = createHash('sha1').update(bytes(namespace)).update(name, 'utf8').digest();
  hash[6] = ((hash[6] ?? 0) & 0x0f) | 0x50;
  hash[8] = ((hash[8] ?? 0) & 0x3f) | 0x80;
  const h = hash.subarray(0, 16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** STIX 2.1 §2.9: the namespace of deterministic ids of cyber-observable objects. */
const STIX_SCO_NAMESPACE = '00abedb4-aa42-466c-9c01-fed23315a9b7';
/** honeygate's own namespace for SDOs, SROs, bundles and MISP uuids (a random v4, fixed forever). */
export const HONEYGATE_NAMESPACE = '6f1f3b84-5a57-4f0e-9d43-0d7a1c3c2b61';

/**
 * JSON with object keys sorted, no whitespace (RFC 8785 for the strings and integers an id is
 * made from), as STIX 2.1 §2.9 asks for the contributing properties of an SCO id.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** `type--uuid` of an SCO from its ID contributing properties (STIX 2.1 §2.9). */
export function scoId(type: string, contributing: Record<string, unknown>): string {
  return `${type}--${uuidv5(STIX_SCO_NAMESPACE, canonicalJson(contributing))}`;
}

/** `type--uuid` of any other object, from what makes it itself. */
export function objectId(type: string, ...parts: readonly string[]): string {
  return `${type}--${uuidv5(HONEYGATE_NAMESPACE, `${type}\u0000${parts.join('\u0000')}`)}`;
}
