/**
 * Config: the full example loads; ${ENV} interpolation; raw and sha256 keys; OpenAIPot configs load
 * unchanged with warnings that say what honeygate does instead; every invalid config in
 * test/config/invalid/ fails with exactly the messages beside it; check-config exit codes; the
 * committed JSON Schema equals the one generated from the zod schema.
 */
import { readdir, readFile, writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatIssue } from '../../src/config/issues.js';
import { loadConfigFile, loadConfigText } from '../../src/config/load.js';
import { parseDuration } from '../../src/config/duration.js';
import { main } from '../../src/cli/main.js';
import { configJsonSchema } from '../../src/cli/schema.js';
import { buildRuntime } from '../../src/core/runtime.js';
import { PROVIDERS } from '../../src/gateway/registry.js';
import { sha256Hex } from '../../src/util/hash.js';
import { captureCli, type CliRun } from '../helpers/cli.js';

const root = join(import.meta.dirname, '..', '..');

function run(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return captureCli(main, argv, env);
}

describe('config loading', () => {
  it('the full example in examples/ loads, with defaults applied and the result frozen', async () => {
    const { config, warnings } = await loadConfigFile(join(root, 'examples', 'honeygate.yaml'), {});
    expect(warnings).toEqual([]);
    expect(config.keys).toHaveLength(3);
    expect(config.lure_defaults.block_duration).toBe(86_400_000);
    expect(config.lure_defaults.response_delay).toBe(1500);
    expect(config.limits.rules[0]).toEqual({ name: 'per-ip', by: 'ip', limit: 600, window: 60_000, exempt: [] });
    expect(config.upstreams['decoy']).toEqual({ type: 'decoy' });
    expect(Object.isFrozen(config.keys[0])).toBe(true);
    const runtime = buildRuntime(config, PROVIDERS);
    expect(runtime.keyring.records.map((r) => r.class)).toEqual(['valid', 'lure', 'lure']);
    await runtime.close();
  });

  it('${VAR} and ${VAR:-default} are filled from the environment, never in YAML syntax', async () => {
    const text = 'upstreams:\n  openai: { type: openai, url: "${BASE:-https://api.openai.com}", api_key: "${KEY}" }\nkeys:\n  - { key: "${KEY2}", class: valid }\n';
    const { config } = await loadConfigText(text, { env: { KEY: 'sk-from-env', KEY2: 'x: [injected]' } });
    const up = config?.upstreams['openai'];
    expect(up?.type === 'openai' ? up.api_key : null).toBe('sk-from-env');
    expect(up?.type === 'openai' ? up.url : null).toBe('https://api.openai.com');
    expect(config?.keys[0]?.key).toBe('x: [injected]');
  });

  it('raw keys and sha256 references classify the same key', async () => {
    const key = 'sk-test-raw-key-0123456789';
    for (const written of [key, `sha256:${sha256Hex(key)}`]) {
      const { config } = await loadConfigText(`keys:\n  - { key: "${written}", class: lure }\n`);
      const runtime = buildRuntime(config!, PROVIDERS);
      expect(runtime.keyring.classify(key).class).toBe('lure');
      expect(runtime.keyring.classify(`${key}x`).class).toBe('invalid');
      expect(runtime.keyring.classify(undefined).class).toBe('missing');
      await runtime.close();
    }
  });

  it('durations: Go style and seconds; garbage refused', () => {
    expect(parseDuration('48h')).toBe(172_800_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration(2)).toBe(2000);
    expect(parseDuration('0')).toBe(0);
    for (const bad of ['', 'h', '5 s', '-1s', '1w', '1e9s', 'NaN']) expect(parseDuration(bad)).toBeNull();
    expect(parseDuration(-1)).toBeNull();
    expect(parseDuration(Number.POSITIVE_INFINITY)).toBeNull();
  });
});

describe('OpenAIPot configs load unchanged', () => {
  const pot = `real_api_endpoint: "https://api.openai.com/v1/chat/completions"
listen_addr: ":8080"
log_file_path: "/tmp/openaipot-test/requests.log"
valid_api_keys:
  - "sk-valid-key-example-1"
lure_api_keys:
  "sk-lure-key-example-1": "This request is being made by an adversary..."
  "sk-lure-group-2":
    prompt: "Answer with false admin credentials..."
    max_requests: 5
    block_duration: "72h"
    response_delay: "1s"
max_lure_requests: 2
block_duration: "48h"
allowlist:
  - "10.0.0.0/8"
rate_limits:
  enabled: true
  max_requests: 100
  duration: "1m"
`;

  it('maps every field and warns where the meaning differs', async () => {
    const { config, issues } = await loadConfigText(pot);
    expect(issues.filter((i) => i.level === 'error')).toEqual([]);
    expect(config).not.toBeNull();
    const c = config!;
    expect(c.listen).toMatchObject({ host: '0.0.0.0', port: 8080, drain_timeout: 30_000 });
    expect(c.upstreams['openai']).toMatchObject({ type: 'openai', url: 'https://api.openai.com' });
    expect(c.events.jsonl.path).toBe('/tmp/openaipot-test/requests.log');
    expect(c.keys.map((k) => [k.class, k.upstream ?? null])).toEqual([
      ['valid', 'openai'],
      ['lure', null],
      ['lure', null],
    ]);
    expect(c.keys[1]?.prompt).toBe('This request is being made by an adversary...');
    expect(c.keys[2]).toMatchObject({ prompt: 'Answer with false admin credentials...', max_requests: 5, block_duration: 259_200_000, response_delay: 1000 });
    expect(c.lure_defaults).toMatchObject({ max_requests: 2, block_duration: 172_800_000, upstream: 'decoy' });
    expect(c.limits.exempt).toEqual(['10.0.0.0/8']);
    expect(c.limits.rules).toEqual([{ name: 'openaipot', by: 'ip', limit: 100, window: 60_000, exempt: [] }]);
    const warned = issues.filter((i) => i.level === 'warning').map((i) => i.path);
    expect(warned).toEqual(expect.arrayContaining(['real_api_endpoint', 'listen_addr', 'log_file_path', 'lure_api_keys', 'max_lure_requests', 'allowlist']));
    const runtime = buildRuntime(c, PROVIDERS);
    expect(runtime.keyring.classify('sk-lure-group-2').record?.lure?.maxRequests).toBe(5);
    expect(runtime.keyring.classify('sk-lure-key-example-1').record?.lure?.maxRequests).toBe(2);
    await runtime.close();
  });

  it('check-config explains the differences and exits 0', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hg-pot-'));
    const file = join(dir, 'config.yaml');
    await writeFile(file, pot);
    const { code, out } = await run(['check-config', file]);
    expect(code).toBe(0);
    expect(out).toContain('warning: allowlist: OpenAIPot forwarded any request from an allowlisted IP, even without a valid key');
    expect(out).toContain('honeygate never spends a valid key on a thief');
    expect(out).toMatch(/ok \(3 keys, 2 lure/);
  });

  it('a broken OpenAIPot field is an error with its path', async () => {
    const { config, issues } = await loadConfigText('listen_addr: "nonsense"\nlure_api_keys: [1, 2]\n');
    expect(config).toBeNull();
    expect(issues.filter((i) => i.level === 'error').map((i) => i.path)).toEqual(['listen_addr', 'lure_api_keys']);
  });
});

describe('invalid configs fail with exactly the expected messages', async () => {
  const dir = join(import.meta.dirname, 'invalid');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml')).sort();
  it.each(files)('%s', async (file) => {
    const text = await readFile(join(dir, file), 'utf8');
    const expected = (await readFile(join(dir, file.replace(/\.yaml$/, '.txt')), 'utf8')).trim().split('\n');
    const started = Date.now();
    const { config, issues } = await loadConfigText(text, { env: {} });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(config).toBeNull();
    const got = issues.filter((i) => i.level === 'error').map(formatIssue);
    if (expected.length === 1 && expected[0]?.endsWith(': YAML')) {
      expect(got).toHaveLength(1);
      expect(got[0]?.startsWith(expected[0])).toBe(true);
    } else expect(got).toEqual(expected);
  });

  it('check-config prints every error with its path and exits 2', async () => {
    const { code, err } = await run(['check-config', join(dir, 'bad-values.yaml')]);
    expect(code).toBe(2);
    expect(err).toContain('bad-values.yaml: error: limits.rules.0.window: not a duration');
    expect(err).toContain('bad-values.yaml: 9 error(s)');
    expect((await run(['check-config'])).code).toBe(2);
    expect((await run(['check-config', '/nonexistent/file.yaml'])).code).toBe(2);
  });
});

describe('JSON Schema for editors', () => {
  it('schema/honeygate.schema.json is the one generated from the zod schema (run `npm run schema` after changing it)', async () => {
    const committed = JSON.parse(await readFile(join(root, 'schema', 'honeygate.schema.json'), 'utf8')) as unknown;
    expect(committed).toEqual(JSON.parse(JSON.stringify(configJsonSchema())));
    const props = (committed as { properties: Record<string, { description?: string }> }).properties;
    expect(Object.keys(props)).toEqual(expect.arrayContaining(['listen', 'keys', 'upstreams', 'limits', 'network', 'trusted_proxies', 'store', 'events']));
    expect(props['trusted_proxies']?.description).toMatch(/X-Forwarded-For/);
  });
});

describe('a lure upstream must not hold the company key', () => {
  it('refuses a lure whose upstream also forwards valid keys with its api_key; accepts a burner upstream', async () => {
    const shared = [
      'upstreams:',
      '  openai: { type: openai, url: "https://api.openai.com", api_key: "sk-company-key-0123456789" }',
      'keys:',
      '  - { name: alice, key: "sk-alice-valid-0123456789", class: valid, upstream: openai }',
      '  - { name: leak, key: "sk-lure-0123456789abcdef", class: lure, upstream: openai }',
    ].join('\n');
    const bad = await loadConfigText(`${shared}\n`);
    expect(bad.config ?? null).toBeNull();
    expect(bad.issues.map(formatIssue).join('\n')).toMatch(/keys\.1\.upstream.*also forwards valid keys with its api_key \(the company's key\)/);
    const ok = await loadConfigText(
      [
        'upstreams:',
        '  openai: { type: openai, url: "https://api.openai.com", api_key: "sk-company-key-0123456789" }',
        '  burner: { type: openai, url: "https://api.openai.com", api_key: "sk-burner-0123456789" }',
        'keys:',
        '  - { name: alice, key: "sk-alice-valid-0123456789", class: valid, upstream: openai }',
        '  - { name: leak, key: "sk-lure-0123456789abcdef", class: lure, upstream: burner }',
      ].join('\n') + '\n',
    );
    expect(ok.issues.filter((i) => i.level === 'error')).toEqual([]);
    expect(ok.config).toBeDefined();
  });
});
