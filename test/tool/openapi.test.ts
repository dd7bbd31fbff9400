/**
 * Positive security from the action's own OpenAPI document (issue 10, part 6) and lures on a GPT
 * action route (part 9): out-of-spec operations get 404 and invalid parameters or bodies 400
 * before the API sees them; a lure secret gets answers built from the document's response schemas
 * and examples (or fixtures) with canaries, counted toward the threshold and the block exactly as
 * on the LLM surfaces. Also: routing (prefix boundaries, /v1 not shadowed).
 */
import type { CompiledTool } from '../../src/providers/tool/provider.js';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretDigest } from '../../src/providers/tool/secrets.js';
import { rawRequest, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startApi, type FakeApi } from './helpers/api.js';

const DOC = `openapi: 3.1.0
info: { title: Weather, version: 1.0.0 }
servers: [{ url: https://gw.example.com/weather }]
paths:
  /forecast:
    get:
      operationId: getForecast
      parameters:
        - { name: city, in: query, required: true, schema: { type: string, minLength: 2 } }
        - { name: days, in: query, schema: { type: integer, minimum: 1, maximum: 7 } }
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                type: object
                required: [city, temperature, details_url]
                properties:
                  city: { type: string }
                  temperature: { type: number }
                  details_url: { type: string, format: uri }
  /alerts:
    post:
      operationId: createAlert
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [city, threshold]
              additionalProperties: false
              properties:
                city: { type: string }
                threshold: { type: number }
      responses:
        '201':
          description: created
          content:
            application/json:
              schema:
                type: object
                required: [id, webhook_url]
                properties:
                  id: { type: string }
                  webhook_url: { type: string }
  /stations/{id}:
    get:
      operationId: getStation
      parameters: [{ name: id, in: path, required: true, schema: { type: integer } }]
      responses:
        '200':
          description: ok
          content: { application/json: { example: { id: 7, name: Harbor } } }
`;

const VALID = 'hgs_valid-action-secret-0123456789abcdefghijklm';
const LURE = 'hgs_lure-action-secret-0123456789abcdefghijklmn';
const hash = (s: string): string => `sha256:${secretDigest(s).toString('hex')}`;

let api: FakeApi;
let gw: TestGateway;

function weatherConfig(file: string, maxRequests: number): Record<string, unknown> {
  return {
    trusted_proxies: ['127.0.0.1/32'],
    routes: [
      {
        name: 'weather',
        prefix: '/weather',
        upstream: `${api.url}/`,
        openapi: { file },
        auth: {
          secrets: [
            { name: 'chatgpt', hash: hash(VALID) },
            { name: 'planted', hash: hash(LURE), lure: true },
          ],
        },
        lure: { max_requests: maxRequests, block_duration: '1h', campaign: 'gpt-store', placement: 'action config', fixtures: { getStation: { body: { id: 7, name: 'Harbor', admin_password: '{{canary:password}}' } } } },
      },
      { name: 'root', prefix: '/', upstream: api.url, auth: { public: true } },
      { name: 'shadow', prefix: '/', host: 'tools.example', shadow_openai: true, upstream: api.url, auth: { public: true } },
    ],
  };
}

let file = '';

beforeAll(async () => {
  api = await startApi();
  const dir = await mkdtemp(join(tmpdir(), 'hg-openapi-'));
  file = join(dir, 'weather.yaml');
  await writeFile(file, DOC);
  gw = await startTestGateway(weatherConfig(file, 100));
  await (gw.gateway.state.runtime.providers.get('tool') as CompiledTool | undefined)?.tool.ready();
});

afterAll(async () => {
  await gw.close();
  await api.close();
});

function call(path: string, init: { method?: string; body?: string; secret?: string; xff?: string } = {}): Promise<Response> {
  return fetch(`${gw.url}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${init.secret ?? VALID}`,
      ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(init.xff !== undefined ? { 'x-forwarded-for': init.xff } : {}),
      'openai-conversation-id': '20ef780d-d805-5be6-8796-7a1737c38796',
      'openai-ephemeral-user-id': '19b15bb5-f9cf-58eb-8f06-840d3dbd661b',
      'openai-gpt-id': 'g-o1WpV3uQ0',
      'openai-subdivision-1-iso-code': 'US-CA',
    },
    ...(init.body !== undefined ? { body: init.body } : {}),
  });
}

describe('the OpenAPI document as the allow list', () => {
  it('an operation in the document with valid parameters is forwarded; the audit names it', async () => {
    const res = await call('/weather/forecast?city=Paris&days=3');
    expect(res.status).toBe(200);
    expect(((await res.json()) as { url: string }).url).toBe('/forecast?city=Paris&days=3');
    await new Promise((r) => setTimeout(r, 30));
    const e = gw.events.at(-1)!;
    expect(e.honeygate.tool).toEqual({
      operation: 'getForecast',
      user: '19b15bb5-f9cf-58eb-8f06-840d3dbd661b',
      conversation: '20ef780d-d805-5be6-8796-7a1737c38796',
      gpt_id: 'g-o1WpV3uQ0',
      region: 'US-CA',
      auth: 'secret',
    });
    expect(e.honeygate.route).toBe('weather');
    expect(e.honeygate.key?.name).toBe('chatgpt');
  });

  it('a valid JSON body arrives unchanged', async () => {
    const body = '{"city":"Oslo","threshold":-5.5}';
    const res = await call('/weather/alerts', { method: 'POST', body });
    expect(res.status).toBe(200);
    expect(api.seen.at(-1)!.body.toString()).toBe(body);
  });

  it('operations outside the document: 404, and the API never sees them', async () => {
    const n = api.seen.length;
    for (const [method, path] of [['GET', '/weather/admin'], ['DELETE', '/weather/forecast'], ['GET', '/weather/'], ['PUT', '/weather/alerts']] as const) {
      const res = await call(path, { method });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(await res.json()).toEqual({ type: 'about:blank', title: 'Not Found', status: 404 });
    }
    expect(api.seen.length).toBe(n);
    await new Promise((r) => setTimeout(r, 30));
    expect(gw.events.at(-1)!.event.action).toBe('reject:operation_unknown');
  });

  it('invalid parameters and bodies: 400 with what is wrong', async () => {
    const n = api.seen.length;
    const cases: [string, { method?: string; body?: string }][] = [
      ['/weather/forecast', {}],
      ['/weather/forecast?city=Paris&days=9', {}],
      ['/weather/forecast?city=P', {}],
      ['/weather/stations/abc', {}],
      ['/weather/alerts', { method: 'POST', body: '{"city":"Oslo"}' }],
      ['/weather/alerts', { method: 'POST', body: '{"city":"Oslo","threshold":1,"extra":true}' }],
      ['/weather/alerts', { method: 'POST', body: '{"city":"Oslo","threshold":"high"}' }],
    ];
    for (const [path, init] of cases) {
      const res = await call(path, init);
      expect(res.status, path).toBe(400);
      const body = (await res.json()) as { detail: string; errors: string[] };
      expect(body.detail).toBe('The request does not match the API description.');
      expect(body.errors.length, `${path} ${init.body ?? ''}`).toBeGreaterThan(0);
    }
    const notJson = await call('/weather/alerts', { method: 'POST', body: '{"city":' });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { detail: string }).detail).toBe('The request body is not valid JSON.');
    expect(api.seen.length).toBe(n);
  });
});

describe('a lure secret on a GPT action', () => {
  it('gets answers built from the response schema, with a canary in the link field', async () => {
    const n = api.seen.length;
    const res = await call('/weather/forecast?city=Paris', { secret: LURE, xff: '203.0.113.50' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { city: string; temperature: number; details_url: string };
    expect(typeof body.city).toBe('string');
    expect(typeof body.temperature).toBe('number');
    expect(body.details_url).toMatch(new RegExp(`^${gw.url}/c/[A-Za-z0-9_-]{22}$`));
    const created = await call('/weather/alerts', { method: 'POST', body: '{"city":"Oslo","threshold":2}', secret: LURE, xff: '203.0.113.50' });
    expect(created.status).toBe(201);
    expect(((await created.json()) as { webhook_url: string }).webhook_url).toMatch(/\/c\//);
    expect(api.seen.length).toBe(n);
    await new Promise((r) => setTimeout(r, 30));
    const e = gw.events.at(-1)!;
    expect(e.honeygate.verdict).toEqual({ action: 'deceive', reason: 'lure_key' });
    expect(e.honeygate.key).toMatchObject({ class: 'lure', name: 'planted', campaign: 'gpt-store', placement: 'action config' });
    expect(e.event.kind).toBe('alert');
    expect(e.honeygate.lure?.canaries?.length).toBe(1);
  });

  it('fixtures win over the schema, and their canaries are minted per caller', async () => {
    const a = (await (await call('/weather/stations/7', { secret: LURE, xff: '203.0.113.50' })).json()) as { admin_password: string; name: string };
    const b = (await (await call('/weather/stations/7', { secret: LURE, xff: '203.0.113.51' })).json()) as { admin_password: string };
    expect(a.name).toBe('Harbor');
    expect(a.admin_password).toMatch(/^.{20}$/);
    expect(b.admin_password).not.toBe(a.admin_password);
  });

  it('the lure sees the same refusals as the real API (validation, unknown operations)', async () => {
    expect((await call('/weather/forecast', { secret: LURE, xff: '203.0.113.52' })).status).toBe(400);
    expect((await call('/weather/admin', { secret: LURE, xff: '203.0.113.52' })).status).toBe(404);
  });

  it('counts toward the threshold, then the lure key alone is spent (other credentials from the same client keep working)', async () => {
    const own = await startTestGateway(weatherConfig(file, 5));
    try {
      await (own.gateway.state.runtime.providers.get('tool') as CompiledTool | undefined)?.tool.ready();
      const ip = '203.0.113.99';
      const at = (path: string, secret?: string): Promise<Response> =>
        fetch(`${own.url}${path}`, { headers: { authorization: `Bearer ${secret ?? VALID}`, 'x-forwarded-for': ip } });
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await at('/weather/forecast?city=Rome', LURE)).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 403]);
      await new Promise((r) => setTimeout(r, 30));
      expect(own.events.at(-1)!.event.action).toBe('block:lure_threshold');
      // a block never ties keys together: the valid credential from the same address is served
      const valid = await at('/weather/forecast?city=Rome');
      expect(valid.status).toBe(200);
    } finally {
      await own.close();
    }
  });
});

describe('routing', () => {
  it('a public route without secrets passes any Authorization to its upstream', async () => {
    const res = await fetch(`${gw.url}/anything`, { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    expect(res.status).toBe(200);
    expect(api.seen.at(-1)!.headers.authorization).toBe('Basic dXNlcjpwYXNz');
  });

  it('a prefix matches on a segment boundary only', async () => {
    const res = await fetch(`${gw.url}/weatherx/forecast`);
    expect(res.status).toBe(200); // the public root route, not /weather
    expect(((await res.json()) as { url: string }).url).toBe('/weatherx/forecast');
  });

  it('a catch-all route does not shadow /v1/* unless it says so', async () => {
    const res = await fetch(`${gw.url}/v1/models`);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(null);
    // fetch cannot set Host: a raw request can
    const raw = await rawRequest(gw.url, 'GET /v1/models HTTP/1.1\r\nHost: tools.example\r\nConnection: close\r\n\r\n');
    expect(raw.startsWith('HTTP/1.1 200')).toBe(true);
    expect(raw).toContain('"url":"/v1/models"');
    const other = await rawRequest(gw.url, 'GET /v1/models HTTP/1.1\r\nHost: TOOLS.example:8443\r\nConnection: close\r\n\r\n');
    expect(other.startsWith('HTTP/1.1 200')).toBe(true);
  });

  it('canary links keep working under a catch-all route', async () => {
    const res = await fetch(`${gw.url}/c/AAAAAAAAAAAAAAAAAAAAAA`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/json');
  });
});
