/**
 * The admin JSON API (`/api/v1/*`): events and their summaries (through the event store's query
 * API), blocks and the blocklist export, keys and campaigns (never a secret: name, class, campaign,
 * placement, fingerprint, mask, upstream, hit counts), config reload, detailed health.
 * Authentication happens before any of this (server.ts); every handler here validates its own input.
 *
 * Errors have one shape: `{"error": {"code", "message", "issues"?: [{path, message}]}}`. Internal
 * failures answer a generic message; the detail goes to the log only.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { EventFilter, EventStore } from '../events/store/index.js';
import type { SinkStats } from '../events/sinks/queue.js';
import { buildSystemEvent } from '../events/build.js';
import type { GatewayState } from '../core/state.js';
import { blockView, canonicalIp, exportCsv, exportEntries, exportText, parseBlockBody, type ExportSource } from './blocks.js';
import type { AdminMetrics } from './metrics.js';
import { bucketParam, limitParam, orderParam, parseQuery, QueryError, type QueryIssue } from './query.js';
import type { Reloader } from './reload.js';
import { parseDuration } from '../config/duration.js';
import { allKeyRecords } from '../core/runtime.js';

export interface ApiContext {
  readonly state: GatewayState;
  readonly eventStore: EventStore | undefined;
  readonly sinkStats: () => readonly SinkStats[];
  readonly reloader: Reloader | undefined;
  readonly metrics: AdminMetrics;
  readonly now: () => number;
  readonly log: (line: string) => void;
  readonly version: string;
  readonly startedAt: number;
}

export function sendError(reply: FastifyReply, status: number, code: string, message: string, issues?: readonly QueryIssue[]): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'application/json; charset=utf-8')
    .send({ error: { code, message, ...(issues !== undefined && issues.length > 0 ? { issues } : {}) } });
}

/** Largest page of events one request returns. */
export const MAX_EVENTS_PAGE = 1000;
/** Events sampled for the top-clients summary (the store has no client column). */
export const CLIENT_SAMPLE = 5000;
/** Most buckets one timeline returns. */
export const MAX_TIMELINE_BUCKETS = 1440;
const KEY_CLASSES = ['valid', 'lure', 'invalid', 'missing'] as const;

export function registerApi(app: FastifyInstance, ctx: ApiContext): void {
  /** Run a store query; 503 when there is no store or it fails (counted, logged, never echoed). */
  const withStore = async <T>(reply: FastifyReply, run: (store: EventStore) => Promise<T>): Promise<T | undefined> => {
    const store = ctx.eventStore;
    if (store === undefined) {
      sendError(reply, 503, 'no_event_store', 'no event store is configured (events.store.driver is none)');
      return undefined;
    }
    try {
      return await run(store);
    } catch (e: unknown) {
      ctx.metrics.queryError();
      ctx.log(`honeygate admin: event store query failed: ${e instanceof Error ? e.message : String(e)}`);
      sendError(reply, 503, 'event_store_error', 'the event store could not answer');
      return undefined;
    }
  };
  const query = (reply: FastifyReply, q: unknown, extra: Record<string, z.ZodType<string>> = {}): ReturnType<typeof parseQuery> | undefined => {
    try {
      return parseQuery(q, ctx.now(), extra);
    } catch (e: unknown) {
      if (!(e instanceof QueryError)) throw e;
      sendError(reply, 400, 'bad_query', 'invalid query parameters', e.issues);
      return undefined;
    }
  };

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

  // blocks
  app.get('/api/v1/blocks', async () => {
    const blocks = await ctx.state.store.listBlocks();
    return { count: blocks.length, blocks: blocks.map(blockView) };
  });

  app.post('/api/v1/blocks', async (req, reply) => {
    const parsed = parseBlockBody(req.body);
    if (!parsed.ok) return sendError(reply, 400, 'bad_request', 'invalid block', parsed.issues);
    const { subject, durationMs, reason } = parsed.value;
    const record = await ctx.state.store.block(subject, durationMs, reason);
    ctx.state.bus.publish(buildSystemEvent('admin', 'admin:block', `${subject} until ${new Date(record.until).toISOString()}: ${reason}`.slice(0, 1500)));
    return reply.code(201).send({ block: blockView(record) });
  });

  app.delete<{ Params: { subject: string } }>('/api/v1/blocks/:subject', async (req, reply) => {
    const subject = req.params.subject;
    if (subject.length === 0 || subject.length > 512 || /[\u0000-\u001f\u007f]/.test(subject)) {
      return sendError(reply, 400, 'bad_request', 'invalid subject', [{ path: 'subject', message: 'a block subject, e.g. ip:203.0.113.9' }]);
    }
    let removed = await ctx.state.store.unblock(subject);
    if (!removed && subject.startsWith('ip:')) {
      const canonical = canonicalIp(subject.slice(3));
      if (canonical !== null && `ip:${canonical}` !== subject) removed = await ctx.state.store.unblock(`ip:${canonical}`);
    }
    if (!removed) return sendError(reply, 404, 'not_found', 'no such block');
    ctx.state.bus.publish(buildSystemEvent('admin', 'admin:unblock', subject.slice(0, 600)));
    return reply.code(204).send();
  });

  const exportRoute = (format: 'txt' | 'csv') => async (req: { query: unknown }, reply: FastifyReply) => {
    const raw = (req.query ?? {}) as Record<string, unknown>;
    const keys = Object.keys(raw);
    const source = raw['source'] ?? 'all';
    if (keys.some((k) => k !== 'source') || (source !== 'all' && source !== 'blocks' && source !== 'config')) {
      return sendError(reply, 400, 'bad_query', 'invalid query parameters', [{ path: 'source', message: 'all, blocks or config' }]);
    }
    const blocks = source === 'config' ? [] : await ctx.state.store.listBlocks();
    const entries = exportEntries(blocks, ctx.state.runtime.config.network.deny, source as ExportSource);
    return reply
      .header('content-type', format === 'txt' ? 'text/plain; charset=utf-8' : 'text/csv; charset=utf-8; header=present')
      .header('content-disposition', `attachment; filename="honeygate-blocklist.${format}"`)
      .send(format === 'txt' ? exportText(entries) : exportCsv(entries));
  };
  app.get('/api/v1/blocklist.txt', exportRoute('txt'));
  app.get('/api/v1/blocklist.csv', exportRoute('csv'));

  // keys and campaigns: from the running key ring, hits from the event store (two grouped queries)
  app.get('/api/v1/keys', async () => {
    const records = allKeyRecords(ctx.state.runtime);
    let hits: { requests: Map<string, number>; canaries: Map<string, number> } | null = null;
    const store = ctx.eventStore;
    if (store !== undefined) {
      try {
        hits = { requests: await store.hitsByKey({ dataset: 'honeygate.request' }), canaries: await store.hitsByKey({ dataset: 'honeygate.canary' }) };
      } catch (e: unknown) {
        ctx.metrics.queryError();
        ctx.log(`honeygate admin: event store query failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    const keys = records.map((r) => ({
      name: r.name,
      class: r.class,
      campaign: r.campaign ?? null,
      placement: r.placement ?? null,
      fingerprint: r.fingerprint,
      mask: r.mask ?? null,
      upstream: r.upstream,
      ...(r.lure ? { lure: { max_requests: r.lure.maxRequests, block_duration_ms: r.lure.blockDurationMs, response_delay_ms: r.lure.responseDelayMs } } : {}),
      hits: hits === null ? null : { requests: hits.requests.get(r.fingerprint) ?? 0, canaries: hits.canaries.get(r.fingerprint) ?? 0 },
    }));
    return { count: keys.length, keys };
  });

  app.get('/api/v1/campaigns', async (req, reply) => {
    const q = query(reply, req.query);
    if (q === undefined) return reply;
    const byName = new Map<string, { campaign: string; keys: { name: string; fingerprint: string; placement: string | null }[] }>();
    for (const r of allKeyRecords(ctx.state.runtime)) {
      if (r.class !== 'lure') continue;
      const name = r.campaign ?? '(none)';
      const entry = byName.get(name) ?? { campaign: name, keys: [] };
      entry.keys.push({ name: r.name, fingerprint: r.fingerprint, placement: r.placement ?? null });
      byName.set(name, entry);
    }
    const hits = ctx.eventStore === undefined ? [] : await withStore(reply, (s) => s.topCampaigns(q.filter, 1000));
    if (hits === undefined) return reply;
    const names = new Set([...byName.keys(), ...hits.map((h) => h.campaign)]);
    const campaigns = [...names].map((name) => {
      const h = hits.find((x) => x.campaign === name);
      return {
        campaign: name,
        configured: byName.has(name),
        keys: byName.get(name)?.keys ?? [],
        hits: h === undefined ? { count: 0, ips: 0, first: null, last: null, placements: [] } : { count: h.count, ips: h.ips, first: h.first, last: h.last, placements: h.placements },
      };
    });
    campaigns.sort((a, b) => b.hits.count - a.hits.count || a.campaign.localeCompare(b.campaign));
    return { count: campaigns.length, campaigns };
  });

  app.post('/api/v1/reload', async (req, reply) => {
    const body = req.body;
    if (body !== undefined && body !== null && !(typeof body === 'object' && !Array.isArray(body) && Object.keys(body).length === 0)) {
      return sendError(reply, 400, 'bad_request', 'reload takes no body: it reads the config file again');
    }
    if (ctx.reloader === undefined) return sendError(reply, 409, 'no_reload', 'this gateway was started without a reloadable config');
    const report = await ctx.reloader.reload('admin');
    if (!report.ok && report.file === undefined) {
      return reply.code(409).send({ ...report, error: { code: 'no_config_file', message: report.errors[0]?.message ?? 'no config file' } });
    }
    return reply.code(report.ok ? 200 : 422).send(report);
  });

  app.get('/api/v1/health', async () => {
    const store = ctx.state.store.health();
    const sinks = ctx.sinkStats();
    let eventStore: { ok: boolean; driver?: string } = { ok: false };
    if (ctx.eventStore !== undefined) {
      try {
        await ctx.eventStore.stats({ since: ctx.now() });
        eventStore = { ok: true, driver: ctx.eventStore.driver };
      } catch {
        eventStore = { ok: false, driver: ctx.eventStore.driver };
      }
    }
    const ok = store.ok && (ctx.eventStore === undefined || eventStore.ok) && sinks.every((s) => !s.disabled);
    return {
      status: ok ? 'ok' : 'degraded',
      version: ctx.version,
      uptime_s: Math.round((ctx.now() - ctx.startedAt) / 1000),
      store,
      event_store: ctx.eventStore === undefined ? null : eventStore,
      sinks,
      last_reload: ctx.reloader?.last ?? null,
    };
  });
}
