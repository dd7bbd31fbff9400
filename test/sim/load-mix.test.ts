/**
 * Load as a network test tool runs it: no abort listener left behind per request, kept-alive
 * connections reused like the SDKs' pools, a weighted mix of flows, a seed that reproduces every
 * byte (boto3's X-Amz-Date, invocation id and signature included), and a report that says when the
 * requested rate was missed.
 */
import { getEventListeners } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFlowEmulator, type FlowEmulator } from '../../src/sim/emulator.js';
import { loadCatalog } from '../../src/sim/flows.js';
import { runLoad, weightedOrder, type MixEntry } from '../../src/sim/load.js';
import { runOneArm, serverProfiles } from '../../src/sim/runner.js';
import { sim, startRawServer } from './helpers.js';

const catalog = await loadCatalog();
let emulator: FlowEmulator;
beforeAll(async () => {
  emulator = await startFlowEmulator({ flows: [...catalog.flows.values()], servers: serverProfiles(catalog), maxRecorded: 500 });
});
afterAll(async () => emulator.close());

const base = { params: {}, timeoutMs: 3000, tls: { rejectUnauthorized: true }, loopbackOnly: true };

function entry(profile: string, flow: string, weight = 1): MixEntry {
  const p = catalog.profiles.get(profile);
  const f = catalog.flows.get(flow);
  if (!p || !f) throw new Error(`missing ${profile}/${flow}`);
  return { profile: p, flow: f, weight };
}

describe('load', () => {
  it('leaves no abort listener behind: 30 requests on one signal, no MaxListenersExceededWarning', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => {
      warnings.push(w.name);
    };
    process.on('warning', onWarning);
    try {
      const controller = new AbortController();
      const e = entry('curl', 'openai-models');
      const selection = Array.from({ length: 30 }, () => ({ profile: e.profile, flow: e.flow }));
      const results = await runOneArm(selection, { ...base, target: new URL(emulator.url), signal: controller.signal });
      expect(results.filter((r) => r.outcome !== 'allowed').map((r) => `${r.outcome} ${r.reason}`)).toEqual([]);
      expect(getEventListeners(controller.signal, 'abort').length).toBe(0);
      const r = await runLoad({ ...base, mix: [e], target: new URL(emulator.url), rate: 1000, concurrency: 1, requests: 30, signal: controller.signal });
      expect(r.completed).toBe(30);
      expect(getEventListeners(controller.signal, 'abort').length).toBe(0);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((w) => w === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('reuses kept-alive connections; --no-keep-alive opens one per request', async () => {
    const mix = [entry('openai-python', 'openai-chat')];
    const kept = await runLoad({ ...base, mix, target: new URL(emulator.url), rate: 1000, concurrency: 2, requests: 20 });
    expect(kept.completed).toBe(20);
    expect(kept.outcomes.allowed).toBe(20);
    expect(kept.connections.keepAlive).toBe(true);
    expect(kept.connections.opened).toBeLessThanOrEqual(3);
    expect(kept.connections.reused).toBe(20 - kept.connections.opened);
    const fresh = await runLoad({ ...base, mix, target: new URL(emulator.url), rate: 1000, concurrency: 2, requests: 10, keepAlive: false });
    expect(fresh.connections).toMatchObject({ opened: 10, reused: 0, keepAlive: false });
  });

  it('retries once on a fresh connection when a kept-alive one was closed by the server', async () => {
    // the server answers and closes without saying so: the next request finds the connection dead
    const body = '{"object":"list","data":[{"id":"gpt-4o","object":"model","created":1,"owned_by":"system"}]}';
    const server = await startRawServer(() => Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`));
    try {
      const r = await runLoad({ ...base, mix: [entry('curl', 'openai-models')], target: new URL(server.url), rate: 20, concurrency: 1, requests: 3 });
      expect(r.completed).toBe(3);
      expect(r.outcomes.allowed).toBe(3);
    } finally {
      await server.close();
    }
  });

  it('sends a weighted mix in exact proportions', async () => {
    expect(weightedOrder([3, 1], 8)).toEqual([0, 0, 1, 0, 0, 0, 1, 0]);
    const r = await runLoad({
      ...base,
      mix: [entry('openai-python', 'openai-chat', 3), entry('boto3', 'bedrock-converse', 1)],
      target: new URL(emulator.url),
      rate: 1000,
      concurrency: 4,
      requests: 40,
    });
    expect(r.flows['openai-chat']).toMatchObject({ sent: 30, completed: 30, weight: 3 });
    expect(r.flows['bedrock-converse']).toMatchObject({ sent: 10, completed: 10, weight: 1 });
    expect(r.outcomes.allowed).toBe(40);
  });

  it('reproduces every byte with a seed, boto3 date and invocation id included', async () => {
    const mix = [entry('boto3', 'bedrock-invoke-anthropic-claude-3-haiku')];
    const run = async (seed: string | undefined): Promise<string[]> => {
      const before = emulator.exchanges.length;
      const r = await runLoad({ ...base, mix, target: new URL(emulator.url), rate: 1000, concurrency: 3, requests: 6, ...(seed !== undefined ? { seed } : {}) });
      expect(r.completed).toBe(6);
      return emulator.exchanges
        .slice(before)
        .map((x) => x.rawRequest.toString('latin1'))
        .sort();
    };
    const a = await run('bp-1');
    const b = await run('bp-1');
    expect(a).toEqual(b);
    expect(a.length).toBe(6);
    expect(new Set(a).size).toBe(6);
    expect(a.some((x) => x.includes('\r\nX-Amz-Date: 20260101T000000Z\r\n'))).toBe(true);
    const c = await run('bp-2');
    expect(c).not.toEqual(a);
    const unseeded = await run(undefined);
    expect(unseeded.some((x) => x.includes('X-Amz-Date: 20260101T'))).toBe(false);
  });

  it('reports the achieved rate against the requested one', async () => {
    const met = await sim(['load', '--target', emulator.url, '--flow', 'openai-models', '--rate', '20', '--concurrency', '4', '--duration', '600ms', '--json']);
    expect(met.code).toBe(0);
    const m = JSON.parse(met.stdout) as { rate: number; sendRate: number; rateMet: boolean; latency: { p50: number; p99: number } };
    expect(m.rate).toBe(20);
    expect(m.rateMet).toBe(true);
    expect(m.sendRate).toBeGreaterThanOrEqual(19);
    // a target that never answers, one request in flight: the rate cannot be held
    const server = await startRawServer(() => 'silence');
    try {
      const missed = await sim(['load', '--target', server.url, '--flow', 'openai-models', '--rate', '50', '--concurrency', '1', '--duration', '600ms', '--timeout', '200ms']);
      expect(missed.code).toBe(0);
      expect(missed.stdout).toMatch(/rate: requested 50\/s, sent \d+(\.\d)?\/s \(\d+%\): MISSED/);
      expect(missed.stdout).toMatch(/latency ms: p50=/);
    } finally {
      await server.close();
    }
    const mix = await sim(['load', '--target', emulator.url, '--flow', 'openai-chat:3', '--flow', 'bedrock-converse', '--rate', '500', '--requests', '8', '--seed', 'x']);
    expect(mix.stderr).toBe('');
    expect(mix.stdout).toMatch(/mix of 2 flows/);
    expect(mix.stdout).toMatch(/openai-chat \(openai-python\) weight 3: sent 6/);
    expect((await sim(['load', '--target', emulator.url, '--flow', 'openai-chat:0'])).code).toBe(2);
  });
});
