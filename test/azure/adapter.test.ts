/**
 * The adapter under a decoy that compresses (OpenAI gzips answers for clients that accept gzip;
 * Azure never does): the client still gets Azure's plain body, JSON and SSE.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AzureDecoyResponse } from '../../src/providers/azure/adapter.js';
import type { AzureModelHeaders } from '../../src/providers/azure/headers.js';

const headers: AzureModelHeaders = { region: 'East US 2', deployment: 'd', modelSession: 'd20260101000000-000000000000', limitRequests: 1, limitTokens: 1000, remainingRequests: 0, remainingTokens: 990, resetRequests: 60000, resetTokens: 600 };
let server: http.Server;
let base = '';

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const adapter = new AzureDecoyResponse(res, { operation: 'chat.completions', reported: 'gpt-4o-2024-11-20', headers, head: false });
    if (req.url === '/json') {
      adapter.writeHead(200, ['Content-Type', 'application/json', 'Content-Encoding', 'gzip']);
      adapter.end(gzipSync(JSON.stringify({ id: 'x', object: 'chat.completion', model: 'gpt-4o', choices: [{ index: 0, message: { role: 'assistant', content: 'hi' } }], service_tier: 'default' })));
      return;
    }
    adapter.writeHead(200, ['Content-Type', 'text/event-stream; charset=utf-8', 'Content-Encoding', 'gzip']);
    const z = gzipSync('data: {"id":"x","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}]}\n\ndata: [DONE]\n\n');
    adapter.write(z.subarray(0, 10));
    adapter.end(z.subarray(10));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('Azure adapter over a compressing decoy', () => {
  it('answers JSON uncompressed in Azure\'s layout', async () => {
    const res = await fetch(`${base}/json`);
    expect(res.headers.get('content-encoding')).toBeNull();
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ model: 'gpt-4o-2024-11-20', prompt_filter_results: [{ prompt_index: 0 }] });
    expect(text).not.toContain('service_tier');
  });

  it('answers SSE uncompressed, rewritten event by event', async () => {
    const res = await fetch(`${base}/sse`);
    expect(res.headers.get('content-encoding')).toBeNull();
    const events = (await res.text()).split('\n\n').filter(Boolean);
    expect(events[0]).toContain('"prompt_filter_results"');
    expect(JSON.parse((events[1] as string).slice(6))).toMatchObject({ model: 'gpt-4o-2024-11-20', choices: [{ delta: { content: 'hi' } }] });
    expect(events.at(-1)).toBe('data: [DONE]');
  });
});
