/** The tool provider's checks of an accepted credential's request: scopes, identity headers, body size, MCP lists, the OpenAPI document. */
import type { Classification } from '../../core/keyring.js';
import type { RequestRefusal } from '../../core/verdict.js';
import type { Exchange } from '../../core/exchange.js';
import type { GatewayState } from '../../core/provider.js';
import { declaredTooLarge, parseJson, readBody } from '../../util/body.js';
import { checkJsonRpc } from './mcp.js';

import { H, SAFE_ID, UNSAFE_PATH, header, method, type Problem, type ToolCall } from './call.js';

function withRefusal(c: Classification, refusal: RequestRefusal): Classification {
  return { ...c, refusal };
}

export async function inspect(ex: Exchange, call: ToolCall, accepted: Classification, state: GatewayState): Promise<Classification> {
  const route = call.route;
  if (call.failure === 'scope') return withRefusal(accepted, 'insufficient_scope');
  const identity = readIdentity(ex, call);
  if (identity) {
    call.problem = identity;
    return withRefusal(accepted, 'request_invalid');
  }
  const m = method(ex);
  if (UNSAFE_PATH.test(call.rest)) {
    call.problem = { code: 'HG_TOOL_BAD_REQUEST', detail: 'The request path has dot segments or encoded separators.' };
    return withRefusal(accepted, 'request_invalid');
  }
  if (declaredTooLarge(ex.req, route.maxBodyBytes)) {
    call.problem = { code: 'HG_TOOL_TOO_LARGE', detail: `The request body is larger than ${route.maxBodyBytes} bytes.` };
    return withRefusal(accepted, 'request_invalid');
  }
  const needsBody = m !== 'GET' && m !== 'HEAD' && (route.mcp !== undefined || route.openapi !== undefined);
  let json: unknown;
  if (needsBody) {
    const body = await readBody(ex.req, route.maxBodyBytes);
    if (!body.ok) {
      call.problem =
        body.reason === 'too_large'
          ? { code: 'HG_TOOL_TOO_LARGE', detail: `The request body is larger than ${route.maxBodyBytes} bytes.` }
          : { code: 'HG_TOOL_BAD_REQUEST', detail: 'The request body was cut off.' };
      if (body.reason === 'aborted' && !ex.res.destroyed) ex.res.destroy();
      return withRefusal(accepted, 'request_invalid');
    }
    call.body = body.body;
    if (body.body.length > 0) {
      json = parseJson(body.body);
      if (json === undefined) {
        call.problem = { code: 'HG_TOOL_INVALID_REQUEST', detail: 'The request body is not valid JSON.' };
        return withRefusal(accepted, 'request_invalid');
      }
    }
  }
  if (route.mcp) {
    if (m !== 'POST') {
      ex.tool = { operation: m === 'GET' ? 'stream' : m === 'DELETE' ? 'session/end' : m };
      return accepted;
    }
    if (json === undefined) {
      call.problem = { code: 'HG_TOOL_INVALID_REQUEST', detail: 'A JSON-RPC 2.0 message is required.' };
      return withRefusal(accepted, 'request_invalid');
    }
    const check = checkJsonRpc(json, route.mcp.methods, route.mcp.tools);
    if (check.kind === 'invalid') {
      call.problem = { code: 'HG_TOOL_INVALID_REQUEST', detail: check.detail };
      return withRefusal(accepted, 'request_invalid');
    }
    ex.tool = { operation: check.operation };
    if (check.kind === 'denied') return withRefusal(accepted, 'operation_denied');
    call.messages = check.messages;
    call.batch = Array.isArray(json);
    return accepted;
  }
  if (route.openapi) {
    const guard = await route.openapi;
    if (!guard) return withRefusal(accepted, 'route_unavailable');
    const query = call.query.startsWith('?') ? call.query.slice(1) : call.query;
    const check = guard.check({ method: m, path: call.rest === '' ? '/' : call.rest, query, headers: ex.req.headers, body: json });
    if (check.kind === 'unknown') return withRefusal(accepted, 'operation_unknown');
    call.operation = check.operation;
    if (check.kind === 'invalid') {
      call.problem = { code: 'HG_TOOL_INVALID_REQUEST', detail: 'The request does not match the API description.', extra: { errors: check.problems } };
      return withRefusal(accepted, 'request_invalid');
    }
  }
  void state;
  return accepted;
}

/** Identity headers: absent is fine, malformed is the caller's error. */
export function readIdentity(ex: Exchange, call: ToolCall): Problem | null {
  const route = call.route.config;
  const read = (name: string): string | undefined | null => {
    const v = header(ex, name);
    if (v === undefined) return undefined;
    return SAFE_ID.test(v) ? v : null;
  };
  const fields: [keyof Pick<ToolCall, 'user' | 'conversation' | 'session' | 'gpt'>, string][] = [
    ['user', route.identity.user_header],
    ['conversation', route.identity.conversation_header],
    ['session', H.session],
    ['gpt', H.gpt],
  ];
  for (const [field, name] of fields) {
    const v = read(name);
    if (v === null) return { code: 'HG_TOOL_BAD_REQUEST', detail: `The ${name} header is malformed.` };
    if (v !== undefined) call[field] = v;
  }
  if (call.principal?.user !== undefined) call.user = call.principal.user;
  return null;
}
