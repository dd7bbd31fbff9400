/**
 * Azure OpenAI keys in the two formats Azure issues, so a planted lure looks like a real leak to a
 * secret scanner and to a human:
 * - classic (resources created before ~late 2024, still common): 32 lower-case hex characters;
 * - AI Services / Foundry (84 characters), Microsoft's "identifiable" key layout: 52 random base62,
 *   the signature `JQQJ99`, a year letter (`A` = 2024, `B` = 2025 …) and a month letter (`A`–`L`),
 *   `AC`, five characters that name the resource's region, the constant `XJ3w3`, `AAA` + one letter,
 *   the service tag `ACOG` (Cognitive Services) and four random base62. Microsoft's scanner rule
 *   SEC101/200 ("common annotated security key") matches it; the layout and the region codes were
 *   read off keys leaked in public repositories (one region code is shared by every key of that
 *   region).
 * Azure never echoes a key back, so the mask is only what honeygate shows in events and listings.
 */
import { ALNUM, HEX, charsFrom, cryptoBytes, shannonEntropy, type ByteSource } from './random.js';

export type AzureKeyKind = 'classic' | 'ai-services';

/** Azure regions honeygate can present, with the display name of `x-ms-region` and the key's region code. */
export interface AzureRegion {
  readonly id: string;
  readonly display: string;
  /** the five characters after `AC` in an 84-character key of this region */
  readonly keyCode: string;
}

// region codes read off public keys whose endpoint names the region (two or more keys each for
// eastus2, swedencentral, westeurope; eastus and northeurope from one key each)
export const AZURE_REGIONS: readonly AzureRegion[] = [
  { id: 'eastus2', display: 'East US 2', keyCode: 'HYHv6' },
  { id: 'eastus', display: 'East US', keyCode: 'YeBjF' },
  { id: 'swedencentral', display: 'Sweden Central', keyCode: 'fhMk5' },
  { id: 'westeurope', display: 'West Europe', keyCode: '5RqLJ' },
  { id: 'northeurope', display: 'North Europe', keyCode: 'i5Ypz' },
];

const BY_ID: ReadonlyMap<string, AzureRegion> = new Map(AZURE_REGIONS.map((r) => [r.id, r]));
const BY_CODE: ReadonlyMap<string, AzureRegion> = new Map(AZURE_REGIONS.map((r) => [r.keyCode, r]));

export function azureRegion(id: string): AzureRegion | undefined {
  return BY_ID.get(id);
}

const CLASSIC = /^[0-9a-f]{32}$/;
// 52 + JQQJ99 + year + month + AC + region(5) + XJ3w3 + AAA + letter + ACOG + 4 = 84
const LONG = /^[A-Za-z0-9]{52}JQQJ99[A-Z][A-L]AC[A-Za-z0-9]{5}XJ3w3AAA[A-Z]ACOG[A-Za-z0-9]{4}$/;

export interface MintAzureKeyOptions {
  readonly kind?: AzureKeyKind;
  /** region id (`eastus2` …); default eastus2 */
  readonly region?: string;
  /** the issue date the key carries (84-character keys); default now */
  readonly issued?: Date;
}

/** A new Azure OpenAI key. */
export function mintAzureKey(options: MintAzureKeyOptions = {}, source: ByteSource = cryptoBytes): string {
  const kind = options.kind ?? 'ai-services';
  if (kind === 'classic') {
    // redrawn until it clears the entropy floor scanners apply to hex secrets (a real key does)
    let key = '';
    for (let i = 0; i < 16; i++) {
      key = charsFrom(source, HEX, 32);
      if (shannonEntropy(key) >= 3.2) break;
    }
    return key;
  }
  const region = BY_ID.get(options.region ?? 'eastus2');
  if (!region) throw new RangeError(`unknown Azure region ${String(options.region)}; one of ${AZURE_REGIONS.map((r) => r.id).join(', ')}`);
  const issued = options.issued ?? new Date();
  const year = issued.getUTCFullYear() - 2024;
  if (year < 0 || year > 25) throw new RangeError('issue year out of range (2024–2049)');
  const yearChar = String.fromCharCode(65 + year);
  const monthChar = String.fromCharCode(65 + issued.getUTCMonth());
  // most keys carry AAAA before ACOG; a few AAAB
  const variant = (source(1)[0] ?? 0) < 216 ? 'A' : 'B';
  let head = '';
  for (let i = 0; i < 16; i++) {
    head = charsFrom(source, ALNUM, 52);
    if (shannonEntropy(head) >= 4.5) break;
  }
  return `${head}JQQJ99${yearChar}${monthChar}AC${region.keyCode}XJ3w3AAA${variant}ACOG${charsFrom(source, ALNUM, 4)}`;
}

/** The format of an Azure key by its shape, or null. */
export function detectAzureKey(key: string): AzureKeyKind | null {
  if (typeof key !== 'string') return null;
  if (key.length === 32 && CLASSIC.test(key)) return 'classic';
  if (key.length === 84 && LONG.test(key)) return 'ai-services';
  return null;
}

/** The region an 84-character key names, when it is one honeygate knows. */
export function regionOfKey(key: string): AzureRegion | undefined {
  if (detectAzureKey(key) !== 'ai-services') return undefined;
  return BY_CODE.get(key.slice(62, 67));
}

/** How honeygate shows an Azure key in events and listings: first 4 and last 4 characters. */
export function maskAzureKey(key: string): string {
  if (key.length <= 12) return '*'.repeat(key.length);
  return `${key.slice(0, 4)}${'*'.repeat(key.length - 8)}${key.slice(-4)}`;
}
