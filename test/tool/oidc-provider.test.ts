/**
 * A real OpenID Connect issuer (oidc-provider 9) in front of a tool route and an MCP server
 * (issue 10, part 4/5): JWT access tokens for the RFC 8707 resource from the client_credentials
 * grant; the gateway finds the JWKS through the issuer's discovery document (no jwks_uri in the
 * config); the official MCP SDK client authorises against this issuer through the gateway's RFC 9728
 * metadata.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ClientCredentialsProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startApi, type FakeApi } from './helpers/api.js';
import { startMcpServer, type TestMcpServer } from './helpers/mcp-server.js';

let op: Server;
let issuer = '';
let api: FakeApi;
let mcp: TestMcpServer;
let gw: TestGateway;

beforeAll(async () => {
  api = await startApi();
  mcp = await startMcpServer();
  op = createServer();
  await new Promise<void>((r) => op.listen(0, '127.0.0.1', r));
  issuer = `http://127.0.0.1:${(op.address() as AddressInfo).port}`;
  gw = await startTestGateway({
    routes: [
      { name: 'api', prefix: '/api', upstream: api.url, auth: { oauth: { issuer, scopes: ['read'] } } },
      { name: 'mcp', prefix: '/mcp', upstream: mcp.url, auth: { oauth: { issuer, scopes: ['read'] } }, mcp: {} },
    ],
  });
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: 'op-key-1', alg: 'RS256', use: 'sig' };
  const provider = new Provider(issuer, {
    clients: [
      { client_id: 'agent', client_secret: 'agent-secret-0123456789abcdef', grant_types: ['client_credentials'], redirect_uris: [], response_types: [], token_endpoint_auth_method: 'client_secret_basic' },
    ],
    jwks: { keys: [jwk] },
    scopes: ['read'],
    ttl: { ClientCredentials: 300 },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => `${gw.url}/api`,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, indicator: string) => ({ scope: 'read', audience: indicator, accessTokenTTL: 300, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } }),
      },
    },
  });
  op.on('request', provider.callback());
});

afterAll(async () => {
  await gw.close();
  await mcp.close();
  await api.close();
  await new Promise<void>((r) => {
    op.closeAllConnections();
    op.close(() => r());
  });
});

async function tokenFor(resource: string, scope = 'read'): Promise<string> {
  const res = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from('agent:agent-secret-0123456789abcdef').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope, resource }).toString(),
  });
  const body = (await res.json()) as { access_token?: string; error?: string };
  if (!body.access_token) throw new Error(`no token: ${JSON.stringify(body)}`);
  return body.access_token;
}

describe('oidc-provider as the issuer', () => {
  it('its JWT access token for this resource is accepted; the JWKS found through discovery', async () => {
    const token = await tokenFor(`${gw.url}/api`);
    expect(token.split('.').length).toBe(3);
    const res = await fetch(`${gw.url}/api/things`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(api.seen.at(-1)!.headers['x-honeygate-user']).toBe('agent');
  });

  it('a token for another resource is refused', async () => {
    const token = await tokenFor(`${gw.url}/mcp`);
    const res = await fetch(`${gw.url}/api/things`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(401);
  });

  it('the MCP SDK client authorises against it through the gateway metadata', async () => {
    const transport = new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp`), {
      authProvider: new ClientCredentialsProvider({ clientId: 'agent', clientSecret: 'agent-secret-0123456789abcdef', scope: 'read', expectedIssuer: issuer }),
    });
    const client = new Client({ name: 'op-agent', version: '1.0.0' });
    await client.connect(transport);
    try {
      const result = await client.callTool({ name: 'echo', arguments: { text: 'via oidc-provider' } });
      expect(result.content).toEqual([{ type: 'text', text: 'via oidc-provider' }]);
    } finally {
      await client.close();
    }
  });
});
