#!/usr/bin/env node
// `npm start` runs this first: compile src/ into dist/ only when dist/ is missing or older than
// a source file, tsconfig.json or package.json — and say so. A packed or installed honeygate ships
// dist/ and no src/: then there is nothing to do.
//
//   node scripts/build-if-stale.mjs [--check]   (--check: exit 1 when a build is due, build nothing)
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const stamp = join(root, 'dist', '.build-stamp');

/** newest modification time (ms) under dir, for files whose name passes `keep` */
function newest(dir, keep) {
  let max = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) max = Math.max(max, newest(path, keep));
    else if (keep(entry.name)) max = Math.max(max, statSync(path).mtimeMs);
  }
  return max;
}

export function buildReason() {
  if (!existsSync(src)) return null; // an installed package: dist/ is what ships
  if (!existsSync(stamp)) return existsSync(join(root, 'dist', 'cli', 'main.js')) ? 'dist/ has no build stamp' : 'first start: dist/ does not exist yet';
  const built = statSync(stamp).mtimeMs;
  const sources = Math.max(
    newest(src, (name) => /\.(ts|js|html|css)$/.test(name)),
    statSync(join(root, 'tsconfig.json')).mtimeMs,
    statSync(join(root, 'package.json')).mtimeMs,
  );
  return sources > built ? 'sources changed since the last build' : null;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const reason = buildReason();
  if (process.argv.includes('--check')) process.exit(reason === null ? 0 : 1);
  if (reason !== null) {
    process.stderr.write(`honeygate: ${reason}: compiling TypeScript into dist/ (tsc, ~20 s; later starts skip this until src/ changes)…\n`);
    const started = Date.now();
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.json')], { stdio: 'inherit' });
    if (result.status !== 0) {
      process.stderr.write('honeygate: compiling failed (see above); not starting\n');
      process.exit(result.status ?? 1);
    }
    writeFileSync(stamp, `${new Date().toISOString()}\n`);
    process.stderr.write(`honeygate: compiled in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }
}
