/**
 * Real token counts for decoy usage fields (gpt-tokenizer, o200k_base — the encoding of the
 * current OpenAI models). Chat prompts are counted the way OpenAI's cookbook counts them
 * (3 tokens per message, the role's own token, 1 per name, 3 to prime the reply). Very long inputs are estimated
 * (4 characters a token) so an attacker cannot make the decoy spend seconds tokenizing.
 */
import { countTokens, encode, decode } from 'gpt-tokenizer';

const EXACT_LIMIT = 64 * 1024;

/**
 * Token counts of texts seen recently. The lure path counts the same texts again and again: the
 * key's reply on every answer, the client's system prompt on every turn, the identical probe prompts
 * a thief's script replays; BPE was ~8% of the lure path's CPU profile (issue 11: ~3.5 µs for a
 * 60-character message, ~70 µs for 4 KB), a Map hit ~0.2 µs (~10 µs for 4 KB: hashing and comparing
 * the key is O(n) too, still 7× cheaper than BPE). Bounded two ways: texts of at most
 * TOKEN_CACHE_MAX_CHARS characters, and at most TOKEN_CACHE_MAX entries in two generations (the
 * "hashlru" scheme of store/bounded-map.ts: a hit in the older generation moves the entry to the
 * newer one; when the newer one fills, the older is dropped whole). A count depends on the text
 * alone (one encoding, o200k_base), so an entry can never be stale or belong to another key.
 * Prompts are attacker-chosen text the event records anyway, never a secret.
 */
export const TOKEN_CACHE_MAX = 1024;
export const TOKEN_CACHE_MAX_CHARS = 4096;
const HALF = TOKEN_CACHE_MAX / 2;
let recent = new Map<string, number>();
let older = new Map<string, number>();

function cachedCount(text: string): number {
  const hit = recent.get(text);
  if (hit !== undefined) return hit;
  let count = older.get(text);
  if (count === undefined) count = countTokens(text);
  else older.delete(text);
  if (recent.size >= HALF) {
    older = recent;
    recent = new Map();
  }
  recent.set(text, count);
  return count;
}

/** Entries held by the token-count cache (tests: the bound). */
export function tokenCacheSize(): number {
  return recent.size + older.size;
}

export function tokenCount(text: string): number {
  if (text.length === 0) return 0;
  if (text.length > EXACT_LIMIT) return Math.ceil(text.length / 4);
  if (text.length > TOKEN_CACHE_MAX_CHARS) return countTokens(text);
  return cachedCount(text);
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    let out = '';
    for (const part of content) {
      if (part !== null && typeof part === 'object') {
        const text = (part as Record<string, unknown>)['text'];
        if (typeof text === 'string') out += text;
      } else if (typeof part === 'string') out += part;
    }
    return out;
  }
  return '';
}

export function chatPromptTokens(messages: unknown): number {
  if (!Array.isArray(messages)) return 0;
  let total = 3;
  for (const m of messages) {
    if (m === null || typeof m !== 'object') continue;
    const msg = m as Record<string, unknown>;
    total += 3 + (typeof msg['role'] === 'string' ? tokenCount(msg['role']) : 0) + tokenCount(contentText(msg['content']));
    if (typeof msg['name'] === 'string') total += 1;
    if (Array.isArray(msg['tool_calls'])) total += tokenCount(JSON.stringify(msg['tool_calls']));
  }
  return total;
}

export function anyTextTokens(value: unknown): number {
  if (typeof value === 'string') return tokenCount(value);
  if (Array.isArray(value)) {
    let total = 0;
    for (const v of value) {
      if (v !== null && typeof v === 'object') {
        const o = v as Record<string, unknown>;
        total += anyTextTokens(o['content'] ?? o['text'] ?? o['output'] ?? o['arguments']) + 3;
      } else total += anyTextTokens(v);
    }
    return total;
  }
  return 0;
}

/** Split text into the pieces a streaming model would send: one token each (bounded count). */
export function streamPieces(text: string, maxPieces = 2048): string[] {
  if (text === '') return [];
  if (text.length > EXACT_LIMIT) return text.match(/[\s\S]{1,16}/g) ?? [text];
  const tokens = encode(text);
  if (tokens.length > maxPieces) return text.match(new RegExp(`[\\s\\S]{1,${Math.ceil(text.length / maxPieces)}}`, 'g')) ?? [text];
  const out: string[] = [];
  let pending: number[] = [];
  for (const t of tokens) {
    pending.push(t);
    const piece = decode(pending);
    // a token can end inside a multi-byte character: keep it until the piece decodes cleanly
    if (!piece.endsWith('\uFFFD')) {
      out.push(piece);
      pending = [];
    }
  }
  if (pending.length > 0) out.push(decode(pending));
  return out;
}

/**
 * The first `limit` tokens of `text` (a generation stopped at `max_tokens`): the text itself when it
 * is shorter. Very long texts are cut at 4 characters a token, as they are counted.
 */
export function truncateTokens(text: string, limit: number): { readonly text: string; readonly tokens: number; readonly cut: boolean } {
  const n = Math.max(0, Math.floor(limit));
  const total = tokenCount(text);
  if (total <= n) return { text, tokens: total, cut: false };
  if (text.length > EXACT_LIMIT) return { text: text.slice(0, n * 4), tokens: n, cut: true };
  const head = decode(encode(text).slice(0, n));
  return { text: head.endsWith('\uFFFD') ? head.slice(0, -1) : head, tokens: n, cut: true };
}
