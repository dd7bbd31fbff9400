/**
 * Load: one flow sent at a bounded rate and concurrency for a bounded time or count, with latency
 * percentiles and status counts. It always stops by itself: the duration is capped (1 h) whatever
 * the arguments, a wall-clock guard aborts anything still in flight after duration + timeout, and
 * rate, concurrency and count have hard ceilings.
 */
import type { Flow } from './flows.js';
import type { Profile } from './profiles.js';
import { runFlow, type Outcome, type RunOptions } from './runner.js';

export const LOAD_LIMITS = {
  maxDurationMs: 3_600_000,
  maxRate: 10_000,
  maxConcurrency: 1024,
  maxRequests: 10_000_000,
  defaultDurationMs: 10_000,
} as const;

export interface LoadOptions extends RunOptions {
  readonly profile: Profile;
  readonly flow: Flow;
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

export interface LoadReport {
  readonly flow: string;
  readonly profile: string;
  readonly target: string;
  readonly rate: number;
  readonly concurrency: number;
  readonly durationLimitMs: number;
  readonly requestLimit: number | null;
  readonly sent: number;
  readonly completed: number;
  readonly durationMs: number;
  readonly achievedRate: number;
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

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted || ms <= 0) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/** Run the load; resolves with the report once every request has finished or been aborted. */
export async function runLoad(options: LoadOptions): Promise<LoadReport> {
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
  let stoppedBy: LoadReport['stoppedBy'] = 'duration';
  const inflight = new Set<Promise<void>>();
  const interval = 1000 / b.rate;
  // sleeps end on stop, or when the run is over (so no timer outlives it)
  const over = new AbortController();
  const wake = AbortSignal.any([stop.signal, over.signal]);

  const one = async (): Promise<void> => {
    try {
      const r = await runFlow(options.profile, options.flow, { ...options, signal: stop.signal });
      if (r.failure === 'aborted') return;
      completed++;
      outcomes[r.outcome]++;
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
        await Promise.race([...inflight, sleep(b.durationMs - now, wake)]);
        continue;
      }
      sent++;
      const p: Promise<void> = one()
        .catch((e: unknown) => {
          failure ??= e;
        })
        .finally(() => inflight.delete(p));
      inflight.add(p);
    }
    await Promise.all(inflight);
  } finally {
    over.abort();
    clearTimeout(guard);
    outer?.removeEventListener('abort', onOuter);
  }
  if (failure !== undefined) throw failure;
  const durationMs = performance.now() - start;
  return {
    flow: options.flow.name,
    profile: options.profile.name,
    target: options.target.toString(),
    rate: b.rate,
    concurrency: b.concurrency,
    durationLimitMs: b.durationMs,
    requestLimit: b.requests,
    sent,
    completed,
    durationMs: round(durationMs),
    achievedRate: durationMs > 0 ? round((completed * 1000) / durationMs) : 0,
    stoppedBy,
    outcomes,
    statuses,
    latency: latencyOf(latencies),
  };
}
