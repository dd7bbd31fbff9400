#!/usr/bin/env node
// The events worker's cost per event, machine-independently: drive the worker with a fixed number
// of request records at a pace it sustains (never a drop: the run fails if one event is missing),
// under valgrind callgrind, once with N1 and once with N2 records; the difference of the worker
// thread's instructions divided by N2 − N1 is its cost per event, start-up and migrations excluded.
//
//   npm run build && node bench/events-cost.mjs [sqlite|postgres|jsonl|none|sqlite-noindex …]
//
// Environment: COST_N1=1000, COST_N2=5000, COST_PG_URL=postgres://postgres@127.0.0.1:5432/test,
// COST_RECORD=reject|lure|mixed (default reject: the record of bench/clients/events-worker.mjs).
// One row per sink set: worker-thread instructions per event, whole-process instructions per event,
// and the worker's top functions (inclusive share of its per-event instructions, from the N2 run).
// Without valgrind on the PATH (or with COST_PLAIN=1) it runs uninstrumented, N2 records, and prints
// events/s at that pace and the process's CPU µs per event (both threads; no drop allowed).
//
// Drive mode (what callgrind runs): node bench/events-cost.mjs --drive '{"sinks":…,"n":…,"dir":…}'
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
// COST_DIST: another build of the project to measure (default dist), e.g. a copy of a baseline's dist
const DIST = resolve(ROOT, process.env.COST_DIST ?? 'dist');
const PG_URL = process.env.COST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

if (process.argv[2] === '--drive') await drive(JSON.parse(process.argv[3]));
else await main();

function storeOf(sinks, dir) {
  const batch = process.env.COST_BATCH !== undefined ? { batch_size: Number(process.env.COST_BATCH) } : {};
  if (sinks.startsWith('sqlite')) return { driver: 'sqlite', url: join(dir, 'events.db'), ...batch };
  if (sinks === 'postgres') return { driver: 'postgres', url: PG_URL, schema: `hg_cost_${process.pid}`, ...batch };
  return { driver: 'none' };
}

async function drive(spec) {
  const { loadConfigObject } = await import(`${DIST}/config/load.js`);
  const { EventBus } = await import(`${DIST}/events/bus.js`);
  const { startEventsWorker } = await import(`${DIST}/events/worker/client.js`);
  const store = storeOf(spec.sinks, spec.dir);
  if (spec.sinks === 'sqlite-noindex') {
    // migrate first, then drop every secondary index: what the indexes cost, by difference
    const { openEventStore } = await import(`${DIST}/events/store/index.js`);
    await (await openEventStore({ driver: 'sqlite', path: store.url })).close();
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(store.url);
    for (const { name } of db.prepare(`select name from sqlite_master where type = 'index' and sql is not null`).all()) db.exec(`drop index "${name}"`);
    db.close();
  }
  const events = { dir: spec.dir, store, queue_size: 100_000, jsonl: { enabled: spec.sinks !== 'none' } };
  const { config } = await loadConfigObject({ events }, { env: {} });
  if (!config) throw new Error(`config for ${spec.sinks} rejected`);
  const bus = new EventBus();
  const worker = await startEventsWorker(config.events, bus);
  await worker.ready();
  const KEY = Object.freeze({ class: 'invalid', fingerprint: 'sha256:0123456789abcdef' });
  const LURE = Object.freeze({ class: 'lure', fingerprint: 'sha256:fedcba9876543210', campaign: 'github-leak', placement: 'ci-secrets' });
  const record = (i) => {
    const lure = spec.record === 'lure' || (spec.record === 'mixed' && i % 10 === 0);
    return {
      phase: 0, alerted: false, id: undefined, wall: 1_750_000_000_000 + i, durationMs: 0.4, status: lure ? 200 : 401, method: 'POST', contentLength: '120',
      responseBytes: 302, ip: `198.51.100.${i & 255}`, port: 40000 + (i & 1023), path: '/v1/chat/completions', ua: 'OpenAI/Python 1.55.0',
      headerNames: 'h1:Host,Content-Type,Authorization,User-Agent,Content-Length', surface: 'openai', key: lure ? LURE : KEY,
      verdictAction: lure ? 'deceive' : 'reject', verdictReason: lure ? 'lure_key' : 'invalid_key', model: lure ? 'gpt-4o-mini' : undefined, bodyHead: undefined,
      upstream: undefined, route: undefined, upstreamMs: -1, stream: lure ? 1 : 0, client: undefined, stainless: undefined,
      lure: lure ? { prompt: `probe ${i}: list every S3 bucket you can reach` } : undefined, tool: undefined, cut: undefined,
    };
  };
  let i0 = 0;
  if (spec.gate === true) {
    // warm-up (JIT, caches, the first pages of every index), then callgrind's instrumentation is
    // switched on from outside (callgrind_control -i on) before the measured records
    for (; i0 < 1024; ) {
      for (let j = 0; j < 64; j++) bus.publishRecord(record(i0++));
      await new Promise((r) => setImmediate(r));
    }
    await worker.flush();
    process.stdout.write('GATE\n');
    await new Promise((r) => process.stdin.once('data', r));
    process.stdin.pause();
  }
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  // turns of 64 records (a busy server's turn), a flush every 2048: a pace the worker sustains
  const end = i0 + spec.n;
  for (let i = i0; i < end; ) {
    for (let j = 0; j < 64 && i < end; j++) bus.publishRecord(record(i++));
    await new Promise((r) => setImmediate(r));
    if ((i - i0) % 2048 === 0) await worker.flush();
  }
  await worker.flush();
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const stats = worker.stats();
  await worker.close();
  if (store.driver === 'postgres') {
    const pg = (await import('pg')).default;
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(`drop schema if exists "${store.schema}" cascade`);
    await client.end();
  }
  const sinks = stats.filter((s) => s.name !== 'events-worker');
  const written = sinks.length > 0 ? Math.min(...sinks.map((s) => s.written)) : end;
  const dropped = stats.reduce((a, s) => a + s.dropped, 0);
  process.stdout.write(JSON.stringify({ sinks: spec.sinks, n: spec.n, written, dropped, events_per_s: Math.round(spec.n / seconds), cpu_us_per_event: Math.round(((cpu.user + cpu.system) / spec.n) * 10) / 10, of_which_system: Math.round((cpu.system / spec.n) * 10) / 10 }) + '\n');
  if (written !== end || dropped !== 0) process.exit(2);
}

function hasValgrind() {
  return spawnSync('valgrind', ['--version']).status === 0;
}

/** callgrind the drive with n records; per thread: total Ir and the top inclusive functions */
async function callgrind(sinks, n, record) {
  const dir = mkdtempSync(join(tmpdir(), 'hg-cost-'));
  try {
    const spec = JSON.stringify({ sinks, n, dir, record, gate: true });
    const child = spawn(
      'valgrind',
      ['--tool=callgrind', '--separate-threads=yes', '--instr-atstart=no', `--callgrind-out-file=${join(dir, 'cg.out')}`, process.execPath, fileURLToPath(import.meta.url), '--drive', spec],
      { stdio: ['pipe', 'pipe', 'ignore'] },
    );
    let out = '';
    child.stdout.on('data', (d) => {
      out += d.toString();
      if (out.includes('GATE\n') && !child.gated) {
        child.gated = true;
        execFileSync('callgrind_control', ['-i', 'on', String(child.pid)], { stdio: 'ignore' });
        child.stdin.write('go\n');
      }
    });
    const code = await new Promise((r) => child.on('close', r));
    if (code !== 0) throw new Error(`drive ${sinks} ${n}: exit ${code}: ${out}`);
    const result = JSON.parse(out.trim().split('\n').at(-1));
    const threads = [];
    for (const f of readdirSync(dir).filter((f) => f.startsWith('cg.out'))) {
      const text = readFileSync(join(dir, f), 'utf8');
      const total = Number(/^summary: (\d+)/m.exec(text)?.[1] ?? /^totals: (\d+)/m.exec(text)?.[1] ?? 0);
      threads.push({ file: f, total, path: join(dir, f) });
    }
    // the events worker: the thread that ran the sinks' code (JSON.stringify of events, SQLite, JSONL)
    threads.sort((a, b) => b.total - a.total);
    const main = threads.find((t) => /-01$/.test(t.file));
    const worker = threads.find((t) => t !== main && /Worker::Run\(\)/.test(readFileSync(t.path, 'utf8')));
    const top = worker ? topFunctions(worker.path) : [];
    return { result, process: threads.reduce((a, t) => a + t.total, 0), main: main?.total ?? 0, worker: worker?.total ?? 0, top };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** inclusive instructions of the functions that matter, by group (callgrind_annotate --inclusive) */
function topFunctions(path) {
  const text = execFileSync('callgrind_annotate', ['--inclusive=yes', '--threshold=100', path], { maxBuffer: 1 << 28 }).toString();
  // recursion cycles ('2 suffixes) are counted more than once by --inclusive: skipped
  const lines = text.split('\n').map((l) => /^\s*([\d,]+)\s+\([^)]*\)\s+(?:\*\s+)?(.*)$/.exec(l)).filter((m) => m !== null && !m[2].includes("'2"));
  const fn = lines.map((m) => ({ ir: Number(m[1].replaceAll(',', '')), name: m[2].replace(/^\?\?\?:/, '') }));
  const max = (re) => fn.filter((f) => re.test(f.name)).reduce((a, f) => Math.max(a, f.ir), 0);
  return {
    'JSON.stringify (v8 JsonStringify)': max(/v8::internal::JsonStringify\(/),
    'better-sqlite3 Statement.run (binding + step)': max(/Statement::JS_run\(/),
    '  SQLite sqlite3_step (the INSERT and COMMIT)': max(/^\S*sqlite3_step\b/),
    '    b-tree inserts (sqlite3BtreeInsert: table + indexes)': max(/^\S*sqlite3BtreeInsert\b/),
    '    WAL page writes (sqlite3WalFrames)': max(/^\S*sqlite3WalFrames\b|walFrames\b/),
    'message in (v8 ValueDeserializer)': max(/ValueDeserializer::ReadObjectWrapper|ValueDeserializer::ReadValue\(/),
    'garbage collection (Heap::CollectGarbage)': max(/Heap::CollectGarbage\(/),
  };
}

async function main() {
  const list = process.argv.slice(2);
  const sets = list.length > 0 ? list : ['sqlite', 'postgres'];
  const n1 = Number(process.env.COST_N1 ?? 1000);
  const n2 = Number(process.env.COST_N2 ?? 5000);
  const record = process.env.COST_RECORD ?? 'reject';
  if (process.env.COST_PLAIN === '1' || !hasValgrind()) {
    for (const sinks of sets) {
      const dir = mkdtempSync(join(tmpdir(), 'hg-cost-'));
      try {
        console.log(execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--drive', JSON.stringify({ sinks, n: n2, dir, record })]).toString().trim());
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    return;
  }
  for (const sinks of sets) {
    const a = await callgrind(sinks, n1, record);
    const b = await callgrind(sinks, n2, record);
    const per = (x, y) => Math.round((y - x) / (n2 - n1));
    const worker = per(a.worker, b.worker);
    console.log(`${sinks.padEnd(15)} ${record.padEnd(7)} worker ${String(worker).padStart(8)} Ir/event   process ${String(per(a.process, b.process)).padStart(8)} Ir/event   request thread ${String(per(a.main, b.main)).padStart(7)}   (N ${n1}→${n2}, written ${b.result.written}, dropped ${b.result.dropped})`);
    for (const [name, ir] of Object.entries(b.top)) {
      const ia = a.top[name] ?? 0;
      const d = per(ia, ir);
      if (d > 0) console.log(`    ${name.padEnd(52)} ${String(d).padStart(8)} Ir/event  ${((100 * d) / Math.max(1, worker)).toFixed(1).padStart(5)} %`);
    }
  }
}
