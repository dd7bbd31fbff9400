/**
 * Lure prompt injection for Bedrock bodies (issue 4): the lure's prompt becomes a system
 * instruction in whatever form the operation and model family take (Converse `system`
 * blocks; B7 model-native InvokeModel bodies). Existing system content is kept; the lure text is
 * put before it (`prepend`, default: the attacker's own system prompt then reads last and the lure
 * still frames it) or after it (`append`).
 *
 * Bodies that are not JSON objects, and embedding bodies, are returned unchanged: the upstream (or
 * the decoy) then answers them exactly as the real service would.
 */
import type { ModelFamily } from './models.js';
import type { BedrockOperation } from './route.js';
import { parseJsonText } from '../../util/depth.js';

export type InjectPosition = 'prepend' | 'append';

export type InjectResult =
  | { readonly changed: true; readonly body: Buffer }
  | { readonly changed: false; readonly body: Buffer; readonly reason: 'not-json' | 'not-object' | 'no-prompt-field' | 'embedding' | 'count-tokens' };

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function joinText(lure: string, existing: string, position: InjectPosition): string {
  if (existing === '') return lure;
  return position === 'prepend' ? `${lure}\n\n${existing}` : `${existing}\n\n${lure}`;
}

function withBlock(list: readonly unknown[], block: Json, position: InjectPosition): unknown[] {
  return position === 'prepend' ? [block, ...list] : [...list, block];
}

/** Converse / ConverseStream: a `{text}` block in `system` (B2). */
export function injectConverse(body: Json, prompt: string, position: InjectPosition = 'prepend'): Json {
  const system = Array.isArray(body['system']) ? body['system'] : [];
  return { ...body, system: withBlock(system, { text: prompt }, position) };
}

/** Chat-form `messages` with a system role (Mistral Large 24.07+, AI21 Jamba). */
function injectChatMessages(body: Json, prompt: string, position: InjectPosition): Json | null {
  const messages = body['messages'];
  if (!Array.isArray(messages)) return null;
  let leading = 0;
  while (leading < messages.length && isObject(messages[leading]) && (messages[leading] as Json)['role'] === 'system') leading++;
  const block = { role: 'system', content: prompt };
  const at = position === 'prepend' ? 0 : leading;
  return { ...body, messages: [...messages.slice(0, at), block, ...messages.slice(at)] };
}

const LLAMA3_BOT = '<|begin_of_text|>';
const LLAMA3_SYSTEM_RE = /<\|start_header_id\|>system<\|end_header_id\|>\n*([\s\S]*?)<\|eot_id\|>/;

/** Meta Llama prompt templates: Llama 3 header tokens, Llama 2 `[INST] <<SYS>>`, or plain text. */
export function injectLlamaPrompt(prompt: string, lure: string, position: InjectPosition): string {
  if (prompt.includes('<|start_header_id|>')) {
    const m = LLAMA3_SYSTEM_RE.exec(prompt);
    if (m && m.index !== undefined) {
      const existing = (m[1] ?? '').trim();
      const replaced = `<|start_header_id|>system<|end_header_id|>\n\n${joinText(lure, existing, position)}<|eot_id|>`;
      return prompt.slice(0, m.index) + replaced + prompt.slice(m.index + m[0].length);
    }
    const block = `<|start_header_id|>system<|end_header_id|>\n\n${lure}<|eot_id|>`;
    return prompt.startsWith(LLAMA3_BOT) ? LLAMA3_BOT + block + prompt.slice(LLAMA3_BOT.length) : LLAMA3_BOT + block + prompt;
  }
  const inst = /^(\s*(?:<s>)?\s*\[INST\]\s*)/.exec(prompt);
  if (inst) {
    const head = inst[1] ?? '';
    const rest = prompt.slice(head.length);
    const sys = /^<<SYS>>\n?([\s\S]*?)\n?<<\/SYS>>\n*/.exec(rest);
    if (sys) return `${head}<<SYS>>\n${joinText(lure, (sys[1] ?? '').trim(), position)}\n<</SYS>>\n\n${rest.slice(sys[0].length)}`;
    return `${head}<<SYS>>\n${lure}\n<</SYS>>\n\n${rest}`;
  }
  return `${LLAMA3_BOT}<|start_header_id|>system<|end_header_id|>\n\n${lure}<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n${prompt}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n`;
}

/** Mistral prompt form `<s>[INST] … [/INST]`: no system role, so the lure opens the first instruction. */
export function injectMistralPrompt(prompt: string, lure: string, position: InjectPosition): string {
  const m = /^(\s*(?:<s>)?\s*\[INST\]\s?)/.exec(prompt);
  if (m) {
    const head = m[1] ?? '';
    const rest = prompt.slice(head.length);
    if (position === 'prepend') return `${head}${lure}\n\n${rest}`;
    const close = rest.indexOf('[/INST]');
    if (close < 0) return `${head}${rest}\n\n${lure}`;
    const instruction = rest.slice(0, close).replace(/\s+$/, '');
    return `${head}${instruction}\n\n${lure} ${rest.slice(close)}`;
  }
  return `<s>[INST] ${joinText(lure, prompt, position)} [/INST]`;
}

function injectField(body: Json, field: string, prompt: string, position: InjectPosition): Json | null {
  const value = body[field];
  if (typeof value !== 'string') return null;
  return { ...body, [field]: joinText(prompt, value, position) };
}

/** Native InvokeModel bodies (B7), by family. Null when the body has no place for a prompt. */
export function injectInvokeBody(family: ModelFamily, body: Json, prompt: string, position: InjectPosition = 'prepend'): Json | null {
  switch (family) {
    case 'anthropic': {
      const system = body['system'];
      if (Array.isArray(system)) return { ...body, system: withBlock(system, { type: 'text', text: prompt }, position) };
      return { ...body, system: joinText(prompt, typeof system === 'string' ? system : '', position) };
    }
    case 'titan-text':
      return injectField(body, 'inputText', prompt, 'prepend');
    case 'nova': {
      const system = Array.isArray(body['system']) ? body['system'] : [];
      return { ...body, system: withBlock(system, { text: prompt }, position) };
    }
    case 'llama':
      return typeof body['prompt'] === 'string' ? { ...body, prompt: injectLlamaPrompt(body['prompt'], prompt, position) } : null;
    case 'mistral':
    case 'mistral-chat':
      // the id says which form; the body decides (Mistral Large 24.02 accepts both)
      if (Array.isArray(body['messages'])) return injectChatMessages(body, prompt, position);
      return typeof body['prompt'] === 'string' ? { ...body, prompt: injectMistralPrompt(body['prompt'], prompt, position) } : null;
    case 'cohere-command':
      return injectField(body, 'prompt', prompt, 'prepend');
    case 'cohere-command-r':
      return { ...body, preamble: joinText(prompt, typeof body['preamble'] === 'string' ? body['preamble'] : '', position) };
    case 'ai21-jamba':
      return injectChatMessages(body, prompt, position);
    case 'ai21-j2':
      return injectField(body, 'prompt', prompt, 'prepend');
    case 'titan-embed':
    case 'cohere-embed':
      return null;
    case 'unknown':
      if (Array.isArray(body['messages'])) return Array.isArray(body['system']) || typeof body['system'] === 'string'
        ? injectInvokeBody('anthropic', body, prompt, position)
        : injectChatMessages(body, prompt, position);
      return injectField(body, 'prompt', prompt, 'prepend') ?? injectField(body, 'inputText', prompt, 'prepend');
    default: {
      const never: never = family;
      return never;
    }
  }
}

/** Inject `prompt` into a raw Bedrock request body for `operation` on a `family` model. */
export function injectLure(operation: BedrockOperation, family: ModelFamily, body: Buffer, prompt: string, position: InjectPosition = 'prepend'): InjectResult {
  if (operation === 'CountTokens') return { changed: false, body, reason: 'count-tokens' };
  if (family === 'titan-embed' || family === 'cohere-embed') return { changed: false, body, reason: 'embedding' };
  const parsed = parseJsonText(body.toString('utf8'));
  if (parsed === undefined) return { changed: false, body, reason: 'not-json' };
  if (!isObject(parsed)) return { changed: false, body, reason: 'not-object' };
  const out = operation === 'Converse' || operation === 'ConverseStream'
    ? injectConverse(parsed, prompt, position)
    : injectInvokeBody(family, parsed, prompt, position);
  if (out === null) return { changed: false, body, reason: 'no-prompt-field' };
  return { changed: true, body: Buffer.from(JSON.stringify(out), 'utf8') };
}
