/**
 * The Redis account docs/multi-instance.md recommends: a least-privilege ACL user limited to the
 * gateway's key prefix and the commands it sends (scripts included), its password given to the
 * config as ${ENV}. On a private redis-server, every store path a gateway takes (admit with limits,
 * lure threshold and block; canary put/get; list/unblock) must work under it; a wrong password
 * leaves the gateway degraded (fail_closed: 503) with a store:degraded event.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBus } from '../../src/events/bus.js';
import type { GatewayEvent } from '../../src/events/model.js';
import { startGateway, type Gateway } from '../../src/gateway/gateway.js';
import { configFrom } from '../helpers/gateway.js';
import { adminRedis, REDIS_SERVER_BIN, scanKeys, startPrivateRedis } from '../store/helpers.js';
import { chat, LURE, LURE_CANARY, OVERLOADED_BODY, outcome, sdk, systemEvent, VALID, waitForEvent } from './helpers.js';

/** Exactly the rule printed in docs/multi-instance.md ("A Redis account for honeygate"). */
export const ACL_RULE =
  'on ~honeygate:* resetchannels -@all +ping +info +evalsha +eval +get +mget +set +multi +exec ' +
  '+pexpire +zrangebyscore +zremrangebyscore +time +incr +incrby +pttl +zadd +zrem +del +hincrby +hmget';

const PASSWORD = 'acl-test-password-7f3a9c';

async function start(port: number, password: string): Promise<{ gw: Gateway; events: GatewayEvent[] }> {
  const config = await configFrom(
    {
      upstreams: { decoy: { type: 'decoy' } },
      trusted_proxies: ['127.0.0.1/32'],
      canary_secret: 'acl-test-canary-secret-0123456789',
      keys: [
        { name: 'valid', key: VALID, class: 'valid', upstream: 'decoy' },
        { name: 'lure', key: LURE, class: 'lure', max_requests: 1, block_duration: '10m' },
        { name: 'lure-canary', key: LURE_CANARY, class: 'lure', reply: 'See {{canary:url}}' },
      ],
      limits: { rules: [{ name: 'per-ip', by: 'ip', limit: 100, window: '1m' }] },
      store: {
        backend: 'redis',
        redis: {
          port,
          username: 'honeygate',
          password: '${HG_TEST_REDIS_PASSWORD}',
          failure_policy: 'fail_closed',
          timeout: '200ms',
          connect_timeout: '1s',
          probe_interval: '100ms',
        },
      },
    },
    { HG_TEST_REDIS_PASSWORD: password },
  );
  const bus = new EventBus();
  const events: GatewayEvent[] = [];
  bus.subscribe((e) => events.push(e));
  return { gw: await startGateway(config, { bus, host: '127.0.0.1', port: 0 }), events };
}

describe.skipIf(REDIS_SERVER_BIN === undefined)('a least-privilege Redis ACL user, password from ${ENV}', () => {
  let server: { port: number; stop: () => Promise<void> };
  let admin: Redis;

  beforeAll(async () => {
    server = await startPrivateRedis();
    admin = adminRedis(server.port);
    await admin.call('ACL', 'SETUSER', 'honeygate', 'reset', ...ACL_RULE.split(' '), `>${PASSWORD}`);
  });

  afterAll(async () => {
    admin?.disconnect();
    await server?.stop();
  });

  it('the ACL is real: the user cannot touch keys outside the prefix or run other commands', async () => {
    const { Redis: Client } = await import('ioredis');
    const user = new Client({ host: '127.0.0.1', port: server.port, username: 'honeygate', password: PASSWORD, maxRetriesPerRequest: 0 });
    try {
      expect(await user.set('honeygate:{hg}:probe', '1')).toBe('OK');
      await expect(user.get('other-app:key')).rejects.toThrow(/NOPERM/);
      await expect(user.call('FLUSHALL')).rejects.toThrow(/NOPERM/);
      await expect(user.keys('*')).rejects.toThrow(/NOPERM/);
    } finally {
      user.disconnect();
    }
  });

  it('every store path of the gateway works under it', async () => {
    const { gw, events } = await start(server.port, PASSWORD);
    try {
      expect(events.filter((e) => e.event.dataset === 'honeygate.system').map((e) => e.event.action)).toEqual(['store:connected']);
      expect((await outcome(chat(sdk(gw.url, VALID, '192.0.2.1')))).status).toBe(200);
      // lure threshold: one answer, then the block script runs
      expect((await outcome(chat(sdk(gw.url, LURE, '192.0.2.2')))).status).toBe(200);
      expect(await outcome(chat(sdk(gw.url, LURE, '192.0.2.2')))).toEqual({ status: 429, code: 'insufficient_quota' });
      // the persona is exhausted, not the address: the valid key from it is served
      expect((await outcome(chat(sdk(gw.url, VALID, '192.0.2.2')))).status).toBe(200);
      // canary put (MULTI/SET/PEXPIRE/EXEC) and get
      const path = /\/c\/[A-Za-z0-9_-]{22}/.exec(await chat(sdk(gw.url, LURE_CANARY, '192.0.2.3')))?.[0];
      expect(path).toBeDefined();
      await fetch(`${gw.url}${path ?? ''}`);
      await waitForEvent(() => events, (e) => e.event.dataset === 'honeygate.canary', 2000, 'canary event');
      // admin paths
      const blocks = await gw.state.store.listBlocks();
      expect(blocks.map((b) => b.subject)).toEqual([expect.stringMatching(/^lure:sha256:[0-9a-f]{16}$/)]);
      expect(await gw.state.store.unblock(blocks[0]?.subject ?? '')).toBe(true);
      expect((await outcome(sdk(gw.url, LURE, '192.0.2.2').models.list())).status).toBe(200);
      // nothing degraded on the way, every key under the prefix
      expect(events.filter(systemEvent('store:degraded'))).toEqual([]);
      expect(events.filter((e) => e.honeygate.verdict?.reason === 'store_unavailable')).toEqual([]);
      expect((await scanKeys(admin, '')).every((k) => k.startsWith('honeygate:{hg}:'))).toBe(true);
    } finally {
      await gw.close();
    }
  });

  it('a wrong password: store:degraded at start, a faithful 503 (fail_closed)', async () => {
    const { gw, events } = await start(server.port, 'not-the-password');
    try {
      const degraded = await waitForEvent(() => events, systemEvent('store:degraded'), 2000, 'store:degraded');
      expect(degraded.event.outcome).toBe('failure');
      const res = await fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${VALID}` } });
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual(OVERLOADED_BODY);
    } finally {
      await gw.close();
    }
  });
});
