/**
 * Prometheus metrics (prom-client), one registry per admin listener (tests run several gateways in
 * one process). Request metrics are fed by a consumer of the gateway's EventBus (each request's compact
 * record; other events whole), which publishes
 * after the response has closed: nothing here runs on the request path. Each event costs a few
 * label lookups and additions, no I/O.
 *
 * Sink, state-store and event-store figures are read when Prometheus scrapes (`collect`): the sinks'
 * `stats()` counters become `_total` counters by adding what grew since the last scrape.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EventBus } from '../events/bus.js';
import type { GatewayEvent } from '../events/model.js';
import type { RequestRecord } from '../events/record.js';
import type { SinkStats } from '../events/sinks/queue.js';
import type { Store } from '../store/types.js';

export interface MetricsOptions {
  readonly bus: EventBus;
  readonly store: Store;
  /** the sinks' counters (createSinks().stats) */
  readonly sinkStats?: () => readonly SinkStats[];
  /** live SSE clients of the dashboard */
  readonly liveClients?: () => number;
  /** dashboard sessions open */
  readonly sessions?: () => number;
  /** Node.js process metrics (process_*, nodejs_*); default true */
  readonly processMetrics?: boolean;
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const OVERHEAD_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/** Label values from event fields: short, from a closed set where the model has one. */
const label = (value: string | undefined, fallback = 'none'): string => (value === undefined || value === '' ? fallback : value.slice(0, 64));

export interface AdminMetrics {
  readonly registry: Registry;
  /** count an auth failure on the admin listener */
  authFailure(kind: 'bearer' | 'session' | 'login' | 'csrf' | 'throttled'): void;
  /** count an event-store query that failed */
  queryError(): void;
  /** count an SSE event not delivered to a slow dashboard client */
  liveDropped(): void;
  /** the Prometheus text */
  text(): Promise<string>;
  readonly contentType: string;
  /** unsubscribe from the bus */
  close(): void;
}

export function createMetrics(options: MetricsOptions): AdminMetrics {
  const registry = new Registry();
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });

  const requests = new Counter({
    name: 'honeygate_requests_total',
    help: 'Requests served, by surface, key class, verdict action and reason',
    labelNames: ['surface', 'key_class', 'verdict', 'reason'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'honeygate_request_duration_seconds',
    help: 'Time from the first request byte to the end of the response (event.duration)',
    labelNames: ['surface', 'key_class', 'verdict'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const overhead = new Histogram({
    name: 'honeygate_gateway_overhead_seconds',
    help: "The gateway's own time per request: total minus the upstream wait (honeygate.overhead_ms)",
    labelNames: ['surface', 'verdict'] as const,
    buckets: OVERHEAD_BUCKETS,
    registers: [registry],
  });
  const upstream = new Histogram({
    name: 'honeygate_upstream_duration_seconds',
    help: 'Upstream wait per forwarded or deceived request (honeygate.upstream_ms)',
    labelNames: ['upstream'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const canaries = new Counter({
    name: 'honeygate_canary_hits_total',
    help: 'Canaries used again, by canary kind and how (http link or api_key)',
    labelNames: ['kind', 'via'] as const,
    registers: [registry],
  });
  const lureCampaign = new Counter({
    name: 'honeygate_lure_requests_total',
    help: 'Requests made with lure keys, by campaign',
    labelNames: ['campaign'] as const,
    registers: [registry],
  });
  const system = new Counter({
    name: 'honeygate_system_events_total',
    help: 'System events (store degraded/recovered, sink disabled, config reloaded, admin actions), by component and action',
    labelNames: ['component', 'action'] as const,
    registers: [registry],
  });
  const reloads = new Counter({
    name: 'honeygate_config_reloads_total',
    help: 'Config reloads (SIGHUP or admin API), by result',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  const lastReload = new Gauge({
    name: 'honeygate_config_last_reload_success_timestamp_seconds',
    help: 'When the config was last loaded successfully (start or reload), Unix time',
    registers: [registry],
  });
  lastReload.setToCurrentTime();
  const storeUnavailable = new Counter({
    name: 'honeygate_store_unavailable_total',
    help: 'Requests refused because the state store was unavailable (failure_policy fail_closed)',
    registers: [registry],
  });
  const authFailures = new Counter({
    name: 'honeygate_admin_auth_failures_total',
    help: 'Refused admin requests: bad or missing bearer token, bad session, bad login, missing CSRF header, throttled',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const queryErrors = new Counter({
    name: 'honeygate_event_store_query_errors_total',
    help: 'Event-store queries of the admin API that failed',
    registers: [registry],
  });
  const liveDropped = new Counter({
    name: 'honeygate_dashboard_live_dropped_total',
    help: 'Live-feed events not sent to a dashboard client that read too slowly',
    registers: [registry],
  });

  // state store health, read at scrape
  const store = options.store;
  new Gauge({
    name: 'honeygate_store_up',
    help: 'State store answering (1) or not (0)',
    labelNames: ['backend'] as const,
    registers: [registry],
    collect() {
      const h = store.health();
      this.reset();
      this.set({ backend: h.backend }, h.ok ? 1 : 0);
    },
  });
  new Gauge({
    name: 'honeygate_store_degraded',
    help: 'State store running on its fallback or failure policy (1) or normally (0)',
    labelNames: ['backend'] as const,
    registers: [registry],
    collect() {
      const h = store.health();
      this.reset();
      this.set({ backend: h.backend }, h.degraded ? 1 : 0);
    },
  });
  new Gauge({
    name: 'honeygate_blocks_active',
    help: 'Subjects blocked now (lure thresholds and admin blocks)',
    registers: [registry],
    async collect() {
      try {
        this.set((await store.listBlocks()).length);
      } catch {
        // the store's own health gauges report the outage
      }
    },
  });

  // sinks: queue depth and their counters (stats() is cumulative: add what grew since the last scrape)
  const sinkStats = options.sinkStats;
  if (sinkStats !== undefined) {
    new Gauge({
      name: 'honeygate_sink_queue_depth',
      help: 'Events waiting in a sink queue',
      labelNames: ['sink', 'kind'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const s of sinkStats()) this.set({ sink: s.name, kind: s.kind }, s.queued);
      },
    });
    new Gauge({
      name: 'honeygate_sink_disabled',
      help: 'Sink disabled after repeated failures (1) or running (0)',
      labelNames: ['sink', 'kind'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const s of sinkStats()) this.set({ sink: s.name, kind: s.kind }, s.disabled ? 1 : 0);
      },
    });
    const cumulative = (name: string, help: string, pick: (s: SinkStats) => number | undefined): void => {
      const seen = new Map<string, number>();
      new Counter({
        name,
        help,
        labelNames: ['sink', 'kind'] as const,
        registers: [registry],
        collect() {
          for (const s of sinkStats()) {
            const value = pick(s);
            if (value === undefined) continue;
            const before = seen.get(s.name) ?? 0;
            if (value > before) this.inc({ sink: s.name, kind: s.kind }, value - before);
            else if (before === 0) this.inc({ sink: s.name, kind: s.kind }, 0);
            seen.set(s.name, Math.max(before, value));
          }
        },
      });
    };
    cumulative('honeygate_sink_written_total', 'Events a sink delivered', (s) => s.written);
    cumulative('honeygate_sink_dropped_total', 'Events a sink refused: queue full, disabled or closed', (s) => s.dropped);
    cumulative('honeygate_sink_failed_total', 'Events a sink could not deliver (event-store write errors are sink="store")', (s) => s.failed);
    cumulative('honeygate_sink_suppressed_total', 'Webhook alerts held back by the per-source throttle', (s) => s.suppressed);
  }
  if (options.liveClients !== undefined) {
    const live = options.liveClients;
    new Gauge({ name: 'honeygate_dashboard_live_clients', help: 'Dashboard live-feed connections open', registers: [registry], collect() { this.set(live()); } });
  }
  if (options.sessions !== undefined) {
    const sessions = options.sessions;
    new Gauge({ name: 'honeygate_dashboard_sessions', help: 'Dashboard sessions open', registers: [registry], collect() { this.set(sessions()); } });
  }

  const onRequest = (rec: RequestRecord): void => {
    const surface = label(rec.surface);
    const keyClass = label(rec.key.class);
    const verdict = label(rec.verdictAction);
    requests.inc({ surface, key_class: keyClass, verdict, reason: label(rec.verdictReason) });
    duration.observe({ surface, key_class: keyClass, verdict }, rec.durationMs / 1000);
    overhead.observe({ surface, verdict }, (rec.durationMs - Math.max(0, rec.upstreamMs)) / 1000);
    if (rec.upstreamMs >= 0) upstream.observe({ upstream: label(rec.upstream, 'unknown') }, rec.upstreamMs / 1000);
    if (rec.key.class === 'lure') lureCampaign.inc({ campaign: label(rec.key.campaign) });
    if (rec.verdictReason === 'store_unavailable') storeUnavailable.inc();
  };
  const onEvent = (e: GatewayEvent): void => {
    const h = e.honeygate;
    switch (e.event.dataset) {
      case 'honeygate.request': {
        // a request published whole (the request path publishes records: onRequest)
        const surface = label(h.surface);
        const keyClass = label(h.key?.class);
        const verdict = label(h.verdict?.action);
        requests.inc({ surface, key_class: keyClass, verdict, reason: label(h.verdict?.reason) });
        if (e.event.duration !== undefined) duration.observe({ surface, key_class: keyClass, verdict }, e.event.duration / 1e9);
        if (h.overhead_ms !== undefined) overhead.observe({ surface, verdict }, h.overhead_ms / 1000);
        if (h.upstream_ms !== undefined) upstream.observe({ upstream: label(h.upstream, 'unknown') }, h.upstream_ms / 1000);
        if (h.key?.class === 'lure') lureCampaign.inc({ campaign: label(h.key.campaign) });
        if (h.verdict?.reason === 'store_unavailable') storeUnavailable.inc();
        return;
      }
      case 'honeygate.canary':
        canaries.inc({ kind: label(h.canary?.kind, 'unknown'), via: label(h.canary?.via, 'unknown') });
        return;
      case 'honeygate.system': {
        const component = label(h.system?.component, 'unknown');
        system.inc({ component, action: label(e.event.action) });
        if (e.event.action === 'config:reloaded') {
          reloads.inc({ result: 'success' });
          lastReload.setToCurrentTime();
        } else if (e.event.action === 'config:reload_failed') reloads.inc({ result: 'failure' });
        return;
      }
    }
  };
  // records, not whole events: the request thread never builds a request's event for the metrics
  const unsubscribe = options.bus.attach({ record: onRequest, event: onEvent });
  // series that exist before the first event, so dashboards and alerts see zeros, not gaps
  reloads.inc({ result: 'success' }, 0);
  reloads.inc({ result: 'failure' }, 0);
  storeUnavailable.inc(0);
  queryErrors.inc(0);
  liveDropped.inc(0);

  return {
    registry,
    contentType: registry.contentType,
    authFailure: (kind) => authFailures.inc({ kind }),
    queryError: () => queryErrors.inc(),
    liveDropped: () => liveDropped.inc(),
    text: () => registry.metrics(),
    close: unsubscribe,
  };
}
