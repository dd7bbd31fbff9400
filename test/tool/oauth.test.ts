/**
 * End users on a tool route (issue 10, part 4): bearer JWTs verified against a real JWKS endpoint
 * (test issuer, jose-signed) through a real gateway, each failure with its RFC 6750 answer; key
 * rotation through an unknown kid at a bounded rate; opaque tokens through RFC 7662 introspection,
 * cached; RFC 9728 metadata.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair, SignJWT } from 'jose';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startApi, type FakeApi } from './helpers/api.js';
import { startIssuer, type TestIssuer } from './helpers/issuer.js';

let issuer: TestIssuer;
let api: FakeApi;
let gw: TestGateway;
let resource: string;

beforeAll(async () => {
  issuer = await startIssuer();
  issuer.clients.set('gw', { secret: 'gw-introspection-secret', scope: '' });
  api = await startApi();
  gw = await startTestGateway({
    routes: [
      {
        name: 'api',
        prefix: '/api',
        upstream: `${api.url}/v2`,
        auth: {
          oauth: {
            issuer: issuer.issuer,
            scopes: ['read'],
            jwks_cooldown: '2s',
            clock_tolerance: '5s',
            introspection: { url: `${issuer.url}/introspect`, client_id: 'gw', client_secret: 'gw-introspection-secret' },
          },
        },
      },
    ],
  });
  resource = `${gw.url}/api`;
});

afterAll(async () => {
  await gw.close();
  await api.close();
  await issuer.close();
});

const call = (token: string | undefined, path = '/api/items?x=1', headers: Record<string, string> = {}): Promise<Response> =>
  fetch(`${gw.url}${path}`, { headers: { ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}), ...headers } });

async function lastEvent(): Promise<NonNullable<TestGateway['events'][number]>> {
  const n = gw.events.length;
  await new Promise((r) => setTimeout(r, 30));
  const e = gw.events[gw.events.length - 1];
  if (!e || gw.events.length < n) throw new Error('no event');
  return e;
}

const good = (extra: Record<string, unknown> = {}): Promise<string> => issuer.sign({ sub: 'alice', aud: resource, scope: 'read write', client_id: 'chatgpt', ...extra });

describe('JWT access tokens', () => {
  it('a valid token is forwarded, the user passed on, the token kept for the API', async () => {
    const token = await good();
    const res = await call(token);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ method: 'GET', url: '/v2/items?x=1', bytes: 0 });
    const seen = api.seen[api.seen.length - 1]!;
    expect(seen.headers['x-honeygate-user']).toBe('alice');
    expect(seen.headers.authorization).toBe(`Bearer ${token}`);
    const e = await lastEvent();
    expect(e.honeygate.verdict).toEqual({ action: 'forward', reason: 'valid_key' });
    expect(e.honeygate.tool).toMatchObject({ user: 'alice', auth: 'jwt', client_id: 'chatgpt' });
    expect(JSON.stringify(e)).not.toContain(token);
  });

  it('a client-made x-honeygate-user header never reaches the API', async () => {
    await call(await good(), '/api/items', { 'x-honeygate-user': 'mallory' });
    expect(api.seen[api.seen.length - 1]!.headers['x-honeygate-user']).toBe('alice');
  });

  it('no token: 401 with a Bearer challenge naming the resource metadata (RFC 9728 §5.1)', async () => {
    const res = await call(undefined);
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.headers.get('www-authenticate')).toBe(`Bearer resource_metadata="${gw.url}/.well-known/oauth-protected-resource/api"`);
    expect(await res.json()).toEqual({ type: 'about:blank', title: 'Unauthorized', status: 401 });
  });

  it('serves the protected resource metadata', async () => {
    const res = await fetch(`${gw.url}/.well-known/oauth-protected-resource/api`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ resource, authorization_servers: [issuer.issuer], bearer_methods_supported: ['header'], scopes_supported: ['read'] });
  });

  it('an expired token: 401 invalid_token "expired", its own event', async () => {
    const res = await call(await good({ exp: Math.floor(Date.now() / 1000) - 120 }));
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token", error_description="The access token expired", resource_metadata="/);
    expect((await lastEvent()).event.action).toBe('reject:credential_expired');
  });

  it('a token not yet valid (nbf in an hour): 401', async () => {
    const res = await call(await issuer.sign({ sub: 'alice', aud: resource, scope: 'read' }, { notBefore: Math.floor(Date.now() / 1000) + 3600, expiresIn: '2h' }));
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect((await lastEvent()).event.action).toBe('reject:credential_not_yet_valid');
  });

  it('a token for another audience: 401', async () => {
    const res = await call(await good({ aud: 'https://other.example/api' }));
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('error_description="The access token is invalid"');
    expect((await lastEvent()).event.action).toBe('reject:invalid_key');
  });

  it('a token from another issuer: 401', async () => {
    const res = await call(await good({ iss: 'https://evil.example' }));
    expect(res.status).toBe(401);
  });

  it('a token without the required scope: 403 insufficient_scope naming the scope', async () => {
    const res = await call(await good({ scope: 'write' }));
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="insufficient_scope", scope="read", resource_metadata=/);
    expect(await res.json()).toEqual({ type: 'about:blank', title: 'Forbidden', status: 403 });
    expect((await lastEvent()).event.action).toBe('reject:insufficient_scope');
  });

  it('a tampered token (payload changed, signature kept): 401', async () => {
    const token = await good();
    const [h, p, s] = token.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
    payload['sub'] = 'admin';
    const res = await call(`${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`);
    expect(res.status).toBe(401);
  });

  it('a token signed by a foreign key under a known kid: 401', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const forged = await new SignJWT({ sub: 'alice', aud: resource, scope: 'read' })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer(issuer.issuer)
      .setExpirationTime('5m')
      .sign(privateKey);
    expect((await call(forged)).status).toBe(401);
  });

  it('an unsigned token (alg none) and an HMAC token: 401', async () => {
    const enc = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    const none = `${enc({ alg: 'none', kid: 'k1' })}.${enc({ sub: 'alice', aud: resource, iss: issuer.issuer, scope: 'read', exp: 9999999999 })}.`;
    expect((await call(none)).status).toBe(401);
    const hmac = await new SignJWT({ sub: 'alice', aud: resource, scope: 'read' }).setProtectedHeader({ alg: 'HS256', kid: 'k1' }).setIssuer(issuer.issuer).setExpirationTime('5m').sign(new Uint8Array(32));
    expect((await call(hmac)).status).toBe(401);
  });

  it('key rotation: an unknown kid re-fetches the JWKS once, then at most once per cooldown', async () => {
    await call(await good()); // JWKS cached
    await new Promise((r) => setTimeout(r, 2100)); // past jwks_cooldown (long enough that a loaded CI machine stays inside it below)
    const before = issuer.jwksFetches;
    const rotated = await issuer.newKey('k2');
    issuer.keys = [rotated, ...issuer.keys];
    const res = await call(await good());
    expect(res.status).toBe(200);
    expect(issuer.jwksFetches).toBe(before + 1);
    // a flood of unknown kids within the cooldown fetches nothing more
    const stranger = await issuer.newKey('k-unknown');
    const results = await Promise.all([1, 2, 3, 4, 5].map(async () => (await call(await issuer.sign({ sub: 'x', aud: resource, scope: 'read' }, { key: stranger }))).status));
    expect(results).toEqual([401, 401, 401, 401, 401]);
    expect(issuer.jwksFetches).toBe(before + 1);
  });

  it('malformed Authorization headers: 400 invalid_request with a clear detail', async () => {
    for (const value of ['Bearer', 'Bearer a b', 'Basic dXNlcjpwYXNz', 'Bearer tok"en']) {
      const res = await fetch(`${gw.url}/api/items`, { headers: { authorization: value } });
      expect(res.status, value).toBe(400);
      expect(res.headers.get('www-authenticate')).toContain('error="invalid_request"');
      expect(((await res.json()) as { detail: string }).detail).toBe('The Authorization header is not a Bearer token (RFC 6750).');
    }
  });

  it('an over-long token is malformed, not verified', async () => {
    const res = await call('a'.repeat(10_000));
    expect(res.status).toBe(400);
  });
});

describe('an issuer that cannot be reached', () => {
  it('is 503 with Retry-After, not 401 (the token may be fine)', async () => {
    const dead = await startTestGateway({ routes: [{ name: 'd', prefix: '/d', upstream: api.url, auth: { oauth: { issuer: 'http://127.0.0.1:9/', timeout: '500ms' } } }] });
    try {
      const token = await issuer.sign({ sub: 'alice', aud: `${dead.url}/d` });
      const res = await fetch(`${dead.url}/d/x`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      await new Promise((r) => setTimeout(r, 30));
      expect(dead.events.at(-1)!.event.action).toBe('reject:auth_unavailable');
    } finally {
      await dead.close();
    }
  });
});

describe('opaque tokens through introspection (RFC 7662)', () => {
  it('an active token is accepted and cached; an inactive one refused', async () => {
    const token = issuer.mintOpaque({ sub: 'bob', scope: 'read', client_id: 'plugin', exp: Math.floor(Date.now() / 1000) + 300, aud: resource, iss: issuer.issuer });
    const before = issuer.introspections;
    expect((await call(token)).status).toBe(200);
    expect((await call(token)).status).toBe(200);
    expect(issuer.introspections).toBe(before + 1);
    expect(api.seen[api.seen.length - 1]!.headers['x-honeygate-user']).toBe('bob');
    expect((await call('0123456789abcdef-not-known')).status).toBe(401);
  });

  it('never caches past the token expiry', async () => {
    const token = issuer.mintOpaque({ sub: 'carol', scope: 'read', exp: Math.floor(Date.now() / 1000) + 1 });
    expect((await call(token)).status).toBe(200);
    issuer.opaque.delete(token);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await call(token)).status).toBe(401);
  });

  it('an introspected token for another audience or without the scope is refused', async () => {
    expect((await call(issuer.mintOpaque({ sub: 'dan', scope: 'read', aud: 'https://elsewhere' }))).status).toBe(401);
    expect((await call(issuer.mintOpaque({ sub: 'dan', scope: 'write' }))).status).toBe(403);
  });
});
