/**
 * The raw-socket fuzzer inside `npm test`: a short seeded run (FUZZ_CASES, default 10,000) against a
 * real `honeygate serve` (built dist/: `npx tsc -p tsconfig.json` first; npm test does). The long
 * run is `npm run fuzz` (100,000 cases; FUZZ_SEED to replay). Whatever the input, the gateway never
 * crashes, never answers 5xx (a tell: the providers answer hostile input with 4xx), never echoes a
 * secret, keeps its memory bounded and still serves a plain request afterwards.
 */
import { describe, expect, it } from 'vitest';
import { formatReport, runFuzz } from './runner.js';

const CASES = Number(process.env['FUZZ_CASES'] ?? 10_000);
const SEED = Number(process.env['FUZZ_SEED'] ?? Math.floor(Math.random() * 2 ** 31));

describe('raw-socket fuzzing', () => {
  it(`${CASES} seeded cases across every provider and a tool route`, async () => {
    const report = await runFuzz({ seed: SEED, cases: CASES });
    process.stdout.write(`${formatReport(report)}\n(replay: FUZZ_SEED=${SEED} FUZZ_CASES=${CASES})\n`);
    expect(report.crashed, report.stderr).toBe(false);
    expect(report.healthyAfter).toBe(true);
    expect(report.serverErrors.map((f) => `${f.index} ${f.family}: ${f.head.split('\r\n')[0] ?? ''}`)).toEqual([]);
    expect(report.secretEchoes.map((f) => `${f.index} ${f.family}`)).toEqual([]);
    // every case got an answer or a deliberate close; none hung the gateway
    expect(Object.values(report.byStatus).reduce((a, b) => a + b, 0)).toBe(CASES);
    expect(report.rssAfterMb).toBeLessThan(Math.max(400, report.rssBeforeMb * 3));
  }, 600_000);
});
