/**
 * STIX 2.1 bundle (OASIS CS03) of what lure traffic taught:
 * - `identity`: the operator (created_by_ref of everything, where_sighted_ref of the sightings);
 * - `marking-definition`: the TLP marking of every object (the spec's predefined TLP 1.0 objects);
 * - `ipv4-addr` / `ipv6-addr`: each attacker address (SCO ids per §2.9, so they merge across feeds);
 * - `indicator` per attacker address, `[ipv4-addr:value = '…']`, valid_from the block's start (or
 *   the first lure use), valid_until the block's end; per network.deny range an ISSUBSET pattern;
 *   per canary that showed up again, a pattern matching its use (URL path or key token);
 * - `observed-data` + `sighting` of each address's lure use (first/last seen, count);
 * - `attack-pattern` for each ATT&CK technique the events were tagged with, and `relationship`s
 *   indicator → indicates → attack-pattern;
 * - `note` carrying the prompts an address sent with the lure keys (lure traffic only).
 *
 * Ids are deterministic (UUIDv5 from content, ids.ts): exporting twice names each object once.
 * Times are UTC with millisecond precision (§3.2). Every required property of each type is set;
 * test/events/export.test.ts checks them per type.
 */
import type { AttackerIntel, CanaryIntel, Intel } from './collect.js';
import { objectId, scoId } from './ids.js';

export type Tlp = 'clear' | 'green' | 'amber' | 'red';

/** STIX 2.1 §7.2.1.4: the predefined TLP marking definitions (TLP 1.0 names; `clear` is TLP:WHITE). */
const TLP_MARKINGS: Readonly<Record<Tlp, { id: string; name: string; tlp: string }>> = {
  clear: { id: 'marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9', name: 'TLP:WHITE', tlp: 'white' },
  green: { id: 'marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da', name: 'TLP:GREEN', tlp: 'green' },
  amber: { id: 'marking-definition--f88d31f6-486f-44da-b317-01333bde0b82', name: 'TLP:AMBER', tlp: 'amber' },
  red: { id: 'marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed', name: 'TLP:RED', tlp: 'red' },
};

/** created/modified of objects that do not come from events (identity, attack patterns): fixed, so ids and content stay stable. */
const EPOCH = '2024-01-01T00:00:00.000Z';

export interface StixOptions {
  /** the operator's name (identity.name) */
  readonly identity: string;
  readonly tlp: Tlp;
}

export type StixObject = Record<string, unknown> & { readonly type: string; readonly id: string };

export interface StixBundle {
  readonly type: 'bundle';
  readonly id: string;
  readonly objects: StixObject[];
}

export const STIX_MEDIA_TYPE = 'application/stix+json;version=2.1';

function stixTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** A string literal in a STIX pattern: `\` and `'` escaped (§9.2). */
export function patternString(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

function ipType(ip: string): 'ipv4-addr' | 'ipv6-addr' {
  return ip.includes(':') ? 'ipv6-addr' : 'ipv4-addr';
}

function techniqueUrl(id: string): string {
  return `https://attack.mitre.org/techniques/${id.replace('.', '/')}/`;
}

function summary(a: AttackerIntel): string {
  const parts: string[] = [];
  if (a.lureRequests > 0) parts.push(`${a.lureRequests} request(s) with lure API keys`);
  if (a.canaryUses > 0) parts.push(`${a.canaryUses} use(s) of canary values handed out to lure users`);
  if (a.campaigns.length > 0) parts.push(`campaigns: ${a.campaigns.join(', ')}`);
  if (a.placements.length > 0) parts.push(`placements: ${a.placements.join(', ')}`);
  if (a.models.length > 0) parts.push(`models asked for: ${a.models.join(', ')}`);
  if (a.clients.length > 0) parts.push(`clients: ${a.clients.join(', ')}`);
  if (a.block !== undefined) parts.push(`blocked until ${stixTime(a.block.until)}: ${a.block.reason}`);
  return parts.join('; ') || 'seen by honeygate';
}

/** Pattern matching a later use of a canary: its URL path, or (keys) its lookup token. */
function canaryPattern(c: CanaryIntel): string {
  if (c.via === 'http') return `[url:value LIKE ${patternString(`%${c.path ?? `/c/${c.token}`}`)}]`;
  return `[x-honeygate-canary:token = ${patternString(c.token)}]`;
}

export function stixBundle(intel: Intel, options: StixOptions): StixBundle {
  const marking = TLP_MARKINGS[options.tlp];
  const identityId = objectId('identity', options.identity);
  const common = (created: string, modified: string = created): Record<string, unknown> => ({
    spec_version: '2.1',
    created,
    modified,
    created_by_ref: identityId,
    object_marking_refs: [marking.id],
  });
  const objects: StixObject[] = [
    {
      type: 'marking-definition',
      spec_version: '2.1',
      id: marking.id,
      created: '2017-01-20T00:00:00.000Z',
      definition_type: 'tlp',
      name: marking.name,
      definition: { tlp: marking.tlp },
    },
    {
      type: 'identity',
      spec_version: '2.1',
      id: identityId,
      created: EPOCH,
      modified: EPOCH,
      name: options.identity,
      identity_class: 'organization',
      description: 'Operator of a honeygate LLM API deception gateway',
      object_marking_refs: [marking.id],
    },
  ];
  const patterns = new Map<string, string>();
  for (const [id, name] of [...intel.techniques.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const apId = objectId('attack-pattern', 'mitre-attack', id);
    patterns.set(id, apId);
    objects.push({
      type: 'attack-pattern',
      id: apId,
      ...common(EPOCH),
      name,
      external_references: [{ source_name: 'mitre-attack', external_id: id, url: techniqueUrl(id) }],
    });
  }

  for (const a of intel.attackers) {
    const type = ipType(a.ip);
    const sco = { type, spec_version: '2.1', id: scoId(type, { value: a.ip }), value: a.ip };
    objects.push(sco);
    const validFrom = a.block?.createdAt ?? a.first;
    const created = stixTime(Math.min(a.first, validFrom));
    const modified = stixTime(Math.max(a.last, validFrom, a.block?.createdAt ?? 0));
    const indicatorId = objectId('indicator', type, a.ip);
    objects.push({
      type: 'indicator',
      id: indicatorId,
      ...common(created, modified),
      name: `LLM API key abuse from ${a.ip}`,
      description: summary(a),
      indicator_types: ['malicious-activity'],
      pattern: `[${type}:value = ${patternString(a.ip)}]`,
      pattern_type: 'stix',
      pattern_version: '2.1',
      valid_from: stixTime(validFrom),
      ...(a.block !== undefined && a.block.until > validFrom ? { valid_until: stixTime(a.block.until) } : {}),
      labels: ['honeygate', ...(a.lureRequests > 0 ? ['lure-key-use'] : []), ...(a.canaryUses > 0 ? ['canary-use'] : [])],
    });
    for (const t of a.techniques) {
      const target = patterns.get(t);
      if (target === undefined) continue;
      objects.push({
        type: 'relationship',
        id: objectId('relationship', indicatorId, 'indicates', target),
        ...common(created, modified),
        relationship_type: 'indicates',
        source_ref: indicatorId,
        target_ref: target,
      });
    }
    const uses = a.lureRequests + a.canaryUses;
    if (uses > 0) {
      const observedId = objectId('observed-data', type, a.ip);
      objects.push({
        type: 'observed-data',
        id: observedId,
        ...common(stixTime(a.first), stixTime(a.last)),
        first_observed: stixTime(a.first),
        last_observed: stixTime(a.last),
        number_observed: uses,
        object_refs: [sco.id],
      });
      objects.push({
        type: 'sighting',
        id: objectId('sighting', indicatorId),
        ...common(stixTime(a.first), stixTime(a.last)),
        sighting_of_ref: indicatorId,
        observed_data_refs: [observedId],
        where_sighted_refs: [identityId],
        first_seen: stixTime(a.first),
        last_seen: stixTime(a.last),
        count: uses,
        description: summary(a),
      });
      if (a.prompts.length > 0) {
        objects.push({
          type: 'note',
          id: objectId('note', type, a.ip, 'prompts'),
          ...common(stixTime(a.prompts[0]?.at ?? a.first), stixTime(a.prompts.at(-1)?.at ?? a.last)),
          abstract: `What ${a.ip} asked with lure API keys (${a.prompts.length} prompt(s))`,
          content: a.prompts.map((p) => `[${stixTime(p.at)}]${p.model !== undefined ? ` (${p.model})` : ''} ${p.text}`).join('\n\n'),
          authors: [options.identity],
          object_refs: [indicatorId, observedId],
        });
      }
    }
  }

  for (const c of intel.canaries) {
    const indicatorId = objectId('indicator', 'canary', c.token);
    objects.push({
      type: 'indicator',
      id: indicatorId,
      ...common(stixTime(c.first), stixTime(c.last)),
      name: `honeygate canary ${c.kind} used again`,
      description: `A ${c.kind} canary handed out to ${c.mintedForIp} in a lure reply${c.campaign !== undefined ? ` (campaign ${c.campaign})` : ''} was used ${c.count} time(s) via ${c.via}, from ${c.usedFrom.join(', ') || 'unknown'}. Whoever presents it holds data stolen from a decoy.`,
      indicator_types: ['compromised'],
      pattern: canaryPattern(c),
      pattern_type: 'stix',
      pattern_version: '2.1',
      valid_from: stixTime(c.first),
      labels: ['honeygate', 'canary', c.kind],
    });
    objects.push({
      type: 'sighting',
      id: objectId('sighting', indicatorId),
      ...common(stixTime(c.first), stixTime(c.last)),
      sighting_of_ref: indicatorId,
      where_sighted_refs: [identityId],
      first_seen: stixTime(c.first),
      last_seen: stixTime(c.last),
      count: c.count,
    });
  }

  const addresses = new Set(intel.attackers.map((a) => a.ip));
  for (const range of intel.ranges) {
    if (addresses.has(range)) continue;
    const type = ipType(range);
    const at = stixTime(intel.generatedAt);
    objects.push({
      type: 'indicator',
      id: objectId('indicator', type, range),
      ...common(at),
      name: `Denied network ${range}`,
      description: 'network.deny of the honeygate config',
      indicator_types: ['malicious-activity'],
      pattern: range.includes('/') ? `[${type}:value ISSUBSET ${patternString(range)}]` : `[${type}:value = ${patternString(range)}]`,
      pattern_type: 'stix',
      pattern_version: '2.1',
      valid_from: at,
      labels: ['honeygate', 'network-deny'],
    });
  }
  const bundleId = objectId('bundle', ...objects.map((o) => `${o.id}@${String(o['modified'] ?? o['created'] ?? '')}`));
  return { type: 'bundle', id: bundleId, objects };
}
