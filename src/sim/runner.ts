/**
 * Runners. One-arm: client flows against a target (directly or through an HTTP forward proxy),
 * each reported `allowed`, `blocked` or `altered`. Two-arm: the same flows against a server arm on
 * this machine (the flow emulator, or honeygate's gateway), checking both ways that every flow
 * completes faithfully: the server received exactly what the client sent, the client received
 * exactly what the server sent, and the answer is the expected one.
 */
import type { SecureVersion } from 'node:tls';
import type { Catalog, Flow } from './flows.js';
import { TemplateError, type RandomSource } from './template.js';
import { defaultProfile } from './flows.js';
import { checkShape, type ShapeResult } from './expect.js';
import { startFlowEmulator, type EmulatedServer, type FlowEmulator, type ServerExchange } from './emulator.js';
import { isProviderHost, judge, recognizeProvider, type Refuser } from './verdict.js';
import type { CheckerVerdict } from './flows.js';
import { surfaceSchema, type Profile, type Surface } from './profiles.js';
import { buildRequest, encodeHead, encodeRequest, type BuiltRequest, type HeaderPair } from './request.js';
import {
  connectHead,
  exchange,
  proxyAuthorization,
  type Exchange,
  type FailureKind,
  type Timings,
  type TlsOptions,
  type ConnectionPool,
} from './wire.js';

export type Outcome = 'allowed' | 'blocked' | 'altered';

export interface FlowResult {
  readonly flow: string;
  readonly profile: string;
  readonly surface: Surface;
  readonly api: string;
  readonly url: string;
  readonly outcome: Outcome;
  /** one line: why this outcome */
  readonly reason: string;
  readonly status?: number;
  readonly failure?: FailureKind;
  /** the answer was the provider's own error shape (reached the provider, e.g. with a fake key) */
  readonly providerError: boolean;
  /** blocked: who refused (network, edge-proxy, gateway-policy, provider, simulator) and why */
  readonly refusedBy?: Refuser;
  readonly why?: string;
  readonly errorCode?: string;
  readonly evidence?: readonly string[];
  /** key-checker probes: the checker, and what it concludes about the key from this answer */
  readonly checker?: string;
  readonly verdict?: CheckerVerdict;
  readonly verdictWhy?: string;
  readonly problems: readonly string[];
  readonly text?: string;
  readonly events?: readonly string[];
  readonly timings: Timings;
  /** the request as sent; its vars hold secrets: print only through report/har */
  readonly request: BuiltRequest;
  /** exactly the bytes written for the request (CONNECT excluded) */
  readonly requestBytes: Buffer;
  readonly exchange: Exchange;
  /** two-arm only */
  readonly faithful?: boolean;
  readonly fidelity?: readonly string[];
}

export interface RunOptions {
  readonly target: URL;
  readonly proxy?: URL;
  readonly params: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly tls: TlsOptions;
  readonly loopbackOnly: boolean;
  readonly signal?: AbortSignal;
  readonly now?: Date;
  /** generated values (ids, dates are `now`): seeded for reproducible bytes */
  readonly random?: RandomSource;
  /** reuse kept-alive connections (load runs) */
  readonly pool?: ConnectionPool;
}

/** Pairs of (profile, flow) to run. */
export interface Selection {
  readonly profile: Profile;
  readonly flow: Flow;
}

const BLOCK_STATUSES = new Set([403, 407, 451]);

export interface Classification {
  readonly outcome: Outcome;
  readonly reason: string;
  readonly shape?: ShapeResult;
  readonly providerError: boolean;
  /** blocked only: who refused */
  readonly refusedBy?: Refuser;
  /** blocked only: why, in a few words */
  readonly why?: string;
  /** provider error code when recognised (`insufficient_quota`, `ThrottlingException`) */
  readonly errorCode?: string;
  /** the traits that made (or did not make) the answer the provider's */
  readonly evidence?: readonly string[];
}

/** Where the request went: is the target the provider's own public host? */
export interface ClassifyContext {
  readonly target?: URL;
  readonly viaProxy?: boolean;
}

/** allowed / blocked / altered for one exchange, and who refused (see docs/sim.md for the rules). */
export function classifyExchange(flow: Flow, ex: Exchange, ctx: ClassifyContext = {}): Classification {
  if (ex.failure) {
    const proxy = ex.failure.proxyResponse;
    if (proxy) return { outcome: 'blocked', reason: `proxy ${proxy.status} on CONNECT`, providerError: false, refusedBy: 'edge-proxy', why: `CONNECT refused (${proxy.status})` };
    const kind = ex.failure.kind;
    const by: Refuser = kind === 'loopback-only' ? 'simulator' : ctx.viaProxy ? 'edge-proxy' : 'network';
    return { outcome: 'blocked', reason: `${kind}: ${ex.failure.detail}`, providerError: false, refusedBy: by, why: kind };
  }
  const res = ex.response;
  if (!res) return { outcome: 'blocked', reason: 'no response', providerError: false, refusedBy: ctx.viaProxy ? 'edge-proxy' : 'network', why: 'no response' };
  const shape = checkShape(flow, res);
  if (shape.ok) return { outcome: 'allowed', reason: `${res.status} ${flow.expect.format}`, shape, providerError: false };
  const answer = recognizeProvider(flow.surface, res);
  const code = answer.code !== undefined ? { errorCode: answer.code } : {};
  if (answer.recognized) {
    if (answer.refusal) {
      const by: Refuser = ctx.target && isProviderHost(ctx.target.hostname) ? 'provider' : 'gateway-policy';
      return {
        outcome: 'blocked',
        reason: `${by}: ${answer.refusal.why}, http ${res.status}`,
        shape,
        providerError: true,
        refusedBy: by,
        why: answer.refusal.why,
        evidence: answer.evidence,
        ...code,
      };
    }
    return { outcome: 'allowed', reason: `provider error ${res.status}`, shape, providerError: true, evidence: answer.evidence, ...code };
  }
  const evidence = [...answer.evidence, ...answer.contradictions.map((c) => `not the provider: ${c}`)];
  const expected2xx = flow.expect.status >= 200 && flow.expect.status < 300;
  if (expected2xx && BLOCK_STATUSES.has(res.status)) {
    return { outcome: 'blocked', reason: `http ${res.status}`, shape, providerError: false, refusedBy: 'edge-proxy', why: `block page ${res.status}`, evidence, ...code };
  }
  return { outcome: 'altered', reason: shape.problems[0] ?? 'unexpected response', shape, providerError: false, evidence, ...code };
}

/** Add Proxy-Authorization to an absolute-form request when the proxy URL carries credentials. */
function requestBytes(req: BuiltRequest, proxy: URL | undefined): Buffer {
  const auth = proxyAuthorization(proxy);
  if (!auth || req.requestTarget === req.path) return encodeRequest(req);
  const headers: HeaderPair[] = [...req.headers, ['Proxy-Authorization', auth]];
  return Buffer.concat([encodeHead(`${req.method} ${req.requestTarget} HTTP/1.1`, headers), req.body]);
}

const TLS_VERSIONS: Readonly<Record<string, SecureVersion>> = {
  '1.0': 'TLSv1',
  '1.1': 'TLSv1.1',
  '1.2': 'TLSv1.2',
  '1.3': 'TLSv1.3',
  TLSv1: 'TLSv1',
  'TLSv1.0': 'TLSv1',
  'TLSv1.1': 'TLSv1.1',
  'TLSv1.2': 'TLSv1.2',
  'TLSv1.3': 'TLSv1.3',
};

function tlsVersion(text: string | undefined, what: string): SecureVersion | undefined {
  if (text === undefined || text === '') return undefined;
  const v = TLS_VERSIONS[text];
  if (!v) throw new TemplateError(`${what}: ${JSON.stringify(text.slice(0, 20))} is not a TLS version (1.2, 1.3, TLSv1.2, TLSv1.3)`);
  return v;
}

/**
 * TLS for one flow: the run's options (trust, --insecure), then the flow's own `tls` section,
 * then the parameters `tls_min_version`, `tls_max_version`, `tls_ciphers`, `tls_alpn`
 * (comma-separated) and `sni`.
 */
function flowTls(flow: Flow, vars: Readonly<Record<string, string>>, base: TlsOptions): TlsOptions {
  const t = flow.tls ?? {};
  const pick = (param: string, own: string | undefined): string | undefined => {
    const v = vars[param];
    return v !== undefined && v !== '' ? v : own;
  };
  const minVersion = tlsVersion(pick('tls_min_version', t.min_version), 'tls_min_version');
  const maxVersion = tlsVersion(pick('tls_max_version', t.max_version), 'tls_max_version');
  const ciphers = pick('tls_ciphers', t.ciphers);
  if (ciphers !== undefined && !/^[A-Za-z0-9_:+!@=.-]+$/.test(ciphers)) throw new TemplateError('tls_ciphers: not an OpenSSL cipher list');
  const alpnText = vars['tls_alpn'];
  const alpn = alpnText !== undefined && alpnText !== '' ? alpnText.split(',').map((s) => s.trim()).filter((s) => s !== '') : t.alpn;
  const sni = pick('sni', t.sni);
  return {
    ...base,
    ...(minVersion ? { minVersion } : {}),
    ...(maxVersion ? { maxVersion } : {}),
    ...(ciphers !== undefined ? { ciphers } : {}),
    ...(alpn ? { alpn } : {}),
    ...(sni !== undefined && sni !== '' ? { servername: sni } : {}),
  };
}

/** Run one flow in one profile against the target. */
export async function runFlow(profile: Profile, flow: Flow, options: RunOptions): Promise<FlowResult> {
  const req = await buildRequest(profile, flow, {
    target: options.target,
    viaProxy: options.proxy !== undefined,
    params: options.params,
    ...(options.now ? { now: options.now } : {}),
    ...(options.random ? { random: options.random } : {}),
  });
  const bytes = requestBytes(req, options.proxy);
  const tls = flowTls(flow, req.vars, options.tls);
  const ex = await exchange({
    target: options.target,
    ...(options.proxy ? { proxy: options.proxy } : {}),
    method: req.method,
    request: bytes,
    connectHead: connectHead(req.connect.line, req.connect.headers, proxyAuthorization(options.proxy)),
    timeoutMs: options.timeoutMs,
    tls,
    loopbackOnly: options.loopbackOnly,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.pool ? { pool: options.pool } : {}),
  });
  const c = classifyExchange(flow, ex, { target: options.target, viaProxy: options.proxy !== undefined });
  const j = flow.checker ? judge(flow.checker.verdicts, flow.surface, ex.response, ex.failure ? `${ex.failure.kind}: ${ex.failure.detail}` : undefined) : undefined;
  return {
    flow: flow.name,
    profile: profile.name,
    surface: flow.surface,
    api: flow.api,
    url: req.url,
    outcome: c.outcome,
    reason: c.reason,
    ...(ex.response ? { status: ex.response.status } : {}),
    ...(ex.failure ? { failure: ex.failure.kind } : {}),
    providerError: c.providerError,
    ...(c.refusedBy !== undefined ? { refusedBy: c.refusedBy } : {}),
    ...(c.why !== undefined ? { why: c.why } : {}),
    ...(c.errorCode !== undefined ? { errorCode: c.errorCode } : {}),
    ...(c.evidence !== undefined ? { evidence: c.evidence } : {}),
    ...(flow.checker && j ? { checker: flow.checker.name, verdict: j.verdict, verdictWhy: j.why } : {}),
    problems: c.shape?.problems ?? [],
    ...(c.shape?.text !== undefined ? { text: c.shape.text } : {}),
    ...(c.shape?.events ? { events: c.shape.events } : {}),
    timings: ex.timings,
    request: req,
    requestBytes: bytes,
    exchange: ex,
  };
}

/** One-arm: every selected (profile, flow), one after the other. */
export async function runOneArm(selection: readonly Selection[], options: RunOptions): Promise<FlowResult[]> {
  const results: FlowResult[] = [];
  for (const { profile, flow } of selection) {
    if (options.signal?.aborted) break;
    results.push(await runFlow(profile, flow, options));
  }
  return results;
}

/** Every server profile by surface (the default one of each surface). */
export function serverProfiles(catalog: Catalog): Map<string, Profile> {
  const out = new Map<string, Profile>();
  for (const surface of surfaceSchema.options) {
    const p = defaultProfile(catalog, surface, 'server');
    if (p) out.set(surface, p);
  }
  return out;
}

export interface TwoArmOptions extends Omit<RunOptions, 'target'> {
  /** start the server arm; default: the flow emulator with the catalog's server profiles */
  readonly startServer?: (flows: readonly Flow[]) => Promise<EmulatedServer>;
  /** the flow emulator serves HTTPS with this certificate and key (PEM) */
  readonly serverTls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
}

export interface TwoArmResult {
  readonly serverUrl: string;
  readonly results: readonly FlowResult[];
  /** what the server arm saw (the flow emulator records it; other servers do not) */
  readonly serverExchanges: readonly ServerExchange[];
  readonly passed: boolean;
}

function isFlowEmulator(s: EmulatedServer): s is FlowEmulator {
  return 'exchanges' in s && 'pin' in s;
}

function sameHeaders(a: readonly HeaderPair[], b: readonly HeaderPair[]): boolean {
  return a.length === b.length && a.every(([n, v], i) => b[i]?.[0] === n && b[i]?.[1] === v);
}

/** Compare both arms of one flow; returns the problems (none = faithful). */
function fidelity(result: FlowResult, seen: ServerExchange | undefined, want: string | undefined, expectsText: boolean): string[] {
  const problems: string[] = [];
  if (result.outcome !== 'allowed' || result.providerError) problems.push(`outcome ${result.outcome}: ${result.reason}`);
  if (result.verdict !== undefined && result.verdict !== 'live') problems.push(`checker verdict ${result.verdict}: ${result.verdictWhy ?? ''}`);
  if (seen) {
    const req = result.request;
    if (seen.method !== req.method) problems.push('server saw another method');
    if (seen.target.replace(/^[a-z]+:\/\/[^/]+/i, '') !== req.path) problems.push(`server saw path ${seen.target}, client sent ${req.path}`);
    if (!sameHeaders(seen.requestHeaders.filter(([n]) => n.toLowerCase() !== 'proxy-authorization'), req.headers)) {
      problems.push('server saw other request headers (order, casing or values)');
    }
    if (!seen.requestBody.equals(req.body)) problems.push('server saw another request body');
    const ct = result.exchange.tls;
    if (ct && seen.tls && (ct.version !== seen.tls.version || ct.cipher !== seen.tls.cipher)) {
      problems.push(`TLS differs: client ${ct.version} ${ct.cipher}, server ${seen.tls.version} ${seen.tls.cipher}`);
    }
    const res = result.exchange.response;
    if (res) {
      if (res.status !== seen.status) problems.push('client saw another status');
      if (!sameHeaders(res.headers, seen.responseHeaders)) problems.push('client saw other response headers');
      if (!res.body.equals(seen.responseBody)) problems.push('client saw another response body');
    }
    if (result.text !== undefined && want !== undefined && result.text !== want) {
      problems.push(`answer text ${JSON.stringify(result.text.slice(0, 60))} is not the response prompt`);
    }
  } else if (expectsText && (result.text === undefined || result.text === '')) {
    if (problems.length === 0) problems.push('no answer text');
  }
  return problems;
}

/** The answer the emulator gives for a flow: the tester's response_prompt, else the flow's. */
function expectedAnswer(flow: Flow, params: Readonly<Record<string, string>>): string | undefined {
  const own = flow.params['response_prompt'];
  return params['response_prompt'] ?? (typeof own === 'string' ? own : undefined);
}

/** Two-arm: start the server arm, run every flow against it, check fidelity, stop the server. */
export async function runTwoArm(catalog: Catalog, selection: readonly Selection[], options: TwoArmOptions): Promise<TwoArmResult> {
  const flows = [...new Map(selection.map((s) => [s.flow.name, s.flow])).values()];
  const server = options.startServer
    ? await options.startServer(flows)
    : await startFlowEmulator({ flows, servers: serverProfiles(catalog), params: options.params, ...(options.serverTls ? { tls: options.serverTls } : {}) });
  const results: FlowResult[] = [];
  try {
    const target = new URL(server.url);
    for (const { profile, flow } of selection) {
      if (options.signal?.aborted) break;
      const emulator = isFlowEmulator(server) ? server : undefined;
      emulator?.pin(flow.name);
      const before = emulator?.exchanges.length ?? 0;
      const r = await runFlow(profile, flow, { ...options, target });
      const seen = emulator && emulator.exchanges.length > before ? emulator.exchanges[emulator.exchanges.length - 1] : undefined;
      const problems = fidelity(r, seen, emulator ? expectedAnswer(flow, options.params) : undefined, flow.expect.text !== undefined);
      if (emulator && !seen && r.outcome !== 'blocked') problems.push('the server arm saw no request');
      results.push({ ...r, faithful: problems.length === 0, fidelity: problems });
    }
    return {
      serverUrl: server.url,
      results,
      serverExchanges: isFlowEmulator(server) ? [...server.exchanges] : [],
      passed: results.length > 0 && results.every((r) => r.faithful === true),
    };
  } finally {
    await server.close();
  }
}
