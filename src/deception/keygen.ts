/**
 * Keys in the providers' genuine formats (issue 3), so that secret scanners
 * (gitleaks, trufflehog) detect a planted lure exactly as they detect a real leak:
 * - OpenAI: `sk-proj-` 74 + `T3BlbkFJ` + 74 (164), `sk-svcacct-` (167), `sk-admin-` 58 + 58 (133),
 *   base64url, ending in `A` like every public sample; legacy `sk-` 20 + `T3BlbkFJ` + 20 alnum (51).
 * - Anthropic: `sk-ant-api03-` + 93 [A-Za-z0-9_-] + `AA` (108) — the layout both gitleaks
 *   (`anthropic.go`) and trufflehog (`anthropic.go`) require.
 * - AWS: `AKIA` + 16 base32 whose first 6 decoded bytes carry the account id as trufflehog's
 *   `GetAccountNumFromID` reads it, `(z & 0x7fffffffff80) >> 7`; the top bit is set as in every key
 *   issued since ~2019 (5th character Q–Z or 2–7, never I/J), the low 7 bits and last 4 bytes are
 *   random. Secret: 30 random bytes in base64 (40 of [A-Za-z0-9+/]).
 * Generated ids avoid the Thinkst canary accounts scanners flag (trufflehog `canary.go`), and are
 * redrawn until they clear the entropy floors the scanners apply (gitleaks 3.0, trufflehog id 3.0
 * / secret 4.25 bits per character).
 */
import { AZURE_REGIONS, mintAzureKey, regionOfKey, type AzureKeyKind } from './azure-keys.js';
import { DeceptionError } from './errors.js';
import {
  ALNUM,
  B64URL,
  base32Decode,
  base32Encode,
  charsFrom,
  cryptoBytes,
  intFrom,
  shannonEntropy,
  type ByteSource,
} from './random.js';

export type KeyFormat = 'openai-project' | 'openai-legacy' | 'openai-svcacct' | 'openai-admin' | 'anthropic' | 'aws' | 'azure' | 'gemini';
export const KEY_FORMATS: readonly KeyFormat[] = ['openai-project', 'openai-legacy', 'openai-svcacct', 'openai-admin', 'anthropic', 'aws', 'azure', 'gemini'];

export type OpenAIKeyKind = 'project' | 'legacy' | 'svcacct' | 'admin';

const MAGIC = 'T3BlbkFJ'; // base64("OpenAI")

/** Accounts of Thinkst canarytokens and their knock-offs (trufflehog `access_keys/canary.go`). */
export const THINKST_CANARY_ACCOUNTS: ReadonlySet<string> = new Set([
  '052310077262', '171436882533', '534261010715', '595918472158', '717712589309', '819147034852', '992382622183',
  '730335385048', '266735846894', '893192397702', '044858866125', '251535659677', '344043088457', '351906852752',
  '390477818340', '426127672474', '427150556519', '439872796651', '445142720921', '465867158099', '637958123769',
  '693412236332', '732624840810', '735421457923', '959235150393', '982842642351',
]);

/** A new OpenAI API key of the given kind. */
export function mintOpenAIKey(kind: OpenAIKeyKind, source: ByteSource = cryptoBytes): string {
  switch (kind) {
    case 'legacy':
      return `sk-${charsFrom(source, ALNUM, 20)}${MAGIC}${charsFrom(source, ALNUM, 20)}`;
    case 'project':
      return `sk-proj-${charsFrom(source, B64URL, 74)}${MAGIC}${charsFrom(source, B64URL, 73)}A`;
    case 'svcacct':
      return `sk-svcacct-${charsFrom(source, B64URL, 74)}${MAGIC}${charsFrom(source, B64URL, 73)}A`;
    case 'admin':
      return `sk-admin-${charsFrom(source, B64URL, 58)}${MAGIC}${charsFrom(source, B64URL, 57)}A`;
    default: {
      const never: never = kind;
      throw new DeceptionError('HG_DECEPTION_BAD_ARGUMENT', `unknown OpenAI key kind ${String(never)}`);
    }
  }
}

/** A new Anthropic API key (`sk-ant-api03-…AA`, 108 characters). */
export function mintAnthropicKey(source: ByteSource = cryptoBytes): string {
  return `sk-ant-api03-${charsFrom(source, B64URL, 93)}AA`;
}

/**
 * The first 5 bytes of every Google API key: base64url `AIzaSy` and a 7th character in A–D. A key is
 * 29 bytes (39 base64url characters, so the last is one of the 16 whose low 2 bits are zero), as
 * public samples decode; gitleaks (`gcp-api-key`) and trufflehog match `AIza[0-9A-Za-z_-]{35}`.
 */
const GOOGLE_KEY_PREFIX = Uint8Array.from([0x00, 0x8c, 0xda, 0x4b, 0x20]);

/** A new Google API key (`AIzaSy…`, 39 characters), redrawn until it clears the scanners' entropy floor. */
export function mintGeminiKey(source: ByteSource = cryptoBytes): string {
  let key = '';
  for (let i = 0; i < 32; i++) {
    key = Buffer.concat([GOOGLE_KEY_PREFIX, Buffer.from(source(24))]).toString('base64url');
    if (shannonEntropy(key.slice(4)) >= 4) return key;
  }
  return key;
}

const ACCOUNT_ID = /^\d{12}$/;

/** A random 12-digit account id that is not a known canary account. */
export function randomAwsAccountId(source: ByteSource = cryptoBytes): string {
  for (let i = 0; i < 16; i++) {
    const id = String(100_000_000_000 + intFrom(source, 900_000_000_000));
    if (!THINKST_CANARY_ACCOUNTS.has(id)) return id;
  }
  throw new DeceptionError('HG_DECEPTION_BAD_ARGUMENT', 'byte source keeps producing canary accounts');
}

/**
 * An AWS unique id (`AKIA…`, `ASIA…`, `AIDA…`) of `4 + length` characters whose first 6 decoded
 * bytes carry `accountId`.
 */
export function encodeAwsUniqueId(prefix: string, accountId: string, source: ByteSource = cryptoBytes, length = 16): string {
  if (!/^[A-Z0-9]{4}$/.test(prefix)) throw new DeceptionError('HG_DECEPTION_BAD_ARGUMENT', 'prefix must be 4 characters like AKIA');
  if (!ACCOUNT_ID.test(accountId)) throw new DeceptionError('HG_DECEPTION_BAD_ACCOUNT_ID');
  if (!Number.isInteger(length) || length < 16 || length > 32) throw new DeceptionError('HG_DECEPTION_BAD_ARGUMENT', 'length must be 16..32');
  const account = Number(accountId);
  const rnd = source(Math.ceil((length * 5) / 8) - 5);
  // z: bit 47 set (post-2019 keys), account in bits 7..46, random low 7 bits
  const z = 2 ** 47 + account * 128 + ((rnd[0] ?? 0) & 0x7f);
  const buf = Buffer.alloc(6 + rnd.length - 1);
  buf.writeUIntBE(z, 0, 6);
  Buffer.from(rnd.subarray(1)).copy(buf, 6);
  return `${prefix}${base32Encode(buf).slice(0, length)}`;
}

/** An access key id for `accountId`, redrawn until it clears the scanners' entropy floor. */
export function encodeAwsAccessKeyId(accountId: string, prefix: 'AKIA' | 'ASIA' = 'AKIA', source: ByteSource = cryptoBytes): string {
  let id = '';
  for (let i = 0; i < 32; i++) {
    id = encodeAwsUniqueId(prefix, accountId, source, 16);
    if (shannonEntropy(id) >= 3.2 && !id.endsWith('EXAMPLE')) return id;
  }
  return id;
}

/**
 * The account id encoded in an AWS key id (trufflehog `GetAccountNumFromID`), or null
 * when the id is malformed or predates the encoding (5th character I or J).
 */
export function decodeAwsAccountId(id: string): string | null {
  if (typeof id !== 'string' || !/^[A-Z0-9]{4}[A-Z2-7]{16,}$/.test(id) || id.length > 64) return null;
  if (id[4] === 'I' || id[4] === 'J') return null;
  const bytes = base32Decode(id.slice(4));
  if (bytes === null || bytes.length < 6) return null;
  const z = Buffer.from(bytes.subarray(0, 6)).readUIntBE(0, 6);
  const account = Math.floor(z / 128) % 2 ** 40;
  return String(account).padStart(12, '0');
}

export interface AwsKeyPair {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly accountId: string;
}

/** A new AWS access key pair; the account is the one requested or a random non-canary one. */
export function mintAwsKeyPair(options: { accountId?: string; prefix?: 'AKIA' | 'ASIA' } = {}, source: ByteSource = cryptoBytes): AwsKeyPair {
  const accountId = options.accountId ?? randomAwsAccountId(source);
  if (!ACCOUNT_ID.test(accountId)) throw new DeceptionError('HG_DECEPTION_BAD_ACCOUNT_ID');
  const accessKeyId = encodeAwsAccessKeyId(accountId, options.prefix ?? 'AKIA', source);
  let secretAccessKey = '';
  for (let i = 0; i < 32; i++) {
    secretAccessKey = Buffer.from(source(30)).toString('base64');
    if (shannonEntropy(secretAccessKey) >= 4.4 && !/[a-f0-9]{40}/.test(secretAccessKey)) break;
  }
  return { accessKeyId, secretAccessKey, accountId };
}

export interface MintedKey {
  readonly format: KeyFormat;
  /** the key (AWS: the access key id) */
  readonly key: string;
  /** AWS only: the secret access key */
  readonly secret?: string;
  /** AWS only */
  readonly accountId?: string;
  /** Azure only: the resource region the key names (84-character keys) or was minted for */
  readonly region?: string;
}

/** A new key of any supported format. */
export function mintKey(
  format: KeyFormat,
  options: { accountId?: string; source?: ByteSource; azureKind?: AzureKeyKind; azureRegion?: string } = {},
): MintedKey {
  const source = options.source ?? cryptoBytes;
  switch (format) {
    case 'openai-project':
      return { format, key: mintOpenAIKey('project', source) };
    case 'openai-legacy':
      return { format, key: mintOpenAIKey('legacy', source) };
    case 'openai-svcacct':
      return { format, key: mintOpenAIKey('svcacct', source) };
    case 'openai-admin':
      return { format, key: mintOpenAIKey('admin', source) };
    case 'anthropic':
      return { format, key: mintAnthropicKey(source) };
    case 'gemini':
      return { format, key: mintGeminiKey(source) };
    case 'aws': {
      const pair = mintAwsKeyPair(options.accountId === undefined ? {} : { accountId: options.accountId }, source);
      return { format, key: pair.accessKeyId, secret: pair.secretAccessKey, accountId: pair.accountId };
    }
    case 'azure': {
      if (options.azureRegion !== undefined && !AZURE_REGIONS.some((r) => r.id === options.azureRegion)) {
        throw new DeceptionError('HG_DECEPTION_BAD_ARGUMENT', `unknown Azure region ${options.azureRegion} (one of ${AZURE_REGIONS.map((r) => r.id).join(', ')})`);
      }
      const key = mintAzureKey({ kind: options.azureKind ?? 'ai-services', ...(options.azureRegion !== undefined ? { region: options.azureRegion } : {}) }, source);
      const region = regionOfKey(key)?.id ?? options.azureRegion;
      return { format, key, ...(region !== undefined ? { region } : {}) };
    }
    default: {
      const never: never = format;
      throw new DeceptionError('HG_DECEPTION_BAD_ARGUMENT', `unknown key format ${String(never)}`);
    }
  }
}

/** The format of a key, by its shape; null when it is none of ours. */
export function detectKeyFormat(key: string): KeyFormat | null {
  if (typeof key !== 'string' || key.length > 512) return null;
  if (/^sk-proj-[A-Za-z0-9_-]+T3BlbkFJ[A-Za-z0-9_-]+$/.test(key)) return 'openai-project';
  if (/^sk-svcacct-[A-Za-z0-9_-]+T3BlbkFJ[A-Za-z0-9_-]+$/.test(key)) return 'openai-svcacct';
  if (/^sk-admin-[A-Za-z0-9_-]+T3BlbkFJ[A-Za-z0-9_-]+$/.test(key)) return 'openai-admin';
  if (/^sk-[A-Za-z0-9]+T3BlbkFJ[A-Za-z0-9]+$/.test(key)) return 'openai-legacy';
  if (/^sk-ant-api03-[A-Za-z0-9_-]{93}AA$/.test(key)) return 'anthropic';
  if (/^(AKIA|ASIA)[A-Z2-7]{16}$/.test(key)) return 'aws';
  // the 84-character Azure key has a signature; the classic 32-hex one is too generic to claim
  if (key.length === 84 && /^[A-Za-z0-9]{52}JQQJ99[A-Z][A-L]AC[A-Za-z0-9]{5}XJ3w3AAA[A-Z]ACOG[A-Za-z0-9]{4}$/.test(key)) return 'azure';
  if (/^AIza[0-9A-Za-z_-]{35}$/.test(key)) return 'gemini';
  return null;
}

