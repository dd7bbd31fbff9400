/**
 * The campaign view (issue 3 part 5): for one campaign, which placement leaked, who used it (source
 * address and client), what they asked (the prompts of their lure requests) and which canaries they
 * touched (canary events, with the address the canary was minted for). Built from the event store's
 * query API over a bounded window of events; no SQL of its own.
 */
import type { GatewayEvent } from './model.js';
import type { EventFilter, EventStore } from './store/index.js';

const SCAN_LIMIT = 10_000;
const PROMPTS_PER_ATTACKER = 5;

export interface PlacementHits {
  readonly placement: string;
  readonly requests: number;
  readonly attackers: number;
  readonly first: string;
  readonly last: string;
}

export interface AttackerReport {
  readonly ip: string;
  readonly placements: string[];
  readonly clients: string[];
  readonly models: string[];
  readonly requests: number;
  readonly blocked: boolean;
  readonly first: string;
  readonly last: string;
  /** the latest prompts, newest first */
  readonly prompts: string[];
  /** canaries handed to this attacker that were used later (by anyone) */
  readonly canariesUsed: { readonly token: string; readonly kind: string; readonly via: string; readonly usedFrom: string; readonly at: string }[];
}

export interface CampaignReport {
  readonly campaign: string;
  readonly placements: PlacementHits[];
  readonly attackers: AttackerReport[];
  /** true when the scan reached its limit: narrow with --since */
  readonly truncated: boolean;
}

function push<T>(list: T[], value: T | undefined, max = 20): void {
  if (value !== undefined && !list.includes(value) && list.length < max) list.push(value);
}

interface MutableAttacker {
  ip: string;
  placements: string[];
  clients: string[];
  models: string[];
  requests: number;
  blocked: boolean;
  first: string;
  last: string;
  prompts: string[];
  canariesUsed: AttackerReport['canariesUsed'];
}

export async function campaignReport(store: EventStore, campaign: string, filter: EventFilter = {}): Promise<CampaignReport> {
  const requests = await store.queryEvents({ ...filter, campaign, dataset: 'honeygate.request', keyClass: 'lure' }, { limit: SCAN_LIMIT, order: 'desc' });
  const canaries = await store.queryEvents({ ...filter, campaign, dataset: 'honeygate.canary' }, { limit: SCAN_LIMIT, order: 'desc' });
  const placements = new Map<string, { requests: number; ips: Set<string>; first: string; last: string }>();
  const attackers = new Map<string, MutableAttacker>();
  const attacker = (ip: string, at: string): MutableAttacker => {
    let a = attackers.get(ip);
    if (!a) {
      a = { ip, placements: [], clients: [], models: [], requests: 0, blocked: false, first: at, last: at, prompts: [], canariesUsed: [] };
      attackers.set(ip, a);
    }
    return a;
  };
  for (const e of requests as GatewayEvent[]) {
    const at = e['@timestamp'];
    const ip = e.source?.ip ?? '?';
    const placement = e.honeygate.key?.placement ?? '(none)';
    const p = placements.get(placement) ?? { requests: 0, ips: new Set<string>(), first: at, last: at };
    p.requests++;
    p.ips.add(ip);
    if (at < p.first) p.first = at;
    if (at > p.last) p.last = at;
    placements.set(placement, p);
    const a = attacker(ip, at);
    a.requests++;
    if (at < a.first) a.first = at;
    if (at > a.last) a.last = at;
    if (e.honeygate.verdict?.action === 'block') a.blocked = true;
    push(a.placements, placement);
    push(a.clients, e.honeygate.client ? `${e.honeygate.client.name}${e.honeygate.client.version ? `/${e.honeygate.client.version}` : ''}` : undefined);
    push(a.models, e.honeygate.model);
    if (e.honeygate.lure?.prompt !== undefined && a.prompts.length < PROMPTS_PER_ATTACKER) a.prompts.push(e.honeygate.lure.prompt);
  }
  for (const e of canaries as GatewayEvent[]) {
    const c = e.honeygate.canary;
    if (!c) continue;
    const a = attacker(c.minted_for_ip, e['@timestamp']);
    if (a.canariesUsed.length < 50) a.canariesUsed.push({ token: c.token, kind: c.kind, via: c.via, usedFrom: e.source?.ip ?? '?', at: e['@timestamp'] });
  }
  return {
    campaign,
    placements: [...placements.entries()]
      .map(([placement, p]) => ({ placement, requests: p.requests, attackers: p.ips.size, first: p.first, last: p.last }))
      .sort((x, y) => y.requests - x.requests),
    attackers: [...attackers.values()].sort((x, y) => y.requests - x.requests),
    truncated: requests.length >= SCAN_LIMIT || canaries.length >= SCAN_LIMIT,
  };
}
