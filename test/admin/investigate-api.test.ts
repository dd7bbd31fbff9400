/**
 * The investigation routes' input handling: hostile and malformed parameters get a 400 naming the
 * parameter (never a 500), and the answers have the documented shape.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../../src/admin/routes/investigate.js';
import { auth, chat, LURE, startHarness, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  for (let i = 0; i < 3; i++) expect((await chat(h.url, LURE, `203.0.113.${10 + i}`)).status).toBe(200);
  await h.stored(3);
}, 30_000);
afterAll(async () => h?.close());

const get = async (path: string): Promise<{ status: number; body: Record<string, unknown> }> => {
  const r = await fetch(`${h.adminUrl}${path}`, { headers: auth() });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
};
const issuePath = (body: Record<string, unknown>): string | undefined => ((body['error'] as { issues?: { path: string }[] }).issues ?? [])[0]?.path;

describe('GET /api/v1/search', () => {
  it('pages with an opaque cursor and filters by CIDR', async () => {
    const first = await get('/api/v1/search?limit=2&cidr=203.0.113.0/24');
    expect(first.status).toBe(200);
    expect(first.body['count']).toBe(2);
    const next = first.body['next'];
    expect(typeof next).toBe('string');
    const second = await get(`/api/v1/search?limit=2&cidr=203.0.113.0/24&cursor=${String(next)}`);
    expect(second.body['count']).toBe(1);
    expect(second.body['next']).toBeNull();
    expect((await get('/api/v1/search?cidr=198.51.100.0/24')).body['count']).toBe(0);
    expect((await get('/api/v1/search?cidr=2001:db8::/32')).body['count']).toBe(0);
  });

  it('refuses malformed input with the parameter named', async () => {
    for (const [query, path] of [
      ['cursor=!!', 'cursor'],
      [`cursor=${Buffer.from('x|').toString('base64url')}`, 'cursor'],
      ['cidr=203.0.113.0/33', 'cidr'],
      ['cidr=not-an-ip', 'cidr'],
      ['cidr=10.0.0.0/99', 'cidr'],
      ['limit=0', 'limit'],
      ['limit=501', 'limit'],
      [`text=${'x'.repeat(201)}`, 'text'],
      ['text=', 'text'],
      ['nope=1', 'nope'],
      ['text=a&text=b', 'text'],
    ] as const) {
      const r = await get(`/api/v1/search?${query}`);
      expect(r.status, query).toBe(400);
      expect(issuePath(r.body), query).toBe(path);
    }
  });

  it('cursor encoding round-trips and rejects junk', () => {
    const c = { ts: 1_700_000_000_123, id: 'a-b-c' };
    expect(decodeCursor(encodeCursor(c))).toEqual(c);
    expect(decodeCursor('')).toBeNull();
    expect(decodeCursor(Buffer.from('12x|id').toString('base64url'))).toBeNull();
  });
});

describe('GET /api/v1/attacker and /api/v1/campaigns/{name}', () => {
  it('needs exactly one of ip or fingerprint', async () => {
    expect((await get('/api/v1/attacker')).status).toBe(400);
    expect((await get('/api/v1/attacker?ip=203.0.113.10&fingerprint=sha256:0123456789abcdef')).status).toBe(400);
    expect((await get('/api/v1/attacker?ip=999.1.1.1')).status).toBe(400);
    const r = await get('/api/v1/attacker?ip=203.0.113.10');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ subject: { ip: '203.0.113.10' }, lure_requests: 1, blocked: false });
    expect((r.body['keys'] as { name: string }[])[0]?.name).toBe('leak-1');
  });

  it('client=cfp_…: one client program across addresses, counted by the store; malformed ids are 400', async () => {
    const one = await get('/api/v1/attacker?ip=203.0.113.10');
    const ids = one.body['client_ids'] as { value: string; count: number }[];
    expect(ids).toHaveLength(1);
    const id = ids[0]?.value ?? '';
    expect(id).toMatch(/^cfp_[0-9a-f]{16}$/);
    const r = await get(`/api/v1/attacker?client=${id}`);
    expect(r.status).toBe(200);
    expect(r.body['subject']).toEqual({ client: id });
    expect((r.body['ips'] as { value: string; count: number }[]).map((i) => i.value).sort()).toEqual(['203.0.113.10', '203.0.113.11', '203.0.113.12']);
    expect(r.body['lure_requests']).toBe(3);
    const events = await get(`/api/v1/events?client=${id}`);
    expect((events.body['events'] as unknown[]).length).toBe(3);
    expect((await get('/api/v1/attacker?client=cfp_XYZ')).status).toBe(400);
    expect(issuePath((await get('/api/v1/attacker?client=cfp_0123')).body)).toBe('client');
    expect((await get(`/api/v1/attacker?client=${id}&ip=203.0.113.10`)).status).toBe(400);
  });

  it('a campaign: leaks, attackers; unknown is 404, control characters 400', async () => {
    const r = await get('/api/v1/campaigns/github-leak');
    expect(r.status).toBe(200);
    expect((r.body['leaks'] as { key: string; first_use: string | null; planted: null }[])[0]).toMatchObject({ key: 'leak-1', planted: null });
    expect((r.body['attackers'] as unknown[]).length).toBe(3);
    expect((await get('/api/v1/campaigns/nope')).status).toBe(404);
    expect((await get('/api/v1/campaigns/a%01b')).status).toBe(400);
  });
});
