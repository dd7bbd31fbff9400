/**
 * `honeygate keys` (issue 3): mint lure or valid keys in genuine provider formats and list the keys
 * a gateway knows — never showing a key after the moment it is minted.
 *
 *   honeygate keys new --lure|--valid [--campaign NAME --placement TEXT] [--format F] [--name N]
 *                      [--file keys.yaml] [--prompt TEXT] [--max-requests N]
 *                      [--aws-account 123456789012] [--secret-env VAR] [--secrets-file F]
 *                      [--azure-kind ai-services|classic] [--azure-region R]
 *   honeygate keys list [--file F] [--config F] [--json]
 *
 * The key file holds `{keys: [...]}` entries of `keySchema` (src/config/schema.ts) with only the
 * key's sha256 and its provider-style mask. An AWS lure is a pair: SigV4 verification needs the
 * secret itself (it keys the HMAC chain), so the pair goes to a separate sidecar,
 * `<file>.aws-secrets.yaml`, mode 0600, with the secret raw or as `${VAR}` (--secret-env). Azure
 * keys go to the file's `azure_keys` list (providers/azure/config.ts), with the region they name.
 * Exit codes: 0 ok, 1 file or config problem, 2 usage error. Errors are a coded registry (keys-file.ts).
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { isMap } from 'yaml';
import { ConfigError, formatIssue } from '../config/issues.js';
import { loadConfigFile } from '../config/load.js';
import { keyHash } from '../config/rules.js';
import { keySchema, type KeyConfig } from '../config/schema.js';
import { geminiKeySchema } from '../providers/gemini/config.js';
import { DeceptionError } from '../deception/errors.js';
import { KEY_FORMATS, mintKey, type KeyFormat } from '../deception/keygen.js';
import { maskKey } from '../util/mask.js';
import { awsPersona } from '../deception/persona.js';
import { azureKeySchema } from '../providers/azure/config.js';
import { maskAzureKey } from '../deception/azure-keys.js';
import type { ByteSource } from '../deception/random.js';
import { fingerprintOfHash, sha256Hex } from '../util/hash.js';
import { EXIT_OK, EXIT_USAGE } from './io.js';
import { defaultKeyFile, KeysError, loadList, modeOf, printable, readText, sidecarPath, writeAtomic } from './keys-file.js';

export interface KeysIO {
  readonly argv: string[];
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

/** Hit counts per key fingerprint (`sha256:<16 hex>`), e.g. counted from the event store. */
export type HitCounts = ReadonlyMap<string, number>;

export interface KeysDeps {
  /** shown as a HITS column by `keys list` */
  /** hit counts by fingerprint; a function resolving to undefined means "no event store": no HITS column */
  readonly hits?: HitCounts | (() => Promise<HitCounts | undefined> | HitCounts | undefined);
  /** randomness for minted keys (tests); default: the OS CSPRNG */
  readonly source?: ByteSource;
}

const USAGE = `usage:
  honeygate keys new --lure --campaign NAME --placement TEXT [--format F] [--name N] [--file keys.yaml]
                     [--prompt TEXT] [--max-requests N] [--aws-account ID] [--secret-env VAR] [--secrets-file F]
                     [--azure-kind ai-services|classic] [--azure-region eastus2|eastus|swedencentral|westeurope|northeurope]
  honeygate keys new --valid [--format openai-project|openai-legacy|openai-svcacct|openai-admin|azure|gemini|anthropic] [--name N] [--file keys.yaml]
  honeygate keys list [--file F] [--config F] [--json]

formats: ${KEY_FORMATS.join(', ')} (default openai-project)
The key is printed once and never stored: the key file keeps only its sha256 and a mask.
Without --file the key file is ~/.config/honeygate/keys.yaml ($XDG_CONFIG_HOME, or
$HONEYGATE_KEYS_FILE): never the current folder, which may be a repository. An AWS pair's secret
goes to <file>.aws-secrets.yaml beside it (mode 0600), or stays in \${VAR} with --secret-env.
`;

function usageError(message: string): KeysError {
  return new KeysError('HG_KEYS_USAGE', message);
}

function parse(argv: string[], options: Record<string, { type: 'string' | 'boolean'; short?: string }>): Record<string, string | boolean | undefined> {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
    if (positionals.length > 0) throw usageError(`unexpected argument "${printable(positionals[0] ?? '').slice(0, 64)}"`);
    return values as Record<string, string | boolean | undefined>;
  } catch (e: unknown) {
    if (e instanceof KeysError) throw e;
    throw usageError(e instanceof Error ? printable(e.message).split('\n')[0] ?? 'bad arguments' : 'bad arguments');
  }
}

function str(v: string | boolean | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

async function runNew(io: KeysIO, argv: string[], deps: KeysDeps): Promise<number> {
  const v = parse(argv, {
    lure: { type: 'boolean' },
    valid: { type: 'boolean' },
    campaign: { type: 'string' },
    placement: { type: 'string' },
    format: { type: 'string' },
    name: { type: 'string' },
    file: { type: 'string' },
    prompt: { type: 'string' },
    'max-requests': { type: 'string' },
    'aws-account': { type: 'string' },
    'secret-env': { type: 'string' },
    'secrets-file': { type: 'string' },
    'azure-kind': { type: 'string' },
    'azure-region': { type: 'string' },
  });
  const lure = v['lure'] === true;
  if (lure === (v['valid'] === true)) throw usageError('give exactly one of --lure or --valid');
  const format = (str(v['format']) ?? 'openai-project') as KeyFormat;
  if (!KEY_FORMATS.includes(format)) throw usageError(`unknown --format "${printable(format).slice(0, 40)}" (one of ${KEY_FORMATS.join(', ')})`);
  const campaign = str(v['campaign'])?.trim();
  const placement = str(v['placement'])?.trim();
  const prompt = str(v['prompt']);
  const maxText = str(v['max-requests']);
  const awsAccount = str(v['aws-account']);
  const secretEnv = str(v['secret-env']);
  if (lure) {
    if (!campaign) throw usageError('a lure key needs --campaign NAME (where it is planted)');
    if (!placement) throw usageError('a lure key needs --placement TEXT (the exact spot)');
  } else {
    for (const [flag, val] of [['--campaign', campaign], ['--placement', placement], ['--prompt', prompt], ['--max-requests', maxText]] as const) {
      if (val !== undefined) throw usageError(`${flag} is for lure keys only`);
    }
    if (!format.startsWith('openai-') && format !== 'azure' && format !== 'gemini' && format !== 'anthropic') throw usageError('--valid keys authenticate clients on the OpenAI, Anthropic, Azure or Gemini provider: use an openai-* format, anthropic, azure or gemini');
  }
  const azureKind = str(v['azure-kind']);
  const azureRegion = str(v['azure-region']);
  if (format !== 'azure') {
    for (const [flag, val] of [['--azure-kind', azureKind], ['--azure-region', azureRegion]] as const) {
      if (val !== undefined) throw usageError(`${flag} is for --format azure only`);
    }
  }
  if (azureKind !== undefined && azureKind !== 'ai-services' && azureKind !== 'classic') throw usageError('--azure-kind takes ai-services or classic');
  if (format !== 'aws') {
    for (const [flag, val] of [['--aws-account', awsAccount], ['--secret-env', secretEnv], ['--secrets-file', str(v['secrets-file'])]] as const) {
      if (val !== undefined) throw usageError(`${flag} is for --format aws only`);
    }
  }
  let maxRequests: number | undefined;
  if (maxText !== undefined) {
    if (!/^\d{1,9}$/.test(maxText)) throw usageError('--max-requests takes a whole number ≥ 0');
    maxRequests = Number(maxText);
  }
  if (awsAccount !== undefined && !/^\d{12}$/.test(awsAccount)) throw usageError('--aws-account takes a 12-digit AWS account id');
  if (secretEnv !== undefined && !/^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(secretEnv)) throw usageError('--secret-env takes an environment variable name');
  const nameArg = str(v['name']);
  if (nameArg !== undefined && (nameArg.trim() === '' || nameArg.length > 128 || /[\u0000-\u001f\u007f]/.test(nameArg))) {
    throw usageError('--name must be 1-128 printable characters');
  }
  for (const [flag, text] of [['--campaign', campaign], ['--placement', placement]] as const) {
    if (text !== undefined && (text.length > 512 || /[\u0000-\u001f\u007f]/.test(text))) throw usageError(`${flag} must be ≤ 512 printable characters`);
  }
  if (prompt !== undefined && prompt.length > 64 * 1024) throw usageError('--prompt is limited to 64 KiB');

  const file = str(v['file']) ?? defaultKeyFile(io.env);
  if (v['file'] === undefined) await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  // Azure and Google API keys have their own lists (their providers' key rings)
  const listKey = format === 'azure' ? 'azure_keys' : format === 'gemini' ? 'gemini_keys' : 'keys';
  const { doc, list } = loadList(await readText(file), file, listKey);
  const existing = list.items.map((item) => (isMap(item) ? item.toJSON() : item) as Record<string, unknown>);
  if (nameArg !== undefined && existing.some((e) => e['name'] === nameArg)) throw new KeysError('HG_KEYS_NAME_TAKEN', printable(nameArg), file);

  let minted;
  try {
    minted = mintKey(format, {
      ...(awsAccount !== undefined ? { accountId: awsAccount } : {}),
      ...(deps.source ? { source: deps.source } : {}),
      ...(azureKind === 'ai-services' || azureKind === 'classic' ? { azureKind } : {}),
      ...(azureRegion !== undefined ? { azureRegion } : {}),
    });
  } catch (e: unknown) {
    if (e instanceof DeceptionError) throw usageError(e.message);
    throw e;
  }
  const hash = sha256Hex(minted.key);
  const fingerprint = fingerprintOfHash(hash);
  const name = nameArg ?? `${lure ? (campaign ?? 'lure').replace(/[^A-Za-z0-9_.-]+/g, '-').slice(0, 48) : 'valid'}-${hash.slice(0, 8)}`;
  const mask = format === 'azure' ? maskAzureKey(minted.key) : maskKey(minted.key);
  const entry: Record<string, unknown> = {
    name,
    key: `sha256:${hash}`,
    class: lure ? 'lure' : 'valid',
    ...(campaign !== undefined ? { campaign } : {}),
    ...(placement !== undefined ? { placement } : {}),
    // when it was planted: the campaign view measures the time to its first use from this
    ...(lure && listKey === 'keys' && format !== 'anthropic' ? { planted: new Date().toISOString().replace(/\.\d+Z$/, 'Z') } : {}),
    mask,
    ...(prompt !== undefined ? { prompt } : {}),
    ...(maxRequests !== undefined ? { max_requests: maxRequests } : {}),
    // the persona's region is the one the key names (the file keeps only the key's hash)
    ...(format === 'azure' && lure && minted.region !== undefined ? { region: minted.region } : {}),
  };
  const checked = format === 'azure' ? azureKeySchema.safeParse(entry) : format === 'gemini' ? geminiKeySchema.safeParse(entry) : keySchema.safeParse(entry);
  if (!checked.success) throw usageError(checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));

  // the AWS secret first, so a key never sits in the key file without what verifies it
  let secretsFile: string | undefined;
  if (format === 'aws' && minted.secret !== undefined) {
    secretsFile = str(v['secrets-file']) ?? sidecarPath(file);
    const side = loadList(await readText(secretsFile), secretsFile, 'aws_credentials');
    side.list.add(
      side.doc.createNode({
        name,
        access_key_id: minted.key,
        secret_access_key: secretEnv !== undefined ? `\${${secretEnv}}` : minted.secret,
        account_id: minted.accountId,
      }),
    );
    await writeAtomic(secretsFile, side.doc.toString(), 0o600);
  }
  list.add(doc.createNode(entry));
  await writeAtomic(file, doc.toString(), await modeOf(file, 0o600));

  const out: string[] = [];
  if (format === 'aws') {
    out.push(`aws_access_key_id = ${minted.key}`, `aws_secret_access_key = ${minted.secret ?? ''}`);
  } else {
    out.push(minted.key);
  }
  out.push(`# ${lure ? 'lure' : 'valid'} key "${printable(name)}" (${format}) added to ${printable(file)} as ${fingerprint}, mask ${mask}`);
  if (lure) out.push(`# campaign "${printable(campaign ?? '')}", placement "${printable(placement ?? '')}"`);
  if (format === 'azure') {
    out.push(`# plant it with the endpoint clients use: AZURE_OPENAI_ENDPOINT=<honeygate's public URL>, AZURE_OPENAI_API_KEY=<the key>${minted.region !== undefined ? ` (region ${minted.region})` : ''}`);
  }
  if (format === 'aws') {
    const who = awsPersona(minted.key);
    out.push(`# account ${who.accountId}, ${who.arn}`);
    out.push(
      secretEnv !== undefined
        ? `# ${printable(secretsFile ?? '')} refers to \${${secretEnv}}: set ${secretEnv} to the secret above wherever honeygate runs`
        : `# the secret is kept in ${printable(secretsFile ?? '')} (mode 0600) so the gateway can verify SigV4 signatures`,
    );
  }
  out.push(`# WARNING: this key is shown once and NOT stored — ${printable(file)} holds only its sha256. Copy it now; it cannot be recovered.`);
  io.stdout.write(`${out.join('\n')}\n`);
  return EXIT_OK;
}

interface ListedKey {
  readonly name: string;
  readonly class: string;
  readonly campaign: string;
  readonly placement: string;
  readonly fingerprint: string;
  readonly mask: string;
  readonly hits?: number;
}

/** The fields a listing shows, common to `keys`, `azure_keys` and `gemini_keys` entries. */
type ListableKey = Pick<KeyConfig, 'key' | 'class' | 'name' | 'campaign' | 'placement' | 'mask'> & { readonly azure?: boolean };

function listed(k: ListableKey): Omit<ListedKey, 'hits'> {
  const hash = keyHash(k.key);
  const fingerprint = fingerprintOfHash(hash);
  const raw = k.key.startsWith('sha256:') ? undefined : k.key;
  return {
    name: printable(k.name ?? fingerprint),
    class: k.class,
    campaign: printable(k.campaign ?? ''),
    placement: printable(k.placement ?? ''),
    fingerprint,
    // a raw key in a config is masked here; the raw value is never printed
    mask: printable(k.mask ?? (raw !== undefined ? (k.azure ? maskAzureKey(raw) : maskKey(raw)) : '')),
  };
}

async function keysFromFile(file: string, io: KeysIO): Promise<ListableKey[]> {
  const text = await readText(file);
  if (text === null) throw new KeysError('HG_KEYS_NO_SOURCE', file);
  const keys: ListableKey[] = [];
  for (const listKey of ['keys', 'azure_keys', 'gemini_keys'] as const) {
    const { list } = loadList(text, file, listKey);
    list.items.forEach((item, i) => {
      const value: unknown = isMap(item) ? item.toJSON() : item;
      const parsed = listKey === 'keys' ? keySchema.safeParse(value) : listKey === 'azure_keys' ? azureKeySchema.safeParse(value) : geminiKeySchema.safeParse(value);
      if (parsed.success) keys.push(listKey === 'azure_keys' ? { ...parsed.data, azure: true } : parsed.data);
      else io.stderr.write(`honeygate keys: ${printable(file)}: ${listKey}.${i}: skipped (${printable(parsed.error.issues[0]?.message ?? 'invalid')})\n`);
    });
  }
  return keys;
}

function table(rows: readonly ListedKey[], withHits: boolean): string {
  const head = ['NAME', 'CLASS', 'CAMPAIGN', 'PLACEMENT', 'FINGERPRINT', 'MASK', ...(withHits ? ['HITS'] : [])];
  const cells = rows.map((r) => [r.name, r.class, r.campaign, r.placement, r.fingerprint, r.mask, ...(withHits ? [String(r.hits ?? 0)] : [])]);
  const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
  const limits = [32, 6, 24, 40, 24, 28, 8];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => clip(c[i] ?? '', limits[i] ?? 40).length)));
  const line = (c: readonly string[]): string => c.map((x, i) => clip(x, limits[i] ?? 40).padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return `${[line(head), ...cells.map(line)].join('\n')}\n`;
}

async function runList(io: KeysIO, argv: string[], deps: KeysDeps): Promise<number> {
  const v = parse(argv, { file: { type: 'string' }, config: { type: 'string' }, json: { type: 'boolean' } });
  const file = str(v['file']);
  const config = str(v['config']);
  const keys: ListableKey[] = [];
  const awsRows: Omit<ListedKey, 'hits'>[] = [];
  if (config !== undefined) {
    try {
      const loaded = (await loadConfigFile(config, io.env)).config;
      keys.push(...loaded.keys, ...loaded.azure_keys.map((k) => ({ ...k, azure: true })), ...loaded.gemini_keys, ...loaded.anthropic_keys);
      // AWS access keys (fingerprint of the key id, as the gateway records it) and Bedrock API keys
      for (const k of loaded.aws_keys) {
        awsRows.push({ name: printable(k.name), class: k.class, campaign: printable(k.campaign ?? ''), placement: printable(k.placement ?? ''), fingerprint: fingerprintOfHash(sha256Hex(k.access_key_id)), mask: maskKey(k.access_key_id) });
      }
      for (const k of loaded.bedrock_api_keys) {
        const raw = k.key.startsWith('sha256:') ? undefined : k.key;
        awsRows.push({ name: printable(k.name), class: k.class, campaign: printable(k.campaign ?? ''), placement: printable(k.placement ?? ''), fingerprint: fingerprintOfHash(keyHash(k.key)), mask: raw !== undefined ? maskKey(raw) : '' });
      }
    } catch (e: unknown) {
      if (e instanceof ConfigError) throw new KeysError('HG_KEYS_CONFIG_INVALID', config, e.issues.map(formatIssue).join('\n'));
      throw e;
    }
  }
  if (file !== undefined || config === undefined) keys.push(...(await keysFromFile(file ?? defaultKeyFile(io.env), io)));
  const hitsSource = deps.hits;
  const hits = hitsSource === undefined ? undefined : typeof hitsSource === 'function' ? await hitsSource() : hitsSource;
  const seen = new Set<string>();
  const rows: ListedKey[] = [];
  for (const row of [...keys.map(listed), ...awsRows]) {
    if (seen.has(row.fingerprint)) continue;
    seen.add(row.fingerprint);
    rows.push(hits ? { ...row, hits: hits.get(row.fingerprint) ?? 0 } : row);
  }
  if (v['json'] === true) io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  else io.stdout.write(rows.length === 0 ? 'no keys\n' : table(rows, hits !== undefined));
  return EXIT_OK;
}

/** `honeygate keys …`; returns the exit code. */
export async function runKeys(io: KeysIO, deps: KeysDeps = {}): Promise<number> {
  const [sub, ...rest] = io.argv;
  if ((sub === 'new' || sub === 'list') && (rest.includes('--help') || rest.includes('-h'))) {
    io.stdout.write(USAGE);
    return EXIT_OK;
  }
  try {
    switch (sub) {
      case 'new':
        return await runNew(io, rest, deps);
      case 'list':
        return await runList(io, rest, deps);
      case 'help':
      case '--help':
      case '-h':
        io.stdout.write(USAGE);
        return EXIT_OK;
      default:
        throw usageError(sub === undefined ? 'missing subcommand' : `unknown subcommand "${printable(sub).slice(0, 40)}"`);
    }
  } catch (e: unknown) {
    if (e instanceof KeysError) {
      io.stderr.write(`honeygate keys: ${e.code}: ${e.message}\n`);
      if (e.exit === EXIT_USAGE) io.stderr.write(USAGE);
      return e.exit;
    }
    throw e;
  }
}

