/**
 * The tool provider: APIs an assistant calls (a GPT action, a plugin, an MCP server), one per
 * configured route (`routes`), behind the same pipeline as the LLM providers. On only when the
 * config has routes. Each request gets its own call object (`ToolProviderCall`) carrying what the
 * stages learn (call.ts `ToolCall`); the stages are one file each: classify.ts (with inspect.ts),
 * forward.ts, deceive.ts, refuse.ts.
 */
import type { Config } from '../../config/schema.js';
import type { Exchange } from '../../core/exchange.js';
import { clientAddress } from '../../core/identity.js';
import type { Classification, KeyRecord } from '../../core/keyring.js';
import type { Provider, ProviderCall, ProviderRuntime } from '../../core/provider.js';
import type { GatewayState } from '../../core/provider.js';
import type { Verdict } from '../../core/verdict.js';
import type { AdmitResult, LimitCheck } from '../../store/types.js';
import { header, method, SAFE_ID, type ToolCall } from './call.js';
import { classify } from './classify.js';
import { deceive } from './deceive.js';
import { forward } from './forward.js';
import { writeProblem } from './problem.js';
import { refuse } from './refuse.js';
import { resourceOf, routeLimits, type CompiledRoute, ToolRuntime } from './route.js';
import { toolConfigPart } from './config-part.js';

function admitExtras(ex: Exchange, call: ToolCall): { subjects: string[]; limits: LimitCheck[] } {
  const subjects: string[] = [];
  if (call.user !== undefined) subjects.push(`user:${call.user}`);
  if (call.conversation !== undefined) subjects.push(`conversation:${call.conversation}`);
  const claims = call.principal?.claims;
  const limits = routeLimits(call.route, {
    ip: ex.ip,
    key: ex.key.fingerprint ?? 'none',
    ...(call.user !== undefined ? { user: call.user } : {}),
    ...(call.conversation !== undefined ? { conversation: call.conversation } : {}),
    ...(call.session !== undefined ? { session: call.session } : {}),
    ...(call.gpt !== undefined ? { gpt: call.gpt } : {}),
    header: (name) => {
      const v = header(ex, name);
      return v !== undefined && SAFE_ID.test(v) ? v : undefined;
    },
    claim: (name) => {
      const v = claims?.[name];
      return typeof v === 'string' ? v.slice(0, 256) : typeof v === 'number' ? String(v) : undefined;
    },
  });
  return { subjects, limits };
}

/** One tool request in the pipeline. */
class ToolProviderCall implements ProviderCall {
  readonly #tool: ToolRuntime;
  readonly #call: ToolCall;

  constructor(tool: ToolRuntime, call: ToolCall) {
    this.#tool = tool;
    this.#call = call;
  }

  classify(ex: Exchange, state: GatewayState): Promise<Classification> {
    return classify(ex, this.#call, this.#tool, state);
  }

  networkAllowed(ex: Exchange): boolean {
    return this.#tool.networkAllowed(this.#call.route, ex.ip);
  }

  admitExtras(ex: Exchange): { subjects: string[]; limits: LimitCheck[] } {
    return admitExtras(ex, this.#call);
  }

  forward(ex: Exchange): Promise<void> {
    return forward(ex, this.#call);
  }

  deceive(ex: Exchange, record: KeyRecord, _admit: AdmitResult | null, state: GatewayState): Promise<void> {
    return deceive(ex, record, this.#call, state);
  }

  refuse(ex: Exchange, verdict: Verdict, admit: AdmitResult | null, classification: Classification, state: GatewayState): void {
    refuse(ex, this.#call, verdict, admit, classification, state);
  }
}

/** RFC 9728 §3.2 metadata of a route: a public document, answered outside the pipeline. */
class MetadataCall extends ToolProviderCall {
  readonly #ex: Exchange;
  readonly #tool: ToolRuntime;
  readonly #route: CompiledRoute;

  constructor(ex: Exchange, tool: ToolRuntime, call: ToolCall) {
    super(tool, call);
    this.#ex = ex;
    this.#tool = tool;
    this.#route = call.route;
  }

  answer(state: GatewayState): void {
    const ex = this.#ex;
    const route = this.#route;
    const oauth = route.config.auth.oauth;
    if (!oauth) return;
    ex.surface = 'tool';
    ex.ip = clientAddress(ex.req.socket.remoteAddress ?? '', ex.req.headers['x-forwarded-for'], state.runtime.policy.trustedProxies);
    if (!state.runtime.policy.networkAllowed(ex.ip) || !this.#tool.networkAllowed(route, ex.ip)) {
      writeProblem(ex.res, 'HG_TOOL_FORBIDDEN');
      return;
    }
    const body = JSON.stringify({
      resource: resourceOf(route, state.publicUrl),
      authorization_servers: [oauth.issuer],
      bearer_methods_supported: ['header'],
      ...(oauth.scopes.length > 0 ? { scopes_supported: oauth.scopes } : {}),
    });
    ex.res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'cache-control': 'max-age=300' });
    ex.res.end(method(ex) === 'HEAD' ? undefined : body);
  }
}

/** The tool provider compiled for one config. */
export interface CompiledTool extends ProviderRuntime {
  readonly tool: ToolRuntime;
}

function compile(config: Readonly<Config>): CompiledTool | null {
  if (config.routes.length === 0) return null;
  const tool = new ToolRuntime(config);
  return {
    tool,
    match(ex) {
      const match = tool.match(ex.path, header(ex, 'host'), method(ex));
      if (!match) return null;
      ex.route = match.route.name;
      const url = ex.req.url ?? '';
      const q = url.indexOf('?');
      const call: ToolCall = { route: match.route, rest: match.rest, query: q < 0 ? '' : url.slice(q) };
      return match.kind === 'metadata' ? new MetadataCall(ex, tool, call) : new ToolProviderCall(tool, call);
    },
    unknownUrl(ex) {
      writeProblem(ex.res, 'HG_TOOL_NOT_FOUND');
    },
    fault(ex) {
      writeProblem(ex.res, 'HG_TOOL_UPSTREAM_ERROR');
    },
    close: () => tool.close(),
  };
}

export const toolProvider: Provider<CompiledTool> = {
  name: 'tool',
  config: toolConfigPart,
  compile,
};
