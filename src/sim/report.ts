/**
 * Reports of simulator runs: a text table for people and a JSON document for pipelines. Secrets
 * (parameters named secret, bearer keys, session tokens, proxy credentials) never appear: values
 * are replaced by their length and fingerprint wherever they would show.
 */
import { sha256Hex } from '../util/hash.js';
import type { LoadReport } from './load.js';
import type { FlowResult, Outcome } from './runner.js';
import { VERDICTS, type CheckerVerdict } from './flows.js';
import { overallVerdict } from './verdict.js';

/** `--expect`: an outcome for policy tests, or a key-checker verdict for lure tests. */
export type Expectation = 'allowed' | 'blocked' | CheckerVerdict;

export function isVerdict(e: string): e is CheckerVerdict {
  return (VERDICTS as readonly string[]).includes(e);
}

/** Each key checker's overall verdict over its probes in this run. */
function checkerVerdicts(results: readonly FlowResult[]): Record<string, CheckerVerdict> {
  const by = new Map<string, CheckerVerdict[]>();
  for (const r of results) {
    if (r.checker === undefined || r.verdict === undefined) continue;
    const key = `${r.checker} (${r.profile})`;
    by.set(key, [...(by.get(key) ?? []), r.verdict]);
  }
  return Object.fromEntries([...by].map(([k, v]) => [k, overallVerdict(v)]));
}

/** Secret values of a result (≥ 4 chars), to scrub from any text printed about it. */
export function secretValues(result: FlowResult): string[] {
  const out: string[] = [];
  for (const name of result.request.secrets) {
    const v = result.request.vars[name];
    if (v !== undefined && v.length >= 4) out.push(v);
  }
  return out;
}

/** `[redacted len=51 sha256:1a2b…]` — enough to tell two keys apart, never the key. */
export function redactedToken(value: string): string {
  return `[redacted len=${value.length} sha256:${sha256Hex(value).slice(0, 12)}]`;
}

/** Replace every occurrence of each secret in a text. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) {
    if (s.length >= 4) out = out.split(s).join(redactedToken(s));
  }
  return out;
}

/** A URL fit for printing: no user:password. */
export function safeUrl(url: URL | string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const u = new URL(String(url));
  if (u.username !== '' || u.password !== '') {
    u.username = '';
    u.password = '';
    return `${u.protocol}//[credentials]@${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  }
  return u.toString().replace(/\/$/, '');
}

export interface RunSummary {
  readonly total: number;
  readonly allowed: number;
  readonly blocked: number;
  readonly altered: number;
}

function summarize(results: readonly FlowResult[]): RunSummary {
  const count = (o: Outcome): number => results.filter((r) => r.outcome === o).length;
  return { total: results.length, allowed: count('allowed'), blocked: count('blocked'), altered: count('altered') };
}

/** Did every flow match the expectation? (false for an empty run) */
export function matchesExpectation(results: readonly FlowResult[], expect: Expectation): boolean {
  if (isVerdict(expect)) return results.length > 0 && results.every((r) => r.verdict === expect);
  return results.length > 0 && results.every((r) => r.outcome === expect);
}

function preview(text: string | undefined, max = 60): string | undefined {
  if (text === undefined) return undefined;
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** One result as JSON-ready data (scrubbed). */
function resultJson(r: FlowResult): Record<string, unknown> {
  const secrets = secretValues(r);
  const clean = (t: string): string => scrub(t, secrets);
  return {
    flow: r.flow,
    profile: r.profile,
    surface: r.surface,
    api: r.api,
    method: r.request.method,
    url: clean(r.url),
    outcome: r.outcome,
    reason: clean(r.reason),
    ...(r.status !== undefined ? { status: r.status } : {}),
    ...(r.failure !== undefined ? { failure: r.failure } : {}),
    provider_error: r.providerError,
    ...(r.refusedBy !== undefined ? { refused_by: r.refusedBy, why: clean(r.why ?? '') } : {}),
    ...(r.errorCode !== undefined ? { error_code: clean(r.errorCode) } : {}),
    ...(r.evidence !== undefined && r.evidence.length > 0 ? { evidence: r.evidence } : {}),
    problems: r.problems.map(clean),
    ...(r.text !== undefined ? { text: clean(r.text) } : {}),
    ...(r.events ? { events: r.events.length } : {}),
    ...(r.exchange.tls ? { tls: r.exchange.tls } : {}),
    ...(r.checker !== undefined ? { checker: r.checker, verdict: r.verdict, verdict_why: clean(r.verdictWhy ?? '') } : {}),
    time_ms: r.timings.total,
    request_bytes: r.requestBytes.length,
    response_bytes: r.exchange.rawResponse.length,
    ...(r.faithful !== undefined ? { faithful: r.faithful, fidelity: (r.fidelity ?? []).map(clean) } : {}),
  };
}

export interface RunMeta {
  readonly mode: 'one-arm' | 'two-arm';
  readonly target: string;
  readonly proxy?: string;
  readonly expect?: Expectation;
}

export function runJson(meta: RunMeta, results: readonly FlowResult[]): Record<string, unknown> {
  const summary = summarize(results);
  return {
    mode: meta.mode,
    target: safeUrl(meta.target),
    ...(meta.proxy !== undefined ? { proxy: safeUrl(meta.proxy) } : {}),
    ...(meta.expect !== undefined ? { expect: meta.expect, matched: matchesExpectation(results, meta.expect) } : {}),
    ...(meta.mode === 'two-arm' ? { passed: results.length > 0 && results.every((r) => r.faithful === true) } : {}),
    summary,
    ...(results.some((r) => r.checker !== undefined) ? { checkers: checkerVerdicts(results) } : {}),
    results: results.map(resultJson),
  };
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd()).join('\n');
}

/** `TLSv1.3 TLS_AES_256_GCM_SHA384 http/1.1 sni=api.openai.com`, or `-` in clear. */
function tlsText(r: FlowResult): string {
  const t = r.exchange.tls;
  if (!t) return '-';
  return `${t.version} ${t.cipher} ${t.alpn ?? 'no-alpn'} sni=${t.sni ?? '-'}`;
}

export function runText(meta: RunMeta, results: readonly FlowResult[]): string {
  const anyTls = results.some((r) => r.exchange.tls !== undefined);
  const anyChecker = results.some((r) => r.checker !== undefined);
  const rows = [['FLOW', 'PROFILE', 'OUTCOME', 'BY', ...(anyChecker ? ['VERDICT'] : []), 'STATUS', 'MS', ...(anyTls ? ['TLS'] : []), meta.mode === 'two-arm' ? 'FAITHFUL' : '', 'REASON']];
  for (const r of results) {
    const secrets = secretValues(r);
    const why = r.faithful === false ? (r.fidelity ?? [])[0] ?? r.reason : r.verdictWhy !== undefined ? `${r.verdictWhy} (${r.reason})` : r.reason;
    rows.push([
      r.flow,
      r.profile,
      r.outcome,
      r.refusedBy ?? (r.providerError ? 'provider' : '-'),
      ...(anyChecker ? [r.verdict ?? '-'] : []),
      r.status !== undefined ? String(r.status) : '-',
      String(Math.round(r.timings.total)),
      ...(anyTls ? [tlsText(r)] : []),
      meta.mode === 'two-arm' ? (r.faithful ? 'yes' : 'NO') : '',
      scrub(preview(why, 90) ?? '', secrets),
    ]);
  }
  const s = summarize(results);
  let out = `${meta.mode} → ${safeUrl(meta.target) ?? ''}${meta.proxy ? ` via proxy ${safeUrl(meta.proxy) ?? ''}` : ''}\n\n${table(rows)}\n\n`;
  out += `${s.total} flows: ${s.allowed} allowed, ${s.blocked} blocked, ${s.altered} altered`;
  if (meta.expect) out += `; expected ${meta.expect}: ${matchesExpectation(results, meta.expect) ? 'MATCHED' : 'NOT MATCHED'}`;
  for (const [checker, verdict] of Object.entries(checkerVerdicts(results))) out += `\nkey checker ${checker}: ${verdict}`;
  if (meta.mode === 'two-arm') {
    const ok = results.filter((r) => r.faithful === true).length;
    out += `; ${ok}/${results.length} faithful`;
  }
  return `${out}\n`;
}

export function loadText(report: LoadReport): string {
  const l = report.latency;
  const statuses = Object.entries(report.statuses)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const names = Object.keys(report.flows);
  const mix = Object.entries(report.flows)
    .map(([name, f]) => `  ${name} (${f.profile}) weight ${f.weight}: sent ${f.sent}, completed ${f.completed}, allowed=${f.outcomes.allowed} blocked=${f.outcomes.blocked} altered=${f.outcomes.altered}`)
    .join('\n');
  const pct = report.rate > 0 ? Math.round((report.sendRate / report.rate) * 100) : 0;
  return [
    `load ${names.length > 1 ? `mix of ${names.length} flows` : `${report.flow} (${report.profile})`} → ${safeUrl(report.target) ?? ''}${report.seed !== null ? ` seed ${report.seed}` : ''}`,
    `sent ${report.sent}, completed ${report.completed} in ${(report.durationMs / 1000).toFixed(2)} s (${report.achievedRate.toFixed(1)} req/s), stopped by ${report.stoppedBy}`,
    `rate: requested ${report.rate}/s, sent ${report.sendRate.toFixed(1)}/s (${pct}%): ${report.rateMet ? 'met' : 'MISSED (the target\'s latency or --concurrency held it back)'}`,
    `connections: ${report.connections.opened} opened, ${report.connections.reused} requests on a reused connection${report.connections.keepAlive ? ' (keep-alive)' : ' (keep-alive off)'}`,
    ...(names.length > 1 ? [`mix:\n${mix}`] : []),
    `outcomes: allowed=${report.outcomes.allowed} blocked=${report.outcomes.blocked} altered=${report.outcomes.altered}`,
    `statuses: ${statuses === '' ? '-' : statuses}`,
    `latency ms: p50=${l.p50} p90=${l.p90} p99=${l.p99} max=${l.max} (min=${l.min} mean=${l.mean})`,
    '',
  ].join('\n');
}
