/** Events and their summaries: list, stats, top IPs/campaigns/clients, timeline. */
import type { FastifyInstance } from 'fastify';
import type { EventFilter } from '../../events/store/index.js';
import { parseDuration } from '../../config/duration.js';
import { CLIENT_SAMPLE, MAX_EVENTS_PAGE, MAX_TIMELINE_BUCKETS, sendError, type RouteKit } from './kit.js';
import { bucketParam, limitParam, orderParam } from '../query.js';

const KEY_CLASSES = ['valid', 'lure', 'invalid', 'missing'] as const;

export function registerEventRoutes(app: FastifyInstance, kit: RouteKit): void {
  const { ctx, withStore, query } = kit;
  app.get('/api/v1/events', async (req, reply) => {
    const q = query(reply, req.query, { limit: limitParam(MAX_EVENTS_PAGE), order: orderParam });
    if (q === undefined) return reply;
    const limit = q.extra['limit'] !== undefined ? Number(q.extra['limit']) : 100;
    const order = q.extra['order'] === 'asc' ? 'asc' : 'desc';
    const events = await withStore(reply, (s) => s.queryEvents(q.filter, { limit, order }));
    if (events === undefined) return reply;
    return { count: events.length, events };
  });

  app.get('/api/v1/stats', async (req, reply) => {
    const q = query(reply, req.query);
    if (q === undefined) return reply;
    const stats = await withStore(reply, (s) => s.stats(q.filter));
    return stats ?? reply;
  });

  app.get('/api/v1/stats/ips', async (req, reply) => {
    const q = query(reply, req.query, { limit: limitParam(1000) });
    if (q === undefined) return reply;
    const ips = await withStore(reply, (s) => s.topIps(q.filter, Number(q.extra['limit'] ?? 10)));
    return ips === undefined ? reply : { ips };
  });

  app.get('/api/v1/stats/campaigns', async (req, reply) => {
    const q = query(reply, req.query, { limit: limitParam(1000) });
    if (q === undefined) return reply;
    const campaigns = await withStore(reply, (s) => s.topCampaigns(q.filter, Number(q.extra['limit'] ?? 10)));
    return campaigns === undefined ? reply : { campaigns };
  });

  app.get('/api/v1/stats/clients', async (req, reply) => {
    const q = query(reply, req.query, { limit: limitParam(1000) });
    if (q === undefined) return reply;
    const events = await withStore(reply, (s) => s.queryEvents({ dataset: 'honeygate.request', ...q.filter }, { limit: CLIENT_SAMPLE, order: 'desc' }));
    if (events === undefined) return reply;
    const counts = new Map<string, { name: string; version: string | null; count: number; ips: Set<string>; last: string }>();
    for (const e of events) {
      const c = e.honeygate.client;
      const name = c?.name ?? 'unknown';
      const version = c?.version ?? null;
      const key = `${name}\u0000${version ?? ''}`;
      let entry = counts.get(key);
      if (entry === undefined) {
        entry = { name, version, count: 0, ips: new Set(), last: e['@timestamp'] };
        counts.set(key, entry);
      }
      entry.count++;
      if (e.source?.ip !== undefined) entry.ips.add(e.source.ip);
    }
    const clients = [...counts.values()]
      .sort((a, b) => b.count - a.count || a.name.localeCompare(b.name))
      .slice(0, Number(q.extra['limit'] ?? 10))
      .map((c) => ({ name: c.name, version: c.version, count: c.count, ips: c.ips.size, last: c.last }));
    return { sampled: events.length, clients };
  });

  app.get('/api/v1/stats/timeline', async (req, reply) => {
    const q = query(reply, req.query, { bucket: bucketParam });
    if (q === undefined) return reply;
    const bucketMs = parseDuration(q.extra['bucket'] ?? '1m') ?? 60_000;
    const now = ctx.now();
    const until = q.filter.until ?? now;
    const since = q.filter.since ?? until - 60 * bucketMs;
    const first = Math.floor(since / bucketMs) * bucketMs;
    const count = Math.floor((until - 1 - first) / bucketMs) + 1;
    if (count > MAX_TIMELINE_BUCKETS) {
      return sendError(reply, 400, 'bad_query', 'invalid query parameters', [
        { path: 'bucket', message: `${count} buckets: at most ${MAX_TIMELINE_BUCKETS} (use a larger bucket or a shorter range)` },
      ]);
    }
    const grid = Array.from({ length: Math.max(0, count) }, (_, i) => ({
      start: new Date(first + i * bucketMs).toISOString(),
      valid: 0,
      lure: 0,
      invalid: 0,
      missing: 0,
      blocked: 0,
    }));
    const base: EventFilter = { dataset: 'honeygate.request', ...q.filter, since: first, until };
    const ok = await withStore(reply, async (s) => {
      for (const keyClass of KEY_CLASSES) {
        if (q.filter.keyClass !== undefined && q.filter.keyClass !== keyClass) continue;
        for (const b of await s.timeline(bucketMs, { ...base, keyClass })) {
          const cell = grid[Math.round((Date.parse(b.start) - first) / bucketMs)];
          if (cell === undefined) continue;
          cell[keyClass] += b.count;
          cell.blocked += b.blocked;
        }
      }
      return true;
    });
    if (ok === undefined) return reply;
    return { bucket_ms: bucketMs, since: new Date(first).toISOString(), until: new Date(until).toISOString(), buckets: grid };
  });

}
