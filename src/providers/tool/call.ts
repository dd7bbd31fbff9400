/**
 * What the tool provider learns about one request (the per-request call object's state) and the
 * helpers every stage shares.
 */
import type { Exchange } from '../../core/exchange.js';
import { type JsonRpcMessage } from './mcp.js';
import { type TokenFailure, type TokenPrincipal } from './oauth.js';
import type { OperationMatch } from './openapi.js';
import { type ToolProblemCode } from './problem.js';
import { type CompiledRoute } from './route.js';

/** Identity headers ChatGPT sends to actions and MCP's session header. */
export const H = {
  gpt: 'openai-gpt-id',
  region: 'openai-subdivision-1-iso-code',
  session: 'mcp-session-id',
} as const;
/** A header value usable as an id: visible ASCII, bounded. */
export const SAFE_ID = /^[\x21-\x7e]{1,256}$/;
export const SAFE_SECRET = /^[\x21-\x7e]{1,4096}$/;
export const GATEWAY_HEADER = /^x-honeygate-/;
/**
 * Dot segments (RFC 3986 §5.2.4), encoded slashes and backslashes would let a path leave the
 * upstream base path once the upstream normalises it (`/weather/../admin` → `/admin`): refused.
 */
export const UNSAFE_PATH = /(^|\/)(\.|%2e){1,2}(\/|$)|%2f|%5c|\\/i;

export interface Problem {
  readonly code: ToolProblemCode;
  readonly detail?: string;
  readonly extra?: Readonly<Record<string, unknown>>;
}

/** What the tool provider learned about one request (held by its call object, dropped with it). */
export interface ToolCall {
  readonly route: CompiledRoute;
  /** path below the route prefix ('' for the prefix itself) */
  readonly rest: string;
  /** '?…' or '' */
  readonly query: string;
  malformedCredential?: string;
  presented?: string;
  via?: 'secret' | 'oauth' | 'public';
  failure?: TokenFailure;
  principal?: TokenPrincipal;
  user?: string;
  conversation?: string;
  session?: string;
  gpt?: string;
  body?: Buffer;
  messages?: readonly JsonRpcMessage[];
  batch?: boolean;
  operation?: OperationMatch;
  problem?: Problem;
  tooLarge?: boolean;
}

export function header(ex: Exchange, name: string): string | undefined {
  const v = ex.req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function method(ex: Exchange): string {
  return ex.req.method ?? 'GET';
}

