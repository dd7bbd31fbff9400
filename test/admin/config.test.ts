/**
 * The admin config: loopback unless allow_remote, token format, the listener stays off without a
 * token (and says why), the token is compared only after its format check.
 */
import { describe, expect, it } from 'vitest';
import { AdminAuth, bearerToken, cookieValue } from '../../src/admin/auth.js';
import { adminConfigSchema, isLoopbackHost } from '../../src/admin/config.js';
import { startAdmin } from '../../src/admin/server.js';
import { loadConfigObject } from '../../src/config/load.js';
import { startTestGateway } from '../helpers/gateway.js';
import { TOKEN } from './harness.js';

describe('admin config', () => {
  it('knows loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', 'localhost', 'LOCALHOST']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', '::2', '::ffff:10.0.0.1', 'example.com', 'localhost.evil.com', '127.0.0.1.nip.io', '', '[::1']) expect(isLoopbackHost(h), h).toBe(false);
  });

  it('refuses a non-loopback address unless allow_remote, and a weak token, with dotted paths', async () => {
    const { config, issues } = await loadConfigObject({ admin: { listen: { host: '0.0.0.0', port: 9000 }, token: 'short' } }, { env: {} });
    expect(config).toBeNull();
    expect(issues.map((i) => i.path).sort()).toEqual(['admin.listen.host', 'admin.token']);
    const remote = await loadConfigObject({ admin: { listen: { host: '0.0.0.0' }, token: TOKEN, allow_remote: true } }, { env: {} });
    expect(remote.config?.admin).toEqual({ listen: { host: '0.0.0.0', port: 8081 }, token: TOKEN, allow_remote: true });
    for (const bad of [{ admin: { port: 1 } }, { admin: { listen: { port: 70000 } } }, { admin: { allow_remote: 'yes' } }, { admin: { token: 'a'.repeat(513) } }, { admin: { token: `${'a'.repeat(31)} ` } }]) {
      expect((await loadConfigObject(bad, { env: {} })).config, JSON.stringify(bad)).toBeNull();
    }
  });

  it('defaults: loopback 8081, no token; ${VAR:-} makes the token optional', async () => {
    expect(adminConfigSchema.parse(undefined)).toEqual({ listen: { host: '127.0.0.1', port: 8081 }, allow_remote: false });
    const { config } = await loadConfigObject({ admin: { token: '${HONEYGATE_ADMIN_TOKEN:-}' } }, { env: {} });
    expect(config?.admin.token).toBe('');
    const missing = await loadConfigObject({ admin: { token: '${HONEYGATE_ADMIN_TOKEN}' } }, { env: {} });
    expect(missing.issues.map((i) => [i.path, i.message])).toContainEqual(['admin.token', 'environment variable HONEYGATE_ADMIN_TOKEN is not set']);
  });
});

describe('startAdmin', () => {
  it('does not start without a token and says why; refuses a non-loopback host override', async () => {
    const gw = await startTestGateway({});
    try {
      const lines: string[] = [];
      expect(await startAdmin({ gateway: gw.gateway, log: (l) => lines.push(l) })).toBeNull();
      expect(lines.join('\n')).toMatch(/admin API, metrics and dashboard are off: set admin\.token/);
    } finally {
      await gw.close();
    }
    const gw2 = await startTestGateway({ admin: { token: TOKEN, listen: { port: 0 } } });
    try {
      await expect(startAdmin({ gateway: gw2.gateway, host: '0.0.0.0', port: 0, processMetrics: false })).rejects.toThrow(/not a loopback address/);
      const admin = await startAdmin({ gateway: gw2.gateway, port: 0, processMetrics: false });
      expect(admin?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      await admin?.close();
      await admin?.close(); // twice is fine
    } finally {
      await gw2.close();
    }
  });
});

describe('token checks', () => {
  it('parses only well-formed bearer headers', () => {
    expect(bearerToken(`Bearer ${TOKEN}`)).toBe(TOKEN);
    expect(bearerToken(`bEaReR ${TOKEN}`)).toBe(TOKEN);
    for (const h of [undefined, '', 'Bearer', `Bearer  ${TOKEN}`, `Bearer ${TOKEN} `, `Token ${TOKEN}`, `Bearer ${TOKEN}\n`, `Bearer ${'a'.repeat(700)}`, 'Bearer short']) {
      expect(bearerToken(h), String(h)).toBeNull();
    }
  });

  it('compares in constant time on digests; sessions end when the token rotates or expires', () => {
    let token = TOKEN;
    let now = 1_000_000;
    const auth = new AdminAuth({ token: () => token, now: () => now, sessionTtlMs: 1000 });
    expect(auth.tokenMatches(TOKEN)).toBe(true);
    expect(auth.tokenMatches(`${TOKEN}x`)).toBe(false);
    expect(auth.tokenMatches('')).toBe(false);
    const s = auth.openSession();
    expect(auth.session(s.id)?.csrf).toBe(s.csrf);
    expect(auth.csrfMatches(s, s.csrf)).toBe(true);
    expect(auth.csrfMatches(s, undefined)).toBe(false);
    expect(auth.csrfMatches(s, `${s.csrf}x`)).toBe(false);
    token = 'another-token-0123456789abcdefghijklmnopqrstuvwxyz';
    expect(auth.session(s.id)).toBeNull();
    const t = auth.openSession();
    now += 1001;
    expect(auth.session(t.id)).toBeNull();
    expect(auth.session('../../etc/passwd')).toBeNull();
    expect(auth.session(null)).toBeNull();
  });

  it('reads one cookie among many', () => {
    expect(cookieValue('a=1; honeygate_session=abc; b=2', 'honeygate_session')).toBe('abc');
    expect(cookieValue('xhoneygate_session=abc', 'honeygate_session')).toBeNull();
    expect(cookieValue(undefined, 'honeygate_session')).toBeNull();
  });
});
