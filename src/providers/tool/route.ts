/**
 * Tool routes compiled once per runtime (issue 10): matching by Host and/or path prefix (on a
 * segment boundary, most specific first; `/v1/*` left to the OpenAI surface unless a route asks),
 * the upstream pool (src/upstream/forward.ts), network lists with presets, the secret set, the OAuth
 * verifier, the MCP lists, the OpenAPI guard (loaded in the background; until it is ready, or if it
 * fails, the route answers 503: fail closed), limits and the lure policy. Rebuilt whole on reload.
 */
import type { BlockList } from 'node:net';
import type { Config } from '../../config/schema.js';
import { cidrList, inList, rateLimitIp } from '../../core/identity.js';
import type { LurePolicy } from '../../core/keyring.js';
import type { LimitCheck } from '../../store/types.js';
import { HttpUpstream } from '../../core/forward.js';
import { sha256Hex } from '../../util/hash.js';
import type { ToolLimitRule, ToolRouteConfig } from './config.js';
import { nameList, type NameList } from './mcp.js';
import { OAuthVerifier } from './oauth.js';
import { OpenApiGuard } from './openapi.js';
import { PresetRegistry } from './presets.js';
import { SecretSet } from './secrets.js';

const METADATA_PREFIX = '/.well-known/oauth-protected-resource';

interface NetworkSide {
  readonly cidrs: BlockList | null;
  readonly presets: readonly string[];
  readonly empty: boolean;
}

function side(entries: readonly string[]): NetworkSide {
  const presets = entries.filter((e) => e.startsWith('preset:')).map((e) => e.slice(7));
  return { cidrs: cidrList(entries.filter((e) => !e.startsWith('preset:'))), presets, empty: entries.length === 0 };
}

export interface CompiledRoute {
  readonly config: ToolRouteConfig;
  readonly name: string;
  /** lower-case host, with port when the config gave one */
  readonly host?: string;
  readonly hostHasPort: boolean;
  /** the prefix without a trailing slash ('' for '/') */
  readonly prefix: string;
  readonly upstream: HttpUpstream;
  /** the upstream URL's own path, without trailing slash */
  readonly upstreamPath: string;
  readonly lureUpstream?: HttpUpstream;
  readonly allow: NetworkSide;
  readonly deny: NetworkSide;
  readonly secrets: SecretSet;
  readonly oauth?: OAuthVerifier;
  readonly mcp?: { readonly methods: NameList; readonly tools: NameList };
  /** resolves to the guard, or null when the document could not be loaded */
  readonly openapi?: Promise<OpenApiGuard | null>;
  readonly maxBodyBytes: number;
  readonly lure: LurePolicy;
  /** `RateLimit-Policy` value (draft-ietf-httpapi-ratelimit-headers), or undefined without limits */
  readonly ratePolicy?: string;
  /** RFC 9728 metadata path for this route (oauth routes with resource_metadata) */
  readonly metadataPath?: string;
}

/** The resource identifier (RFC 9728 §1.2 / RFC 8707) of a route: configured, or derived. */
export function resourceOf(route: CompiledRoute, publicUrl: string): string {
  const configured = route.config.auth.oauth?.resource;
  if (configured !== undefined) return configured;
  const base = route.host !== undefined ? `https://${route.host}` : publicUrl.replace(/\/$/, '');
  return `${base}${route.prefix === '' ? '/' : route.prefix}`;
}

function metadataPathOf(config: ToolRouteConfig, prefix: string): string | undefined {
  const oauth = config.auth.oauth;
  if (!oauth || !oauth.resource_metadata) return undefined;
  // RFC 9728 §3.1: the well-known segment goes between the host and the resource's path
  const path = oauth.resource !== undefined ? new URL(oauth.resource).pathname.replace(/\/$/, '') : prefix;
  return `${METADATA_PREFIX}${path}`;
}

function ratePolicy(route: ToolRouteConfig): string | undefined {
  const parts = route.limits.rules.map((r) => `"${r.name}";q=${r.limit};w=${Math.ceil(r.window / 1000)}`);
  const s = route.limits.service;
  if (s) parts.push(`"service";q=${s.limit};w=${Math.ceil(s.window / 1000)}`);
  return parts.length > 0 ? parts.join(', ') : undefined;
}

function compileRoute(r: ToolRouteConfig, config: Readonly<Config>, onError: (message: string) => void): CompiledRoute {
  const prefix = r.prefix.replace(/\/+$/, '');
  const host = r.host?.toLowerCase();
  const upstreamUrl = new URL(r.upstream);
  const d = config.lure_defaults;
  // tool lures never pace like a model (a spread, so LurePolicy may grow fields without an edit here)
  const pacing = { realisticTiming: false };
  const lure: LurePolicy = {
    ...pacing,
    prompt: '',
    reply: r.lure.reply,
    maxRequests: r.lure.max_requests ?? d.max_requests,
    blockDurationMs: r.lure.block_duration ?? d.block_duration,
    responseDelayMs: r.lure.response_delay ?? d.response_delay,
  };
  let openapi: Promise<OpenApiGuard | null> | undefined;
  if (r.openapi) {
    const file = r.openapi.file;
    openapi = OpenApiGuard.load(file, r.openapi.validate_body).catch((e: unknown) => {
      onError(`route ${r.name}: OpenAPI document ${file} not loaded (${e instanceof Error ? e.message : String(e)}); the route answers 503`);
      return null;
    });
  }
  const compiled: CompiledRoute = {
    config: r,
    name: r.name,
    ...(host !== undefined ? { host } : {}),
    hostHasPort: host !== undefined && /:\d+$/.test(host),
    prefix,
    upstream: new HttpUpstream({ url: r.upstream, timeoutMs: r.timeout, connections: r.connections }),
    upstreamPath: upstreamUrl.pathname.replace(/\/+$/, ''),
    ...(r.lure.upstream !== undefined ? { lureUpstream: new HttpUpstream({ url: r.lure.upstream, timeoutMs: r.timeout, connections: 16 }) } : {}),
    allow: side(r.network.allow),
    deny: side(r.network.deny),
    secrets: new SecretSet(r.auth.secrets),
    ...(r.auth.oauth ? { oauth: new OAuthVerifier(r.auth.oauth) } : {}),
    ...(r.mcp ? { mcp: { methods: nameList(r.mcp.methods), tools: nameList(r.mcp.tools) } } : {}),
    ...(openapi ? { openapi } : {}),
    maxBodyBytes: r.max_body_bytes ?? config.max_body_bytes,
    lure,
  };
  const policy = ratePolicy(r);
  const metadataPath = metadataPathOf(r, prefix);
  return {
    ...compiled,
    ...(policy !== undefined ? { ratePolicy: policy } : {}),
    ...(metadataPath !== undefined ? { metadataPath } : {}),
  };
}

export type RouteMatch = { readonly kind: 'api' | 'metadata'; readonly route: CompiledRoute; readonly rest: string };

function hostMatches(route: CompiledRoute, hostHeader: string | undefined): boolean {
  if (route.host === undefined) return true;
  if (hostHeader === undefined) return false;
  const host = hostHeader.toLowerCase();
  if (route.hostHasPort) return host === route.host;
  const bare = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d+$/, '');
  return bare === route.host;
}

function under(path: string, prefix: string): string | null {
  if (prefix === '') return path;
  if (path === prefix) return '';
  return path.startsWith(`${prefix}/`) ? path.slice(prefix.length) : null;
}

const OPENAI_PATH = /^\/v1(\/|$)/;

export class ToolRuntime {
  readonly routes: readonly CompiledRoute[];
  readonly presets: PresetRegistry;
  /** the first preset loads and OpenAPI documents (tests and `serve` may wait on it) */
  readonly #loading: Promise<unknown>;

  constructor(config: Readonly<Config>, onError: (message: string) => void = (m) => process.emitWarning(`honeygate: ${m}`)) {
    this.presets = new PresetRegistry(config.cidr_presets, (name, message) => onError(`CIDR preset ${name}: refresh failed, last good list kept (${message})`));
    const routes = config.routes.map((r) => compileRoute(r, config, onError));
    // most specific first: a Host before none, then the longer prefix
    this.routes = [...routes].sort((a, b) => Number(b.host !== undefined) - Number(a.host !== undefined) || b.prefix.length - a.prefix.length);
    this.#loading = Promise.all([this.presets.start(), ...this.routes.map((r) => r.openapi)]);
  }

  ready(): Promise<unknown> {
    return this.#loading;
  }

  match(path: string, hostHeader: string | undefined, method: string): RouteMatch | null {
    for (const route of this.routes) {
      if (!hostMatches(route, hostHeader)) continue;
      if (route.metadataPath !== undefined && (method === 'GET' || method === 'HEAD') && path === route.metadataPath) return { kind: 'metadata', route, rest: '' };
    }
    const openai = OPENAI_PATH.test(path);
    for (const route of this.routes) {
      if (!hostMatches(route, hostHeader)) continue;
      if (openai && !route.config.shadow_openai && !OPENAI_PATH.test(route.prefix)) continue;
      const rest = under(path, route.prefix);
      if (rest !== null) return { kind: 'api', route, rest };
    }
    return null;
  }

  networkAllowed(route: CompiledRoute, ip: string): boolean {
    const hit = (s: NetworkSide): boolean => inList(s.cidrs, ip) || s.presets.some((p) => this.presets.contains(p, ip));
    if (!route.deny.empty && hit(route.deny)) return false;
    return route.allow.empty || hit(route.allow);
  }

  async close(): Promise<void> {
    this.presets.close();
    await Promise.all(this.routes.flatMap((r) => [r.upstream.close(), r.lureUpstream?.close()]));
  }
}

/** What a limit rule counts per, for one call. */
export interface CallIdentity {
  readonly ip: string;
  readonly key: string;
  readonly user?: string;
  readonly conversation?: string;
  readonly session?: string;
  readonly gpt?: string;
  readonly header: (name: string) => string | undefined;
  readonly claim: (name: string) => string | undefined;
}

function limitKey(rule: ToolLimitRule, id: CallIdentity): string | undefined {
  const by = rule.by;
  if (by === 'ip') return rateLimitIp(id.ip);
  if (by === 'key') return id.key;
  if (by === 'user') return id.user;
  if (by === 'conversation') return id.conversation;
  if (by === 'session') return id.session;
  if (by === 'gpt') return id.gpt;
  if (by.startsWith('header:')) return id.header(by.slice(7).toLowerCase());
  if (by.startsWith('claim:')) return id.claim(by.slice(6));
  return undefined;
}

/** The route's limits for one call (rule names carry the route so routes never share a counter). */
export function routeLimits(route: CompiledRoute, id: CallIdentity): LimitCheck[] {
  const out: LimitCheck[] = [];
  for (const rule of route.config.limits.rules) {
    let key = limitKey(rule, id);
    if (key === undefined || key === '') continue;
    if (key.length > 200) key = `sha256:${sha256Hex(key)}`;
    out.push({ rule: `tool:${route.name}:${rule.name}`, key, limit: rule.limit, durationSec: rule.window / 1000 });
  }
  const s = route.config.limits.service;
  if (s) out.push({ rule: `tool:${route.name}:service`, key: 'all', limit: s.limit, durationSec: s.window / 1000 });
  return out;
}
