/**
 * Token accounting for the Anthropic decoy: a plausible Claude count built on the real o200k
 * tokenizer (deception/decoy/tokens.ts, cached and bounded), with the overheads the recorded
 * answers show: ~7 tokens of turn framing for the first user message and 3 more per further turn;
 * the system prompt; each tool definition plus the tool-use system prompt (~500 tokens, recorded
 * 542–611 for one small tool); a JSON-schema output format (~200, recorded 230 for a 3-field
 * schema); thinking instructions (+29 enabled, +17 adaptive). Images are counted from their pixel
 * size (w × h / 750, the documented rule) when the PNG/GIF header tells it, else as a typical photo.
 * Bounded everywhere: a hostile body cannot make counting expensive (content walks stop at 256 blocks
 * a message and 1,000 messages).
 */
import { tokenCount } from '../../deception/decoy/tokens.js';

type Json = Record<string, unknown>;

const MAX_MESSAGES = 1000;
const MAX_BLOCKS = 256;
const TOOL_PROMPT = 497;
const SCHEMA_PROMPT = 200;
/** [REC] the web search tool's instructions: 2,039 input tokens for a 12-word question; web fetch assumed alike [INF] */
const WEB_TOOL_PROMPT = 1990;
const IMAGE_DEFAULT = 1100;

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Pixel size from a base64 PNG or GIF header (first bytes only), else undefined. */
export function imageTokens(data: string): number {
  try {
    const head = Buffer.from(data.slice(0, 64), 'base64');
    if (head.length >= 24 && head.readUInt32BE(0) === 0x89504e47) {
      const w = head.readUInt32BE(16);
      const h = head.readUInt32BE(20);
      return imageFromSize(w, h);
    }
    if (head.length >= 10 && head.toString('latin1', 0, 3) === 'GIF') return imageFromSize(head.readUInt16LE(6), head.readUInt16LE(8));
  } catch {
    /* not base64: a typical image */
  }
  return IMAGE_DEFAULT;
}

function imageFromSize(w: number, h: number): number {
  if (!(w > 0 && h > 0)) return IMAGE_DEFAULT;
  // images larger than ~1.15 megapixels are scaled down first (documented): at most ~1,600 tokens
  return Math.max(1, Math.min(1600, Math.ceil((w * h) / 750)));
}

/** Tokens of one content value (string or block list). */
export function contentTokens(content: unknown): number {
  if (typeof content === 'string') return tokenCount(content);
  if (!Array.isArray(content)) return 0;
  let total = 0;
  const n = Math.min(content.length, MAX_BLOCKS);
  for (let i = 0; i < n; i++) {
    const b: unknown = content[i];
    if (!isObject(b)) continue;
    switch (b['type']) {
      case 'text':
        total += tokenCount(typeof b['text'] === 'string' ? b['text'] : '');
        break;
      case 'image': {
        const src = b['source'];
        total += isObject(src) && typeof src['data'] === 'string' ? imageTokens(src['data']) : IMAGE_DEFAULT;
        break;
      }
      case 'document':
        total += 1500;
        break;
      case 'tool_use':
      case 'server_tool_use':
        total += 10 + tokenCount(typeof b['name'] === 'string' ? b['name'] : '') + tokenCount(JSON.stringify(b['input'] ?? {}).slice(0, 65536));
        break;
      case 'tool_result':
        total += 6 + contentTokens(b['content']);
        break;
      case 'thinking':
        total += tokenCount(typeof b['thinking'] === 'string' ? b['thinking'] : '');
        break;
      default:
        total += 4;
    }
  }
  return total;
}

export interface InputCount {
  readonly total: number;
  /** tokens of the blocks up to the last `cache_control` breakpoint (0 without one) */
  readonly cacheablePrefix: number;
}

function hasCacheControl(v: unknown): boolean {
  return isObject(v) && isObject(v['cache_control']);
}

/** The input tokens of a Messages (or count_tokens) body. */
export function countInput(body: Json): InputCount {
  let total = 0;
  let prefix = 0;
  const tools = body['tools'];
  if (Array.isArray(tools) && tools.length > 0) {
    let custom = false;
    let web = 0;
    for (const t of tools.slice(0, MAX_BLOCKS)) {
      if (!isObject(t)) continue;
      if (t['type'] === undefined || t['type'] === 'custom') custom = true;
      if (typeof t['type'] === 'string' && /^web_(?:search|fetch)_20\d{6}$/.test(t['type'])) web++;
      total += 8 + tokenCount(JSON.stringify(t).slice(0, 65536));
      if (hasCacheControl(t)) prefix = total;
    }
    if (custom) total += TOOL_PROMPT;
    if (web > 0) total += WEB_TOOL_PROMPT + (web - 1) * 600;
  }
  const system = body['system'];
  if (typeof system === 'string') total += tokenCount(system) + (system === '' ? 0 : 3);
  else if (Array.isArray(system)) {
    for (const b of system.slice(0, MAX_BLOCKS)) {
      if (!isObject(b)) continue;
      total += tokenCount(typeof b['text'] === 'string' ? b['text'] : '') + 1;
      if (hasCacheControl(b)) prefix = total;
    }
    total += 2;
  }
  const messages = body['messages'];
  if (Array.isArray(messages)) {
    const n = Math.min(messages.length, MAX_MESSAGES);
    for (let i = 0; i < n; i++) {
      const msg: unknown = messages[i];
      if (!isObject(msg)) continue;
      total += (i === 0 ? 7 : 3) + contentTokens(msg['content']);
      const c = msg['content'];
      if (Array.isArray(c) && c.slice(0, MAX_BLOCKS).some(hasCacheControl)) prefix = total;
    }
  }
  const thinking = body['thinking'];
  if (isObject(thinking)) total += thinking['type'] === 'enabled' ? 29 : thinking['type'] === 'adaptive' ? 17 : 0;
  if (outputSchema(body) !== undefined) total += SCHEMA_PROMPT;
  return { total, cacheablePrefix: prefix };
}

/** The JSON schema of structured output (`output_config.format` or the beta `output_format`), if any. */
export function outputSchema(body: Json): Json | undefined {
  const cfg = body['output_config'];
  const fmt = isObject(cfg) && isObject(cfg['format']) ? cfg['format'] : body['output_format'];
  if (!isObject(fmt) || fmt['type'] !== 'json_schema') return undefined;
  return isObject(fmt['schema']) ? fmt['schema'] : {};
}
