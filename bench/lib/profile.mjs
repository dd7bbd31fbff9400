// Summarise a V8 .cpuprofile (node --cpu-prof): self time per function and per file (honeygate's own
// files, node internals, undici, …), so a run can say where the gateway's time goes.
// CLI: node bench/lib/profile.mjs FILE.cpuprofile [top]
import { readFileSync } from 'node:fs';

function where(url) {
  if (!url) return '(native)';
  const m = /\/(dist|src)\/(.+?)(\.js|\.ts)?$/.exec(url);
  if (m && !url.includes('node_modules')) return `honeygate:${m[2]}`;
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1];
  if (url.startsWith('node:')) return url;
  return url.replace(/^file:\/\//, '');
}

export function summarise(file, top = 25) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map();
  const dts = profile.timeDeltas;
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + (dts[i] ?? 0));
  }
  let total = 0;
  const fn = new Map();
  const mod = new Map();
  for (const [id, us] of selfUs) {
    const n = byId.get(id);
    const cf = n.callFrame;
    total += us;
    const name = cf.functionName || '(anonymous)';
    const w = where(cf.url);
    const key = `${name} ${w}${cf.url ? `:${cf.lineNumber + 1}` : ''}`;
    fn.set(key, (fn.get(key) ?? 0) + us);
    const group = cf.url ? w.replace(/^honeygate:.*$/, (s) => s) : name.startsWith('(') ? name : '(native)';
    mod.set(group, (mod.get(group) ?? 0) + us);
  }
  // inclusive time per function (self + everything it called), counted once per call-tree path
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const incl = new Map();
  for (const [id, us] of selfUs) {
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const cf = byId.get(cur).callFrame;
      const key = `${cf.functionName || '(anonymous)'} ${where(cf.url)}${cf.url ? `:${cf.lineNumber + 1}` : ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      incl.set(key, (incl.get(key) ?? 0) + us);
    }
  }
  const idle = (fn.get('(idle) (native)') ?? 0);
  const busy = total - idle;
  const rank = (m) =>
    [...m]
      .filter(([k]) => !k.startsWith('(idle)'))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => ({ what: k, ms: Math.round(us / 1000), pct_busy: Math.round((1000 * us) / busy) / 10 }));
  const ownInclusive = new Map([...incl].filter(([k]) => / honeygate:/.test(k)));
  return { file, total_ms: Math.round(total / 1000), busy_ms: Math.round(busy / 1000), functions: rank(fn), modules: rank(mod), honeygate_inclusive: rank(ownInclusive) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const s = summarise(process.argv[2], Number(process.argv[3] ?? 30));
  console.log(`${s.file}: ${s.busy_ms} ms busy of ${s.total_ms} ms`);
  console.log('\n-- by module/file');
  for (const r of s.modules) console.log(`${String(r.pct_busy).padStart(5)}%  ${r.what}`);
  console.log('\n-- by function (self time)');
  for (const r of s.functions) console.log(`${String(r.pct_busy).padStart(5)}%  ${r.what}`);
  console.log('\n-- honeygate functions, inclusive (self + callees)');
  for (const r of s.honeygate_inclusive) console.log(`${String(r.pct_busy).padStart(5)}%  ${r.what}`);
}
