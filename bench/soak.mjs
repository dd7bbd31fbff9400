#!/usr/bin/env node
// `npm run soak -- --minutes N [--rate R] [--concurrency C]`: a soak test of a real `honeygate serve`
// (built dist/) on loopback. Mixed traffic — valid keys forwarded to a local fake upstream (JSON and
// SSE), lure keys answered by the decoy, unknown and missing keys, bad SigV4, a tool route — from
// many client addresses (X-Forwarded-For through a trusted proxy), at a bounded rate, for N minutes.
// The gateway's RSS, open file descriptors and (from its metrics) active handles are sampled every
// 5 s; the verdict is on flatness over the second half of the run (the first half is warm-up: caches
// and pools fill). Exit 0 when flat, 1 when something grows. Loopback only, bounded in count and time.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { Agent, createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: { minutes: { type: 'string', default: '10' }, rate: { type: 'string', default: '300' }, concurrency: { type: 'string', default: '32' }, json: { type: 'string' } },
});
const minutes = Number(values.minutes);
const rate = Number(values.rate);
const concurrency = Number(values.concurrency);
if (!(minutes > 0 && minutes <= 240 && rate > 0 && rate <= 20_000 && concurrency > 0 && concurrency <= 1024)) {
  console.error('usage: npm run soak -- --minutes N (≤ 240) [--rate R (≤ 20000/s)] [--concurrency C (≤ 1024)] [--json FILE]');
  process.exit(2);
}

const key = () => `sk-proj-${randomBytes(60).toString('base64url').slice(0, 74)}T3BlbkFJ${randomBytes(60).toString('base64url').slice(0, 74)}`;
const valid = key();
const lure = key();
const toolSecret = `hgs_soak-${randomBytes(24).toString('hex')}`;

// the fake upstream for valid keys and the tool route: a chat completion, or SSE when asked
const upstream = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const stream = Buffer.concat(chunks).includes('"stream":true');
    if (stream) {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (let i = 0; i < 5; i++) res.write(`data: {"choices":[{"delta":{"content":"w${i}"}}]}\n\n`);
      res.end('data: [DONE]\n\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}}');
  });
});
await new Promise((r) => upstream.listen(0, '127.0.0.1', r));
const upstreamUrl = `http://127.0.0.1:${upstream.address().port}`;

const dir = await mkdtemp(join(tmpdir(), 'hg-soak-'));
const adminToken = randomBytes(24).toString('base64url');
await writeFile(
  join(dir, 'config.yaml'),
  JSON.stringify({
    listen: { host: '127.0.0.1', port: 0 },
    trusted_proxies: ['127.0.0.1/32'],
    upstreams: { fake: { type: 'openai', url: upstreamUrl } },
    lure_defaults: { realistic_timing: false, max_requests: 1_000_000_000 },
    keys: [
      { name: 'soak-valid', key: valid, class: 'valid', upstream: 'fake' },
      { name: 'soak-lure', key: lure, class: 'lure' },
    ],
    // a lure AWS pair turns the Bedrock routes on (the soak sends them badly signed requests)
    aws_keys: [{ name: 'soak-aws', class: 'lure', access_key_id: 'AKIA2OGYBAH6SOAKTEST', secret_access_key: randomBytes(30).toString('base64').slice(0, 40) }],
    routes: [{ name: 'tool', prefix: '/tool/', upstream: `${upstreamUrl}/`, auth: { secrets: [{ name: 's', hash: `sha256:${createHash('sha256').update(toolSecret).digest('hex')}` }] } }],
    admin: { token: adminToken, listen: { host: '127.0.0.1', port: 0 } },
    events: { dir },
  }),
);
const child = spawn(process.execPath, [join(root, 'bin', 'honeygate.js'), 'serve', '--config', join(dir, 'config.yaml')], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
let out = '';
let err = '';
child.stdout.on('data', (b) => (out += b));
child.stderr.on('data', (b) => (err = (err + b).slice(-10_000)));
let port = 0;
for (const until = Date.now() + 30_000; Date.now() < until && !port; await new Promise((r) => setTimeout(r, 50))) {
  const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
  if (m) port = Number(m[1]);
}
if (!port) {
  console.error(`honeygate did not start:\n${err}`);
  child.kill('SIGKILL');
  process.exit(1);
}
const adminMatch = /admin API and dashboard on (http:\/\/127\.0\.0\.1:\d+)/.exec(err + out);
const adminUrl = adminMatch ? adminMatch[1] : undefined;

const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
const chat = (stream) => JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'soak' }], ...(stream ? { stream: true } : {}) });
const MIX = [
  [30, () => ({ path: '/v1/chat/completions', auth: valid, body: chat(false) })],
  [10, () => ({ path: '/v1/chat/completions', auth: valid, body: chat(true) })],
  [15, () => ({ path: '/v1/chat/completions', auth: lure, body: chat(false) })],
  [5, () => ({ path: '/v1/chat/completions', auth: lure, body: chat(true) })],
  [20, () => ({ path: '/v1/chat/completions', auth: key(), body: chat(false) })],
  [5, () => ({ path: '/v1/models', auth: undefined })],
  [5, () => ({ path: '/model/anthropic.claude-3-haiku-20240307-v1:0/converse', raw: { authorization: `AWS4-HMAC-SHA256 Credential=AKIA${randomBytes(8).toString('hex').toUpperCase()}/20260101/us-east-1/bedrock/aws4_request, SignedHeaders=host, Signature=${'0'.repeat(64)}` }, body: '{}' })],
  [10, () => ({ path: '/tool/items', auth: toolSecret, body: '{"a":1}' })],
];
const total = MIX.reduce((a, [w]) => a + w, 0);
const draw = () => {
  let x = Math.random() * total;
  for (const [w, f] of MIX) if ((x -= w) < 0) return f();
  return MIX[0][1]();
};
const ip = () => (Math.random() < 0.5 ? `10.${(Math.random() * 256) | 0}.${(Math.random() * 256) | 0}.${(Math.random() * 256) | 0}` : `2001:db8:${((Math.random() * 65536) | 0).toString(16)}::${((Math.random() * 65536) | 0).toString(16)}`);

const statuses = {};
let sent = 0;
let failed = 0;
function one() {
  const r = draw();
  const headers = { 'x-forwarded-for': ip(), 'content-type': 'application/json', ...(r.auth ? { authorization: `Bearer ${r.auth}` } : {}), ...(r.raw ?? {}) };
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: r.path, method: r.body ? 'POST' : 'GET', headers, agent, timeout: 10_000 }, (res) => {
      statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
      res.resume();
      res.on('end', resolve);
      res.on('error', resolve);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => {
      failed++;
      resolve();
    });
    req.end(r.body);
  });
}

async function metrics() {
  if (!adminUrl) return undefined;
  try {
    const res = await fetch(`${adminUrl}/metrics`, { headers: { authorization: `Bearer ${adminToken}` } });
    const text = await res.text();
    const m = /^nodejs_active_handles_total (\d+)/m.exec(text);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

const samples = [];
async function sample(t) {
  const status = await readFile(`/proc/${child.pid}/status`, 'utf8').catch(() => '');
  const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  const fds = (await readdir(`/proc/${child.pid}/fd`).catch(() => [])).length;
  samples.push({ t, rssMb: Math.round(rss * 10) / 10, fds, handles: await metrics(), sent });
}

const durationMs = minutes * 60_000;
const started = Date.now();
const interval = 1000 / rate;
let nextAt = started;
const workers = Array.from({ length: concurrency }, async () => {
  while (Date.now() - started < durationMs && child.exitCode === null) {
    const wait = nextAt - Date.now();
    nextAt = Math.max(nextAt + interval, Date.now() - 1000);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    sent++;
    await one();
  }
});
await sample(0);
const sampler = setInterval(() => void sample((Date.now() - started) / 1000), 5000);
await Promise.all(workers);
clearInterval(sampler);
await sample((Date.now() - started) / 1000);

// least-squares slope over the second half (per minute)
function slope(points) {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((a, p) => a + p[0], 0) / n;
  const my = points.reduce((a, p) => a + p[1], 0) / n;
  const num = points.reduce((a, p) => a + (p[0] - mx) * (p[1] - my), 0);
  const den = points.reduce((a, p) => a + (p[0] - mx) ** 2, 0);
  return den === 0 ? 0 : (num / den) * 60;
}
const half = samples.filter((s) => s.t >= samples.at(-1).t / 2);
const rssSlope = slope(half.map((s) => [s.t, s.rssMb]));
const fdGrowth = half.at(-1).fds - half[0].fds;
const handleGrowth = half.at(-1).handles !== undefined && half[0].handles !== undefined ? half.at(-1).handles - half[0].handles : 0;
const rssMax = Math.max(...samples.map((s) => s.rssMb));
// flat: RSS grows less than 1% of its size per minute over the second half, descriptors and handles
// end within a connection pool's worth of where the half started
const flat = rssSlope < Math.max(2, rssMax * 0.01) && fdGrowth <= concurrency && handleGrowth <= concurrency;
const crashed = child.exitCode !== null;
child.kill('SIGTERM');
await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
agent.destroy();
upstream.close();
await rm(dir, { recursive: true, force: true });

const report = {
  minutes,
  requested_rate: rate,
  achieved_rate: Math.round(sent / ((samples.at(-1).t || 1))),
  requests: sent,
  failed,
  statuses,
  rss_mb: { start: samples[0].rssMb, max: rssMax, end: samples.at(-1).rssMb, slope_mb_per_min_second_half: Math.round(rssSlope * 100) / 100 },
  fds: { start: samples[0].fds, end: samples.at(-1).fds, growth_second_half: fdGrowth },
  handles: { start: samples[0].handles, end: samples.at(-1).handles, growth_second_half: handleGrowth },
  crashed,
  verdict: !crashed && flat ? 'flat' : 'growing',
};
if (values.json) await writeFile(values.json, JSON.stringify({ report, samples }, null, 2));
console.log(JSON.stringify(report, null, 2));
console.log(`soak: ${report.verdict} (${sent} requests in ${minutes} min; RSS ${report.rss_mb.start} → ${report.rss_mb.end} MB, slope ${report.rss_mb.slope_mb_per_min_second_half} MB/min; fds ${report.fds.start} → ${report.fds.end})`);
process.exit(report.verdict === 'flat' ? 0 : 1);
