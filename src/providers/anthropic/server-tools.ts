/**
 * Server tools on lure answers (docs/anthropic.md "Server tools"): when the client offers the web
 * search tool (`web_search_2025…`/`2026…`) or the web fetch tool (`web_fetch_…`) and the turn
 * calls for one, the decoy answers as the API does after running it, in the recorded layout
 * ([REC] an Opus 4.1 web-search stream, 2025-11):
 * - a `server_tool_use` block (`srvtoolu_01…`, name `web_search` with `{"query"}` or `web_fetch`
 *   with `{"url"}`), streamed as `input_json_delta` pieces starting with `""`;
 * - its result block, whole in `content_block_start`: `web_search_tool_result` with
 *   `web_search_result` entries (title, url, `encrypted_content`, `page_age`), or
 *   `web_fetch_tool_result` with a `web_fetch_result` (url, a text `document`, `retrieved_at`);
 * - then the lure's reply as text, citing the first result (`web_search_result_location`);
 * - `usage.server_tool_use` counts the requests; the results are billed as input, so the final
 *   `input_tokens` (JSON, and `message_delta` in a stream) exceed the `message_start` count.
 * Nothing is fetched or searched: results are made from the query (the `allowed_domains` /
 * `blocked_domains` of the tool honoured), fetched pages carry the lure's reply. Which turn calls
 * one: `tool_choice` naming it, `any` with no custom tool, or `auto` on a fresh user turn when no
 * custom tool is offered — web fetch when the user's text holds a URL, else web search.
 */
import { randomBytes } from 'node:crypto';
import { BASE58, randomFrom } from './headers.js';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export type ServerToolName = 'web_search' | 'web_fetch';

/** The server tools a request offers, by their API names. */
export function serverTools(body: Json): Map<ServerToolName, Json> {
  const out = new Map<ServerToolName, Json>();
  const tools = body['tools'];
  if (!Array.isArray(tools)) return out;
  for (const t of tools.slice(0, 256)) {
    if (!isObject(t) || typeof t['type'] !== 'string') continue;
    if (/^web_search_20\d{6}$/.test(t['type']) && !out.has('web_search')) out.set('web_search', t);
    if (/^web_fetch_20\d{6}$/.test(t['type']) && !out.has('web_fetch')) out.set('web_fetch', t);
  }
  return out;
}

const URL_IN_TEXT = /\bhttps?:\/\/[^\s<>"'`)\]]{1,2000}/i;

/**
 * The server tool this turn runs, or undefined. `customChosen`: a custom tool takes the turn.
 * `freshUserTurn`: the last message is the user's own text (not a tool result, not a prefill).
 */
export function chooseServerTool(body: Json, question: string, customOffered: boolean, freshUserTurn: boolean): ServerToolName | undefined {
  const offered = serverTools(body);
  if (offered.size === 0) return undefined;
  const choice = body['tool_choice'];
  const type = isObject(choice) ? choice['type'] : 'auto';
  if (type === 'none') return undefined;
  if (type === 'tool' && isObject(choice)) {
    const name = choice['name'];
    return name === 'web_search' || name === 'web_fetch' ? (offered.has(name) ? name : undefined) : undefined;
  }
  if (customOffered || (type !== 'any' && !freshUserTurn)) return undefined;
  if (offered.has('web_fetch') && URL_IN_TEXT.test(question)) return 'web_fetch';
  return offered.has('web_search') ? 'web_search' : 'web_fetch';
}

const STOP = new Set(['what', 'whats', 'who', 'where', 'when', 'why', 'how', 'is', 'are', 'was', 'the', 'a', 'an', 'of', 'for', 'to', 'me', 'tell', 'please', 'can', 'you', 'could', 'find', 'search', 'look', 'up', 'about', 'do', 'does', 'i', 'current', 'latest', 'in', 'on']);

/** A search query as the model writes one: the question's content words, at most eight. */
export function searchQuery(question: string): string {
  const words = question.replace(/https?:\/\/\S+/g, ' ').replace(/[^\p{L}\p{N}\s'.-]/gu, ' ').split(/\s+/).filter((w) => w !== '');
  const content = words.filter((w) => !STOP.has(w.toLowerCase().replace(/'s$/, '')));
  const picked = (content.length > 0 ? content : words).slice(0, 8).join(' ');
  return picked === '' ? 'latest news' : picked.slice(0, 120);
}

function title(words: string): string {
  return words.split(' ').map((w) => (w.length > 3 ? w[0]!.toUpperCase() + w.slice(1) : w)).join(' ');
}

function slug(words: string): string {
  return words.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60) || 'topic';
}

/** Opaque base64 of the API's encrypted blobs (a protobuf-looking head, then random bytes). */
function encrypted(bytes: number): string {
  return `E${'opqr'[randomBytes(1)[0]! % 4]}${randomBytes(bytes).toString('base64').slice(2)}`;
}

interface Site {
  readonly domain: string;
  readonly url: (q: string) => string;
  readonly title: (q: string) => string;
}

const SITES: readonly Site[] = [
  { domain: 'en.wikipedia.org', url: (q) => `https://en.wikipedia.org/wiki/${title(q).replace(/ /g, '_')}`, title: (q) => `${title(q)} - Wikipedia` },
  { domain: 'www.reuters.com', url: (q) => `https://www.reuters.com/world/${slug(q)}-2026-11-${String(10 + (q.length % 18)).padStart(2, '0')}/`, title: (q) => `${title(q)}: what we know | Reuters` },
  { domain: 'apnews.com', url: (q) => `https://apnews.com/article/${slug(q)}-${randomFrom('0123456789abcdef', 32)}`, title: (q) => `${title(q)} | AP News` },
  { domain: 'www.theverge.com', url: (q) => `https://www.theverge.com/news/${100000 + (q.length * 7919) % 800000}/${slug(q)}`, title: (q) => `${title(q)} | The Verge` },
  { domain: 'www.bbc.com', url: () => `https://www.bbc.com/news/articles/c${randomFrom('0123456789abcdefghijklmnopqrstuvwxyz', 10)}o`, title: (q) => `${title(q)} - BBC News` },
  { domain: 'github.com', url: (q) => `https://github.com/topics/${slug(q)}`, title: (q) => `${slug(q)} · GitHub Topics · GitHub` },
  { domain: 'stackoverflow.com', url: (q) => `https://stackoverflow.com/questions/${70000000 + (q.length * 104729) % 9000000}/${slug(q)}`, title: (q) => `${title(q)} - Stack Overflow` },
];

function pageAge(now: number, i: number): string | null {
  if (i % 3 === 1) return null;
  if (i % 3 === 0) return `${1 + ((now / 3_600_000 + i) % 6 | 0)} days ago`;
  const d = new Date(now - (20 + i * 11) * 86_400_000);
  return d.toLocaleDateString('en-US', { month: 'long', day: 'numeric', year: 'numeric', timeZone: 'UTC' });
}

function domains(tool: Json | undefined, key: string): string[] {
  const v = tool?.[key];
  return Array.isArray(v) ? v.filter((d): d is string => typeof d === 'string' && /^[a-z0-9.-]{1,253}(\/[^\s]*)?$/i.test(d)).slice(0, 20) : [];
}

/** Search results for a query: the tool's allowed domains when it names them, never a blocked one. */
export function searchResults(query: string, tool: Json | undefined, now = Date.now()): Json[] {
  const allowed = domains(tool, 'allowed_domains');
  const blocked = domains(tool, 'blocked_domains').map((d) => d.toLowerCase());
  const isBlocked = (domain: string): boolean => blocked.some((b) => domain === b || domain.endsWith(`.${b}`) || domain === `www.${b}`);
  const sites: Site[] = allowed.length > 0
    ? allowed.map((d) => {
        const host = d.split('/')[0]!.toLowerCase();
        return { domain: host, url: (q: string) => `https://${host}/${slug(q)}`, title: (q: string) => `${title(q)} | ${host.replace(/^www\./, '')}` };
      })
    : SITES.filter((s) => !isBlocked(s.domain));
  return sites.slice(0, 5).map((s, i) => ({
    type: 'web_search_result',
    title: s.title(query),
    url: s.url(query),
    encrypted_content: encrypted(700 + (randomBytes(2).readUInt16BE(0) % 1400)),
    page_age: pageAge(now, i),
  }));
}

export function serverToolUseId(): string {
  return `srvtoolu_01${randomFrom(BASE58, 22)}`;
}

/** The URL a fetch turn fetches: the first in the user's text. */
export function fetchUrl(question: string): string {
  return (URL_IN_TEXT.exec(question)?.[0] ?? 'https://example.com/').replace(/[.,;:!?]+$/, '');
}

/** A fetched page: a text document with the lure's reply as its content. */
export function fetchResult(url: string, reply: string, now = Date.now()): Json {
  let host = 'page';
  try {
    host = new URL(url).hostname.replace(/^www\./, '');
  } catch {
    /* the URL as given */
  }
  return {
    type: 'web_fetch_result',
    url,
    content: { type: 'document', source: { type: 'text', media_type: 'text/plain', data: reply }, title: host, citations: null },
    retrieved_at: new Date(now - 2000).toISOString(),
  };
}

/** A citation of a search result for a cited text block. */
export function citation(result: Json, citedText: string): Json {
  return {
    type: 'web_search_result_location',
    cited_text: citedText.slice(0, 150),
    url: result['url'],
    title: result['title'],
    encrypted_index: encrypted(90 + (randomBytes(1)[0]! % 60)),
  };
}

/** Input tokens the results add (billed as input when the model reads them). */
export function resultTokens(results: readonly Json[], fetchedTokens: number): number {
  return results.length * 820 + fetchedTokens;
}
