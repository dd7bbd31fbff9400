/**
 * Rate limits and blocks on tool routes shared by two gateway instances through the real Redis at
 * 127.0.0.1:6379 (issue 10, parts 7 and 8): a per-user limit keyed by a token claim, a limit keyed
 * by the ChatGPT ephemeral user header, a service-level cap; 429 with Retry-After, RateLimit and
 * RateLimit-Policy; user and conversation blocks that hold on every instance.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { configFrom, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { adminRedis, deleteKeys, runPrefix } from '../store/helpers.js';
import { startApi, type FakeApi } from './helpers/api.js';
import { startIssuer, type TestIssuer } from './helpers/issuer.js';

const prefix = runPrefix();
let api: FakeApi;
let issuer: TestIssuer;
let a: TestGateway;
let b: TestGateway;
let admin: Store;

beforeAll(async () => {
  api = await startApi();
  issuer = await startIssuer();
  const raw = {
    public_url: 'https://tools.example.com',
    store: { backend: 'redis', redis: { prefix, failure_policy: 'fail_closed', timeout: '1s' } },
    routes: [
      {
        name: 'users',
        prefix: '/users',
        upstream: api.url,
        auth: { oauth: { issuer: issuer.issuer } },
        limits: { rules: [{ name: 'per-user', by: 'claim:sub', limit: 3, window: '1m' }] },
      },
      {
        name: 'action',
        prefix: '/action',
        upstream: api.url,
        auth: { public: true },
        limits: { rules: [{ name: 'per-chatgpt-user', by: 'header:openai-ephemeral-user-id', limit: 2, window: '30s' }], service: { limit: 5, window: '1m' } },
      },
    ],
  };
  a = await startTestGateway(raw);
  b = await startTestGateway(raw);
  admin = createStore((await configFrom(raw)).store);
});

afterAll(async () => {
  await a.close();
  await b.close();
  await admin.close();
  const redis = adminRedis();
  await deleteKeys(redis, prefix);
  redis.disconnect();
  await api.close();
  await issuer.close();
});

const token = (sub: string): Promise<string> => issuer.sign({ sub, aud: 'https://tools.example.com/users' });

async function get(gw: TestGateway, path: string, headers: Record<string, string>): Promise<Response> {
  const res = await fetch(`${gw.url}${path}`, { headers });
  return res;
}

describe('limits shared through Redis', () => {
  it('a per-user limit counts calls on both instances; another user is not affected', async () => {
    const alice = { authorization: `Bearer ${await token('alice')}` };
    const statuses = [];
    for (const gw of [a, b, a]) {
      const res = await get(gw, '/users/x', alice);
      statuses.push(res.status);
      expect(res.headers.get('ratelimit-policy')).toBe('"per-user";q=3;w=60');
      await res.arrayBuffer();
    }
    expect(statuses).toEqual([200, 200, 200]);
    const refused = await get(b, '/users/x', alice);
    expect(refused.status).toBe(429);
    const retry = Number(refused.headers.get('retry-after'));
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(60);
    expect(refused.headers.get('ratelimit')).toBe(`"per-user";r=0;t=${retry}`);
    expect(refused.headers.get('ratelimit-policy')).toBe('"per-user";q=3;w=60');
    expect(await refused.json()).toEqual({ type: 'about:blank', title: 'Too Many Requests', status: 429 });
    const bob = await get(a, '/users/x', { authorization: `Bearer ${await token('bob')}` });
    expect(bob.status).toBe(200);
    await new Promise((r) => setTimeout(r, 30));
    expect(b.events.at(-1)!.event.action).toBe('reject:rate_limited');
  });

  it('a limit by the ChatGPT user header and a service cap for the route', async () => {
    const u = (id: string): Record<string, string> => ({ 'openai-ephemeral-user-id': id });
    expect((await get(a, '/action/x', u('u1'))).status).toBe(200);
    expect((await get(b, '/action/x', u('u1'))).status).toBe(200);
    const third = await get(a, '/action/x', u('u1'));
    expect(third.status).toBe(429);
    expect(third.headers.get('ratelimit')).toMatch(/^"per-chatgpt-user";r=0;t=\d+$/);
    // the service cap (5 a minute) counts every accepted call, whoever makes it
    expect((await get(b, '/action/x', u('u2'))).status).toBe(200);
    expect((await get(a, '/action/x', u('u3'))).status).toBe(200);
    expect((await get(b, '/action/x', u('u4'))).status).toBe(200);
    const capped = await get(a, '/action/x', u('u5'));
    expect(capped.status).toBe(429);
    expect(capped.headers.get('ratelimit')).toMatch(/^"service";r=0;t=\d+$/);
    expect(capped.headers.get('ratelimit-policy')).toBe('"per-chatgpt-user";q=2;w=30, "service";q=5;w=60');
  });
});

describe('user and conversation blocks hold on every instance', () => {
  it('a blocked user is refused on both instances, with its own event', async () => {
    const carol = { authorization: `Bearer ${await token('carol')}` };
    expect((await get(a, '/users/x', carol)).status).toBe(200);
    await admin.block('user:carol', 60_000, 'abuse report');
    for (const gw of [a, b]) {
      const res = await get(gw, '/users/x', carol);
      expect(res.status).toBe(403);
      expect(await res.json()).toEqual({ type: 'about:blank', title: 'Forbidden', status: 403 });
    }
    await new Promise((r) => setTimeout(r, 30));
    const e = b.events.at(-1)!;
    expect(e.event.action).toBe('block:blocked');
    expect(e.event.kind).toBe('alert');
    expect(e.honeygate.tool?.user).toBe('carol');
    await admin.unblock('user:carol');
    expect((await get(b, '/users/x', carol)).status).toBe(200);
  });

  it('a blocked conversation is refused whoever the user', async () => {
    await admin.block('conversation:c-123', 60_000, 'prompt injection seen');
    const res = await get(b, '/users/x', { authorization: `Bearer ${await token('dave')}`, 'openai-conversation-id': 'c-123' });
    expect(res.status).toBe(403);
    const other = await get(a, '/users/x', { authorization: `Bearer ${await token('dave')}`, 'openai-conversation-id': 'c-456' });
    expect(other.status).toBe(200);
  });
});
