/**
 * Token accounting of the Bedrock decoy: the prompt text of a Converse or native body and its input
 * tokens, the answer text's token pieces (cached per text), and the grouping of pieces into stream
 * chunks. Moved out of decoy.ts as is.
 */
import type { RandomFn } from '../../deception/random.js';
import { streamPieces, tokenCount } from '../../deception/decoy/tokens.js';
import { FifoCache } from '../../util/fifo-cache.js';
import type { ModelFamily } from './models.js';
import type { BedrockOperation } from './route.js';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function blockText(block: unknown): string {
  if (!isObject(block)) return typeof block === 'string' ? block : '';
  if (typeof block['text'] === 'string') return block['text'];
  if (isObject(block['toolUse'])) return JSON.stringify(block['toolUse']['input'] ?? {});
  if (isObject(block['toolResult']) && Array.isArray(block['toolResult']['content'])) {
    return block['toolResult']['content'].slice(0, 256).map((c) => (isObject(c) && 'json' in c ? JSON.stringify(c['json']) : blockText(c))).join('\n');
  }
  if (typeof block['content'] === 'string') return block['content'];
  if (Array.isArray(block['content'])) return block['content'].slice(0, 256).map(blockText).join('\n');
  if (block['type'] === 'tool_use') return JSON.stringify(block['input'] ?? {});
  return '';
}

function listText(list: unknown): { text: string; count: number } {
  if (typeof list === 'string') return { text: list, count: 1 };
  if (!Array.isArray(list)) return { text: '', count: 0 };
  const parts = list.slice(0, 4096).map((m) => (isObject(m) && 'content' in m ? blockText({ content: m['content'] }) : isObject(m) && typeof m['message'] === 'string' ? m['message'] : blockText(m)));
  return { text: parts.join('\n'), count: parts.length };
}

/** Input tokens: the prompt text counted, plus a few tokens per turn for the chat template. */
export function inputTokensOf(operation: BedrockOperation, family: ModelFamily, body: Json): number {
  const parts: string[] = [];
  let turns = 0;
  const add = (v: unknown): void => {
    const r = listText(v);
    if (r.text !== '') parts.push(r.text);
    turns += r.count;
  };
  if (operation === 'Converse' || operation === 'ConverseStream') {
    add(body['system']);
    add(body['messages']);
    if (isObject(body['toolConfig'])) parts.push(JSON.stringify(body['toolConfig']['tools'] ?? []));
  } else {
    switch (family) {
      case 'anthropic':
      case 'nova':
        add(body['system']);
        add(body['messages']);
        if (Array.isArray(body['tools'])) parts.push(JSON.stringify(body['tools']));
        break;
      case 'titan-text':
      case 'titan-embed':
        add(body['inputText']);
        break;
      case 'cohere-command-r':
        add(body['preamble']);
        add(body['chat_history']);
        add(body['message']);
        break;
      case 'cohere-embed':
        add(body['texts']);
        break;
      case 'mistral-chat':
      case 'ai21-jamba':
        add(body['messages']);
        break;
      default:
        if (Array.isArray(body['messages'])) add(body['messages']);
        else add(body['prompt']);
    }
  }
  const embedding = family === 'titan-embed' || family === 'cohere-embed';
  return tokenCount(parts.join('\n')) + (embedding ? 0 : 3 * turns + (operation.startsWith('Converse') ? 4 : 0));
}

/**
 * The answer text's token pieces and count, per text. The text is the lure key's own (its `reply`,
 * else the default) and the same on every request unless a canary is minted into it; tokenizing it
 * again each time (streamPieces, 2.1% of the Bedrock path's CPU profile, issue 11, and a second
 * tokenCount of the same text) bought nothing. Bounded: texts of at most REPLY_TOKENS_MAX_CHARS, at most REPLY_TOKENS_MAX
 * entries, oldest dropped first. The pieces are frozen: a truncated answer slices its own copy.
 */
interface ReplyTokens {
  readonly pieces: readonly string[];
  readonly count: number;
}

export const REPLY_TOKENS_MAX = 256;
const REPLY_TOKENS_MAX_CHARS = 16 * 1024;
const replyTokenCache = new FifoCache<string, ReplyTokens>(REPLY_TOKENS_MAX);

export function replyTokens(text: string): ReplyTokens {
  const held = replyTokenCache.get(text);
  if (held !== undefined) return held;
  const tokens: ReplyTokens = Object.freeze({ pieces: Object.freeze(streamPieces(text)), count: tokenCount(text) });
  if (text.length <= REPLY_TOKENS_MAX_CHARS) replyTokenCache.set(text, tokens);
  return tokens;
}

/** How many answer texts are held (tests). */
export function replyTokensCacheSize(): number {
  return replyTokenCache.size;
}

/** Group single-token pieces into the 1–6 token chunks real streams carry. */
export function chunkPieces(pieces: readonly string[], rand: RandomFn): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < pieces.length) {
    const n = 1 + Math.floor(rand() * 6);
    out.push(pieces.slice(i, i + n).join(''));
    i += n;
  }
  return out;
}
