/**
 * The user-visible prompt of a Bedrock request, for the lure event's `honeygate.lure.prompt` (what
 * the thief asked): the user turns of a Converse body or of a model-native
 * InvokeModel body, by family (B7). System prompts are left out, as on the OpenAI surface
 * (surfaces/openai/inject.ts `promptText`). Bounded: at most `max` characters, and only the first
 * few hundred list entries are looked at.
 */
import type { ModelFamily } from './models.js';
import type { BedrockOperation } from './route.js';

type Json = Record<string, unknown>;

const MAX_ITEMS = 256;

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Text of a content value: a string, a `{text}` block, or a list of them (Converse, Anthropic, Nova). */
function contentText(v: unknown, out: string[]): void {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) for (const b of v.slice(0, MAX_ITEMS)) contentText(b, out);
  else if (isObject(v) && typeof v['text'] === 'string') out.push(v['text']);
}

function userTurns(messages: unknown, out: string[]): void {
  if (!Array.isArray(messages)) return;
  for (const m of messages.slice(0, MAX_ITEMS)) {
    if (isObject(m) && (m['role'] === 'user' || m['role'] === 'USER')) contentText(m['content'] ?? m['message'], out);
  }
}

/** The same, from a body the caller has already parsed (the surface parses it once for the decoy too). */
export function bedrockPromptTextOf(operation: BedrockOperation, family: ModelFamily, parsed: unknown, max = 4096): string | undefined {
  if (!isObject(parsed)) return undefined;
  const out: string[] = [];
  if (operation === 'Converse' || operation === 'ConverseStream') userTurns(parsed['messages'], out);
  else if (operation === 'CountTokens') {
    const input = isObject(parsed['input']) ? parsed['input'] : {};
    if (isObject(input['converse'])) userTurns(input['converse']['messages'], out);
  } else {
    switch (family) {
      case 'titan-text':
      case 'titan-embed':
        contentText(parsed['inputText'], out);
        break;
      case 'cohere-embed':
        contentText(parsed['texts'], out);
        break;
      case 'cohere-command-r':
        userTurns(parsed['chat_history'], out);
        contentText(parsed['message'], out);
        break;
      default:
        if (Array.isArray(parsed['messages'])) userTurns(parsed['messages'], out);
        else contentText(parsed['prompt'], out);
    }
  }
  if (out.length === 0) return undefined;
  const text = out.join('\n');
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/**
 * The tool list of a Bedrock request, for the lure event's `honeygate.lure.tools`: a Converse
 * body's `toolConfig.tools` (CountTokens: inside `input.converse`), or an InvokeModel body's
 * `tools` (Anthropic's Messages shape). Returned by reference: the events worker normalizes it.
 */
export function bedrockToolsOf(operation: BedrockOperation, parsed: unknown): unknown {
  if (!isObject(parsed)) return undefined;
  let converse: unknown;
  if (operation === 'Converse' || operation === 'ConverseStream') converse = parsed;
  else if (operation === 'CountTokens') converse = isObject(parsed['input']) ? parsed['input']['converse'] : undefined;
  else return parsed['tools'];
  const config = isObject(converse) ? converse['toolConfig'] : undefined;
  return isObject(config) ? config['tools'] : undefined;
}
