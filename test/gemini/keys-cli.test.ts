/** `honeygate keys new --format gemini`: a Google API key into gemini_keys, loadable through key_files. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKeys } from '../../src/cli/keys.js';
import { loadConfigObject } from '../../src/config/load.js';
import { sha256Hex } from '../../src/util/hash.js';
import { captureCli } from '../helpers/cli.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hg-gemini-keys-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('keys new --format gemini', () => {
  it('mints a lure into gemini_keys (hash and mask only), listed, loaded through key_files', async () => {
    const file = join(dir, 'keys.yaml');
    const run = await captureCli((io) => runKeys(io), ['new', '--lure', '--format', 'gemini', '--campaign', 'web-leak', '--placement', 'site bundle', '--file', file]);
    expect(run.code).toBe(0);
    const key = run.out.split('\n')[0] ?? '';
    expect(key).toMatch(/^AIzaSy[A-D][A-Za-z0-9_-]{32}$/);
    const text = await readFile(file, 'utf8');
    expect(text).toContain('gemini_keys:');
    expect(text).toContain(`sha256:${sha256Hex(key)}`);
    expect(text).not.toContain(key);
    expect(text).toContain(`AIza${'*'.repeat(31)}${key.slice(-4)}`);
    const list = await captureCli((io) => runKeys(io), ['list', '--file', file, '--json']);
    expect(JSON.parse(list.out)).toEqual([expect.objectContaining({ class: 'lure', campaign: 'web-leak', mask: `AIza${'*'.repeat(31)}${key.slice(-4)}` })]);
    const { config, issues } = await loadConfigObject({ key_files: [file] }, { env: {}, baseDir: dir });
    expect(issues.filter((i) => i.level === 'error')).toEqual([]);
    expect(config?.gemini_keys[0]).toMatchObject({ class: 'lure', campaign: 'web-leak', key: `sha256:${sha256Hex(key)}` });
  });

  it('mints valid Gemini keys too; refuses AWS-only flags', async () => {
    const file = join(dir, 'valid.yaml');
    const ok = await captureCli((io) => runKeys(io), ['new', '--valid', '--format', 'gemini', '--file', file]);
    expect(ok.code).toBe(0);
    const bad = await captureCli((io) => runKeys(io), ['new', '--valid', '--format', 'gemini', '--aws-account', '123456789012', '--file', file]);
    expect(bad.code).toBe(2);
  });
});
