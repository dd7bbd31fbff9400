/**
 * Store errors, each with a stable code (the fastify habit: `name` equals `code`, pinned by a test).
 * The gateway maps them: StoreUnavailableError → a faithful 503/429 (fail_closed), StoreInputError
 * → a bug in the caller (the request path built an invalid AdmitInput), never shown to a client.
 */

export type StoreErrorCode = 'HG_STORE_UNAVAILABLE' | 'HG_STORE_INVALID_INPUT';

abstract class StoreError extends Error {
  abstract readonly code: StoreErrorCode;
}

/** The shared store (Redis) is down or slower than `redis.timeout` and the policy is fail_closed. */
export class StoreUnavailableError extends StoreError {
  override readonly name = 'HG_STORE_UNAVAILABLE';
  readonly code = 'HG_STORE_UNAVAILABLE' as const;
  constructor(detail: string, options?: { cause?: unknown }) {
    super(`state store unavailable: ${detail}`, options);
  }
}

/** A store call got malformed input (empty subject, oversized key, limit ≤ 0 …); `path` says where. */
export class StoreInputError extends StoreError {
  override readonly name = 'HG_STORE_INVALID_INPUT';
  readonly code = 'HG_STORE_INVALID_INPUT' as const;
  readonly path: string;
  constructor(path: string, problem: string) {
    super(`invalid store input at ${path}: ${problem}`);
    this.path = path;
  }
}

export function isStoreUnavailable(e: unknown): e is StoreUnavailableError {
  return e instanceof StoreUnavailableError;
}
