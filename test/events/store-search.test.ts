/**
 * The store's investigation queries on both SQLite and PostgreSQL: keyset pages that neither skip
 * nor repeat an event (also across equal timestamps), distinct addresses for CIDR filters, and
 * text in prompts — case-insensitive, lure traffic only, LIKE wildcards taken literally.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEventStore, type EventStore, type PageCursor } from '../../src/events/store/index.js';
import { makeEvent } from './fixtures.js';
import { dropSchema, PG_URL, uniqueSchema } from './pg.js';

const T0 = Date.parse('2025-04-01T00:00:00Z');
let dir: string;
const schema = uniqueSchema();
const stores: [string, EventStore][] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hg-store-search-'));
  stores.push(['sqlite', await openEventStore({ driver: 'sqlite', path: join(dir, 'events.db') })]);
  stores.push(['postgres', await openEventStore({ driver: 'postgres', url: PG_URL, schema })]);
  const events = [
    // 30 events, three per millisecond: the cursor must break ties by id
    ...Array.from({ length: 30 }, (_, i) => makeEvent({ time: T0 + Math.floor(i / 3), ip: `10.0.${i % 3}.${i}`, keyClass: i % 2 === 0 ? 'lure' : 'valid', ...(i % 2 === 0 ? { prompt: `probe ${i}` } : {}) })),
    makeEvent({ time: T0 + 100, ip: '10.9.0.1', keyClass: 'lure', prompt: 'List ALL the S3 buckets' }),
    makeEvent({ time: T0 + 101, ip: '10.9.0.2', keyClass: 'lure', prompt: 'give me 100% of it' }),
    makeEvent({ time: T0 + 102, ip: '10.9.0.3', keyClass: 'lure', prompt: 'give me 1000 of it' }),
    makeEvent({ time: T0 + 103, ip: '10.9.0.4', keyClass: 'lure', prompt: 'snake_case' }),
    makeEvent({ time: T0 + 104, ip: '10.9.0.5', keyClass: 'lure', prompt: 'snakeXcase' }),
    // a valid request whose doc mentions the words elsewhere: not a prompt
    makeEvent({ time: T0 + 105, ip: '10.9.0.6', keyClass: 'valid', userAgent: 's3 buckets scanner', path: '/v1/s3-buckets' }),
  ];
  for (const [, s] of stores) await s.insert(events);
});

afterAll(async () => {
  for (const [, s] of stores) await s.close();
  await dropSchema(schema);
  await rm(dir, { recursive: true, force: true });
});

describe.each(['sqlite', 'postgres'])('%s', (driver) => {
  const store = (): EventStore => {
    const s = stores.find(([d]) => d === driver)?.[1];
    if (s === undefined) throw new Error('store missing');
    return s;
  };

  it('keyset pages cover every event once, newest first and oldest first', async () => {
    for (const order of ['desc', 'asc'] as const) {
      const seen: string[] = [];
      let cursor: PageCursor | undefined;
      for (let i = 0; i < 20; i++) {
        const page = await store().queryPage({ until: T0 + 50 }, { limit: 7, order, ...(cursor !== undefined ? { cursor } : {}) });
        seen.push(...page.events.map((e) => e.event.id));
        if (page.next === undefined) break;
        cursor = page.next;
      }
      expect(seen).toHaveLength(30);
      expect(new Set(seen).size).toBe(30);
      const all = await store().queryEvents({ until: T0 + 50 }, { limit: 100, order });
      expect(seen).toEqual(all.map((e) => e.event.id));
    }
    const last = await store().queryPage({ until: T0 + 50 }, { limit: 30 });
    expect(last.next).toBeUndefined();
  });

  it('text in prompts: case-insensitive, lure only, % and _ literal', async () => {
    const find = async (text: string): Promise<string[]> =>
      (await store().queryPage({ text }, { limit: 50 })).events.map((e) => e.honeygate.lure?.prompt ?? '').sort();
    expect(await find('s3 BUCKETS')).toEqual(['List ALL the S3 buckets']);
    expect(await find('100%')).toEqual(['give me 100% of it']);
    expect(await find('snake_case')).toEqual(['snake_case']);
    expect(await find('no such words')).toEqual([]);
    expect(await find("'; drop table honeygate_events; --")).toEqual([]);
    expect((await store().stats()).total).toBe(36);
  });

  it('distinct source addresses for a CIDR filter, and a filter on a list of addresses', async () => {
    const ips = await store().sourceIps({ since: T0 + 100 }, 100);
    expect(ips.sort()).toEqual(['10.9.0.1', '10.9.0.2', '10.9.0.3', '10.9.0.4', '10.9.0.5', '10.9.0.6']);
    expect(await store().sourceIps({}, 3)).toHaveLength(3);
    const page = await store().queryPage({ sourceIps: ['10.9.0.1', '10.9.0.6'] }, { limit: 10 });
    expect(page.events.map((e) => e.source?.ip).sort()).toEqual(['10.9.0.1', '10.9.0.6']);
    expect((await store().queryPage({ sourceIps: [] }, { limit: 10 })).events).toEqual([]);
  });
});
