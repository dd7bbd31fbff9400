/**
 * MISP event (MISP core format, the JSON that "Import from… MISP JSON" and `/events/add` take):
 * one event per export, attributes
 * - `ip-src` (Network activity, to_ids) per attacker address, its comment the lure use and block;
 * - `user-agent` (Network activity) per address and user agent;
 * - `text` (Other) per prompt sent with a lure key (lure traffic only, as recorded);
 * - `pattern-in-traffic` (Network activity, to_ids) per canary URL that came back, `text` for
 *   canary keys (their lookup token: the value itself is never stored);
 * - `ip-src` per network.deny range (blocklist exports);
 * and tags: the TLP, and the MITRE ATT&CK galaxy clusters of the tagged techniques.
 * uuids are deterministic (UUIDv5 from content): importing the same export twice updates.
 */
import type { Intel } from './collect.js';
import { HONEYGATE_NAMESPACE, uuidv5 } from './ids.js';
import type { Tlp } from './stix.js';

export interface MispOptions {
  /** the organisation that created it (Orgc.name) */
  readonly identity: string;
  readonly tlp: Tlp;
  /** event title; default from the time range */
  readonly info?: string;
}

export interface MispAttribute {
  readonly uuid: string;
  readonly type: string;
  readonly category: string;
  readonly value: string;
  readonly to_ids: boolean;
  readonly comment: string;
  readonly timestamp: string;
  readonly first_seen?: string;
  readonly last_seen?: string;
  readonly disable_correlation?: boolean;
}

export interface MispEvent {
  readonly Event: {
    readonly uuid: string;
    readonly info: string;
    readonly date: string;
    readonly timestamp: string;
    readonly published: boolean;
    readonly analysis: '0' | '1' | '2';
    readonly threat_level_id: '1' | '2' | '3' | '4';
    readonly distribution: '0' | '1' | '2' | '3';
    readonly Orgc: { readonly name: string };
    readonly Tag: { readonly name: string }[];
    readonly Attribute: MispAttribute[];
  };
}

const MAX_VALUE = 65_535;

function seconds(ms: number): string {
  return String(Math.floor(ms / 1000));
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function mispEvent(intel: Intel, options: MispOptions): MispEvent {
  const attributes: MispAttribute[] = [];
  const seen = new Set<string>();
  const attribute = (a: Omit<MispAttribute, 'uuid'>): void => {
    const key = `${a.type}\u0000${a.value}\u0000${a.comment}`;
    if (seen.has(key)) return;
    seen.add(key);
    attributes.push({ uuid: uuidv5(HONEYGATE_NAMESPACE, `misp-attribute\u0000${key}`), ...a, value: a.value.slice(0, MAX_VALUE) });
  };
  for (const a of intel.attackers) {
    const parts: string[] = [];
    if (a.lureRequests > 0) parts.push(`${a.lureRequests} lure-key request(s)`);
    if (a.canaryUses > 0) parts.push(`${a.canaryUses} canary use(s)`);
    if (a.campaigns.length > 0) parts.push(`campaigns ${a.campaigns.join(', ')}`);
    if (a.placements.length > 0) parts.push(`placements ${a.placements.join(', ')}`);
    if (a.models.length > 0) parts.push(`models ${a.models.join(', ')}`);
    if (a.block !== undefined) parts.push(`blocked ${iso(a.block.createdAt)} until ${iso(a.block.until)} (${a.block.reason})`);
    attribute({
      type: 'ip-src',
      category: 'Network activity',
      value: a.ip,
      to_ids: true,
      comment: `honeygate: ${parts.join('; ') || 'seen'}`,
      timestamp: seconds(a.last),
      first_seen: iso(a.first),
      last_seen: iso(Math.max(a.last, a.first)),
    });
    for (const ua of a.userAgents) {
      attribute({ type: 'user-agent', category: 'Network activity', value: ua, to_ids: false, comment: `sent by ${a.ip} with a lure key`, timestamp: seconds(a.last) });
    }
    for (const p of a.prompts) {
      attribute({
        type: 'text',
        category: 'Other',
        value: p.text,
        to_ids: false,
        comment: `prompt sent by ${a.ip} with a lure key at ${iso(p.at)}${p.model !== undefined ? ` (model ${p.model})` : ''}`,
        timestamp: seconds(p.at),
        disable_correlation: true,
      });
    }
  }
  for (const c of intel.canaries) {
    const comment = `honeygate canary (${c.kind}) handed to ${c.mintedForIp}${c.campaign !== undefined ? `, campaign ${c.campaign}` : ''}, used ${c.count} time(s) from ${c.usedFrom.join(', ') || 'unknown'}`;
    if (c.via === 'http') {
      attribute({ type: 'pattern-in-traffic', category: 'Network activity', value: c.path ?? `/c/${c.token}`, to_ids: true, comment, timestamp: seconds(c.last), first_seen: iso(c.first), last_seen: iso(c.last) });
    } else {
      attribute({ type: 'text', category: 'Other', value: c.token, to_ids: false, comment: `${comment} (lookup token: sha256 of the key)`, timestamp: seconds(c.last) });
    }
  }
  for (const range of intel.ranges) {
    attribute({ type: 'ip-src', category: 'Network activity', value: range, to_ids: true, comment: 'honeygate network.deny', timestamp: seconds(intel.generatedAt) });
  }
  const tags = [{ name: `tlp:${options.tlp}` }];
  for (const [id, name] of [...intel.techniques.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    // the MISP galaxy names ATT&CK clusters "<name> - <id>" (sub-techniques by their own name)
    const short = name.includes(': ') ? name.slice(name.indexOf(': ') + 2) : name;
    tags.push({ name: `misp-galaxy:mitre-attack-pattern="${short} - ${id}"` });
  }
  const from = intel.since ?? Math.min(...intel.attackers.map((a) => a.first), intel.generatedAt);
  const to = intel.until ?? intel.generatedAt;
  const info = options.info ?? `honeygate: LLM API key abuse seen ${iso(from).slice(0, 16)}Z – ${iso(to).slice(0, 16)}Z`;
  const uuid = uuidv5(HONEYGATE_NAMESPACE, `misp-event\u0000${options.identity}\u0000${info}`);
  return {
    Event: {
      uuid,
      info,
      date: iso(to).slice(0, 10),
      timestamp: seconds(intel.generatedAt),
      published: false,
      analysis: '2',
      threat_level_id: '2',
      distribution: '0',
      Orgc: { name: options.identity },
      Tag: tags,
      Attribute: attributes,
    },
  };
}
