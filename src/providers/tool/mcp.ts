/**
 * MCP behind the gateway (issue 10, part 5; MCP spec 2025-06-18, "Streamable HTTP" transport):
 * JSON-RPC 2.0 bodies of POST requests are checked against the route's method and tool lists
 * (`tools/call` by `params.name`) before the server sees them; GET (the server's SSE stream) and
 * DELETE (session end) carry no body and pass. Lifecycle methods (`initialize`, `ping`,
 * `notifications/initialized`, `notifications/cancelled`) pass an allow list unless denied by name,
 * so an allow list of tools methods still lets a client connect.
 * The decoy answers lure calls as a small MCP server would: initialize with a session id, tool
 * lists and tool results from fixtures, the lure reply with canaries otherwise.
 */
import type { FixtureConfig } from './config.js';

const MAX_BATCH = 100;

const LIFECYCLE = new Set(['initialize', 'ping', 'notifications/initialized', 'notifications/cancelled']);

export interface NameList {
  readonly allow: ReadonlySet<string>;
  /** `prefix/*` entries of allow */
  readonly allowPrefixes: readonly string[];
  readonly deny: ReadonlySet<string>;
  readonly denyPrefixes: readonly string[];
}

export function nameList(list: { readonly allow: readonly string[]; readonly deny: readonly string[] }): NameList {
  const split = (xs: readonly string[]): [Set<string>, string[]] => [
    new Set(xs.filter((x) => !x.endsWith('*'))),
    xs.filter((x) => x.endsWith('*')).map((x) => x.slice(0, -1)),
  ];
  const [allow, allowPrefixes] = split(list.allow);
  const [deny, denyPrefixes] = split(list.deny);
  return { allow, allowPrefixes, deny, denyPrefixes };
}

function listed(set: ReadonlySet<string>, prefixes: readonly string[], name: string): boolean {
  return set.has(name) || prefixes.some((p) => name.startsWith(p));
}

/** Deny wins; an empty allow list allows all. */
export function passes(list: NameList, name: string, lifecycle = false): boolean {
  if (listed(list.deny, list.denyPrefixes, name)) return false;
  if (list.allow.size === 0 && list.allowPrefixes.length === 0) return true;
  return lifecycle || listed(list.allow, list.allowPrefixes, name);
}

export interface JsonRpcMessage {
  readonly jsonrpc: '2.0';
  readonly id?: string | number | null;
  readonly method?: string;
  readonly params?: unknown;
  readonly result?: unknown;
  readonly error?: unknown;
}

export type JsonRpcCheck =
  | { readonly kind: 'ok'; readonly messages: readonly JsonRpcMessage[]; readonly operation: string }
  | { readonly kind: 'invalid'; readonly detail: string }
  | { readonly kind: 'denied'; readonly operation: string };

function isId(v: unknown): boolean {
  return v === undefined || v === null || typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
}

/** Validate JSON-RPC 2.0 structure (§4, §5) of an already parsed body. */
function parseJsonRpc(doc: unknown): { ok: true; messages: JsonRpcMessage[] } | { ok: false; detail: string } {
  const list = Array.isArray(doc) ? doc : [doc];
  if (list.length === 0) return { ok: false, detail: 'An empty JSON-RPC batch.' };
  if (list.length > MAX_BATCH) return { ok: false, detail: `A JSON-RPC batch of more than ${MAX_BATCH} messages.` };
  const messages: JsonRpcMessage[] = [];
  for (const [i, m] of list.entries()) {
    const where = Array.isArray(doc) ? ` (message ${i})` : '';
    if (m === null || typeof m !== 'object' || Array.isArray(m)) return { ok: false, detail: `Not a JSON-RPC 2.0 message${where}.` };
    const o = m as Record<string, unknown>;
    if (o['jsonrpc'] !== '2.0') return { ok: false, detail: `A JSON-RPC message needs "jsonrpc": "2.0"${where}.` };
    if (!isId(o['id'])) return { ok: false, detail: `A JSON-RPC id is a string, a number or null${where}.` };
    const method = o['method'];
    if (method !== undefined) {
      if (typeof method !== 'string' || method === '' || method.length > 256) return { ok: false, detail: `A JSON-RPC method is a non-empty string${where}.` };
      const params = o['params'];
      if (params !== undefined && (params === null || typeof params !== 'object')) return { ok: false, detail: `JSON-RPC params are an object or an array${where}.` };
    } else if (!('result' in o) && !('error' in o)) {
      return { ok: false, detail: `A JSON-RPC message is a request, a notification or a response${where}.` };
    }
    messages.push(o as unknown as JsonRpcMessage);
  }
  return { ok: true, messages };
}

function toolName(m: JsonRpcMessage): string | undefined {
  const params = m.params;
  if (params === null || typeof params !== 'object' || Array.isArray(params)) return undefined;
  const name = (params as Record<string, unknown>)['name'];
  return typeof name === 'string' ? name : undefined;
}

/** Check every message against the route lists; the operation names the first request for the audit. */
export function checkJsonRpc(doc: unknown, methods: NameList, tools: NameList): JsonRpcCheck {
  const parsed = parseJsonRpc(doc);
  if (!parsed.ok) return { kind: 'invalid', detail: parsed.detail };
  let operation = '';
  for (const m of parsed.messages) {
    if (m.method === undefined) continue;
    let op = m.method;
    if (m.method === 'tools/call') {
      const name = toolName(m);
      if (name === undefined) return { kind: 'invalid', detail: 'tools/call needs params.name (a string).' };
      op = `tools/call:${name.slice(0, 128)}`;
      if (!passes(methods, m.method) || !passes(tools, name)) return { kind: 'denied', operation: op };
    } else if (!passes(methods, m.method, LIFECYCLE.has(m.method))) {
      return { kind: 'denied', operation: op.slice(0, 160) };
    }
    if (operation === '') operation = op.slice(0, 160);
  }
  if (parsed.messages.length > 1) operation = `${operation || 'response'} (+${parsed.messages.length - 1})`;
  return { kind: 'ok', messages: parsed.messages, operation: operation || 'response' };
}

const DECOY_PROTOCOL_VERSIONS = ['2025-06-18', '2025-03-26', '2024-11-05'] as const;

export interface McpDecoyInput {
  readonly messages: readonly JsonRpcMessage[];
  readonly serverName: string;
  readonly fixtures: Readonly<Record<string, FixtureConfig>>;
  /** the lure reply with canaries already minted (tools without a fixture) */
  readonly reply: string;
  /** fill canary placeholders of a fixture */
  readonly fill: (value: unknown) => unknown;
}

export interface McpDecoyAnswer {
  /** JSON-RPC responses to send (empty: notifications only → 202) */
  readonly responses: unknown[];
  /** true when an initialize was answered: a new session id goes with it */
  readonly initialized: boolean;
}

function toolList(fixtures: Readonly<Record<string, FixtureConfig>>, fill: (v: unknown) => unknown): unknown {
  const listed = fixtures['tools/list'];
  if (listed) return fill(listed.body);
  const names = Object.keys(fixtures)
    .filter((k) => k.startsWith('tool:'))
    .map((k) => k.slice(5));
  const tools = (names.length > 0 ? names : ['search']).map((name) => ({
    name,
    description: `Run ${name}.`,
    inputSchema: { type: 'object', properties: { query: { type: 'string' } } },
  }));
  return { tools };
}

function toolResult(name: string, input: McpDecoyInput): unknown {
  const fixture = input.fixtures[`tool:${name}`];
  if (!fixture) return { content: [{ type: 'text', text: input.reply }], isError: false };
  const body = input.fill(fixture.body);
  if (body !== null && typeof body === 'object' && Array.isArray((body as { content?: unknown }).content)) return body;
  return { content: [{ type: 'text', text: typeof body === 'string' ? body : JSON.stringify(body) }], isError: false };
}

/** Answers of the built-in MCP decoy to one POST body. */
export function mcpDecoy(input: McpDecoyInput): McpDecoyAnswer {
  const responses: unknown[] = [];
  let initialized = false;
  for (const m of input.messages) {
    if (m.method === undefined || m.id === undefined) continue; // notifications and responses
    const id = m.id;
    const ok = (result: unknown): number => responses.push({ jsonrpc: '2.0', id, result });
    switch (m.method) {
      case 'initialize': {
        const asked = (m.params as { protocolVersion?: unknown } | undefined)?.protocolVersion;
        const version = typeof asked === 'string' && (DECOY_PROTOCOL_VERSIONS as readonly string[]).includes(asked) ? asked : DECOY_PROTOCOL_VERSIONS[0];
        initialized = true;
        ok({ protocolVersion: version, capabilities: { tools: { listChanged: false } }, serverInfo: { name: input.serverName, version: '1.4.2' } });
        break;
      }
      case 'ping':
        ok({});
        break;
      case 'tools/list':
        ok(toolList(input.fixtures, input.fill));
        break;
      case 'tools/call':
        ok(toolResult(toolName(m) ?? '', input));
        break;
      case 'resources/list':
        ok({ resources: [] });
        break;
      case 'prompts/list':
        ok({ prompts: [] });
        break;
      default:
        responses.push({ jsonrpc: '2.0', id, error: { code: -32601, message: 'Method not found' } });
    }
  }
  return { responses, initialized };
}
