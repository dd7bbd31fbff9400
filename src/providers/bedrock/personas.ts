/**
 * The IAM identity (persona) behind an authenticated AWS credential: account from the key id, user
 * name and ARN derived deterministically, so the same lure answers as the same user everywhere.
 */
import { awsPersona, type AwsPersona } from '../../deception/persona.js';
import { FifoCache } from '../../util/fifo-cache.js';
import type { AuthResult } from './sigv4.js';

/**
 * Personas already derived, by credential. A persona is a pure function of the access key id (or
 * the bearer key's hash and account), but deriving one — sha256, two seeded generators, the
 * account-id decode and unique-id encode of keygen.ts — was 6.8% of the Bedrock path's CPU profile
 * per request. Only authenticated credentials get here, so the keys are the key ring's
 * own; bounded anyway (oldest dropped first).
 */
export const PERSONA_CACHE_MAX = 1024;
const personas = new FifoCache<string, AwsPersona>(PERSONA_CACHE_MAX);

function derivePersona(auth: Extract<AuthResult, { ok: true }>): AwsPersona {
  if (auth.accessKeyId !== null) return awsPersona(auth.accessKeyId);
  const p = awsPersona(`bearer:${auth.bearerHash ?? ''}`);
  if (auth.bearerAccountId === undefined) return p;
  return Object.freeze({ ...p, accountId: auth.bearerAccountId, arn: `arn:aws:iam::${auth.bearerAccountId}:user/${p.userName}` });
}

/** The IAM identity behind an authenticated credential (account from the key id). */
export function personaOf(auth: Extract<AuthResult, { ok: true }>): AwsPersona {
  // `k` (key id) and `b` (bearer hash, account) keys cannot collide
  const key = auth.accessKeyId !== null ? `k ${auth.accessKeyId}` : `b ${auth.bearerHash ?? ''} ${auth.bearerAccountId ?? ''}`;
  let persona = personas.get(key);
  if (persona === undefined) {
    persona = derivePersona(auth);
    personas.set(key, persona);
  }
  return persona;
}

/** How many personas are held (tests). */
export function personaCacheSize(): number {
  return personas.size;
}
