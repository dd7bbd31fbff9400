/**
 * Many instances as one (issue 5), in one process: two gateways on their own ports, each with its
 * own Redis store built by `createStore` from its config, sharing the real Redis under a per-run
 * prefix; the official SDK alternates between them. Events are read from each gateway's own bus.
 * Also the hot-path rule at the gateway level: a valid-key request makes exactly one store call (one
 * EVALSHA on the wire, one script call in INFO commandstats), an invalid or missing key none.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { adminRedis, deleteKeys, REDIS_PORT, REDIS_SERVER_BIN, runPrefix, sleep, startPrivateRedis, TcpProxy, waitFor } from '../store/helpers.js';
import { CANARY_SECRET, chat, LURE, LURE_CANARY, outcome, redisStore, sdk, VALID, waitForEvent } from './helpers.js';

const LURE_PERSONA = 'sk-proj-MultiLurePersona0123456789abcdefghijklmnopqrstuvwxyzABCT3BlbkFJ0123456789';
const INVALID = 'sk-proj-NotAKeyOfThisGateway0123456789abcdefghijklmnopqrstuvwxyzT3BlbkFJ0123456789';

function gatewayConfig(prefix: string, redisPort: number, upstreamUrl: string): Record<string, unknown> {
  return {
    upstreams: { real: { type: 'openai', url: upstreamUrl } },
    trusted_proxies: ['127.0.0.1/32'],
    canary_secret: CANARY_SECRET,
    keys: [
      { name: 'valid', key: VALID, class: 'valid', upstream: 'real' },
      { name: 'lure-threshold', key: LURE, class: 'lure', max_requests: 3, block_duration: '10m' },
      { name: 'lure-canary', key: LURE_CANARY, class: 'lure', max_requests: 1000, reply: 'Try {{canary:api_key}} against {{canary:url}}.' },
      { name: 'lure-persona', key: LURE_PERSONA, class: 'lure', max_requests: 1000 },
    ],
    limits: { rules: [{ name: 'per-key', by: 'key', limit: 5, window: '1m', exempt: ['10.9.0.0/16'] }] },
    store: redisStore(prefix, redisPort),
  };
}

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

describe('two in-process gateways, two Redis stores, one Redis', () => {
  let a: TestGateway;
  let b: TestGateway;

  beforeAll(async () => {
    const prefix = runPrefix();
    prefixes.push(prefix);
    a = await startTestGateway(gatewayConfig(prefix, REDIS_PORT, upstream.url));
    b = await startTestGateway(gatewayConfig(prefix, REDIS_PORT, upstream.url));
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('each store is its own Redis client and both were connected before listening', () => {
    expect(a.gateway.state.store).not.toBe(b.gateway.state.store);
    expect(a.gateway.state.store.health()).toMatchObject({ backend: 'redis', ok: true });
    expect(b.gateway.state.store.health()).toMatchObject({ backend: 'redis', ok: true });
    for (const g of [a, b]) expect(g.events.filter((e) => e.event.action === 'store:connected')).toHaveLength(1);
  });

  it('lure counts run across both (1, 2, 3 alternating), the 4th crosses the threshold, the IP is blocked on both', async () => {
    const ip = '203.0.113.51';
    const statuses: number[] = [];
    for (const g of [a, b, a, b, a, b]) statuses.push((await outcome(chat(sdk(g.url, LURE, ip)))).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429, 429]);
    const lureEvents = (g: TestGateway) => g.events.filter((e) => e.source?.ip === ip && e.event.dataset === 'honeygate.request');
    await waitForEvent(() => lureEvents(b), (e) => e.honeygate.verdict?.reason === 'blocked', 2000, 'blocked on B');
    expect(lureEvents(a).map((e) => [e.honeygate.verdict?.reason, e.honeygate.lure?.count])).toEqual([
      ['lure_key', 1],
      ['lure_key', 3],
      ['blocked', undefined],
    ]);
    expect(lureEvents(b).map((e) => [e.honeygate.verdict?.reason, e.honeygate.lure?.count])).toEqual([
      ['lure_key', 2],
      ['lure_threshold', 4],
      ['blocked', undefined],
    ]);
  });

  it('a rate limit per key is shared: the upstream sees exactly the limit, both refuse the rest', async () => {
    const before = upstream.requests.length;
    const results: { status: number; code: string | null | undefined }[] = [];
    for (let i = 0; i < 8; i++) results.push(await outcome(chat(sdk(i % 2 === 0 ? a.url : b.url, VALID, `198.51.100.${20 + i}`))));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
    expect(results[5]?.code).toBe('rate_limit_exceeded');
    expect(upstream.requests.length - before).toBe(5);
    // the rule's exemption applies on both
    expect((await outcome(chat(sdk(b.url, VALID, '10.9.1.1')))).status).toBe(200);
  });

  it('a lure key shows one account through both: same organization and project, remaining requests falling across them', async () => {
    const seen: { org: string | null; project: string | null; remaining: number }[] = [];
    for (const g of [a, b, a, b]) {
      const { response } = await sdk(g.url, LURE_PERSONA, '192.0.2.150').models.list().withResponse();
      seen.push({
        org: response.headers.get('openai-organization'),
        project: response.headers.get('openai-project'),
        remaining: Number(response.headers.get('x-ratelimit-remaining-requests')),
      });
    }
    expect(new Set(seen.map((x) => x.org)).size).toBe(1);
    expect(new Set(seen.map((x) => x.project)).size).toBe(1);
    expect(seen[0]?.org).toBeTruthy();
    const remaining = seen.map((x) => x.remaining);
    // usage is counted in the shared store: each answer, whichever instance gives it, shows one less
    expect(remaining.slice(1)).toEqual(remaining.slice(0, -1).map((r) => r - 1));
  });

  it('a block set through one store is seen by the other gateway; an unblock through the other lifts it on both', async () => {
    const ip = '192.0.2.200';
    await a.gateway.state.store.block(`ip:${ip}`, 60_000, 'manual: incident 42');
    expect((await outcome(chat(sdk(b.url, LURE_CANARY, ip)))).status).toBe(429);
    expect(await b.gateway.state.store.unblock(`ip:${ip}`)).toBe(true);
    expect((await outcome(chat(sdk(a.url, LURE_CANARY, ip)))).status).toBe(200);
  });

  it('canaries minted on A (a URL and an API key) resolve on B, over HTTP and as a bearer key', async () => {
    const ip = '192.0.2.88';
    const text = await chat(sdk(a.url, LURE_CANARY, ip));
    const key = /Try (sk-\S+) against/.exec(text)?.[1];
    const path = /http:\/\/127\.0\.0\.1:\d+(\/c\/[A-Za-z0-9_-]{22})/.exec(text)?.[1];
    expect(key).toBeDefined();
    expect(path).toBeDefined();
    const minted = await waitForEvent(() => a.events, (e) => e.source?.ip === ip && (e.honeygate.lure?.canaries?.length ?? 0) === 2, 2000, 'minting event on A');

    // the stolen key, tried against B: the ordinary invalid-key answer, then the alert
    const tried = await outcome(sdk(b.url, key ?? '', '198.51.100.66').models.list());
    expect(tried).toEqual({ status: 401, code: 'invalid_api_key' });
    const viaKey = await waitForEvent(() => b.events, (e) => e.honeygate.canary?.via === 'api_key', 2000, 'api_key canary on B');
    expect(viaKey.honeygate.canary).toMatchObject({ kind: 'api_key', minted_by: minted.event.id, minted_for_ip: ip });
    expect(viaKey.source?.ip).toBe('198.51.100.66');

    // the link, followed through B
    expect((await fetch(`${b.url}${path ?? ''}`, { headers: { 'x-forwarded-for': '198.51.100.67' } })).status).toBe(404);
    const viaUrl = await waitForEvent(() => b.events, (e) => e.honeygate.canary?.via === 'http', 2000, 'url canary on B');
    expect(viaUrl.honeygate.canary).toMatchObject({ kind: 'url', minted_by: minted.event.id, minted_for_ip: ip, token: path?.slice(3) });
    expect(a.events.filter((e) => e.event.dataset === 'honeygate.canary')).toEqual([]);
  });
});

describe('one store call per request, counted on the wire', () => {
  it('N valid-key requests are exactly N EVALSHA; a missing or junk key sends nothing, an unknown key in a genuine format one GET (canary-key lookup)', async () => {
    const prefix = runPrefix();
    prefixes.push(prefix);
    const relay = new TcpProxy(REDIS_PORT);
    const port = await relay.start();
    const { limits: _none, ...config } = gatewayConfig(prefix, port, upstream.url);
    const gw = await startTestGateway(config);
    try {
      const client = sdk(gw.url, VALID, '192.0.2.1');
      await chat(client); // warm-up: the first call may load the script (EVAL after NOSCRIPT)
      const start = relay.counter.names.length;
      const n = 40;
      for (let i = 0; i < n; i++) expect((await outcome(chat(client))).status).toBe(200);
      expect(relay.counter.names.slice(start)).toEqual(Array.from({ length: n }, () => 'evalsha'));

      const afterValid = relay.counter.names.length;
      for (let i = 0; i < 10; i++) expect((await outcome(chat(sdk(gw.url, INVALID, '192.0.2.2')))).status).toBe(401);
      const missing = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
      expect(missing.status).toBe(401);
      // junk keys (no provider format: canary keys are always minted in one) cost no store call
      for (let i = 0; i < 10; i++) expect((await outcome(chat(sdk(gw.url, `junk-key-${i}-xxxxxxxx`, '192.0.2.2')))).status).toBe(401);
      // no admit for them; an invalid key is looked up once as a possible canary API key (issue 3),
      // after its 401 has been sent (the failure suite shows it never waits on Redis)
      await waitFor(() => relay.counter.names.length >= afterValid + 10, 2000, 'the canary-key lookups');
      await sleep(100); // and nothing more
      expect(relay.counter.names.slice(afterValid)).toEqual(Array.from({ length: 10 }, () => 'get'));
      // a lure key without canaries in its reply: one admit too
      const afterInvalid = relay.counter.names.length;
      for (let i = 0; i < 3; i++) expect((await outcome(chat(sdk(gw.url, LURE, '192.0.2.3')))).status).toBe(200);
      expect(relay.counter.names.slice(afterInvalid)).toEqual(['evalsha', 'evalsha', 'evalsha']);
    } finally {
      await gw.close();
      await relay.stop();
    }
  });

  it.skipIf(REDIS_SERVER_BIN === undefined)('INFO commandstats on a private redis-server: N requests, N script calls, nothing else', async () => {
    const server = await startPrivateRedis();
    const admin = adminRedis(server.port);
    const { limits: _none, ...config } = gatewayConfig(runPrefix(), server.port, upstream.url);
    const gw = await startTestGateway(config);
    const calls = async (): Promise<Map<string, number>> => {
      const info = await admin.info('commandstats');
      const out = new Map<string, number>();
      for (const m of info.matchAll(/^cmdstat_([a-z|]+):calls=(\d+)/gm)) out.set(m[1] ?? '', Number(m[2]));
      return out;
    };
    try {
      const client = sdk(gw.url, VALID, '192.0.2.9');
      await chat(client); // warm-up (script load)
      const before = await calls();
      const n = 25;
      for (let i = 0; i < n; i++) expect((await outcome(chat(client))).status).toBe(200);
      const after = await calls();
      const delta = new Map<string, number>();
      for (const [name, count] of after) if (name !== 'info' && count !== (before.get(name) ?? 0)) delta.set(name, count - (before.get(name) ?? 0));
      // commandstats also counts the calls a script makes: the admit script reads TIME once and
      // GETs the one block key of this request (no limits, no lure here); the client sent EVALSHA only
      expect(Object.fromEntries(delta)).toEqual({ evalsha: n, time: n, get: n });
    } finally {
      await gw.close();
      admin.disconnect();
      await server.stop();
    }
  });
});
