import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runKeys } from '../../src/cli/keys.js';
import { loadConfigText } from '../../src/config/load.js';
import { detectKeyFormat } from '../../src/deception/keygen.js';
import { detectAzureKey, regionOfKey } from '../../src/deception/azure-keys.js';
import { sha256Hex } from '../../src/util/hash.js';
import { captureCli } from '../helpers/cli.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hg-azkeys-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const run = (argv: string[]) => captureCli((io) => runKeys(io, {}), argv);

describe('keys new --format azure', () => {
  it('mints an 84-character key into azure_keys with its region, and the file loads as config', async () => {
    const file = join(dir, 'keys.yaml');
    const r = await run(['new', '--lure', '--format', 'azure', '--azure-region', 'swedencentral', '--campaign', 'teams', '--placement', 'appsettings.json', '--file', file]);
    expect(r.code).toBe(0);
    const key = r.out.split('\n')[0] ?? '';
    expect(detectAzureKey(key)).toBe('ai-services');
    expect(detectKeyFormat(key)).toBe('azure');
    expect(regionOfKey(key)?.id).toBe('swedencentral');
    const doc = parse(await readFile(file, 'utf8')) as { azure_keys: Record<string, unknown>[]; keys?: unknown };
    expect(doc.keys).toBeUndefined();
    expect(doc.azure_keys[0]).toMatchObject({ key: `sha256:${sha256Hex(key)}`, class: 'lure', region: 'swedencentral', campaign: 'teams' });
    expect(JSON.stringify(doc)).not.toContain(key);
    const cfg = join(dir, 'hg.yaml');
    await writeFile(cfg, `key_files: [${JSON.stringify(file)}]\n`);
    const { config, issues } = await loadConfigText(await readFile(cfg, 'utf8'), { baseDir: dir });
    expect(issues.filter((i) => i.level === 'error')).toEqual([]);
    expect(config?.azure_keys).toHaveLength(1);
  });

  it('lists Azure keys from key files and configs, masked', async () => {
    const file = join(dir, 'keys.yaml');
    const minted = await run(['new', '--lure', '--format', 'azure', '--campaign', 'c', '--placement', 'p', '--file', file]);
    const key = minted.out.split('\n')[0] ?? '';
    const listedFile = await run(['list', '--file', file, '--json']);
    expect(listedFile.code).toBe(0);
    const rows = JSON.parse(listedFile.out) as { class: string; mask: string; campaign: string }[];
    expect(rows).toEqual([expect.objectContaining({ class: 'lure', campaign: 'c', mask: `${key.slice(0, 4)}${'*'.repeat(76)}${key.slice(-4)}` })]);
    const cfg = join(dir, 'hg.yaml');
    await writeFile(cfg, 'azure_keys: [{ key: 0123456789abcdef0123456789abcdef, class: lure }]\n');
    const listedCfg = await run(['list', '--config', cfg, '--json']);
    expect(listedCfg.out).toContain('"mask": "0123************************cdef"');
    expect(listedCfg.out).not.toContain('0123456789abcdef0123456789abcdef');
  });

  it('mints classic keys and valid keys; refuses Azure flags on other formats', async () => {
    const file = join(dir, 'keys.yaml');
    const classic = await run(['new', '--valid', '--format', 'azure', '--azure-kind', 'classic', '--file', file]);
    expect(classic.code).toBe(0);
    expect(classic.out.split('\n')[0]).toMatch(/^[0-9a-f]{32}$/);
    expect((await run(['new', '--valid', '--azure-region', 'eastus2', '--file', file])).code).toBe(2);
    expect((await run(['new', '--valid', '--format', 'azure', '--azure-kind', 'nope', '--file', file])).code).toBe(2);
    expect((await run(['new', '--valid', '--format', 'azure', '--azure-region', 'mars', '--file', file])).code).toBe(2);
  });
});
