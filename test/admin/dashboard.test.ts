/**
 * The dashboard in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core; CI
 * installs it with .ci/browser): sign in through the form, the chart is drawn from real events
 * (requests sent through the gateway first), the live feed shows a lure request as it happens, an
 * attacker's text stays text, and the unblock button removes the block from the store. No request
 * leaves the admin origin and none carries the token in its URL.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, chat, LURE, LURE2, startHarness, TOKEN, VALID, type Harness } from './harness.js';

const CHROMIUM = '/usr/bin/chromium';
const HOSTILE_UA = '<img src=x onerror="window.__pwned=1">';

let h: Harness;
let profile: string;
let context: BrowserContext;
let page: Page;
const consoleErrors: string[] = [];
const requested: string[] = [];

beforeAll(async () => {
  h = await startHarness();
  // real traffic first: 2 valid, 3 lure (two campaigns), 1 invalid, 1 with an attacker's user agent
  for (let i = 0; i < 2; i++) expect((await chat(h.url, VALID, '192.0.2.10')).status).toBe(200);
  for (let i = 0; i < 2; i++) expect((await chat(h.url, LURE, '203.0.113.66', 'python-requests/2.31.0')).status).toBe(200);
  expect((await chat(h.url, LURE2, '203.0.113.77', HOSTILE_UA)).status).toBe(200);
  expect((await chat(h.url, 'sk-proj-wrong-000000000000000000000000', '203.0.113.88')).status).toBe(401);
  expect(await h.stored(6)).toBe(6);

  profile = await mkdtemp(join(tmpdir(), 'honeygate-chromium-'));
  // a fresh profile per run (playwright passes it as --user-data-dir)
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  page.on('request', (r) => requested.push(r.url()));
}, 60_000);

afterAll(async () => {
  await context?.close();
  await h?.close();
  if (profile !== undefined) await rm(profile, { recursive: true, force: true });
});

describe('the dashboard in Chromium', () => {
  it('signs in through the form; the token never appears in a URL', async () => {
    await page.goto(`${h.adminUrl}/dashboard/`);
    expect(new URL(page.url()).pathname).toBe('/dashboard/login');
    await page.fill('#token', 'not-the-token-0000000000000000000000000000');
    await page.click('button[type=submit]');
    await page.waitForSelector('#login-error:has-text("not the admin token")');
    await page.fill('#token', TOKEN);
    await Promise.all([page.waitForURL(`${h.adminUrl}/dashboard/`), page.click('button[type=submit]')]);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
    const cookies = await context.cookies();
    expect(cookies.map((c) => [c.name, c.httpOnly, c.sameSite])).toEqual([['honeygate_session', true, 'Strict']]);
    expect(cookies[0]?.value).not.toBe(TOKEN);
  });

  it('draws requests over time by key class from the stored events', async () => {
    await page.waitForSelector('#chart-svg rect');
    const drawn = await page.$$eval('#chart-svg rect[data-class]', (rects) =>
      rects.map((r) => [r.getAttribute('data-class') ?? '', Number(r.getAttribute('data-count'))] as const),
    );
    const sum = (c: string): number => drawn.filter(([k]) => k === c).reduce((a, [, n]) => a + n, 0);
    expect({ valid: sum('valid'), lure: sum('lure'), invalid: sum('invalid'), missing: sum('missing') }).toEqual({ valid: 2, lure: 3, invalid: 1, missing: 0 });
    expect(await page.getAttribute('#chart-svg', 'data-total')).toBe('6');
    const heights = await page.$$eval('#chart-svg rect[data-class]', (rects) => rects.map((r) => Number(r.getAttribute('height'))));
    for (const height of heights) expect(height).toBeGreaterThan(0);
    expect(await page.textContent('#legend')).toContain('lure 3');
  });

  it('shows top attacker IPs and clients, and campaigns with placements; attacker text stays text', async () => {
    await page.waitForSelector('#ips tbody tr td:has-text("203.0.113.66")');
    const ips = await page.$$eval('#ips tbody tr', (rows) => rows.map((r) => (r.querySelector('td')?.textContent ?? '').trim()));
    expect(ips).toEqual(['203.0.113.66', '203.0.113.77']);
    const clients = await page.$$eval('#clients tbody tr', (rows) => rows.map((r) => (r.querySelector('td')?.textContent ?? '').trim()));
    expect(clients).toContain('python-requests');
    const campaigns = await page.textContent('#campaigns');
    expect(campaigns).toContain('github-leak');
    expect(campaigns).toContain('repo acme/api .env ×2');
    expect(campaigns).toContain('ci-secrets');
    // the hostile user agent is listed as text (an unknown UA), and no script ran
    expect(await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.$$('img')).toHaveLength(0);
  });

  it('the live feed shows a lure request as it happens (Server-Sent Events)', async () => {
    await page.waitForSelector('#live-state:has-text("live")');
    const before = await page.$$eval('#live li', (items) => items.length);
    expect(before).toBe(3); // the lure events already stored
    expect((await chat(h.url, LURE, '203.0.113.123', HOSTILE_UA)).status).toBe(200);
    await page.waitForSelector('#live li:first-child:has-text("203.0.113.123")', { timeout: 10_000 });
    const first = await page.textContent('#live li:first-child');
    expect(first).toContain('campaign github-leak');
    expect(await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  });

  it('the unblock button removes the block from the store', async () => {
    const added = await fetch(`${h.adminUrl}/api/v1/blocks`, {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/json' },
      body: JSON.stringify({ ip: '203.0.113.66', duration: '1h', reason: `from the test ${HOSTILE_UA}` }),
    });
    expect(added.status).toBe(201);
    expect((await chat(h.url, LURE, '203.0.113.66')).status).toBe(429);
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]');
    const row = page.locator('#blocks tbody tr[data-subject="ip:203.0.113.66"]');
    await row.waitFor();
    expect(await row.textContent()).toContain(`from the test ${HOSTILE_UA}`); // markup shown as text
    expect(await page.$$('img')).toHaveLength(0);
    await row.locator('button.unblock').click();
    await row.waitFor({ state: 'detached', timeout: 10_000 });
    expect((await h.gateway.state.store.listBlocks()).map((b) => b.subject)).not.toContain('ip:203.0.113.66');
    expect((await chat(h.url, LURE, '203.0.113.66')).status).toBe(200);
  });

  it('blocks an address from the form', async () => {
    await page.fill('#block-ip', '192.0.2.200');
    await page.fill('#block-duration', '2h');
    await page.fill('#block-reason', 'typed in the dashboard');
    await page.click('#block-form button[type=submit]');
    await page.locator('#blocks tbody tr[data-subject="ip:192.0.2.200"]').waitFor();
    const blocks = await h.gateway.state.store.listBlocks();
    expect(blocks.find((b) => b.subject === 'ip:192.0.2.200')?.reason).toBe('typed in the dashboard');
    // a bad address is refused with the API's message
    await page.fill('#block-ip', '10.0.0.0/8');
    await page.click('#block-form button[type=submit]');
    await page.waitForSelector('#block-message:has-text("network.deny")');
  });

  it('loaded nothing from elsewhere, put the token in no URL, and hit no CSP or script error', async () => {
    expect(requested.length).toBeGreaterThan(5);
    for (const url of requested) {
      expect(url.startsWith(h.adminUrl) || url.startsWith('data:'), url).toBe(true);
      expect(url).not.toContain(TOKEN);
      expect(url).not.toContain(encodeURIComponent(TOKEN));
    }
    // the only expected console errors are the 401 of the wrong login and the 400 of the bad block
    const unexpected = consoleErrors.filter((e) => !/status of (401|400)/.test(e));
    expect(unexpected).toEqual([]);
  });

  it('signing out ends the session', async () => {
    await Promise.all([page.waitForURL(`${h.adminUrl}/dashboard/login`), page.click('#logout')]);
    const res = await page.request.get(`${h.adminUrl}/api/v1/blocks`);
    expect(res.status()).toBe(401);
  });
});
