#!/usr/bin/env node
// `npm run bench` — honeygate's end-to-end benchmark (issue 11). Everything on loopback, every
// process bounded in time, the whole run under ten minutes and stopping by itself.
//
// Each figure is a ratio against a baseline measured in the same run, request for request:
//   bare         node:http answering honeygate's own captured bytes (reject paths)
//   direct       the fake upstream without any proxy
//   least proxy  node:http + undici Pool and nothing else: the floor for a proxy on this runtime
//   haproxy      the native reference, when installed
// The key ratios are measured BENCH_REPS times (default 3), baselines and honeygate interleaved
// (the order flips every repetition), and the median is reported. See bench/README.md.
//
// Options (environment): BENCH_DURATION=5 (s per measurement), BENCH_WARMUP=1 (s), BENCH_REPS=3,
// BENCH_BUDGET=570 (s, hard stop), BENCH_MEM_CLIENTS=1000000, BENCH_REDIS_URL=redis://127.0.0.1:6379,
// HONEYGATE_ROOT (a honeygate tree with bin/ and dist/; default this repo), BENCH_PROFILE=1 or
// `--profile` (a profiling pass at the end: node --cpu-prof, profiles in bench/profiles/).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHAT_BODY, CHAT_REQUEST, KEYS, STREAM_REQUEST } from './lib/fixtures.mjs';
import { benchConfig, fitConfig, ROOT, startGateway } from './lib/gateway.mjs';
import { startHaproxy } from './lib/haproxy.mjs';
import { rawExchange } from './lib/http.mjs';
import { chooseLoadGenerator, measure } from './lib/load.mjs';
import { optionalPaths } from './lib/optional.mjs';
import { jsonReady, killAll, run, startChild } from './lib/proc.mjs';
import { summarise } from './lib/profile.mjs';
import { dropPgSchemas } from './lib/pg.mjs';
import { openRedis } from './lib/redis.mjs';
import { startRespRelay } from './lib/resp-relay.mjs';
import { evaluate, writeReport } from './lib/report.mjs';

const BENCH = fileURLToPath(new URL('.', import.meta.url));
const env = process.env;
const opts = {
  duration: Number(env.BENCH_DURATION ?? 5),
  warmup: Number(env.BENCH_WARMUP ?? 1),
  reps: Number(env.BENCH_REPS ?? 3),
  budgetS: Number(env.BENCH_BUDGET ?? 570),
  memClients: Number(env.BENCH_MEM_CLIENTS ?? 1_000_000),
  profile: process.argv.includes('--profile') || env.BENCH_PROFILE === '1',
  /** only these groups (comma-separated): reject, forward32, forward1, sse, extra, memory */
  only: env.BENCH_ONLY ? new Set(env.BENCH_ONLY.split(',')) : null,
  /** profile only these paths (comma-separated): forward, reject, lure, forward-redis, bedrock */
  profilePaths: env.BENCH_PROFILE_PATHS ? new Set(env.BENCH_PROFILE_PATHS.split(',')) : null,
  /** connections of the profiling pass (1 shows the per-request costs that batch away under load) */
  profileConnections: Number(env.BENCH_PROFILE_CONNECTIONS ?? 32),
};
const wanted = (g) => opts.only === null || opts.only.has(g);
const t0 = Date.now();
const elapsed = () => (Date.now() - t0) / 1000;
const left = () => opts.budgetS - elapsed();
const log = (...a) => console.log(`[${elapsed().toFixed(0).padStart(3)}s]`, ...a);

const watchdog = setTimeout(() => {
  console.error(`bench: over the ${opts.budgetS} s budget, stopping every child`);
  killAll();
  process.exit(2);
}, opts.budgetS * 1000);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    killAll();
    process.exit(130);
  });
}

const scratch = mkdtempSync(join(tmpdir(), 'honeygate-bench-'));
const started = [];
const results = {
  meta: {},
  runs: {},
  sse: [],
  redis_calls_per_request: [],
  redis_round_trips: null,
  memory: null,
  profiles: [],
  skipped: [],
  notes: [],
};

function request(key, body = CHAT_REQUEST) {
  return {
    method: 'POST',
    path: '/v1/chat/completions',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body,
  };
}
const REQ = { valid: request(KEYS.valid), invalid: request(KEYS.invalid), lure: request(KEYS.lure) };

async function start(name, promise) {
  const s = await promise;
  if (s) started.push(s);
  return s;
}

/** CPU time (user + system, µs) a server process has used so far; null where /proc is missing. */
function cpuUs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10_000; // clock ticks of 10 ms
  } catch {
    return null;
  }
}

/** Warm up, then one measured run; appended to results.runs[name] (with the server's CPU µs per request). */
async function bench(gen, name, target, req, connections, onMeasured) {
  await measure(gen, { url: target.url, request: req, connections, durationS: opts.warmup, scratch, name: `${name}-warm` });
  const before = onMeasured ? await onMeasured.before() : undefined;
  const pid = target.child?.pid;
  const cpu0 = pid ? cpuUs(pid) : null;
  const m = await measure(gen, { url: target.url, request: req, connections, durationS: opts.duration, scratch, name });
  const cpu1 = pid ? cpuUs(pid) : null;
  if (cpu0 !== null && cpu1 !== null && m.requests > 0) m.cpu_us = Math.round(((cpu1 - cpu0) / m.requests) * 10) / 10;
  if (onMeasured) await onMeasured.after(before, m);
  (results.runs[name] ??= []).push(m);
  log(`${name.padEnd(26)} c=${String(connections).padEnd(3)} ${String(Math.round(m.rps)).padStart(6)} req/s  p50 ${String(m.p50).padStart(5)} µs  p99 ${String(m.p99).padStart(6)} µs  cpu ${m.cpu_us ?? '?'} µs/req${m.errors ? `  errors ${m.errors}` : ''}`);
  return m;
}

/** Run a group's measurements in order, reversed on odd repetitions (no position favours anyone). */
async function group(rep, items) {
  const list = rep % 2 === 1 ? [...items].reverse() : items;
  for (const item of list) await item();
}

async function check(what, ok, detail) {
  if (!ok) throw new Error(`preflight: ${what} failed${detail ? `: ${detail}` : ''}`);
}

async function post(url, req) {
  const r = await fetch(`${url}${req.path}`, { method: req.method, headers: req.headers, body: req.body });
  return { status: r.status, text: await r.text() };
}

function commit() {
  if (env.HONEYGATE_COMMIT) return env.HONEYGATE_COMMIT;
  try {
    const head = execFileSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['-C', ROOT, 'status', '--porcelain', '--', 'src'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() !== '';
    return `${head}${dirty ? '+dirty src' : ''}`;
  } catch {
    return 'unknown';
  }
}

async function main() {
  const gen = await chooseLoadGenerator();
  const redis = await openRedis();
  results.meta = {
    date: new Date().toISOString(),
    honeygate: commit(),
    node: process.version,
    cpus: cpus().length,
    cpu_model: cpus()[0]?.model ?? 'unknown',
    loadavg_start: loadavg().map((x) => Math.round(x * 100) / 100),
    generator: gen.version,
    duration_s: opts.duration,
    warmup_s: opts.warmup,
    reps: opts.reps,
    redis: redis ? `${await redis.version()} at ${redis.url}` : null,
  };
  log(`load generator: ${gen.version}; honeygate tree: ${ROOT}`);

  // --- the servers
  const upstream = await start('upstream', startChild('upstream', process.execPath, [join(BENCH, 'servers/upstream.mjs')], { ready: jsonReady }));
  const least = await start('least', startChild('least-proxy', process.execPath, [join(BENCH, 'servers/least-proxy.mjs'), upstream.url], { ready: jsonReady }));
  const haproxy = await start('haproxy', startHaproxy(upstream.port, scratch));
  results.meta.haproxy = haproxy ? haproxy.version : null;
  if (!haproxy) results.skipped.push({ path: 'haproxy reference', why: 'haproxy not installed (apt-get install -y haproxy)' });

  const dataDir = join(scratch, 'data');
  const baseConfig = await fitConfig(benchConfig({ upstreamUrl: upstream.url, dataDir }));
  const gw = await start('gateway', startGateway('honeygate', baseConfig, { scratch }));
  // the same gateway without event sinks, and with the default sinks (JSONL + SQLite): information only
  const gwNoEvents = await start('gateway-noevents', startGateway('honeygate-noevents', await fitConfig(benchConfig({ upstreamUrl: upstream.url, dataDir: join(scratch, 'data-none'), events: 'none' })), { scratch }));
  // the default configuration of `honeygate serve` (JSONL + SQLite event store, on the events worker)
  const gwDefault = await start('gateway-default', startGateway('honeygate-default', await fitConfig(benchConfig({ upstreamUrl: upstream.url, dataDir: join(scratch, 'data-full'), events: 'full' })), { scratch }));
  // PostgreSQL as the event store (JSONL too), when a PostgreSQL answers at BENCH_PG_URL
  const pgSchema = `hgbench_${process.pid}`;
  const pgUrl = env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  let gwPg = null;
  if (wanted('pg')) {
    const pgConfig = benchConfig({ upstreamUrl: upstream.url, dataDir: join(scratch, 'data-pg'), events: { driver: 'postgres', url: pgUrl, schema: pgSchema } });
    gwPg = await start('gateway-pg', startGateway('honeygate-pg', await fitConfig(pgConfig), { scratch })).catch((e) => {
      results.skipped.push({ path: 'PostgreSQL event store', why: `no PostgreSQL at BENCH_PG_URL (${String(e?.message ?? e).slice(0, 120)})` });
      return null;
    });
  }

  const prefix = `hgbench-${process.pid}-${Date.now()}:`;
  let gwRedis = null;
  let redisConfig = null;
  if (redis) {
    redisConfig = await fitConfig(benchConfig({ upstreamUrl: upstream.url, dataDir: join(scratch, 'data-redis'), store: { backend: 'redis', redis: { url: redis.url, prefix } } }));
    gwRedis = await start('gateway-redis', startGateway('honeygate-redis', redisConfig, { scratch }));
  } else {
    results.skipped.push({ path: 'Redis store', why: 'no Redis answering at BENCH_REDIS_URL (default redis://127.0.0.1:6379)' });
  }

  // --- honeygate's exact 401, served by the bare baseline
  const raw = `POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:${gw.port}\r\nContent-Type: application/json\r\nAuthorization: Bearer ${KEYS.invalid}\r\nContent-Length: ${Buffer.byteLength(CHAT_REQUEST)}\r\n\r\n${CHAT_REQUEST}`;
  const captured = await rawExchange(gw.port, raw);
  const capturedFile = join(scratch, 'captured-401.json');
  writeFileSync(capturedFile, JSON.stringify({ status: captured.status, headers: captured.headers, body: captured.body.toString('base64') }));
  const bare = await start('bare', startChild('bare', process.execPath, [join(BENCH, 'servers/bare.mjs'), capturedFile], { ready: jsonReady }));

  // --- preflight: every path answers what it should, before anything is timed
  {
    const f = await post(gw.url, REQ.valid);
    await check('forward via honeygate', f.status === 200 && f.text === CHAT_BODY, `${f.status}`);
    const l = await post(least.url, REQ.valid);
    await check('forward via least proxy', l.status === 200 && l.text === CHAT_BODY, `${l.status}`);
    if (haproxy) {
      const h = await post(haproxy.url, REQ.valid);
      await check('forward via haproxy', h.status === 200 && h.text === CHAT_BODY, `${h.status}`);
    }
    const r = await post(gw.url, REQ.invalid);
    await check('reject via honeygate', r.status === 401 && r.text.includes('invalid_api_key'), `${r.status}`);
    const b = await post(bare.url, REQ.invalid);
    await check('bare 401', b.status === 401 && b.text === captured.body.toString('utf8'), `${b.status}`);
    const u = await post(gw.url, REQ.lure);
    await check('lure via honeygate', u.status === 200 && u.text.includes('"chat.completion"'), `${u.status} ${u.text.slice(0, 200)}`);
    if (gwRedis) {
      const x = await post(gwRedis.url, REQ.valid);
      await check('forward via honeygate (Redis store)', x.status === 200 && x.text === CHAT_BODY, `${x.status}`);
    }
    results.meta.bytes = { reject_answer: captured.body.length, forward_answer: Buffer.byteLength(CHAT_BODY) };
  }
  const extra = await optionalPaths({ root: ROOT, scratch, upstream, log, results, startGateway, fitConfig, started, baseConfig, dataDir });

  // --- the measurements, BENCH_REPS times
  const hasTime = (need) => left() > need;
  for (let rep = 0; rep < opts.reps; rep++) {
    log(`— repetition ${rep + 1}/${opts.reps}`);
    const c32 = 32;
    if (wanted('reject')) await group(rep, [
      () => bench(gen, 'reject/bare', bare, REQ.invalid, c32),
      () => bench(gen, 'reject/honeygate', gw, REQ.invalid, c32),
      () => bench(gen, 'reject/honeygate-noevents', gwNoEvents, REQ.invalid, c32),
      () => bench(gen, 'reject/honeygate-default', gwDefault, REQ.invalid, c32),
      ...(gwPg ? [() => bench(gen, 'reject/honeygate-pg', gwPg, REQ.invalid, c32)] : []),
      () => bench(gen, 'lure/honeygate', gw, REQ.lure, c32),
      () => bench(gen, 'lure/honeygate-default', gwDefault, REQ.lure, c32),
    ]);
    const redisCount = gwRedis
      ? {
          before: () => redis.totalCalls(),
          after: async (before, m) => {
            const after = await redis.totalCalls();
            results.redis_calls_per_request.push(Math.max(0, after - before - 1) / m.requests);
          },
        }
      : undefined;
    if (wanted('forward32')) await group(rep, [
      () => bench(gen, 'forward32/direct', upstream, REQ.valid, c32),
      () => bench(gen, 'forward32/least', least, REQ.valid, c32),
      ...(haproxy ? [() => bench(gen, 'forward32/haproxy', haproxy, REQ.valid, c32)] : []),
      () => bench(gen, 'forward32/honeygate', gw, REQ.valid, c32),
      () => bench(gen, 'forward32/honeygate-noevents', gwNoEvents, REQ.valid, c32),
      () => bench(gen, 'forward32/honeygate-default', gwDefault, REQ.valid, c32),
      ...(gwPg ? [() => bench(gen, 'forward32/honeygate-pg', gwPg, REQ.valid, c32)] : []),
      ...(gwRedis ? [() => bench(gen, 'forward32/honeygate-redis', gwRedis, REQ.valid, c32, redisCount)] : []),
    ]);
    if (wanted('forward1')) await group(rep, [
      () => bench(gen, 'forward1/direct', upstream, REQ.valid, 1),
      () => bench(gen, 'forward1/least', least, REQ.valid, 1),
      ...(haproxy ? [() => bench(gen, 'forward1/haproxy', haproxy, REQ.valid, 1)] : []),
      () => bench(gen, 'forward1/honeygate', gw, REQ.valid, 1),
      () => bench(gen, 'forward1/honeygate-default', gwDefault, REQ.valid, 1),
    ]);
    if (wanted('extra')) for (const p of extra) await group(rep, p.items.map((it) => () => bench(gen, it.name, it.target, it.request, it.connections ?? c32)));

    // streaming: sequential SSE requests, targets interleaved request by request
    if (wanted('sse')) await sseGroup(rep);
    if (!hasTime(90 + (opts.reps - rep - 1) * 10)) {
      results.notes.push(`stopped after ${rep + 1} repetition(s): time budget`);
      break;
    }
  }

  async function sseGroup(rep) {
    const targets = [
      { name: 'direct', url: upstream.url },
      { name: 'least', url: least.url },
      ...(haproxy ? [{ name: 'haproxy', url: haproxy.url }] : []),
      { name: 'honeygate', url: gw.url },
    ];
    const spec = { targets: rep % 2 ? [...targets].reverse() : targets, path: '/v1/chat/completions', headers: REQ.valid.headers, body: STREAM_REQUEST, n: 300, warmup: 30, maxMs: 30_000 };
    const s = await run(process.execPath, [join(BENCH, 'clients/sse.mjs'), JSON.stringify(spec)], { timeoutMs: 40_000 });
    if (s.code !== 0) throw new Error(`sse client failed: ${s.stderr.slice(-800)}`);
    const sse = JSON.parse(s.stdout);
    results.sse.push(sse);
    log(`sse first-byte p50 (ms): ${Object.entries(sse).map(([k, v]) => `${k} ${v.first_p50_ms.toFixed(3)}`).join(', ')}`);
  }

  // --- Redis round trips per request, exactly: a second Redis-store gateway talks to Redis through
  // a counting relay (the throughput runs above go straight to Redis)
  if (redis && wanted('forward32') && hasTime(60)) {
    const u = new URL(redis.url);
    const relay = await startRespRelay(Number(u.port || 6379), u.hostname);
    const cfg = await fitConfig(benchConfig({ upstreamUrl: upstream.url, dataDir: join(scratch, 'data-relay'), events: 'none', store: { backend: 'redis', redis: { url: `redis://127.0.0.1:${relay.port}`, prefix } } }));
    const counted = await startGateway('honeygate-redis-counted', cfg, { scratch });
    await post(counted.url, REQ.valid);
    await measure(gen, { url: counted.url, request: REQ.valid, connections: 8, durationS: 1, scratch, name: 'relay-warm' });
    const before = relay.total();
    const m = await measure(gen, { url: counted.url, request: REQ.valid, connections: 8, durationS: 2, scratch, name: 'relay' });
    const commands = relay.total() - before;
    results.redis_round_trips = { requests: m.requests, commands, per_request: Math.round((commands / m.requests) * 1000) / 1000, via: 'RESP-counting relay, this gateway only' };
    log(`Redis round trips: ${commands} commands for ${m.requests} requests (${results.redis_round_trips.per_request} per request)`);
    await counted.stop();
    await relay.close();
  }

  // --- events per second the events worker sustains (its own process: records published as fast
  // as the bus takes them, written by the default sinks, and with PostgreSQL as the store)
  if (wanted('worker') && hasTime(40)) {
    const w = await run(process.execPath, [join(BENCH, 'clients/events-worker.mjs'), JSON.stringify({ root: ROOT, dir: join(scratch, 'data-worker'), pgUrl, pgSchema: `${pgSchema}_w`, seconds: Math.min(5, opts.duration) })], {
      timeoutMs: 90_000,
    });
    if (w.code === 0) {
      results.worker = JSON.parse(w.stdout);
      log(`events worker: ${results.worker.map((x) => `${x.sinks} ${x.events_per_s} events/s (dropped ${x.dropped})`).join('; ')}`);
    } else results.notes.push(`events-worker client failed (${w.code}): ${w.stderr.slice(-300)}`);
  }

  // --- memory after 1M + 1M distinct client IPs (store API, separate process)
  if (!wanted('memory')) results.skipped.push({ path: 'memory after 1M client IPs', why: 'BENCH_ONLY' });
  else if (hasTime(60)) {
    const memConfig = { ...baseConfig, events: { dir: dataDir, jsonl: { enabled: false }, store: { driver: 'none' } } };
    const m = await run(process.execPath, ['--expose-gc', join(BENCH, 'clients/memory-store.mjs'), JSON.stringify({ root: ROOT, config: memConfig, perPhase: opts.memClients })], {
      timeoutMs: Math.min(180, left() - 20) * 1000,
    });
    if (m.code === 0) {
      results.memory = { via: 'store API (policy.admitInput → store.admit), separate process', ...JSON.parse(m.stdout) };
      log(`memory: ${results.memory.snapshots.map((x) => `${x.clients} clients → ${x.rss_mb} MB RSS`).join(', ')}`);
    } else results.notes.push(`memory client failed (${m.code}): ${m.stderr.slice(-300)}`);
  } else results.skipped.push({ path: 'memory after 1M client IPs', why: 'time budget' });

  // --- optional profiling pass (off by default: the profiler slows what it watches)
  if (opts.profile && hasTime(60)) {
    const dir = join(BENCH, 'profiles');
    mkdirSync(dir, { recursive: true });
    const paths = [
      ['forward', REQ.valid, baseConfig],
      ['reject', REQ.invalid, baseConfig],
      ['lure', REQ.lure, baseConfig],
      ...(redisConfig ? [['forward-redis', REQ.valid, redisConfig]] : []),
      // the Bedrock path profiles with its own config; its signed request stays valid for 15 minutes
      ...extra.flatMap((p) => p.items.filter((it) => it.profile).map((it) => [it.profile.name, it.profile.request, it.profile.config])),
    ].filter(([name]) => opts.profilePaths === null || opts.profilePaths.has(name));
    for (const [name, req, config] of paths) {
      if (!hasTime(30)) break;
      const before = new Set((await import('node:fs')).readdirSync(dir));
      const p = await startGateway(`profile-${name}`, config, { scratch, profileDir: dir });
      // a request signed for the port (Bedrock) is made for this gateway
      const request = typeof req === 'function' ? await req(p.port) : req;
      await measure(gen, { url: p.url, request, connections: opts.profileConnections, durationS: opts.duration, scratch, name: `profile-${name}` });
      await p.stop();
      const file = (await import('node:fs')).readdirSync(dir).find((f) => !before.has(f) && f.startsWith(`profile-${name}`));
      if (file) {
        const s = summarise(join(dir, file), 15);
        results.profiles.push({ path: name, file: `bench/profiles/${file}`, busy_ms: s.busy_ms, modules: s.modules, functions: s.functions });
        log(`profile ${name}: bench/profiles/${file}`);
      }
    }
  }

  for (const s of started.reverse()) await s.stop();
  if (redis) {
    await redis.clean(prefix);
    await redis.close();
  }
  if (gwPg || wanted('worker')) await dropPgSchemas(pgUrl, [pgSchema, `${pgSchema}_w`]);
  results.meta.loadavg_end = loadavg().map((x) => Math.round(x * 100) / 100);
  results.meta.seconds = Math.round(elapsed());
  const evaluated = evaluate(results);
  const files = writeReport(BENCH, evaluated, { partial: opts.only !== null || opts.reps < 3 });
  log(`results: ${files.join(', ')}`);
  for (const t of evaluated.targets) console.log(`${t.held === true ? 'HELD  ' : t.held === false ? 'MISSED' : 'n/a   '} ${t.what}: ${t.shown} (target ${t.target})`);
}

try {
  await main();
  clearTimeout(watchdog);
  rmSync(scratch, { recursive: true, force: true });
} catch (e) {
  console.error(e);
  killAll();
  clearTimeout(watchdog);
  process.exitCode = 1;
}
