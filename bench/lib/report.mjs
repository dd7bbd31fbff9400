// Ratios, targets and the report: results JSON under bench/results/ (timestamped and latest.json)
// and the table between the markers in bench/README.md.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const r2 = (x) => Math.round(x * 100) / 100;
const r3 = (x) => Math.round(x * 1000) / 1000;

/** Per repetition, f(runs of that repetition); undefined when a run is missing. */
function perRep(runs, names, f) {
  const n = Math.min(...names.map((k) => runs[k]?.length ?? 0));
  const out = [];
  for (let i = 0; i < n; i++) out.push(f(...names.map((k) => runs[k][i])));
  return out;
}

export function evaluate(results) {
  const { runs } = results;
  const ratios = {};
  const rps = (a, b) => perRep(runs, [a, b], (x, y) => x.rps / y.rps);
  const add = (name, values, unit = '×') => {
    if (values.length > 0) ratios[name] = { reps: values.map(r3), median: r3(median(values)), min: r3(Math.min(...values)), max: r3(Math.max(...values)), unit };
  };
  add('reject: honeygate / bare (req/s)', rps('reject/honeygate', 'reject/bare'));
  add('forward c=32: honeygate / least proxy (req/s)', rps('forward32/honeygate', 'forward32/least'));
  add('forward c=32: least proxy / direct (req/s)', rps('forward32/least', 'forward32/direct'));
  add('forward c=32: haproxy / direct (req/s)', rps('forward32/haproxy', 'forward32/direct'));
  add('forward c=32: honeygate / haproxy (req/s)', rps('forward32/honeygate', 'forward32/haproxy'));
  const added = (who, p) => perRep(runs, [`forward1/${who}`, 'forward1/direct'], (x, d) => x[p] - d[p]);
  add('forward c=1: honeygate added p50 (µs)', added('honeygate', 'p50'), 'µs');
  add('forward c=1: least proxy added p50 (µs)', added('least', 'p50'), 'µs');
  add('forward c=1: haproxy added p50 (µs)', added('haproxy', 'p50'), 'µs');
  add(
    'forward c=1: honeygate added p50 / least proxy added p50',
    perRep(runs, ['forward1/honeygate', 'forward1/least', 'forward1/direct'], (h, l, d) => (h.p50 - d.p50) / Math.max(1, l.p50 - d.p50)),
  );
  add('forward c=1: honeygate added p99 (µs)', added('honeygate', 'p99'), 'µs');
  add('forward c=1: least proxy added p99 (µs)', added('least', 'p99'), 'µs');
  add('forward c=32: honeygate without event sinks / least proxy (req/s)', rps('forward32/honeygate-noevents', 'forward32/least'));
  // the default configuration (JSONL + SQLite on the events worker) on every path, and PostgreSQL as the store
  add('forward c=32: honeygate default sinks (JSONL + SQLite) / least proxy (req/s)', rps('forward32/honeygate-default', 'forward32/least'));
  add('reject: honeygate default sinks / bare (req/s)', rps('reject/honeygate-default', 'reject/bare'));
  add('lure → decoy / reject, default sinks (req/s)', rps('lure/honeygate-default', 'reject/honeygate-default'));
  add(
    'forward c=1: honeygate default sinks added p50 / least proxy added p50',
    perRep(runs, ['forward1/honeygate-default', 'forward1/least', 'forward1/direct'], (h, l, d) => (h.p50 - d.p50) / Math.max(1, l.p50 - d.p50)),
  );
  add('forward c=32: honeygate JSONL + PostgreSQL / least proxy (req/s)', rps('forward32/honeygate-pg', 'forward32/least'));
  add('reject: honeygate JSONL + PostgreSQL / bare (req/s)', rps('reject/honeygate-pg', 'reject/bare'));
  // what backs each req/s ratio where the machine is shared: the servers' own CPU per request
  // (/proc/<pid>/stat, every thread of the process, the events worker included)
  const cpu = (a, b) => perRep(runs, [a, b], (x, y) => (x.cpu_us !== undefined && y.cpu_us !== undefined ? x.cpu_us / y.cpu_us : NaN)).filter(Number.isFinite);
  add('CPU µs/request: forward c=32 default sinks / least proxy', cpu('forward32/honeygate-default', 'forward32/least'));
  add('CPU µs/request: forward c=32 JSONL only / least proxy', cpu('forward32/honeygate', 'forward32/least'));
  add('CPU µs/request: reject default sinks / bare', cpu('reject/honeygate-default', 'reject/bare'));
  add('CPU µs/request: reject JSONL only / bare', cpu('reject/honeygate', 'reject/bare'));
  add('CPU µs/request: lure default sinks / reject default sinks', cpu('lure/honeygate-default', 'reject/honeygate-default'));
  add('reject: honeygate without event sinks / bare (req/s)', rps('reject/honeygate-noevents', 'reject/bare'));
  add('lure → decoy / reject (req/s)', rps('lure/honeygate', 'reject/honeygate'));
  add('Redis store / memory store, forward c=32 (req/s)', rps('forward32/honeygate-redis', 'forward32/honeygate'));
  add('Bedrock SigV4-verified / OpenAI reject (req/s)', rps('bedrock/honeygate', 'reject/honeygate'));
  add('tool route: JWT verified / no JWT (req/s)', rps('tool/jwt', 'tool/nojwt'));
  const sse = results.sse;
  const sseAdded = (who, field) => sse.filter((s) => s[who] && s.direct).map((s) => s[who][field] - s.direct[field]);
  add('SSE: honeygate added time to first byte p50 (ms)', sseAdded('honeygate', 'first_p50_ms'), 'ms');
  add('SSE: least proxy added time to first byte p50 (ms)', sseAdded('least', 'first_p50_ms'), 'ms');
  add('SSE: honeygate added total time p50 (ms)', sseAdded('honeygate', 'total_p50_ms'), 'ms');
  add('SSE: least proxy added total time p50 (ms)', sseAdded('least', 'total_p50_ms'), 'ms');
  const identical = sse.length > 0 && sse.every((s) => s.direct.sha256 !== null && Object.values(s).every((t) => t.sha256 === s.direct.sha256 && t.statuses.join() === '200'));

  const targets = [];
  const target = (what, ratioName, op, bound, fmt = (v) => `${r2(v)}×`) => {
    const r = ratios[ratioName];
    if (!r) return targets.push({ what, target: `${op} ${fmt(bound)}`, held: null, shown: 'not measured' });
    const held = op === '≥' ? r.median >= bound : r.median <= bound;
    targets.push({ what, target: `${op} ${fmt(bound)}`, held, value: r.median, shown: `${fmt(r.median)} (${r.reps.map(fmt).join(', ')})` });
  };
  const us = (v) => `${Math.round(v)} µs`;
  const ms = (v) => `${r3(v)} ms`;
  target('reject path vs bare', 'reject: honeygate / bare (req/s)', '≥', 0.85);
  target('forward c=32 vs least Node proxy', 'forward c=32: honeygate / least proxy (req/s)', '≥', 0.85);
  target('forward c=1 added p50 vs least Node proxy added p50', 'forward c=1: honeygate added p50 / least proxy added p50', '≤', 1.25);
  target('forward c=1 added p99', 'forward c=1: honeygate added p99 (µs)', '≤', 1000, us);
  target('SSE added time to first byte', 'SSE: honeygate added time to first byte p50 (ms)', '≤', 0.5, ms);
  targets.push({ what: 'SSE bytes identical (honeygate, least proxy, haproxy vs direct)', target: 'identical', held: sse.length ? identical : null, shown: sse.length ? (identical ? 'identical (sha-256)' : 'DIFFERENT') : 'not measured' });
  target('lure → decoy vs reject path', 'lure → decoy / reject (req/s)', '≥', 0.5);
  // the default configuration (`honeygate serve`: JSONL + SQLite)
  target('forward c=32 with the default sinks vs least Node proxy', 'forward c=32: honeygate default sinks (JSONL + SQLite) / least proxy (req/s)', '≥', 0.85);
  target('reject path with the default sinks vs bare', 'reject: honeygate default sinks / bare (req/s)', '≥', 0.7);
  target('lure → decoy vs reject path, default sinks', 'lure → decoy / reject, default sinks (req/s)', '≥', 0.6);
  target('forward c=1 added p50 with the default sinks vs least Node proxy', 'forward c=1: honeygate default sinks added p50 / least proxy added p50', '≤', 1.25);
  target('Bedrock SigV4-verified vs OpenAI reject', 'Bedrock SigV4-verified / OpenAI reject (req/s)', '≥', 0.5);
  target('tool route with JWT vs without', 'tool route: JWT verified / no JWT (req/s)', '≥', 0.7);
  target('Redis store vs memory store (forward c=32)', 'Redis store / memory store, forward c=32 (req/s)', '≥', 0.7);
  const rt = results.redis_round_trips;
  const cs = results.redis_calls_per_request;
  const csText = cs.length ? `; INFO commandstats: ${cs.map(r2).join(', ')} commands per request, counting the commands the admit script runs inside its one EVALSHA and every other client of that Redis` : '';
  if (rt) {
    // wrk stops with up to 8 requests in flight whose commands were counted, and the client may
    // send a command of its own (ready check): allow 1%
    const held = rt.per_request <= 1.01;
    targets.push({ what: 'Redis round trips per request', target: '≤ 1', held, value: rt.per_request, shown: `${rt.per_request} (${rt.commands} commands / ${rt.requests} requests, ${rt.via}${csText})` });
  } else targets.push({ what: 'Redis round trips per request', target: '≤ 1', held: null, shown: `not measured${csText}` });
  const mem = results.memory;
  if (mem?.snapshots?.length === 3) {
    const [, one, two] = mem.snapshots;
    targets.push({ what: `RSS after ${one.clients.toLocaleString('en')} client IPs (memory store)`, target: '≤ 300 MB', held: one.rss_mb <= 300, value: one.rss_mb, shown: `${one.rss_mb} MB` });
    const growth = (two.rss_mb - one.rss_mb) / one.rss_mb;
    targets.push({ what: `RSS flat across a second ${one.clients.toLocaleString('en')}`, target: '≤ +10%', held: growth <= 0.1, value: r3(growth), shown: `${two.rss_mb} MB (${growth >= 0 ? '+' : ''}${Math.round(growth * 1000) / 10}%)` });
  } else {
    targets.push({ what: 'RSS after 1M client IPs', target: '≤ 300 MB', held: null, shown: 'not measured' });
  }

  const medians = {};
  for (const [name, list] of Object.entries(results.runs)) {
    const cpu = list.map((m) => m.cpu_us).filter((x) => x !== undefined);
    medians[name] = {
      rps: Math.round(median(list.map((m) => m.rps))),
      p50_us: median(list.map((m) => m.p50)),
      p99_us: median(list.map((m) => m.p99)),
      cpu_us_per_request: cpu.length ? median(cpu) : null,
      errors: list.reduce((a, m) => a + m.errors, 0),
    };
  }
  return { ...results, medians, ratios, targets };
}

function table(ev) {
  const m = ev.meta;
  const lines = [];
  lines.push(`Run of ${m.date} on honeygate ${m.honeygate}, Node ${m.node}, ${m.cpus} × ${m.cpu_model}; load generator ${m.generator}${m.haproxy ? `; ${m.haproxy}` : ''}${m.redis ? `; Redis ${m.redis}` : ''}.`);
  lines.push(`${m.reps} repetitions of ${m.duration_s} s (after ${m.warmup_s} s warm-up) per measurement; ${m.seconds} s in all; load average ${m.loadavg_start?.join(' / ')} at start, ${m.loadavg_end?.join(' / ')} at end.`);
  lines.push('');
  lines.push('| target | required | measured: median (each repetition) | |');
  lines.push('|---|---|---|---|');
  for (const t of ev.targets) lines.push(`| ${t.what} | ${t.target} | ${t.shown} | ${t.held === true ? 'held' : t.held === false ? '**missed**' : 'n/a'} |`);
  lines.push('');
  lines.push('Every ratio (median, min–max over repetitions):');
  lines.push('');
  lines.push('| ratio | median | min | max |');
  lines.push('|---|---|---|---|');
  for (const [name, r] of Object.entries(ev.ratios)) lines.push(`| ${name} | ${r.median}${r.unit === '×' ? '×' : ''} | ${r.min} | ${r.max} |`);
  lines.push('');
  lines.push('Absolute figures (medians; they move with the machine, the ratios are what count):');
  lines.push('');
  lines.push('| measurement | req/s | p50 µs | p99 µs | server CPU µs/request | errors |');
  lines.push('|---|---|---|---|---|---|');
  for (const [name, x] of Object.entries(ev.medians)) lines.push(`| ${name} | ${x.rps} | ${x.p50_us} | ${x.p99_us} | ${x.cpu_us_per_request ?? ''} | ${x.errors} |`);
  if (ev.sse.length) {
    const last = ev.sse[ev.sse.length - 1];
    lines.push('');
    lines.push(`SSE (last repetition, ${last.direct.n} sequential streams each, ${last.direct.bytes} bytes): ` + Object.entries(last).map(([k, v]) => `${k} first byte ${v.first_p50_ms.toFixed(3)} ms / end ${v.total_p50_ms.toFixed(3)} ms`).join('; ') + '.');
  }
  if (ev.worker?.length) {
    lines.push('');
    lines.push('Events the events worker sustains (its own process, records published as fast as the bus takes them): ' + ev.worker.map((w) => `${w.sinks}: ${w.events_per_s} events/s (${w.written} written of ${w.offered} offered, ${w.dropped} dropped and counted; ${w.cpu_us_per_event} µs CPU per event, both threads)`).join('; ') + '.');
  }
  if (ev.memory) {
    lines.push('');
    lines.push(`Memory (${ev.memory.via}; memory.max_entries ${ev.memory.maxEntries}): ` + ev.memory.snapshots.map((s) => `${s.clients.toLocaleString('en')} clients → ${s.rss_mb} MB RSS, ${s.heap_used_mb} MB heap, ${s.entries ?? '?'} counters`).join('; ') + '.');
  }
  if (ev.skipped.length) {
    lines.push('');
    for (const s of ev.skipped) lines.push(`- skipped: ${s.path} — ${s.why}`);
  }
  for (const n of ev.notes) lines.push(`- note: ${n}`);
  return lines.join('\n');
}

/** A partial run (BENCH_ONLY) writes its own timestamped file only: latest.json and the table stay the last full run's. */
export function writeReport(benchDir, ev, { partial = false } = {}) {
  const dir = join(benchDir, 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = ev.meta.date.replace(/[:.]/g, '-');
  const json = `${JSON.stringify(ev, null, 2)}\n`;
  const files = [join(dir, `${partial ? 'partial-' : ''}${stamp}.json`), ...(partial ? [] : [join(dir, 'latest.json')])];
  for (const f of files) writeFileSync(f, json);
  const readme = join(benchDir, 'README.md');
  if (!partial && existsSync(readme)) {
    const text = readFileSync(readme, 'utf8');
    const start = '<!-- results:start -->';
    const end = '<!-- results:end -->';
    const a = text.indexOf(start);
    const b = text.indexOf(end);
    if (a >= 0 && b > a) {
      writeFileSync(readme, `${text.slice(0, a + start.length)}\n${table(ev)}\n${text.slice(b)}`);
      files.push(readme);
    }
  }
  return files;
}
