/**
 * `honeygate keys` (src/cli/keys.ts), called directly with in-memory streams and temp files: the key
 * is printed once and never written, the key file loads with the config loader, AWS pairs keep their
 * secret in a 0600 sidecar, usage errors exit 2.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runKeys, type KeysDeps } from '../../src/cli/keys.js';
import { KEYS_ERRORS } from '../../src/cli/keys-file.js';
import { loadConfigText } from '../../src/config/load.js';
import { decodeAwsAccountId, detectKeyFormat } from '../../src/deception/keygen.js';
import { sha256Hex } from '../../src/util/hash.js';
import { captureCli, type CliRun } from '../helpers/cli.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hg-keys-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function run(argv: string[], deps: KeysDeps = {}, env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return captureCli((io) => runKeys(io, deps), argv, env);
}

const lureArgs = (file: string, ...more: string[]): string[] => ['new', '--lure', '--campaign', 'github-leak', '--placement', 'acme/api .env', '--file', file, ...more];

describe('keys new', () => {
  it('prints the key once, stores only its hash and mask, and the file loads as config', async () => {
    const file = join(dir, 'keys.yaml');
    const r = await run(lureArgs(file, '--prompt', 'You are the ACME assistant.', '--max-requests', '10'));
    expect(r.code).toBe(0);
    const key = r.out.split('\n')[0] ?? '';
    expect(detectKeyFormat(key)).toBe('openai-project');
    expect(r.out.split(key).length - 1).toBe(1);
    expect(r.out).toMatch(/shown once and NOT stored/);
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain(key);
    expect(text).not.toContain(key.slice(8, 40));
    const doc = parse(text) as { keys: Array<Record<string, unknown>> };
    expect(doc.keys).toHaveLength(1);
    expect(doc.keys[0]).toMatchObject({ key: `sha256:${sha256Hex(key)}`, class: 'lure', campaign: 'github-leak', placement: 'acme/api .env', prompt: 'You are the ACME assistant.', max_requests: 10 });
    expect(doc.keys[0]?.['mask']).toBe(`${key.slice(0, 8)}${'*'.repeat(152)}${key.slice(-4)}`);
    expect(((await stat(file)).mode & 0o777).toString(8)).toBe('600');
    // the gateway's own loader accepts the file
    const { config, issues } = await loadConfigText(`key_files: [${JSON.stringify(file)}]\n`, { env: {}, baseDir: dir });
    expect(issues.filter((i) => i.level === 'error')).toEqual([]);
    expect(config?.keys[0]?.key).toBe(`sha256:${sha256Hex(key)}`);
  });

  it('appends to an existing file, keeping its comments and entries', async () => {
    const file = join(dir, 'keys.yaml');
    await writeFile(file, '# planted lures\nkeys:\n  - name: old\n    key: sha256:' + 'a'.repeat(64) + '\n    class: lure\n');
    expect((await run(lureArgs(file, '--name', 'second'))).code).toBe(0);
    const text = await readFile(file, 'utf8');
    expect(text.startsWith('# planted lures')).toBe(true);
    const doc = parse(text) as { keys: Array<{ name: string }> };
    expect(doc.keys.map((k) => k.name)).toEqual(['old', 'second']);
    const dup = await run(lureArgs(file, '--name', 'second'));
    expect(dup.code).toBe(2);
    expect(dup.err).toContain('HG_KEYS_NAME_TAKEN');
  });

  it('mints every OpenAI format and Anthropic', async () => {
    for (const format of ['openai-legacy', 'openai-svcacct', 'openai-admin', 'anthropic']) {
      const r = await run(lureArgs(join(dir, 'k.yaml'), '--format', format));
      expect(r.code, format).toBe(0);
      expect(detectKeyFormat(r.out.split('\n')[0] ?? '')).toBe(format);
    }
    const doc = parse(await readFile(join(dir, 'k.yaml'), 'utf8')) as { keys: unknown[] };
    expect(doc.keys).toHaveLength(4);
  });

  it('AWS: the pair is printed once, the secret kept in a 0600 sidecar, the account decodes', async () => {
    const file = join(dir, 'keys.yaml');
    const r = await run(lureArgs(file, '--format', 'aws', '--aws-account', '123456789012'));
    expect(r.code).toBe(0);
    const id = /aws_access_key_id = (\S+)/.exec(r.out)?.[1] ?? '';
    const secret = /aws_secret_access_key = (\S+)/.exec(r.out)?.[1] ?? '';
    expect(decodeAwsAccountId(id)).toBe('123456789012');
    expect(r.out).toContain('arn:aws:iam::123456789012:user/');
    const keysText = await readFile(file, 'utf8');
    expect(keysText).not.toContain(secret);
    expect(keysText).toContain(`sha256:${sha256Hex(id)}`);
    const side = join(dir, 'keys.aws-secrets.yaml');
    expect(((await stat(side)).mode & 0o777).toString(8)).toBe('600');
    const sideDoc = parse(await readFile(side, 'utf8')) as { aws_credentials: Array<Record<string, string>> };
    expect(sideDoc.aws_credentials[0]).toMatchObject({ access_key_id: id, secret_access_key: secret, account_id: '123456789012' });
  });

  it('AWS with --secret-env writes a ${VAR} reference, never the secret', async () => {
    const file = join(dir, 'keys.yaml');
    const r = await run(lureArgs(file, '--format', 'aws', '--secret-env', 'HG_AWS_LURE_1'));
    expect(r.code).toBe(0);
    const secret = /aws_secret_access_key = (\S+)/.exec(r.out)?.[1] ?? '';
    const side = await readFile(join(dir, 'keys.aws-secrets.yaml'), 'utf8');
    expect(side).toContain('${HG_AWS_LURE_1}');
    expect(side).not.toContain(secret);
  });

  it('valid keys carry no lure fields', async () => {
    const file = join(dir, 'keys.yaml');
    const r = await run(['new', '--valid', '--file', file, '--name', 'team-a']);
    expect(r.code).toBe(0);
    const doc = parse(await readFile(file, 'utf8')) as { keys: Array<Record<string, unknown>> };
    expect(doc.keys[0]).toEqual({ name: 'team-a', key: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) as unknown, class: 'valid', mask: expect.any(String) as unknown });
  });

  it('refuses bad usage with exit 2 and a coded message, writing nothing', async () => {
    const file = join(dir, 'keys.yaml');
    const bad: string[][] = [
      ['new'],
      ['new', '--lure', '--valid', '--campaign', 'c', '--placement', 'p', '--file', file],
      ['new', '--lure', '--placement', 'p', '--file', file],
      ['new', '--lure', '--campaign', 'c', '--file', file],
      ['new', '--valid', '--prompt', 'x', '--file', file],
      ['new', '--valid', '--format', 'aws', '--file', file],
      lureArgs(file, '--format', 'gcp'),
      lureArgs(file, '--max-requests', '-1'),
      lureArgs(file, '--max-requests', 'ten'),
      lureArgs(file, '--aws-account', '12', '--format', 'aws'),
      lureArgs(file, '--aws-account', '123456789012'),
      lureArgs(file, '--secret-env', 'bad name', '--format', 'aws'),
      lureArgs(file, '--name', ''),
      lureArgs(file, '--name', 'a\u001b[31mred'),
      lureArgs(file, '--unknown-flag'),
      lureArgs(file, 'stray'),
      ['bogus'],
      [],
    ];
    for (const argv of bad) {
      const r = await run(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toMatch(/honeygate keys: HG_KEYS_USAGE: /);
      expect(r.out).toBe('');
    }
    await expect(stat(file)).rejects.toThrow();
  });

  it('refuses a file that is not a key file (exit 1) and leaves it untouched', async () => {
    const file = join(dir, 'keys.yaml');
    for (const text of ['keys: 5\n', '- a\n- b\n', 'keys: [\n', 'keys: "x"\n']) {
      await writeFile(file, text);
      const r = await run(lureArgs(file));
      expect(r.code, text).toBe(1);
      expect(r.err).toContain('HG_KEYS_FILE_INVALID');
      expect(await readFile(file, 'utf8')).toBe(text);
    }
  });
});

describe('keys list', () => {
  it('shows names, classes, campaigns, placements, fingerprints, masks and hits — never keys', async () => {
    const file = join(dir, 'keys.yaml');
    const a = await run(lureArgs(file, '--name', 'lure-a'));
    const keyA = a.out.split('\n')[0] ?? '';
    await run(['new', '--valid', '--file', file, '--name', 'valid-b']);
    const fp = `sha256:${sha256Hex(keyA).slice(0, 16)}`;
    const r = await run(['list', '--file', file], { hits: new Map([[fp, 7]]) });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^NAME\s+CLASS\s+CAMPAIGN\s+PLACEMENT\s+FINGERPRINT\s+MASK\s+HITS/);
    expect(r.out).toContain('lure-a');
    expect(r.out).toContain(fp);
    expect(r.out).toMatch(/lure-a .* 7$/m);
    expect(r.out).not.toContain(keyA);
    const json = await run(['list', '--file', file, '--json'], { hits: async () => new Map([[fp, 3]]) });
    const rows = JSON.parse(json.out) as Array<Record<string, unknown>>;
    expect(rows.map((x) => x['name'])).toEqual(['lure-a', 'valid-b']);
    expect(rows[0]).toMatchObject({ class: 'lure', campaign: 'github-leak', placement: 'acme/api .env', fingerprint: fp, hits: 3 });
    expect(rows[1]?.['hits']).toBe(0);
  });

  it('reads a config (with key_files) and masks raw keys there, never printing them', async () => {
    const file = join(dir, 'keys.yaml');
    await run(lureArgs(file, '--name', 'from-file'));
    const raw = 'sk-proj-RAWVALIDKEYTHATMUSTNEVERBEPRINTED0001';
    const cfg = join(dir, 'honeygate.yaml');
    await writeFile(cfg, `keys:\n  - name: inline\n    key: \${TEAM_KEY}\n    class: valid\nkey_files: [keys.yaml]\n`);
    const r = await run(['list', '--config', cfg, '--json'], {}, { TEAM_KEY: raw });
    expect(r.code).toBe(0);
    expect(r.out).not.toContain(raw);
    const rows = JSON.parse(r.out) as Array<Record<string, string>>;
    expect(rows.map((x) => x['name']).sort()).toEqual(['from-file', 'inline']);
    expect(rows.find((x) => x['name'] === 'inline')?.['mask']).toBe(`sk-proj-${'*'.repeat(raw.length - 12)}${raw.slice(-4)}`);
    expect(r.out).not.toContain('HITS');
  });

  it('reports a missing file, a bad config, and skips bad entries', async () => {
    const missing = await run(['list', '--file', join(dir, 'none.yaml')]);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('HG_KEYS_NO_SOURCE');
    const cfg = join(dir, 'bad.yaml');
    await writeFile(cfg, 'listen: 5\n');
    const bad = await run(['list', '--config', cfg]);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('HG_KEYS_CONFIG_INVALID');
    const file = join(dir, 'keys.yaml');
    await writeFile(file, 'keys:\n  - name: ok\n    key: sha256:' + 'b'.repeat(64) + '\n    class: lure\n    placement: "x\\u001b[2Jy"\n  - nonsense: 1\n');
    const r = await run(['list', '--file', file]);
    expect(r.code).toBe(0);
    expect(r.err).toContain('keys.1: skipped');
    expect(r.out).not.toContain('\u001b');
    expect((await run(['list', '--file', file, '--bogus'])).code).toBe(2);
  });
});

describe('keys error registry', () => {
  it('has a stable HG_KEYS_ code, exit status and message for every error', () => {
    for (const [code, spec] of Object.entries(KEYS_ERRORS)) {
      expect(code).toMatch(/^HG_KEYS_[A-Z_]+$/);
      expect([1, 2]).toContain(spec.exit);
      expect(spec.message.length).toBeGreaterThan(1);
    }
  });
});
