/**
 * The admin JSON API against a real gateway and a real SQLite event store: events and summaries
 * from real requests, blocks that hold on the public listener (OpenAI's insufficient_quota 429 with
 * a valid key) until unblocked, the blocklist export formats, keys and campaigns without secrets,
 * and malformed, oversized and hostile input on every route.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayEvent } from '../../src/events/model.js';
import { auth, chat, LURE, LURE2, rawHttp, startHarness, TOKEN, VALID, type Harness } from './harness.js';

let h: Harness;

const get = async (path: string): Promise<{ status: number; body: unknown }> => {
  const res = await fetch(`${h.adminUrl}${path}`, { headers: auth() });
  const text = await res.text();
  return { status: res.status, body: text === '' ? null : (JSON.parse(text) as unknown) };
};
const send = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> => {
  const res = await fetch(`${h.adminUrl}${path}`, {
    method,
    headers: { ...auth(), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed };
};

beforeAll(async () => {
  h = await startHarness(undefined, { auth: { maxFailures: 1000 } });
  // real traffic: 3 valid, 4 lure (2 campaigns, 2 IPs), 2 invalid, 1 missing
  for (let i = 0; i < 3; i++) expect((await chat(h.url, VALID, '192.0.2.10')).status).toBe(200);
  for (let i = 0; i < 3; i++) expect((await chat(h.url, LURE, '203.0.113.66', 'python-requests/2.31.0')).status).toBe(200);
  expect((await chat(h.url, LURE2, '203.0.113.77', 'curl/8.5.0')).status).toBe(200);
  for (let i = 0; i < 2; i++) expect((await chat(h.url, 'sk-proj-not-a-real-key-000000000000000000', '203.0.113.88')).status).toBe(401);
  expect((await fetch(`${h.url}/v1/models`, { headers: { 'x-forwarded-for': '203.0.113.99' } })).status).toBe(401);
  expect(await h.stored(10)).toBe(10);
});
afterAll(async () => {
  await h.close();
});

describe('events and summaries', () => {
  it('queries events with filters, newest first, limit and order', async () => {
    const all = await get('/api/v1/events?limit=100');
    expect(all.status).toBe(200);
    const body = all.body as { count: number; events: GatewayEvent[] };
    expect(body.count).toBe(10);
    const times = body.events.map((e) => e['@timestamp']);
    expect([...times].sort().reverse()).toEqual(times);

    const lure = (await get('/api/v1/events?class=lure&campaign=github-leak')).body as { events: GatewayEvent[] };
    expect(lure.events).toHaveLength(3);
    for (const e of lure.events) {
      expect(e.honeygate.key?.campaign).toBe('github-leak');
      expect(e.source?.ip).toBe('203.0.113.66');
    }
    const byIp = (await get('/api/v1/events?ip=203.0.113.77')).body as { events: GatewayEvent[] };
    expect(byIp.events).toHaveLength(1);
    const asc = (await get('/api/v1/events?limit=2&order=asc')).body as { events: GatewayEvent[] };
    expect(asc.events).toHaveLength(2);
    expect((asc.events[0]?.['@timestamp'] ?? '') <= (asc.events[1]?.['@timestamp'] ?? '')).toBe(true);
    const none = (await get('/api/v1/events?since=2000-01-01T00:00:00Z&until=2000-01-02T00:00:00Z')).body as { count: number };
    expect(none.count).toBe(0);
    const recent = (await get('/api/v1/events?since=1h&verdict=reject')).body as { count: number };
    expect(recent.count).toBe(3);
  });

  it('no event carries a raw key', async () => {
    const text = JSON.stringify((await get('/api/v1/events?limit=1000')).body);
    for (const secret of [VALID, LURE, LURE2, TOKEN]) expect(text).not.toContain(secret);
  });

  it('stats, top IPs, top campaigns, top clients', async () => {
    const stats = (await get('/api/v1/stats')).body as { total: number; byKeyClass: Record<string, number> };
    expect(stats.total).toBe(10);
    expect(stats.byKeyClass).toEqual({ valid: 3, lure: 4, invalid: 2, missing: 1 });
    const ips = (await get('/api/v1/stats/ips?class=lure')).body as { ips: { ip: string; count: number; lure: number }[] };
    expect(ips.ips.map((r) => [r.ip, r.count, r.lure])).toEqual([
      ['203.0.113.66', 3, 3],
      ['203.0.113.77', 1, 1],
    ]);
    const campaigns = (await get('/api/v1/stats/campaigns')).body as { campaigns: { campaign: string; count: number }[] };
    expect(campaigns.campaigns.map((c) => [c.campaign, c.count])).toEqual([
      ['github-leak', 3],
      ['ci-secrets', 1],
    ]);
    const clients = (await get('/api/v1/stats/clients?class=lure')).body as { sampled: number; clients: { name: string; count: number }[] };
    expect(clients.sampled).toBe(4);
    expect(clients.clients.map((c) => [c.name, c.count])).toEqual([
      ['python-requests', 3],
      ['curl', 1],
    ]);
  });

  it('timeline by key class on a fixed grid', async () => {
    const t = (await get('/api/v1/stats/timeline?since=10m&bucket=1m')).body as {
      bucket_ms: number;
      buckets: { start: string; valid: number; lure: number; invalid: number; missing: number }[];
    };
    expect(t.bucket_ms).toBe(60_000);
    expect(t.buckets.length).toBeGreaterThanOrEqual(10);
    expect(t.buckets.length).toBeLessThanOrEqual(11);
    const sum = (k: 'valid' | 'lure' | 'invalid' | 'missing'): number => t.buckets.reduce((a, b) => a + b[k], 0);
    expect([sum('valid'), sum('lure'), sum('invalid'), sum('missing')]).toEqual([3, 4, 2, 1]);
    const only = (await get('/api/v1/stats/timeline?since=10m&bucket=1m&class=lure')).body as typeof t;
    expect(only.buckets.reduce((a, b) => a + b.lure + b.valid, 0)).toBe(4);
  });

  it('refuses malformed queries, naming the parameter', async () => {
    const cases: [string, string][] = [
      ['/api/v1/events?limit=0', 'limit'],
      ['/api/v1/events?limit=1001', 'limit'],
      ['/api/v1/events?limit=-1', 'limit'],
      ['/api/v1/events?limit=1e3', 'limit'],
      ['/api/v1/events?limit=abc', 'limit'],
      ['/api/v1/events?order=sideways', 'order'],
      ['/api/v1/events?class=admin', 'class'],
      ['/api/v1/events?since=yesterday', 'since'],
      ['/api/v1/events?since=1700000000000', 'since'],
      ['/api/v1/events?since=2025-13-45T99:99:99Z', 'since'],
      ['/api/v1/events?since=1h&until=2h', 'until'],
      ['/api/v1/events?ip=999.1.1.1', 'ip'],
      ['/api/v1/events?ip=10.0.0.0/8', 'ip'],
      ['/api/v1/events?fingerprint=sha256:XYZ', 'fingerprint'],
      ['/api/v1/events?status=99', 'status'],
      ['/api/v1/events?dataset=honeygate.request', 'dataset'],
      ['/api/v1/events?campaign=', 'campaign'],
      [`/api/v1/events?model=${'m'.repeat(300)}`, 'model'],
      ['/api/v1/events?clas=lure', 'clas'],
      ['/api/v1/events?class=lure&class=valid', 'class'],
      ['/api/v1/events?__proto__=x', '__proto__'],
      ['/api/v1/events?constructor=x', 'constructor'],
      ['/api/v1/stats?limit=5', 'limit'],
      ['/api/v1/stats/ips?limit=100000', 'limit'],
      ['/api/v1/stats/timeline?bucket=1ms', 'bucket'],
      ['/api/v1/stats/timeline?bucket=abc', 'bucket'],
      ['/api/v1/stats/timeline?bucket=1s&since=7d', 'bucket'],
      ['/api/v1/campaigns?verdict=maybe', 'verdict'],
    ];
    for (const [path, param] of cases) {
      const r = await get(path);
      expect(r.status, path).toBe(400);
      const error = (r.body as { error: { code: string; issues: { path: string }[] } }).error;
      expect(error.code, path).toBe('bad_query');
      expect(error.issues.map((i) => i.path), path).toContain(param);
    }
  });

  it('hostile filter values are data, not SQL', async () => {
    for (const v of ["' OR 1=1 --", '"; DROP TABLE honeygate_events; --', '\u0000', '%00', '😈'.repeat(50)]) {
      const r = await get(`/api/v1/events?campaign=${encodeURIComponent(v)}`);
      expect(r.status, v).toBe(200);
      expect((r.body as { count: number }).count).toBe(0);
    }
    expect(((await get('/api/v1/stats')).body as { total: number }).total).toBeGreaterThanOrEqual(10);
  });
});

describe('keys and campaigns', () => {
  it('lists keys with hit counts and without any secret', async () => {
    const r = await get('/api/v1/keys');
    expect(r.status).toBe(200);
    const text = JSON.stringify(r.body);
    for (const secret of [VALID, LURE, LURE2]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(secret.slice(8, 40));
    }
    expect(text).not.toMatch(/[0-9a-f]{64}/); // no full hash
    const keys = (r.body as { keys: Record<string, unknown>[] }).keys;
    expect(keys.map((k) => Object.keys(k).sort())).toContainEqual(['campaign', 'class', 'fingerprint', 'hits', 'lure', 'mask', 'name', 'placement', 'upstream']);
    const leak1 = keys.find((k) => k['name'] === 'leak-1');
    expect(leak1).toMatchObject({
      class: 'lure',
      campaign: 'github-leak',
      placement: 'repo acme/api .env',
      upstream: 'decoy',
      hits: { requests: 3, canaries: 0 },
    });
    expect(leak1?.['fingerprint']).toMatch(/^sha256:[0-9a-f]{16}$/);
    expect(leak1?.['mask']).toMatch(/\*/);
    expect(keys.find((k) => k['name'] === 'app')).toMatchObject({ class: 'valid', hits: { requests: 3 } });
  });

  it('lists campaigns with their keys, placements hit and counts', async () => {
    const r = (await get('/api/v1/campaigns')).body as {
      campaigns: { campaign: string; configured: boolean; keys: { name: string }[]; hits: { count: number; ips: number; placements: { placement: string | null; count: number }[] } }[];
    };
    expect(r.campaigns.map((c) => c.campaign)).toEqual(['github-leak', 'ci-secrets']);
    expect(r.campaigns[0]).toMatchObject({ configured: true, keys: [{ name: 'leak-1' }], hits: { count: 3, ips: 1, placements: [{ placement: 'repo acme/api .env', count: 3 }] } });
  });
});

describe('blocks', () => {
  it('a block added through the API holds on the public listener; unblocking restores service', async () => {
    const ip = '192.0.2.44';
    expect((await chat(h.url, VALID, ip)).status).toBe(200);
    const added = await send('POST', '/api/v1/blocks', { ip, duration: '10m', reason: 'seen scanning' });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ block: { subject: `ip:${ip}`, ip, reason: 'seen scanning' } });
    const until = Date.parse((added.body as { block: { until: string } }).block.until);
    expect(until - Date.now()).toBeGreaterThan(9 * 60_000);

    const refused = await chat(h.url, VALID, ip);
    expect(refused.status).toBe(429);
    expect(await refused.json()).toEqual({
      error: {
        message: expect.stringContaining('You exceeded your current quota') as unknown,
        type: 'insufficient_quota',
        param: null,
        code: 'insufficient_quota',
      },
    });
    // another client is not affected
    expect((await chat(h.url, VALID, '192.0.2.45')).status).toBe(200);

    const list = (await get('/api/v1/blocks')).body as { blocks: { subject: string }[] };
    expect(list.blocks.map((b) => b.subject)).toContain(`ip:${ip}`);

    const removed = await send('DELETE', `/api/v1/blocks/${encodeURIComponent(`ip:${ip}`)}`);
    expect(removed.status).toBe(204);
    expect((await chat(h.url, VALID, ip)).status).toBe(200);
    expect((await send('DELETE', `/api/v1/blocks/${encodeURIComponent(`ip:${ip}`)}`)).status).toBe(404);

    // both admin actions are recorded as system events
    await h.stored(1);
    const system = h.events.filter((e) => e.event.dataset === 'honeygate.system').map((e) => e.event.action);
    expect(system).toEqual(expect.arrayContaining(['admin:block', 'admin:unblock']));
  });

  it('normalizes addresses the way the pipeline does (IPv6 text, IPv4-mapped, /32)', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ ip: '2001:DB8:0:0::0:1', duration: 60 }, 'ip:2001:db8::1'],
      [{ ip: '::ffff:192.0.2.50', duration: '1m' }, 'ip:192.0.2.50'],
      [{ ip: '192.0.2.51/32', duration: '1m' }, 'ip:192.0.2.51'],
      [{ subject: 'ip:2001:db8:0::2', duration: '1m' }, 'ip:2001:db8::2'],
      [{ subject: 'user:alice', duration: '1h' }, 'user:alice'],
    ];
    for (const [body, subject] of cases) {
      const r = await send('POST', '/api/v1/blocks', body);
      expect(r.status, JSON.stringify(body)).toBe(201);
      expect((r.body as { block: { subject: string } }).block.subject).toBe(subject);
    }
    // unblock by the written form finds the canonical block
    expect((await send('DELETE', `/api/v1/blocks/${encodeURIComponent('ip:2001:DB8::0:1')}`)).status).toBe(204);
    for (const s of ['ip:192.0.2.50', 'ip:192.0.2.51', 'ip:2001:db8::2', 'user:alice']) {
      expect((await send('DELETE', `/api/v1/blocks/${encodeURIComponent(s)}`)).status, s).toBe(204);
    }
    // a mapped-IPv4 client behind the trusted proxy is blocked by its IPv4 block
    expect((await send('POST', '/api/v1/blocks', { ip: '192.0.2.52', duration: '1m' })).status).toBe(201);
    expect((await chat(h.url, VALID, '::ffff:192.0.2.52')).status).toBe(429);
    expect((await send('DELETE', '/api/v1/blocks/ip:192.0.2.52')).status).toBe(204);
  });

  it('refuses malformed blocks with the path of each problem', async () => {
    const cases: [unknown, string][] = [
      [{ duration: '1h' }, ''],
      [{ ip: '192.0.2.1', subject: 'ip:192.0.2.1', duration: '1h' }, ''],
      [{ ip: '192.0.2.1' }, 'duration'],
      [{ ip: '192.0.2.1', duration: '0s' }, 'duration'],
      [{ ip: '192.0.2.1', duration: '500ms' }, 'duration'],
      [{ ip: '192.0.2.1', duration: '400d' }, 'duration'],
      [{ ip: '192.0.2.1', duration: -5 }, 'duration'],
      [{ ip: '192.0.2.1', duration: 'forever' }, 'duration'],
      [{ ip: '192.0.2.1', duration: null }, 'duration'],
      [{ ip: '192.0.2.1', duration: '1h', reason: 'x'.repeat(1025) }, 'reason'],
      [{ ip: '192.0.2.1', duration: '1h', reason: 'line\nbreak\u0000' }, 'reason'],
      [{ ip: '192.0.2.1', duration: '1h', reason: 42 }, 'reason'],
      [{ ip: '192.0.2.1', duration: '1h', extra: true }, ''],
      [{ ip: '256.0.0.1', duration: '1h' }, 'ip'],
      [{ ip: '192.0.2.0/24', duration: '1h' }, 'ip'],
      [{ ip: '192.0.2.0/33', duration: '1h' }, 'ip'],
      [{ ip: '192.0.2.0/', duration: '1h' }, 'ip'],
      [{ ip: '192.0.2.0/32/1', duration: '1h' }, 'ip'],
      [{ ip: '2001:db8::/64', duration: '1h' }, 'ip'],
      [{ ip: '2001:db8::/129', duration: '1h' }, 'ip'],
      [{ ip: 'localhost', duration: '1h' }, 'ip'],
      [{ ip: '', duration: '1h' }, 'ip'],
      [{ ip: ['192.0.2.1'], duration: '1h' }, 'ip'],
      [{ ip: '1'.repeat(100), duration: '1h' }, 'ip'],
      [{ subject: 'no-colon', duration: '1h' }, 'subject'],
      [{ subject: 'ip:', duration: '1h' }, 'subject'],
      [{ subject: 'ip:not-an-ip', duration: '1h' }, 'subject'],
      [{ subject: 'User:Alice', duration: '1h' }, 'subject'],
      [{ subject: 'user:a\r\nb', duration: '1h' }, 'subject'],
      [{ subject: `user:${'a'.repeat(600)}`, duration: '1h' }, 'subject'],
      [[], ''],
      ['"just a string"', ''],
      [42, ''],
      ['null', ''],
    ];
    for (const [body, path] of cases) {
      const r = await send('POST', '/api/v1/blocks', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      const error = (r.body as { error: { code: string; issues?: { path: string }[] } }).error;
      expect(error.code).toBe('bad_request');
      expect(error.issues?.map((i) => i.path), JSON.stringify(body)).toContain(path);
    }
    expect((await get('/api/v1/blocks')).body).toMatchObject({ count: 0 });
  });

  it('refuses bad JSON, wrong content types and huge bodies without echoing them', async () => {
    const bad = await send('POST', '/api/v1/blocks', '{"ip": "192.0.2.1", "duration": ');
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ error: { code: 'bad_request', message: 'malformed request body' } });
    const proto = await send('POST', '/api/v1/blocks', '{"__proto__": {"admin": true}, "ip": "192.0.2.1", "duration": "1h"}');
    expect(proto.status).toBe(400);
    const empty = await send('POST', '/api/v1/blocks', '', { 'content-type': 'application/json' });
    expect(empty.status).toBe(400);
    const text = await send('POST', '/api/v1/blocks', 'ip=192.0.2.1', { 'content-type': 'text/plain' });
    expect(text.status).toBe(415);
    const form = await send('POST', '/api/v1/blocks', 'ip=192.0.2.1&duration=1h', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(400);
    const huge = await send('POST', '/api/v1/blocks', JSON.stringify({ ip: '192.0.2.1', duration: '1h', reason: 'x'.repeat(200_000) }));
    expect(huge.status).toBe(413);
    expect(huge.body).toEqual({ error: { code: 'body_too_large', message: 'request body too large' } });
    const deep = await send('POST', '/api/v1/blocks', `${'['.repeat(5000)}${']'.repeat(5000)}`);
    expect([400, 413]).toContain(deep.status);
    expect((await get('/api/v1/blocks')).body).toMatchObject({ count: 0 });
  });

  it('unblock with hostile subjects: 400 or 404, never a crash', async () => {
    for (const s of ['%00', 'ip%3A%0a1.2.3.4', '..%2F..%2Fetc%2Fpasswd', `user%3A${'a'.repeat(520)}`, '%E0%A4%A']) {
      const r = await rawHttp(h.adminUrl, 'DELETE', `/api/v1/blocks/${s}`, auth());
      expect([400, 404], s).toContain(r.status);
    }
    // the gateway and the admin still answer
    expect((await get('/api/v1/blocks')).status).toBe(200);
  });
});

describe('blocklist export', () => {
  it('plain text: one address or CIDR per line; CSV with until and reason; formula cells defused', async () => {
    await send('POST', '/api/v1/blocks', { ip: '192.0.2.60', duration: '1h', reason: 'scanner' });
    await send('POST', '/api/v1/blocks', { ip: '2001:db8::60', duration: '2h', reason: '=HYPERLINK("http://x","y")' });
    await send('POST', '/api/v1/blocks', { subject: 'user:bob', duration: '1h' });

    const txt = await fetch(`${h.adminUrl}/api/v1/blocklist.txt`, { headers: auth() });
    expect(txt.status).toBe(200);
    expect(txt.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    const lines = (await txt.text()).split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.sort()).toEqual(['192.0.2.60', '198.51.100.0/24', '2001:db8::60']);

    const onlyBlocks = await (await fetch(`${h.adminUrl}/api/v1/blocklist.txt?source=blocks`, { headers: auth() })).text();
    expect(onlyBlocks.trim().split('\n').sort()).toEqual(['192.0.2.60', '2001:db8::60']);
    const onlyConfig = await (await fetch(`${h.adminUrl}/api/v1/blocklist.txt?source=config`, { headers: auth() })).text();
    expect(onlyConfig).toBe('198.51.100.0/24\n');

    const csv = await fetch(`${h.adminUrl}/api/v1/blocklist.csv`, { headers: auth() });
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.headers.get('content-disposition')).toBe('attachment; filename="honeygate-blocklist.csv"');
    const rows = (await csv.text()).split('\r\n');
    expect(rows[0]).toBe('address,until,reason,source');
    expect(rows.pop()).toBe('');
    const row60 = rows.find((r) => r.startsWith('"192.0.2.60"'));
    expect(row60).toMatch(/^"192\.0\.2\.60","\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z","scanner","block"$/);
    const row6 = rows.find((r) => r.startsWith('"2001:db8::60"'));
    expect(row6).toContain(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(rows).toContain('"198.51.100.0/24","","network.deny","config"');
    expect(rows).toHaveLength(4);

    for (const q of ['?source=everything', '?format=json', '?source=blocks&source=config']) {
      expect((await fetch(`${h.adminUrl}/api/v1/blocklist.txt${q}`, { headers: auth() })).status, q).toBe(400);
    }
    for (const s of ['ip:192.0.2.60', 'ip:2001:db8::60', 'user:bob']) await send('DELETE', `/api/v1/blocks/${encodeURIComponent(s)}`);
  });
});

describe('health', () => {
  it('reports store, event store and sinks behind the token', async () => {
    const r = (await get('/api/v1/health')).body as Record<string, unknown>;
    expect(r).toMatchObject({ status: 'ok', store: { backend: 'memory', ok: true }, event_store: { ok: true, driver: 'sqlite' } });
    expect((r['sinks'] as { name: string }[]).map((s) => s.name)).toEqual(['store']);
  });
});

describe('AWS keys in the key listing', () => {
  it('lists AWS pairs (fingerprint of the key id, mask) next to OpenAI keys, never the secret', async () => {
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const harness = await startHarness((c) => ({
      ...c,
      aws_keys: [{ name: 'aws-leak', class: 'lure', access_key_id: 'AKIAS4SFVI2F3XNWYRLW', secret_access_key: secret, campaign: 'ci-secrets', placement: 'GitHub secret' }],
    }));
    try {
      const res = await fetch(`${harness.adminUrl}/api/v1/keys`, { headers: auth() });
      const text = await res.text();
      expect(res.status).toBe(200);
      expect(text).not.toContain(secret);
      const keys = (JSON.parse(text) as { keys: { name: string; class: string; mask: string | null; campaign: string | null }[] }).keys;
      expect(keys.find((k) => k.name === 'aws-leak')).toMatchObject({ class: 'lure', campaign: 'ci-secrets', mask: 'AKIA************YRLW' });
      expect(keys.map((k) => k.name)).toEqual(expect.arrayContaining(['app', 'leak-1', 'leak-2', 'aws-leak']));
      const campaigns = (await (await fetch(`${harness.adminUrl}/api/v1/campaigns`, { headers: auth() })).json()) as { campaigns: { campaign: string; keys: { name: string }[] }[] };
      expect(campaigns.campaigns.find((c) => c.campaign === 'ci-secrets')?.keys.map((k) => k.name)).toEqual(expect.arrayContaining(['leak-2', 'aws-leak']));
    } finally {
      await harness.close();
    }
  });
});
