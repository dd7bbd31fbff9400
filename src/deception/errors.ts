/**
 * Deception builder errors, one coded registry (the fastify habit: `name` equals `code`, pinned by
 * a test). They mark programmer or config mistakes (a malformed key hash, an account id that is not
 * 12 digits, a canary base URL that is not http(s)); they never reach a client, whose answers are
 * built by the surfaces. Messages never contain a secret.
 */

export const DECEPTION_ERRORS = {
  HG_DECEPTION_BAD_KEY_HASH: 'a persona seed must be the sha256 of a key as 64 hex digits',
  HG_DECEPTION_BAD_ACCOUNT_ID: 'an AWS account id is 12 decimal digits',
  HG_DECEPTION_BAD_ACCESS_KEY_ID: 'not an AWS access key id (4-letter prefix + 16 base32 characters)',
  HG_DECEPTION_BAD_BASE_URL: 'the canary base URL must be an absolute http(s) URL',
  HG_DECEPTION_BAD_SECRET: 'the canary secret must hold at least 16 bytes',
  HG_DECEPTION_BAD_ARGUMENT: 'invalid argument',
} as const;

export type DeceptionErrorCode = keyof typeof DECEPTION_ERRORS;

export class DeceptionError extends Error {
  override readonly name: DeceptionErrorCode;
  readonly code: DeceptionErrorCode;
  constructor(code: DeceptionErrorCode, detail?: string) {
    super(detail === undefined ? DECEPTION_ERRORS[code] : `${DECEPTION_ERRORS[code]}: ${detail}`);
    this.name = code;
    this.code = code;
  }
}
