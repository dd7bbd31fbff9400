/**
 * What the intelligence exports (STIX 2.1, MISP) are made of, gathered once from the event store
 * and the live blocks: per attacker address what it did with lure keys (requests, first/last seen,
 * user agents, clients, models, campaigns and placements of the keys it holds, its prompts, the
 * ATT&CK techniques tagged), its block (from when, until when, why), and the canaries that showed
 * up again (where, by whom, how often). Format-free: stix.ts and misp.ts only render it.
 *
 * Bounded: at most `maxEvents` events are read (oldest first, in pages), prompts per attacker are
 * capped; `truncated` says when a limit was reached, so the caller can narrow the time range.
 */
import type { BlockRecord } from '../../store/types.js';
import type { GatewayEvent } from '../model.js';
import { MAX_LIMIT, type EventFilter, type EventStore } from '../store/index.js';

const MAX_EXPORT_EVENTS = 100_000;
const MAX_PROMPTS_PER_ATTACKER = 50;
const MAX_LIST = 20;

export interface PromptIntel {
  readonly at: number;
  readonly text: string;
  readonly model?: string;
  readonly eventId: string;
}

export interface AttackerIntel {
  readonly ip: string;
  /** epoch ms of the first and last event (block creation when there is no event) */
  first: number;
  last: number;
  /** requests made with lure keys */
  lureRequests: number;
  /** canary uses from this address */
  canaryUses: number;
  readonly userAgents: string[];
  readonly clients: string[];
  readonly models: string[];
  readonly campaigns: string[];
  readonly placements: string[];
  /** fingerprints of the lure keys it used */
  readonly keys: string[];
  readonly prompts: PromptIntel[];
  readonly techniques: string[];
  block?: { readonly createdAt: number; readonly until: number; readonly reason: string };
}

export interface CanaryIntel {
  readonly token: string;
  readonly kind: string;
  readonly via: 'http' | 'api_key';
  readonly mintedForIp: string;
  readonly mintedBy: string;
  readonly campaign?: string;
  /** the request path it came back on (http canaries) */
  readonly path?: string;
  readonly usedFrom: string[];
  first: number;
  last: number;
  count: number;
}

export interface Intel {
  readonly since?: number;
  readonly until?: number;
  readonly generatedAt: number;
  readonly attackers: AttackerIntel[];
  readonly canaries: CanaryIntel[];
  /** ATT&CK technique id → name, as tagged on the events */
  readonly techniques: ReadonlyMap<string, string>;
  /** network.deny ranges (blocklist exports only) */
  readonly ranges: readonly string[];
  readonly truncated: boolean;
}

export interface CollectOptions {
  readonly store?: EventStore | undefined;
  readonly blocks: readonly BlockRecord[];
  readonly filter?: EventFilter;
  readonly now: number;
  readonly maxEvents?: number;
  /** network.deny entries to include (blocklist exports) */
  readonly ranges?: readonly string[];
}

function add(list: string[], value: string | undefined): void {
  if (value !== undefined && value !== '' && list.length < MAX_LIST && !list.includes(value)) list.push(value);
}

/** Every event matching `filter`, oldest first, at most `max`; pages by time, de-duplicated by id. */
export async function scanEvents(store: EventStore, filter: EventFilter, max: number): Promise<{ events: GatewayEvent[]; truncated: boolean }> {
  const out: GatewayEvent[] = [];
  const seen = new Set<string>();
  let since = filter.since;
  for (let page = 0; page < 1000 && out.length < max; page++) {
    const batch = await store.queryEvents({ ...filter, ...(since !== undefined ? { since } : {}) }, { limit: Math.min(MAX_LIMIT, max - out.length + 1), order: 'asc' });
    let fresh = 0;
    for (const e of batch) {
      if (seen.has(e.event.id)) continue;
      seen.add(e.event.id);
      fresh++;
      if (out.length < max) out.push(e);
      else return { events: out, truncated: true };
    }
    if (batch.length < Math.min(MAX_LIMIT, max - out.length + 1) || fresh === 0) return { events: out, truncated: false };
    const last = batch.at(-1);
    // the next page starts at the last time seen (inclusive): ids seen already are skipped
    since = last === undefined ? since : Date.parse(last['@timestamp']);
  }
  return { events: out, truncated: out.length >= max };
}

export async function collectIntel(options: CollectOptions): Promise<Intel> {
  const filter = options.filter ?? {};
  const max = options.maxEvents ?? MAX_EXPORT_EVENTS;
  const attackers = new Map<string, AttackerIntel>();
  const techniques = new Map<string, string>();
  const canaries = new Map<string, CanaryIntel>();
  let truncated = false;
  const attacker = (ip: string, at: number): AttackerIntel => {
    let a = attackers.get(ip);
    if (a === undefined) {
      a = { ip, first: at, last: at, lureRequests: 0, canaryUses: 0, userAgents: [], clients: [], models: [], campaigns: [], placements: [], keys: [], prompts: [], techniques: [] };
      attackers.set(ip, a);
    }
    if (at < a.first) a.first = at;
    if (at > a.last) a.last = at;
    return a;
  };
  const tagged = (e: GatewayEvent, a: AttackerIntel): void => {
    const t = e.threat?.technique;
    if (t === undefined) return;
    t.id.forEach((id, i) => {
      add(a.techniques, id);
      if (!techniques.has(id)) techniques.set(id, t.name[i] ?? id);
    });
  };
  if (options.store !== undefined) {
    const lure = await scanEvents(options.store, { ...filter, dataset: 'honeygate.request', keyClass: 'lure' }, max);
    const canary = await scanEvents(options.store, { ...filter, dataset: 'honeygate.canary' }, max);
    truncated = lure.truncated || canary.truncated;
    for (const e of lure.events) {
      const ip = e.source?.ip;
      if (ip === undefined) continue;
      const at = Date.parse(e['@timestamp']);
      const a = attacker(ip, at);
      const h = e.honeygate;
      a.lureRequests++;
      add(a.userAgents, e.user_agent?.original);
      if (h.client !== undefined) add(a.clients, `${h.client.name}${h.client.version !== undefined ? `/${h.client.version}` : ''}`);
      add(a.models, h.model);
      add(a.campaigns, h.key?.campaign);
      add(a.placements, h.key?.placement);
      add(a.keys, h.key?.fingerprint);
      const prompt = h.lure?.prompt;
      if (prompt !== undefined && prompt !== '' && a.prompts.length < MAX_PROMPTS_PER_ATTACKER) {
        a.prompts.push({ at, text: prompt, eventId: e.event.id, ...(h.model !== undefined ? { model: h.model } : {}) });
      }
      tagged(e, a);
    }
    for (const e of canary.events) {
      const c = e.honeygate.canary;
      if (c === undefined) continue;
      const at = Date.parse(e['@timestamp']);
      const ip = e.source?.ip;
      if (ip !== undefined) {
        const a = attacker(ip, at);
        a.canaryUses++;
        add(a.userAgents, e.user_agent?.original);
        tagged(e, a);
      }
      let entry = canaries.get(c.token);
      if (entry === undefined) {
        entry = {
          token: c.token,
          kind: c.kind,
          via: c.via,
          mintedForIp: c.minted_for_ip,
          mintedBy: c.minted_by,
          ...(e.honeygate.key?.campaign !== undefined ? { campaign: e.honeygate.key.campaign } : {}),
          ...(c.via === 'http' && e.url?.path !== undefined ? { path: e.url.path } : {}),
          usedFrom: [],
          first: at,
          last: at,
          count: 0,
        };
        canaries.set(c.token, entry);
      }
      entry.count++;
      if (at < entry.first) entry.first = at;
      if (at > entry.last) entry.last = at;
      if (ip !== undefined) add(entry.usedFrom, ip);
    }
  }
  for (const b of options.blocks) {
    if (!b.subject.startsWith('ip:')) continue;
    const ip = b.subject.slice(3);
    const a = attackers.get(ip) ?? attacker(ip, b.createdAt);
    a.block = { createdAt: b.createdAt, until: b.until, reason: b.reason };
  }
  const sorted = [...attackers.values()].sort((x, y) => x.first - y.first || (x.ip < y.ip ? -1 : 1));
  return {
    ...(filter.since !== undefined ? { since: filter.since } : {}),
    ...(filter.until !== undefined ? { until: filter.until } : {}),
    generatedAt: options.now,
    attackers: sorted,
    canaries: [...canaries.values()].sort((x, y) => x.first - y.first || (x.token < y.token ? -1 : 1)),
    techniques,
    ranges: options.ranges ?? [],
    truncated,
  };
}
