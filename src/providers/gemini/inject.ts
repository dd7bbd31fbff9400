/**
 * The lure prompt in a Gemini request sent to a real lure upstream (one holding its own burner key):
 * native bodies get it as the first part of `systemInstruction` (the client's own instruction is
 * kept after it, in whichever spelling the client used — `systemInstruction` or
 * `system_instruction`); countTokens' nested `generateContentRequest` likewise; OpenAI-compatible
 * chat bodies get a first `system` message. Embeddings carry no prompt. The input is never mutated.
 */
import { isObj } from './validate.js';

type Obj = Record<string, unknown>;

function withInstruction(body: Obj, prompt: string): Obj {
  const key = body['system_instruction'] !== undefined && body['systemInstruction'] === undefined ? 'system_instruction' : 'systemInstruction';
  const current = body[key];
  const lure = { text: prompt };
  let instruction: Obj;
  if (isObj(current) && Array.isArray(current['parts'])) instruction = { ...current, parts: [lure, ...(current['parts'] as unknown[])] };
  else if (typeof current === 'string') instruction = { parts: [lure, { text: current }] };
  else instruction = { parts: [lure] };
  return { ...body, [key]: instruction };
}

export type InjectTarget = 'generate' | 'countTokens' | 'compat-chat' | 'none';

export interface Injection {
  readonly body: Obj;
  readonly injected: boolean;
}

/** The body with the lure prompt added where the model reads instructions. */
export function injectGeminiPrompt(target: InjectTarget, body: Obj, prompt: string): Injection {
  if (prompt === '') return { body, injected: false };
  switch (target) {
    case 'generate':
      return { body: withInstruction(body, prompt), injected: true };
    case 'countTokens': {
      const inner = body['generateContentRequest'] ?? body['generate_content_request'];
      if (!isObj(inner)) return { body, injected: false };
      const key = body['generateContentRequest'] !== undefined ? 'generateContentRequest' : 'generate_content_request';
      return { body: { ...body, [key]: withInstruction(inner, prompt) }, injected: true };
    }
    case 'compat-chat': {
      const messages = Array.isArray(body['messages']) ? body['messages'] : [];
      return { body: { ...body, messages: [{ role: 'system', content: prompt }, ...messages] }, injected: true };
    }
    case 'none':
      return { body, injected: false };
    default: {
      const never: never = target;
      return never;
    }
  }
}
