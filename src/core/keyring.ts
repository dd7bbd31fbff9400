/**
 * The key ring: which class a presented key belongs to (valid, lure, invalid, missing), looked up
 * by the key's sha256 — raw keys are never kept after config load. A Map lookup on the digest of
 * an attacker-chosen string leaks nothing useful about stored keys (the digest is unpredictable);
 * there is no early-exit string comparison of secrets anywhere.
 */
import type { KeyClass } from '../events/model.js';
import type { CredentialRefusal, RequestRefusal } from './verdict.js';
import { fingerprintOfHash, sha256Hex } from '../util/hash.js';

export interface LurePolicy {
  readonly prompt: string;
  readonly reply: string;
  readonly maxRequests: number;
  readonly blockDurationMs: number;
  readonly responseDelayMs: number;
  /** the decoy waits a real model's time (deception/decoy/pacing.ts) */
  readonly realisticTiming: boolean;
}

export interface KeyRecord {
  readonly name: string;
  readonly class: 'valid' | 'lure';
  /** sha256 hex of the key */
  readonly hash: string;
  readonly fingerprint: string;
  readonly mask?: string;
  readonly upstream: string;
  readonly campaign?: string;
  readonly placement?: string;
  readonly lure?: LurePolicy;
}

export interface Classification {
  readonly class: KeyClass;
  readonly record?: KeyRecord;
  /** sha256 hex of the presented key (absent when missing) */
  readonly hash?: string;
  /** class `invalid` only: a known credential refused for this reason (tool provider) */
  readonly invalidReason?: CredentialRefusal;
  /** class `valid` / `lure` only: the provider refuses this request after blocks and limits (tool provider) */
  readonly refusal?: RequestRefusal;
  /** the request is refused before its credential is read (an unknown operation, an oversized body: Bedrock) */
  readonly beforeAuth?: RequestRefusal;
  /** the provider's masked echo of a presented identifier that is not a secret (an AWS access key id) */
  readonly mask?: string;
}

const MISSING: Classification = Object.freeze({ class: 'missing' });

export class KeyRing {
  readonly #byHash: ReadonlyMap<string, KeyRecord>;

  constructor(records: readonly KeyRecord[]) {
    this.#byHash = new Map(records.map((r) => [r.hash, r]));
  }

  classify(secret: string | undefined): Classification {
    if (secret === undefined || secret === '') return MISSING;
    const hash = sha256Hex(secret);
    const record = this.#byHash.get(hash);
    return record ? { class: record.class, record, hash } : { class: 'invalid', hash };
  }

  byHash(hash: string): KeyRecord | undefined {
    return this.#byHash.get(hash);
  }

  get records(): KeyRecord[] {
    return [...this.#byHash.values()];
  }
}

export { fingerprintOfHash };
