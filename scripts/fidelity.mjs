#!/usr/bin/env node
// Start honeygate (from dist/) on loopback with a lure OpenAI key (`keys`), a lure AWS key pair
// (`aws_keys`), a lure Google API key (`gemini_keys`) and a lure Anthropic key (`anthropic_keys`), run the
// fidelity check from ../shared/fidelity against it, print its report, stop.
// `npm run fidelity`.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const diff = process.env.HONEYGATE_FIDELITY ?? join(root, '..', 'shared', 'fidelity', 'diff.mjs');
if (!existsSync(diff)) {
  console.error(`fidelity check not found at ${diff} (set HONEYGATE_FIDELITY)`);
  process.exit(2);
}
const { loadConfigObject } = await import(join(root, 'dist/config/load.js'));
const { startGateway } = await import(join(root, 'dist/gateway/gateway.js'));
const { mintOpenAIKey, mintAwsKeyPair, mintGeminiKey } = await import(join(root, 'dist/deception/keygen.js'));
const { mintAzureKey } = await import(join(root, 'dist/deception/azure-keys.js'));

const lure = mintOpenAIKey('project');
const aws = mintAwsKeyPair();
// Azure OpenAI: a lure whose persona is the recorded resource's (East US 2, a gpt-4.1-mini deployment
// of 120K TPM named as the suite named it, an embeddings deployment); gpt-5-nano is not deployed there
const azure = mintAzureKey({ region: 'eastus2' });
const azureKeys = [
  {
    name: 'fidelity-azure-lure',
    key: azure,
    class: 'lure',
    max_requests: 100000,
    region: 'eastus2',
    deployments: { 'openllmetry-testing': { model: 'gpt-4.1-mini', capacity: 120 }, 'test-deployment': 'text-embedding-3-small' },
  },
];
// Gemini: a lure Google API key of its own (sent as x-goog-api-key for the Gemini recordings)
const geminiLure = mintGeminiKey();
const raw = {
  listen: { host: '127.0.0.1', port: 0 },
  keys: [{ name: 'fidelity-lure', key: lure, class: 'lure', max_requests: 100000 }],
  aws_keys: [{ name: 'fidelity-aws-lure', access_key_id: aws.accessKeyId, secret_access_key: aws.secretAccessKey, class: 'lure', max_requests: 100000 }],
  azure_keys: azureKeys,
  gemini_keys: [{ name: 'fidelity-gemini-lure', key: geminiLure, class: 'lure', max_requests: 100000 }],
  events: { dir: join(root, 'data', 'fidelity'), jsonl: { enabled: false } },
};

// Anthropic: a lure Anthropic key, answered by the decoy (the check sends it as x-api-key)
const { mintAnthropicKey } = await import(join(root, 'dist/deception/keygen.js'));
const anthropicLure = mintAnthropicKey();
raw.anthropic_keys = [{ name: 'fidelity-anthropic-lure', key: anthropicLure, class: 'lure', max_requests: 100000 }];
const anthropicArgs = ['--anthropic-key', anthropicLure];

const { config, issues } = await loadConfigObject(raw, { env: process.env });
if (!config) {
  console.error(issues);
  process.exit(2);
}
// one port for both surfaces: the AWS keys in the config turn the Bedrock routes on (HTTP/1.1 and h2c)
const gateway = await startGateway(config, { port: 0, host: '127.0.0.1' });
const args = [diff, '--target', gateway.url, '--key', lure, '--aws-access-key-id', aws.accessKeyId, '--aws-secret-access-key', aws.secretAccessKey];
args.push('--azure-key', azure);
args.push('--gemini-key', geminiLure);
args.push(...anthropicArgs);
args.push(...process.argv.slice(2));
const child = spawn(process.execPath, args, { stdio: 'inherit' });
const code = await new Promise((r) => child.on('exit', r));
await gateway.close();
process.exit(code ?? 1);
