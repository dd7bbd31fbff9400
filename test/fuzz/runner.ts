/**
 * Runs fuzz cases against a real `honeygate serve` child process (built dist/, the same binary
 * users run) configured with every provider's keys and a tool route in front of a local API, and
 * reports what happened: answers by status, no answer, crashes, 5xx (with the seed and index that
 * replays each), secrets echoed back, and the gateway's memory before and after.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mintAwsKeyPair, mintOpenAIKey } from '../../src/deception/keygen.js';
import { fuzzCase, type FuzzKeys } from './cases.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface FuzzOptions {
  readonly seed: number;
  readonly cases: number;
  readonly concurrency?: number;
  /** ms to wait for an answer before giving up on a case */
  readonly caseTimeoutMs?: number;
}

export interface FuzzFinding {
  readonly index: number;
  readonly family: string;
  readonly status: string;
  readonly head: string;
}

export interface FuzzReport {
  readonly seed: number;
  readonly cases: number;
  readonly seconds: number;
  /** status code (or `closed` without an answer, `timeout`, `h2` for an HTTP/2 frame) → count */
  readonly byStatus: Record<string, number>;
  readonly byFamily: Record<string, number>;
  /** mean ms from connect to answer (or close, or timeout), per family */
  readonly msByFamily: Record<string, number>;
  readonly serverErrors: FuzzFinding[];
  readonly secretEchoes: FuzzFinding[];
  readonly crashed: boolean;
  readonly stderr: string;
  readonly rssBeforeMb: number;
  readonly rssAfterMb: number;
  /** the gateway still answers a plain request correctly afterwards */
  readonly healthyAfter: boolean;
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) / 1024 : 0;
}

interface Exchange {
  readonly status: string;
  readonly text: string;
}

function exchange(port: number, fragments: readonly Buffer[], timeoutMs: number): Promise<Exchange> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let done = false;
    const socket = connect({ host: '127.0.0.1', port });
    const finish = (why: 'closed' | 'timeout'): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      // an HTTP/2 server answers the preface with a SETTINGS frame (type 4) or GOAWAY (type 7)
      const h2 = chunks.length > 0 && !text.startsWith('HTTP/');
      resolve({ status: m ? (m[1] as string) : h2 ? 'h2' : why, text });
    };
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('close', () => finish('closed'));
    socket.on('error', () => finish('closed'));
    socket.once('connect', () => {
      let i = 0;
      const next = (): void => {
        const f = fragments[i++];
        if (f === undefined || socket.destroyed) return;
        socket.write(f, () => setImmediate(next));
      };
      next();
    });
  });
}

async function startToolApi(): Promise<Server> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

async function startServe(dir: string, config: Record<string, unknown>): Promise<{ child: ChildProcess; port: number; stderr: () => string }> {
  const file = join(dir, 'config.yaml');
  await writeFile(file, JSON.stringify(config));
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'honeygate.js'), 'serve', '--config', file], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-20_000)));
  for (const until = Date.now() + 30_000; Date.now() < until; await new Promise((r) => setTimeout(r, 25))) {
    const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
    if (m) return { child, port: Number(m[1]), stderr: () => err };
    if (child.exitCode !== null) break;
  }
  child.kill('SIGKILL');
  throw new Error(`honeygate serve did not start: ${err}`);
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const concurrency = options.concurrency ?? 64;
  const caseTimeoutMs = options.caseTimeoutMs ?? 1500;
  const aws = mintAwsKeyPair();
  const keys: FuzzKeys = {
    openaiLure: mintOpenAIKey('project'),
    openaiValid: mintOpenAIKey('project'),
    aws: { accessKeyId: aws.accessKeyId, secretAccessKey: aws.secretAccessKey },
    toolSecret: 'hgs_fuzz-tool-secret-0123456789abcdefghijklmnop',
  };
  const { createHash } = await import('node:crypto');
  const toolHash = `sha256:${createHash('sha256').update(keys.toolSecret).digest('hex')}`;
  const dir = await mkdtemp(join(tmpdir(), 'hg-fuzz-'));
  const api = await startToolApi();
  const apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  const { child, port, stderr } = await startServe(dir, {
    listen: { host: '127.0.0.1', port: 0 },
    lure_defaults: { realistic_timing: false, max_requests: 1_000_000_000 },
    keys: [
      { name: 'fuzz-lure', key: keys.openaiLure, class: 'lure' },
      { name: 'fuzz-valid', key: keys.openaiValid, class: 'valid', upstream: 'decoy' },
    ],
    aws_keys: [{ name: 'fuzz-aws-lure', class: 'lure', access_key_id: aws.accessKeyId, secret_access_key: aws.secretAccessKey }],
    routes: [{ name: 'tool', prefix: '/tool/', upstream: `${apiUrl}/`, auth: { secrets: [{ name: 's', hash: toolHash }] } }],
    events: { dir },
  });
  let crashed = false;
  child.once('exit', () => (crashed = true));
  const rssBeforeMb = rssMb(child.pid as number);
  const byStatus: Record<string, number> = {};
  const byFamily: Record<string, number> = {};
  const msTotal: Record<string, number> = {};
  const serverErrors: FuzzFinding[] = [];
  const secretEchoes: FuzzFinding[] = [];
  const secrets = [keys.openaiLure, keys.openaiValid, aws.secretAccessKey, keys.toolSecret];
  const started = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (!crashed) {
      const index = next++;
      if (index >= options.cases) return;
      const c = await fuzzCase(options.seed, index, keys);
      const t0 = performance.now();
      const ex = await exchange(port, c.fragments, caseTimeoutMs);
      msTotal[c.family] = (msTotal[c.family] ?? 0) + (performance.now() - t0);
      byStatus[ex.status] = (byStatus[ex.status] ?? 0) + 1;
      byFamily[c.family] = (byFamily[c.family] ?? 0) + 1;
      const finding = (): FuzzFinding => ({ index, family: c.family, status: ex.status, head: ex.text.slice(0, 600) });
      if (ex.status.startsWith('5')) serverErrors.push(finding());
      if (secrets.some((s) => ex.text.includes(s))) secretEchoes.push(finding());
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  const msByFamily = Object.fromEntries(Object.entries(msTotal).map(([f, ms]) => [f, Math.round(ms / (byFamily[f] ?? 1))]));
  const crashedDuringRun = crashed;
  let healthyAfter = false;
  let rssAfterMb = 0;
  if (!crashedDuringRun) {
    rssAfterMb = rssMb(child.pid as number);
    const probe = await exchange(port, [Buffer.from(`GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${keys.openaiValid}\r\nConnection: close\r\n\r\n`)], 5000);
    healthyAfter = probe.status === '200';
  }
  child.kill('SIGTERM');
  await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
  await new Promise((r) => api.close(r));
  await rm(dir, { recursive: true, force: true });
  return { seed: options.seed, cases: options.cases, seconds, byStatus, byFamily, msByFamily, serverErrors, secretEchoes, crashed: crashedDuringRun, stderr: stderr(), rssBeforeMb, rssAfterMb, healthyAfter };
}

export function formatReport(r: FuzzReport): string {
  const statuses = Object.entries(r.byStatus).sort(([a], [b]) => a.localeCompare(b)).map(([s, n]) => `${s}×${n}`).join(' ');
  return [
    `fuzz: seed ${r.seed}, ${r.cases} cases in ${r.seconds.toFixed(1)} s (${Math.round(r.cases / r.seconds)}/s)`,
    `answers: ${statuses}`,
    `families (cases, mean ms): ${Object.entries(r.byFamily).map(([f, n]) => `${f}×${n} ${r.msByFamily[f] ?? 0}ms`).join(' ')}`,
    `crashed: ${r.crashed}; healthy after: ${r.healthyAfter}; 5xx: ${r.serverErrors.length}; secrets echoed: ${r.secretEchoes.length}`,
    `gateway RSS: ${r.rssBeforeMb.toFixed(1)} MB before, ${r.rssAfterMb.toFixed(1)} MB after`,
    ...r.serverErrors.slice(0, 5).map((f) => `  5xx: case ${f.index} (${f.family}) → ${f.head.split('\r\n')[0] ?? ''}`),
  ].join('\n');
}
