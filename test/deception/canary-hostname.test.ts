/**
 * Hostname canaries: a reply's {{canary:hostname}} is minted under public_url's host; a later
 * request whose Host is that name (wildcard DNS pointed at honeygate) is an attributed canary event,
 * and the request itself is answered as usual.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest, startTestGateway, type TestGateway } from '../helpers/gateway.js';

const LURE = 'sk-proj-HostnameCanaryLure0123456789abcdefghijklmnopqrstuvwxyzT3BlbkFJ0123456789';
let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway({
    public_url: 'https://llm-gw.acme.example',
    canary_secret: 'a-test-canary-secret-0123456789',
    trusted_proxies: ['127.0.0.1/32'],
    lure_defaults: { realistic_timing: false },
    keys: [{ name: 'h', key: LURE, class: 'lure', campaign: 'wiki', reply: 'Connect to {{canary:hostname:vault}} for the secrets.' }],
  });
});
afterAll(() => gw.close());

describe('hostname canaries', () => {
  it('a request for the minted hostname links back to the lure request', async () => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${LURE}`, 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.7' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'where are the secrets?' }] }),
    });
    const text = ((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]?.message.content ?? '';
    const host = /(vault-[a-z2-7]{10}\.llm-gw\.acme\.example)/.exec(text)?.[1];
    expect(host).toBeDefined();
    const raw = await rawRequest(gw.url, `GET /v1/models HTTP/1.1\r\nHost: ${host!}\r\nX-Forwarded-For: 198.51.100.33\r\nConnection: close\r\n\r\n`);
    expect(raw.startsWith('HTTP/1.1 401')).toBe(true);
    const until = Date.now() + 3000;
    let hit = gw.events.find((e) => e.event.dataset === 'honeygate.canary');
    while (!hit && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 20));
      hit = gw.events.find((e) => e.event.dataset === 'honeygate.canary');
    }
    expect(hit?.honeygate.canary).toMatchObject({ kind: 'hostname', minted_for_ip: '203.0.113.7', via: 'http' });
    expect(hit?.source?.ip).toBe('198.51.100.33');
    // a look-alike that was never minted produces no canary event
    const n = gw.events.filter((e) => e.event.dataset === 'honeygate.canary').length;
    await rawRequest(gw.url, `GET /v1/models HTTP/1.1\r\nHost: vault-aaaaaaaaaa.llm-gw.acme.example\r\nConnection: close\r\n\r\n`);
    await new Promise((r) => setTimeout(r, 100));
    expect(gw.events.filter((e) => e.event.dataset === 'honeygate.canary').length).toBe(n);
  });
});
