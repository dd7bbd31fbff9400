/**
 * Load: a weighted mix of flows sent at a bounded rate and concurrency for a bounded time or
 * count, over kept-alive connections reused as the SDKs' clients reuse them, with latency
 * percentiles, status counts and the achieved rate against the requested one. A seed makes every
 * generated value (invocation ids, request ids) and the clock (X-Amz-Date, the signature) a
 * function of the request's index, so a seeded run's bytes can be reproduced.
 * It always stops by itself: the duration is capped (1 h) whatever the arguments, a wall-clock
 * guard aborts anything still in flight after duration + timeout, and rate, concurrency and count
 * have hard ceilings.
 */
import type { Flow } from './flows.js';
import type { Profile } from './profiles.js';
import { runFlow, type Outcome, type RunOptions } from './runner.js';
import { seededRandom } from './template.js';
import { ConnectionPool } from './wire.js';

/** One entry of the mix: this flow in this profile, `weight` requests out of the total weight. */
export interface MixEntry {
  readonly profile: Profile;
  readonly flow: Flow;
  readonly weight: number;
}

/**
 * Smooth weighted round robin (as nginx balances upstreams): deterministic, and any window of
 * `sum(weights)` picks holds each entry exactly `weight` times, spread out rather than in bursts.
 */
export function weightedOrder(weights: readonly number[], count: number): number[] {
  const picker = new WeightedPicker(weights);
  return Array.from({ length: count }, () => picker.next());
}

class WeightedPicker {
  private readonly current: number[];
  private readonly total: number;
  constructor(private readonly weights: readonly number[]) {
    this.current = weights.map(() => 0);
    this.total = weights.reduce((a, b) => a + b, 0);
  }
  next(): number {
    let best = 0;
    for (let i = 0; i < this.weights.length; i++) {
      this.current[i] = (this.current[i] ?? 0) + (this.weights[i] ?? 0);
      if ((this.current[i] ?? 0) > (this.current[best] ?? 0)) best = i;
    }
    this.current[best] = (this.current[best] ?? 0) - this.total;
    return best;
  }
}

/** The clock of a seeded run starts here unless told otherwise. */
const SEEDED_EPOCH = Date.parse('2026-01-01T00:00:00Z');

export const LOAD_LIMITS = {
  maxDurationMs: 3_600_000,
  maxRate: 10_000,
  maxConcurrency: 1024,
  maxRequests: 10_000_000,
  defaultDurationMs: 10_000,
} as const;

export interface LoadOptions extends RunOptions {
  /** the flows to send and their weights (or one profile and flow) */
  readonly mix?: readonly MixEntry[];
  readonly profile?: Profile;
  readonly flow?: Flow;
  /** reproducible bytes: generated values from this seed and the request index */
  readonly seed?: string;
  /** seeded runs: the virtual clock's start (ms since epoch); request i is dated start + i/rate s */
  readonly seedTime?: number;
  /** reuse kept-alive connections (default true, as the SDKs do) */
  readonly keepAlive?: boolean;
  /** requests started per second */
  readonly rate: number;
  /** requests in flight at most */
  readonly concurrency: number;
  /** stop starting requests after this long (capped at LOAD_LIMITS.maxDurationMs) */
  readonly durationMs?: number;
  /** stop after this many requests */
  readonly requests?: number;
}

export interface Latency {
  readonly min: number;
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

export interface FlowLoadStats {
  readonly profile: string;
  readonly weight: number;
  sent: number;
  completed: number;
  readonly outcomes: Record<Outcome, number>;
}

export interface LoadReport {
  /** the flow (the first of the mix) */
  readonly flow: string;
  readonly profile: string;
  readonly target: string;
  /** requested rate, requests per second */
  readonly rate: number;
  readonly concurrency: number;
  readonly durationLimitMs: number;
  readonly requestLimit: number | null;
  readonly sent: number;
  readonly completed: number;
  readonly durationMs: number;
  /** completed requests per second */
  readonly achievedRate: number;
  /** started requests per second (what the scheduler managed) */
  readonly sendRate: number;
  /** the send rate reached 95 % of the requested rate */
  readonly rateMet: boolean;
  /** kept-alive connections: how many were opened, how many requests reused one */
  readonly connections: { readonly opened: number; readonly reused: number; readonly keepAlive: boolean };
  /** per flow of the mix */
  readonly flows: Readonly<Record<string, FlowLoadStats>>;
  readonly seed: string | null;
  readonly stoppedBy: 'duration' | 'requests' | 'guard' | 'signal';
  readonly outcomes: Readonly<Record<Outcome, number>>;
  /** HTTP status codes, or the failure kind when there was no response */
  readonly statuses: Readonly<Record<string, number>>;
  /** total time of completed requests, ms */
  readonly latency: Latency;
}

/** Nearest-rank percentile of sorted values (0 for none). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? 0;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

export function latencyOf(values: readonly number[]): Latency {
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    min: round(sorted[0] ?? 0),
    mean: round(sorted.length ? sum / sorted.length : 0),
    p50: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted[sorted.length - 1] ?? 0),
  };
}

/** Clamp the arguments to the hard limits (the load stops by itself whatever it is given). */
export function boundedLoad(o: { rate: number; concurrency: number; durationMs?: number; requests?: number }): {
  rate: number;
  concurrency: number;
  durationMs: number;
  requests: number | null;
} {
  const finite = (n: number | undefined): n is number => n !== undefined && Number.isFinite(n) && n > 0;
  return {
    rate: Math.min(LOAD_LIMITS.maxRate, finite(o.rate) ? o.rate : 1),
    concurrency: Math.min(LOAD_LIMITS.maxConcurrency, finite(o.concurrency) ? Math.floor(o.concurrency) || 1 : 1),
    durationMs: Math.min(LOAD_LIMITS.maxDurationMs, finite(o.durationMs) ? o.durationMs : LOAD_LIMITS.defaultDurationMs),
    requests: finite(o.requests) ? Math.min(LOAD_LIMITS.maxRequests, Math.floor(o.requests)) : null,
  };
}

/**
 * A sleep that ends on its timer, on the signal, or when cancelled; either way its timer and its
 * abort listener go (a sleep raced against requests must not outlive the race).
 */
async function sleep(ms: number, signal: AbortSignal, race: readonly Promise<unknown>[] = []): Promise<void> {
  if (signal.aborted || ms <= 0) return;
  let done: () => void = () => undefined;
  const timer = new Promise<void>((resolve) => {
    const t = setTimeout(finish, ms);
    function finish(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', finish);
      resolve();
    }
    done = finish;
    signal.addEventListener('abort', finish, { once: true });
  });
  try {
    await Promise.race([timer, ...race]);
  } finally {
    done();
  }
}

/** Run the load; resolves with the report once every request has finished or been aborted. */
export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  const mix: readonly MixEntry[] =
    options.mix && options.mix.length > 0 ? options.mix : options.profile && options.flow ? [{ profile: options.profile, flow: options.flow, weight: 1 }] : [];
  const first = mix[0];
  if (!first) throw new Error('load: no flow to send');
  if (mix.some((m) => !Number.isFinite(m.weight) || m.weight <= 0)) throw new Error('load: weights must be positive');
  const picker = new WeightedPicker(mix.map((m) => m.weight));
  const pool = options.keepAlive === false ? undefined : new ConnectionPool();
  const perFlow: Record<string, FlowLoadStats> = {};
  for (const m of mix) {
    perFlow[m.flow.name] ??= { profile: m.profile.name, weight: m.weight, sent: 0, completed: 0, outcomes: { allowed: 0, blocked: 0, altered: 0 } };
  }
  const seedStart = options.seedTime ?? SEEDED_EPOCH;
  const b = boundedLoad({
    rate: options.rate,
    concurrency: options.concurrency,
    ...(options.durationMs !== undefined ? { durationMs: options.durationMs } : {}),
    ...(options.requests !== undefined ? { requests: options.requests } : {}),
  });
  const stop = new AbortController();
  const outer = options.signal;
  const onOuter = (): void => stop.abort();
  outer?.addEventListener('abort', onOuter, { once: true });
  const start = performance.now();
  // the guard: nothing outlives duration + one request timeout + 1 s, whatever happens
  let guardFired = false;
  const guard = setTimeout(() => {
    guardFired = true;
    stop.abort();
  }, b.durationMs + options.timeoutMs + 1000);

  const outcomes: Record<Outcome, number> = { allowed: 0, blocked: 0, altered: 0 };
  const statuses: Record<string, number> = {};
  const latencies: number[] = [];
  let sent = 0;
  let completed = 0;
  let lastSendAt = start;
  let stoppedBy: LoadReport['stoppedBy'] = 'duration';
  const inflight = new Set<Promise<void>>();
  const interval = 1000 / b.rate;
  // sleeps end on stop, or when the run is over (so no timer outlives it)
  const over = new AbortController();
  const wake = AbortSignal.any([stop.signal, over.signal]);

  const one = async (index: number, entry: MixEntry): Promise<void> => {
    try {
      const seeded =
        options.seed !== undefined
          ? { random: seededRandom(`${options.seed}:${index}`), now: new Date(seedStart + Math.floor((index * 1000) / b.rate)) }
          : {};
      const r = await runFlow(entry.profile, entry.flow, { ...options, signal: stop.signal, ...seeded, ...(pool ? { pool } : {}) });
      if (r.failure === 'aborted') return;
      completed++;
      outcomes[r.outcome]++;
      const stats = perFlow[entry.flow.name];
      if (stats) {
        stats.completed++;
        stats.outcomes[r.outcome]++;
      }
      const key = r.status !== undefined ? String(r.status) : (r.failure ?? 'error');
      statuses[key] = (statuses[key] ?? 0) + 1;
      latencies.push(r.timings.total);
    } catch (e: unknown) {
      // a build error (bad parameter) is the same for every request: stop at once
      stop.abort();
      throw e;
    }
  };

  let failure: unknown;
  try {
    for (;;) {
      if (stop.signal.aborted) {
        stoppedBy = guardFired ? 'guard' : outer?.aborted ? 'signal' : stoppedBy;
        break;
      }
      if (b.requests !== null && sent >= b.requests) {
        stoppedBy = 'requests';
        break;
      }
      const now = performance.now() - start;
      if (now >= b.durationMs) {
        stoppedBy = 'duration';
        break;
      }
      const due = sent * interval;
      if (due > now) {
        await sleep(Math.min(due - now, b.durationMs - now), wake);
        continue;
      }
      if (inflight.size >= b.concurrency) {
        await sleep(b.durationMs - now, wake, [...inflight]);
        continue;
      }
      const entry = mix[picker.next()] ?? first;
      const stats = perFlow[entry.flow.name];
      if (stats) stats.sent++;
      const p: Promise<void> = one(sent, entry)
        .catch((e: unknown) => {
          failure ??= e;
        })
        .finally(() => inflight.delete(p));
      sent++;
      lastSendAt = performance.now();
      inflight.add(p);
    }
    await Promise.all(inflight);
  } finally {
    over.abort();
    clearTimeout(guard);
    pool?.close();
    outer?.removeEventListener('abort', onOuter);
  }
  if (failure !== undefined) throw failure;
  const durationMs = performance.now() - start;
  // the schedule's own measure: n sends over the span from the first to the last, plus one interval
  const sendSpan = (lastSendAt - start) / 1000 + 1 / b.rate;
  const sendRate = sent > 0 ? round(sent / sendSpan) : 0;
  return {
    flow: first.flow.name,
    profile: first.profile.name,
    target: options.target.toString(),
    rate: b.rate,
    concurrency: b.concurrency,
    durationLimitMs: b.durationMs,
    requestLimit: b.requests,
    sent,
    completed,
    durationMs: round(durationMs),
    achievedRate: durationMs > 0 ? round((completed * 1000) / durationMs) : 0,
    sendRate,
    rateMet: sendRate >= 0.95 * b.rate,
    connections: { opened: pool?.opened ?? completed, reused: pool?.reused ?? 0, keepAlive: pool !== undefined },
    flows: perFlow,
    seed: options.seed ?? null,
    stoppedBy,
    outcomes,
    statuses,
    latency: latencyOf(latencies),
  };
}
