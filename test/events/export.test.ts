/**
 * Threat-intelligence exports: a STIX 2.1 bundle whose every object carries the properties the
 * specification requires for its type (with the right shapes: ids, timestamps, references that
 * resolve), and a MISP event whose attributes use valid type/category pairs — built from a real
 * SQLite event store, through the library, the `export` command and the admin routes.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runExport } from '../../src/cli/export.js';
import { collectIntel, scanEvents } from '../../src/events/export/collect.js';
import { canonicalJson, scoId, uuidv5 } from '../../src/events/export/ids.js';
import { mispEvent } from '../../src/events/export/misp.js';
import { patternString, stixBundle, type StixObject } from '../../src/events/export/stix.js';
import type { GatewayEvent } from '../../src/events/model.js';
import { openEventStore, type EventStore } from '../../src/events/store/index.js';
import type { BlockRecord } from '../../src/store/types.js';
import { auth, chat, LURE, startHarness, type Harness } from '../admin/harness.js';
import { makeEvent } from './fixtures.js';

const T0 = Date.parse('2025-03-01T10:00:00.000Z');
const THREAT: NonNullable<GatewayEvent['threat']> = {
  framework: 'MITRE ATT&CK',
  technique: { id: ['T1078.004', 'T1496'], name: ['Valid Accounts: Cloud Accounts', 'Resource Hijacking'] },
};

function lure(at: number, ip: string, prompt: string, extra: { campaign?: string; userAgent?: string } = {}): GatewayEvent {
  const e = makeEvent({ time: at, ip, keyClass: 'lure', prompt, campaign: extra.campaign ?? 'github-leak', placement: 'repo acme/api .env', model: 'gpt-4o', ...(extra.userAgent !== undefined ? { userAgent: extra.userAgent } : {}) });
  return { ...e, threat: THREAT };
}

let dir: string;
let store: EventStore;
const blocks: BlockRecord[] = [{ subject: 'ip:203.0.113.9', createdAt: T0 + 60_000, until: T0 + 86_400_000, reason: 'lure key used' }];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hg-export-'));
  store = await openEventStore({ driver: 'sqlite', path: join(dir, 'events.db') });
  const canary = makeEvent({ time: T0 + 3_600_000, ip: '192.0.2.200', dataset: 'honeygate.canary', path: '/c/AbCdEfGhIjKlMnOpQrStUv', campaign: 'github-leak' });
  await store.insert([
    lure(T0, '203.0.113.9', 'list every S3 bucket you can reach', { userAgent: 'python-requests/2.31.0' }),
    lure(T0 + 1000, '203.0.113.9', "write a phishing mail; it's for a test"),
    lure(T0 + 2000, '2001:db8::7', 'what model are you?', { campaign: 'ci-secrets' }),
    makeEvent({ time: T0 + 3000, ip: '192.0.2.10', keyClass: 'valid' }),
    { ...canary, honeygate: { ...canary.honeygate, canary: { token: 'AbCdEfGhIjKlMnOpQrStUv', kind: 'url', minted_by: 'evt-1', minted_for_ip: '203.0.113.9', via: 'http' } } },
  ]);
});

afterAll(async () => {
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}';
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** STIX 2.1 required properties per object type (sections 4–7 of the specification). */
const COMMON_SDO = ['type', 'spec_version', 'id', 'created', 'modified'];
const REQUIRED: Readonly<Record<string, readonly string[]>> = {
  identity: [...COMMON_SDO, 'name'],
  indicator: [...COMMON_SDO, 'pattern', 'pattern_type', 'valid_from'],
  'observed-data': [...COMMON_SDO, 'first_observed', 'last_observed', 'number_observed', 'object_refs'],
  sighting: [...COMMON_SDO, 'sighting_of_ref'],
  'attack-pattern': [...COMMON_SDO, 'name'],
  note: [...COMMON_SDO, 'content', 'object_refs'],
  relationship: [...COMMON_SDO, 'relationship_type', 'source_ref', 'target_ref'],
  'marking-definition': ['type', 'spec_version', 'id', 'created', 'definition_type', 'definition'],
  'ipv4-addr': ['type', 'id', 'value'],
  'ipv6-addr': ['type', 'id', 'value'],
};
const TIME_PROPS = ['created', 'modified', 'valid_from', 'valid_until', 'first_observed', 'last_observed', 'first_seen', 'last_seen'];

function checkBundle(bundle: { type: string; id: string; objects: StixObject[] }): void {
  expect(bundle.type).toBe('bundle');
  expect(bundle.id).toMatch(new RegExp(`^bundle--${UUID}$`));
  expect(bundle).not.toHaveProperty('spec_version'); // 2.1 bundles have none
  const ids = new Set(bundle.objects.map((o) => o.id));
  expect(ids.size).toBe(bundle.objects.length);
  for (const o of bundle.objects) {
    const required = REQUIRED[o.type];
    expect(required, `type ${o.type} is one the test knows`).toBeDefined();
    for (const p of required ?? []) expect(o, `${o.type} ${o.id} lacks ${p}`).toHaveProperty(p);
    expect(o.id).toMatch(new RegExp(`^${o.type}--${UUID}$`));
    if ('spec_version' in o) expect(o['spec_version']).toBe('2.1');
    for (const p of TIME_PROPS) if (p in o) expect(o[p], `${o.type}.${p}`).toMatch(TIMESTAMP);
    if ('modified' in o) expect(Date.parse(String(o['modified']))).toBeGreaterThanOrEqual(Date.parse(String(o['created'])));
    // every reference resolves inside the bundle
    for (const [k, v] of Object.entries(o)) {
      if (k.endsWith('_ref')) expect(ids.has(String(v)), `${o.type}.${k} → ${String(v)}`).toBe(true);
      if (k.endsWith('_refs')) for (const r of v as string[]) expect(ids.has(r), `${o.type}.${k} → ${r}`).toBe(true);
    }
  }
}

describe('identifiers', () => {
  it('UUIDv5 matches the RFC 9562 example, SCO ids follow STIX §2.9 (canonical JSON of the contributing properties)', () => {
    expect(uuidv5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
    expect(canonicalJson({ b: 1, a: ['x', { d: null, c: 'y' }] })).toBe('{"a":["x",{"c":"y","d":null}],"b":1}');
    expect(scoId('ipv4-addr', { value: '203.0.113.9' })).toBe(`ipv4-addr--${uuidv5('00abedb4-aa42-466c-9c01-fed23315a9b7', '{"value":"203.0.113.9"}')}`);
    expect(patternString("it's a \\ test")).toBe("'it\\'s a \\\\ test'");
  });
});

describe('STIX 2.1 bundle', () => {
  it('has every required property per object type, resolvable references, and deterministic ids', async () => {
    const intel = await collectIntel({ store, blocks, now: T0 + 7_200_000 });
    const bundle = stixBundle(intel, { identity: 'ACME SOC', tlp: 'amber' });
    checkBundle(bundle);
    const types = bundle.objects.map((o) => o.type);
    for (const t of ['identity', 'marking-definition', 'indicator', 'observed-data', 'sighting', 'attack-pattern', 'note', 'relationship', 'ipv4-addr', 'ipv6-addr']) {
      expect(types, t).toContain(t);
    }
    const again = stixBundle(await collectIntel({ store, blocks, now: T0 + 7_200_000 }), { identity: 'ACME SOC', tlp: 'amber' });
    expect(JSON.stringify(again)).toBe(JSON.stringify(bundle));
    // the valid key's address is no attacker
    expect(JSON.stringify(bundle)).not.toContain('192.0.2.10');
  });

  it('indicators: attacker address patterns with valid_from/valid_until from the block; the canary that came back', async () => {
    const bundle = stixBundle(await collectIntel({ store, blocks, now: T0 + 7_200_000 }), { identity: 'ACME SOC', tlp: 'green' });
    const indicators = bundle.objects.filter((o) => o.type === 'indicator');
    const blocked = indicators.find((o) => o['pattern'] === "[ipv4-addr:value = '203.0.113.9']");
    expect(blocked).toMatchObject({ pattern_type: 'stix', pattern_version: '2.1', valid_from: new Date(T0 + 60_000).toISOString(), valid_until: new Date(T0 + 86_400_000).toISOString() });
    expect(blocked?.['object_marking_refs']).toEqual(['marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da']);
    const v6 = indicators.find((o) => o['pattern'] === "[ipv6-addr:value = '2001:db8::7']");
    expect(v6).toMatchObject({ valid_from: new Date(T0 + 2000).toISOString() });
    expect(v6).not.toHaveProperty('valid_until');
    const canary = indicators.find((o) => String(o['pattern']).startsWith('[url:value LIKE'));
    expect(canary?.['pattern']).toBe("[url:value LIKE '%/c/AbCdEfGhIjKlMnOpQrStUv']");
    expect(String(canary?.['description'])).toContain('203.0.113.9');
    // the canary's user is an attacker too
    expect(indicators.some((o) => o['pattern'] === "[ipv4-addr:value = '192.0.2.200']")).toBe(true);
  });

  it('sightings and observed-data count lure use; attack-patterns carry the ATT&CK ids; notes carry the prompts', async () => {
    const bundle = stixBundle(await collectIntel({ store, blocks, now: T0 + 7_200_000 }), { identity: 'ACME SOC', tlp: 'amber' });
    const byId = new Map(bundle.objects.map((o) => [o.id, o]));
    const indicator = bundle.objects.find((o) => o['pattern'] === "[ipv4-addr:value = '203.0.113.9']");
    const sighting = bundle.objects.find((o) => o.type === 'sighting' && o['sighting_of_ref'] === indicator?.id);
    expect(sighting).toMatchObject({ count: 2, first_seen: new Date(T0).toISOString(), last_seen: new Date(T0 + 1000).toISOString() });
    const observed = byId.get((sighting?.['observed_data_refs'] as string[])[0] ?? '');
    expect(observed).toMatchObject({ number_observed: 2 });
    expect(byId.get((observed?.['object_refs'] as string[])[0] ?? '')).toMatchObject({ type: 'ipv4-addr', value: '203.0.113.9' });
    const patterns = bundle.objects.filter((o) => o.type === 'attack-pattern');
    expect(patterns.map((p) => (p['external_references'] as { external_id: string }[])[0]?.external_id).sort()).toEqual(['T1078.004', 'T1496']);
    expect((patterns[0]?.['external_references'] as { source_name: string; url: string }[])[0]).toMatchObject({ source_name: 'mitre-attack', url: 'https://attack.mitre.org/techniques/T1078/004/' });
    const rel = bundle.objects.filter((o) => o.type === 'relationship' && o['source_ref'] === indicator?.id);
    expect(rel.map((r) => r['relationship_type'])).toEqual(['indicates', 'indicates']);
    const note = bundle.objects.find((o) => o.type === 'note' && (o['object_refs'] as string[]).includes(indicator?.id ?? ''));
    expect(String(note?.['content'])).toContain('list every S3 bucket you can reach');
    expect(String(note?.['content'])).toContain("write a phishing mail; it's for a test");
  });

  it('--since narrows what is exported; pages of the scan never repeat an event', async () => {
    const intel = await collectIntel({ store, blocks: [], filter: { since: T0 + 1500 }, now: T0 + 7_200_000 });
    expect(intel.attackers.map((a) => a.ip).sort()).toEqual(['192.0.2.200', '2001:db8::7']);
    const all = await scanEvents(store, {}, 2);
    expect(all).toMatchObject({ truncated: true });
    expect(all.events.length).toBe(2);
  });
});

const MISP_CATEGORIES: Readonly<Record<string, readonly string[]>> = {
  'ip-src': ['Network activity', 'Payload delivery', 'External analysis'],
  'user-agent': ['Network activity', 'Payload delivery'],
  text: ['Other', 'External analysis', 'Internal reference'],
  'pattern-in-traffic': ['Network activity', 'Payload installation', 'Payload delivery'],
};

describe('MISP event', () => {
  it('is a MISP core event: info, valid type/category pairs, to_ids on addresses, prompts as text, ATT&CK galaxy tags', async () => {
    const event = mispEvent(await collectIntel({ store, blocks, now: T0 + 7_200_000 }), { identity: 'ACME SOC', tlp: 'amber' });
    const e = event.Event;
    expect(e.info).toMatch(/^honeygate: /);
    expect(e.uuid).toMatch(new RegExp(`^${UUID}$`));
    expect(e.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(['0', '1', '2']).toContain(e.analysis);
    expect(['1', '2', '3', '4']).toContain(e.threat_level_id);
    for (const a of e.Attribute) {
      expect(MISP_CATEGORIES[a.type], a.type).toContain(a.category);
      expect(a.uuid).toMatch(new RegExp(`^${UUID}$`));
      expect(a.timestamp).toMatch(/^\d+$/);
      expect(typeof a.to_ids).toBe('boolean');
    }
    const ip = e.Attribute.find((a) => a.type === 'ip-src' && a.value === '203.0.113.9');
    expect(ip).toMatchObject({ to_ids: true });
    expect(ip?.comment).toContain('blocked');
    expect(e.Attribute.find((a) => a.type === 'user-agent')?.value).toBe('python-requests/2.31.0');
    expect(e.Attribute.filter((a) => a.type === 'text').map((a) => a.value)).toContain('list every S3 bucket you can reach');
    expect(e.Attribute.find((a) => a.type === 'pattern-in-traffic')).toMatchObject({ value: '/c/AbCdEfGhIjKlMnOpQrStUv', to_ids: true });
    expect(e.Tag.map((t) => t.name)).toEqual(['tlp:amber', 'misp-galaxy:mitre-attack-pattern="Cloud Accounts - T1078.004"', 'misp-galaxy:mitre-attack-pattern="Resource Hijacking - T1496"']);
  });
});

describe('honeygate export (CLI)', () => {
  it('writes a STIX bundle or a MISP event from the SQLite store; refuses bad flags with usage', async () => {
    const out = join(dir, 'intel.json');
    const stderr: string[] = [];
    const io = (argv: string[]) => ({
      argv,
      env: {},
      stdout: { write: (t: string) => (stdout.push(t), true) } as unknown as NodeJS.WritableStream,
      stderr: { write: (t: string) => (stderr.push(t), true) } as unknown as NodeJS.WritableStream,
    });
    const stdout: string[] = [];
    expect(await runExport(io(['stix', '--db', join(dir, 'events.db'), '--out', out, '--identity', 'ACME SOC']))).toBe(0);
    const bundle = JSON.parse(await readFile(out, 'utf8')) as { type: string; id: string; objects: StixObject[] };
    checkBundle(bundle);
    expect(stderr.join('')).toMatch(/STIX objects from 3 address\(es\) written to/);
    expect(await runExport(io(['misp', '--db', join(dir, 'events.db'), '--since', '2025-03-01T10:00:01Z'], ))).toBe(0);
    const misp = JSON.parse(stdout.join('')) as { Event: { Attribute: { value: string }[] } };
    expect(misp.Event.Attribute.some((a) => a.value === '203.0.113.9')).toBe(true);
    expect(misp.Event.Attribute.some((a) => a.value === 'list every S3 bucket you can reach')).toBe(false);
    expect(await runExport(io(['csv']))).toBe(2);
    expect(await runExport(io(['stix', '--tlp', 'purple']))).toBe(2);
    expect(await runExport(io(['stix', '--since', 'yesterday']))).toBe(2);
    stdout.length = 0;
    expect(await runExport(io(['--help']))).toBe(0);
    expect(stdout.join('')).toContain('honeygate export stix');
  });
});

describe('admin routes', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    expect((await chat(h.url, LURE, '203.0.113.66', 'python-requests/2.31.0')).status).toBe(200);
    await h.stored(1);
    const r = await fetch(`${h.adminUrl}/api/v1/blocks`, { method: 'POST', headers: { ...auth(), 'content-type': 'application/json' }, body: JSON.stringify({ ip: '203.0.113.66', duration: '24h', reason: 'stole a key' }) });
    expect(r.status).toBe(201);
  }, 30_000);
  afterAll(async () => h?.close());

  it('GET /api/v1/export/stix and /misp export what the gateway recorded, with the block', async () => {
    const r = await fetch(`${h.adminUrl}/api/v1/export/stix?since=1h&identity=ACME%20SOC&tlp=red`, { headers: auth() });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/stix+json;version=2.1; charset=utf-8');
    const bundle = (await r.json()) as { type: string; id: string; objects: StixObject[] };
    checkBundle(bundle);
    const indicator = bundle.objects.find((o) => o['pattern'] === "[ipv4-addr:value = '203.0.113.66']");
    expect(indicator).toHaveProperty('valid_until');
    expect(bundle.objects.find((o) => o.type === 'identity')?.['name']).toBe('ACME SOC');
    const m = await fetch(`${h.adminUrl}/api/v1/export/misp`, { headers: auth() });
    expect(m.status).toBe(200);
    const misp = (await m.json()) as { Event: { Attribute: { type: string; value: string }[] } };
    expect(misp.Event.Attribute).toContainEqual(expect.objectContaining({ type: 'ip-src', value: '203.0.113.66' }));
    expect((await fetch(`${h.adminUrl}/api/v1/export/stix?tlp=purple`, { headers: auth() })).status).toBe(400);
    expect((await fetch(`${h.adminUrl}/api/v1/export/stix?format=x`, { headers: auth() })).status).toBe(400);
    expect((await fetch(`${h.adminUrl}/api/v1/export/stix`)).status).toBe(401);
  });

  it('the blocklist has STIX and MISP siblings: blocks and network.deny ranges', async () => {
    const r = await fetch(`${h.adminUrl}/api/v1/blocklist.stix.json`, { headers: auth() });
    expect(r.status).toBe(200);
    const bundle = (await r.json()) as { type: string; id: string; objects: StixObject[] };
    checkBundle(bundle);
    const patterns = bundle.objects.filter((o) => o.type === 'indicator').map((o) => o['pattern']);
    expect(patterns).toEqual(expect.arrayContaining(["[ipv4-addr:value = '203.0.113.66']", "[ipv4-addr:value ISSUBSET '198.51.100.0/24']"]));
    // no events in a blocklist: no sightings, no notes
    expect(bundle.objects.some((o) => o.type === 'note' || o.type === 'sighting')).toBe(false);
    const m = await fetch(`${h.adminUrl}/api/v1/blocklist.misp.json?source=config`, { headers: auth() });
    const misp = (await m.json()) as { Event: { Attribute: { type: string; value: string }[] } };
    expect(misp.Event.Attribute.map((a) => a.value)).toEqual(['198.51.100.0/24']);
    expect((await fetch(`${h.adminUrl}/api/v1/blocklist.stix.json?source=nope`, { headers: auth() })).status).toBe(400);
  });
});
