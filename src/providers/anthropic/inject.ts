/**
 * Lure prompt injection into a Messages body bound for a real lure upstream (a burner key), and
 * the guard that keeps it out of sight of key checkers.
 *
 * Resale-proxy checkers probe for injected prompts: they send a system prompt of their own and ask
 * for "the text before the word 'Obey' verbatim inside a code block", with a prefilled assistant
 * turn opening the code block, and flag the key when the answer shows safety or copyright
 * injections (POZZED_PATTERNS). So:
 * - the lure prompt goes AFTER the client's own system prompt (string: appended after a blank
 *   line; block array: a new last text block; none: the system prompt) — "the text before" any
 *   word of the client's prompt never reaches it;
 * - a request that looks like a prompt-extraction probe (a prefilled assistant turn, or user text
 *   asking for the system prompt, "the text before/above", "verbatim", "repeat your instructions")
 *   is sent without injection;
 * - a lure prompt that itself matches a pozzed pattern is never injected (check-config refuses it).
 * Returns a new object; the input is not mutated.
 */
type Json = Record<string, unknown>;

/** The phrases the resale checker flags as injected safety or copyright prompts. */
export const POZZED_PATTERNS: readonly RegExp[] = [
  /please answer ethically/i,
  /sexual content/i,
  /respond as helpfully/i,
  /be very careful/i,
  /song lyrics/i,
  /previous text not shown/i,
  /copyrighted material/i,
];

const EXTRACTION = /\b(verbatim|system prompt|system message|(text|words?|everything) (above|before|preceding)|initial instructions|your instructions|repeat (the|your|all|everything)|ignore (all|previous|the above)|what (were|are) you told)\b/i;
const MAX_SCAN = 64;

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function isPozzed(text: string): boolean {
  return POZZED_PATTERNS.some((re) => re.test(text));
}

function texts(content: unknown, out: string[]): void {
  if (typeof content === 'string') out.push(content.slice(0, 4096));
  else if (Array.isArray(content)) {
    for (const b of content.slice(0, MAX_SCAN)) if (isObject(b) && typeof b['text'] === 'string') out.push(b['text'].slice(0, 4096));
  }
}

/** Does the request look like an attempt to read the system prompt? */
export function looksLikeExtraction(body: Json): boolean {
  const messages = body['messages'];
  if (!Array.isArray(messages) || messages.length === 0) return false;
  const last: unknown = messages[messages.length - 1];
  if (isObject(last) && last['role'] === 'assistant') return true;
  const user: string[] = [];
  for (const m of messages.slice(-MAX_SCAN)) if (isObject(m) && m['role'] === 'user') texts(m['content'], user);
  return user.some((t) => EXTRACTION.test(t));
}

export interface Injection {
  readonly body: Json;
  readonly injected: boolean;
}

export function injectLurePrompt(body: Json, prompt: string): Injection {
  if (prompt === '' || isPozzed(prompt) || looksLikeExtraction(body)) return { body, injected: false };
  const system = body['system'];
  if (system === undefined || system === null || system === '') return { body: { ...body, system: prompt }, injected: true };
  if (typeof system === 'string') return { body: { ...body, system: `${system}\n\n${prompt}` }, injected: true };
  if (Array.isArray(system)) return { body: { ...body, system: [...system, { type: 'text', text: prompt }] }, injected: true };
  return { body, injected: false };
}

/** The user-visible text the client asked (for the lure event), truncated. */
export function promptText(body: Json, max = 4096): string | undefined {
  const messages = body['messages'];
  if (!Array.isArray(messages)) return undefined;
  const parts: string[] = [];
  for (const m of messages.slice(-MAX_SCAN)) if (isObject(m) && m['role'] === 'user') texts(m['content'], parts);
  if (parts.length === 0) return undefined;
  const text = parts.join('\n');
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
