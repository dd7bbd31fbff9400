// Streaming client: sequential SSE requests (concurrency 1, keep-alive), targets interleaved request
// by request so drift hits them alike. Per request: time to the response head, to the first body
// byte (the first event), and to the end. The de-chunked body is hashed to prove the bytes are
// identical through every proxy. argv[2] = JSON { targets: [{name,url}], path, headers, body, n, warmup }.
import { createHash } from 'node:crypto';
import { Agent, request } from 'node:http';

const spec = JSON.parse(process.argv[2]);
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function once(url) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let tHead = 0;
    let tFirst = 0;
    const hash = createHash('sha256');
    let bytes = 0;
    const req = request(`${url}${spec.path}`, { method: 'POST', agent, headers: { ...spec.headers, 'content-length': Buffer.byteLength(spec.body) } }, (res) => {
      tHead = performance.now() - t0;
      res.on('data', (c) => {
        if (tFirst === 0) tFirst = performance.now() - t0;
        hash.update(c);
        bytes += c.length;
      });
      res.on('end', () => resolve({ status: res.statusCode, head: tHead, first: tFirst, total: performance.now() - t0, sha256: hash.digest('hex'), bytes }));
      res.on('error', reject);
    });
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(spec.body);
  });
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

const samples = Object.fromEntries(spec.targets.map((t) => [t.name, []]));
const until = Date.now() + (spec.maxMs ?? 30_000);
for (let i = 0; i < spec.warmup + spec.n && Date.now() < until; i++) {
  for (const t of spec.targets) {
    const r = await once(t.url);
    if (i >= spec.warmup) samples[t.name].push(r);
  }
}
const out = {};
for (const [name, rs] of Object.entries(samples)) {
  const hashes = new Set(rs.map((r) => r.sha256));
  out[name] = {
    n: rs.length,
    statuses: [...new Set(rs.map((r) => r.status))],
    head_p50_ms: pct(rs.map((r) => r.head), 50),
    first_p50_ms: pct(rs.map((r) => r.first), 50),
    first_p99_ms: pct(rs.map((r) => r.first), 99),
    total_p50_ms: pct(rs.map((r) => r.total), 50),
    total_p99_ms: pct(rs.map((r) => r.total), 99),
    bytes: rs[0]?.bytes ?? 0,
    sha256: hashes.size === 1 ? [...hashes][0] : null,
  };
}
agent.destroy();
process.stdout.write(`${JSON.stringify(out)}\n`);
