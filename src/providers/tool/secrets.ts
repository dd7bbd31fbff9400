/**
 * Service secrets of a tool route (issue 10, part 3): the secret an assistant platform presents
 * (ChatGPT action "API key" auth: `Authorization: Bearer …` or a custom header). Several may be
 * active at once, each within its own `not_before` / `not_after` window, so a secret is rotated
 * with no gap: add the new one, move clients, let the old one expire.
 *
 * Only sha256 digests are kept. The presented value's digest is compared against every configured
 * digest with crypto.timingSafeEqual and no early exit (the hono bearer-auth habit), so neither
 * the match nor its position leaks through timing. Minted secrets carry 256 bits of entropy, so an
 * unsalted digest cannot be brute-forced.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { fingerprintOfHash } from '../../util/hash.js';
import type { ToolSecretConfig } from './config.js';

const SECRET_PREFIX = 'hgs_';

export interface CompiledSecret {
  readonly name: string;
  /** sha256 hex */
  readonly hash: string;
  readonly fingerprint: string;
  readonly notBefore?: number;
  readonly notAfter?: number;
  readonly revoked: boolean;
  readonly lure: boolean;
}

export type SecretState = 'active' | 'expired' | 'revoked' | 'not_yet_valid';

export type SecretMatch = { readonly state: 'none' } | { readonly state: SecretState; readonly secret: CompiledSecret };

const NONE: SecretMatch = Object.freeze({ state: 'none' });

/** A new secret: `hgs_` + 43 base64url characters (256 random bits). */
export function mintSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export function secretDigest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function compileSecret(s: ToolSecretConfig): CompiledSecret {
  const hash = s.hash !== undefined ? s.hash.slice(7) : secretDigest(s.value ?? '').toString('hex');
  return {
    name: s.name,
    hash,
    fingerprint: fingerprintOfHash(hash),
    ...(s.not_before !== undefined ? { notBefore: s.not_before } : {}),
    ...(s.not_after !== undefined ? { notAfter: s.not_after } : {}),
    revoked: s.revoked,
    lure: s.lure,
  };
}

function stateAt(s: CompiledSecret, now: number): SecretState {
  if (s.revoked) return 'revoked';
  if (s.notBefore !== undefined && now < s.notBefore) return 'not_yet_valid';
  if (s.notAfter !== undefined && now >= s.notAfter) return 'expired';
  return 'active';
}

const RANK: Readonly<Record<SecretState, number>> = { active: 4, revoked: 3, expired: 2, not_yet_valid: 1 };

export class SecretSet {
  readonly #secrets: readonly CompiledSecret[];
  readonly #digests: readonly Buffer[];

  constructor(secrets: readonly ToolSecretConfig[]) {
    this.#secrets = secrets.map(compileSecret);
    this.#digests = this.#secrets.map((s) => Buffer.from(s.hash, 'hex'));
  }

  get size(): number {
    return this.#secrets.length;
  }

  /**
   * Which configured secret `presented` is, and its state at `now`. Every digest is compared; when
   * one value is configured twice (rotation entries), the most permissive state wins.
   */
  match(presented: string, now: number = Date.now()): SecretMatch {
    if (this.#secrets.length === 0) return NONE;
    const digest = secretDigest(presented);
    let best: SecretMatch = NONE;
    let bestRank = 0;
    for (let i = 0; i < this.#digests.length; i++) {
      const equal = timingSafeEqual(digest, this.#digests[i] as Buffer);
      if (!equal) continue;
      const secret = this.#secrets[i] as CompiledSecret;
      const state = stateAt(secret, now);
      if (RANK[state] > bestRank) {
        best = { state, secret };
        bestRank = RANK[state];
      }
    }
    return best;
  }
}
