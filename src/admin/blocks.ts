/**
 * Blocks through the admin API: the request body of `POST /api/v1/blocks`, and the blocklist export
 * for firewalls (plain text, one address or CIDR per line; CSV with until and reason).
 *
 * The store blocks subjects exactly (`ip:203.0.113.9`, as the pipeline checks them: pipeline/policy.ts
 * `admitInput`), so an `ip` given here is normalized the way the pipeline normalizes the client
 * address (IPv4-mapped IPv6 → IPv4, IPv6 in RFC 5952 text). A CIDR of a single address (/32, /128)
 * is that address; a wider range cannot be enforced per request by the store and is refused with a
 * pointer to `network.deny`, which the export includes (source `config`).
 */
import { isIP, SocketAddress } from 'node:net';
import { z } from 'zod';
import { parseDuration } from '../config/duration.js';
import type { BlockRecord } from '../store/types.js';

/** The store's own bounds (store/validate.ts): one year, 512-character subjects, 1024-character reasons. */
const MAX_BLOCK_MS = 366 * 86_400_000;
const MAX_SUBJECT = 512;
const MAX_REASON = 1024;
const DEFAULT_BLOCK_REASON = 'blocked by admin';

/** `kind:value`, printable ASCII without spaces in the kind; no control characters anywhere. */
const SUBJECT = /^[a-z][a-z0-9_-]{0,31}:[^\u0000-\u001f\u007f]{1,479}$/;

/** One address in the text the pipeline compares: IPv4 dotted, IPv6 RFC 5952, mapped IPv4 unwrapped. */
export function canonicalIp(text: string): string | null {
  const family = isIP(text);
  if (family === 4) return new SocketAddress({ address: text, family: 'ipv4' }).address;
  if (family !== 6) return null;
  const canonical = new SocketAddress({ address: text, family: 'ipv6' }).address;
  return canonical.startsWith('::ffff:') && isIP(canonical.slice(7)) === 4 ? canonical.slice(7) : canonical;
}

/** Parse `ip` (an address, or a single-address CIDR) into the block subject, or explain why not. */
function ipSubject(text: string): { subject: string } | { error: string } {
  if (text.length > 64) return { error: 'not an IP address' };
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const canonical = canonicalIp(addr);
  if (canonical === null) return { error: `not an IP address: ${JSON.stringify(text.slice(0, 64))}` };
  if (slash >= 0) {
    const bits = text.slice(slash + 1);
    const full = isIP(addr) === 4 ? 32 : 128;
    if (!/^\d{1,3}$/.test(bits) || Number(bits) > full) return { error: `not a CIDR block: ${JSON.stringify(text)}` };
    if (Number(bits) !== full) {
      return {
        error: `blocks hold single addresses (the store checks each client address exactly); block the range ${text} with network.deny in the config`,
      };
    }
  }
  return { subject: `ip:${canonical}` };
}

const durationField = z.union([z.string().max(32), z.number()]).transform((value, ctx) => {
  const ms = parseDuration(value);
  if (ms === null || ms < 1000 || ms > MAX_BLOCK_MS) {
    ctx.addIssue({ code: 'custom', message: 'a duration from 1s to 366d, e.g. "10m", "24h", "30d" or a number of seconds' });
    return z.NEVER;
  }
  return ms;
});

const blockBodySchema = z
  .object({
    subject: z.string().max(MAX_SUBJECT).optional().describe('a store subject, e.g. ip:203.0.113.9'),
    ip: z.string().max(64).optional().describe('an IP address (or a /32 or /128 CIDR)'),
    duration: durationField,
    reason: z
      .string()
      .max(MAX_REASON)
      .refine((r) => !/[\u0000-\u0008\u000b-\u001f\u007f]/.test(r), 'no control characters')
      .optional(),
  })
  .strict();

export interface BlockRequest {
  readonly subject: string;
  readonly durationMs: number;
  readonly reason: string;
}

export interface BodyIssue {
  readonly path: string;
  readonly message: string;
}

/** Validate the body of POST /api/v1/blocks: every problem with its dotted path. */
export function parseBlockBody(body: unknown): { ok: true; value: BlockRequest } | { ok: false; issues: BodyIssue[] } {
  const parsed = blockBodySchema.safeParse(body);
  if (!parsed.success) {
    return { ok: false, issues: parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })) };
  }
  const { subject, ip, duration, reason } = parsed.data;
  if ((subject === undefined) === (ip === undefined)) return { ok: false, issues: [{ path: '', message: 'give exactly one of subject or ip' }] };
  let resolved: string;
  if (ip !== undefined) {
    const r = ipSubject(ip);
    if ('error' in r) return { ok: false, issues: [{ path: 'ip', message: r.error }] };
    resolved = r.subject;
  } else {
    const s = subject ?? '';
    if (!SUBJECT.test(s)) return { ok: false, issues: [{ path: 'subject', message: 'a subject is kind:value, e.g. ip:203.0.113.9 (no control characters)' }] };
    if (s.startsWith('ip:')) {
      const r = ipSubject(s.slice(3));
      if ('error' in r) return { ok: false, issues: [{ path: 'subject', message: r.error }] };
      resolved = r.subject;
    } else resolved = s;
  }
  return { ok: true, value: { subject: resolved, durationMs: duration, reason: reason === undefined || reason === '' ? DEFAULT_BLOCK_REASON : reason } };
}

/** A block as the API shows it. */
export interface BlockView {
  readonly subject: string;
  /** the address, for `ip:` subjects */
  readonly ip?: string;
  readonly until: string;
  readonly created_at: string;
  readonly reason: string;
}

export function blockView(b: BlockRecord): BlockView {
  return {
    subject: b.subject,
    ...(b.subject.startsWith('ip:') ? { ip: b.subject.slice(3) } : {}),
    until: new Date(b.until).toISOString(),
    created_at: new Date(b.createdAt).toISOString(),
    reason: b.reason,
  };
}

/** One line of the export: a store block, or a `network.deny` entry of the running config. */
export interface ExportEntry {
  readonly address: string;
  /** ISO time, or null: until the config changes */
  readonly until: string | null;
  readonly reason: string;
  readonly source: 'block' | 'config';
}

export type ExportSource = 'all' | 'blocks' | 'config';

/** Addresses of `ip:` blocks (other subjects are not firewall material) and network.deny CIDRs. */
export function exportEntries(blocks: readonly BlockRecord[], deny: readonly string[], source: ExportSource): ExportEntry[] {
  const out: ExportEntry[] = [];
  const seen = new Set<string>();
  if (source !== 'config') {
    for (const b of blocks) {
      if (!b.subject.startsWith('ip:')) continue;
      const address = canonicalIp(b.subject.slice(3));
      if (address === null || seen.has(address)) continue;
      seen.add(address);
      out.push({ address, until: new Date(b.until).toISOString(), reason: b.reason, source: 'block' });
    }
  }
  if (source !== 'blocks') {
    for (const entry of deny) {
      if (seen.has(entry)) continue;
      seen.add(entry);
      out.push({ address: entry, until: null, reason: 'network.deny', source: 'config' });
    }
  }
  return out;
}

/** Plain text: one address or CIDR per line (iptables/ipset/nftables/pf tables read this). */
export function exportText(entries: readonly ExportEntry[]): string {
  return entries.map((e) => `${e.address}\n`).join('');
}

/**
 * RFC 4180 CSV (CRLF line ends) with a header. Reasons are attacker-influenced (lure ids, admin
 * text): a cell starting with = + - @ TAB or CR is prefixed with ' so a spreadsheet never runs it
 * (OWASP "CSV injection"), and every cell is quoted.
 */
export function exportCsv(entries: readonly ExportEntry[]): string {
  const cell = (value: string): string => {
    const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
    return `"${safe.replaceAll('"', '""')}"`;
  };
  const lines = ['address,until,reason,source'];
  for (const e of entries) lines.push([cell(e.address), cell(e.until ?? ''), cell(e.reason), cell(e.source)].join(','));
  return `${lines.join('\r\n')}\r\n`;
}
