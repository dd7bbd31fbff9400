/**
 * Config reload through the admin API: a good file takes effect on the public listener; a bad one
 * keeps the running config and the answer lists every error with its dotted path; restart-only
 * sections are named; the admin token rotates; reloads run one at a time.
 */
import { unlink } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatReport, Reloader, type ReloadReport } from '../../src/admin/reload.js';
import { auth, baseConfig, chat, LURE, rawHttp, startHarness, TOKEN, VALID, type Harness } from './harness.js';

const NEW_LURE = 'sk-proj-ReloadAddedLureKey0123456789abcdefghijklmnopqrstuvwxyzT3BlbkFJnn';
const NEW_TOKEN = 'rotated-admin-token-ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

let h: Harness;

const reload = async (token = TOKEN): Promise<{ status: number; body: ReloadReport & { error?: { code: string } } }> => {
  const res = await fetch(`${h.adminUrl}/api/v1/reload`, { method: 'POST', headers: auth(token) });
  return { status: res.status, body: (await res.json()) as ReloadReport & { error?: { code: string } } };
};

beforeAll(async () => {
  h = await startHarness(undefined, { auth: { maxFailures: 1000 } });
});
afterAll(async () => {
  await h.close();
});

describe('POST /api/v1/reload', () => {
  it('applies a valid file: a new lure key works, a removed valid key stops', async () => {
    expect((await chat(h.url, NEW_LURE)).status).toBe(401);
    const next = baseConfig(h.dir);
    next['keys'] = [
      { name: 'leak-1', key: LURE, class: 'lure', campaign: 'github-leak', max_requests: 1000 },
      { name: 'added', key: NEW_LURE, class: 'lure', campaign: 'reloaded', max_requests: 1000 },
    ];
    await h.writeConfig(next);
    const r = await reload();
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ ok: true, file: h.file, errors: [], restart_required: [] });
    expect((await chat(h.url, NEW_LURE)).status).toBe(200);
    expect((await chat(h.url, VALID)).status).toBe(401);
    const keys = (await (await fetch(`${h.adminUrl}/api/v1/keys`, { headers: auth() })).json()) as { keys: { name: string }[] };
    expect(keys.keys.map((k) => k.name).sort()).toEqual(['added', 'leak-1']);
    expect(h.events.some((e) => e.event.action === 'config:reloaded')).toBe(true);
  });

  it('refuses an invalid file, keeps the running config, and returns every error with its path', async () => {
    const bad = baseConfig(h.dir);
    bad['listen'] = { host: '127.0.0.1', port: 70000 };
    bad['keys'] = [
      { name: 'x', key: VALID, class: 'platinum' },
      { name: 'y', key: LURE, class: 'lure', max_requests: -1 },
    ];
    bad['network'] = { deny: ['10.0.0.0/33', 'not-a-cidr'] };
    bad['admin'] = { token: '${HONEYGATE_ADMIN_TOKEN}', listen: { host: '0.0.0.0', port: 0 } };
    await h.writeConfig(bad);
    const r = await reload();
    expect(r.status).toBe(422);
    expect(r.body.ok).toBe(false);
    const paths = r.body.errors.map((e) => e.path).sort();
    expect(paths).toEqual(['admin.listen.host', 'keys.0.class', 'keys.1.max_requests', 'listen.port', 'network.deny.0', 'network.deny.1']);
    for (const e of r.body.errors) expect(e.message.length).toBeGreaterThan(5);
    // still the previous config
    expect((await chat(h.url, NEW_LURE)).status).toBe(200);
    expect((await chat(h.url, VALID)).status).toBe(401);
    expect(h.events.some((e) => e.event.action === 'config:reload_failed')).toBe(true);
  });

  it('refuses broken YAML, a missing variable, a missing file, a cross-field error', async () => {
    await h.writeConfig('listen: {host: 127.0.0.1\nkeys: [');
    let r = await reload();
    expect(r.status).toBe(422);
    expect(r.body.errors[0]?.message).toMatch(/^YAML/);

    const needsEnv = baseConfig(h.dir);
    needsEnv['canary_secret'] = '${HONEYGATE_NOT_SET}';
    await h.writeConfig(needsEnv);
    r = await reload();
    expect(r.status).toBe(422);
    expect(r.body.errors.map((e) => e.path)).toContain('canary_secret');
    expect(r.body.errors.map((e) => e.message).join(' ')).toContain('HONEYGATE_NOT_SET is not set');

    const dup = baseConfig(h.dir);
    dup['keys'] = [
      { key: LURE, class: 'lure' },
      { key: LURE, class: 'valid' },
    ];
    await h.writeConfig(dup);
    r = await reload();
    expect(r.status).toBe(422);
    expect(r.body.errors.map((e) => e.path)).toContain('keys.1.key');

    await unlink(h.file);
    r = await reload();
    expect(r.status).toBe(422);
    expect(r.body.errors[0]?.message).toContain('cannot read');
    // the file path is the server's own; the message names the code, not file contents
    expect((await chat(h.url, NEW_LURE)).status).toBe(200);
  });

  it('names the sections that need a restart', async () => {
    const next = baseConfig(h.dir);
    next['keys'] = [{ name: 'added', key: NEW_LURE, class: 'lure', max_requests: 1000 }];
    next['listen'] = { host: '127.0.0.1', port: 1 };
    next['events'] = { ...(next['events'] as object), queue_size: 77 };
    next['admin'] = { token: '${HONEYGATE_ADMIN_TOKEN}', listen: { host: '127.0.0.1', port: 1 } };
    await h.writeConfig(next);
    const r = await reload();
    expect(r.status).toBe(200);
    expect([...r.body.restart_required].sort()).toEqual(['admin.listen', 'events', 'listen.port']);
    expect(formatReport(r.body)).toContain('restart needed for: listen.port, events, admin.listen');
  });

  it('rotates the admin token; removing the token keeps the current one', async () => {
    const next = baseConfig(h.dir);
    next['keys'] = [{ name: 'added', key: NEW_LURE, class: 'lure', max_requests: 1000 }];
    next['admin'] = { token: NEW_TOKEN, listen: { host: '127.0.0.1', port: 0 } };
    await h.writeConfig(next);
    expect((await reload()).status).toBe(200);
    expect((await fetch(`${h.adminUrl}/api/v1/blocks`, { headers: auth() })).status).toBe(401);
    expect((await fetch(`${h.adminUrl}/api/v1/blocks`, { headers: auth(NEW_TOKEN) })).status).toBe(200);

    next['admin'] = { listen: { host: '127.0.0.1', port: 0 } };
    await h.writeConfig(next);
    const r = await reload(NEW_TOKEN);
    expect(r.status).toBe(200);
    expect(r.body.warnings).toContainEqual({ level: 'warning', path: 'admin.token', message: expect.stringContaining('keeps its current token') as unknown });
    expect((await fetch(`${h.adminUrl}/api/v1/blocks`, { headers: auth(NEW_TOKEN) })).status).toBe(200);
  });

  it('runs reloads one at a time', async () => {
    const next = baseConfig(h.dir);
    next['admin'] = { token: NEW_TOKEN, listen: { host: '127.0.0.1', port: 0 } };
    await h.writeConfig(next);
    const results = await Promise.all(Array.from({ length: 5 }, () => reload(NEW_TOKEN)));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    const ats = results.map((r) => r.body.at);
    expect([...ats].sort()).toEqual(ats);
  });

  it('takes no body', async () => {
    const post = (body: string, type = 'application/json'): Promise<{ status: number }> =>
      rawHttp(h.adminUrl, 'POST', '/api/v1/reload', { ...auth(NEW_TOKEN), 'content-type': type }, body);
    expect((await post('{"config": "listen: {port: 1}"}')).status).toBe(400);
    expect((await post('[]')).status).toBe(400);
    expect((await post('{not json')).status).toBe(400);
    expect((await post('x'.repeat(100_000))).status).toBe(413);
    expect((await post('keys: []', 'application/yaml')).status).toBe(415);
    expect((await post('{}')).status).toBe(200);
  });
});

describe('without a config file (the demo)', () => {
  it('answers 409 and changes nothing', async () => {
    const reloader = new Reloader({ file: undefined, env: {}, current: () => h.gateway.state.runtime.config, apply: () => Promise.reject(new Error('must not apply')) });
    const report = await reloader.reload('sighup');
    expect(report.ok).toBe(false);
    expect(report.errors[0]?.message).toContain('demo');
    expect(formatReport(report)).toContain('reload refused, keeping the running config');

    const t = await startHarness(undefined, { reloader });
    try {
      const res = await fetch(`${t.adminUrl}/api/v1/reload`, { method: 'POST', headers: auth() });
      expect(res.status).toBe(409);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('no_config_file');
    } finally {
      await t.close();
    }
  });
});
