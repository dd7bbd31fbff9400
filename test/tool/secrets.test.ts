/**
 * Service secrets (issue 10, part 3): rotation across `not_before` / `not_after` windows with a
 * fake clock (only Date is faked, so real sockets keep working), revoked and expired secrets as
 * events of their own, a custom header, the secret never passed upstream nor logged, and
 * `honeygate secrets new`.
 */
import { Writable } from 'node:stream';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { runSecrets } from '../../src/cli/secrets.js';
import { mintSecret, SecretSet, secretDigest } from '../../src/providers/tool/secrets.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startApi, type FakeApi } from './helpers/api.js';

const OLD = 'hgs_old-secret-0123456789abcdefghijklmnopqrstuv';
const NEW = 'hgs_new-secret-0123456789abcdefghijklmnopqrstuv';
const REVOKED = 'hgs_revoked-secret-0123456789abcdefghijklmnopq';
const KEYED = 'hgs_header-secret-0123456789abcdefghijklmnopqr';
const hash = (s: string): string => `sha256:${secretDigest(s).toString('hex')}`;

const T0 = Date.parse('2030-01-01T00:00:00Z'); // the new secret starts
const T1 = Date.parse('2030-01-08T00:00:00Z'); // the old secret ends

let api: FakeApi;
let gw: TestGateway;

beforeAll(async () => {
  api = await startApi();
  gw = await startTestGateway({
    routes: [
      {
        name: 'action',
        prefix: '/action',
        upstream: api.url,
        auth: {
          secrets: [
            { name: 'old', hash: hash(OLD), not_after: '2030-01-08T00:00:00Z' },
            { name: 'new', hash: hash(NEW), not_before: '2030-01-01T00:00:00Z' },
            { name: 'leaked', hash: hash(REVOKED), revoked: true },
          ],
        },
      },
      { name: 'keyed', prefix: '/keyed', upstream: api.url, auth: { secret_header: 'x-api-key', secrets: [{ name: 'k', value: KEYED }] } },
    ],
  });
});

afterAll(async () => {
  await gw.close();
  await api.close();
});

afterEach(() => {
  vi.useRealTimers();
});

const at = (ms: number): void => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(ms);
};

const status = async (secret: string): Promise<number> => {
  const res = await fetch(`${gw.url}/action/x`, { headers: { authorization: `Bearer ${secret}` } });
  await res.arrayBuffer();
  return res.status;
};

async function lastAction(): Promise<string> {
  await new Promise((r) => setTimeout(r, 30));
  return gw.events[gw.events.length - 1]?.event.action ?? '';
}

describe('secret rotation without a gap', () => {
  it('before the new secret starts: only the old one', async () => {
    at(T0 - 1000);
    expect(await status(OLD)).toBe(200);
    expect(await status(NEW)).toBe(401);
    expect(await lastAction()).toBe('reject:credential_not_yet_valid');
  });

  it('during the overlap: both', async () => {
    at(T0);
    expect(await status(NEW)).toBe(200);
    at(T1 - 1);
    expect(await status(OLD)).toBe(200);
    expect(await status(NEW)).toBe(200);
  });

  it('after the old one ends: only the new one; the old one is an event of its own', async () => {
    at(T1);
    expect(await status(NEW)).toBe(200);
    const res = await fetch(`${gw.url}/action/x`, { headers: { authorization: `Bearer ${OLD}` } });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token", error_description="The access token expired"');
    await res.arrayBuffer();
    expect(await lastAction()).toBe('reject:credential_expired');
    expect(gw.events.at(-1)!.honeygate.key?.fingerprint).toBe(`sha256:${hash(OLD).slice(7, 23)}`);
  });

  it('a revoked secret is refused and recorded as such', async () => {
    expect(await status(REVOKED)).toBe(401);
    expect(await lastAction()).toBe('reject:credential_revoked');
  });

  it('an unknown secret is plain invalid_key', async () => {
    expect(await status('hgs_never-configured-0123456789abcdefghijklmn')).toBe(401);
    expect(await lastAction()).toBe('reject:invalid_key');
  });

  it('the secret is not passed upstream and never appears in an event', async () => {
    at(T0 + 1000);
    const n = api.seen.length;
    expect(await status(NEW)).toBe(200);
    expect(api.seen.length).toBe(n + 1);
    expect(api.seen.at(-1)!.headers.authorization).toBeUndefined();
    expect(api.seen.at(-1)!.headers['x-honeygate-route']).toBe('action');
    for (const s of [OLD, NEW, REVOKED]) expect(JSON.stringify(gw.events)).not.toContain(s);
  });
});

describe('a custom secret header', () => {
  it('accepts the secret in x-api-key, strips it upstream, refuses a wrong or malformed one', async () => {
    const ok = await fetch(`${gw.url}/keyed/z`, { headers: { 'x-api-key': KEYED, authorization: 'Bearer upstream-own-token' } });
    expect(ok.status).toBe(200);
    const seen = api.seen.at(-1)!;
    expect(seen.headers['x-api-key']).toBeUndefined();
    const bad = await fetch(`${gw.url}/keyed/z`, { headers: { 'x-api-key': 'wrong-wrong-wrong-wrong' } });
    expect(bad.status).toBe(401);
    const malformed = await fetch(`${gw.url}/keyed/z`, { headers: { 'x-api-key': 'has space inside' } });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { detail: string }).detail).toBe('The x-api-key header is malformed.');
    const none = await fetch(`${gw.url}/keyed/z`);
    expect(none.status).toBe(401);
    // Authorization belongs to the upstream on this route: without x-api-key the call is missing its secret
    const upstreamAuth = await fetch(`${gw.url}/keyed/z`, { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    expect(upstreamAuth.status).toBe(401);
    await new Promise((r) => setTimeout(r, 30));
    expect(gw.events.at(-1)!.event.action).toBe('reject:missing_key');
    const passed = await fetch(`${gw.url}/keyed/z`, { headers: { 'x-api-key': KEYED, authorization: 'Basic dXNlcjpwYXNz' } });
    expect(passed.status).toBe(200);
    expect(api.seen.at(-1)!.headers.authorization).toBe('Basic dXNlcjpwYXNz');
  });
});

describe('SecretSet', () => {
  it('compares every configured digest and reports the state of the match', () => {
    const set = new SecretSet([
      { name: 'a', hash: hash(OLD), not_after: T1, revoked: false, lure: false },
      { name: 'b', hash: hash(NEW), not_before: T0, revoked: false, lure: true },
    ]);
    expect(set.match(OLD, T0).state).toBe('active');
    expect(set.match(OLD, T1).state).toBe('expired');
    expect(set.match(NEW, T0 - 1).state).toBe('not_yet_valid');
    const m = set.match(NEW, T0);
    expect(m.state === 'active' && m.secret.lure).toBe(true);
    expect(set.match('nope', T0).state).toBe('none');
  });

  it('the same secret listed twice (rotation entries) takes the permissive state', () => {
    const set = new SecretSet([
      { name: 'a', hash: hash(OLD), not_after: T0, revoked: false, lure: false },
      { name: 'a2', hash: hash(OLD), not_before: T0, revoked: false, lure: false },
    ]);
    expect(set.match(OLD, T0 + 5).state).toBe('active');
  });

  it('minted secrets carry 256 bits and a recognisable prefix', () => {
    const a = mintSecret();
    expect(a).toMatch(/^hgs_[A-Za-z0-9_-]{43}$/);
    expect(mintSecret()).not.toBe(a);
  });
});

function capture(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  return {
    stream: new Writable({ write: (c: Buffer, _e, done) => (chunks.push(Buffer.from(c)), done()) }),
    text: () => Buffer.concat(chunks).toString('utf8'),
  };
}

describe('honeygate secrets new', () => {
  it('prints the secret once and an entry holding only its hash', async () => {
    const out = capture();
    const err = capture();
    const code = await main({ argv: ['secrets', 'new', 'action', '--name', 'rot-2030', '--not-before', '2030-01-01T00:00:00Z'], env: {}, stdout: out.stream, stderr: err.stream });
    expect(code).toBe(0);
    const text = out.text();
    const secret = /shown once, store it now\): (hgs_[A-Za-z0-9_-]{43})\n/.exec(text)?.[1];
    expect(secret).toBeDefined();
    expect(text.split(secret!).length).toBe(2);
    expect(text).toContain(`hash: ${hash(secret!)}`);
    expect(text).toContain('name: rot-2030');
    expect(text).toContain('not_before: 2030-01-01T00:00:00Z');
  });

  it('--json for scripts; --lure marks the entry', async () => {
    const out = capture();
    const code = await runSecrets({ argv: ['new', 'action', '--lure', '--json'], env: {}, stdout: out.stream, stderr: capture().stream }, () => 'hgs_fixed');
    expect(code).toBe(0);
    const doc = JSON.parse(out.text()) as { secret: string; entry: { hash: string; lure: boolean } };
    expect(doc.secret).toBe('hgs_fixed');
    expect(doc.entry).toMatchObject({ hash: hash('hgs_fixed'), lure: true });
  });

  it('usage errors exit 2; an unknown route in --config exits 1', async () => {
    const err = capture();
    expect(await runSecrets({ argv: ['new'], env: {}, stdout: capture().stream, stderr: err.stream })).toBe(2);
    expect(err.text()).toContain('give exactly one ROUTE');
    expect(await runSecrets({ argv: ['new', 'x', '--not-after', 'tomorrow'], env: {}, stdout: capture().stream, stderr: capture().stream })).toBe(2);
    const dir = await mkdtemp(join(tmpdir(), 'hg-secrets-'));
    const file = join(dir, 'c.yaml');
    await writeFile(file, 'routes:\n  - name: action\n    upstream: http://127.0.0.1:9/\n    auth: { public: true }\n');
    const err2 = capture();
    expect(await runSecrets({ argv: ['new', 'other', '--config', file], env: {}, stdout: capture().stream, stderr: err2.stream })).toBe(1);
    expect(err2.text()).toContain('no route named "other"');
    expect(await runSecrets({ argv: ['new', 'action', '--config', file], env: {}, stdout: capture().stream, stderr: capture().stream })).toBe(0);
  });
});
