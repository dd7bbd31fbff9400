/**
 * Network policy and limits, compiled once from config: CIDR allow/deny lists, rate-limit rules
 * (per ip, per key, per header) with exemptions, and the one store call (`AdmitInput`) a request
 * makes. Nothing here builds a regex or a list per request.
 */
import type { BlockList } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';
import type { Config } from '../config/schema.js';
import type { AdmitInput, LimitCheck, LureCheck, UsageCheck } from '../store/types.js';
import { cidrList, inList, rateLimitIp } from './identity.js';
import type { KeyRecord } from './keyring.js';

interface CompiledRule {
  readonly name: string;
  readonly by: 'ip' | 'key' | 'header';
  readonly header: string;
  readonly limit: number;
  readonly durationSec: number;
  readonly exempt: BlockList | null;
}

export interface AdmitContext {
  readonly ip: string;
  readonly headers: IncomingHttpHeaders;
  readonly record: KeyRecord;
  /** estimated tokens of this request (persona usage headers) */
  readonly tokens: number;
  /** more block subjects from the surface (tool: `user:<id>`, `conversation:<id>`) */
  readonly subjects?: readonly string[] | undefined;
  /** more limits from the surface (tool: per-route rules and the route's service cap) */
  readonly limits?: readonly LimitCheck[] | undefined;
  /**
   * false: the real provider would not bill this request (a refusal, a probe, a listing): it does
   * not count toward the lure's max_requests. Default true.
   */
  readonly billable?: boolean | undefined;
}

/**
 * A lure persona that ran out of quota stays out of quota: the block on `lure:<fingerprint>` lasts
 * this long whatever `block_duration` says (a real account does not refill itself), until an
 * operator lifts it (admin API) or mints a new lure.
 */
export const PERSONA_EXHAUSTED_MS = 365 * 86_400_000;

/** The block subject of a lure key's persona (its quota), shared by every client of the key. */
export function personaSubject(fingerprint: string): string {
  return `lure:${fingerprint}`;
}

export class Policy {
  readonly #allow: BlockList | null;
  readonly #deny: BlockList | null;
  readonly #exempt: BlockList | null;
  readonly #rules: readonly CompiledRule[];
  readonly trustedProxies: BlockList | null;

  constructor(config: Pick<Config, 'network' | 'limits' | 'trusted_proxies'>) {
    this.#allow = cidrList(config.network.allow);
    this.#deny = cidrList(config.network.deny);
    this.#exempt = cidrList(config.limits.exempt);
    this.trustedProxies = cidrList(config.trusted_proxies);
    this.#rules = config.limits.rules.map((r) => {
      const [by, header = ''] = r.by.split(':', 2) as ['ip' | 'key' | 'header', string?];
      return {
        name: r.name,
        by,
        header: header.toLowerCase(),
        limit: r.limit,
        durationSec: Math.max(1, Math.ceil(r.window / 1000)),
        exempt: cidrList(r.exempt),
      };
    });
  }

  /** Deny wins over allow; an empty allow list allows everyone. */
  networkAllowed(ip: string): boolean {
    if (inList(this.#deny, ip)) return false;
    return this.#allow === null || inList(this.#allow, ip);
  }

  limitsFor(ip: string, headers: IncomingHttpHeaders, record: KeyRecord): LimitCheck[] {
    if (this.#rules.length === 0 || inList(this.#exempt, ip)) return [];
    const out: LimitCheck[] = [];
    for (const rule of this.#rules) {
      if (rule.exempt && inList(rule.exempt, ip)) continue;
      let key: string | undefined;
      if (rule.by === 'ip') key = rateLimitIp(ip);
      else if (rule.by === 'key') key = record.fingerprint;
      else {
        const v = headers[rule.header];
        key = Array.isArray(v) ? v[0] : v;
        if (key !== undefined) key = key.slice(0, 256);
      }
      if (key === undefined || key === '') continue;
      out.push({ rule: rule.name, key, limit: rule.limit, durationSec: rule.durationSec });
    }
    return out;
  }

  admitInput(ctx: AdmitContext): AdmitInput {
    const subject = `ip:${ctx.ip}`;
    const own = this.limitsFor(ctx.ip, ctx.headers, ctx.record);
    const limits = ctx.limits && ctx.limits.length > 0 ? [...own, ...ctx.limits] : own;
    const subjects = ctx.subjects && ctx.subjects.length > 0 ? [subject, ...ctx.subjects] : [subject];
    const lure = ctx.record.lure;
    if (!lure) return { subjects, limits };
    // the threshold exhausts the lure's persona, not the client's address: other keys used from the
    // same address (another lure, a valid key) are not tied to this one (docs/deception.md)
    const persona = personaSubject(ctx.record.fingerprint);
    subjects.push(persona);
    const usage: UsageCheck = { key: ctx.record.fingerprint, windowMs: 60_000, tokens: ctx.tokens };
    if (ctx.billable === false) return { subjects, limits, usage };
    const lureCheck: LureCheck = {
      lureId: ctx.record.fingerprint,
      subject: persona,
      max: lure.maxRequests,
      blockDurationMs: PERSONA_EXHAUSTED_MS,
      windowMs: Math.max(lure.blockDurationMs, 86_400_000),
    };
    return { subjects, limits, lure: lureCheck, usage };
  }
}
