/**
 * Profile × flow × parameters → the exact request bytes a real client would send: parameters
 * resolved (built-ins < profile < flow < user), body rendered and laid out as the client lays it
 * out, headers in the profile's order and casing, SigV4 computed over the headers marked signed.
 */
import { amzDate, referencedNames, renderJson, renderString, SYSTEM_RANDOM, TemplateError, type RandomSource, type Vars } from './template.js';
import { formatJson, orderKeys } from './json.js';
import { signSigV4 } from './sign.js';
import { COMMON_SECRETS, type HeaderEntry, type ParamValue, type Profile } from './profiles.js';
import type { Flow } from './flows.js';

export type HeaderPair = readonly [string, string];

export interface BuiltRequest {
  readonly profile: string;
  readonly flow: string;
  readonly method: string;
  /** origin-form path as on the wire */
  readonly path: string;
  /** what the request line carries: the path, or the absolute URI through an HTTP proxy */
  readonly requestTarget: string;
  readonly headers: readonly HeaderPair[];
  readonly body: Buffer;
  /** absolute URL of the request (for reports and HAR) */
  readonly url: string;
  /** CONNECT request for https through a proxy, in the profile's form */
  readonly connect: { readonly line: string; readonly headers: readonly HeaderPair[] };
  /** resolved parameters (secrets included: never print them) */
  readonly vars: Vars;
  readonly secrets: ReadonlySet<string>;
}

export interface BuildOptions {
  /** where the request goes: scheme, host, port, optional base path */
  readonly target: URL;
  /** true when an HTTP forward proxy carries an http:// target (absolute-form request line) */
  readonly viaProxy: boolean;
  /** the tester's --param values: literal, never template-rendered */
  readonly params: Readonly<Record<string, string>>;
  readonly now?: Date;
  /** generated ids and strings (default: the system CSPRNG; seeded runs pass their own) */
  readonly random?: RandomSource;
}

/** `host[:port]` as a Host header writes it (port only when not the scheme default). */
function authorityOf(url: URL): string {
  return url.host;
}

function defaultPort(url: URL): string {
  if (url.port !== '') return url.port;
  return url.protocol === 'https:' ? '443' : '80';
}

function paramText(value: ParamValue, https: boolean): string {
  return typeof value === 'string' ? value : https ? value.https : value.http;
}

/** Resolve parameters: built-ins < profile < flow (file defaults are templates) < user (literal). */
function resolveVars(profile: Profile, flow: Flow, options: BuildOptions, now: Date): Record<string, string> {
  const https = options.target.protocol === 'https:';
  const builtins: Record<string, string> = {
    host: authorityOf(options.target),
    scheme: https ? 'https' : 'http',
    connect_authority: `${options.target.hostname}:${defaultPort(options.target)}`,
    amz_date: amzDate(now),
    profile: profile.name,
    flow: flow.name,
    api_name: flow.api,
  };
  const fileDefaults: Record<string, string> = {};
  for (const [k, v] of Object.entries(profile.params)) fileDefaults[k] = paramText(v, https);
  for (const [k, v] of Object.entries(flow.params)) fileDefaults[k] = paramText(v, https);
  const raw: Record<string, string> = { ...builtins, ...fileDefaults, ...options.params };
  const vars: Record<string, string> = { ...builtins };
  // File defaults may refer to other parameters, one level deep ({{region}} in a host name).
  for (const [k, v] of Object.entries(fileDefaults)) vars[k] = renderString(v, raw, `param ${k}`, now, options.random);
  for (const [k, v] of Object.entries(options.params)) vars[k] = v;
  vars['amz_short_date'] = (vars['amz_date'] ?? '').slice(0, 8);
  return vars;
}

function secretNames(profile: Profile, flow: Flow): Set<string> {
  return new Set([...COMMON_SECRETS, ...profile.secrets, ...flow.secrets]);
}

interface Line {
  readonly name: string;
  readonly value: string;
  readonly when?: string | undefined;
  readonly signed: boolean;
}

/** Expand `{slot: flow}` and tuple shorthand into lines. */
export function expandHeaders(entries: readonly HeaderEntry[], flowEntries: readonly HeaderEntry[], signFlow: boolean): Line[] {
  const toLine = (e: HeaderEntry, signedDefault: boolean): Line[] => {
    if (Array.isArray(e)) return [{ name: e[0], value: e[1], signed: signedDefault }];
    if ('slot' in e) return [];
    return [{ name: e.name, value: e.value, when: e.when, signed: e.signed ?? signedDefault }];
  };
  const flowLines = flowEntries.flatMap((e) => toLine(e, signFlow));
  const out: Line[] = [];
  let slotted = false;
  for (const e of entries) {
    if (!Array.isArray(e) && 'slot' in e) {
      out.push(...flowLines);
      slotted = true;
    } else out.push(...toLine(e, false));
  }
  if (!slotted && flowLines.length > 0) {
    const at = out.findIndex((l) => l.value.includes('content_length'));
    out.splice(at < 0 ? out.length : at, 0, ...flowLines);
  }
  return out;
}

/** Built-in conditions of `when`; anything else names a parameter that must be non-empty. */
export interface Conditions {
  readonly body: boolean;
  readonly proxy: boolean;
  readonly https: boolean;
  readonly chunked: boolean;
  readonly length: boolean;
}

export function holds(when: string | undefined, vars: Vars, c: Conditions): boolean {
  if (when === undefined) return true;
  const negate = when.startsWith('!');
  const name = negate ? when.slice(1) : when;
  let value: boolean;
  switch (name) {
    case '$body':
      value = c.body;
      break;
    case '$proxy':
      value = c.proxy;
      break;
    case '$https':
      value = c.https;
      break;
    case '$chunked':
      value = c.chunked;
      break;
    case '$length':
      value = c.length;
      break;
    default:
      value = (vars[name] ?? '') !== '';
  }
  return negate ? !value : value;
}

/** A rendered header value may not break the message: no CR, LF or NUL (header injection). */
export function checkHeaderValue(name: string, value: string): void {
  if (/[\r\n\0]/.test(value)) throw new TemplateError(`header ${name}: the value contains a line break or NUL`);
  if (/[^\t\x20-\x7e\x80-\xff]/.test(value)) throw new TemplateError(`header ${name}: the value has a control or non-Latin-1 character`);
}

/** Build the request bytes' parts for one flow in one profile. */
export async function buildRequest(profile: Profile, flow: Flow, options: BuildOptions): Promise<BuiltRequest> {
  if (profile.role !== 'client') throw new TemplateError(`profile ${profile.name} is a server profile`);
  if (profile.surface !== flow.surface) {
    throw new TemplateError(`profile ${profile.name} speaks ${profile.surface}, flow ${flow.name} is ${flow.surface}`);
  }
  const now = options.now ?? new Date();
  const vars = resolveVars(profile, flow, options, now);
  const rng = options.random ?? SYSTEM_RANDOM;
  const base = options.target.pathname.replace(/\/+$/, '');
  const path = base + renderString(flow.request.path, vars, `${flow.name}: request.path`, now, rng);
  if (/[\s]/.test(path)) throw new TemplateError(`${flow.name}: the rendered path contains white space`);
  vars['path'] = path;
  vars['method'] = flow.request.method;

  let body = Buffer.alloc(0);
  const hasBody = flow.request.body !== undefined || flow.request.text !== undefined;
  if (flow.request.text !== undefined) {
    body = Buffer.from(renderString(flow.request.text, vars, `${flow.name}: request.text`, now, rng), 'utf8');
  } else if (flow.request.body !== undefined) {
    const value = renderJson(flow.request.body, vars, `${flow.name}: request.body`, now, rng);
    const ordered = orderKeys(value, profile.json.order, flow.request.required);
    body = Buffer.from(formatJson(ordered, profile.json), 'utf8');
  }
  vars['content_length'] = String(body.length);

  const https = options.target.protocol === 'https:';
  const cond: Conditions = { body: hasBody, proxy: options.viaProxy && !https, https, chunked: false, length: hasBody };
  const lines = expandHeaders(profile.headers, flow.request.headers, profile.signing?.sign_flow_headers ?? false).filter((l) =>
    holds(l.when, vars, cond),
  );
  const rendered: Array<[string, string] | null> = lines.map((l) => {
    if (referencedNames(l.value).includes('authorization')) return null;
    const value = renderString(l.value, vars, `${profile.name}: header ${l.name}`, now, rng);
    checkHeaderValue(l.name, value);
    return [l.name, value];
  });
  if (profile.signing) {
    const signed = lines.flatMap((l, i) => {
      const r = rendered[i];
      return l.signed && r ? [r] : [];
    });
    if (!signed.some(([n]) => n.toLowerCase() === 'x-amz-date')) {
      throw new TemplateError(`${profile.name}: a SigV4 profile must send and sign X-Amz-Date`);
    }
    const result = await signSigV4({
      method: flow.request.method,
      path,
      headers: signed,
      body,
      region: flow.signing?.region ?? vars['region'] ?? '',
      service: flow.signing?.service ?? profile.signing.service,
      accessKeyId: vars['access_key_id'] ?? '',
      secretAccessKey: vars['secret_access_key'] ?? '',
      amzDate: vars['amz_date'] ?? '',
    });
    // a tester's Authorization replaces the computed one (forged or stale signatures)
    vars['authorization'] = options.params['authorization'] ?? result.authorization;
    vars['signature'] = result.signature;
    vars['signed_headers'] = result.signedHeaders;
  }
  const headers: HeaderPair[] = lines.map((l, i) => {
    const done = rendered[i];
    if (done) return done;
    const value = renderString(l.value, vars, `${profile.name}: header ${l.name}`, now, rng);
    checkHeaderValue(l.name, value);
    return [l.name, value];
  });

  const url = `${options.target.protocol}//${options.target.host}${path}`;
  const connectLines = profile.proxy.connect_headers
    .flatMap((e) => expandHeaders([e], [], false))
    .filter((l) => holds(l.when, vars, cond))
    .map((l): HeaderPair => {
      const value = renderString(l.value, vars, `${profile.name}: proxy.connect_headers ${l.name}`, now, rng);
      checkHeaderValue(l.name, value);
      return [l.name, value];
    });
  return {
    profile: profile.name,
    flow: flow.name,
    method: flow.request.method,
    path,
    requestTarget: cond.proxy ? url : path,
    headers,
    body,
    url,
    connect: { line: `CONNECT ${vars['connect_authority'] ?? ''} ${profile.proxy.connect_version}`, headers: connectLines },
    vars,
    secrets: secretNames(profile, flow),
  };
}

/** The request head (request line + headers + blank line) as bytes. */
export function encodeHead(line: string, headers: readonly HeaderPair[]): Buffer {
  let text = `${line}\r\n`;
  for (const [name, value] of headers) text += `${name}: ${value}\r\n`;
  return Buffer.from(`${text}\r\n`, 'latin1');
}

/** The whole request as it goes on the wire. */
export function encodeRequest(req: BuiltRequest): Buffer {
  return Buffer.concat([encodeHead(`${req.method} ${req.requestTarget} HTTP/1.1`, req.headers), req.body]);
}

/** Parameters every request knows whatever the files say (built-ins and transport settings). */
const BUILTIN_PARAMS: readonly string[] = [
  'host',
  'sni',
  'amz_date',
  'authorization',
  'response_prompt',
  'tls_min_version',
  'tls_max_version',
  'tls_ciphers',
  'tls_alpn',
];

function entryNames(entries: readonly HeaderEntry[]): string[] {
  return entries.flatMap((e) => {
    if (!Array.isArray(e) && 'slot' in e) return [];
    const [value, when] = Array.isArray(e) ? [e[1], undefined] : [e.value, e.when];
    const names = referencedNames(value);
    if (when !== undefined && !when.includes('$')) names.push(when.replace(/^!/, ''));
    return names;
  });
}

function jsonNames(value: unknown): string[] {
  if (typeof value === 'string') return referencedNames(value);
  if (Array.isArray(value)) return value.flatMap(jsonNames);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(jsonNames);
  return [];
}

/**
 * Every parameter name a (profile, flow) pair understands: built-ins, the files' parameters, and
 * every name their templates refer to. `--param` names outside this set are refused.
 */
export function knownParams(profile: Profile, flow: Flow, server?: Profile): Set<string> {
  const out = new Set<string>(BUILTIN_PARAMS);
  for (const k of Object.keys(profile.params)) out.add(k);
  for (const k of Object.keys(flow.params)) out.add(k);
  for (const k of Object.keys(server?.params ?? {})) out.add(k);
  for (const n of entryNames(profile.headers)) out.add(n);
  for (const n of entryNames(profile.proxy.connect_headers)) out.add(n);
  for (const n of entryNames(flow.request.headers)) out.add(n);
  for (const n of referencedNames(flow.request.path)) out.add(n);
  for (const n of jsonNames(flow.request.body)) out.add(n);
  for (const n of referencedNames(flow.request.text ?? '')) out.add(n);
  return out;
}
