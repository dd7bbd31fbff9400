/** Two-arm: every flow, in every compatible client profile, completes faithfully against the emulated server. */
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/sim/flows.js';
import { runTwoArm, type Selection } from '../../src/sim/runner.js';

const catalog = await loadCatalog();
const clients = [...catalog.profiles.values()].filter((p) => p.role === 'client');
const selection: Selection[] = [...catalog.flows.values()].flatMap((flow) =>
  clients.filter((p) => p.surface === flow.surface).map((profile) => ({ profile, flow })),
);

describe('two-arm against the flow emulator', () => {
  it('runs every flow in every client profile faithfully', async () => {
    const r = await runTwoArm(catalog, selection, {
      params: {},
      timeoutMs: 5000,
      tls: { rejectUnauthorized: true },
      loopbackOnly: true,
    });
    const bad = r.results.filter((x) => x.faithful !== true).map((x) => `${x.profile}/${x.flow}: ${x.reason} ${(x.fidelity ?? []).join('; ')} ${x.problems.join('; ')}`);
    expect(bad).toEqual([]);
    expect(r.results.length).toBe(selection.length);
    expect(r.passed).toBe(true);
  });
});
