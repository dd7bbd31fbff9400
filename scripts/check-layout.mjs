#!/usr/bin/env node
// The layout rules, checked: import cycles among src/ modules (`--runtime`: value imports only, type
// imports erased by tsc do not count) and imports of a provider folder from outside src/providers/
// (only gateway/registry.ts should). `node scripts/check-layout.mjs src [--runtime]`.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
const root = resolve(process.argv[2] ?? 'src');
const files = [];
const walk = (d) => { for (const f of readdirSync(d)) { const p = join(d, f); if (statSync(p).isDirectory()) walk(p); else if (p.endsWith('.ts')) files.push(p); } };
walk(root);
const graph = new Map();
const typeOnly = process.argv.includes('--runtime');
for (const f of files) {
  const src = readFileSync(f, 'utf8');
  const deps = [];
  for (const m of src.matchAll(/^(import|export)\s+(type\s+)?[^'";]*?from\s+'(\.[^']+)'/gm)) {
    if (typeOnly && m[2]) continue;
    deps.push(resolve(dirname(f), m[3].replace(/\.js$/, '.ts')));
  }
  graph.set(f, deps);
}
// Tarjan SCC
let index = 0; const st = []; const on = new Set(); const idx = new Map(); const low = new Map(); const sccs = [];
const strong = (v) => { idx.set(v, index); low.set(v, index); index++; st.push(v); on.add(v);
  for (const w of graph.get(v) ?? []) { if (!graph.has(w)) continue; if (!idx.has(w)) { strong(w); low.set(v, Math.min(low.get(v), low.get(w))); } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w))); }
  if (low.get(v) === idx.get(v)) { const c = []; let w; do { w = st.pop(); on.delete(w); c.push(w); } while (w !== v); if (c.length > 1) sccs.push(c); } };
for (const v of graph.keys()) if (!idx.has(v)) strong(v);
for (const c of sccs) console.log('cycle:', c.map((f) => f.slice(root.length + 1)).join(' '));
console.log(`${sccs.length} cycles (${typeOnly ? 'runtime imports' : 'all imports'})`);
// provider folder imports from outside providers/
for (const [f, deps] of graph) { const rel = f.slice(root.length + 1); if (rel.startsWith('providers/')) continue; const bad = deps.filter((d) => d.slice(root.length + 1).startsWith('providers/')); if (bad.length) console.log('outside import:', rel, '→', bad.map((d) => d.slice(root.length + 1)).join(', ')); }
