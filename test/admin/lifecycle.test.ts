/**
 * Lifecycle of a real `honeygate serve` child process (needs dist/: `npm test` builds it first;
 * alone: `npx tsc -p tsconfig.json`): the admin listener starts with a token and not without one
 * (serve says why), SIGHUP reports every error of a bad file and applies a good one, and SIGTERM
 * under load drains in-flight requests and flushes every sink — the events stored equal the
 * responses received, in the SQLite store and in the JSONL file alike.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { openEventStore } from '../../src/events/store/index.js';
import { LURE, TOKEN, VALID } from './harness.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = join(ROOT, 'bin/honeygate.js');

/** dist/ must exist and be newer than the sources this test exercises. */
function distProblem(): string | null {
  for (const [built, source] of [
    ['dist/cli/serve.js', 'src/cli/serve.ts'],
    ['dist/admin/server.js', 'src/admin/server.ts'],
    ['dist/admin/reload.js', 'src/admin/reload.ts'],
    ['dist/gateway/gateway.js', 'src/gateway/gateway.ts'],
  ] as const) {
    const b = join(ROOT, built);
    if (!existsSync(b)) return `${built} is missing: run \`npx tsc -p tsconfig.json\` (npm test does)`;
    if (statSync(b).mtimeMs < statSync(join(ROOT, source)).mtimeMs) return `${built} is older than ${source}: run \`npx tsc -p tsconfig.json\``;
  }
  return null;
}

interface Child {
  readonly child: ChildProcess;
  readonly url: string;
  readonly adminUrl: string | null;
  out(): string;
  err(): string;
  readonly exited: Promise<number | null>;
}

async function serve(dir: string, config: Record<string, unknown>, env: Record<string, string>): Promise<Child> {
  const problem = distProblem();
  if (problem !== null) throw new Error(problem);
  const file = join(dir, 'honeygate.yaml');
  await writeFile(file, JSON.stringify(config, null, 2));
  const child = spawn(process.execPath, [BIN, 'serve', '--config', file], {
    cwd: dir,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', NODE_NO_WARNINGS: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const deadline = Date.now() + 15_000;
  while (!/honeygate listening on http:\/\/\S+/.test(out)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`honeygate did not start: ${err}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const url = /honeygate listening on (http:\/\/\S+)/.exec(out)?.[1] ?? '';
  const adminUrl = /honeygate admin API and dashboard on (http:\/\/[^/\s]+)\//.exec(err)?.[1] ?? null;
  return { child, url, adminUrl, out: () => out, err: () => err, exited };
}

function config(dir: string, admin: Record<string, unknown> | undefined): Record<string, unknown> {
  return {
    listen: { host: '127.0.0.1', port: 0 },
    upstreams: { decoy: { type: 'decoy' } },
    keys: [
      { name: 'app', key: VALID, class: 'valid', upstream: 'decoy' },
      // a slow lure: requests are in flight when SIGTERM arrives
      { name: 'slow-lure', key: LURE, class: 'lure', campaign: 'drain', max_requests: 100_000, response_delay: '400ms' },
    ],
    events: { dir: join(dir, 'events'), jsonl: { enabled: true }, store: { driver: 'sqlite', flush_interval: '50ms' } },
    ...(admin !== undefined ? { admin } : {}),
  };
}

/** One request on its own connection (Connection: close): a response, or the error that ended it. */
function post(url: string, key: string): Promise<number | 'error'> {
  const u = new URL(url);
  const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] });
  return new Promise((resolvePost) => {
    const req = httpRequest(
      {
        host: u.hostname,
        port: Number(u.port),
        method: 'POST',
        path: '/v1/chat/completions',
        agent: false,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), connection: 'close' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolvePost(res.complete ? (res.statusCode ?? 0) : 'error'));
        res.on('error', () => resolvePost('error'));
        res.on('aborted', () => resolvePost('error'));
      },
    );
    req.on('error', () => resolvePost('error'));
    req.end(body);
  });
}

let dirs: string[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  dirs = [];
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'honeygate-life-'));
  dirs.push(d);
  return d;
}

describe('honeygate serve', () => {
  it('without admin.token the admin listener stays off and serve says why', async () => {
    const dir = await tempDir();
    const c = await serve(dir, config(dir, undefined), {});
    children.push(c.child);
    expect(c.adminUrl).toBeNull();
    expect(c.err()).toContain('admin API, metrics and dashboard are off: set admin.token');
    c.child.kill('SIGTERM');
    expect(await c.exited).toBe(0);
  });

  it('refuses to start with a non-loopback admin address unless allow_remote', async () => {
    const dir = await tempDir();
    await expect(serve(dir, config(dir, { token: '${HONEYGATE_ADMIN_TOKEN}', listen: { host: '0.0.0.0', port: 0 } }), { HONEYGATE_ADMIN_TOKEN: TOKEN })).rejects.toThrow(
      /admin\.listen\.host: 0\.0\.0\.0 is not a loopback address/,
    );
  });

  it('SIGHUP reports every error of a bad file, keeps serving, then applies a good file', async () => {
    const dir = await tempDir();
    const good = config(dir, { token: '${HONEYGATE_ADMIN_TOKEN}', listen: { host: '127.0.0.1', port: 0 } });
    const c = await serve(dir, good, { HONEYGATE_ADMIN_TOKEN: TOKEN });
    children.push(c.child);
    expect(c.adminUrl).not.toBeNull();
    const file = join(dir, 'honeygate.yaml');
    await writeFile(file, JSON.stringify({ ...good, listen: { host: '127.0.0.1', port: -1 }, keys: [{ key: VALID, class: 'gold' }] }));
    c.child.kill('SIGHUP');
    const until = Date.now() + 10_000;
    while (!c.err().includes('reload refused') && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(c.err()).toContain('honeygate: reload refused, keeping the running config:');
    expect(c.err()).toContain('error: listen.port:');
    expect(c.err()).toContain('error: keys.0.class:');
    expect(await post(c.url, VALID)).toBe(200);

    await writeFile(file, JSON.stringify({ ...good, keys: [{ name: 'only-lure', key: LURE, class: 'lure', max_requests: 100 }] }));
    c.child.kill('SIGHUP');
    while (!c.err().includes('config reloaded') && Date.now() < until + 10_000) await new Promise((r) => setTimeout(r, 20));
    expect(c.err()).toContain(`honeygate: config reloaded from ${file}`);
    expect(await post(c.url, VALID)).toBe(401);
    // the admin API of the child sees the reloads as system events
    let actions: string[] = [];
    for (const stop = Date.now() + 10_000; Date.now() < stop && !actions.includes('config:reloaded'); await new Promise((r) => setTimeout(r, 25))) {
      const res = await fetch(`${c.adminUrl ?? ''}/api/v1/events?dataset=system`, { headers: { authorization: `Bearer ${TOKEN}` } });
      actions = ((await res.json()) as { events: { event: { action: string } }[] }).events.map((e) => e.event.action);
    }
    expect(actions).toEqual(expect.arrayContaining(['config:reload_failed', 'config:reloaded']));
    c.child.kill('SIGTERM');
    expect(await c.exited).toBe(0);
  });

  it('SIGTERM under load: in-flight requests finish and every answered request is stored', async () => {
    const dir = await tempDir();
    const c = await serve(dir, config(dir, { token: '${HONEYGATE_ADMIN_TOKEN}', listen: { host: '127.0.0.1', port: 0 } }), { HONEYGATE_ADMIN_TOKEN: TOKEN });
    children.push(c.child);
    expect((await fetch(`${c.adminUrl ?? ''}/healthz`)).status).toBe(200);

    const statuses: (number | 'error')[] = [];
    let stopping = false;
    let answeredBeforeTerm = -1;
    const worker = async (i: number): Promise<void> => {
      // each worker sends requests back to back until the listener refuses
      for (let n = 0; n < 1000; n++) {
        const s = await post(c.url, i % 2 === 0 ? LURE : VALID);
        statuses.push(s);
        if (s === 'error' && stopping) return;
      }
    };
    const workers = Array.from({ length: 24 }, (_, i) => worker(i));
    while (statuses.filter((s) => s !== 'error').length < 60) await new Promise((r) => setTimeout(r, 5));
    answeredBeforeTerm = statuses.filter((s) => s !== 'error').length;
    stopping = true;
    c.child.kill('SIGTERM');
    await Promise.all(workers);
    const code = await c.exited;
    expect(code, c.err()).toBe(0);
    expect(c.err()).toContain('draining in-flight requests and flushing events');

    const answered = statuses.filter((s) => s !== 'error');
    expect(answered.every((s) => s === 200)).toBe(true);
    // requests that were in flight at SIGTERM were answered, not cut
    expect(answered.length).toBeGreaterThan(answeredBeforeTerm);

    const store = await openEventStore({ driver: 'sqlite', path: join(dir, 'events', 'events.db'), readonly: true });
    try {
      const stats = await store.stats({ dataset: 'honeygate.request' });
      expect(stats.total).toBe(answered.length);
      expect((stats.byKeyClass['lure'] ?? 0) + (stats.byKeyClass['valid'] ?? 0)).toBe(answered.length);
      expect(stats.byKeyClass['lure'] ?? 0).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
    const jsonl = (await readFile(join(dir, 'events', 'events.jsonl'), 'utf8')).split('\n').filter((l) => l.length > 0);
    const requests = jsonl.map((l) => JSON.parse(l) as { event: { dataset: string } }).filter((e) => e.event.dataset === 'honeygate.request');
    expect(requests.length).toBe(answered.length);
  }, 60_000);
});
