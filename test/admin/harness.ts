/**
 * A real gateway + real sinks (SQLite event store in a temp dir) + the admin listener, all on
 * 127.0.0.1 port 0, built from a config file written to the temp dir (so reload reads a real file).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigFile } from '../../src/config/load.js';
import { EventBus } from '../../src/events/bus.js';
import type { GatewayEvent } from '../../src/events/model.js';
import { createSinks, type Sinks } from '../../src/events/sinks/index.js';
import { Reloader } from '../../src/admin/reload.js';
import { startAdmin, type AdminOptions, type AdminServer } from '../../src/admin/server.js';
import { startGateway, type Gateway } from '../../src/gateway/gateway.js';

export const TOKEN = 'test-admin-token-0123456789abcdefghijklmnopqrstuvwxyz';
export const VALID = 'sk-proj-AdminTestValidKey0123456789abcdefghijklmnopqrstuvwxyzT3BlbkFJabcd';
export const LURE = 'sk-proj-AdminTestLureKey0123456789abcdefghijklmnopqrstuvwxyzT3BlbkFJwxyz';
export const LURE2 = 'sk-proj-AdminTestLureKeyTwo0123456789abcdefghijklmnopqrstuvwxyzT3BlbkFJqq';

/** The base config: a valid key and two lure keys on the decoy, trusted proxy so tests pick client IPs. */
export function baseConfig(dir: string): Record<string, unknown> {
  return {
    listen: { host: '127.0.0.1', port: 0 },
    trusted_proxies: ['127.0.0.1/32'],
    network: { deny: ['198.51.100.0/24'] },
    upstreams: { decoy: { type: 'decoy' } },
    keys: [
      { name: 'app', key: VALID, class: 'valid', upstream: 'decoy' },
      { name: 'leak-1', key: LURE, class: 'lure', campaign: 'github-leak', placement: 'repo acme/api .env', max_requests: 1000 },
      { name: 'leak-2', key: LURE2, class: 'lure', campaign: 'ci-secrets', placement: 'CI variable OPENAI_KEY', max_requests: 1000 },
    ],
    events: { dir, jsonl: { enabled: false }, store: { driver: 'sqlite', flush_interval: '10ms', batch_size: 50 } },
    admin: { token: '${HONEYGATE_ADMIN_TOKEN}', listen: { host: '127.0.0.1', port: 0 } },
  };
}

export interface Harness {
  readonly dir: string;
  readonly file: string;
  readonly gateway: Gateway;
  readonly sinks: Sinks;
  readonly admin: AdminServer;
  readonly reloader: Reloader;
  readonly bus: EventBus;
  readonly events: GatewayEvent[];
  /** public listener base URL */
  readonly url: string;
  /** admin base URL */
  readonly adminUrl: string;
  /** write a new config file (for reload tests) */
  writeConfig(raw: unknown): Promise<void>;
  /** wait until the event store holds at least n events */
  stored(n: number, timeoutMs?: number): Promise<number>;
  close(): Promise<void>;
}

export const ENV = { HONEYGATE_ADMIN_TOKEN: TOKEN };

export async function startHarness(
  edit: (config: Record<string, unknown>) => Record<string, unknown> = (c) => c,
  adminOptions: Partial<AdminOptions> = {},
): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'honeygate-admin-'));
  const file = join(dir, 'honeygate.yaml');
  const writeConfig = (raw: unknown): Promise<void> => writeFile(file, typeof raw === 'string' ? raw : JSON.stringify(raw, null, 2));
  await writeConfig(edit(baseConfig(dir)));
  const { config } = await loadConfigFile(file, ENV);
  const bus = new EventBus();
  const events: GatewayEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const sinks = await createSinks(config.events, bus);
  const gateway = await startGateway(config, { bus, host: '127.0.0.1', port: 0 });
  const reloader = new Reloader({ file, env: ENV, current: () => gateway.state.runtime.config, apply: (c) => gateway.reload(c), bus });
  const admin = await startAdmin({ gateway, sinks, reloader, processMetrics: false, ...adminOptions });
  if (admin === null) throw new Error('admin did not start');
  const store = sinks.store;
  return {
    dir,
    file,
    gateway,
    sinks,
    admin,
    reloader,
    bus,
    events,
    url: gateway.url,
    adminUrl: admin.url,
    writeConfig,
    async stored(n, timeoutMs = 5000) {
      if (store === undefined) throw new Error('no event store');
      const until = Date.now() + timeoutMs;
      let total = 0;
      while (Date.now() < until) {
        total = (await store.stats()).total;
        if (total >= n) return total;
        await new Promise((r) => setTimeout(r, 10));
      }
      return total;
    },
    async close() {
      await admin.close();
      await gateway.close();
      await sinks.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** One chat completion on the public listener, as client `ip` (X-Forwarded-For from a trusted peer). */
export async function chat(url: string, key: string, ip = '203.0.113.7', userAgent = 'OpenAI/Python 1.54.0'): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-forwarded-for': ip, 'user-agent': userAgent },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] }),
  });
}

export const auth = (token = TOKEN): Record<string, string> => ({ authorization: `Bearer ${token}` });

/** A request with the path sent byte for byte (fetch would normalize `..` and `//`). */
export function rawHttp(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string | Buffer,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: u.hostname, port: Number(u.port), method, path, headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) }, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}
