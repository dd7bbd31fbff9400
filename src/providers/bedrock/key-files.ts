/**
 * AWS lure keys from key files (docs/deception.md "Key files and AWS secrets"), the Bedrock
 * provider's key-file reader (config/part.ts `KeyFileReader`):
 * `honeygate keys new --format aws` writes the key file entry (the sha256 of the access key id, its
 * class, campaign and lure fields — no secret) and, beside it, the `<keyfile>.aws-secrets.yaml`
 * sidecar with the pair (`aws_credentials: [{name, access_key_id, secret_access_key, account_id}]`,
 * mode 0600, the secret raw or `${VAR}`). SigV4 verification needs the secret, so such a key joins
 * `aws_keys`: the entry and its sidecar pair are matched by the hash of the access key id.
 */
import type { ConfigIssue } from '../../config/issues.js';
import type { KeyFileEntry, KeyFileReader } from '../../config/part.js';
import { keyHash } from '../../config/rules.js';
import { sha256Hex } from '../../util/hash.js';
import { awsSecretsSidecarSchema } from './config.js';

interface SidecarPair {
  readonly name: string;
  readonly access_key_id: string;
  readonly secret_access_key: string;
  /** where it was read, for messages */
  readonly where: string;
}

/** `keys.yaml` → `keys.aws-secrets.yaml` (the keys CLI's naming). */
function sidecarFileOf(file: string): string {
  return `${file.replace(/\.ya?ml$/i, '')}.aws-secrets.yaml`;
}

/** Validate a sidecar document; its pairs, or issues under `where`. */
function sidecarPairs(doc: unknown, where: string, issues: ConfigIssue[]): SidecarPair[] {
  const parsed = awsSecretsSidecarSchema.safeParse(doc);
  if (!parsed.success) {
    for (const i of parsed.error.issues) issues.push({ level: 'error', path: `${where}:${i.path.map(String).join('.')}`, message: i.message });
    return [];
  }
  return parsed.data.aws_credentials.map((c, j) => ({ name: c.name, access_key_id: c.access_key_id, secret_access_key: c.secret_access_key, where: `${where}:aws_credentials.${j}` }));
}

/** Fields a key file entry carries over to its aws_keys entry (the key, mask and class stay behind or are set anew). */
const CARRIED = ['campaign', 'placement', 'prompt', 'reply', 'max_requests', 'block_duration', 'response_delay', 'realistic_timing', 'upstream'] as const;

/** A key file entry's `mask` says it names an AWS access key id (`AKIA************YRLW`). */
function isAwsMask(mask: unknown): boolean {
  return typeof mask === 'string' && /^A[A-Z0-9]{3}\*{12}[A-Z0-9]{4}$/.test(mask);
}

/**
 * Split key file entries into OpenAI keys and AWS key pairs (entries whose hash is a sidecar pair's
 * access key id). An AWS entry without its pair, or a pair without its entry, is skipped with a
 * warning: the first cannot verify a signature, the second has no class.
 */
function joinAwsSecrets(
  entries: readonly KeyFileEntry[],
  pairs: readonly SidecarPair[],
  issues: ConfigIssue[],
): { keys: KeyFileEntry[]; awsKeys: unknown[] } {
  const byHash = new Map<string, SidecarPair>();
  for (const p of pairs) if (!byHash.has(sha256Hex(p.access_key_id))) byHash.set(sha256Hex(p.access_key_id), p);
  const used = new Set<SidecarPair>();
  const keys: KeyFileEntry[] = [];
  const awsKeys: unknown[] = [];
  for (const { entry, where } of entries) {
    const key = entry['key'];
    const pair = typeof key === 'string' ? byHash.get(keyHash(key)) : undefined;
    if (pair === undefined) {
      if (isAwsMask(entry['mask'])) {
        issues.push({ level: 'warning', path: where, message: 'an AWS access key without its secret (no aws-secrets sidecar entry): SigV4 cannot be verified, the key is skipped' });
      } else keys.push({ entry, where });
      continue;
    }
    used.add(pair);
    const out: Record<string, unknown> = {
      name: typeof entry['name'] === 'string' ? entry['name'] : pair.name,
      class: entry['class'],
      access_key_id: pair.access_key_id,
      secret_access_key: pair.secret_access_key,
    };
    for (const field of CARRIED) if (entry[field] !== undefined) out[field] = entry[field];
    awsKeys.push(out);
  }
  for (const p of pairs) {
    if (!used.has(p)) issues.push({ level: 'warning', path: p.where, message: `no key file entry for "${p.name}" (its class is written there): skipped` });
  }
  return { keys, awsKeys };
}

/**
 * The reader of one load: sidecars listed on their own (`{aws_credentials: [...]}`) and beside a key
 * file, then the `keys` entries that are AWS access keys move to `aws_keys` with their secret.
 */
export function awsKeyFileReader(): KeyFileReader {
  const pairs: SidecarPair[] = [];
  return {
    ownList: 'aws_credentials',
    ownDocument(doc, file, issues) {
      pairs.push(...sidecarPairs(doc, file, issues));
    },
    besideOf: sidecarFileOf,
    beside(doc, file, issues) {
      pairs.push(...sidecarPairs(doc, file, issues));
    },
    claim(entries, issues) {
      const { keys, awsKeys } = joinAwsSecrets(entries, pairs, issues);
      return { keys, lists: { aws_keys: awsKeys } };
    },
  };
}
