#!/usr/bin/env node
// The layout rules of docs/architecture.md, checked over the relative imports of src/ (type imports
// included: a type-only circle is still a circle). Exit 1 when a rule is broken; every finding is
// printed. `node scripts/check-layout.mjs [src]`; test/layout.test.ts runs it.
//   1. no import circles (each strongly connected group of modules is reported once);
//   2. outside src/providers/, only gateway/registry.ts and src/cli/ (key minting) import a provider folder;
//   3. core/ imports nothing above it (deception/, providers/, gateway/, admin/, cli/, sim/, the
//      config loader), and nothing it imports reaches a provider folder or gateway/.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const root = resolve(process.argv[2] ?? 'src');
const rel = (f) => relative(root, f).split(sep).join('/');
const files = [];
const walk = (d) => {
  for (const f of readdirSync(d).sort()) {
    const p = join(d, f);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith('.ts')) files.push(p);
  }
};
walk(root);

/** module (path relative to root) → the modules it imports */
const graph = new Map();
const IMPORT = /^\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?'(\.[^']+)'/gm;
// a dynamic import of a relative module (`await import('../x.js')`) is an edge like a static one
const DYNAMIC = /\bimport\(\s*'(\.[^']+)'\s*\)/g;
for (const f of files) {
  const deps = new Set();
  const text = readFileSync(f, 'utf8');
  for (const m of [...text.matchAll(IMPORT), ...text.matchAll(DYNAMIC)]) deps.add(rel(resolve(dirname(f), m[1].replace(/\.js$/, '.ts'))));
  graph.set(rel(f), [...deps]);
}

const problems = [];

// 1. circles: Tarjan's strongly connected components
let index = 0;
const stack = [];
const onStack = new Set();
const idx = new Map();
const low = new Map();
const strong = (v) => {
  idx.set(v, index);
  low.set(v, index);
  index++;
  stack.push(v);
  onStack.add(v);
  for (const w of graph.get(v) ?? []) {
    if (!graph.has(w)) continue;
    if (!idx.has(w)) {
      strong(w);
      low.set(v, Math.min(low.get(v), low.get(w)));
    } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
  }
  if (low.get(v) === idx.get(v)) {
    const group = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      group.push(w);
    } while (w !== v);
    if (group.length > 1 || (graph.get(v) ?? []).includes(v)) problems.push(`import circle: ${group.sort().join(' ↔ ')}`);
  }
};
for (const v of graph.keys()) if (!idx.has(v)) strong(v);

// 2. provider folders are imported by the registry (and the CLI's key minting) only
const isProvider = (m) => m.startsWith('providers/');
const mayImportProviders = (m) => isProvider(m) || m === 'gateway/registry.ts' || m.startsWith('cli/');
for (const [m, deps] of graph) {
  if (mayImportProviders(m)) continue;
  const bad = deps.filter(isProvider);
  if (bad.length > 0) problems.push(`provider folder imported outside the registry: ${m} → ${bad.join(', ')}`);
}

// 3. core imports nothing above it
const ABOVE_CORE = ['deception/', 'providers/', 'gateway/', 'admin/', 'cli/', 'sim/'];
const aboveCore = (m) => ABOVE_CORE.some((d) => m.startsWith(d)) || m === 'config/load.ts' || m === 'index.ts';
for (const [m, deps] of graph) {
  if (!m.startsWith('core/')) continue;
  const bad = deps.filter(aboveCore);
  if (bad.length > 0) problems.push(`core imports above it: ${m} → ${bad.join(', ')}`);
}
const reach = new Set();
const pending = [...graph.keys()].filter((m) => m.startsWith('core/'));
while (pending.length > 0) {
  const m = pending.pop();
  for (const d of graph.get(m) ?? []) {
    if (reach.has(d)) continue;
    reach.add(d);
    pending.push(d);
  }
}
const leaked = [...reach].filter((m) => isProvider(m) || m.startsWith('gateway/')).sort();
if (leaked.length > 0) problems.push(`core reaches, through its imports: ${leaked.join(', ')}`);

for (const p of problems) console.log(p);
console.log(`layout: ${graph.size} modules, ${problems.length} problem(s)`);
process.exitCode = problems.length > 0 ? 1 : 0;
