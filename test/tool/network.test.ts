/**
 * Per-route network lists (issue 10, part 2): the ChatGPT egress preset holds against a spoofed
 * X-Forwarded-For (believed only from trusted_proxies, walked from the right), IPv6 lists, deny
 * over allow; presets loaded from a URL in the published format, kept when a refresh fails, and
 * refreshed on schedule (fake timers).
 */
import type { CompiledTool } from '../../src/providers/tool/provider.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { BUILTIN_PRESETS, LoadedPreset, parsePublishedList, PresetFormatError } from '../../src/providers/tool/presets.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startApi, type FakeApi } from './helpers/api.js';

const CHATGPT = '23.102.140.113';
const OTHER = '198.51.100.7';

let api: FakeApi;
let lists: Server;
let listsUrl = '';
let listBody = '';
let listStatus = 200;
let direct: TestGateway;
let proxied: TestGateway;

const published = (cidrs: string[]): string =>
  JSON.stringify({ creationTime: '2026-11-01T00:00:00.000000', prefixes: cidrs.map((c) => (c.includes(':') ? { ipv6Prefix: c } : { ipv4Prefix: c })) });

beforeAll(async () => {
  api = await startApi();
  listBody = published(['203.0.113.0/24']);
  lists = createServer((_req, res) => {
    res.writeHead(listStatus, { 'content-type': 'application/json' });
    res.end(listBody);
  });
  await new Promise<void>((r) => lists.listen(0, '127.0.0.1', r));
  listsUrl = `http://127.0.0.1:${(lists.address() as AddressInfo).port}/chatgpt-connectors.json`;
  const routes = [
    { name: 'gpt', prefix: '/gpt', upstream: api.url, auth: { public: true }, network: { allow: ['preset:chatgpt-actions'], deny: ['23.102.140.120/32'] } },
    { name: 'v6', prefix: '/v6', upstream: api.url, auth: { public: true }, network: { allow: ['2001:db8::/32', '192.0.2.0/24'] } },
    { name: 'live', prefix: '/live', upstream: api.url, auth: { public: true }, network: { allow: ['preset:connectors'] } },
    { name: 'open', prefix: '/open', upstream: api.url, auth: { public: true } },
  ];
  const cidr_presets = { connectors: { url: listsUrl, refresh: '1h' } };
  direct = await startTestGateway({ routes, cidr_presets });
  proxied = await startTestGateway({ routes, cidr_presets, trusted_proxies: ['127.0.0.1/32', '10.0.0.0/8'] });
  await Promise.all([(direct.gateway.state.runtime.providers.get('tool') as CompiledTool | undefined)?.tool.ready(), (proxied.gateway.state.runtime.providers.get('tool') as CompiledTool | undefined)?.tool.ready()]);
});

afterAll(async () => {
  await direct.close();
  await proxied.close();
  await api.close();
  await new Promise<void>((r) => lists.close(() => r()));
});

afterEach(() => {
  vi.useRealTimers();
});

async function get(gw: TestGateway, path: string, xff?: string): Promise<Response> {
  const res = await fetch(`${gw.url}${path}`, { headers: xff !== undefined ? { 'x-forwarded-for': xff } : {} });
  return res;
}

describe('CIDR presets against spoofed X-Forwarded-For', () => {
  it('without trusted proxies, an X-Forwarded-For naming a ChatGPT address is ignored', async () => {
    const res = await fetch(`${direct.url}/gpt/x`, { headers: { 'x-forwarded-for': CHATGPT, 'openai-conversation-id': 'conv-1' } });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ type: 'about:blank', title: 'Forbidden', status: 403 });
    await new Promise((r) => setTimeout(r, 20));
    const e = direct.events.at(-1)!;
    expect(e.event.action).toBe('reject:network_denied');
    expect(e.source?.ip).toBe('127.0.0.1');
    expect(e.honeygate.route).toBe('gpt');
    expect(e.honeygate.tool?.conversation).toBe('conv-1');
  });

  it('behind a trusted proxy, the address it vouches for is used', async () => {
    expect((await get(proxied, '/gpt/x', CHATGPT)).status).toBe(200);
    expect(api.seen.at(-1)!.url).toBe('/x');
  });

  it('a client-made left-most entry is not believed: the right-most untrusted hop decides', async () => {
    expect((await get(proxied, '/gpt/x', `${CHATGPT}, ${OTHER}`)).status).toBe(403);
    expect((await get(proxied, '/gpt/x', `${OTHER}, ${CHATGPT}`)).status).toBe(200);
    expect((await get(proxied, '/gpt/x', `${OTHER}, ${CHATGPT}, 10.1.2.3`)).status).toBe(200);
    expect((await get(proxied, '/gpt/x', 'not-an-ip')).status).toBe(403);
  });

  it('deny wins over allow', async () => {
    expect((await get(proxied, '/gpt/x', '23.102.140.120')).status).toBe(403);
    expect((await get(proxied, '/gpt/x', '23.102.140.121')).status).toBe(200);
  });

  it('IPv6 and IPv4 lists on one route', async () => {
    expect((await get(proxied, '/v6/x', '2001:db8::1')).status).toBe(200);
    expect((await get(proxied, '/v6/x', '2001:db9::1')).status).toBe(403);
    expect((await get(proxied, '/v6/x', '192.0.2.44')).status).toBe(200);
    expect((await get(proxied, '/v6/x', '::ffff:192.0.2.44')).status).toBe(200);
  });

  it('a route without lists serves everyone; the denied answer never names the policy', async () => {
    expect((await get(proxied, '/open/x', OTHER)).status).toBe(200);
    const body = await (await get(proxied, '/gpt/x', OTHER)).text();
    expect(body).not.toMatch(/network|cidr|preset|allow|deny|ip/i);
  });

  it('a preset loaded from a URL in the published format', async () => {
    expect((await get(proxied, '/live/x', '203.0.113.9')).status).toBe(200);
    expect((await get(proxied, '/live/x', CHATGPT)).status).toBe(403);
  });

  it('the built-in ChatGPT preset keeps its source and date', () => {
    const p = BUILTIN_PRESETS['chatgpt-actions']!;
    expect(p.cidrs).toContain('23.102.140.112/28');
    expect(p.cidrs.length).toBe(15);
    expect(p.source).toContain('chatgpt-connectors.json');
    expect(p.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });
});

describe('the published-list loader', () => {
  it('parses ipv4Prefix and ipv6Prefix entries and creationTime', () => {
    expect(parsePublishedList(published(['1.2.3.0/24', '2001:db8::/48']))).toEqual({ creationTime: '2026-11-01T00:00:00.000000', cidrs: ['1.2.3.0/24', '2001:db8::/48'] });
  });

  it('refuses what is not the format, with the reason', () => {
    expect(() => parsePublishedList('nope')).toThrow(PresetFormatError);
    expect(() => parsePublishedList('{}')).toThrow(/no "prefixes" array/);
    expect(() => parsePublishedList('{"prefixes":[{"ipv4Prefix":"1.2.3.0/33"}]}')).toThrow(/prefixes\[0\]/);
    expect(() => parsePublishedList('{"prefixes":[]}')).toThrow(/empty/);
  });

  it('a failed refresh keeps the last good list', async () => {
    const errors: string[] = [];
    const preset = new LoadedPreset('p', { url: listsUrl, refresh: 3_600_000 }, (_n, m) => errors.push(m));
    try {
      listBody = published(['198.51.100.0/24']);
      expect(await preset.refresh()).toBe(true);
      expect(preset.contains(OTHER)).toBe(true);
      listStatus = 500;
      expect(await preset.refresh()).toBe(false);
      listStatus = 200;
      listBody = '{"prefixes": "garbage"';
      expect(await preset.refresh()).toBe(false);
      listBody = '{"prefixes": []}';
      expect(await preset.refresh()).toBe(false);
      expect(preset.contains(OTHER)).toBe(true);
      expect(errors).toEqual(['HTTP 500', expect.stringMatching(/^not JSON/), 'the list is empty']);
      expect(preset.status().lastError).toBe('the list is empty');
      listBody = published(['192.0.2.0/24']);
      expect(await preset.refresh()).toBe(true);
      expect(preset.contains(OTHER)).toBe(false);
      expect(preset.contains('192.0.2.1')).toBe(true);
    } finally {
      preset.close();
      listBody = published(['203.0.113.0/24']);
      listStatus = 200;
    }
  });

  it('holds its fallback until the first good load, nothing without one (fail closed)', async () => {
    const withFallback = new LoadedPreset('f', { url: 'http://127.0.0.1:9/none.json', refresh: 3_600_000, fallback: 'chatgpt-actions' });
    const without = new LoadedPreset('g', { url: 'http://127.0.0.1:9/none.json', refresh: 3_600_000 });
    expect(withFallback.contains(CHATGPT)).toBe(true);
    expect(await withFallback.refresh()).toBe(false);
    expect(withFallback.contains(CHATGPT)).toBe(true);
    expect(withFallback.status().usingFallback).toBe(true);
    expect(without.contains(CHATGPT)).toBe(false);
  });

  it('refreshes a file on schedule', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hg-preset-'));
    const file = join(dir, 'ranges.json');
    await writeFile(file, published(['198.51.100.0/24']));
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const preset = new LoadedPreset('file', { file, refresh: 3_600_000 });
    try {
      expect(await preset.start()).toBe(true);
      expect(preset.contains(OTHER)).toBe(true);
      await writeFile(file, published(['192.0.2.0/24']));
      await vi.advanceTimersByTimeAsync(3_599_000);
      expect(preset.contains(OTHER)).toBe(true);
      await vi.advanceTimersByTimeAsync(1_000);
      for (let i = 0; i < 100 && preset.contains(OTHER); i++) await new Promise((r) => setTimeout(r, 10));
      expect(preset.contains(OTHER)).toBe(false);
      expect(preset.contains('192.0.2.1')).toBe(true);
    } finally {
      preset.close();
    }
  });
});
