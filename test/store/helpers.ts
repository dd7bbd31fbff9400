/**
 * Test helpers for the store suites: bounded waits, a unique Redis key prefix per run with cleanup,
 * a loopback TCP proxy in front of the real Redis (stall / cut / count the commands a client sends),
 * and a private redis-server for tests that must not disturb the shared one (CLIENT PAUSE).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket, connect } from 'node:net';
import { Redis } from 'ioredis';

export const REDIS_HOST = '127.0.0.1';
export const REDIS_PORT = 6379;

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 20ms until true; throws after `timeoutMs`. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 10_000; i++) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await sleep(20);
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** `hgtest:<random>:` — every key a test run writes starts with it. */
export function runPrefix(): string {
  return `hgtest:${randomBytes(6).toString('hex')}:`;
}

export function adminRedis(port = REDIS_PORT): Redis {
  return new Redis({ host: REDIS_HOST, port, lazyConnect: false, maxRetriesPerRequest: 1, connectTimeout: 2000 });
}

/** Deletes every key under `prefix` (bounded SCAN). */
export async function deleteKeys(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  for (let i = 0; i < 10_000; i++) {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    if (keys.length > 0) deleted += await redis.del(...keys);
    cursor = next;
    if (cursor === '0') break;
  }
  return deleted;
}

export async function scanKeys(redis: Redis, prefix: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  for (let i = 0; i < 10_000; i++) {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    out.push(...keys);
    cursor = next;
    if (cursor === '0') break;
  }
  return out;
}

/** A free loopback port (bound, then released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Counts RESP commands in the client → server byte stream (arrays of bulk strings, as ioredis
 * writes them), so a test can see exactly which commands a client sent.
 */
class RespCommandCounter {
  #buf = Buffer.alloc(0);
  readonly names: string[] = [];

  push(chunk: Buffer): void {
    this.#buf = Buffer.concat([this.#buf, chunk]);
    for (let guard = 0; guard < 100_000; guard++) {
      const used = this.#parseOne();
      if (used === 0) return;
      this.#buf = this.#buf.subarray(used);
    }
  }

  /** Bytes of one complete command at the buffer's start, or 0 if incomplete. */
  #parseOne(): number {
    const buf = this.#buf;
    if (buf.length === 0 || buf[0] !== 0x2a /* * */) return 0;
    let pos = buf.indexOf('\r\n');
    if (pos < 0) return 0;
    const n = Number(buf.subarray(1, pos).toString());
    pos += 2;
    let name = '';
    for (let i = 0; i < n; i++) {
      if (buf[pos] !== 0x24 /* $ */) return 0;
      const end = buf.indexOf('\r\n', pos);
      if (end < 0) return 0;
      const len = Number(buf.subarray(pos + 1, end).toString());
      const start = end + 2;
      if (buf.length < start + len + 2) return 0;
      if (i === 0) name = buf.subarray(start, start + len).toString().toLowerCase();
      pos = start + len + 2;
    }
    this.names.push(name);
    return pos;
  }
}

/** A TCP proxy on 127.0.0.1 in front of Redis: stall() holds bytes both ways, stop() cuts and refuses. */
export class TcpProxy {
  readonly #targetPort: number;
  #server: Server | undefined;
  readonly #pairs = new Set<{ client: Socket; upstream: Socket }>();
  #stalled = false;
  readonly #held: (() => void)[] = [];
  port = 0;
  readonly counter = new RespCommandCounter();

  constructor(targetPort: number) {
    this.#targetPort = targetPort;
  }

  async start(port = 0): Promise<number> {
    const server = createServer((client) => {
      const upstream = connect(this.#targetPort, REDIS_HOST);
      const pair = { client, upstream };
      this.#pairs.add(pair);
      const forward = (to: Socket, count: boolean) => (chunk: Buffer) => {
        const send = (): void => {
          if (count) this.counter.push(chunk);
          if (!to.destroyed) to.write(chunk);
        };
        if (this.#stalled) this.#held.push(send);
        else send();
      };
      client.on('data', forward(upstream, true));
      upstream.on('data', forward(client, false));
      const end = (): void => {
        client.destroy();
        upstream.destroy();
        this.#pairs.delete(pair);
      };
      client.on('close', end);
      upstream.on('close', end);
      client.on('error', end);
      upstream.on('error', end);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.#server = server;
    this.port = (server.address() as AddressInfo).port;
    return this.port;
  }

  stall(): void {
    this.#stalled = true;
  }

  resume(): void {
    this.#stalled = false;
    for (const send of this.#held.splice(0)) send();
  }

  /** Closes every connection and stops listening (the port then refuses). */
  async stop(): Promise<void> {
    for (const { client, upstream } of this.#pairs) {
      client.destroy();
      upstream.destroy();
    }
    this.#pairs.clear();
    this.#held.length = 0;
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

export const REDIS_SERVER_BIN = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p));

/** A private redis-server on a free loopback port (no persistence), for tests that pause it. */
export async function startPrivateRedis(): Promise<{ port: number; stop: () => Promise<void> }> {
  if (REDIS_SERVER_BIN === undefined) throw new Error('redis-server not installed');
  const port = await freePort();
  const child: ChildProcess = spawn(
    REDIS_SERVER_BIN,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'],
    { stdio: 'ignore' },
  );
  const probe = new Redis({ host: REDIS_HOST, port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined); // refused while the server starts: the probe loop retries
  try {
    await waitFor(
      async () => {
        try {
          if (probe.status !== 'ready') await probe.connect();
          return (await probe.ping()) === 'PONG';
        } catch {
          probe.disconnect();
          return false;
        }
      },
      5000,
      'private redis-server',
    );
  } finally {
    probe.disconnect();
  }
  return {
    port,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(3000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

/** Redis Cluster key slot (CRC16-XMODEM of the hash tag or key, mod 16384). */
export function keySlot(key: string): number {
  const open = key.indexOf('{');
  let part = key;
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) part = key.slice(open + 1, close);
  }
  let crc = 0;
  for (const byte of Buffer.from(part)) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}
