// Redis for the store comparison: is it there, command counts from INFO commandstats (round trips
// per request), and clean-up of the run's unique prefix. Uses ioredis, already a honeygate dependency.
import { createRequire } from 'node:module';
import { ROOT } from './gateway.mjs';

const require = createRequire(`${ROOT}/package.json`);

export async function openRedis(url = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379') {
  let Redis;
  try {
    Redis = require('ioredis');
  } catch {
    return null;
  }
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
  } catch {
    client.disconnect();
    return null;
  }
  return {
    url,
    /** total commands executed by the server so far (every command, every client) */
    async totalCalls() {
      const text = await client.info('commandstats');
      let total = 0;
      for (const m of text.matchAll(/calls=(\d+)/g)) total += Number(m[1]);
      return total;
    },
    async version() {
      return /redis_version:(\S+)/.exec(await client.info('server'))?.[1] ?? 'unknown';
    },
    async clean(prefix) {
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await client.del(...keys);
      } while (cursor !== '0');
    },
    close: () => client.quit().catch(() => client.disconnect()),
  };
}
