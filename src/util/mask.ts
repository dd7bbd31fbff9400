/**
 * Provider-style key masks. OpenAI echoes an unknown key in "Incorrect API key
 * provided: …" as `key[0:8] + '*' × (len − 12) + key[−4:]`, keeping its length (checked on nine
 * public samples); strings of 12 characters or fewer are echoed unmasked. Lengths count Unicode
 * code points, as the API's Python does.
 */
const SURROGATE = /[\uD800-\uDFFF]/;

export function maskOpenAIKey(key: string): string {
  // without surrogate pairs, UTF-16 units are code points: no array of characters needed
  if (!SURROGATE.test(key)) return key.length <= 12 ? key : `${key.slice(0, 8)}${'*'.repeat(key.length - 12)}${key.slice(-4)}`;
  const chars = Array.from(key);
  if (chars.length <= 12) return key;
  return `${chars.slice(0, 8).join('')}${'*'.repeat(chars.length - 12)}${chars.slice(-4).join('')}`;
}

/**
 * An Anthropic key as the Console lists it: the `sk-ant-api03-` prefix, the first four and the
 * last four characters of the secret, `...` between [INF]. Anything else is shown as its first 8
 * characters and `...` (never more than a third of a key).
 */
export function maskAnthropicKey(key: string): string {
  const m = /^(sk-ant-[a-z]+\d*-)(.+)$/.exec(key);
  const secret = m?.[2] ?? '';
  if (m && secret.length >= 16) return `${m[1] ?? ''}${secret.slice(0, 4)}...${secret.slice(-4)}`;
  return key.length >= 24 ? `${key.slice(0, 8)}...` : '***';
}

/**
 * The mask shown for a lure key in events, `honeygate keys list` and key files: the Console's rule
 * for Anthropic keys, the OpenAI rule for every other secret key format; an AWS access key id (an identifier AWS prints in CloudTrail and IAM,
 * not a secret) keeps its 4-letter prefix and last 4 characters.
 */
export function maskKey(key: string): string {
  if (/^AIza[0-9A-Za-z_-]{35}$/.test(key)) return maskGeminiKey(key);
  if (key.startsWith('sk-ant-')) return maskAnthropicKey(key);
  if (/^A[A-Z0-9]{3}[A-Z2-7]{16}$/.test(key)) return `${key.slice(0, 4)}${'*'.repeat(key.length - 8)}${key.slice(-4)}`;
  return maskOpenAIKey(key);
}

/**
 * A Google API key as honeygate shows it (events, key files): Google never echoes a key, so the
 * mask keeps only what identifies the format and the key: `AIza` and the last 4 characters.
 */
function maskGeminiKey(key: string): string {
  if (key.length <= 12) return '*'.repeat(key.length);
  return `${key.slice(0, 4)}${'*'.repeat(key.length - 8)}${key.slice(-4)}`;
}
