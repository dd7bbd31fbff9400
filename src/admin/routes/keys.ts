/** Keys and campaigns from the running key ring, hits from the event store (never a secret). */
import type { FastifyInstance } from 'fastify';
import { allKeyRecords } from '../../core/runtime.js';
import type { RouteKit } from './kit.js';

export function registerKeyRoutes(app: FastifyInstance, kit: RouteKit): void {
  const { ctx, withStore, query } = kit;
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

}
