// The load generator: wrk when installed (C, one thread, its own core), autocannon from
// bench/node_modules otherwise. Both give requests/s and latency percentiles in microseconds.
// Each call is one closed-loop run of `durationS` seconds at `connections` concurrency.
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, which } from './proc.mjs';

const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url));

export async function chooseLoadGenerator() {
  const wrk = await which('wrk');
  if (wrk) return { name: 'wrk', bin: wrk, version: (await run(wrk, ['--version'], { timeoutMs: 5000 })).stdout.split('\n')[0].trim() };
  const ac = join(BENCH_DIR, 'node_modules', 'autocannon', 'autocannon.js');
  if (!existsSync(ac)) {
    // bench tooling stays out of the shipped dependencies: it lives in bench/package.json
    const r = await run('npm', ['ci', '--no-audit', '--no-fund'], { cwd: BENCH_DIR, timeoutMs: 180_000 });
    if (r.code !== 0 || !existsSync(ac)) throw new Error(`neither wrk nor autocannon available (npm ci in bench/ failed: ${r.stderr.slice(-500)})`);
  }
  const { createRequire } = await import('node:module');
  const pkg = createRequire(join(BENCH_DIR, 'package.json'))('autocannon/package.json');
  return { name: 'autocannon', bin: ac, version: `autocannon ${pkg.version}` };
}

/** A Lua string literal: every byte outside printable ASCII (and `"`, `\\`) as a \\ddd escape. */
function luaString(s) {
  let out = '"';
  for (const b of Buffer.from(s, 'utf8')) out += b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c ? String.fromCharCode(b) : `\\${String(b).padStart(3, '0')}`;
  return `${out}"`;
}

/** A request: method, path, headers (object), body (string or undefined). */
async function wrkScript(dir, name, request) {
  const lines = [`wrk.method = "${request.method}"`];
  if (request.body !== undefined) lines.push(`wrk.body = ${luaString(request.body)}`);
  for (const [k, v] of Object.entries(request.headers ?? {})) lines.push(`wrk.headers[${luaString(k)}] = ${luaString(v)}`);
  lines.push(
    'done = function(summary, latency, requests)',
    '  local e = summary.errors',
    `  io.write(string.format('\\nBENCHJSON {"requests":%d,"duration_us":%d,"bytes":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},"p50":%d,"p90":%d,"p99":%d,"mean":%.3f,"max":%d}\\n',`,
    '    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,',
    '    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean, latency.max))',
    'end',
  );
  const file = join(dir, `${name.replace(/[^A-Za-z0-9_.-]/g, "_")}.lua`);
  await writeFile(file, `${lines.join('\n')}\n`);
  return file;
}

/**
 * One measurement. Returns { rps, requests, p50, p90, p99, mean (µs), errors, non2xx }.
 */
export async function measure(gen, { url, request, connections, durationS, scratch, name }) {
  const target = `${url}${request.path}`;
  if (gen.name === 'wrk') {
    const script = await wrkScript(scratch, name, request);
    const r = await run(gen.bin, ['-t1', `-c${connections}`, `-d${Math.max(1, Math.round(durationS))}s`, '--timeout', '5s', '-s', script, target], {
      timeoutMs: (durationS + 15) * 1000,
    });
    const line = r.stdout.split('\n').find((l) => l.startsWith('BENCHJSON '));
    if (!line) throw new Error(`wrk gave no result (${r.code}): ${r.stdout.slice(-400)} ${r.stderr.slice(-400)}`);
    const v = JSON.parse(line.slice(10));
    const errors = v.errors.connect + v.errors.read + v.errors.write + v.errors.timeout;
    return { rps: v.requests / (v.duration_us / 1e6), requests: v.requests, p50: v.p50, p90: v.p90, p99: v.p99, mean: v.mean, errors, non2xx: v.errors.status };
  }
  const args = [
    gen.bin,
    '--json',
    '-c', String(connections),
    '-d', String(durationS),
    '-m', request.method,
    ...(request.body !== undefined ? ['-b', request.body] : []),
    ...Object.entries(request.headers ?? {}).flatMap(([k, v]) => ['-H', `${k}=${v}`]),
    target,
  ];
  const r = await run(process.execPath, args, { timeoutMs: (durationS + 20) * 1000 });
  const v = JSON.parse(r.stdout);
  const ms = (x) => Math.round(x * 1000);
  return {
    rps: v.requests.total / (v.duration || durationS),
    requests: v.requests.total,
    p50: ms(v.latency.p50),
    p90: ms(v.latency.p90),
    p99: ms(v.latency.p99),
    mean: ms(v.latency.average),
    errors: v.errors + v.timeouts,
    non2xx: v.non2xx,
  };
}
