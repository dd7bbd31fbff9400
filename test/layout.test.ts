/**
 * The layout rules (docs/architecture.md), checked by scripts/check-layout.mjs: run on src/ (no
 * problem), and on a small tree that breaks each rule (each breach reported, exit 1).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const script = join(import.meta.dirname, '..', 'scripts', 'check-layout.mjs');

async function check(dir: string): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await run(process.execPath, [script, dir]);
    return { code: 0, out: stdout };
  } catch (e: unknown) {
    const err = e as { code: number; stdout: string };
    return { code: err.code, out: err.stdout };
  }
}

describe('layout', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  it('src/ keeps the rules: no import circle, provider folders imported by the registry and the CLI only, core imports nothing above it', async () => {
    const { code, out } = await check(join(import.meta.dirname, '..', 'src'));
    expect(out).toMatch(/layout: \d+ modules, 0 problem\(s\)/);
    expect(code).toBe(0);
  });

  it('reports each breach and fails', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hg-layout-'));
    dirs.push(dir);
    const files: Record<string, string> = {
      'core/a.ts': "import type { B } from './b.js';\nexport type A = B;\n",
      'core/b.ts': "import type { A } from './a.js';\nimport { x } from '../deception/x.js';\nexport type B = A | typeof x;\n",
      'core/c.ts': "import { y } from '../config/y.js';\nexport const c = y;\n",
      'config/y.ts': "export { p as y } from '../providers/toy/p.js';\n",
      'deception/x.ts': 'export const x = 1;\n',
      'providers/toy/p.ts': 'export const p = 1;\n',
      'gateway/registry.ts': "import { p } from '../providers/toy/p.js';\nexport const all = [p];\n",
      'cli/keys.ts': "import { p } from '../providers/toy/p.js';\nexport const k = p;\n",
    };
    for (const [name, text] of Object.entries(files)) {
      await mkdir(dirname(join(dir, name)), { recursive: true });
      await writeFile(join(dir, name), text);
    }
    const { code, out } = await check(dir);
    expect(code).toBe(1);
    expect(out).toContain('import circle: core/a.ts ↔ core/b.ts');
    expect(out).toContain('provider folder imported outside the registry: config/y.ts → providers/toy/p.ts');
    expect(out).not.toContain('registry: gateway/registry.ts');
    expect(out).not.toContain('cli/keys.ts');
    expect(out).toContain('core imports above it: core/b.ts → deception/x.ts');
    expect(out).toContain('core reaches, through its imports: providers/toy/p.ts');
    expect(out).toContain('layout: 8 modules, 4 problem(s)');
  });

  it('counts a dynamic import like a static one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hg-layout-'));
    dirs.push(dir);
    const files: Record<string, string> = {
      'core/a.ts': "export async function a(): Promise<number> {\n  const { p } = await import( '../providers/toy/p.js' );\n  return p;\n}\n",
      'admin/b.ts': "export const b = async (): Promise<unknown> => (await import('../providers/toy/p.js')).p;\n",
      'providers/toy/p.ts': 'export const p = 1;\n',
    };
    for (const [name, text] of Object.entries(files)) {
      await mkdir(dirname(join(dir, name)), { recursive: true });
      await writeFile(join(dir, name), text);
    }
    const { code, out } = await check(dir);
    expect(code).toBe(1);
    expect(out).toContain('provider folder imported outside the registry: admin/b.ts → providers/toy/p.ts');
    expect(out).toContain('core imports above it: core/a.ts → providers/toy/p.ts');
  });
});
