/**
 * The NATS JetStream sink against a real nats-server that the test starts itself (its own port and
 * storage folder), stops and starts again: events published while the server is away arrive once
 * it is back (within the queue bound), each stored once, on the subject of its dataset.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from 'nats';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventBus } from '../../src/events/bus.js';
import { eventsConfigSchema, natsConfigSchema, type EventsConfigInput } from '../../src/events/config.js';
import type { GatewayEvent } from '../../src/events/model.js';
import { createSinks, type Sinks, type SinkStats } from '../../src/events/sinks/index.js';
import { natsSubject, natsTarget } from '../../src/events/sinks/nats.js';
import { makeEvent, waitFor } from './fixtures.js';

const NATS_SERVER = '/usr/sbin/nats-server';

let dir: string;
const cleanups: (() => Promise<void>)[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hg-nats-'));
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** A nats-server with JetStream on `port`, storing under `store`; stop() ends it and waits. */
async function natsServer(port: number, store: string): Promise<{ stop(): Promise<void> }> {
  const child: ChildProcess = spawn(NATS_SERVER, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', store], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitFor(() => listening(port), 10_000);
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    child.kill('SIGTERM');
    await exited;
  };
  cleanups.push(stop);
  return { stop };
}

async function client(port: number): Promise<NatsConnection> {
  const nc = await connect({ servers: `nats://127.0.0.1:${port}`, reconnect: false });
  cleanups.push(() => nc.close());
  return nc;
}

/** Every message of the stream: subject and event. */
async function streamMessages(nc: NatsConnection, stream: string): Promise<{ subject: string; event: GatewayEvent }[]> {
  const jsm = await nc.jetstreamManager();
  const info = await jsm.streams.info(stream);
  const out: { subject: string; event: GatewayEvent }[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && out.length < 10_000; seq++) {
    const m = await jsm.streams.getMessage(stream, { seq });
    out.push({ subject: m.subject, event: m.json<GatewayEvent>() });
  }
  return out;
}

function config(port: number, nats: Record<string, unknown> = {}, extra: Omit<EventsConfigInput, 'dir'> = {}) {
  return eventsConfigSchema.parse({
    dir,
    jsonl: { enabled: false },
    store: { driver: 'none' },
    nats: { servers: [`nats://127.0.0.1:${port}`], backoff: '20ms', backoff_max: '200ms', ack_timeout: '500ms', ...nats },
    ...extra,
  });
}

const natsStats = (sinks: Sinks): SinkStats | undefined => sinks.stats().find((s) => s.name === 'nats');

describe('NATS JetStream sink', () => {
  it('creates the stream and publishes each dataset to its subject, acknowledged', async () => {
    const port = await freePort();
    await natsServer(port, join(dir, 'js'));
    const bus = new EventBus();
    const sinks = await createSinks(config(port), bus, { closeTimeoutMs: 3000 });
    cleanups.push(() => sinks.close());
    const events = [
      makeEvent({ keyClass: 'lure', prompt: 'list the S3 buckets' }),
      makeEvent({ dataset: 'honeygate.canary' }),
      makeEvent({ keyClass: 'valid' }),
    ];
    for (const e of events) bus.publish(e);
    await waitFor(() => natsStats(sinks)?.written === 3, 10_000);
    const nc = await client(port);
    const jsm = await nc.jetstreamManager();
    const info = await jsm.streams.info('HONEYGATE');
    expect(info.config.subjects).toEqual(['honeygate.events.>']);
    expect(info.config.duplicate_window).toBe(120_000 * 1_000_000);
    const got = await streamMessages(nc, 'HONEYGATE');
    expect(got.map((m) => m.subject)).toEqual(['honeygate.events.request', 'honeygate.events.canary', 'honeygate.events.request']);
    expect(got.map((m) => m.event.event.id)).toEqual(events.map((e) => e.event.id));
    expect(got[0]?.event.honeygate.lure?.prompt).toBe('list the S3 buckets');
    const stats = natsStats(sinks);
    expect(stats).toMatchObject({ kind: 'nats:jetstream', queued: 0, dropped: 0, failed: 0, disabled: false });
    expect(stats?.target).toBe(`nats://127.0.0.1:${port} honeygate.events.>`);
  });

  it('loses no event while the server is stopped and started again; a retried publish is stored once', async () => {
    const port = await freePort();
    const store = join(dir, 'js');
    let server = await natsServer(port, store);
    const bus = new EventBus();
    const sinks = await createSinks(config(port, { queue_size: 5000 }), bus, { closeTimeoutMs: 5000 });
    cleanups.push(() => sinks.close());
    const ids: string[] = [];
    const send = (n: number, from: number): void => {
      for (let i = 0; i < n; i++) {
        const e = makeEvent({ ip: `198.51.100.${(from + i) % 250}` });
        ids.push(e.event.id);
        bus.publish(e);
      }
    };
    send(200, 0);
    await waitFor(() => natsStats(sinks)?.written === 200, 10_000);

    await server.stop();
    send(300, 200);
    // the writer keeps the batch and retries; nothing is failed or dropped meanwhile
    await new Promise((r) => setTimeout(r, 1500));
    const during = natsStats(sinks);
    expect(during?.failed).toBe(0);
    expect(during?.dropped).toBe(0);
    expect(during?.written).toBe(200);
    expect(during?.lastError).toMatch(/TIMEOUT|DISCONNECT|CONNECTION|503/);

    server = await natsServer(port, store);
    await waitFor(() => natsStats(sinks)?.written === 500, 20_000);
    send(50, 500);
    await waitFor(() => natsStats(sinks)?.written === 550, 10_000);
    const nc = await client(port);
    const got = await streamMessages(nc, 'HONEYGATE');
    const stored = got.map((m) => m.event.event.id);
    // every event is there, and only once (duplicates of retried publishes dropped by Nats-Msg-Id)
    expect(new Set(stored).size).toBe(stored.length);
    expect(new Set(stored)).toEqual(new Set(ids));
    expect(natsStats(sinks)).toMatchObject({ failed: 0, dropped: 0 });
  }, 60_000);

  it('a server down at start delays nothing; events wait in the queue, and past its bound are dropped and counted', async () => {
    const port = await freePort();
    const bus = new EventBus();
    const started = Date.now();
    const sinks = await createSinks(config(port, { queue_size: 40, max_in_flight: 10 }), bus, { closeTimeoutMs: 5000 });
    cleanups.push(() => sinks.close());
    expect(Date.now() - started).toBeLessThan(1000);
    const ids: string[] = [];
    for (let i = 0; i < 100; i++) {
      const e = makeEvent();
      ids.push(e.event.id);
      const t0 = performance.now();
      bus.publish(e);
      expect(performance.now() - t0).toBeLessThan(50);
      if (i % 10 === 9) await new Promise((r) => setTimeout(r, 20));
    }
    await waitFor(() => (natsStats(sinks)?.lastError ?? '').startsWith('connect:'), 5000);
    const down = natsStats(sinks);
    // one batch (max_in_flight) held by the writer plus a full queue: the rest dropped, newest first
    expect(down?.written).toBe(0);
    expect(down?.failed).toBe(0);
    expect(down?.queued).toBe(40);
    expect(down?.dropped).toBe(50);

    await natsServer(port, join(dir, 'js'));
    await waitFor(() => natsStats(sinks)?.written === 50, 20_000);
    const nc = await client(port);
    const got = await streamMessages(nc, 'HONEYGATE');
    // the oldest 50 were kept (drop-newest keeps the start of an incident)
    expect(new Set(got.map((m) => m.event.event.id))).toEqual(new Set(ids.slice(0, 50)));
  }, 60_000);

  it('with stream.create false it never creates a stream: publishes wait (no responders), nothing is counted as written', async () => {
    const port = await freePort();
    await natsServer(port, join(dir, 'js'));
    const bus = new EventBus();
    const sinks = await createSinks(config(port, { stream: { create: false } }), bus, { closeTimeoutMs: 500 });
    bus.publish(makeEvent());
    await waitFor(() => /503|no responders/i.test(natsStats(sinks)?.lastError ?? ''), 5000);
    expect(natsStats(sinks)?.written).toBe(0);
    const nc = await client(port);
    const jsm = await nc.jetstreamManager();
    expect(await jsm.streams.names().next()).toEqual([]);
    await sinks.close();
    // close ran out of time: the held event counts as failed, not silently gone
    expect(natsStats(sinks)?.failed).toBe(1);
  }, 30_000);

  it('an existing stream of another instance is used as it is', async () => {
    const port = await freePort();
    await natsServer(port, join(dir, 'js'));
    const nc = await client(port);
    const jsm = await nc.jetstreamManager();
    await jsm.streams.add({ name: 'SIEM', subjects: ['hg.>'], max_msgs: 1000 });
    const bus = new EventBus();
    const sinks = await createSinks(config(port, { subject: 'hg', stream: { name: 'SIEM' } }), bus, { closeTimeoutMs: 3000 });
    cleanups.push(() => sinks.close());
    bus.publish(makeEvent({ dataset: 'honeygate.system' }));
    await waitFor(() => natsStats(sinks)?.written === 1, 10_000);
    const info = await jsm.streams.info('SIEM');
    expect(info.config.max_msgs).toBe(1000);
    expect((await streamMessages(nc, 'SIEM')).map((m) => m.subject)).toEqual(['hg.system']);
  }, 30_000);
});

describe('NATS config and helpers', () => {
  it('rejects wildcards in the subject, mixed auth, a user without a password, a bad server URL', () => {
    const bad = [
      { subject: 'honeygate.*' },
      { subject: 'a b' },
      { token: 'x', user: 'u', password: 'p' },
      { user: 'u' },
      { servers: ['nats://a b'] },
      { servers: [] },
      { backoff: '10s', backoff_max: '1s' },
      { max_in_flight: 0 },
      { unknown: true },
    ];
    for (const input of bad) expect(natsConfigSchema.safeParse(input).success, JSON.stringify(input)).toBe(false);
    const ok = natsConfigSchema.parse({});
    expect(ok).toMatchObject({ servers: ['nats://127.0.0.1:4222'], subject: 'honeygate.events', max_in_flight: 256, stream: { name: 'HONEYGATE', create: true } });
  });

  it('names subjects by dataset and hides credentials in the target', () => {
    expect(natsSubject('x.y', makeEvent({ dataset: 'honeygate.canary' }))).toBe('x.y.canary');
    expect(natsTarget(['nats://user:secret@h1:4222', 'tls://tok@h2:4443'])).toBe('nats://h1:4222,tls://h2:4443');
  });
});
