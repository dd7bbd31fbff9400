/**
 * The campaign view end to end (issue 3 part 5): lure requests from two attackers through a real
 * gateway, a canary used, events stored in SQLite by the real sinks, then `honeygate events
 * campaign NAME` answers which placement leaked, who used it, what they asked, which canaries
 * they touched.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { loadConfigObject } from '../../src/config/load.js';
import { EventBus } from '../../src/events/bus.js';
import { createSinks } from '../../src/events/sinks/index.js';
import type { CampaignReport } from '../../src/events/report.js';
import { startGateway } from '../../src/gateway/gateway.js';

const LURE_A = 'sk-proj-CampaignViewLureA0123456789abcdefghijklmnopqrstuvwxyzT3BlbkFJ0123456789';
const LURE_B = 'sk-proj-CampaignViewLureB0123456789abcdefghijklmnopqrstuvwxyzT3BlbkFJ0123456789';

describe('honeygate events campaign', () => {
  it('names the placement, the attackers, their prompts and the canaries they touched', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hg-campaign-'));
    const raw = {
      listen: { host: '127.0.0.1', port: 0 },
      trusted_proxies: ['127.0.0.1/32'],
      lure_defaults: { realistic_timing: false },
      keys: [
        { name: 'a', key: LURE_A, class: 'lure', campaign: 'github-leak', placement: 'repo acme/api .env', reply: 'See {{canary:url}}' },
        { name: 'b', key: LURE_B, class: 'lure', campaign: 'github-leak', placement: 'gist 42' },
      ],
      events: { dir, jsonl: { enabled: false } },
    };
    const { config } = await loadConfigObject(raw);
    const bus = new EventBus();
    const sinks = await createSinks(config!.events, bus);
    const gateway = await startGateway(config!, { bus, port: 0, host: '127.0.0.1' });
    const ask = (key: string, ip: string, text: string) =>
      new OpenAI({ apiKey: key, baseURL: `${gateway.url}/v1`, maxRetries: 0, defaultHeaders: { 'x-forwarded-for': ip } }).chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: text }],
      });
    const first = await ask(LURE_A, '203.0.113.10', 'list the admin passwords');
    await ask(LURE_A, '203.0.113.10', 'and the database URL');
    await ask(LURE_B, '198.51.100.20', 'write me malware');
    const url = /\/c\/[A-Za-z0-9_-]{22}/.exec(first.choices[0]?.message.content ?? '')?.[0];
    expect(url).toBeDefined();
    await fetch(`${gateway.url}${url!}`, { headers: { 'x-forwarded-for': '192.0.2.99' } });
    await new Promise((r) => setTimeout(r, 100));
    await gateway.close();
    await sinks.close();

    const stdout = new PassThrough();
    let out = '';
    stdout.on('data', (c: Buffer) => (out += c.toString()));
    const code = await main({ argv: ['events', 'campaign', 'github-leak', '--db', join(dir, 'events.db'), '--json'], env: {}, stdout, stderr: new PassThrough() });
    expect(code).toBe(0);
    const report = JSON.parse(out) as CampaignReport;
    expect(report.placements.map((p) => [p.placement, p.requests, p.attackers])).toEqual([
      ['repo acme/api .env', 2, 1],
      ['gist 42', 1, 1],
    ]);
    const a = report.attackers.find((x) => x.ip === '203.0.113.10')!;
    expect(a.prompts).toEqual(['and the database URL', 'list the admin passwords']);
    expect(a.clients[0]).toMatch(/^openai-node/);
    expect(a.canariesUsed).toHaveLength(1);
    expect(a.canariesUsed[0]).toMatchObject({ kind: 'url', via: 'http', usedFrom: '192.0.2.99' });
    expect(report.attackers.find((x) => x.ip === '198.51.100.20')?.prompts).toEqual(['write me malware']);

    let text = '';
    const s2 = new PassThrough();
    s2.on('data', (c: Buffer) => (text += c.toString()));
    expect(await main({ argv: ['events', 'campaign', 'github-leak', '--db', join(dir, 'events.db')], env: {}, stdout: s2, stderr: new PassThrough() })).toBe(0);
    expect(text).toContain('repo acme/api .env');
    expect(text).toContain('asked:  list the admin passwords');
    expect(text).toMatch(/canary: url +\S+… used via http from 192\.0\.2\.99/);
    expect(await main({ argv: ['events', 'campaign', '--db', join(dir, 'events.db')], env: {}, stdout: new PassThrough(), stderr: new PassThrough() })).toBe(2);

    // keys list reads the hit counts from the same event store, and shows no key
    const configFile = join(dir, 'honeygate.yaml');
    await writeFile(configFile, JSON.stringify(raw));
    let listed = '';
    const s3 = new PassThrough();
    s3.on('data', (c: Buffer) => (listed += c.toString()));
    expect(await main({ argv: ['keys', 'list', '--config', configFile, '--json'], env: {}, stdout: s3, stderr: new PassThrough() })).toBe(0);
    const rows = JSON.parse(listed) as { name: string; hits?: number }[];
    expect(rows.map((r) => [r.name, r.hits])).toEqual([
      ['a', 2],
      ['b', 1],
    ]);
    expect(listed).not.toContain(LURE_A);
  });
});
