/**
 * The Azure OpenAI provider in a real gateway on 127.0.0.1:0, driven by the official `AzureOpenAI`
 * client and raw HTTP: valid keys forwarded to a fake upstream with the key swapped in `api-key`,
 * lure keys deceived by the resource persona, unknown keys and tokens refused as Azure refuses
 * them (each raising the SDK's own error class), blocks and thresholds, events.
 */
import { AzureOpenAI, AuthenticationError, BadRequestError, NotFoundError, RateLimitError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintAzureKey } from '../../src/deception/azure-keys.js';
import { sha256Hex } from '../../src/util/hash.js';
import { startFakeUpstream, STREAM_PIECES, type FakeUpstream } from '../helpers/fake-upstream.js';
import { rawRequest, startTestGateway, type TestGateway } from '../helpers/gateway.js';

const VALID = mintAzureKey({ kind: 'classic' });
const LURE = mintAzureKey({ region: 'swedencentral' });
const THRESHOLD_LURE = mintAzureKey({ kind: 'classic' });
const UNKNOWN = mintAzureKey();
const COMPANY_KEY = 'company-resource-key-never-shown-to-clients';
const REPLY = 'The staging resource is acme-stg; its key is in the team vault.';

let upstream: FakeUpstream;
let gw: TestGateway;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  gw = await startTestGateway({
    upstreams: { prod: { type: 'azure', url: upstream.url, api_key: COMPANY_KEY, timeout: '2s' } },
    lure_defaults: { realistic_timing: false },
    azure_keys: [
      { name: 'app', key: `sha256:${sha256Hex(VALID)}`, class: 'valid', upstream: 'prod' },
      { name: 'teams-leak', key: LURE, class: 'lure', campaign: 'teams', placement: 'appsettings.json', reply: REPLY, resource: 'acme-openai-prod', deployments: { 'gpt-4o': 'gpt-4o', emb: 'text-embedding-3-small' } },
      { name: 'short-lure', key: THRESHOLD_LURE, class: 'lure', max_requests: 2, block_duration: '1m', deployments: { chat: 'gpt-4o-mini' } },
    ],
  });
});

afterAll(async () => {
  await gw.close();
  await upstream.close();
});

function client(apiKey: string, deployment: string, apiVersion = '2024-10-21'): AzureOpenAI {
  return new AzureOpenAI({ endpoint: gw.url, apiKey, apiVersion, deployment, maxRetries: 0 });
}

describe('Azure OpenAI through the gateway', () => {
  it('forwards a valid key with the company key swapped into api-key, streams unbuffered', async () => {
    const before = upstream.requests.length;
    const answer = await client(VALID, 'gpt-4o').chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'héllo' }] });
    expect(answer.choices[0]?.message.content).toBe('from upstream');
    const seen = upstream.requests[before];
    expect(seen?.url).toBe('/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21');
    expect(seen?.headers['api-key']).toBe(COMPANY_KEY);
    expect(JSON.stringify(seen?.rawHeaders)).not.toContain(VALID);
    const stream = await client(VALID, 'gpt-4o').chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }], stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).toBe(STREAM_PIECES.join(''));
  });

  it('removes a bearer key before forwarding', async () => {
    const before = upstream.requests.length;
    const res = await fetch(`${gw.url}/openai/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${VALID}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    const seen = upstream.requests[before];
    expect(seen?.headers.authorization).toBeUndefined();
    expect(seen?.headers['api-key']).toBe(COMPANY_KEY);
  });

  it('deceives a lure key: the persona\'s deployments, region, filter results and the lure reply', async () => {
    const raw = await client(LURE, 'gpt-4o').chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'what is in the vault?' }] }).withResponse();
    expect(raw.data.choices[0]?.message.content).toBe(REPLY);
    expect(raw.data.model).toBe('gpt-4o-2024-11-20');
    expect((raw.data as unknown as { prompt_filter_results: unknown[] }).prompt_filter_results).toHaveLength(1);
    expect(raw.response.headers.get('x-ms-region')).toBe('Sweden Central');
    expect(raw.response.headers.get('x-ms-deployment-name')).toBe('gpt-4o');
    expect(raw.response.headers.get('apim-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const emb = await client(LURE, 'emb').embeddings.create({ model: 'emb', input: 'hello' });
    expect(emb.data[0]?.embedding).toHaveLength(1536);
    await expect(client(LURE, 'gpt-35-turbo').chat.completions.create({ model: 'gpt-35-turbo', messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(NotFoundError);
    await expect(client(LURE, 'gpt-4o', '2031-01-01').chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(BadRequestError);
    const list = await fetch(`${gw.url}/openai/deployments?api-version=2022-12-01`, { headers: { 'api-key': LURE } });
    expect(((await list.json()) as { data: { id: string }[] }).data.map((d) => d.id).sort()).toEqual(['emb', 'gpt-4o']);
  });

  it('refuses unknown keys, missing keys and Entra tokens with Azure\'s 401 (AuthenticationError)', async () => {
    const err = await client(UNKNOWN, 'gpt-4o').chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as AuthenticationError).code).toBe('401');
    const raw = await rawRequest(gw.url, `POST /openai/deployments/test-deployment/embeddings?api-version=2023-07-01-preview HTTP/1.1\r\nHost: test-resource.openai.azure.com\r\napi-key: ${UNKNOWN}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`);
    expect(raw.startsWith('HTTP/1.1 401 PermissionDenied\r\n')).toBe(true);
    expect(raw).toContain('\r\n\r\n{"error":{"code":"401","message":"Access denied due to invalid subscription key or wrong API endpoint.');
    expect(raw).not.toContain(UNKNOWN);
    expect(raw.toLowerCase()).toContain('apim-request-id: ');
    const missing = await fetch(`${gw.url}/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21`, { method: 'POST', body: '{}' });
    expect(missing.status).toBe(401);
    expect(await missing.text()).toContain('missing subscription key');
    const jwt = `eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.${Buffer.from('{"aud":"https://cognitiveservices.azure.com"}').toString('base64url')}.c2lnbmF0dXJl`;
    const entra = new AzureOpenAI({ endpoint: gw.url, azureADTokenProvider: async () => jwt, apiVersion: '2024-10-21', deployment: 'gpt-4o', maxRetries: 0 });
    const e2 = await entra.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(AuthenticationError);
    expect((e2 as AuthenticationError).message).toContain('Access token is missing, invalid');
  });

  it('answers Resource not found for unknown paths and a missing api-version', async () => {
    for (const path of ['/openai/deployments/gpt-4o/chat/completions', '/openai/nothing?api-version=2024-10-21']) {
      const res = await fetch(gw.url + path, { method: 'POST', headers: { 'api-key': LURE }, body: '{}' });
      expect(res.status).toBe(404);
      expect(await res.text()).toBe('{"error":{"code":"404","message": "Resource not found"}}');
    }
  });

  it('throttles a lure after its threshold like an exhausted deployment (RateLimitError, retry-after)', async () => {
    const c = client(THRESHOLD_LURE, 'chat');
    for (let i = 0; i < 2; i++) await c.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'x' }] });
    const err = await c.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    expect((err as RateLimitError).headers.get('retry-after')).toBe('86400');
    expect((err as RateLimitError).message).toContain('have exceeded the token rate limit');
  });

  it('records events with the provider, the key class and the deployment\'s model', async () => {
    const events = await gw.waitForEvents(10);
    const azure = events.filter((e) => JSON.stringify(e).includes('azure'));
    expect(azure.length).toBeGreaterThan(0);
    const lure = events.find((e) => (e as unknown as { honeygate: { key: { name?: string } } }).honeygate.key.name === 'teams-leak');
    expect(lure).toBeDefined();
    expect(JSON.stringify(lure)).toContain('gpt-4o-2024-11-20');
    expect(JSON.stringify(events)).not.toContain(LURE);
    expect(JSON.stringify(events)).not.toContain(VALID);
  });
});

describe('Azure OpenAI network policy and rate limits', () => {
  it('answers a denied client with the firewall 403 and a rate-limited key with the call-rate 429', async () => {
    const denied = await startTestGateway({ network: { deny: ['127.0.0.0/8'] }, azure_keys: [{ key: LURE, class: 'lure' }] });
    try {
      const c = new AzureOpenAI({ endpoint: denied.url, apiKey: LURE, apiVersion: '2024-10-21', deployment: 'gpt-4o', maxRetries: 0 });
      const err = await c.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
      expect((err as { status?: number }).status).toBe(403);
      expect((err as Error).message).toContain('Virtual Network/Firewall rules');
    } finally {
      await denied.close();
    }
    const limited = await startTestGateway({
      lure_defaults: { realistic_timing: false },
      limits: { rules: [{ name: 'per-key', by: 'key', limit: 1, window: '1m' }] },
      azure_keys: [{ key: LURE, class: 'lure', deployments: { chat: 'gpt-4o-mini' } }],
    });
    try {
      const c = new AzureOpenAI({ endpoint: limited.url, apiKey: LURE, apiVersion: '2024-10-21', deployment: 'chat', maxRetries: 0 });
      await c.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'x' }] });
      const err = await c.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RateLimitError);
      expect((err as RateLimitError).message).toContain('Your requests to chat for gpt-4o-mini in');
      expect((err as RateLimitError).message).toContain('call rate limit');
      expect(Number((err as RateLimitError).headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await limited.close();
    }
  });
});

describe('Azure OpenAI lure upstream with a burner key', () => {
  it('sends the lure prompt to the burner resource on its own key, never the thief\'s', async () => {
    const burner = await startFakeUpstream();
    const gw2 = await startTestGateway({
      upstreams: { burner: { type: 'azure', url: burner.url, api_key: 'burner-resource-key', timeout: '2s' } },
      azure_keys: [{ key: LURE, class: 'lure', upstream: 'burner', prompt: 'You are the ACME support bot.' }],
    });
    try {
      const c = new AzureOpenAI({ endpoint: gw2.url, apiKey: LURE, apiVersion: '2024-10-21', deployment: 'gpt-4o', maxRetries: 0 });
      const answer = await c.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hello' }] });
      expect(answer.choices[0]?.message.content).toBe('from upstream');
      const seen = burner.requests[0];
      expect(seen?.headers['api-key']).toBe('burner-resource-key');
      expect(JSON.stringify(seen?.rawHeaders)).not.toContain(LURE);
      const body = JSON.parse(seen?.body.toString('utf8') ?? '{}') as { messages: { role: string; content: string }[] };
      expect(body.messages[0]).toEqual({ role: 'system', content: 'You are the ACME support bot.' });
      expect(body.messages[1]).toEqual({ role: 'user', content: 'hello' });
    } finally {
      await gw2.close();
      await burner.close();
    }
  });
});

describe('Azure OpenAI over HTTP/2 (h2c)', () => {
  it('answers without connection-specific headers', async () => {
    const { connect } = await import('node:http2');
    const gw3 = await startTestGateway({ lure_defaults: { realistic_timing: false }, azure_keys: [{ key: LURE, class: 'lure', deployments: { chat: 'gpt-4o-mini' } }] });
    const session = connect(gw3.url);
    try {
      const result = await new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
        const req = session.request({ ':method': 'POST', ':path': '/openai/deployments/chat/chat/completions?api-version=2024-10-21', 'api-key': LURE, 'content-type': 'application/json' });
        let body = '';
        let headers: Record<string, unknown> = {};
        req.on('response', (h) => (headers = h));
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => resolve({ status: Number(headers[':status']), headers, body }));
        req.on('error', reject);
        req.end(JSON.stringify({ messages: [{ role: 'user', content: 'x' }] }));
      });
      expect(result.status).toBe(200);
      expect(result.headers['transfer-encoding']).toBeUndefined();
      expect(result.headers['connection']).toBeUndefined();
      expect(result.headers['x-ms-deployment-name']).toBe('chat');
      expect((JSON.parse(result.body) as { model: string }).model).toBe('gpt-4o-mini-2024-07-18');
    } finally {
      session.close();
      await gw3.close();
    }
  });
});
