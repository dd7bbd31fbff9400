/**
 * Server tools on lure answers, through the official SDK against a real listener: web search
 * (server_tool_use + web_search_tool_result + a cited text, usage.server_tool_use, results billed
 * as input) and web fetch (web_fetch_tool_result with the reply as the page), JSON and streamed.
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseServerTool, searchQuery, searchResults } from '../../src/providers/anthropic/server-tools.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const LURE = `sk-ant-api03-${'W'.repeat(93)}AA`;
const REPLY = 'The rollout finished on Tuesday. Details at {{canary:url}}.';
const SEARCH = { type: 'web_search_20250305' as const, name: 'web_search' as const };
const FETCH = { type: 'web_fetch_20250910' as const, name: 'web_fetch' as const };

let gw: TestGateway;
const client = (): Anthropic => new Anthropic({ apiKey: LURE, baseURL: gw.url, maxRetries: 0 });

beforeAll(async () => {
  gw = await startTestGateway({
    public_url: 'https://gw.example.com',
    canary_secret: 'a-test-canary-secret-of-enough-length',
    lure_defaults: { realistic_timing: false, max_requests: 1000 },
    anthropic_keys: [{ name: 'w', key: LURE, class: 'lure', reply: REPLY }],
  });
});

afterAll(async () => {
  await gw?.close();
});

describe('rules', () => {
  it('a query from the question; results honour allowed and blocked domains', () => {
    expect(searchQuery('What is the current weather in San Francisco?')).toBe('weather San Francisco');
    const allowed = searchResults('weather San Francisco', { allowed_domains: ['weather.gov'] });
    expect(allowed.every((r) => String(r['url']).startsWith('https://weather.gov/'))).toBe(true);
    const blocked = searchResults('x', { blocked_domains: ['wikipedia.org', 'reuters.com'] });
    expect(blocked.some((r) => /wikipedia|reuters/.test(String(r['url'])))).toBe(false);
    expect(blocked.length).toBeGreaterThan(2);
  });

  it('which turn runs a server tool', () => {
    const body = { tools: [SEARCH, FETCH] };
    expect(chooseServerTool(body, 'news about rust', false, true)).toBe('web_search');
    expect(chooseServerTool(body, 'summarize https://example.org/a.html please', false, true)).toBe('web_fetch');
    expect(chooseServerTool(body, 'news', true, true)).toBeUndefined();
    expect(chooseServerTool(body, 'news', false, false)).toBeUndefined();
    expect(chooseServerTool({ ...body, tool_choice: { type: 'none' } }, 'news', false, true)).toBeUndefined();
    expect(chooseServerTool({ ...body, tool_choice: { type: 'tool', name: 'web_fetch' } }, 'news', false, false)).toBe('web_fetch');
  });
});

describe('the official SDK', () => {
  it('web search: the call, its results, a cited answer, the request counted and the results billed', async () => {
    const msg = await client().messages.create({ model: 'claude-opus-4-6', max_tokens: 1000, tools: [SEARCH], messages: [{ role: 'user', content: 'What is the current weather in San Francisco?' }] });
    expect(msg.content.map((b) => b.type)).toEqual(['server_tool_use', 'web_search_tool_result', 'text']);
    const [call, result, text] = msg.content;
    if (call?.type !== 'server_tool_use' || result?.type !== 'web_search_tool_result' || text?.type !== 'text') throw new Error('layout');
    expect(call.id).toMatch(/^srvtoolu_01[1-9A-HJ-NP-Za-km-z]{22}$/);
    expect(call).toMatchObject({ name: 'web_search', input: { query: 'weather San Francisco' } });
    expect(result.tool_use_id).toBe(call.id);
    const results = result.content as { type: string; url: string; title: string; encrypted_content: string }[];
    expect(results.length).toBeGreaterThanOrEqual(3);
    for (const r of results) {
      expect(r.type).toBe('web_search_result');
      expect(r.url).toMatch(/^https:\/\//);
      expect(r.encrypted_content.length).toBeGreaterThan(500);
    }
    expect(text.text).toMatch(/^The rollout finished on Tuesday\. Details at https:\/\/gw\.example\.com\//);
    expect(text.citations?.[0]).toMatchObject({ type: 'web_search_result_location', url: results[0]?.url, cited_text: 'The rollout finished on Tuesday.' });
    expect(msg.usage.server_tool_use).toEqual({ web_search_requests: 1, web_fetch_requests: 0 });
    // the instructions of the tool and the results are input
    expect(msg.usage.input_tokens).toBeGreaterThan(2000 + results.length * 500);
    expect(msg.stop_reason).toBe('end_turn');
  });

  it('web search streamed: the SDK assembles the same blocks; the final input count exceeds the first', async () => {
    const stream = client().messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 1000, tools: [SEARCH], messages: [{ role: 'user', content: 'latest rust release' }] });
    let firstInput = 0;
    let ping = false;
    stream.on('streamEvent', (e) => {
      if (e.type === 'message_start') firstInput = e.message.usage.input_tokens;
      if ((e.type as string) === 'ping') ping = true;
    });
    const final = await stream.finalMessage();
    expect(final.content.map((b) => b.type)).toEqual(['server_tool_use', 'web_search_tool_result', 'text']);
    expect(final.content[0]).toMatchObject({ type: 'server_tool_use', name: 'web_search', input: { query: 'rust release' } });
    const text = final.content[2];
    expect(text?.type === 'text' ? text.citations?.length : 0).toBe(1);
    expect(final.usage.server_tool_use?.web_search_requests).toBe(1);
    expect(final.usage.input_tokens).toBeGreaterThan(firstInput);
    expect(ping).toBe(false);
  });

  it('web fetch: the URL of the question fetched, the page carrying the reply', async () => {
    const msg = await client().messages.create({ model: 'claude-opus-4-6', max_tokens: 1000, tools: [FETCH], messages: [{ role: 'user', content: 'Summarize https://status.example.org/incidents/42 for me.' }] });
    expect(msg.content.map((b) => b.type)).toEqual(['server_tool_use', 'web_fetch_tool_result', 'text']);
    expect(msg.content[0]).toMatchObject({ name: 'web_fetch', input: { url: 'https://status.example.org/incidents/42' } });
    const result = msg.content[1];
    if (result?.type !== 'web_fetch_tool_result') throw new Error('layout');
    expect(result.content).toMatchObject({ type: 'web_fetch_result', url: 'https://status.example.org/incidents/42', content: { type: 'document', source: { type: 'text', media_type: 'text/plain' } } });
    expect(JSON.stringify(result.content)).toContain('The rollout finished on Tuesday.');
    expect(msg.usage.server_tool_use).toEqual({ web_search_requests: 0, web_fetch_requests: 1 });
  });

  it('offered but not used (a follow-up turn): counted as zero; a custom tool still wins its turn', async () => {
    const msg = await client().messages.create({
      model: 'claude-opus-4-6', max_tokens: 200, tools: [SEARCH],
      messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'Hello' }, { role: 'user', content: [{ type: 'text', text: 'thanks' }] }],
      tool_choice: { type: 'none' },
    });
    expect(msg.content.map((b) => b.type)).toEqual(['text']);
    expect(msg.usage.server_tool_use).toEqual({ web_search_requests: 0, web_fetch_requests: 0 });
    const custom = await client().messages.create({
      model: 'claude-opus-4-6', max_tokens: 300,
      tools: [SEARCH, { name: 'lookup', input_schema: { type: 'object', properties: { q: { type: 'string' } } } }],
      messages: [{ role: 'user', content: 'find x' }],
    });
    expect(custom.content.map((b) => b.type)).toEqual(['tool_use']);
  });
});
