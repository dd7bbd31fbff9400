/**
 * `npx honeygate serve` and SIGTERM: npm forwards the signal to its `sh -c` wrapper only and exits
 * 143; the gateway must not stay listening behind it (regression: it did, re-parented to init).
 * Runs the real npx against this checkout (`npx tsc -p tsconfig.json` first; npm test does).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

describe('npx honeygate serve', () => {
  it('SIGTERM to npx stops the gateway too (drained, port closed)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hg-npx-'));
    dirs.push(dir);
    const file = join(dir, 'config.yaml');
    await writeFile(
      file,
      JSON.stringify({
        listen: { host: '127.0.0.1', port: 0 },
        keys: [{ name: 'v', key: 'sk-proj-npxsignaltestkey000000000000000000000', class: 'valid', upstream: 'decoy' }],
        events: { dir },
      }),
    );
    const child = spawn('npx', ['--yes', 'honeygate', 'serve', '--config', file], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    let gone = false;
    const exited = new Promise<void>((resolve) =>
      child.on('exit', () => {
        gone = true;
        resolve();
      }),
    );
    let port = 0;
    for (const until = Date.now() + 60_000; Date.now() < until && port === 0 && !gone; await new Promise((r) => setTimeout(r, 50))) {
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) port = Number(m[1]);
    }
    expect(port, `serve did not start: ${err}`).toBeGreaterThan(0);
    expect(await accepting(port)).toBe(true);
    child.kill('SIGTERM');
    await exited;
    let open = true;
    for (const until = Date.now() + 10_000; Date.now() < until && open; await new Promise((r) => setTimeout(r, 100))) open = await accepting(port);
    expect(open).toBe(false);
  }, 90_000);
});
