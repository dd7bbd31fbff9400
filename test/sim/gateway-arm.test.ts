/**
 * Two-arm against honeygate's own gateway (startGateway with the demo config: the built-in decoy
 * answers valid credentials): every OpenAI flow in every OpenAI client profile (rotating), and every
 * Bedrock flow — Converse, ConverseStream and each model family's InvokeModel — signed by boto3's
 * profile, completes with a faithful answer.
 */
import { describe, expect, it } from 'vitest';
import { demoConfig, mintDemoKeys } from '../../src/cli/serve.js';
import { startGateway } from '../../src/gateway/gateway.js';
import type { EmulatedServer } from '../../src/sim/emulator.js';
import { loadCatalog } from '../../src/sim/flows.js';
import { runTwoArm } from '../../src/sim/runner.js';
import { sim } from './helpers.js';

const catalog = await loadCatalog();

describe('two-arm against the gateway', () => {
  it('OpenAI flows in every OpenAI client profile', async () => {
    const keys = mintDemoKeys();
    const config = await demoConfig(keys, {}, { realisticTiming: false });
    const start = async (): Promise<EmulatedServer> => {
      const g = await startGateway(config, { host: '127.0.0.1', port: 0 });
      return { url: g.url, close: () => g.close() };
    };
    const profiles = [...catalog.profiles.values()].filter((p) => p.role === 'client' && p.surface === 'openai');
    const selection = [...catalog.flows.values()]
      .filter((f) => f.surface === 'openai' && f.checker === undefined)
      .map((flow, i) => ({ profile: profiles[i % profiles.length] ?? profiles[0], flow }))
      .flatMap((s) => (s.profile ? [{ profile: s.profile, flow: s.flow }] : []));
    expect(selection.length).toBeGreaterThanOrEqual(5);
    const r = await runTwoArm(catalog, selection, { params: { api_key: keys.valid }, timeoutMs: 5000, tls: { rejectUnauthorized: true }, loopbackOnly: true, startServer: start });
    const bad = r.results.filter((x) => !x.faithful).map((x) => `${x.profile}/${x.flow}: ${x.reason} ${(x.fidelity ?? []).join('; ')}`);
    expect(bad).toEqual([]);
    expect(r.results.every((x) => x.outcome === 'allowed' && !x.providerError && x.status === 200)).toBe(true);
  }, 60_000);

  it('every Bedrock flow, signed as boto3 signs, with a valid AWS pair', async () => {
    const keys = mintDemoKeys();
    const config = await demoConfig(keys, {}, { realisticTiming: false });
    const start = async (): Promise<EmulatedServer> => {
      const g = await startGateway(config, { host: '127.0.0.1', port: 0 });
      return { url: g.url, close: () => g.close() };
    };
    const boto3 = [...catalog.profiles.values()].find((p) => p.role === 'client' && p.surface === 'bedrock');
    expect(boto3).toBeDefined();
    // the gateway's decoy does not generate images yet: the Stability flows are the emulator's for now
    const selection = [...catalog.flows.values()]
      .filter((f) => f.surface === 'bedrock' && f.checker === undefined && !(f.family ?? '').startsWith('stability'))
      .map((flow) => ({ profile: boto3!, flow }));
    expect(selection.length).toBeGreaterThanOrEqual(11);
    const pair = keys.aws!.valid;
    const r = await runTwoArm(catalog, selection, {
      params: { access_key_id: pair.accessKeyId, secret_access_key: pair.secretAccessKey, security_token: '' },
      timeoutMs: 5000,
      tls: { rejectUnauthorized: true },
      loopbackOnly: true,
      startServer: start,
    });
    const bad = r.results.filter((x) => !x.faithful || x.status !== 200).map((x) => `${x.flow}: ${x.status} ${x.reason} ${(x.fidelity ?? []).join('; ')}`);
    expect(bad).toEqual([]);
  }, 60_000);

  it('from the CLI: sim two-arm --server gateway', async () => {
    const r = await sim(['two-arm', '--server', 'gateway', '--flow', 'openai-chat', '--flow', 'openai-chat-stream', '--profile', 'openai-python', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { passed: boolean; results: Array<{ text: string }> };
    expect(doc.passed).toBe(true);
    expect(doc.results[0]?.text.length).toBeGreaterThan(0);
    expect((await sim(['two-arm', '--server', 'nginx'])).code).toBe(2);
  }, 60_000);
});
