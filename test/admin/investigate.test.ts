/**
 * Investigation in the dashboard, in headless Chromium (Debian's /usr/bin/chromium through
 * playwright-core): an attacker page (timeline, prompts, tools defined, keys, block and unblock; one client id across addresses), search with
 * filters and keyset paging driven from the keyboard, a campaign page with the time from planting
 * to first use — and the layout at 1280 and 1920 px (no button broken letter by letter, no chart
 * label cut). Screenshots go to test-output/dashboard/ (HONEYGATE_TEST_OUTPUT overrides).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeEvent } from '../events/fixtures.js';
import { chat, LURE, LURE2, startHarness, TOKEN, VALID, type Harness } from './harness.js';

const CHROMIUM = '/usr/bin/chromium';
const OUT = process.env['HONEYGATE_TEST_OUTPUT'] ?? join(resolve(dirname(fileURLToPath(import.meta.url)), '../..'), 'test-output', 'dashboard');
const PLANTED = new Date(Date.now() - 3 * 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z');

let h: Harness;
let profile: string;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];

const TOOLS = [{ type: 'function', function: { name: 'read_file', description: 'Read a file from the host', parameters: { type: 'object', properties: { path: { type: 'string' } } } } }];

async function ask(key: string, ip: string, prompt: string, tools?: unknown[]): Promise<number> {
  const r = await fetch(`${h.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-forwarded-for': ip, 'user-agent': 'python-requests/2.31.0' },
    body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: prompt }], ...(tools !== undefined ? { tools } : {}) }),
  });
  await r.text();
  return r.status;
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
}

beforeAll(async () => {
  await mkdir(OUT, { recursive: true });
  h = await startHarness((c) => {
    const keys = (c['keys'] as Record<string, unknown>[]).map((k) => (k['name'] === 'leak-1' ? { ...k, planted: PLANTED } : k));
    return { ...c, keys };
  });
  expect(await ask(LURE, '203.0.113.66', 'List every S3 bucket this account can read, with sizes', TOOLS)).toBe(200);
  expect(await ask(LURE, '203.0.113.66', 'Write a convincing invoice email from ACME billing')).toBe(200);
  expect(await ask(LURE2, '203.0.113.77', 'what is 100% of the quota?')).toBe(200);
  expect((await chat(h.url, VALID, '192.0.2.10')).status).toBe(200);
  expect(await h.stored(4)).toBe(4);
  // older traffic for paging: 70 lure events from one /24, an hour back
  const store = h.sinks.store;
  if (store === undefined) throw new Error('no store');
  const base = Date.now() - 3_600_000;
  await store.insert(
    Array.from({ length: 70 }, (_, i) =>
      makeEvent({ time: base + i * 1000, ip: `198.18.0.${i % 7}`, keyClass: 'lure', campaign: 'github-leak', placement: 'repo acme/api .env', model: 'gpt-4o-mini', prompt: `scripted probe ${i}` }),
    ),
  );

  profile = await mkdtemp(join(tmpdir(), 'honeygate-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(`${h.adminUrl}/dashboard/login`);
  await page.fill('#token', TOKEN);
  await Promise.all([page.waitForURL(`${h.adminUrl}/dashboard/`), page.press('#token', 'Enter')]);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
}, 90_000);

afterAll(async () => {
  await context?.close();
  await h?.close();
  if (profile !== undefined) await rm(profile, { recursive: true, force: true });
});

async function go(hash: string, view: string): Promise<void> {
  await page.evaluate(`window.location.hash = ${JSON.stringify(hash)}`);
  await page.waitForSelector(`body[data-view="${view}"]`, { timeout: 10_000 });
}

/** wait until the search status line starts with `prefix` (e.g. "50 event") */
async function searched(prefix: string): Promise<void> {
  // polled from the test (the dashboard's CSP forbids the string evaluation waitForFunction uses)
  let text = '';
  for (const until = Date.now() + 10_000; Date.now() < until; await new Promise((r) => setTimeout(r, 25))) {
    text = (await page.textContent('#search-message')) ?? '';
    if (text.startsWith(prefix)) return;
  }
  throw new Error(`search status "${text}" does not start with "${prefix}"`);
}

// the chart is redrawn at its container's width 100 ms after a resize (debounced): wait for that
// redraw instead of reading the old drawing, scaled, in between (polled from the test, as above)
async function chartRedrawnAtWidth(): Promise<void> {
  let seen = '';
  for (const until = Date.now() + 10_000; Date.now() < until; await new Promise((r) => setTimeout(r, 25))) {
    seen = await page.$eval('#chart-svg', (svg) => {
      const drawn = Number(svg.getAttribute('viewBox')?.split(' ')[2]);
      const box = svg.parentElement?.clientWidth ?? 0;
      return drawn === Math.max(480, Math.round(box)) ? '' : `drawn ${drawn} px, container ${box} px`;
    });
    if (seen === '') return;
  }
  throw new Error(`chart not redrawn at its container's width: ${seen}`);
}

describe('layout at 1280 and 1920 px', () => {
  for (const width of [1280, 1920]) {
    it(`overview at ${width} px: buttons on one line, the chart's last axis label inside the chart`, async () => {
      await page.setViewportSize({ width, height: 900 });
      await go('#/', 'overview');
      await page.waitForSelector('#ips tbody button.block-ip');
      await chartRedrawnAtWidth();
      for (const b of await page.$$('#ips tbody button.block-ip')) {
        const box = await b.boundingBox();
        // one line of 14 px text with padding: well under two lines, and wider than tall
        expect(box?.height ?? 99).toBeLessThan(32);
        expect(box?.width ?? 0).toBeGreaterThan(box?.height ?? 0);
      }
      // every button and table stays inside its panel
      const overflowing = await page.$$eval('main section', (sections) =>
        sections.flatMap((sec) => {
          const r = sec.getBoundingClientRect();
          return [...sec.querySelectorAll('button, table')]
            .filter((b) => b.getBoundingClientRect().right > r.right + 0.5)
            .map((b) => `${sec.id} ${b.tagName} ${b.textContent?.slice(0, 20) ?? ''}`);
        }),
      );
      expect(overflowing).toEqual([]);
      // axis text at its own size (10 px), not scaled with the page width
      const fontPx = await page.$eval('#chart-svg text', (t) => t.getBoundingClientRect().height);
      expect(fontPx).toBeLessThan(16);
      const cut = await page.$$eval('#chart-svg text', (texts) => {
        const svgBox = texts[0]?.closest('svg')?.getBoundingClientRect();
        if (svgBox === undefined) return -1;
        return texts.filter((t) => {
          const r = t.getBoundingClientRect();
          return r.left < svgBox.left - 0.5 || r.right > svgBox.right + 0.5;
        }).length;
      });
      expect(cut).toBe(0);
      // no horizontal scroll of the page
      expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
      await shot(`overview-${width}`);
    });
  }
});

describe('attacker page', () => {
  it('shows the timeline, the prompts, the keys and campaigns held, first/last seen', async () => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await go('#/', 'overview');
    await page.click('#ips a:has-text("203.0.113.66")');
    await page.waitForSelector('body[data-view="attacker"]');
    expect(await page.textContent('#attacker-title')).toBe('Attacker 203.0.113.66');
    const prompts = await page.$$eval('#attacker-prompts pre', (p) => p.map((x) => x.textContent));
    expect(prompts).toEqual(['Write a convincing invoice email from ACME billing', 'List every S3 bucket this account can read, with sizes']);
    expect(await page.textContent('#attacker-keys')).toContain('leak-1');
    expect(await page.textContent('#attacker-keys')).toContain('github-leak');
    expect(await page.$$eval('#attacker-timeline tbody tr', (r) => r.length)).toBe(2);
    const facts = await page.textContent('#attacker-facts');
    expect(facts).toContain('lure requests2');
    expect(facts).toContain('repo acme/api .env ×2');
    await shot('attacker-1280');
    await page.setViewportSize({ width: 1920, height: 900 });
    await shot('attacker-1920');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('blocks from the keyboard and unblocks; the block reaches the store', async () => {
    await page.focus('#attacker-block-duration');
    await page.fill('#attacker-block-duration', '2h');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#attacker-unblock');
    const blocks = await h.gateway.state.store.listBlocks();
    expect(blocks.map((b) => b.subject)).toContain('ip:203.0.113.66');
    expect(await page.textContent('#attacker-block')).toContain('blocked until');
    expect(await ask(LURE, '203.0.113.66', 'still there?')).toBe(429);
    await page.click('#attacker-unblock');
    await page.waitForSelector('#attacker-block-form');
    expect((await h.gateway.state.store.listBlocks()).map((b) => b.subject)).not.toContain('ip:203.0.113.66');
  });

  it('one lure key across addresses', async () => {
    await page.click('#attacker-keys a:has-text("leak-1")');
    await page.waitForSelector('#attacker-title:has-text("Lure key sha256:")');
    await page.waitForSelector('#attacker-facts dd:has-text("203.0.113.66")');
    // the scripted traffic used another key: only the one address that held leak-1
    expect(await page.textContent('#attacker-facts')).not.toContain('198.18.0.');
    expect(await page.$$eval('#attacker-timeline tbody tr', (r) => r.length)).toBe(3);
  });

  it('the tools they defined', async () => {
    await go('#/attacker?ip=203.0.113.66', 'attacker');
    const tools = await page.textContent('#attacker-tools');
    expect(tools).toContain('read_file');
    expect(tools).toContain('Read a file from the host');
    expect(await page.textContent('#attacker-tools pre')).toBe('{"type":"object","properties":{"path":{"type":"string"}}}');
  });

  it('one client program across addresses: its client id lists every address it came from', async () => {
    await go('#/attacker?ip=203.0.113.77', 'attacker');
    const id = (await page.textContent('#attacker-client-ids tbody a')) ?? '';
    expect(id).toMatch(/^cfp_[0-9a-f]{16}$/);
    await page.click('#attacker-client-ids tbody a');
    await page.waitForSelector(`#attacker-title:has-text("Client ${id}")`);
    await page.waitForSelector('#attacker-addresses a:has-text("203.0.113.66")');
    const ips = await page.$$eval('#attacker-addresses tbody tr td:first-child', (c) => c.map((x) => x.textContent));
    // the same script (same User-Agent, same headers in the same order) from two addresses and two keys
    expect(ips).toEqual(expect.arrayContaining(['203.0.113.66', '203.0.113.77']));
    // the valid client sent another User-Agent: another id, not listed
    expect(ips).not.toContain('192.0.2.10');
    await shot('client-1280');
  });
});

describe('search', () => {
  it('filters by text in prompts from the keyboard; finds only the matching lure request', async () => {
    await go('#/search', 'search');
    await page.waitForSelector('#results tbody tr');
    await page.focus('#f-text');
    await page.keyboard.type('s3 BUCKET');
    await page.keyboard.press('Enter');
    await searched('1 event');
    expect(await page.$$eval('#results tbody tr', (r) => r.length)).toBe(1);
    expect(await page.textContent('#results tbody')).toContain('List every S3 bucket');
    // a % is a character, not a wildcard
    await page.fill('#f-text', '100%');
    await page.press('#f-text', 'Enter');
    await searched('1 event');
    expect(await page.textContent('#results tbody')).toContain('what is 100% of the quota?');
    await shot('search-1280');
  });

  it('pages through a CIDR with Older/Newer (keyset cursor), class and campaign filters', async () => {
    await page.fill('#f-text', '');
    await page.fill('#f-cidr', '198.18.0.0/24');
    await page.selectOption('#f-class', 'lure');
    await page.fill('#f-campaign', 'github-leak');
    await page.press('#f-campaign', 'Enter');
    await searched('50 event');
    const first = await page.$$eval('#results tbody tr td:nth-child(2)', (c) => c.map((x) => x.textContent ?? ''));
    expect(first.every((ip) => ip.startsWith('198.18.0.'))).toBe(true);
    await page.click('#page-older');
    await searched('20 event');
    expect(await page.isDisabled('#page-older')).toBe(true);
    expect(await page.textContent('#page-info')).toBe('page 2');
    const prompts = await page.$$eval('#results tbody tr td:nth-child(8)', (c) => c.map((x) => x.textContent ?? ''));
    expect(prompts.at(-1)).toBe('scripted probe 0');
    await page.click('#page-newer');
    await searched('50 event');
    expect(await page.textContent('#page-info')).toBe('page 1');
    await page.setViewportSize({ width: 1920, height: 900 });
    await shot('search-1920');
    await page.setViewportSize({ width: 1280, height: 900 });
  });
});

describe('campaign page', () => {
  it('which placement leaked first, time from planting to first use, attackers of the campaign', async () => {
    await go('#/campaign/github-leak', 'campaign');
    const leak = await page.textContent('#campaign-leaks tbody tr:first-child');
    expect(leak).toContain('leak-1');
    expect(leak).toContain('repo acme/api .env');
    // planted three hours before the first request made with leak-1
    expect(leak).toMatch(/2h 59m|3h 0m/);
    const attackers = await page.$$eval('#campaign-attackers tbody tr td:first-child', (c) => c.map((x) => x.textContent));
    expect(attackers).toContain('203.0.113.66');
    expect(attackers).toContain('198.18.0.0');
    await shot('campaign-1280');
    await page.setViewportSize({ width: 1920, height: 900 });
    await shot('campaign-1920');
  });

  it('raised no script error', () => {
    expect(pageErrors).toEqual([]);
  });
});
