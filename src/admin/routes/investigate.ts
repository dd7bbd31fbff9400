/**
 * Investigation: search across events with keyset paging (`GET /api/v1/search`), one attacker —
 * a client address, one client program across addresses (`client=cfp_…`), or one lure key across
 * addresses — (`GET /api/v1/attacker`), and one campaign
 * with its leak-to-abuse times (`GET /api/v1/campaigns/{name}`).
 *
 * Search adds to the event filters: `cidr` (resolved to the matching addresses the store holds, at
 * most MAX_CIDR_ADDRESSES), `text` (substring of lure prompts), `limit` and `cursor` (opaque, from
 * the previous page's `next`). Pages are keyset pages on (ts, id): page 1000 costs what page 1 does.
 */
import { BlockList, isIP } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { GatewayEvent } from '../../events/model.js';
import { campaignReport } from '../../events/report.js';
import type { EventFilter, PageCursor } from '../../events/store/index.js';
import { allKeyRecords } from '../../core/runtime.js';
import { blockView, canonicalIp } from '../blocks.js';
import { sendError, type RouteKit } from './kit.js';
import { limitParam, orderParam } from '../query.js';

/** Most addresses a CIDR filter may expand to. */
const MAX_CIDR_ADDRESSES = 5000;
/** Events read to build an attacker profile (newest first). */
const PROFILE_SAMPLE = 2000;
const TIMELINE_ROWS = 300;
const MAX_PROMPTS = 100;
/** Addresses listed for a client id or a lure key. */
const MAX_ADDRESSES = 500;
const MAX_TOOLS_SHOWN = 100;

/** The distinct tools defined in lure requests (name + schema), newest first, with how often and when. */
function toolsOf(lure: readonly GatewayEvent[]): { name: string; type: string | null; description: string | null; parameters: string | null; count: number; first: string; last: string }[] {
  const seen = new Map<string, { name: string; type: string | null; description: string | null; parameters: string | null; count: number; first: string; last: string }>();
  for (const e of lure) {
    for (const t of e.honeygate.lure?.tools ?? []) {
      const k = `${t.name}\u0000${t.type ?? ''}\u0000${t.parameters ?? ''}`;
      const at = e['@timestamp'];
      const s = seen.get(k);
      if (s === undefined) {
        if (seen.size < MAX_TOOLS_SHOWN) seen.set(k, { name: t.name, type: t.type ?? null, description: t.description ?? null, parameters: t.parameters ?? null, count: 1, first: at, last: at });
      } else {
        s.count++;
        if (at < s.first) s.first = at;
        if (at > s.last) s.last = at;
      }
    }
  }
  return [...seen.values()];
}

const cidrParam: z.ZodType<string> = z.string().max(64).regex(/^[0-9a-fA-F:.]+(\/\d{1,3})?$/, 'an address or CIDR block, e.g. 203.0.113.0/24');
const textParam: z.ZodType<string> = z.string().min(1).max(200);
const cursorParam: z.ZodType<string> = z.string().max(200).regex(/^[A-Za-z0-9_-]+$/, 'the `next` value of the previous page');

export function encodeCursor(c: PageCursor): string {
  return Buffer.from(`${c.ts}|${c.id}`, 'utf8').toString('base64url');
}

export function decodeCursor(text: string): PageCursor | null {
  const raw = Buffer.from(text, 'base64url').toString('utf8');
  const bar = raw.indexOf('|');
  if (bar < 1) return null;
  const ts = Number(raw.slice(0, bar));
  const id = raw.slice(bar + 1);
  return Number.isSafeInteger(ts) && id.length > 0 && id.length <= 128 ? { ts, id } : null;
}

/** A CIDR as a node BlockList, or an error message. */
export function cidrList(text: string): BlockList | string {
  const [addr = '', bits] = text.split('/');
  const family = isIP(addr);
  if (family === 0) return 'not an IP address or CIDR block';
  const max = family === 4 ? 32 : 128;
  const prefix = bits === undefined ? max : Number(bits);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) return `prefix length 0–${max}`;
  const list = new BlockList();
  list.addSubnet(addr, prefix, family === 4 ? 'ipv4' : 'ipv6');
  return list;
}

function inList(list: BlockList, ip: string): boolean {
  const family = isIP(ip);
  return family !== 0 && list.check(ip, family === 4 ? 'ipv4' : 'ipv6');
}

function count<T>(items: readonly T[], key: (t: T) => string | undefined): { value: string; count: number }[] {
  const m = new Map<string, number>();
  for (const i of items) {
    const k = key(i);
    if (k !== undefined && k !== '') m.set(k, (m.get(k) ?? 0) + 1);
  }
  return [...m.entries()].map(([value, n]) => ({ value, count: n })).sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : 1));
}

/** One row of an attacker's timeline: what the table shows, no more. */
function timelineRow(e: GatewayEvent): Record<string, unknown> {
  const h = e.honeygate;
  return {
    id: e.event.id,
    time: e['@timestamp'],
    dataset: e.event.dataset.replace(/^honeygate\./, ''),
    ip: e.source?.ip ?? null,
    surface: h.surface ?? null,
    model: h.model ?? null,
    key_class: h.key?.class ?? null,
    campaign: h.key?.campaign ?? null,
    placement: h.key?.placement ?? null,
    verdict: h.verdict !== undefined ? `${h.verdict.action}/${h.verdict.reason}` : e.event.action,
    status: e.http?.response.status_code ?? null,
    bytes_in: e.http?.request.bytes ?? null,
    bytes_out: e.http?.response.bytes ?? null,
    path: e.url?.path ?? null,
    stream: h.stream ?? null,
  };
}

export function registerInvestigateRoutes(app: FastifyInstance, kit: RouteKit): void {
  const { ctx, withStore, query } = kit;

  app.get('/api/v1/search', async (req, reply) => {
    const q = query(reply, req.query, { cidr: cidrParam, text: textParam, limit: limitParam(500), cursor: cursorParam, order: orderParam });
    if (q === undefined) return reply;
    const extra = q.extra;
    let cursor: PageCursor | undefined;
    if (extra['cursor'] !== undefined) {
      const c = decodeCursor(extra['cursor']);
      if (c === null) return sendError(reply, 400, 'bad_query', 'invalid query parameters', [{ path: 'cursor', message: 'the `next` value of the previous page' }]);
      cursor = c;
    }
    let filter: EventFilter = { ...q.filter, ...(extra['text'] !== undefined ? { text: extra['text'] } : {}) };
    const result = await withStore(reply, async (store) => {
      if (extra['cidr'] !== undefined) {
        const list = cidrList(extra['cidr']);
        if (typeof list === 'string') return { error: list };
        const { sourceIp: _ignored, ...rest } = filter;
        const candidates = await store.sourceIps(rest, 1_000_000);
        const matching = candidates.filter((ip) => inList(list, ip));
        if (matching.length > MAX_CIDR_ADDRESSES) return { error: `${matching.length} addresses in range: at most ${MAX_CIDR_ADDRESSES} (narrow the range or the time)` };
        filter = { ...filter, sourceIps: filter.sourceIp !== undefined ? matching.filter((ip) => ip === filter.sourceIp) : matching };
      }
      const order = extra['order'] === 'asc' ? 'asc' : 'desc';
      return store.queryPage(filter, { limit: Number(extra['limit'] ?? 50), order, ...(cursor !== undefined ? { cursor } : {}) });
    });
    if (result === undefined) return reply;
    if ('error' in result) return sendError(reply, 400, 'bad_query', 'invalid query parameters', [{ path: 'cidr', message: result.error }]);
    return { count: result.events.length, events: result.events, next: result.next !== undefined ? encodeCursor(result.next) : null };
  });

  app.get('/api/v1/attacker', async (req, reply) => {
    const q = query(reply, req.query);
    if (q === undefined) return reply;
    const ip = q.filter.sourceIp;
    const fingerprint = q.filter.fingerprint;
    const client = q.filter.clientId;
    if ([ip, fingerprint, client].filter((x) => x !== undefined).length !== 1) {
      return sendError(reply, 400, 'bad_query', 'invalid query parameters', [{ path: 'ip', message: 'give exactly one of ip (an address), client (a client id across addresses) or fingerprint (a lure key)' }]);
    }
    const range: EventFilter = { ...(q.filter.since !== undefined ? { since: q.filter.since } : {}), ...(q.filter.until !== undefined ? { until: q.filter.until } : {}) };
    const filter: EventFilter = ip !== undefined ? { sourceIp: ip, ...range } : client !== undefined ? { clientId: client, ...range } : { fingerprint: fingerprint ?? '', ...range };
    const data = await withStore(reply, async (store) => {
      const stats = await store.stats(filter);
      // every address of a client or key, counted by the store (not the sample): the indexed column
      const addresses = ip === undefined ? await store.topIps(filter, MAX_ADDRESSES) : [];
      const events = await store.queryEvents(filter, { limit: PROFILE_SAMPLE, order: 'desc' });
      const requests = events.filter((e) => e.event.dataset === 'honeygate.request');
      const lure = requests.filter((e) => e.honeygate.key?.class === 'lure');
      const ips = new Set(requests.map((e) => e.source?.ip).filter((x): x is string => x !== undefined));
      // canaries handed out in the lure replies, and their later uses (by anyone)
      const minted = new Map<string, { token: string; at: string; ip: string | null }>();
      for (const e of lure) for (const token of e.honeygate.lure?.canaries ?? []) if (!minted.has(token)) minted.set(token, { token, at: e['@timestamp'], ip: e.source?.ip ?? null });
      const canaryEvents = await store.queryEvents({ dataset: 'honeygate.canary', ...(filter.since !== undefined ? { since: filter.since } : {}) }, { limit: 5000, order: 'desc' });
      const used = canaryEvents
        .filter((e) => {
          const c = e.honeygate.canary;
          return c !== undefined && (minted.has(c.token) || ips.has(c.minted_for_ip) || (ip !== undefined && e.source?.ip === ip));
        })
        .slice(0, 200)
        .map((e) => ({
          token: e.honeygate.canary?.token ?? '',
          kind: e.honeygate.canary?.kind ?? '',
          via: e.honeygate.canary?.via ?? '',
          minted_for_ip: e.honeygate.canary?.minted_for_ip ?? '',
          used_from: e.source?.ip ?? null,
          at: e['@timestamp'],
        }));
      return { stats, events, requests, lure, used, minted: [...minted.values()].slice(0, 200), addresses };
    });
    if (data === undefined) return reply;
    const { stats, events, requests, lure, used, minted } = data;
    const blocks = await ctx.state.store.listBlocks();
    const addresses = ip !== undefined ? [ip] : data.addresses.map((a) => a.ip);
    const blockState = blocks.filter((b) => b.subject.startsWith('ip:') && addresses.includes(canonicalIp(b.subject.slice(3)) ?? '')).map(blockView);
    const records = allKeyRecords(ctx.state.runtime);
    const keys = count(requests, (e) => e.honeygate.key?.fingerprint).map((k) => {
      const r = records.find((x) => x.fingerprint === k.value);
      return { fingerprint: k.value, requests: k.count, name: r?.name ?? null, class: r?.class ?? null, campaign: r?.campaign ?? null, placement: r?.placement ?? null };
    });
    return {
      subject: ip !== undefined ? { ip } : client !== undefined ? { client } : { fingerprint },
      first: stats.first,
      last: stats.last,
      events: stats.total,
      sampled: events.length,
      requests: requests.length,
      lure_requests: lure.length,
      blocked_requests: requests.filter((e) => e.honeygate.verdict?.action === 'block').length,
      timeline: events.slice(0, TIMELINE_ROWS).map(timelineRow),
      prompts: lure
        .filter((e) => e.honeygate.lure?.prompt !== undefined)
        .slice(0, MAX_PROMPTS)
        .map((e) => ({ time: e['@timestamp'], ip: e.source?.ip ?? null, model: e.honeygate.model ?? null, text: e.honeygate.lure?.prompt ?? '' })),
      canaries: { minted, used },
      clients: count(requests, (e) => (e.honeygate.client !== undefined ? `${e.honeygate.client.name}${e.honeygate.client.version !== undefined ? ` ${e.honeygate.client.version}` : ''}` : undefined)),
      user_agents: count(requests, (e) => e.user_agent?.original).slice(0, 20),
      ips: ip !== undefined ? count(requests, (e) => e.source?.ip) : data.addresses.map((a) => ({ value: a.ip, count: a.count, lure: a.lure, blocked: a.blocked, first: a.first, last: a.last })),
      client_ids: count(requests, (e) => e.honeygate.client?.id).slice(0, 50),
      tools: toolsOf(lure),
      models: count(requests, (e) => e.honeygate.model).slice(0, 20),
      keys,
      campaigns: count(lure, (e) => e.honeygate.key?.campaign),
      placements: count(lure, (e) => e.honeygate.key?.placement),
      blocks: blockState,
      blocked: blockState.length > 0,
    };
  });

  app.get<{ Params: { name: string } }>('/api/v1/campaigns/:name', async (req, reply) => {
    const name = req.params.name;
    if (name.length === 0 || name.length > 256 || /[\u0000-\u001f\u007f]/.test(name)) {
      return sendError(reply, 400, 'bad_request', 'invalid campaign name');
    }
    const q = query(reply, req.query);
    if (q === undefined) return reply;
    const config = ctx.state.runtime.config;
    const planted = new Map<string, string>();
    for (const k of config.keys) if (k.name !== undefined && k.planted !== undefined) planted.set(k.name, k.planted);
    const keys = allKeyRecords(ctx.state.runtime).filter((r) => r.class === 'lure' && r.campaign === name);
    const data = await withStore(reply, async (store) => {
      const report = await campaignReport(store, name, q.filter);
      const firstUses = await Promise.all(
        keys.map(async (k) => {
          const [first] = await store.queryEvents({ dataset: 'honeygate.request', fingerprint: k.fingerprint, keyClass: 'lure' }, { limit: 1, order: 'asc' });
          return { key: k, first };
        }),
      );
      return { report, firstUses };
    });
    if (data === undefined) return reply;
    const { report, firstUses } = data;
    if (keys.length === 0 && report.placements.length === 0) return sendError(reply, 404, 'not_found', 'no such campaign');
    const leaks = firstUses
      .map(({ key, first }) => {
        const plantedAt = planted.get(key.name);
        const firstUse = first?.['@timestamp'] ?? null;
        const plantedMs = plantedAt !== undefined ? Date.parse(plantedAt.length === 10 ? `${plantedAt}T00:00:00Z` : plantedAt) : NaN;
        return {
          key: key.name,
          fingerprint: key.fingerprint,
          placement: key.placement ?? null,
          planted: Number.isFinite(plantedMs) ? new Date(plantedMs).toISOString() : null,
          first_use: firstUse,
          first_use_ip: first?.source?.ip ?? null,
          time_to_first_use_s: firstUse !== null && Number.isFinite(plantedMs) ? Math.round((Date.parse(firstUse) - plantedMs) / 1000) : null,
        };
      })
      .sort((a, b) => (a.first_use ?? '\uffff').localeCompare(b.first_use ?? '\uffff') || a.key.localeCompare(b.key));
    return {
      campaign: name,
      configured: keys.length > 0,
      leaks,
      placements: report.placements,
      attackers: report.attackers,
      truncated: report.truncated,
    };
  });
}
