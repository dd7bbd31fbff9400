/**
 * OpenAIPot compatibility: a config written for OpenAIPot (real_api_endpoint, listen_addr,
 * log_file_path, valid_api_keys, lure_api_keys, max_lure_requests, block_duration, allowlist,
 * rate_limits) loads unchanged. It is mapped onto honeygate's schema here, before validation; where
 * OpenAIPot's meaning is unsafe or unclear the mapping says so in a warning and what honeygate does.
 */
import type { ConfigIssue } from './issues.js';

const OPENAIPOT_KEYS = [
  'real_api_endpoint',
  'listen_addr',
  'log_file_path',
  'valid_api_keys',
  'lure_api_keys',
  'max_lure_requests',
  'block_duration',
  'allowlist',
  'rate_limits',
] as const;

type Json = Record<string, unknown>;

export function isOpenAIPotConfig(raw: Json): boolean {
  return OPENAIPOT_KEYS.some((k) => k in raw);
}

function parseListenAddr(addr: unknown, issues: ConfigIssue[]): Json | undefined {
  if (typeof addr !== 'string') {
    issues.push({ level: 'error', path: 'listen_addr', message: 'listen_addr must be a string like ":8080" or "127.0.0.1:8080"' });
    return undefined;
  }
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(addr.trim());
  if (!match) {
    issues.push({ level: 'error', path: 'listen_addr', message: `cannot read listen_addr ${JSON.stringify(addr)}: use ":8080" or "host:port"` });
    return undefined;
  }
  const host = match[1] ?? match[2] ?? '';
  if (host === '') {
    issues.push({
      level: 'warning',
      path: 'listen_addr',
      message: 'an empty host listens on every interface (as OpenAIPot did); honeygate keeps that: 0.0.0.0',
    });
  }
  return { host: host === '' ? '0.0.0.0' : host, port: Number(match[3]) };
}

/** Map an OpenAIPot config onto honeygate's shape; honeygate keys already present are kept. */
export function fromOpenAIPot(raw: Json, issues: ConfigIssue[]): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(raw)) if (!(OPENAIPOT_KEYS as readonly string[]).includes(k)) out[k] = v;
  const upstreams: Json = { ...((out['upstreams'] as Json | undefined) ?? {}) };
  const keys: unknown[] = Array.isArray(out['keys']) ? [...(out['keys'] as unknown[])] : [];

  if (raw['real_api_endpoint'] !== undefined) {
    const endpoint = String(raw['real_api_endpoint']);
    let url: URL | null = null;
    try {
      url = new URL(endpoint);
    } catch {
      issues.push({ level: 'error', path: 'real_api_endpoint', message: `not a URL: ${JSON.stringify(endpoint)}` });
    }
    if (url) {
      const prefix = url.pathname.replace(/\/v1(\/.*)?$/, '').replace(/\/$/, '');
      if (url.pathname !== '/' && url.pathname !== '') {
        issues.push({
          level: 'warning',
          path: 'real_api_endpoint',
          message: `OpenAIPot sent every request to this one endpoint; honeygate forwards each /v1/* path to ${url.origin}${prefix} (upstream "openai")`,
        });
      }
      upstreams['openai'] = { type: 'openai', url: `${url.origin}${prefix}` };
    }
  }
  if (raw['listen_addr'] !== undefined) {
    const listen = parseListenAddr(raw['listen_addr'], issues);
    if (listen) out['listen'] = listen;
  }
  if (raw['log_file_path'] !== undefined) {
    out['events'] = { ...((out['events'] as Json | undefined) ?? {}), jsonl: { enabled: true, path: raw['log_file_path'] } };
    issues.push({
      level: 'warning',
      path: 'log_file_path',
      message: 'events are written there as ECS JSON lines (one object per request), not OpenAIPot text lines; raw keys are never logged',
    });
  }
  const validUpstream = upstreams['openai'] !== undefined ? 'openai' : undefined;
  if (raw['valid_api_keys'] !== undefined) {
    if (!Array.isArray(raw['valid_api_keys'])) {
      issues.push({ level: 'error', path: 'valid_api_keys', message: 'valid_api_keys must be a list of keys' });
    } else {
      raw['valid_api_keys'].forEach((key, i) => {
        keys.push({ name: `valid-${i + 1}`, key, class: 'valid', ...(validUpstream ? { upstream: validUpstream } : {}) });
      });
    }
  }
  if (raw['lure_api_keys'] !== undefined) {
    const lures = raw['lure_api_keys'];
    if (lures === null || typeof lures !== 'object' || Array.isArray(lures)) {
      issues.push({ level: 'error', path: 'lure_api_keys', message: 'lure_api_keys must map each lure key to a prompt or to {prompt, max_requests, block_duration, response_delay}' });
    } else {
      let i = 0;
      for (const [key, spec] of Object.entries(lures as Json)) {
        i += 1;
        const base = { name: `lure-${i}`, key, class: 'lure' };
        if (typeof spec === 'string') keys.push({ ...base, prompt: spec });
        else if (spec !== null && typeof spec === 'object') keys.push({ ...base, ...(spec as Json) });
        else issues.push({ level: 'error', path: `lure_api_keys.${key.slice(0, 8)}…`, message: 'a lure key maps to a prompt string or an object' });
      }
      issues.push({
        level: 'warning',
        path: 'lure_api_keys',
        message:
          'OpenAIPot forwarded lure traffic to the real API with the first valid key; honeygate never spends a valid key on a thief: lure traffic goes to the built-in decoy',
      });
    }
  }
  const lureDefaults: Json = { ...((out['lure_defaults'] as Json | undefined) ?? {}) };
  if (raw['max_lure_requests'] !== undefined) {
    lureDefaults['max_requests'] = raw['max_lure_requests'];
    issues.push({
      level: 'warning',
      path: 'max_lure_requests',
      message:
        'OpenAIPot documented N answered lure requests but its code blocked at the Nth; honeygate answers exactly N and the next one gets the quota error and the block',
    });
  }
  if (raw['block_duration'] !== undefined) lureDefaults['block_duration'] = raw['block_duration'];
  if (Object.keys(lureDefaults).length > 0) out['lure_defaults'] = lureDefaults;

  const limits: Json = { ...((out['limits'] as Json | undefined) ?? {}) };
  if (raw['allowlist'] !== undefined) {
    limits['exempt'] = raw['allowlist'];
    issues.push({
      level: 'warning',
      path: 'allowlist',
      message:
        'OpenAIPot forwarded any request from an allowlisted IP, even without a valid key; honeygate still checks keys and only exempts these IPs from rate limits',
    });
  }
  const rl = raw['rate_limits'];
  if (rl !== undefined && rl !== null && typeof rl === 'object') {
    const r = rl as Json;
    if (r['enabled'] === true) {
      limits['rules'] = [
        ...((limits['rules'] as unknown[] | undefined) ?? []),
        { name: 'openaipot', by: 'ip', limit: r['max_requests'], window: r['duration'] },
      ];
    }
  }
  if (Object.keys(limits).length > 0) out['limits'] = limits;
  if (Object.keys(upstreams).length > 0) out['upstreams'] = { decoy: { type: 'decoy' }, ...upstreams };
  out['keys'] = keys;
  return out;
}
