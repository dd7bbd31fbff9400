/**
 * Input checks shared by every Store implementation, so memory and Redis refuse exactly the same
 * malformed calls with the same StoreInputError. Cheap enough for the hot path: a few comparisons
 * per field, no allocation unless something is wrong.
 */
import { StoreInputError } from './errors.js';
import type { AdmitInput, CanaryRecord } from './types.js';

/** Longest subject, rule, key, lure id or canary token accepted (hash longer client values first). */
const MAX_KEY_LENGTH = 512;
/** Most block subjects one admit() may check. */
const MAX_SUBJECTS = 16;
/** Most rate limits one admit() may consume. */
const MAX_LIMITS = 32;
/** Longest window, block or TTL accepted: one year. */
const MAX_DURATION_MS = 366 * 86_400_000;

function checkName(value: unknown, path: string): void {
  if (typeof value !== 'string' || value.length === 0) throw new StoreInputError(path, 'must be a non-empty string');
  if (value.length > MAX_KEY_LENGTH) throw new StoreInputError(path, `longer than ${MAX_KEY_LENGTH} characters (hash it first)`);
}

function checkInt(value: unknown, path: string, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new StoreInputError(path, `must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
}

function checkDurationMs(value: unknown, path: string): void {
  checkInt(value, path, 1, MAX_DURATION_MS);
}

/** Throws StoreInputError on the first problem; returns nothing on success. */
export function validateAdmitInput(input: AdmitInput): void {
  const { subjects, limits, lure, usage } = input;
  if (!Array.isArray(subjects)) throw new StoreInputError('subjects', 'must be an array');
  if (subjects.length > MAX_SUBJECTS) throw new StoreInputError('subjects', `more than ${MAX_SUBJECTS} subjects`);
  for (let i = 0; i < subjects.length; i++) checkName(subjects[i], `subjects.${i}`);
  if (!Array.isArray(limits)) throw new StoreInputError('limits', 'must be an array');
  if (limits.length > MAX_LIMITS) throw new StoreInputError('limits', `more than ${MAX_LIMITS} limits`);
  for (let i = 0; i < limits.length; i++) {
    const l = limits[i];
    if (l === undefined || l === null || typeof l !== 'object') throw new StoreInputError(`limits.${i}`, 'must be an object');
    checkName(l.rule, `limits.${i}.rule`);
    checkName(l.key, `limits.${i}.key`);
    checkInt(l.limit, `limits.${i}.limit`, 1);
    const d = l.durationSec;
    if (typeof d !== 'number' || !Number.isFinite(d) || d <= 0 || d * 1000 > MAX_DURATION_MS) {
      throw new StoreInputError(`limits.${i}.durationSec`, `must be a number of seconds > 0 and ≤ one year, got ${String(d)}`);
    }
    if (l.cost !== undefined) checkInt(l.cost, `limits.${i}.cost`, 0);
  }
  if (lure !== undefined) {
    checkName(lure.lureId, 'lure.lureId');
    checkName(lure.subject, 'lure.subject');
    checkInt(lure.max, 'lure.max', 0);
    checkDurationMs(lure.blockDurationMs, 'lure.blockDurationMs');
    checkDurationMs(lure.windowMs, 'lure.windowMs');
  }
  if (usage !== undefined) {
    checkName(usage.key, 'usage.key');
    checkDurationMs(usage.windowMs, 'usage.windowMs');
    checkInt(usage.tokens, 'usage.tokens', 0);
  }
}

export function validateBlock(subject: string, durationMs: number, reason: string): void {
  checkName(subject, 'subject');
  checkDurationMs(durationMs, 'durationMs');
  if (typeof reason !== 'string' || reason.length > 1024) throw new StoreInputError('reason', 'must be a string of at most 1024 characters');
}

export function validateCanary(record: CanaryRecord, ttlMs: number): void {
  if (record === null || typeof record !== 'object') throw new StoreInputError('record', 'must be an object');
  checkName(record.token, 'record.token');
  for (const field of ['kind', 'mintedBy', 'lureKeyFingerprint', 'clientIp'] as const) {
    if (typeof record[field] !== 'string') throw new StoreInputError(`record.${field}`, 'must be a string');
  }
  if (typeof record.createdAt !== 'number' || !Number.isFinite(record.createdAt)) throw new StoreInputError('record.createdAt', 'must be a number');
  checkDurationMs(ttlMs, 'ttlMs');
}

/** A limit's window in whole milliseconds (durationSec may be fractional: 0.5 = 500ms). */
export function windowMs(durationSec: number): number {
  return Math.max(1, Math.ceil(durationSec * 1000));
}
