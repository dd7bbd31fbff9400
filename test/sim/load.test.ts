/**
 * Load runs stop by themselves within their bound (duration, count, or the wall-clock guard when
 * the target never answers), respect the concurrency cap, and report percentiles and statuses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFlowEmulator, type FlowEmulator } from '../../src/sim/emulator.js';
import { loadCatalog } from '../../src/sim/flows.js';
import { boundedLoad, latencyOf, LOAD_LIMITS, percentile, runLoad } from '../../src/sim/load.js';
import { serverProfiles } from '../../src/sim/runner.js';
import { sim, startRawServer } from './helpers.js';

const catalog = await loadCatalog();
let emulator: FlowEmulator;
beforeAll(async () => {
  emulator = await startFlowEmulator({ flows: [...catalog.flows.values()], servers: serverProfiles(catalog), maxRecorded: 50 });
});
afterAll(async () => emulator.close());

const base = { params: {}, timeoutMs: 2000, tls: { rejectUnauthorized: true }, loopbackOnly: true };

describe('load', () => {
  it('stops at the duration and reports percentiles', async () => {
    const profile = catalog.profiles.get('openai-python');
    const flow = catalog.flows.get('openai-chat');
    if (!profile || !flow) throw new Error('missing data');
    const t0 = Date.now();
    const r = await runLoad({ ...base, profile, flow, target: new URL(emulator.url), rate: 100, concurrency: 4, durationMs: 600 });
    const elapsed = Date.now() - t0;
    expect(r.stoppedBy).toBe('duration');
    expect(elapsed).toBeLessThan(600 + 2000);
    expect(r.sent).toBeGreaterThan(10);
    expect(r.sent).toBeLessThanOrEqual(61);
    expect(r.completed).toBe(r.sent);
    expect(r.outcomes.allowed).toBe(r.completed);
    expect(r.statuses['200']).toBe(r.completed);
    expect(r.latency.p50).toBeGreaterThan(0);
    expect(r.latency.p50).toBeLessThanOrEqual(r.latency.p90);
    expect(r.latency.p90).toBeLessThanOrEqual(r.latency.p99);
    expect(r.latency.p99).toBeLessThanOrEqual(r.latency.max);
  });

  it('stops at the request count', async () => {
    const profile = catalog.profiles.get('boto3');
    const flow = catalog.flows.get('bedrock-converse-stream');
    if (!profile || !flow) throw new Error('missing data');
    const r = await runLoad({ ...base, profile, flow, target: new URL(emulator.url), rate: 1000, concurrency: 8, durationMs: 60_000, requests: 25 });
    expect(r.stoppedBy).toBe('requests');
    expect(r.sent).toBe(25);
    expect(r.completed).toBe(25);
    expect(r.outcomes.allowed).toBe(25);
  });

  it('never has more requests in flight than the concurrency', async () => {
    // a target that never answers: nothing completes before the 800 ms timeout, so within a
    // 200 ms duration exactly `concurrency` requests can start
    const server = await startRawServer(() => 'silence');
    try {
      const profile = catalog.profiles.get('curl');
      const flow = catalog.flows.get('openai-models');
      if (!profile || !flow) throw new Error('missing data');
      const t0 = Date.now();
      const r = await runLoad({ ...base, timeoutMs: 800, profile, flow, target: new URL(server.url), rate: 1000, concurrency: 3, durationMs: 200 });
      expect(Date.now() - t0).toBeLessThan(200 + 800 + 1500);
      expect(r.sent).toBe(3);
      expect(server.requests.length).toBe(3);
      expect(r.outcomes.blocked).toBe(3);
      expect(r.statuses['timeout']).toBe(3);
    } finally {
      await server.close();
    }
  });

  it('clamps misconfigured bounds (the run always ends)', () => {
    const b = boundedLoad({ rate: Number.POSITIVE_INFINITY, concurrency: 1e9, durationMs: Number.NaN, requests: -5 });
    expect(b.rate).toBe(1);
    expect(b.concurrency).toBe(LOAD_LIMITS.maxConcurrency);
    expect(b.durationMs).toBe(LOAD_LIMITS.defaultDurationMs);
    expect(b.requests).toBeNull();
    expect(boundedLoad({ rate: 5, concurrency: 1, durationMs: 1e12 }).durationMs).toBe(LOAD_LIMITS.maxDurationMs);
    expect(boundedLoad({ rate: 1e9, concurrency: 1 }).rate).toBe(LOAD_LIMITS.maxRate);
  });

  it('computes nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 90)).toBe(90);
    expect(percentile(values, 99)).toBe(99);
    expect(latencyOf([]).max).toBe(0);
    expect(latencyOf([5, 1, 3])).toMatchObject({ min: 1, p50: 3, max: 5, mean: 3 });
  });

  it('runs from the CLI with --expect and rejects unbounded arguments', async () => {
    const ok = await sim(['load', '--target', emulator.url, '--flow', 'bedrock-invoke-meta-llama3', '--rate', '200', '--concurrency', '2', '--duration', '300ms', '--requests', '10', '--expect', 'allowed', '--json']);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    const report = JSON.parse(ok.stdout) as { sent: number; latency: { p99: number }; stoppedBy: string };
    expect(report.sent).toBeLessThanOrEqual(10);
    expect(report.latency.p99).toBeGreaterThan(0);
    const text = await sim(['load', '--target', emulator.url, '--flow', 'openai-models', '--requests', '3', '--rate', '100']);
    expect(text.stdout).toMatch(/p50=.* p90=.* p99=.* max=/);
    for (const bad of [
      ['--rate', '0'],
      ['--rate', 'fast'],
      ['--rate', '1000000'],
      ['--concurrency', '1.5'],
      ['--concurrency', '5000'],
      ['--duration', 'forever'],
      ['--duration', '2h'],
      ['--requests', '-1'],
    ]) {
      const r = await sim(['load', '--target', emulator.url, '--flow', 'openai-models', ...bad]);
      expect(r.code, bad.join(' ')).toBe(2);
    }
    expect((await sim(['load', '--target', emulator.url, '--flow', 'openai-*'])).code).toBe(2);
    expect((await sim(['load', '--target', emulator.url])).code).toBe(2);
  });
});
