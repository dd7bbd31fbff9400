/**
 * The AWS key ring: the Bedrock surface's counterpart of pipeline/keyring.ts. AWS access key pairs
 * are looked up by the sha256 of the access key id (as key files and event fingerprints name them);
 * the secret access key (and session token) stay in memory only to verify SigV4 signatures, an
 * HMAC keyed by the secret — never in a record, an event or a log. Bedrock API keys
 * (`ABSK…`) are looked up by the sha256 of the key, like OpenAI keys.
 *
 * Each credential carries an ordinary pipeline KeyRecord, so lure thresholds, blocks, rate limits
 * and events work on the Bedrock surface exactly as on the OpenAI surface.
 */
import type { KeyRecord } from '../../core/keyring.js';
import { sha256Hex } from '../../util/hash.js';
import type { AwsSecretEntry } from './sigv4.js';

/** A key pair: the record the pipeline sees, and the secret only the SigV4 verifier reads. */
export interface AwsPairEntry extends AwsSecretEntry {
  readonly record: KeyRecord;
}

export class AwsKeyRing {
  readonly #pairs: ReadonlyMap<string, AwsPairEntry>;
  readonly #bearer: ReadonlyMap<string, KeyRecord>;

  /** `pairs` keyed by sha256 hex of the access key id, `bearer` by sha256 hex of the API key; first entry wins */
  constructor(pairs: readonly AwsPairEntry[], bearer: readonly KeyRecord[]) {
    const p = new Map<string, AwsPairEntry>();
    for (const e of pairs) if (!p.has(e.record.hash)) p.set(e.record.hash, e);
    const b = new Map<string, KeyRecord>();
    for (const r of bearer) if (!b.has(r.hash)) b.set(r.hash, r);
    this.#pairs = p;
    this.#bearer = b;
  }

  /**
   * Access key ids already found → their pair, so a known key's requests skip the sha256 of its id
   * (an identifier, not a secret). Only ids that are in the ring are remembered, so it never holds
   * more entries than the ring has pairs; unknown ids are hashed each time and never stored.
   */
  readonly #found = new Map<string, AwsPairEntry>();

  /** The pair behind an access key id, or undefined (an unknown id: UnrecognizedClientException). */
  pair(accessKeyId: string): AwsPairEntry | undefined {
    const known = this.#found.get(accessKeyId);
    if (known !== undefined) return known;
    const entry = this.#pairs.get(sha256Hex(accessKeyId));
    if (entry !== undefined && this.#found.size < this.#pairs.size) this.#found.set(accessKeyId, entry);
    return entry;
  }

  /** The record of a long-term Bedrock API key, by the key's sha256 hex. */
  bearer(hash: string): KeyRecord | undefined {
    return this.#bearer.get(hash);
  }

  /** How many ids `pair` remembers (tests: never more than the ring's pairs). */
  get foundIds(): number {
    return this.#found.size;
  }

  get size(): number {
    return this.#pairs.size + this.#bearer.size;
  }

  get records(): KeyRecord[] {
    return [...[...this.#pairs.values()].map((e) => e.record), ...this.#bearer.values()];
  }
}
