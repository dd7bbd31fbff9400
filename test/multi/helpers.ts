/**
 * Helpers for the multi-instance suites (issue 5 at the gateway level): honeygate as a real child
 * process (`node bin/honeygate.js serve --config <file>`, needs dist/ from `npx tsc -p
 * tsconfig.json`), its events read back from the JSONL file it writes, the Redis part of a config
 * with an isolated key prefix, the official SDK pointed at an instance with a chosen client IP
 * (X-Forwarded-For through a trusted loopback proxy), and bounded waits on event lists.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import type { GatewayEvent } from '../../src/events/model.js';
import { sleep } from '../store/helpers.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = join(ROOT, 'bin/honeygate.js');
export const DIST_READY = existsSync(join(ROOT, 'dist/cli/main.js')) && existsSync(join(ROOT, 'dist/gateway/gateway.js'));

export const VALID = 'sk-proj-MultiValidKey0123456789abcdefghijklmnopqrstuvwxyzABCDEFGT3BlbkFJ0123456789';
export const LURE = 'sk-proj-MultiLureThreshold0123456789abcdefghijklmnopqrstuvwxyzABT3BlbkFJ0123456789';
export const LURE_CANARY = 'sk-proj-MultiLureCanary0123456789abcdefghijklmnopqrstuvwxyzABCDT3BlbkFJ0123456789';
export const CANARY_SECRET = 'multi-instance-test-canary-secret-0123456789';
export const OVERLOADED_BODY = {
  error: { message: 'The engine is currently overloaded, please try again later', type: 'server_error', param: null, code: null },
};

/** The `store:` part of a config: Redis on 127.0.0.1:`port` under `prefix`, short timeouts for tests. */
export function redisStore(prefix: string, port: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    backend: 'redis',
    redis: { host: '127.0.0.1', port, prefix, timeout: '150ms', connect_timeout: '1s', probe_interval: '100ms', ...extra },
  };
}

/** The official SDK against one instance, as client `ip` (the gateway trusts 127.0.0.1 as a proxy). */
export function sdk(baseUrl: string, key: string, ip: string, headers: Record<string, string> = {}): OpenAI {
  return new OpenAI({ apiKey: key, baseURL: `${baseUrl}/v1`, maxRetries: 0, timeout: 10_000, defaultHeaders: { 'x-forwarded-for': ip, ...headers } });
}

export async function chat(client: OpenAI, content = 'Hello'): Promise<string> {
  const r = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }] });
  return r.choices[0]?.message.content ?? '';
}

/** The HTTP status the SDK call ended with (200 on success), and the error code if any. */
export async function outcome(call: Promise<unknown>): Promise<{ status: number; code: string | null | undefined }> {
  try {
    await call;
    return { status: 200, code: undefined };
  } catch (e: unknown) {
    if (e instanceof OpenAI.APIError && typeof e.status === 'number') return { status: e.status, code: e.code };
    throw e;
  }
}

/** Polls `events()` until one matches (bounded); returns it. */
export async function waitForEvent(
  events: () => readonly GatewayEvent[] | Promise<readonly GatewayEvent[]>,
  match: (e: GatewayEvent) => boolean,
  timeoutMs: number,
  what: string,
): Promise<GatewayEvent> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 10_000; i++) {
    const found = (await events()).find(match);
    if (found) return found;
    if (Date.now() > deadline) break;
    await sleep(25);
  }
  throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
}

export const systemEvent = (action: string) => (e: GatewayEvent): boolean => e.event.dataset === 'honeygate.system' && e.event.action === action;

/** One honeygate process started from the CLI with a config file. */
export interface Instance {
  readonly url: string;
  readonly dir: string;
  readonly eventsFile: string;
  readonly child: ChildProcess;
  stderr(): string;
  /** every event the instance has written to its JSONL file so far */
  events(): Promise<GatewayEvent[]>;
  /** SIGTERM; resolves with the exit code (SIGKILL after `timeoutMs`) */
  stop(timeoutMs?: number): Promise<number | null>;
}

const LISTENING = /honeygate listening on (http:\/\/\S+)/;

/**
 * Writes `config` (JSON is YAML) into `dir`/honeygate.yaml with events under `dir`/events, starts
 * the CLI and waits (bounded) for its "listening" line.
 */
export async function startInstance(dir: string, config: Record<string, unknown>, env: NodeJS.ProcessEnv = {}, timeoutMs = 15_000): Promise<Instance> {
  if (!DIST_READY) throw new Error('dist/ is missing: run `npx tsc -p tsconfig.json` first');
  await mkdir(dir, { recursive: true });
  const eventsDir = join(dir, 'events');
  const file = join(dir, 'honeygate.yaml');
  const full = { ...config, listen: { host: '127.0.0.1', port: 0 }, events: { dir: eventsDir, store: { driver: 'none' }, jsonl: { enabled: true } } };
  await writeFile(file, JSON.stringify(full, null, 2));
  const child = spawn(process.execPath, [BIN, 'serve', '--config', file], {
    cwd: dir,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', NODE_NO_WARNINGS: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      clearInterval(poll);
      child.kill('SIGKILL');
      reject(new Error(`honeygate did not start within ${timeoutMs}ms; stderr: ${err}`));
    }, timeoutMs);
    const poll = setInterval(() => {
      const m = LISTENING.exec(out);
      if (m?.[1] !== undefined) {
        clearTimeout(timer);
        clearInterval(poll);
        resolve(m[1]);
      }
    }, 10);
    void exited.then((code) => {
      clearTimeout(timer);
      clearInterval(poll);
      reject(new Error(`honeygate exited with ${String(code)} before listening; stderr: ${err}`));
    });
  });
  const eventsFile = join(eventsDir, 'events.jsonl');
  return {
    url,
    dir,
    eventsFile,
    child,
    stderr: () => err,
    async events() {
      let text: string;
      try {
        text = await readFile(eventsFile, 'utf8');
      } catch {
        return [];
      }
      // a line is only complete with its newline (the writer may be mid-batch)
      const complete = text.slice(0, text.lastIndexOf('\n') + 1);
      return complete
        .split('\n')
        .filter((line) => line.length > 0)
        .map((line) => JSON.parse(line) as GatewayEvent);
    },
    async stop(stopTimeoutMs = 10_000) {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const code = await Promise.race([exited, sleep(stopTimeoutMs).then(() => 'timeout' as const)]);
      if (code === 'timeout') {
        child.kill('SIGKILL');
        await exited;
        throw new Error(`honeygate did not stop within ${stopTimeoutMs}ms of SIGTERM`);
      }
      return code;
    },
  };
}
