/**
 * The Bedrock part of the config file (issue 4): `aws_keys`, `bedrock_api_keys`, `bedrock`
 * upstreams, the `bedrock` options; the cross-field rules that keep lure traffic off a valid user's
 * credentials; AWS lure keys minted by `honeygate keys new --format aws` loaded through key_files
 * with their `.aws-secrets.yaml` sidecar; the example config.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { formatIssue } from '../../src/config/issues.js';
import { loadConfigFile, loadConfigObject } from '../../src/config/load.js';
import { mintAwsKeyPair } from '../../src/deception/keygen.js';
import { buildRuntime } from '../../src/core/runtime.js';
import { PROVIDERS } from '../../src/gateway/registry.js';
import type { CompiledBedrock } from '../../src/providers/bedrock/provider.js';

const awsOf = (r: ReturnType<typeof buildRuntime>): CompiledBedrock | null => (r.providers.get('bedrock') as CompiledBedrock | undefined) ?? null;
import { startGateway } from '../../src/gateway/gateway.js';
import { sha256Hex } from '../../src/util/hash.js';
import { LURE, LURE_SESSION, VALID } from './harness.js';

const root = join(import.meta.dirname, '..', '..');
const BURNER = mintAwsKeyPair({ accountId: '666677778888' });

async function issues(raw: Record<string, unknown>, env: Record<string, string> = {}): Promise<string[]> {
  const r = await loadConfigObject(raw, { env });
  return r.issues.map(formatIssue);
}

const lure = { name: 'l', class: 'lure', access_key_id: LURE.accessKeyId, secret_access_key: LURE.secretAccessKey };
const valid = { name: 'v', class: 'valid', access_key_id: VALID.accessKeyId, secret_access_key: VALID.secretAccessKey };
const burnerUp = { type: 'bedrock', region: 'us-east-1', credentials: { access_key_id: BURNER.accessKeyId, secret_access_key: BURNER.secretAccessKey } };

describe('the example config', () => {
  it('loads without warnings, with its Bedrock section compiled into the AWS key ring', async () => {
    const { config, warnings } = await loadConfigFile(join(root, 'examples', 'honeygate.yaml'), {});
    expect(warnings).toEqual([]);
    expect(config.keys).toHaveLength(3);
    expect(config.aws_keys.map((k) => [k.name, k.class])).toEqual([
      ['app-prod', 'valid'],
      ['ci-secrets-aws-1', 'lure'],
    ]);
    expect(config.upstreams['aws']).toMatchObject({ type: 'bedrock', region: 'us-east-1' });
    const runtime = buildRuntime(config, PROVIDERS);
    expect(awsOf(runtime)?.keyring.records.map((r) => [r.name, r.class, r.upstream])).toEqual([
      ['app-prod', 'valid', 'aws'],
      ['ci-secrets-aws-1', 'lure', 'decoy'],
      ['notebook-leak', 'lure', 'decoy'],
    ]);
    // the pair is found by its access key id; the record holds its fingerprint and mask, never the secret
    const pair = awsOf(runtime)?.keyring.pair('AKIAS4SFVI2F3XNWYRLW');
    expect(pair?.record).toMatchObject({ fingerprint: `sha256:${sha256Hex('AKIAS4SFVI2F3XNWYRLW').slice(0, 16)}`, mask: 'AKIA************YRLW' });
    expect(JSON.stringify(pair?.record)).not.toContain(pair?.secretAccessKey ?? '?');
    await runtime.close();
  });

  it('without any AWS config there is no Bedrock runtime', async () => {
    const { config } = await loadConfigObject({ keys: [{ key: 'sk-x', class: 'valid' }] }, { env: {} });
    const runtime = buildRuntime(config!, PROVIDERS);
    expect(awsOf(runtime)).toBeNull();
    await runtime.close();
  });
});

describe('cross-field rules: lure AWS traffic never spends a valid user’s credentials', () => {
  it('a lure key on a bedrock upstream signed with the environment’s credentials', async () => {
    expect(await issues({ upstreams: { aws: { type: 'bedrock', region: 'us-east-1' } }, aws_keys: [{ ...lure, upstream: 'aws' }] })).toEqual([
      'error: aws_keys.0.upstream: lure traffic to "aws" would be signed with the environment\'s AWS credentials: give that upstream its own burner credentials, or use "decoy"',
    ]);
  });

  it('a lure key on the upstream a valid key is forwarded to', async () => {
    expect(await issues({ upstreams: { aws: burnerUp }, aws_keys: [valid, { ...lure, upstream: 'aws' }] })).toEqual([
      'error: aws_keys.1.upstream: upstream "aws" also forwards aws_keys.0 (a valid key): lure traffic must never spend a valid user\'s credentials',
    ]);
  });

  it('a lure upstream holding a valid key’s pair, or the pair another valid upstream signs with', async () => {
    const stolen = { type: 'bedrock', region: 'us-east-1', credentials: { access_key_id: VALID.accessKeyId, secret_access_key: VALID.secretAccessKey } };
    expect(await issues({ upstreams: { prod: burnerUp, lurer: stolen }, aws_keys: [{ ...valid, upstream: 'prod' }, { ...lure, upstream: 'lurer' }] })).toEqual([
      'error: aws_keys.1.upstream: upstream "lurer" holds a valid user\'s AWS credentials: lure traffic must never spend them',
    ]);
    expect(await issues({ upstreams: { prod: burnerUp, copy: burnerUp }, aws_keys: [{ ...valid, upstream: 'prod' }, { ...lure, upstream: 'copy' }] })).toEqual([
      'error: aws_keys.1.upstream: upstream "copy" holds a valid user\'s AWS credentials: lure traffic must never spend them',
    ]);
  });

  it('a lure key on a bedrock upstream with its own burner pair is accepted', async () => {
    expect(await issues({ upstreams: { burner: burnerUp }, aws_keys: [{ ...lure, upstream: 'burner' }] })).toEqual([]);
  });

  it('protocols: AWS keys need a bedrock upstream, OpenAI keys an openai one; unknown names are refused', async () => {
    const openai = { type: 'openai', url: 'https://api.openai.com', api_key: 'sk-burner' };
    expect(await issues({ upstreams: { oa: openai }, aws_keys: [{ ...valid, upstream: 'oa' }, { ...lure, name: 'l2', upstream: 'oa' }] })).toEqual([
      'error: aws_keys.0.upstream: "oa" is an openai upstream: AWS keys need a bedrock upstream (or "decoy")',
      'error: aws_keys.1.upstream: "oa" is an openai upstream: it cannot answer Bedrock requests (use a bedrock upstream with burner credentials, or "decoy")',
    ]);
    expect(await issues({ upstreams: { aws: burnerUp }, keys: [{ key: 'sk-valid-1', class: 'valid', upstream: 'aws' }] })).toEqual([
      'error: keys.0.upstream: "aws" is a bedrock upstream: OpenAI keys need an openai upstream (or "decoy")',
    ]);
    expect(await issues({ aws_keys: [{ ...valid, upstream: 'nowhere' }], bedrock_api_keys: [{ name: 'b', class: 'lure', key: `sha256:${'a'.repeat(64)}`, upstream: 'gone' }] })).toEqual([
      'error: aws_keys.0.upstream: no upstream named "nowhere"',
      'error: bedrock_api_keys.0.upstream: no upstream named "gone"',
    ]);
  });

  it('one key, one entry: duplicate access key ids and API keys are refused', async () => {
    expect(await issues({ aws_keys: [valid, { ...lure, access_key_id: VALID.accessKeyId }], bedrock_api_keys: [{ name: 'a', class: 'lure', key: `sha256:${'b'.repeat(64)}` }, { name: 'b', class: 'valid', key: `sha256:${'b'.repeat(64)}` }] })).toEqual([
      'error: aws_keys.1.access_key_id: the same access key id as aws_keys.0',
      'error: bedrock_api_keys.1.key: the same key as bedrock_api_keys.0',
    ]);
  });

  it('defaults: valid AWS keys go to the first bedrock upstream, lure keys to the decoy unless lure_defaults names a bedrock upstream', async () => {
    const { config } = await loadConfigObject(
      {
        upstreams: { oa: { type: 'openai', url: 'https://api.openai.com', api_key: 'sk-burner' }, aws: burnerUp },
        lure_defaults: { upstream: 'oa' },
        keys: [{ key: 'sk-openai-lure-1', class: 'lure' }],
        aws_keys: [valid, lure],
      },
      { env: {} },
    );
    const runtime = buildRuntime(config!, PROVIDERS);
    expect(awsOf(runtime)?.keyring.records.map((r) => r.upstream)).toEqual(['aws', 'decoy']);
    expect(runtime.keyring.records.map((r) => r.upstream)).toEqual(['oa']);
    await runtime.close();
  });

  it('lure-only fields on a valid key are warnings; an ASIA key without its session token is an error', async () => {
    expect(await issues({ aws_keys: [{ ...valid, reply: 'x', campaign: 'c' }] })).toEqual([
      'warning: aws_keys.0.reply: ignored on a valid key (lure keys only)',
      'warning: aws_keys.0.campaign: ignored on a valid key (lure keys only)',
    ]);
    expect(await issues({ aws_keys: [{ name: 's', class: 'lure', access_key_id: LURE_SESSION.accessKeyId, secret_access_key: LURE_SESSION.secretAccessKey }] })).toEqual([
      'error: aws_keys.0.session_token: ASIA keys are temporary credentials: set the session token the requests will carry',
    ]);
  });
});

async function keysNew(dir: string, ...extra: string[]): Promise<string> {
  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on('data', (c: Buffer) => chunks.push(c));
  const code = await main({ argv: ['keys', 'new', '--lure', '--format', 'aws', '--campaign', 'ci-secrets', '--placement', 'repo secret', '--file', join(dir, 'keys.yaml'), ...extra], env: {}, stdout, stderr: new PassThrough() });
  expect(code).toBe(0);
  return Buffer.concat(chunks).toString('utf8');
}

function printedPair(out: string): { accessKeyId: string; secretAccessKey: string } {
  const id = /aws_access_key_id = (\S+)/.exec(out)?.[1] ?? '';
  const secret = /aws_secret_access_key = (\S+)/.exec(out)?.[1] ?? '';
  return { accessKeyId: id, secretAccessKey: secret };
}

describe('AWS lure keys from key files and their aws-secrets sidecar', () => {
  it('`keys new --format aws` → key_files: the pair joins aws_keys and answers the SDK through the gateway', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hg-awskeys-'));
    const pair = printedPair(await keysNew(dir, '--max-requests', '7'));
    expect(await readFile(join(dir, 'keys.yaml'), 'utf8')).not.toContain(pair.secretAccessKey);
    expect(await readFile(join(dir, 'keys.aws-secrets.yaml'), 'utf8')).toContain(pair.secretAccessKey);
    await writeFile(join(dir, 'honeygate.yaml'), 'listen: { host: 127.0.0.1, port: 0 }\nlure_defaults: { realistic_timing: false }\nkey_files: [keys.yaml]\n');
    const { config, warnings } = await loadConfigFile(join(dir, 'honeygate.yaml'), {});
    expect(warnings).toEqual([]);
    expect(config.keys).toEqual([]);
    expect(config.aws_keys).toHaveLength(1);
    expect(config.aws_keys[0]).toMatchObject({ class: 'lure', access_key_id: pair.accessKeyId, campaign: 'ci-secrets', placement: 'repo secret', max_requests: 7 });
    const gateway = await startGateway(config, { port: 0, host: '127.0.0.1' });
    const c = new BedrockRuntimeClient({ region: 'us-east-1', endpoint: gateway.url, credentials: pair, maxAttempts: 1 });
    const out = await c.send(new ConverseCommand({ modelId: 'us.amazon.nova-micro-v1:0', messages: [{ role: 'user', content: [{ text: 'hi' }] }] }));
    expect(out.output?.message?.content?.[0]?.text).toEqual(expect.any(String));
    c.destroy();
    await gateway.close();
  });

  it('--secret-env: the sidecar holds ${VAR}, filled from the environment', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hg-awskeys-'));
    const pair = printedPair(await keysNew(dir, '--secret-env', 'HG_AWS_LURE_T'));
    expect(await readFile(join(dir, 'keys.aws-secrets.yaml'), 'utf8')).toContain('${HG_AWS_LURE_T}');
    await writeFile(join(dir, 'honeygate.yaml'), 'key_files: [keys.yaml]\n');
    const { config } = await loadConfigFile(join(dir, 'honeygate.yaml'), { HG_AWS_LURE_T: pair.secretAccessKey });
    expect(config.aws_keys[0]?.secret_access_key).toBe(pair.secretAccessKey);
    await expect(loadConfigFile(join(dir, 'honeygate.yaml'), {})).rejects.toThrow(/environment variable HG_AWS_LURE_T is not set/);
  });

  it('a sidecar elsewhere (--secrets-file) is listed in key_files itself', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hg-awskeys-'));
    const pair = printedPair(await keysNew(dir, '--secrets-file', join(dir, 'vault.yaml')));
    await writeFile(join(dir, 'honeygate.yaml'), 'key_files: [keys.yaml, vault.yaml]\n');
    const { config, warnings } = await loadConfigFile(join(dir, 'honeygate.yaml'), {});
    expect(warnings).toEqual([]);
    expect(config.aws_keys.map((k) => k.access_key_id)).toEqual([pair.accessKeyId]);
  });

  it('an AWS key without its secret, and a secret without its key, are skipped with a warning', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hg-awskeys-'));
    await keysNew(dir, '--secrets-file', join(dir, 'vault.yaml'));
    await writeFile(join(dir, 'honeygate.yaml'), 'key_files: [keys.yaml]\n');
    const a = await loadConfigFile(join(dir, 'honeygate.yaml'), {});
    expect(a.config.aws_keys).toEqual([]);
    expect(a.config.keys).toEqual([]);
    expect(a.warnings.map(formatIssue)).toEqual(['warning: keys.yaml:keys.0: an AWS access key without its secret (no aws-secrets sidecar entry): SigV4 cannot be verified, the key is skipped']);
    await writeFile(join(dir, 'honeygate.yaml'), 'key_files: [vault.yaml]\n');
    const b = await loadConfigFile(join(dir, 'honeygate.yaml'), {});
    expect(b.warnings.map(formatIssue)).toEqual([expect.stringMatching(/^warning: vault\.yaml:aws_credentials\.0: no key file entry for "ci-secrets-[0-9a-f]{8}" \(its class is written there\): skipped$/)]);
  });
});
