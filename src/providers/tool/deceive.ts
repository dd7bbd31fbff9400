/** The tool provider's deceive stage: a lure upstream, or built-in answers (fixtures, OpenAPI schemas, the MCP decoy) with canaries. */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { lureReply } from '../../deception/lure.js';
import type { KeyRecord } from '../../core/keyring.js';
import type { Exchange } from '../../core/exchange.js';
import type { GatewayState } from '../../core/provider.js';
import { mcpDecoy } from './mcp.js';
import { writeProblem } from './problem.js';

import { method, type ToolCall } from './call.js';
import { send } from './forward.js';

const CANARY_FIELDS: readonly [RegExp, string][] = [
  [/(^|_|-)(url|uri|link|href|endpoint|webhook)$/i, '{{canary:url}}'],
  [/(^|_|-)(password|passwd)$/i, '{{canary:password}}'],
  [/(^|_|-)(api_?key|token|secret|access_?key)$/i, '{{canary:token}}'],
  [/(^|_|-)(host|hostname|server)$/i, '{{canary:hostname}}'],
];

/** Mocked data with canary placeholders where a field looks like a link, a secret or a host. */
function canaryize(value: unknown, key = ''): unknown {
  if (typeof value === 'string') {
    for (const [re, placeholder] of CANARY_FIELDS) if (re.test(key)) return placeholder;
    return value;
  }
  if (Array.isArray(value)) return value.map((v) => canaryize(v, key));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = canaryize(v, k);
    return out;
  }
  return value;
}

async function writeMinted(ex: Exchange, record: KeyRecord, state: GatewayState, status: number, contentType: string, template: string, extraHeaders: Record<string, string> = {}): Promise<void> {
  const minted = await lureReply(ex, record, template, state);
  if (minted.canaries.length > 0) ex.lure = { ...ex.lure, canaries: minted.canaries };
  if (ex.res.destroyed) return;
  const body = Buffer.from(minted.text);
  ex.res.writeHead(status, { 'content-type': contentType, 'content-length': body.length, ...extraHeaders });
  ex.res.end(method(ex) === 'HEAD' ? undefined : body);
}

async function deceiveMcp(ex: Exchange, record: KeyRecord, call: ToolCall, state: GatewayState): Promise<void> {
  const m = method(ex);
  if (m === 'GET') {
    writeProblem(ex.res, 'HG_TOOL_METHOD_NOT_ALLOWED', { headers: { allow: 'POST, DELETE' } });
    return;
  }
  if (m === 'DELETE') {
    ex.res.writeHead(200, { 'content-length': 0 });
    ex.res.end();
    return;
  }
  const fixtures = call.route.config.lure.fixtures;
  const answer = mcpDecoy({ messages: call.messages ?? [], serverName: call.route.name, fixtures, reply: call.route.lure.reply, fill: (v) => v });
  const session = answer.initialized ? randomUUID() : (call.session ?? randomUUID());
  if (answer.responses.length === 0) {
    ex.res.writeHead(202, { 'content-length': 0, 'mcp-session-id': session });
    ex.res.end();
    return;
  }
  const payload = call.batch ? answer.responses : answer.responses[0];
  await writeMinted(ex, record, state, 200, 'application/json', JSON.stringify(payload), { 'mcp-session-id': session });
}

export async function deceive(ex: Exchange, record: KeyRecord, call: ToolCall, state: GatewayState): Promise<void> {
  const route = call.route;
  ex.upstream = route.lureUpstream ? `${route.name}:lure` : 'decoy';
  if (route.lure.responseDelayMs > 0) await sleep(route.lure.responseDelayMs);
  if (ex.res.destroyed) return;
  if (route.lureUpstream) {
    await send(ex, call, route.lureUpstream, false);
    return;
  }
  if (route.mcp) {
    await deceiveMcp(ex, record, call, state);
    return;
  }
  const fixtures = route.config.lure.fixtures;
  const m = method(ex);
  const op = call.operation;
  const fixture = (op?.operationId !== undefined ? fixtures[op.operationId] : undefined) ?? (op ? fixtures[`${op.method} ${op.template}`] : undefined) ?? fixtures[`${m} ${call.rest || '/'}`];
  if (fixture) {
    const text = typeof fixture.body === 'string' && !fixture.content_type.includes('json') ? fixture.body : JSON.stringify(fixture.body ?? null);
    await writeMinted(ex, record, state, fixture.status, fixture.content_type, text);
    return;
  }
  if (op?.operationId !== undefined && route.openapi) {
    const guard = await route.openapi;
    const mock = guard?.mock(op.operationId);
    if (mock) {
      await writeMinted(ex, record, state, mock.status, 'application/json', JSON.stringify(canaryize(mock.body)));
      return;
    }
  }
  await writeMinted(ex, record, state, 200, 'application/json', JSON.stringify({ message: route.lure.reply }));
}

