/**
 * `honeygate sim`: the command line read into typed values — strings and lists of the parsed
 * options, URLs, numbers and durations, `--param`/`--param-env`, `--expect`, the (profile, flow)
 * pairs of `--profile`/`--flow`, TLS options — each mistake a UsageError. Moved out of sim.ts as is.
 */
import { readFileSync } from 'node:fs';
import { parseDuration } from '../config/duration.js';
import { defaultProfile, matchFlows, VERDICTS, type Catalog, type Flow } from '../sim/flows.js';
import { PARAM_NAME, type Profile } from '../sim/profiles.js';
import { isVerdict, type Expectation } from '../sim/report.js';
import { knownParams } from '../sim/request.js';
import { serverProfiles, type Selection } from '../sim/runner.js';
import type { TlsOptions } from '../sim/wire.js';
import { UsageError } from './io.js';

export type Values = Record<string, string | boolean | string[] | boolean[] | undefined>;

export function str(v: Values, name: string): string | undefined {
  const x = v[name];
  return typeof x === 'string' ? x : undefined;
}

export function list(v: Values, name: string): string[] {
  const x = v[name];
  return Array.isArray(x) ? x.filter((s): s is string => typeof s === 'string') : [];
}

export function parseUrl(text: string, what: string, schemes: readonly string[]): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`${what}: not a URL: ${JSON.stringify(text.slice(0, 80))}`);
  }
  if (!schemes.includes(url.protocol)) throw new UsageError(`${what}: scheme must be ${schemes.join(' or ')}`);
  if (url.search !== '' || url.hash !== '') throw new UsageError(`${what}: no query or fragment`);
  return url;
}

export function positiveNumber(text: string | undefined, what: string, fallback: number, integer: boolean): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new UsageError(`${what}: must be a positive ${integer ? 'integer' : 'number'}`);
  }
  return n;
}

export function durationMs(text: string | undefined, what: string, fallback: number): number {
  if (text === undefined) return fallback;
  const ms = parseDuration(text);
  if (ms === null || ms <= 0) throw new UsageError(`${what}: not a duration (e.g. 500ms, 10s, 2m)`);
  return ms;
}

export function parseParams(v: Values, env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list(v, 'param')) {
    const eq = item.indexOf('=');
    const key = eq < 0 ? item : item.slice(0, eq);
    if (eq < 0 || !PARAM_NAME.test(key)) throw new UsageError(`--param: expected name=value with a lower_snake_case name, got ${JSON.stringify(key.slice(0, 40))}`);
    out[key] = item.slice(eq + 1);
  }
  for (const item of list(v, 'param-env')) {
    const eq = item.indexOf('=');
    const key = eq < 0 ? item : item.slice(0, eq);
    const name = item.slice(eq + 1);
    if (eq < 0 || !PARAM_NAME.test(key) || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new UsageError('--param-env: expected name=ENV_VAR');
    const value = env[name];
    if (value === undefined) throw new UsageError(`--param-env: environment variable ${name} is not set`);
    out[key] = value;
  }
  const tls = str(v, 'tls-version');
  if (tls !== undefined) {
    if (!/^(1\.[0-3]|TLSv1(\.[0-3])?)$/.test(tls)) throw new UsageError('--tls-version: 1.2 or 1.3 (or TLSv1.2, TLSv1.3)');
    out['tls_min_version'] ??= tls;
    out['tls_max_version'] ??= tls;
  }
  return out;
}

/** Refuse --param names that no selected profile or flow knows (a typo would be silently ignored). */
export function checkParams(catalog: Catalog, selection: readonly Selection[], params: Readonly<Record<string, string>>): void {
  const servers = serverProfiles(catalog);
  const known = new Set<string>();
  for (const { profile, flow } of selection) for (const k of knownParams(profile, flow, servers.get(flow.surface))) known.add(k);
  const unknown = Object.keys(params).filter((k) => !known.has(k));
  if (unknown.length > 0) {
    throw new UsageError(`unknown --param ${unknown.join(', ')}; known for the selected profiles and flows: ${[...known].sort().join(', ')}`);
  }
}

export function expectation(text: string | undefined): Expectation | undefined {
  if (text === undefined) return undefined;
  if (text === 'allowed' || text === 'blocked' || isVerdict(text)) return text;
  throw new UsageError(`--expect: allowed or blocked, or a key-checker verdict (${VERDICTS.join(', ')})`);
}

/** Pairs of (profile, flow) from --profile and --flow. */
export function select(catalog: Catalog, profileNames: readonly string[], flowPatterns: readonly string[]): Selection[] {
  const clients = [...catalog.profiles.values()].filter((p) => p.role === 'client');
  let profiles: Profile[] = [];
  if (profileNames.includes('all')) profiles = clients;
  else {
    for (const name of profileNames) {
      const p = catalog.profiles.get(name);
      if (!p) throw new UsageError(`unknown profile ${name} (see honeygate sim list)`);
      if (p.role !== 'client') throw new UsageError(`profile ${name} is a server profile`);
      profiles.push(p);
    }
  }
  let flows: Flow[] = [];
  if (flowPatterns.length === 0) {
    const surfaces = new Set(profiles.map((p) => p.surface));
    flows = [...catalog.flows.values()].filter((f) => profiles.length === 0 || surfaces.has(f.surface));
  } else {
    for (const pattern of flowPatterns) {
      const found = matchFlows(catalog, pattern);
      if (found.length === 0) throw new UsageError(`no flow matches ${pattern} (see honeygate sim list)`);
      for (const f of found) if (!flows.includes(f)) flows.push(f);
    }
  }
  const out: Selection[] = [];
  for (const flow of flows) {
    const fitting = profiles.filter((p) => p.surface === flow.surface);
    if (profiles.length > 0 && fitting.length === 0) {
      if (flowPatterns.length === 0 || profileNames.includes('all')) continue;
      throw new UsageError(`flow ${flow.name} is ${flow.surface}; no selected profile speaks it`);
    }
    if (fitting.length === 0) {
      const own = flow.profile !== undefined ? catalog.profiles.get(flow.profile) : undefined;
      const d = own && own.role === 'client' && own.surface === flow.surface ? own : defaultProfile(catalog, flow.surface, 'client');
      if (!d) throw new UsageError(`no client profile for ${flow.surface}`);
      fitting.push(d);
    }
    for (const profile of fitting) out.push({ profile, flow });
  }
  if (out.length === 0) throw new UsageError('nothing to run');
  return out;
}

export function tlsOptions(v: Values): TlsOptions {
  const ca = str(v, 'ca');
  let caText: string | undefined;
  if (ca !== undefined) {
    try {
      caText = readFileSync(ca, 'utf8');
    } catch {
      throw new UsageError(`--ca: cannot read ${ca}`);
    }
  }
  return { rejectUnauthorized: v['insecure'] !== true, ...(caText !== undefined ? { ca: caText } : {}) };
}

export function loopbackOnly(env: NodeJS.ProcessEnv): boolean {
  return env['HONEYGATE_SIM_LOOPBACK_ONLY'] === '1' || env['VITEST'] !== undefined;
}
