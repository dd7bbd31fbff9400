/**
 * The `routes:` and `cidr_presets:` config (issue 10): defaults, and every invalid shape refused
 * with its dotted path and a message that says what to write instead.
 */
import { describe, expect, it } from 'vitest';
import { loadConfigObject } from '../../src/config/load.js';
import { formatIssue } from '../../src/config/issues.js';
import { problemBody, TOOL_PROBLEMS } from '../../src/providers/tool/problem.js';

async function issues(raw: Record<string, unknown>): Promise<string[]> {
  const { issues: found } = await loadConfigObject(raw, { env: {} });
  return found.map(formatIssue);
}

const route = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ name: 'r', upstream: 'http://127.0.0.1:8000/', auth: { public: true }, ...extra });

describe('routes config', () => {
  it('fills every default', async () => {
    const { config } = await loadConfigObject({ routes: [route({ auth: { oauth: { issuer: 'https://id.example.com' } } })] }, { env: {} });
    const r = config!.routes[0]!;
    expect(r).toMatchObject({ prefix: '/', timeout: 45_000, connections: 64, shadow_openai: false, network: { allow: [], deny: [] }, limits: { rules: [] } });
    expect(r.auth).toMatchObject({ public: false, secret_header: 'authorization', secrets: [] });
    expect(r.auth.oauth).toMatchObject({ scopes: [], user_claim: 'sub', clock_tolerance: 30_000, jwks_cooldown: 30_000, resource_metadata: true, lure_clients: [] });
    expect(r.identity).toEqual({ user_header: 'openai-ephemeral-user-id', conversation_header: 'openai-conversation-id' });
    expect(r.lure.reply).toContain('{{canary:url}}');
    expect(config!.cidr_presets).toEqual({});
  });

  const bad: [string, Record<string, unknown>, string][] = [
    ['no authentication', { routes: [route({ auth: {} })] }, 'error: routes.0.auth: a route needs auth.secrets, auth.oauth, or auth.public: true'],
    ['a secret with both hash and value', { routes: [route({ auth: { secrets: [{ name: 's', hash: `sha256:${'a'.repeat(64)}`, value: 'x'.repeat(20) }] } })] }, 'error: routes.0.auth.secrets.0.hash: give exactly one of hash or value'],
    ['a bad hash', { routes: [route({ auth: { secrets: [{ name: 's', hash: 'sha256:ABC' }] } })] }, 'error: routes.0.auth.secrets.0.hash: sha256: followed by 64 lowercase hex digits'],
    ['a time without a zone', { routes: [route({ auth: { secrets: [{ name: 's', value: 'x'.repeat(20), not_after: '2030-01-01T00:00:00' }] } })] }, 'error: routes.0.auth.secrets.0.not_after: not an RFC 3339 date-time with a zone: "2030-01-01T00:00:00" (e.g. 2025-06-01T00:00:00Z)'],
    ['a window that ends before it starts', { routes: [route({ auth: { secrets: [{ name: 's', value: 'x'.repeat(20), not_before: '2030-01-02T00:00:00Z', not_after: '2030-01-01T00:00:00Z' }] } })] }, 'error: routes.0.auth.secrets.0.not_after: not_after must be later than not_before'],
    ['a bad CIDR', { routes: [route({ network: { allow: ['10.0.0.0/33'] } })] }, 'error: routes.0.network.allow.0: not an IP address, CIDR block or preset:<name> (e.g. 10.0.0.0/8, 2001:db8::/32, preset:chatgpt-actions)'],
    ['an unknown preset', { routes: [route({ network: { allow: ['preset:nope'] } })] }, 'error: routes.0.network.allow.0: no preset named "nope" (built-in: chatgpt-actions, chatgpt-plugins, loopback, private)'],
    ['two routes with one name', { routes: [route(), route({ prefix: '/x' })] }, 'error: routes.1.name: the same name as routes.0'],
    ['two routes on one place', { routes: [route(), route({ name: 'r2' })] }, 'error: routes.1.prefix: routes.0 already matches this host and prefix'],
    ['a bad limit key', { routes: [route({ limits: { rules: [{ name: 'x', by: 'cookie', limit: 1, window: '1m' }] } })] }, 'error: routes.0.limits.rules.0.by: by is ip, key, user, conversation, session, gpt, header:<name> or claim:<name>'],
    ['a window under a second', { routes: [route({ limits: { service: { limit: 1, window: '500ms' } } })] }, 'error: routes.0.limits.service.window: at least 1s'],
    ['a prefix without a slash', { routes: [route({ prefix: 'api' })] }, 'error: routes.0.prefix: a path starting with /'],
    ['an unknown key', { routes: [route({ upstreams: 'x' })] }, 'error: routes.0: Unrecognized key: "upstreams"'],
    ['a preset with two sources', { cidr_presets: { p: { url: 'https://x.example/l.json', cidrs: ['10.0.0.0/8'] } } }, 'error: cidr_presets.p: give exactly one of url, file or cidrs'],
    ['a preset named like a built-in', { cidr_presets: { loopback: { cidrs: ['10.0.0.0/8'] } } }, 'error: cidr_presets.loopback: a built-in preset has this name'],
    ['an unknown fallback', { cidr_presets: { p: { url: 'https://x.example/l.json', fallback: 'nope' } } }, 'error: cidr_presets.p.fallback: no built-in preset named "nope"'],
  ];
  for (const [what, raw, message] of bad) {
    it(`refuses ${what}`, async () => {
      expect(await issues(raw)).toContain(message);
    });
  }

  it('warns about lure secrets with nothing to answer from', async () => {
    const found = await issues({ routes: [route({ auth: { secrets: [{ name: 's', value: 'x'.repeat(20), lure: true }] } })] });
    expect(found).toContain('warning: routes.0.lure: lure secrets here get only lure.reply as a plain answer: add openapi, fixtures or a lure upstream');
  });
});

describe('problem details registry', () => {
  it('every code has a status and the status phrase as title; bodies are RFC 9457', () => {
    for (const [code, p] of Object.entries(TOOL_PROBLEMS)) {
      expect(code).toMatch(/^HG_TOOL_[A-Z_]+$/);
      const body = JSON.parse(problemBody(code as keyof typeof TOOL_PROBLEMS)) as Record<string, unknown>;
      expect(body).toEqual({ type: 'about:blank', title: p.title, status: p.status });
    }
  });
});
