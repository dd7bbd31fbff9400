/**
 * An MCP server behind the gateway (issue 10, part 5), with the official TypeScript SDK on both
 * ends: the client discovers the RFC 9728 metadata from the 401 challenge, obtains a token from the
 * test issuer (client_credentials, RFC 8707 resource) and talks through the gateway — sessions,
 * SSE progress streamed unbuffered, a denied tool refused, aborts propagated; malformed JSON-RPC
 * and oversized bodies refused with clear problem details; a lure OAuth client gets the decoy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ClientCredentialsProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startIssuer, type TestIssuer } from './helpers/issuer.js';
import { startMcpServer, type TestMcpServer } from './helpers/mcp-server.js';

let issuer: TestIssuer;
let mcp: TestMcpServer;
let gw: TestGateway;
let resource: string;

beforeAll(async () => {
  issuer = await startIssuer();
  issuer.clients.set('agent', { secret: 'agent-secret', scope: 'mcp' });
  issuer.clients.set('thief', { secret: 'thief-secret', scope: 'mcp' });
  mcp = await startMcpServer();
  gw = await startTestGateway({
    max_body_bytes: 4096,
    routes: [
      {
        name: 'mcp',
        prefix: '/mcp',
        upstream: mcp.url,
        auth: { oauth: { issuer: issuer.issuer, scopes: ['mcp'], lure_clients: ['thief'] } },
        mcp: { tools: { deny: ['admin_*'] } },
        lure: {
          fixtures: { 'tool:lookup_customer': { body: { name: 'Dana Whitfield', crm_url: '{{canary:url}}', api_token: '{{canary:token}}' } } },
        },
      },
    ],
  });
  resource = `${gw.url}/mcp`;
});

afterAll(async () => {
  await gw.close();
  await mcp.close();
  await issuer.close();
});

async function connect(clientId: string, secret: string): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const provider = new ClientCredentialsProvider({ clientId, clientSecret: secret, scope: 'mcp', expectedIssuer: issuer.issuer });
  const transport = new StreamableHTTPClientTransport(new URL(resource), { authProvider: provider });
  const client = new Client({ name: 'test-agent', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

const token = (clientId = 'agent'): Promise<string> => issuer.sign({ sub: `svc-${clientId}`, client_id: clientId, scope: 'mcp', aud: resource });

function post(body: string, auth: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(resource, {
    method: 'POST',
    headers: { authorization: `Bearer ${auth}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body,
  });
}

describe('the official SDK client and server through the gateway', () => {
  it('discovers the protected-resource metadata, gets a token from the issuer, lists and calls tools', async () => {
    const { client, transport } = await connect('agent', 'agent-secret');
    try {
      expect(transport.sessionId).toMatch(/^[0-9a-f-]{36}$/);
      const tools = await client.listTools();
      expect(tools.tools.map((t) => t.name).sort()).toEqual(['admin_reset', 'count', 'echo']);
      const result = await client.callTool({ name: 'echo', arguments: { text: 'héllo ✓' } });
      expect(result.content).toEqual([{ type: 'text', text: 'héllo ✓' }]);
      // the session id passed both ways; the server saw the user and the client's token
      expect(mcp.sessionsSeen).toContain(transport.sessionId);
      expect(mcp.users.at(-1)).toBe('svc-agent');
      expect(mcp.authorizations.at(-1)).toMatch(/^Bearer ey/);
      await new Promise((r) => setTimeout(r, 30));
      const e = gw.events.filter((x) => x.honeygate.tool?.operation === 'tools/call:echo').at(-1)!;
      expect(e.honeygate.verdict).toEqual({ action: 'forward', reason: 'valid_key' });
      expect(e.honeygate.tool).toMatchObject({ user: 'svc-agent', session: transport.sessionId, client_id: 'agent', auth: 'jwt' });
      expect(e.honeygate.route).toBe('mcp');
    } finally {
      await client.close();
    }
  });

  it('streams progress notifications as they happen (SSE unbuffered)', async () => {
    const { client } = await connect('agent', 'agent-secret');
    try {
      const times: number[] = [];
      const started = Date.now();
      const result = await client.callTool({ name: 'count', arguments: { n: 5 } }, undefined, { onprogress: () => times.push(Date.now() - started) });
      const done = Date.now() - started;
      expect(result.content).toEqual([{ type: 'text', text: 'counted 5' }]);
      expect(times.length).toBe(5);
      // the server sleeps 80 ms between notifications: a buffering proxy would deliver them all at the end
      expect(times[4]! - times[0]!).toBeGreaterThan(250);
      expect(done - times[0]!).toBeGreaterThan(300);
    } finally {
      await client.close();
    }
  });

  it('a denied tool is refused before the server sees it', async () => {
    const { client } = await connect('agent', 'agent-secret');
    try {
      await expect(client.callTool({ name: 'admin_reset', arguments: {} })).rejects.toThrow(/403/);
      expect(mcp.adminCalls).toBe(0);
      await new Promise((r) => setTimeout(r, 30));
      const e = gw.events.filter((x) => x.honeygate.tool?.operation === 'tools/call:admin_reset').at(-1)!;
      expect(e.event.action).toBe('reject:operation_denied');
    } finally {
      await client.close();
    }
  });

  it('a client that goes away closes the server stream (abort propagated)', async () => {
    const auth = await token();
    const init = await post(
      JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }),
      auth,
    );
    expect(init.status).toBe(200);
    const sessionId = init.headers.get('mcp-session-id')!;
    await init.text();
    const headers = { authorization: `Bearer ${auth}`, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' };
    await (await post('{"jsonrpc":"2.0","method":"notifications/initialized"}', auth, headers)).text();
    const controller = new AbortController();
    const asked = Date.now();
    const res = await fetch(resource, { headers: { ...headers, accept: 'text/event-stream', 'x-test-stream': 'abort-1' }, signal: controller.signal });
    // regression: a silent event stream's head is sent at once, not with its first event
    expect(Date.now() - asked).toBeLessThan(2000);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const closed = mcp.streamClosed('abort-1');
    const early = await Promise.race([closed.then(() => 'closed'), new Promise((r) => setTimeout(() => r('open'), 200))]);
    expect(early).toBe('open');
    controller.abort();
    const outcome = await Promise.race([closed.then(() => 'closed'), new Promise((r) => setTimeout(() => r('timeout'), 3000))]);
    expect(outcome).toBe('closed');
  });

  it('without a token: 401 naming the metadata, which names the issuer', async () => {
    const res = await fetch(resource, { method: 'POST', body: '{}' });
    expect(res.status).toBe(401);
    const challenge = res.headers.get('www-authenticate') ?? '';
    const url = /resource_metadata="([^"]+)"/.exec(challenge)?.[1];
    expect(url).toBe(`${gw.url}/.well-known/oauth-protected-resource/mcp`);
    const meta = (await (await fetch(url!)).json()) as { resource: string; authorization_servers: string[] };
    expect(meta).toMatchObject({ resource, authorization_servers: [issuer.issuer] });
  });
});

describe('malformed JSON-RPC and bodies', () => {
  const cases: [string, string][] = [
    ['{not json', 'The request body is not valid JSON.'],
    ['{"jsonrpc":"1.0","id":1,"method":"ping"}', 'A JSON-RPC message needs "jsonrpc": "2.0".'],
    ['[]', 'An empty JSON-RPC batch.'],
    ['{"jsonrpc":"2.0","id":{},"method":"ping"}', 'A JSON-RPC id is a string, a number or null.'],
    ['{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{}}', 'tools/call needs params.name (a string).'],
    ['{"jsonrpc":"2.0","id":1,"method":""}', 'A JSON-RPC method is a non-empty string.'],
    ['{"jsonrpc":"2.0","id":1}', 'A JSON-RPC message is a request, a notification or a response.'],
    ['[1]', 'Not a JSON-RPC 2.0 message (message 0).'],
  ];
  for (const [body, detail] of cases) {
    it(`400 for ${body}`, async () => {
      const res = await post(body, await token());
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(await res.json()).toEqual({ type: 'about:blank', title: 'Bad Request', status: 400, detail });
    });
  }

  it('413 for a body over the limit, declared or streamed', async () => {
    const big = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { text: 'x'.repeat(10_000) } } });
    const res = await post(big, await token());
    expect(res.status).toBe(413);
    expect(((await res.json()) as { detail: string }).detail).toBe('The request body is larger than 4096 bytes.');
    const chunked = await fetch(resource, {
      method: 'POST',
      headers: { authorization: `Bearer ${await token()}`, 'content-type': 'application/json' },
      body: new ReadableStream({
        start(c) {
          for (let i = 0; i < 10; i++) c.enqueue(new TextEncoder().encode('x'.repeat(1000)));
          c.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
  });

  it('a malformed mcp-session-id header is a clear 400', async () => {
    const res = await post('{"jsonrpc":"2.0","id":1,"method":"ping"}', await token(), { 'mcp-session-id': 'x'.repeat(300) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { detail: string }).detail).toBe('The mcp-session-id header is malformed.');
  });
});

describe('a lure OAuth client', () => {
  it('gets the decoy through the same SDK: plausible tools and answers with canaries, never the server', async () => {
    const seenBefore = mcp.sessionsSeen.length + mcp.authorizations.length;
    const { client } = await connect('thief', 'thief-secret');
    try {
      const tools = await client.listTools();
      expect(tools.tools.map((t) => t.name)).toEqual(['lookup_customer']);
      const result = await client.callTool({ name: 'lookup_customer', arguments: { query: 'x' } });
      const text = (result.content as { type: string; text: string }[])[0]!.text;
      const data = JSON.parse(text) as { crm_url: string; api_token: string; name: string };
      expect(data.name).toBe('Dana Whitfield');
      expect(data.crm_url).toMatch(new RegExp(`^${gw.url}/c/[A-Za-z0-9_-]{22}$`));
      expect(data.api_token).toMatch(/^[A-Za-z0-9]{40}$/);
      expect(mcp.sessionsSeen.length + mcp.authorizations.length).toBe(seenBefore);
      await new Promise((r) => setTimeout(r, 30));
      const e = gw.events.filter((x) => x.honeygate.tool?.operation === 'tools/call:lookup_customer').at(-1)!;
      expect(e.honeygate.verdict).toEqual({ action: 'deceive', reason: 'lure_key' });
      expect(e.honeygate.key?.class).toBe('lure');
      expect(e.honeygate.lure?.canaries?.length).toBe(2);
      // the canary URL leads back to this request
      await fetch(data.crm_url);
      await new Promise((r) => setTimeout(r, 50));
      const hit = gw.events.find((x) => x.event.dataset === 'honeygate.canary');
      expect(hit?.honeygate.canary?.minted_by).toBe(e.event.id);
    } finally {
      await client.close();
    }
  });
});
