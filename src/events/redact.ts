/**
 * Masking key-shaped secrets in what an event records from the client (URL path, User-Agent, the
 * client fingerprint's header values, a sniffed model name): a client that puts a raw key in a URL
 * or a header must not have it written to every sink. Masks keep the provider's style (the first
 * characters and the last four, stars between: deception/mask.ts), so an analyst still sees which
 * kind of key it was and can match it against a fingerprint.
 *
 * Shapes: OpenAI and Anthropic (`sk-…`), AWS access key ids (AKIA/ASIA/…), Bedrock API keys
 * (ABSK…), Google/Gemini (`AIza…`), Azure OpenAI (32 hex digits), JWTs, honeygate tool secrets
 * (`hgs_…`), and whatever follows `Bearer `. One regular expression compiled once; a string
 * without a candidate costs one scan. Pure: no I/O, no state.
 */
import { maskKey } from '../util/mask.js';

const SECRET =
  /\bsk-[A-Za-z0-9_-]{16,}|\b(?:AKIA|ASIA|ABIA|ACCA|AROA|AIDA)[A-Z0-9]{16}\b|\bABSK[A-Za-z0-9+/=]{16,}|\bAIza[0-9A-Za-z_-]{30,}|\b[0-9a-fA-F]{32}\b|\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*|\bhgs_[A-Za-z0-9_-]{16,}|(?<=\bBearer\s+)[^\s,;]{8,}/g;

/** `text` with every key-shaped run masked; the same string when there is none. */
export function redactSecrets(text: string): string {
  SECRET.lastIndex = 0;
  if (!SECRET.test(text)) return text;
  SECRET.lastIndex = 0;
  return text.replace(SECRET, (m) => maskKey(m));
}

/** A flat record of strings (the client fingerprint) with each value redacted. */
export function redactRecord<T extends object>(record: T): T {
  let out: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(record)) {
    if (typeof v !== 'string') continue;
    const r = redactSecrets(v);
    if (r !== v) (out ??= { ...(record as Record<string, unknown>) })[k] = r;
  }
  return (out as T | undefined) ?? record;
}
