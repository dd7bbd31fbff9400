/**
 * /metrics: the Prometheus text format parses line by line (a strict parser, below), and the
 * counters move with real traffic through the gateway — by surface, key class and verdict — as do
 * the latency histograms, sink counters, canary hits, reloads and admin actions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { auth, chat, LURE, rawHttp, startHarness, VALID, type Harness } from './harness.js';

const FORWARDED = 'sk-proj-MetricsForwardedKey0123456789abcdefghijklmnopqrstuvwxyzT3BlbkFJff';

interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Prometheus text exposition format 0.0.4, strictly: every line is HELP, TYPE or a sample. */
export function parsePrometheus(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
  const sampleLine = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (-?(?:[0-9.]+(?:e[+-]?[0-9]+)?|NaN|\\+Inf|-Inf))(?: -?[0-9]+)?$`);
  const labelPair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\["\\n])*)"(?:,|$)/gy;
  expect(text.endsWith('\n')).toBe(true);
  for (const line of text.slice(0, -1).split('\n')) {
    if (line === '') continue; // "empty lines are ignored" (exposition format 0.0.4)
    if (line.startsWith('# HELP ')) {
      expect(line).toMatch(new RegExp(`^# HELP ${NAME} .+$`));
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const m = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`).exec(line);
      expect(m, line).not.toBeNull();
      if (m?.[1] !== undefined && m[2] !== undefined) types.set(m[1], m[2]);
      continue;
    }
    const m = sampleLine.exec(line);
    expect(m, `not a sample line: ${line}`).not.toBeNull();
    if (!m) continue;
    const labels: Record<string, string> = {};
    const body = m[2] ?? '';
    labelPair.lastIndex = 0;
    let consumed = 0;
    for (let p = labelPair.exec(body); p !== null; p = labelPair.exec(body)) {
      labels[p[1] ?? ''] = p[2] ?? '';
      consumed = labelPair.lastIndex;
    }
    expect(consumed, `label set of ${line}`).toBe(body.length);
    samples.push({ name: m[1] ?? '', labels, value: Number(m[3]) });
  }
  return { samples, types };
}

let h: Harness;
let upstream: FakeUpstream;

const scrape = async (): Promise<ReturnType<typeof parsePrometheus>> => {
  const res = await fetch(`${h.adminUrl}/metrics`, { headers: auth() });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheus(await res.text());
};

const value = (m: ReturnType<typeof parsePrometheus>, name: string, labels: Record<string, string> = {}): number => {
  const found = m.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return found.reduce((a, s) => a + s.value, 0);
};

beforeAll(async () => {
  upstream = await startFakeUpstream();
  h = await startHarness((c) => ({
    ...c,
    upstreams: { ...(c['upstreams'] as object), real: { type: 'openai', url: upstream.url } },
    keys: [...(c['keys'] as unknown[]), { name: 'forwarded', key: FORWARDED, class: 'valid', upstream: 'real' }, { name: 'canary-lure', key: 'sk-proj-MetricsCanaryLure0123456789abcdefghijklmnopqrstuvwxyzT3BlbkFJmm', class: 'lure', campaign: 'pastebin', reply: 'Use {{canary:url}} now.', max_requests: 100 }],
  }));
});
afterAll(async () => {
  await h.close();
  await upstream.close();
});

describe('/metrics', () => {
  it('parses, names every metric of docs/admin.md, and starts at zero', async () => {
    const m = await scrape();
    for (const name of [
      'honeygate_requests_total',
      'honeygate_request_duration_seconds',
      'honeygate_gateway_overhead_seconds',
      'honeygate_upstream_duration_seconds',
      'honeygate_canary_hits_total',
      'honeygate_lure_requests_total',
      'honeygate_system_events_total',
      'honeygate_config_reloads_total',
      'honeygate_config_last_reload_success_timestamp_seconds',
      'honeygate_store_unavailable_total',
      'honeygate_store_up',
      'honeygate_store_degraded',
      'honeygate_blocks_active',
      'honeygate_sink_queue_depth',
      'honeygate_sink_disabled',
      'honeygate_sink_written_total',
      'honeygate_sink_dropped_total',
      'honeygate_sink_failed_total',
      'honeygate_sink_suppressed_total',
      'honeygate_admin_auth_failures_total',
      'honeygate_event_store_query_errors_total',
      'honeygate_dashboard_live_clients',
      'honeygate_dashboard_live_dropped_total',
      'honeygate_dashboard_sessions',
    ]) {
      expect(m.types.has(name), name).toBe(true);
    }
    expect(m.types.get('honeygate_requests_total')).toBe('counter');
    expect(m.types.get('honeygate_request_duration_seconds')).toBe('histogram');
    expect(value(m, 'honeygate_requests_total')).toBe(0);
    expect(value(m, 'honeygate_store_up', { backend: 'memory' })).toBe(1);
    expect(value(m, 'honeygate_store_degraded')).toBe(0);
  });

  it('counts requests by surface, key class and verdict, with latency histograms', async () => {
    const before = await scrape();
    for (let i = 0; i < 2; i++) expect((await chat(h.url, VALID, '192.0.2.20')).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await chat(h.url, LURE, '203.0.113.20')).status).toBe(200);
    expect((await chat(h.url, 'sk-wrong-000000000000000000000000', '203.0.113.21')).status).toBe(401);
    expect((await chat(h.url, FORWARDED, '192.0.2.21')).status).toBe(200);
    await h.stored(7);
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}): number => value(after, name, labels) - value(before, name, labels);
    expect(delta('honeygate_requests_total', { surface: 'openai', key_class: 'valid', verdict: 'forward', reason: 'valid_key' })).toBe(3);
    expect(delta('honeygate_requests_total', { surface: 'openai', key_class: 'lure', verdict: 'deceive', reason: 'lure_key' })).toBe(3);
    expect(delta('honeygate_requests_total', { surface: 'openai', key_class: 'invalid', verdict: 'reject', reason: 'invalid_key' })).toBe(1);
    expect(delta('honeygate_lure_requests_total', { campaign: 'github-leak' })).toBe(3);
    expect(delta('honeygate_request_duration_seconds_count')).toBe(7);
    expect(delta('honeygate_request_duration_seconds_count', { key_class: 'lure' })).toBe(3);
    expect(delta('honeygate_gateway_overhead_seconds_count')).toBe(7);
    expect(delta('honeygate_requests_total', { key_class: 'valid', verdict: 'forward' })).toBe(3);
    // the upstream wait of the request forwarded to a real (fake) upstream
    expect(delta('honeygate_upstream_duration_seconds_count', { upstream: 'real' })).toBe(1);
    expect(value(after, 'honeygate_upstream_duration_seconds_sum', { upstream: 'real' })).toBeGreaterThan(0);
    // histogram buckets are cumulative and end at +Inf = count
    const buckets = after.samples.filter((s) => s.name === 'honeygate_request_duration_seconds_bucket' && s.labels['key_class'] === 'lure');
    const values = buckets.map((b) => b.value);
    expect([...values].sort((a, b) => a - b)).toEqual(values);
    expect(buckets.at(-1)?.labels['le']).toBe('+Inf');
    expect(buckets.at(-1)?.value).toBe(value(after, 'honeygate_request_duration_seconds_count', { key_class: 'lure' }));
    expect(value(after, 'honeygate_request_duration_seconds_sum', { key_class: 'lure' })).toBeGreaterThan(0);
    // the event store sink wrote them
    expect(delta('honeygate_sink_written_total', { sink: 'store' })).toBeGreaterThanOrEqual(7);
    expect(value(after, 'honeygate_sink_queue_depth', { sink: 'store' })).toBe(0);
  });

  it('upstream latency comes from honeygate.upstream_ms, per upstream, into the right buckets', async () => {
    // a published event with known values, to pin the unit conversion and the bucket boundaries
    const before = await scrape();
    const template = h.events.find((e) => e.honeygate.upstream === 'real');
    expect(template).toBeDefined();
    if (template === undefined) return;
    h.bus.publish({ ...template, event: { ...template.event, id: 'synthetic-upstream-1' }, honeygate: { ...template.honeygate, upstream_ms: 250, overhead_ms: 0.4 } });
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}): number => value(after, name, labels) - value(before, name, labels);
    expect(delta('honeygate_upstream_duration_seconds_count', { upstream: 'real' })).toBe(1);
    expect(delta('honeygate_upstream_duration_seconds_sum', { upstream: 'real' })).toBeCloseTo(0.25, 6);
    expect(delta('honeygate_upstream_duration_seconds_bucket', { upstream: 'real', le: '0.1' })).toBe(0);
    expect(delta('honeygate_upstream_duration_seconds_bucket', { upstream: 'real', le: '0.25' })).toBe(1);
    expect(delta('honeygate_gateway_overhead_seconds_bucket', { le: '0.0005' })).toBe(1);
    expect(delta('honeygate_gateway_overhead_seconds_bucket', { le: '0.00025' })).toBe(0);
  });

  it('counts canary hits, admin actions, blocks and reloads', async () => {
    const before = await scrape();
    const res = await chat(h.url, 'sk-proj-MetricsCanaryLure0123456789abcdefghijklmnopqrstuvwxyzT3BlbkFJmm', '203.0.113.30');
    const content = ((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]?.message.content ?? '';
    const link = /(http:\/\/\S+\/c\/[A-Za-z0-9_-]+)/.exec(content)?.[1];
    expect(link).toBeDefined();
    await fetch(link ?? '', { headers: { 'x-forwarded-for': '198.18.0.9' } });
    await fetch(`${h.adminUrl}/api/v1/blocks`, { method: 'POST', headers: { ...auth(), 'content-type': 'application/json' }, body: '{"ip":"192.0.2.99","duration":"1h"}' });
    await fetch(`${h.adminUrl}/api/v1/reload`, { method: 'POST', headers: auth() });
    await h.writeConfig('keys: [');
    await fetch(`${h.adminUrl}/api/v1/reload`, { method: 'POST', headers: auth() });
    await new Promise((r) => setTimeout(r, 50));
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}): number => value(after, name, labels) - value(before, name, labels);
    expect(delta('honeygate_canary_hits_total', { kind: 'url', via: 'http' })).toBe(1);
    expect(delta('honeygate_system_events_total', { component: 'admin', action: 'admin:block' })).toBe(1);
    expect(value(after, 'honeygate_blocks_active')).toBe(1);
    expect(delta('honeygate_config_reloads_total', { result: 'success' })).toBe(1);
    expect(delta('honeygate_config_reloads_total', { result: 'failure' })).toBe(1);
    expect(value(after, 'honeygate_config_last_reload_success_timestamp_seconds')).toBeGreaterThan(Date.now() / 1000 - 60);
  });

  it('refuses without the token, and HEAD and query strings change nothing', async () => {
    expect((await fetch(`${h.adminUrl}/metrics`)).status).toBe(401);
    expect((await fetch(`${h.adminUrl}/metrics?name[]=x`, { headers: auth() })).status).toBe(200);
    const head = await rawHttp(h.adminUrl, 'HEAD', '/metrics', auth());
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect((await rawHttp(h.adminUrl, 'POST', '/metrics', auth())).status).toBe(404);
  });
});
