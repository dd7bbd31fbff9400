/**
 * A provider plugs in without editing core or gateway files: a minimal echo protocol, written here,
 * registered through startGateway's `providers` option. It goes through the real pipeline: its
 * bearer key is classified against the config's key ring, the verdict function decides, and the
 * echo call renders forward / deceive / refuse in its own words; its own fault answer is used when
 * it throws; requests outside it still get the default provider's answers. Its config part plugs
 * into the loader the same way (`parts`), without editing config/.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadConfigObject, type Provider, type ProviderCall, type ProviderConfigPart } from '../../src/index.js';
import { CONFIG_PARTS } from '../../src/gateway/registry.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

function send(ex: { res: { writeHead(s: number, h: Record<string, string>): unknown; end(b: string): unknown } }, status: number, body: Record<string, unknown>): void {
  ex.res.writeHead(status, { 'content-type': 'application/json', 'x-echo': '1' });
  ex.res.end(JSON.stringify(body));
}

const echoCall: ProviderCall = {
  classify(ex, state) {
    const auth = ex.req.headers['x-echo-key'];
    return state.runtime.keyring.classify(typeof auth === 'string' ? auth : undefined);
  },
  async forward(ex) {
    if (ex.path === '/echo/boom') throw new Error('echo exploded');
    send(ex, 200, { echo: ex.path, as: 'valid' });
  },
  async deceive(ex) {
    send(ex, 200, { echo: ex.path, as: 'lure' });
  },
  refuse(ex, verdict) {
    send(ex, 403, { echo_error: verdict.reason });
  },
};

const echoProvider: Provider = {
  name: 'echo',
  compile: () => ({
    match: (ex) => (ex.path.startsWith('/echo/') ? echoCall : null),
    unknownUrl: (ex) => send(ex, 404, { echo_error: 'no_such_echo' }),
    fault: (ex) => send(ex, 500, { echo_error: 'echo_fault' }),
  }),
};

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway(
    {
      keys: [
        { name: 'v', key: 'sk-echo-valid-0001', class: 'valid' },
        { name: 'l', key: 'sk-echo-lure-0001', class: 'lure' },
      ],
    },
    { providers: [echoProvider] },
  );
});
afterAll(async () => {
  await gw?.close();
});

async function get(path: string, key?: string): Promise<{ status: number; body: Record<string, unknown>; echo: string | null }> {
  const r = await fetch(`${gw.url}${path}`, { headers: key ? { 'x-echo-key': key } : {} });
  return { status: r.status, body: (await r.json()) as Record<string, unknown>, echo: r.headers.get('x-echo') };
}

describe('a toy provider registered from outside the gateway', () => {
  it('forwards a valid key, deceives a lure key, refuses through the verdict', async () => {
    expect(await get('/echo/a', 'sk-echo-valid-0001')).toMatchObject({ status: 200, body: { echo: '/echo/a', as: 'valid' }, echo: '1' });
    expect(await get('/echo/b', 'sk-echo-lure-0001')).toMatchObject({ status: 200, body: { as: 'lure' } });
    expect(await get('/echo/c')).toMatchObject({ status: 403, body: { echo_error: 'missing_key' } });
    expect(await get('/echo/d', 'sk-unknown')).toMatchObject({ status: 403, body: { echo_error: 'invalid_key' } });
  });

  it('answers its own faults, and its events carry its name', async () => {
    expect(await get('/echo/boom', 'sk-echo-valid-0001')).toMatchObject({ status: 500, body: { echo_error: 'echo_fault' } });
    const events = await gw.waitForEvents(5);
    const surfaces = events.filter((e) => e.event.dataset === 'honeygate.request').map((e) => e.honeygate.surface);
    expect(surfaces.filter((s) => s === 'echo').length).toBeGreaterThanOrEqual(5);
  });

  it('leaves other URLs to the registry (OpenAI unknown-URL answer)', async () => {
    const r = await fetch(`${gw.url}/nowhere`);
    expect(r.status).toBe(404);
    expect(r.headers.get('x-echo')).toBeNull();
    expect(((await r.json()) as { error: { message: string } }).error.message).toContain('Invalid URL (GET /nowhere)');
  });
});

describe("a toy provider's config part", () => {
  // its section (with a default), an upstream type, a key-file list and a rule; no config/ file names it
  const echoPart: ProviderConfigPart = {
    sections: {
      echo: z.object({ greeting: z.string().default('hello'), loud: z.boolean().default(false) }).strict().prefault({}),
      echo_keys: z.array(z.object({ key: z.string().min(1) }).strict()).default([]),
    },
    upstreams: [z.object({ type: z.literal('echo'), url: z.url() }).strict()],
    keyFileLists: { echo_keys: z.object({ key: z.string().min(1) }).strict() },
    rules: (config) => {
      const echo = (config as unknown as { echo: { greeting: string; loud: boolean } }).echo;
      return echo.loud && echo.greeting === '' ? [{ level: 'error', path: 'echo.greeting', message: 'a loud echo needs a greeting' }] : [];
    },
  };
  const parts = [...CONFIG_PARTS, echoPart];

  it('is refused without the part, and validated, defaulted and checked with it', async () => {
    const without = await loadConfigObject({ echo: { loud: true } });
    expect(without.config).toBeNull();
    expect(without.issues.map((i) => i.message).join(' ')).toMatch(/echo/);

    const defaulted = await loadConfigObject({ upstreams: { e: { type: 'echo', url: 'http://127.0.0.1:9/' } } }, { parts });
    expect(defaulted.issues.filter((i) => i.level === 'error')).toEqual([]);
    expect(defaulted.config).toMatchObject({ echo: { greeting: 'hello', loud: false }, echo_keys: [], upstreams: { e: { type: 'echo' } } });

    const bad = await loadConfigObject({ echo: { loud: true, greeting: '' } }, { parts });
    expect(bad.config).toBeNull();
    expect(bad.issues).toContainEqual({ level: 'error', path: 'echo.greeting', message: 'a loud echo needs a greeting' });
  });

  it('reads its key lists from key files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hg-echo-'));
    try {
      await writeFile(join(dir, 'echo-keys.yaml'), 'echo_keys:\n  - key: e-0001\n');
      const loaded = await loadConfigObject({ key_files: ['echo-keys.yaml'] }, { parts, baseDir: dir });
      expect(loaded.issues.filter((i) => i.level === 'error')).toEqual([]);
      expect(loaded.config).toMatchObject({ echo_keys: [{ key: 'e-0001' }] });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
