/**
 * The state store: everything that must hold across requests (rate limits, lure counters, blocks,
 * canaries, persona quota counters) goes through this one interface. Two implementations pass the
 * same contract suite (test/store/contract.ts): memory (embedded default) and Redis (many instances).
 *
 * Hot-path rule (issue 5): one request makes at most ONE store call, `admit()`, which checks blocks,
 * consumes every rate limit, counts a lure hit (and blocks at its threshold) and counts persona usage
 * in a single round trip. Everything else here is for admin, canaries and tests.
 */

/** A rate limit to consume: `points` out of `limit` per `durationSec` window for `key` under `rule`. */
export interface LimitCheck {
  readonly rule: string;
  readonly key: string;
  readonly limit: number;
  readonly durationSec: number;
  /** points this request costs; default 1 */
  readonly cost?: number;
}

/** Lure accounting: count this request for (lure id, subject) and block the subject at `max`. */
export interface LureCheck {
  readonly lureId: string;
  /** the block subject, e.g. `ip:203.0.113.9` */
  readonly subject: string;
  /** requests allowed before the block; the request that makes count > max is refused */
  readonly max: number;
  readonly blockDurationMs: number;
  /** how long the counter lives without hits */
  readonly windowMs: number;
}

/** Persona usage for rate-limit headers (x-ratelimit-remaining-*): per persona, per window. */
export interface UsageCheck {
  readonly key: string;
  readonly windowMs: number;
  readonly tokens: number;
}

export interface AdmitInput {
  /** block subjects to check, e.g. [`ip:203.0.113.9`] or [`ip:…`, `user:alice`] */
  readonly subjects: readonly string[];
  readonly limits: readonly LimitCheck[];
  readonly lure?: LureCheck;
  readonly usage?: UsageCheck;
}

export interface BlockRecord {
  readonly subject: string;
  /** epoch ms */
  readonly until: number;
  readonly reason: string;
  readonly createdAt: number;
}

export interface AdmitResult {
  /** the first blocked subject, if any (then nothing was consumed) */
  readonly blocked: BlockRecord | null;
  /** the first limit that refused, if any */
  readonly limited: { readonly rule: string; readonly retryAfterMs: number; readonly limit: number } | null;
  /** lure hit count after this request (present when `lure` was given and not blocked before) */
  readonly lureCount?: number;
  /** true when this request crossed the lure threshold: the subject is now blocked */
  readonly lureBlocked?: boolean;
  /** usage in the current window after this request (present when `usage` was given) */
  readonly usage?: { readonly requests: number; readonly tokens: number; readonly resetMs: number };
}

export interface CanaryRecord {
  /** the canary's unique token (also its lookup key) */
  readonly token: string;
  /** what the placeholder was: url, api_key, hostname, password, aws_key … */
  readonly kind: string;
  /** event id of the lure request that minted it */
  readonly mintedBy: string;
  readonly lureKeyFingerprint: string;
  readonly campaign?: string;
  readonly placement?: string;
  readonly clientIp: string;
  readonly createdAt: number;
}

/** Health as seen by the failure policy (issue 5). */
export interface StoreHealth {
  readonly backend: 'memory' | 'redis';
  readonly ok: boolean;
  readonly degraded: boolean;
  readonly detail?: string;
}

export interface Store {
  readonly backend: 'memory' | 'redis';
  /**
   * In this order, atomically: blocks (a blocked subject: nothing consumed) → limits (all or
   * nothing: a refused request consumes no limit, counts no lure, no usage) → lure count (and the
   * block at the threshold, which also resets the lure counter) → usage (not counted for the request
   * refused by the lure threshold). Malformed input rejects with StoreInputError; Redis down under
   * fail_closed rejects with StoreUnavailableError (errors.ts).
   */
  admit(input: AdmitInput): Promise<AdmitResult>;
  block(subject: string, durationMs: number, reason: string): Promise<BlockRecord>;
  unblock(subject: string): Promise<boolean>;
  /** live blocks, soonest to end first (Redis: at most 10 000) */
  listBlocks(): Promise<BlockRecord[]>;
  /** Register a canary; if the token exists, the first record is kept and its life extended. */
  putCanary(record: CanaryRecord, ttlMs: number): Promise<void>;
  getCanary(token: string): Promise<CanaryRecord | null>;
  health(): StoreHealth;
  /** resolves once the backend answers, or after timeoutMs with the health at that time (added; optional) */
  ready?(timeoutMs?: number): Promise<StoreHealth>;
  close(): Promise<void>;
}
