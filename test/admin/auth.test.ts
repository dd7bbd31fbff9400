/**
 * Admin access: every route refuses a missing, wrong or malformed token; /healthz and the login
 * form are the only open doors; path tricks and unknown routes answer 401 to strangers; the
 * dashboard session needs its CSRF header for changes; failed attempts are throttled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, rawHttp, startHarness, TOKEN, type Harness } from './harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness(undefined, { auth: { maxFailures: 1000 } });
});
afterAll(async () => {
  await h.close();
});

/** Every authenticated route with a harmless request. */
const ROUTES: readonly [string, string, string?][] = [
  ['GET', '/metrics'],
  ['GET', '/api/v1/events'],
  ['GET', '/api/v1/stats'],
  ['GET', '/api/v1/stats/ips'],
  ['GET', '/api/v1/stats/campaigns'],
  ['GET', '/api/v1/stats/clients'],
  ['GET', '/api/v1/stats/timeline'],
  ['GET', '/api/v1/blocks'],
  ['POST', '/api/v1/blocks', '{"ip":"203.0.113.250","duration":"1m"}'],
  ['DELETE', '/api/v1/blocks/ip:203.0.113.250'],
  ['GET', '/api/v1/blocklist.txt'],
  ['GET', '/api/v1/blocklist.csv'],
  ['GET', '/api/v1/keys'],
  ['GET', '/api/v1/campaigns'],
  ['POST', '/api/v1/reload'],
  ['GET', '/api/v1/health'],
  ['GET', '/api/v1/live'],
  ['GET', '/no/such/route'],
];

const BAD_AUTH: readonly [string, Record<string, string>][] = [
  ['no header', {}],
  ['wrong token', { authorization: `Bearer ${TOKEN.slice(0, -1)}x` }],
  ['token prefix', { authorization: `Bearer ${TOKEN.slice(0, 40)}` }],
  ['token plus suffix', { authorization: `Bearer ${TOKEN}a` }],
  ['basic scheme', { authorization: `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}` }],
  ['no scheme', { authorization: TOKEN }],
  ['two spaces', { authorization: `Bearer  ${TOKEN}` }],
  ['trailing junk', { authorization: `Bearer ${TOKEN} extra` }],
  ['empty bearer', { authorization: 'Bearer ' }],
  ['non-b64token chars', { authorization: `Bearer ${TOKEN.slice(0, 30)}"<>{}` }],
  ['huge header', { authorization: `Bearer ${'A'.repeat(8000)}` }],
  ['cookie that is the token', { cookie: `honeygate_session=${TOKEN}` }],
  ['forged session id', { cookie: `honeygate_session=${'A'.repeat(43)}` }],
];

describe('the admin token', () => {
  it('is required on every route (and an unknown URL answers 401, not 404)', async () => {
    for (const [method, path, body] of ROUTES) {
      for (const [name, headers] of BAD_AUTH) {
        const res = await rawHttp(h.adminUrl, method, path, { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, body);
        expect(res.status, `${method} ${path} with ${name}`).toBe(401);
        expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'unauthorized' } });
        expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="honeygate-admin"/);
      }
    }
  });

  it('opens every route with the right token (the scheme is case-insensitive)', async () => {
    for (const [method, path, body] of ROUTES) {
      if (path === '/api/v1/live') continue; // a stream: checked below
      const res = await rawHttp(h.adminUrl, method, path, { authorization: `bearer ${TOKEN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, body);
      expect(res.status, `${method} ${path}`).not.toBe(401);
      expect(res.status, `${method} ${path}`).not.toBe(403);
    }
    const live = await fetch(`${h.adminUrl}/api/v1/live`, { headers: auth() });
    expect(live.status).toBe(200);
    expect(live.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await live.body?.cancel();
  });

  it('is never taken from the query string', async () => {
    for (const q of [`token=${TOKEN}`, `access_token=${TOKEN}`, `authorization=Bearer%20${TOKEN}`]) {
      const res = await fetch(`${h.adminUrl}/api/v1/blocks?${q}`);
      expect(res.status).toBe(401);
    }
  });

  it('/healthz answers without a token and says nothing more than ok', async () => {
    const res = await fetch(`${h.adminUrl}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('path tricks do not reach a protected route without the token', async () => {
    const tricks = [
      '/healthz/../api/v1/blocks',
      '/healthz/..%2fapi/v1/blocks',
      '/dashboard/../api/v1/blocks',
      '/dashboard/app.js/../../api/v1/keys',
      '/dashboard/login/../../metrics',
      '//api/v1/blocks',
      '/API/V1/BLOCKS',
      '/api/v1/blocks/',
      '/api/v1/blocks%2f',
      '/api/v1/./blocks',
      '/api/v1/blocks;.js',
      '/metrics%00',
      '/metrics?x=/healthz',
      '/healthz%2f..%2fmetrics',
      '/%2e%2e/api/v1/keys',
    ];
    for (const path of tricks) {
      const res = await rawHttp(h.adminUrl, 'GET', path);
      expect([400, 401], path).toContain(res.status);
      expect(res.body, path).not.toContain('sha256:');
    }
  });

  it('HEAD, OPTIONS and other methods need the token too', async () => {
    for (const method of ['HEAD', 'OPTIONS', 'PUT', 'PATCH', 'TRACE']) {
      const res = await rawHttp(h.adminUrl, method, '/api/v1/blocks');
      expect(res.status, method).toBe(401);
    }
  });

  it('security headers are on every answer', async () => {
    const res = await fetch(`${h.adminUrl}/api/v1/blocks`, { headers: auth() });
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('dashboard sessions', () => {
  const login = (body: string, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${h.adminUrl}/dashboard/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });

  it('the page sends a signed-out browser to the login form', async () => {
    const res = await fetch(`${h.adminUrl}/dashboard/`, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/dashboard/login');
    const form = await fetch(`${h.adminUrl}/dashboard/login`);
    expect(form.status).toBe(200);
    const html = await form.text();
    expect(html).toContain('<form method="post" action="/dashboard/login"');
    expect(form.headers.get('content-security-policy')).toContain("script-src 'self'");
  });

  it('a wrong token gets the form again with 401 and no cookie', async () => {
    for (const body of ['token=wrong', `token=${TOKEN}x`, '', 'token=', 'tok=' + TOKEN, `token=${'%'.repeat(50)}`, 'token=<script>alert(1)</script>']) {
      const res = await login(body);
      expect(res.status, body).toBe(401);
      expect(res.headers.get('set-cookie')).toBeNull();
      const text = await res.text();
      expect(text).not.toContain('<script>alert');
    }
  });

  it('refuses a login body that is too large, JSON, or from another origin', async () => {
    expect((await login(`token=${TOKEN}&pad=${'x'.repeat(4000)}`)).status).toBe(413);
    const json = await fetch(`${h.adminUrl}/dashboard/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: TOKEN }) });
    expect(json.status).toBe(401);
    expect(json.headers.get('set-cookie')).toBeNull();
    const cross = await login(`token=${encodeURIComponent(TOKEN)}`, { origin: 'https://evil.example' });
    expect(cross.status).toBe(403);
    expect(cross.headers.get('set-cookie')).toBeNull();
  });

  it('the right token opens a session: HttpOnly SameSite=Strict cookie, no token in any URL', async () => {
    const res = await login(`token=${encodeURIComponent(TOKEN)}`);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/dashboard/');
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^honeygate_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    expect(cookie).not.toContain(TOKEN);
    const session = cookie.split(';')[0] ?? '';

    const page = await fetch(`${h.adminUrl}/dashboard/`, { headers: { cookie: session } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).not.toContain(TOKEN);
    const csrf = /<meta name="honeygate-csrf" content="([A-Za-z0-9_-]{43})">/.exec(html)?.[1];
    expect(csrf).toBeDefined();

    // reads work with the cookie alone
    expect((await fetch(`${h.adminUrl}/api/v1/blocks`, { headers: { cookie: session } })).status).toBe(200);
    // changes need the CSRF header, and the right one
    const post = (headers: Record<string, string>): Promise<Response> =>
      fetch(`${h.adminUrl}/api/v1/blocks`, { method: 'POST', headers: { cookie: session, 'content-type': 'application/json', ...headers }, body: '{"ip":"203.0.113.251","duration":"1m"}' });
    const noCsrf = await post({});
    expect(noCsrf.status).toBe(403);
    expect(await noCsrf.json()).toMatchObject({ error: { code: 'csrf' } });
    expect((await post({ 'x-honeygate-csrf': 'A'.repeat(43) })).status).toBe(403);
    expect((await post({ 'x-honeygate-csrf': csrf ?? '' })).status).toBe(201);
    expect((await h.gateway.state.store.listBlocks()).map((b) => b.subject)).toContain('ip:203.0.113.251');
    await h.gateway.state.store.unblock('ip:203.0.113.251');

    // logout ends the session
    const out = await fetch(`${h.adminUrl}/dashboard/logout`, { method: 'POST', headers: { cookie: session, 'x-honeygate-csrf': csrf ?? '' } });
    expect(out.status).toBe(204);
    expect((await fetch(`${h.adminUrl}/api/v1/blocks`, { headers: { cookie: session } })).status).toBe(401);
  });

  it('the static assets carry no data and no token', async () => {
    for (const name of ['app.js', 'style.css']) {
      const res = await fetch(`${h.adminUrl}/dashboard/${name}`);
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).not.toContain(TOKEN);
      expect(text).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/); // no CDN, no external URL
    }
  });
});

describe('throttling failed attempts', () => {
  it('after too many failures from one address, even the right token waits (429), then works again', async () => {
    let clock = Date.now();
    const t = await startHarness(undefined, { auth: { maxFailures: 3, failureWindowMs: 60_000 }, now: () => clock });
    try {
      for (let i = 0; i < 3; i++) expect((await fetch(`${t.adminUrl}/api/v1/blocks`, { headers: auth('x'.repeat(40)) })).status).toBe(401);
      const blocked = await fetch(`${t.adminUrl}/api/v1/blocks`, { headers: auth() });
      expect(blocked.status).toBe(429);
      expect(blocked.headers.get('retry-after')).toBe('60');
      const form = await fetch(`${t.adminUrl}/dashboard/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${TOKEN}`, redirect: 'manual' });
      expect(form.status).toBe(429);
      clock += 61_000;
      expect((await fetch(`${t.adminUrl}/api/v1/blocks`, { headers: auth() })).status).toBe(200);
      const metrics = await (await fetch(`${t.adminUrl}/metrics`, { headers: auth() })).text();
      expect(metrics).toMatch(/^honeygate_admin_auth_failures_total\{kind="bearer"\} 3$/m);
      expect(metrics).toMatch(/^honeygate_admin_auth_failures_total\{kind="throttled"\} 2$/m);
    } finally {
      await t.close();
    }
  });
});
