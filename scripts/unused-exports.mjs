#!/usr/bin/env node
// Exports of src/ that no other file of src/, test/, scripts/, bin/ or bench/ names: an export used only in
// its own file (drop the `export`) or not at all (drop the code). A quick name search, not a type
// analysis: a name another file merely mentions counts as used. `node scripts/unused-exports.mjs`.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
const walk = (d, out = []) => { for (const f of readdirSync(d)) { const p = join(d, f); if (statSync(p).isDirectory()) walk(p, out); else if (/\.(ts|mjs|js)$/.test(p)) out.push(p); } return out; };
const src = walk('src').filter((f) => f.endsWith('.ts'));
const all = [...walk('src'), ...walk('test'), ...walk('scripts'), ...walk('bin'), ...walk('bench').filter((f) => !f.includes('node_modules'))];
const texts = new Map(all.map((f) => [f, readFileSync(f, 'utf8')]));
for (const f of src) {
  const t = texts.get(f);
  for (const m of t.matchAll(/^export\s+(?:declare\s+)?(?:async\s+)?(?:const|let|function\*?|class|interface|type|enum|abstract class)\s+([A-Za-z_$][\w$]*)/gm)) {
    const name = m[1];
    const re = new RegExp(`\\b${name.replace('$','\\$')}\\b`);
    const usedElsewhere = [...texts].some(([g, s]) => g !== f && re.test(s));
    if (!usedElsewhere) {
      const inFile = (t.match(new RegExp(`\\b${name}\\b`, 'g')) ?? []).length;
      console.log(`${f}: ${name}${inFile > 1 ? ' (used in its file)' : ' (UNUSED)'}`);
    }
  }
}
