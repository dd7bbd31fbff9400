/**
 * RedisStore: the shared store for many gateway instances, on ioredis (standalone, Sentinel or
 * Cluster). One admit() = one EVALSHA of ADMIT_LUA (redis-script.ts): atomic, one round trip.
 *
 * This class is the raw backend: a call that fails or hangs rejects with ioredis' own error.
 * Deadlines, the fail_open / fail_closed policy and health reporting wrap it in ResilientStore
 * (resilient.ts); createStore() (index.ts) builds the pair.
 *
 * Keys: `<prefix>{<hashTag>}:<layout of keys.ts>`. The one hash tag puts every key in one Cluster
 * slot, so a script may touch a request's block, limit, lure and usage keys together (a per-subject
 * tag would split a key-wide limit or a user block across slots). Every key expires on its own.
 */
import type { Cluster, Redis } from 'ioredis';
import { BLOCK_INDEX, blockKey, canaryKey, limitKey, lureBlockReason, lureKey, usageKey } from './keys.js';
import { ADMIT_LUA, BLOCK_LUA, BLOCK_UNTIL_LUA, parseBlockValue, UNBLOCK_LUA } from './redis-script.js';
import type { AdmitInput, AdmitResult, BlockRecord, CanaryRecord, LimitCheck, Store, StoreHealth } from './types.js';
import { validateAdmitInput, validateBlock, validateCanary, windowMs } from './validate.js';

export interface RedisStoreOptions {
  /** key prefix, default `honeygate:` */
  readonly prefix?: string;
  /** Cluster hash tag shared by every key, default `hg` */
  readonly hashTag?: string;
  /** most blocks listBlocks() returns, default 10_000 */
  readonly maxListBlocks?: number;
}

type ScriptFn = (numKeys: number, ...args: (string | number)[]) => Promise<unknown>;

const SCRIPTS = {
  hgAdmit: ADMIT_LUA,
  hgBlock: BLOCK_LUA,
  hgBlockUntil: BLOCK_UNTIL_LUA,
  hgUnblock: UNBLOCK_LUA,
} as const;
type ScriptName = keyof typeof SCRIPTS;

/** Defines the scripts once per client (EVALSHA, with EVAL on NOSCRIPT, handled by ioredis). */
function defineScripts(client: Redis | Cluster): Record<ScriptName, ScriptFn> {
  const out: Partial<Record<ScriptName, ScriptFn>> = {};
  for (const name of Object.keys(SCRIPTS) as ScriptName[]) {
    const holder = client as unknown as Record<string, unknown>;
    if (typeof holder[name] !== 'function') client.defineCommand(name, { lua: SCRIPTS[name] });
    const fn = holder[name];
    if (typeof fn !== 'function') throw new Error(`ioredis did not define ${name}`);
    out[name] = (numKeys, ...args) => (fn as (...a: unknown[]) => Promise<unknown>).call(client, numKeys, ...args);
  }
  return out as Record<ScriptName, ScriptFn>;
}

function num(value: unknown): number {
  return typeof value === 'number' ? value : Number(value);
}

const HEALTHY: StoreHealth = Object.freeze({ backend: 'redis', ok: true, degraded: false });

export class RedisStore implements Store {
  readonly backend = 'redis' as const;
  readonly client: Redis | Cluster;
  readonly #base: string;
  readonly #index: string;
  readonly #maxList: number;
  readonly #scripts: Record<ScriptName, ScriptFn>;

  constructor(client: Redis | Cluster, options: RedisStoreOptions = {}) {
    this.client = client;
    this.#base = `${options.prefix ?? 'honeygate:'}{${options.hashTag ?? 'hg'}}:`;
    this.#index = this.#base + BLOCK_INDEX;
    this.#maxList = options.maxListBlocks ?? 10_000;
    this.#scripts = defineScripts(client);
  }

  /** The full Redis key for a layout key (tests and tools). */
  key(layoutKey: string): string {
    return this.#base + layoutKey;
  }

  /** Every key one admit() touches, in script order (tests check they share one Cluster slot). */
  admitKeys(input: AdmitInput): string[] {
    return this.#plan(input).keys;
  }

  async admit(input: AdmitInput): Promise<AdmitResult> {
    validateAdmitInput(input);
    const { keys, args } = this.#plan(input);
    const reply = await this.#scripts.hgAdmit(keys.length, ...keys, ...args);
    if (!Array.isArray(reply)) throw new Error('unexpected admit reply');
    const status = num(reply[0]);
    if (status === 1) {
      const subject = input.subjects[num(reply[1]) - 1] ?? '';
      const parsed = parseBlockValue(subject, String(reply[2]));
      return { blocked: parsed ?? { subject, until: Date.now(), createdAt: Date.now(), reason: 'unknown' }, limited: null };
    }
    if (status === 2) {
      const limit = input.limits[num(reply[1]) - 1] as LimitCheck;
      return { blocked: null, limited: { rule: limit.rule, retryAfterMs: num(reply[2]), limit: limit.limit } };
    }
    const lureCount = num(reply[1]);
    const usageRequests = num(reply[5]);
    const usage = usageRequests >= 0 ? { requests: usageRequests, tokens: num(reply[6]), resetMs: num(reply[7]) } : undefined;
    if (input.lure !== undefined && lureCount >= 0) {
      const lureBlocked = num(reply[2]) === 1;
      return usage !== undefined
        ? { blocked: null, limited: null, lureCount, lureBlocked, usage }
        : { blocked: null, limited: null, lureCount, lureBlocked };
    }
    return usage !== undefined ? { blocked: null, limited: null, usage } : { blocked: null, limited: null };
  }

  async block(subject: string, durationMs: number, reason: string): Promise<BlockRecord> {
    validateBlock(subject, durationMs, reason);
    const reply = await this.#scripts.hgBlock(2, this.#index, this.#base + blockKey(subject), subject, durationMs, reason);
    if (!Array.isArray(reply)) throw new Error('unexpected block reply');
    return { subject, until: num(reply[0]), reason, createdAt: num(reply[1]) };
  }

  /** A block with an absolute end; never shortens a longer one (carrying local blocks after an outage). */
  async blockUntil(record: BlockRecord): Promise<boolean> {
    validateBlock(record.subject, 1, record.reason);
    const reply = await this.#scripts.hgBlockUntil(
      2,
      this.#index,
      this.#base + blockKey(record.subject),
      record.subject,
      Math.floor(record.until),
      Math.floor(record.createdAt),
      record.reason,
    );
    return num(reply) === 1;
  }

  async unblock(subject: string): Promise<boolean> {
    if (typeof subject !== 'string' || subject.length === 0) return false;
    const reply = await this.#scripts.hgUnblock(2, this.#index, this.#base + blockKey(subject), subject);
    return num(reply) > 0;
  }

  /** Live blocks, soonest to end first, at most maxListBlocks; prunes ended ones from the index. */
  async listBlocks(): Promise<BlockRecord[]> {
    const now = Date.now();
    await this.client.zremrangebyscore(this.#index, '-inf', `(${now}`);
    const subjects = await this.client.zrangebyscore(this.#index, `(${now}`, '+inf', 'LIMIT', 0, this.#maxList);
    if (subjects.length === 0) return [];
    const values = await this.client.mget(...subjects.map((s) => this.#base + blockKey(s)));
    const out: BlockRecord[] = [];
    subjects.forEach((subject, i) => {
      const value = values[i];
      if (value === null || value === undefined) return; // unblocked or ended since the index read
      const record = parseBlockValue(subject, value);
      if (record !== null) out.push(record);
    });
    return out.sort((a, b) => a.until - b.until || (a.subject < b.subject ? -1 : a.subject > b.subject ? 1 : 0));
  }

  async putCanary(record: CanaryRecord, ttlMs: number): Promise<void> {
    validateCanary(record, ttlMs);
    // first mint wins (attribution points at the request that first handed the canary out); a
    // re-mint only extends its life — one round trip
    const key = this.#base + canaryKey(record.token);
    await this.client.multi().set(key, JSON.stringify(record), 'PX', ttlMs, 'NX').pexpire(key, ttlMs).exec();
  }

  async getCanary(token: string): Promise<CanaryRecord | null> {
    if (typeof token !== 'string' || token.length === 0) return null;
    const text = await this.client.get(this.#base + canaryKey(token));
    return text === null ? null : parseCanary(text);
  }

  /** Round trip to the server (the recovery probe). */
  async ping(): Promise<void> {
    await this.client.ping();
  }

  health(): StoreHealth {
    return HEALTHY;
  }

  async close(): Promise<void> {
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }

  #plan(input: AdmitInput): { keys: string[]; args: (string | number)[] } {
    const base = this.#base;
    const { subjects, limits, lure, usage } = input;
    const keys: string[] = [this.#index];
    const args: (string | number)[] = [subjects.length, limits.length, lure ? 1 : 0, usage ? 1 : 0];
    for (let i = 0; i < subjects.length; i++) keys.push(base + blockKey(subjects[i] as string));
    for (let i = 0; i < limits.length; i++) {
      const l = limits[i] as LimitCheck;
      keys.push(base + limitKey(l.rule, l.key));
      args.push(l.limit, windowMs(l.durationSec), l.cost ?? 1);
    }
    if (lure !== undefined) {
      keys.push(base + lureKey(lure.lureId, lure.subject), base + blockKey(lure.subject));
      args.push(lure.max, lure.blockDurationMs, lure.windowMs, lureBlockReason(lure.lureId), lure.subject);
    }
    if (usage !== undefined) {
      keys.push(base + usageKey(usage.key));
      args.push(usage.windowMs, usage.tokens);
    }
    return { keys, args };
  }
}

/** A stored canary back to a CanaryRecord, or null if it is not one (never trust stored JSON blindly). */
function parseCanary(text: string): CanaryRecord | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (value === null || typeof value !== 'object') return null;
  const v = value as Record<string, unknown>;
  const { token, kind, mintedBy, lureKeyFingerprint, clientIp, createdAt, campaign, placement } = v;
  if (
    typeof token !== 'string' ||
    typeof kind !== 'string' ||
    typeof mintedBy !== 'string' ||
    typeof lureKeyFingerprint !== 'string' ||
    typeof clientIp !== 'string' ||
    typeof createdAt !== 'number'
  ) {
    return null;
  }
  return {
    token,
    kind,
    mintedBy,
    lureKeyFingerprint,
    clientIp,
    createdAt,
    ...(typeof campaign === 'string' ? { campaign } : {}),
    ...(typeof placement === 'string' ? { placement } : {}),
  };
}
