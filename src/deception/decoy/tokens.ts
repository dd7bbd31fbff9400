/**
 * Real token counts for decoy usage fields (gpt-tokenizer, o200k_base — the encoding of the
 * current OpenAI models). Chat prompts are counted the way OpenAI's cookbook counts them
 * (3 tokens per message, 1 per name, 3 to prime the reply). Very long inputs are estimated
 * (4 characters a token) so an attacker cannot make the decoy spend seconds tokenizing.
 */
import { countTokens, encode, decode } from 'gpt-tokenizer';

const EXACT_LIMIT = 64 * 1024;

export function tokenCount(text: string): number {
  if (text.length === 0) return 0;
  if (text.length > EXACT_LIMIT) return Math.ceil(text.length / 4);
  return countTokens(text);
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
    total += 3 + tokenCount(contentText(msg['content']));
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
