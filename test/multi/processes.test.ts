/**
 * Many instances as one (issue 5), with real processes: two `honeygate serve` children on their
 * own ports share the real Redis (one key prefix per run). The official SDK alternates between them
 * as a load balancer would, the client IP chosen with X-Forwarded-For through the trusted loopback
 * proxy. Proven here: a lure threshold reached across both blocks the IP on both; a rate limit is
 * shared; a canary minted on one resolves on the other (its honeygate.canary event in the other's
 * JSONL file, attributed to the first one's request); and, through a TCP relay cut and restored, a
 * fail_closed instance answers OpenAI's 503 in time, records store:degraded / store:recovered in its
 * JSONL file and recovers without a restart.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { adminRedis, deleteKeys, REDIS_PORT, runPrefix, scanKeys, TcpProxy } from '../store/helpers.js';
import {
  CANARY_SECRET,
  chat,
  DIST_READY,
  LURE,
  LURE_CANARY,
  OVERLOADED_BODY,
  outcome,
  redisStore,
  sdk,
  startInstance,
  systemEvent,
  VALID,
  waitForEvent,
  type Instance,
} from './helpers.js';

const LURE_MAX = 3;

function sharedConfig(prefix: string): Record<string, unknown> {
  return {
    upstreams: { real: { type: 'openai', url: upstream.url } },
    trusted_proxies: ['127.0.0.1/32'],
    canary_secret: CANARY_SECRET,
    keys: [
      { name: 'valid', key: VALID, class: 'valid', upstream: 'real' },
      { name: 'lure-threshold', key: LURE, class: 'lure', campaign: 'multi', max_requests: LURE_MAX, block_duration: '10m' },
      { name: 'lure-canary', key: LURE_CANARY, class: 'lure', campaign: 'multi-canary', max_requests: 1000, reply: 'Staging is at {{canary:url}} for now.' },
    ],
    limits: { rules: [{ name: 'per-tenant', by: 'header:x-tenant', limit: 4, window: '1m' }] },
    store: redisStore(prefix, REDIS_PORT),
  };
}

let tmp: string;
let redis: Redis;
let upstream: FakeUpstream;
const prefixes: string[] = [];

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'hg-multi-proc-'));
  redis = adminRedis();
  upstream = await startFakeUpstream(); // valid keys are forwarded here by both processes
});

afterAll(async () => {
  for (const prefix of prefixes) await deleteKeys(redis, prefix);
  redis.disconnect();
  await upstream.close();
  await rm(tmp, { recursive: true, force: true });
});

describe.skipIf(!DIST_READY)('two honeygate processes share one Redis', () => {
  let a: Instance;
  let b: Instance;
  let prefix: string;

  beforeAll(async () => {
    prefix = runPrefix();
    prefixes.push(prefix);
    [a, b] = await Promise.all([startInstance(join(tmp, 'a'), sharedConfig(prefix)), startInstance(join(tmp, 'b'), sharedConfig(prefix))]);
  }, 30_000);

  afterAll(async () => {
    const codes = await Promise.all([a?.stop(), b?.stop()]);
    // a graceful stop (drain, flush sinks, close Redis) exits 0
    expect(codes).toEqual([0, 0]);
  });

  it('both connected to the store before listening (store:connected in each JSONL file)', async () => {
    expect(a.url).not.toBe(b.url);
    for (const instance of [a, b]) {
      const e = await waitForEvent(() => instance.events(), systemEvent('store:connected'), 5000, 'store:connected');
      expect(e.event.outcome).toBe('success');
      expect((await instance.events()).filter(systemEvent('store:degraded'))).toEqual([]);
    }
  });

  it('a lure threshold reached across both instances exhausts the lure persona on both', async () => {
    const ip = '203.0.113.41';
    const order = [a, b, a, b, a, b];
    const results: { status: number; code: string | null | undefined }[] = [];
    for (const instance of order) results.push(await outcome(chat(sdk(instance.url, LURE, ip))));
    // answers 1..3 (A, B, A), the 4th (B) crosses the shared threshold, then the persona is out of quota on both
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 429, 429, 429]);
    expect(results.slice(3).map((r) => r.code)).toEqual(['insufficient_quota', 'insufficient_quota', 'insufficient_quota']);
    // the block is of the persona, not of the address: the valid key from that address is served on both
    expect((await outcome(chat(sdk(a.url, VALID, ip)))).status).toBe(200);
    expect((await outcome(chat(sdk(b.url, VALID, ip)))).status).toBe(200);
    // and the lure is out of quota for every client, on both
    expect((await outcome(chat(sdk(a.url, LURE, '203.0.113.42')))).status).toBe(429);
    expect((await outcome(chat(sdk(b.url, LURE, '203.0.113.42')))).status).toBe(429);
    // the block lives in the shared Redis, under this run's prefix
    expect(await scanKeys(redis, `${prefix}{hg}:b:lure:sha256:`)).toHaveLength(1);
    // each instance recorded its own verdicts: B the threshold, both the block
    const bEvents = await waitForEvent(() => b.events(), (e) => e.honeygate.verdict?.reason === 'lure_threshold', 5000, 'lure_threshold on B');
    expect(bEvents.source?.ip).toBe(ip);
    await waitForEvent(() => a.events(), (e) => e.honeygate.verdict?.reason === 'blocked' && e.source?.ip === ip, 5000, 'blocked on A');
  });

  it('a rate limit is shared: 4 per minute across both, then 429 on both', async () => {
    const tenant = { 'x-tenant': `acme-${prefix}` };
    const statuses: number[] = [];
    const forwarded = upstream.requests.length;
    for (const instance of [a, b, a, b, a, b]) statuses.push((await outcome(chat(sdk(instance.url, VALID, '198.51.100.7', tenant)))).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    expect(upstream.requests.length - forwarded).toBe(4); // refused requests never reach the upstream
    const refused = await outcome(chat(sdk(b.url, VALID, '198.51.100.8', tenant)));
    expect(refused).toEqual({ status: 429, code: 'rate_limit_exceeded' });
    // another tenant has its own budget
    expect((await outcome(chat(sdk(a.url, VALID, '198.51.100.7', { 'x-tenant': `other-${prefix}` })))).status).toBe(200);
  });

  it('a canary minted on A resolves on B, attributed to the request on A that minted it', async () => {
    const ip = '192.0.2.77';
    const text = await chat(sdk(a.url, LURE_CANARY, ip), 'where is staging?');
    const m = /(http:\/\/127\.0\.0\.1:\d+)(\/c\/[A-Za-z0-9_-]{22})/.exec(text);
    expect(m?.[1]).toBe(a.url);
    const path = m?.[2] ?? '';
    const token = path.slice(3);
    // the same canary_secret on both: the same attacker gets the same canary from B
    expect(await chat(sdk(b.url, LURE_CANARY, ip), 'again?')).toContain(path);

    // the thief follows the link, through the other instance
    const hit = await fetch(`${b.url}${path}`, { headers: { 'x-forwarded-for': '198.51.100.99', 'user-agent': 'curl/8.5.0' } });
    expect(hit.status).toBe(404); // answered like any unknown OpenAI URL
    const alert = await waitForEvent(() => b.events(), (e) => e.event.dataset === 'honeygate.canary', 5000, 'honeygate.canary on B');
    expect(alert.honeygate.canary).toMatchObject({ token, kind: 'url', minted_for_ip: ip, via: 'http' });
    expect(alert.source?.ip).toBe('198.51.100.99');
    expect(alert.honeygate.key).toMatchObject({ class: 'lure', campaign: 'multi-canary' });
    // minted_by names the event of A's lure request (first mint wins)
    const minting = await waitForEvent(() => a.events(), (e) => e.event.id === alert.honeygate.canary?.minted_by, 5000, 'minting event on A');
    expect(minting.honeygate.lure?.canaries).toContain(token);
    expect(minting.source?.ip).toBe(ip);
    expect((await a.events()).filter((e) => e.event.dataset === 'honeygate.canary')).toEqual([]);
  });
});

describe.skipIf(!DIST_READY)('a honeygate process whose Redis goes away (fail_closed)', () => {
  it('503 in time while cut, store:degraded and store:recovered in its JSONL file, serving again without restart', async () => {
    const prefix = runPrefix();
    prefixes.push(prefix);
    const relay = new TcpProxy(REDIS_PORT);
    const relayPort = await relay.start();
    const config = { ...sharedConfig(prefix), store: redisStore(prefix, relayPort, { failure_policy: 'fail_closed' }) };
    const instance = await startInstance(join(tmp, 'closed'), config);
    try {
      const client = sdk(instance.url, VALID, '192.0.2.10');
      expect((await outcome(chat(client))).status).toBe(200);

      await relay.stop(); // connections cut, the port refuses
      await waitForEvent(() => instance.events(), systemEvent('store:degraded'), 5000, 'store:degraded');
      const started = performance.now();
      const res = await fetch(`${instance.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${VALID}`, 'content-type': 'application/json', 'x-forwarded-for': '192.0.2.10' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] }),
      });
      const body: unknown = await res.json();
      expect(performance.now() - started).toBeLessThan(150 + 500);
      expect(res.status).toBe(503);
      expect(body).toEqual(OVERLOADED_BODY);
      expect(await outcome(chat(client))).toEqual({ status: 503, code: null });

      await relay.start(relayPort); // Redis reachable again on the same address
      await waitForEvent(() => instance.events(), systemEvent('store:recovered'), 10_000, 'store:recovered');
      expect((await outcome(chat(client))).status).toBe(200);
      const degraded = (await instance.events()).find(systemEvent('store:degraded'));
      expect(degraded?.honeygate.system?.detail).toMatch(/redis unavailable .*refusing \(fail_closed\)/);
      const refused = (await instance.events()).filter((e) => e.honeygate.verdict?.reason === 'store_unavailable');
      expect(refused.length).toBeGreaterThanOrEqual(2);
      expect(refused.every((e) => e.http?.response.status_code === 503)).toBe(true);
    } finally {
      await instance.stop();
      await relay.stop();
    }
  }, 30_000);
});
