/**
 * The failure policy end to end (issue 5): a gateway whose Redis becomes unreachable — a TCP relay
 * in front of the real Redis that stalls or is cut, or CLIENT PAUSE on a private redis-server.
 * fail_closed: a valid key gets OpenAI's own 503 within the timeout, at once while Redis is known
 * down; fail_open: the gateway keeps serving on local state (lure thresholds included), and the
 * block it set locally reaches the other instance when Redis is back. Degradation and recovery are
 * honeygate.system events on the gateway's bus; recovery needs no restart; no request waits on Redis
 * longer than the timeout (+ generous slack).
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayEvent } from '../../src/events/model.js';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { adminRedis, deleteKeys, freePort, REDIS_PORT, REDIS_SERVER_BIN, runPrefix, startPrivateRedis, TcpProxy, waitFor } from '../store/helpers.js';
import { chat, LURE, OVERLOADED_BODY, outcome, redisStore, sdk, systemEvent, VALID, waitForEvent } from './helpers.js';

const TIMEOUT_MS = 150;
const SLACK_MS = 500;
const INVALID = 'sk-proj-NotAKeyOfThisGateway0123456789abcdefghijklmnopqrstuvwxyzT3BlbkFJ0123456789';

let upstream: FakeUpstream;
let redis: Redis;
const prefixes: string[] = [];

beforeAll(async () => {
  upstream = await startFakeUpstream();
  redis = adminRedis();
});

afterAll(async () => {
  for (const prefix of prefixes) await deleteKeys(redis, prefix);
  redis.disconnect();
  await upstream.close();
});

function config(prefix: string, redisPort: number, policy: 'fail_open' | 'fail_closed'): Record<string, unknown> {
  return {
    upstreams: { real: { type: 'openai', url: upstream.url } },
    trusted_proxies: ['127.0.0.1/32'],
    keys: [
      { name: 'valid', key: VALID, class: 'valid', upstream: 'real' },
      { name: 'lure', key: LURE, class: 'lure', max_requests: 1, block_duration: '10m' },
    ],
    store: redisStore(prefix, redisPort, { failure_policy: policy, timeout: `${TIMEOUT_MS}ms` }),
  };
}

/** POST a chat completion with fetch; status, parsed body and elapsed ms. */
async function timedChat(url: string, key: string, ip: string): Promise<{ status: number; body: unknown; ms: number }> {
  const started = performance.now();
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-forwarded-for': ip },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] }),
  });
  const body: unknown = await res.json();
  return { status: res.status, body, ms: performance.now() - started };
}

const storeEvents = (events: readonly GatewayEvent[]): string[] =>
  events.filter((e) => e.event.dataset === 'honeygate.system' && e.honeygate.system?.component === 'store').map((e) => e.event.action);

describe('fail_closed', () => {
  it('a stalled Redis: a faithful 503 within the timeout, at once afterwards, store:degraded, then recovery without restart', async () => {
    const prefix = runPrefix();
    prefixes.push(prefix);
    const relay = new TcpProxy(REDIS_PORT);
    await relay.start();
    const gw = await startTestGateway(config(prefix, relay.port, 'fail_closed'));
    try {
      expect((await timedChat(gw.url, VALID, '192.0.2.1')).status).toBe(200);
      relay.stall(); // Redis stops answering; the connection stays open
      const first = await timedChat(gw.url, VALID, '192.0.2.1');
      expect(first.status).toBe(503);
      expect(first.body).toEqual(OVERLOADED_BODY);
      expect(first.ms).toBeLessThan(TIMEOUT_MS + SLACK_MS);
      const degraded = await waitForEvent(() => gw.events, systemEvent('store:degraded'), 2000, 'store:degraded');
      expect(degraded.event.outcome).toBe('failure');
      expect(degraded.honeygate.system?.detail).toMatch(/redis unavailable .*refusing \(fail_closed\)/);
      // known down: no request pays the timeout again
      for (let i = 0; i < 5; i++) {
        const r = await timedChat(gw.url, VALID, `192.0.2.${10 + i}`);
        expect(r.status).toBe(503);
        expect(r.ms).toBeLessThan(TIMEOUT_MS);
      }
      // the official SDK sees a server error it could retry
      expect(await outcome(chat(sdk(gw.url, VALID, '192.0.2.1')))).toEqual({ status: 503, code: null });
      // authentication failures do not depend on the store
      expect((await timedChat(gw.url, INVALID, '192.0.2.1')).status).toBe(401);

      relay.resume();
      await waitForEvent(() => gw.events, systemEvent('store:recovered'), 5000, 'store:recovered');
      expect((await timedChat(gw.url, VALID, '192.0.2.1')).status).toBe(200);
      expect(storeEvents(gw.events)).toEqual(['store:connected', 'store:degraded', 'store:recovered']);
      const refused = gw.events.filter((e) => e.honeygate.verdict?.reason === 'store_unavailable');
      expect(refused.length).toBe(7);
      expect(refused.every((e) => e.http?.response.status_code === 503 && e.honeygate.verdict?.action === 'reject')).toBe(true);
    } finally {
      await gw.close();
      await relay.stop();
    }
  });

  it('Redis unreachable when the gateway starts: it starts in bounded time, says store:degraded, refuses, and recovers when Redis appears', async () => {
    const prefix = runPrefix();
    prefixes.push(prefix);
    const port = await freePort(); // nothing listens there yet
    const started = performance.now();
    const gw = await startTestGateway(config(prefix, port, 'fail_closed'));
    const relay = new TcpProxy(REDIS_PORT);
    try {
      expect(performance.now() - started).toBeLessThan(1000 /* connect_timeout */ + SLACK_MS);
      expect(storeEvents(gw.events)).toEqual(['store:degraded']);
      const r = await timedChat(gw.url, VALID, '192.0.2.2');
      expect(r.status).toBe(503);
      expect(r.body).toEqual(OVERLOADED_BODY);
      expect(r.ms).toBeLessThan(TIMEOUT_MS);

      await relay.start(port); // Redis appears at the configured address
      await waitForEvent(() => gw.events, systemEvent('store:recovered'), 10_000, 'store:recovered');
      expect((await timedChat(gw.url, VALID, '192.0.2.2')).status).toBe(200);
      expect(storeEvents(gw.events)).toEqual(['store:degraded', 'store:recovered']);
    } finally {
      await gw.close();
      await relay.stop();
    }
  });

  describe.skipIf(REDIS_SERVER_BIN === undefined)('CLIENT PAUSE on a private redis-server', () => {
    it('requests are refused within the timeout during the pause and served again after it, no restart', async () => {
      const server = await startPrivateRedis();
      const admin = adminRedis(server.port);
      const gw = await startTestGateway(config(runPrefix(), server.port, 'fail_closed'));
      try {
        expect((await timedChat(gw.url, VALID, '192.0.2.3')).status).toBe(200);
        await admin.call('CLIENT', 'PAUSE', '1500', 'ALL');
        const pausedAt = performance.now();
        const r = await timedChat(gw.url, VALID, '192.0.2.3');
        expect(r.status).toBe(503);
        expect(r.body).toEqual(OVERLOADED_BODY);
        expect(r.ms).toBeLessThan(TIMEOUT_MS + SLACK_MS);
        await waitForEvent(() => gw.events, systemEvent('store:degraded'), 2000, 'store:degraded');
        await waitForEvent(() => gw.events, systemEvent('store:recovered'), 10_000, 'store:recovered');
        expect(performance.now() - pausedAt).toBeGreaterThan(1000); // recovered because the pause ended
        expect((await timedChat(gw.url, VALID, '192.0.2.3')).status).toBe(200);
      } finally {
        await gw.close();
        admin.disconnect();
        await server.stop();
      }
    });
  });
});

describe('fail_open', () => {
  let prefix: string;
  let relay: TcpProxy;
  let a: TestGateway; // through the relay: loses Redis
  let b: TestGateway; // straight to Redis: stays healthy

  beforeAll(async () => {
    prefix = runPrefix();
    prefixes.push(prefix);
    relay = new TcpProxy(REDIS_PORT);
    await relay.start();
    a = await startTestGateway(config(prefix, relay.port, 'fail_open'));
    b = await startTestGateway(config(prefix, REDIS_PORT, 'fail_open'));
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await relay?.stop();
  });

  it('keeps serving on local state within the timeout, blocks locally, and carries the block to the other instance on recovery', async () => {
    relay.stall();
    const first = await timedChat(a.url, VALID, '192.0.2.50');
    expect(first.status).toBe(200);
    expect(first.ms).toBeLessThan(TIMEOUT_MS + SLACK_MS);
    const degraded = await waitForEvent(() => a.events, systemEvent('store:degraded'), 2000, 'store:degraded');
    expect(degraded.honeygate.system?.detail).toMatch(/serving from local memory/);

    // every request answered without waiting on Redis; the lure threshold still applies, locally
    const ip = '203.0.113.99';
    const lure1 = await outcome(chat(sdk(a.url, LURE, ip)));
    const lure2 = await outcome(chat(sdk(a.url, LURE, ip)));
    expect([lure1.status, lure2.status]).toEqual([200, 429]);
    // the threshold exhausts the lure's persona, not the address: another key from it is served
    const valid = await timedChat(a.url, VALID, ip);
    expect(valid.status).toBe(200);
    expect(valid.ms).toBeLessThan(TIMEOUT_MS);
    // the persona is out of quota on A for every client (a listing is free: it only checks the block)
    expect((await outcome(sdk(a.url, LURE, '203.0.113.98').models.list())).status).toBe(429);
    // B (its Redis healthy) does not know yet
    expect((await outcome(sdk(b.url, LURE, ip).models.list())).status).toBe(200);
    expect(storeEvents(b.events)).toEqual(['store:connected']);

    relay.resume();
    await waitForEvent(() => a.events, systemEvent('store:recovered'), 5000, 'store:recovered');
    // the local block went to Redis during recovery: B refuses the persona now, A still does
    expect(await outcome(sdk(b.url, LURE, ip).models.list())).toEqual({ status: 429, code: 'insufficient_quota' });
    expect((await outcome(sdk(a.url, LURE, ip).models.list())).status).toBe(429);
    expect((await timedChat(a.url, VALID, '192.0.2.51')).status).toBe(200);
    expect(storeEvents(a.events)).toEqual(['store:connected', 'store:degraded', 'store:recovered']);
    const blocked = b.events.filter((e) => e.source?.ip === ip && e.honeygate.verdict?.reason === 'blocked');
    expect(blocked).toHaveLength(1);
  });

  it('a cut connection: degraded at once (without a request), served locally, recovered when the relay is back', async () => {
    const port = relay.port;
    await relay.stop();
    await waitFor(() => a.events.filter(systemEvent('store:degraded')).length === 2, 2000, 'a second store:degraded');
    const r = await timedChat(a.url, VALID, '192.0.2.60');
    expect(r.status).toBe(200);
    expect(r.ms).toBeLessThan(TIMEOUT_MS);
    await relay.start(port);
    await waitFor(() => a.events.filter(systemEvent('store:recovered')).length === 2, 10_000, 'a second store:recovered');
    expect((await timedChat(a.url, VALID, '192.0.2.60')).status).toBe(200);
    expect(a.gateway.state.store.health()).toMatchObject({ ok: true, degraded: false });
  });

  it('the trade-off (docs/multi-instance.md): a client blocked in Redis before the outage is served by the degraded instance', async () => {
    const ip = '198.51.100.123';
    await b.gateway.state.store.block(`ip:${ip}`, 60_000, 'manual');
    expect((await timedChat(a.url, VALID, ip)).status).toBe(429);
    const recovered = a.events.filter(systemEvent('store:recovered')).length;
    relay.stall();
    expect((await timedChat(a.url, VALID, ip)).status).toBe(200); // the block lives in Redis only
    expect((await timedChat(b.url, VALID, ip)).status).toBe(429);
    relay.resume();
    await waitFor(() => a.events.filter(systemEvent('store:recovered')).length === recovered + 1, 5000, 'store:recovered');
    expect((await timedChat(a.url, VALID, ip)).status).toBe(429);
  });
});
