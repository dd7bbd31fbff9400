/**
 * Lure prompt injection into every OpenAI request shape (issue 2 part 7). The client's own
 * instructions are kept; the lure's prompt goes first so it governs the answer:
 * - chat `messages`: a new first message, role `developer` when the client speaks `developer`
 *   (o-series convention) and `system` otherwise — string or content-part content alike;
 * - Responses API: a `developer` message first in `input` (a string input becomes a user message
 *   after it); `instructions` stay as the client wrote them, because the API echoes them back;
 * - legacy completions: prepended to each string `prompt` (token-array prompts are left alone);
 * - embeddings and other endpoints: nothing to inject.
 * Returns a new object; the input is not mutated.
 */
import type { OpenAIEndpoint } from './protocol.js';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export interface Injection {
  readonly body: Json;
  readonly injected: boolean;
}

export function injectLurePrompt(endpoint: OpenAIEndpoint, body: Json, prompt: string): Injection {
  if (prompt === '') return { body, injected: false };
  switch (endpoint) {
    case 'chat.completions': {
      const messages = body['messages'];
      if (!Array.isArray(messages)) return { body, injected: false };
      const usesDeveloper = messages.some((m) => isObject(m) && m['role'] === 'developer');
      return { body: { ...body, messages: [{ role: usesDeveloper ? 'developer' : 'system', content: prompt }, ...messages] }, injected: true };
    }
    case 'responses': {
      // not into `instructions`: the API echoes them in every response object, the thief would read the lure prompt
      const input = body['input'];
      const lead = { role: 'developer', content: prompt };
      if (typeof input === 'string') return { body: { ...body, input: [lead, { role: 'user', content: input }] }, injected: true };
      if (Array.isArray(input)) return { body: { ...body, input: [lead, ...input] }, injected: true };
      return { body, injected: false };
    }
    case 'completions': {
      const p = body['prompt'];
      if (typeof p === 'string') return { body: { ...body, prompt: `${prompt}\n\n${p}` }, injected: true };
      if (Array.isArray(p) && p.every((x) => typeof x === 'string')) {
        return { body: { ...body, prompt: p.map((x: string) => `${prompt}\n\n${x}`) }, injected: true };
      }
      return { body, injected: false };
    }
    default:
      return { body, injected: false };
  }
}

/** The user-visible text the client asked (for the lure event), truncated. */
export function promptText(endpoint: OpenAIEndpoint, body: Json, max = 4096): string | undefined {
  const parts: string[] = [];
  const add = (v: unknown): void => {
    if (typeof v === 'string') parts.push(v);
    else if (Array.isArray(v)) for (const x of v) add(isObject(x) ? (x['text'] ?? x['content']) : x);
    else if (isObject(v)) add(v['text'] ?? v['content']);
  };
  if (endpoint === 'chat.completions' && Array.isArray(body['messages'])) {
    for (const m of body['messages']) if (isObject(m) && m['role'] !== 'system' && m['role'] !== 'developer') add(m['content']);
  } else if (endpoint === 'responses') add(body['input']);
  else if (endpoint === 'completions') add(body['prompt']);
  else if (endpoint === 'embeddings') add(body['input']);
  if (parts.length === 0) return undefined;
  const text = parts.join('\n');
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
