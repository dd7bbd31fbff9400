/**
 * Webhook alerts for lure use, blocks and canary hits (issue 6), in four shapes:
 * - Slack incoming webhook: `text` + Block Kit (https://api.slack.com/messaging/webhooks); event
 *   values go in `plain_text` objects, so an attacker's string can neither mention nor link.
 * - Microsoft Teams: a message with one Adaptive Card 1.4 attachment — the payload both Workflows
 *   (Power Automate "post to a channel when a webhook request is received") and the older
 *   connectors accept; values markdown-escaped.
 * - Discord: `content` + one embed (https://discord.com/developers/docs/resources/webhook),
 *   `allowed_mentions: {parse: []}` so no value can ping @everyone; embed limits respected.
 * - json: the event itself, signed.
 *
 * Signing (any kind with a `secret`): `X-Honeygate-Signature: sha256=<hex HMAC-SHA256(secret, raw
 * body)>`, `X-Honeygate-Timestamp: <unix seconds>`; the body carries the same `timestamp`, so the
 * signature covers it and a receiver rejects replays by checking both (docs/events.md).
 *
 * Delivery: undici, one alert at a time per webhook; a 5xx, 429, timeout or connection error is
 * retried `retries` times after `backoff`·2^n (equal jitter); other statuses fail at once. After
 * `disable_after` consecutive undelivered alerts the webhook disables itself and publishes a
 * `honeygate.system` event on the bus. Throttling happens before the queue (O(1) per event): at
 * most one alert per source IP per `throttle` window; the next alert carries the suppressed count.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { Agent, request } from 'undici';
import type { AlertTrigger, WebhookConfig } from '../config.js';
import { alertTriggers, classify, clip, printable, productVersion, summary } from '../describe.js';
import type { GatewayEvent } from '../model.js';
import { errorText, QueuedSink, type MetricHandler, type SinkWriter, type WriteResult } from './queue.js';

export interface Alert {
  readonly event: GatewayEvent;
  readonly triggers: readonly AlertTrigger[];
  /** alerts from the same source held back by the throttle since the previous one */
  readonly suppressed: number;
}

export interface RenderContext {
  /** unix seconds, also sent as X-Honeygate-Timestamp */
  readonly timestamp: number;
  readonly version: string;
}

// ---- throttle --------------------------------------------------------------------------------

interface ThrottleEntry {
  readonly sentAt: number;
  suppressed: number;
}

/**
 * At most one alert per key per window. Memory is bounded: entries live in insertion order
 * (re-inserted on each alert), expired ones are swept from the front as new keys arrive, and past
 * `maxEntries` the oldest is evicted (its suppressed count is lost; stats still counts it).
 */
export class Throttle {
  readonly #windowMs: number;
  readonly #maxEntries: number;
  readonly #entries = new Map<string, ThrottleEntry>();

  constructor(windowMs: number, maxEntries = 10_000) {
    this.#windowMs = windowMs;
    this.#maxEntries = maxEntries;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** `send` with the count suppressed before, or held back (counted). `undo` reverts a send. */
  hit(key: string, now: number): { send: true; suppressed: number; undo: () => void } | { send: false } {
    if (this.#windowMs <= 0) return { send: true, suppressed: 0, undo: () => undefined };
    const entry = this.#entries.get(key);
    if (entry !== undefined && now - entry.sentAt < this.#windowMs) {
      entry.suppressed++;
      return { send: false };
    }
    this.#sweep(now);
    const suppressed = entry?.suppressed ?? 0;
    this.#entries.delete(key);
    this.#entries.set(key, { sentAt: now, suppressed: 0 });
    if (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
    return {
      send: true,
      suppressed,
      undo: () => {
        if (entry === undefined) this.#entries.delete(key);
        else this.#entries.set(key, entry);
      },
    };
  }

  #sweep(now: number): void {
    for (let i = 0; i < 2; i++) {
      const first = this.#entries.entries().next();
      if (first.done === true) return;
      const [key, entry] = first.value;
      if (now - entry.sentAt < this.#windowMs || entry.suppressed > 0) return;
      this.#entries.delete(key);
    }
  }
}

// ---- payloads --------------------------------------------------------------------------------

interface Fact {
  readonly title: string;
  readonly value: string;
}

/** The facts every chat alert shows, in order; no prompt text (attacker content, and a leak into chat). */
function facts(alert: Alert): Fact[] {
  const e = alert.event;
  const h = e.honeygate;
  const out: Fact[] = [];
  const add = (title: string, value: string | number | undefined): void => {
    if (value !== undefined && value !== '') out.push({ title, value: clip(String(value), 200) });
  };
  add('Source', e.source?.ip);
  add('Key', h.key !== undefined ? [h.key.class, h.key.name, h.key.mask ?? h.key.fingerprint].filter(Boolean).join(' · ') : undefined);
  add('Campaign', h.key?.campaign);
  add('Placement', h.key?.placement);
  add('Canary', h.canary !== undefined ? `${h.canary.token} (${h.canary.kind}, minted for ${h.canary.minted_for_ip})` : undefined);
  add('Verdict', h.verdict !== undefined ? `${h.verdict.action} (${h.verdict.reason})` : undefined);
  add('Request', e.http !== undefined && e.url !== undefined ? `${e.http.request.method} ${e.url.path} → ${e.http.response.status_code}` : undefined);
  add('Model', h.model);
  add('Client', h.client !== undefined ? [h.client.name, h.client.version].filter(Boolean).join(' ') : undefined);
  add('Suppressed', alert.suppressed > 0 ? `${alert.suppressed} more from this source since the last alert` : undefined);
  add('Time', e['@timestamp']);
  add('Event', e.event.id);
  return out;
}

function title(alert: Alert): string {
  return `honeygate: ${classify(alert.event).name}`;
}

/** Slack mrkdwn control characters (https://api.slack.com/reference/surfaces/formatting#escaping). */
function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Markdown punctuation escaped with a backslash (Teams, Discord): values show as typed, never as links or formatting. */
function markdownEscape(text: string): string {
  return text.replace(/[\\`*_~|[\]()<>#@!-]/g, (c) => `\\${c}`);
}

function renderPayload(kind: WebhookConfig['kind'], alert: Alert, ctx: RenderContext): unknown {
  const list = facts(alert);
  switch (kind) {
    case 'slack':
      return {
        text: slackEscape(clip(summary(alert.event), 1000)),
        blocks: [
          { type: 'header', text: { type: 'plain_text', text: clip(title(alert), 150) } },
          {
            type: 'section',
            fields: list.slice(0, 10).map((f) => ({ type: 'plain_text', text: clip(`${f.title}: ${f.value}`, 1900) })),
          },
          { type: 'context', elements: [{ type: 'mrkdwn', text: slackEscape(`honeygate ${ctx.version} · ${alert.triggers.join(', ')}`) }] },
        ],
      };
    case 'teams':
      return {
        type: 'message',
        attachments: [
          {
            contentType: 'application/vnd.microsoft.card.adaptive',
            contentUrl: null,
            content: {
              $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
              type: 'AdaptiveCard',
              version: '1.4',
              body: [
                { type: 'TextBlock', size: 'Large', weight: 'Bolder', wrap: true, text: markdownEscape(title(alert)) },
                { type: 'FactSet', facts: list.map((f) => ({ title: f.title, value: markdownEscape(f.value) })) },
              ],
            },
          },
        ],
      };
    case 'discord':
      return {
        username: 'honeygate',
        content: clip(markdownEscape(title(alert)), 2000),
        allowed_mentions: { parse: [] },
        embeds: [
          {
            title: clip(classify(alert.event).name, 256),
            description: clip(markdownEscape(summary(alert.event)), 4000),
            color: alert.triggers.includes('canary') ? 0xc0392b : alert.triggers.includes('block') ? 0xe67e22 : 0xf1c40f,
            fields: list.slice(0, 25).map((f) => ({ name: clip(f.title, 256), value: clip(markdownEscape(f.value), 1024), inline: f.title !== 'Event' })),
            timestamp: Number.isFinite(Date.parse(alert.event['@timestamp'])) ? alert.event['@timestamp'] : new Date(ctx.timestamp * 1000).toISOString(),
            footer: { text: `honeygate ${ctx.version}` },
          },
        ],
      };
    case 'json':
      return {
        type: 'honeygate.alert',
        version: 1,
        timestamp: ctx.timestamp,
        triggers: alert.triggers,
        title: classify(alert.event).name,
        summary: printable(summary(alert.event)),
        suppressed: alert.suppressed,
        event: alert.event,
      };
    default: {
      const never: never = kind;
      throw new Error(`unknown webhook kind ${String(never)}`);
    }
  }
}

/** `sha256=<hex>` of HMAC-SHA256(secret, body). */
function signBody(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

// ---- delivery --------------------------------------------------------------------------------

class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

interface WriterOptions {
  readonly config: WebhookConfig;
  readonly label: string;
  readonly version: string;
  readonly onDisable: (detail: string) => void;
  readonly now: () => number;
}

class WebhookWriter implements SinkWriter<Alert> {
  readonly #c: WebhookConfig;
  readonly #o: WriterOptions;
  readonly #agent: Agent;
  readonly #abort = new AbortController();
  #consecutiveFailures = 0;
  #disabled = false;
  /** delivery attempts made (stats, tests) */
  attempts = 0;

  constructor(options: WriterOptions) {
    this.#o = options;
    this.#c = options.config;
    this.#agent = new Agent({
      connect: { timeout: this.#c.timeout },
      headersTimeout: this.#c.timeout,
      bodyTimeout: this.#c.timeout,
      keepAliveTimeout: 10_000,
    });
  }

  async write(batch: readonly Alert[]): Promise<WriteResult> {
    let written = 0;
    let failed = 0;
    let error: string | undefined;
    for (const alert of batch) {
      if (this.#disabled || this.#abort.signal.aborted) {
        failed++;
        continue;
      }
      try {
        await this.#deliver(alert);
        written++;
        this.#consecutiveFailures = 0;
      } catch (e: unknown) {
        failed++;
        error = errorText(e);
        this.#consecutiveFailures++;
        if (this.#consecutiveFailures >= this.#c.disable_after && !this.#abort.signal.aborted) {
          this.#disabled = true;
          this.#o.onDisable(
            `${this.#o.label} disabled after ${this.#consecutiveFailures} consecutive undelivered alerts; last error: ${error}`,
          );
        }
      }
    }
    return error === undefined ? { written, failed } : { written, failed, error };
  }

  async #deliver(alert: Alert): Promise<void> {
    const delivery = randomUUID();
    let last: unknown;
    for (let attempt = 0; attempt <= this.#c.retries; attempt++) {
      if (attempt > 0) {
        const base = this.#c.backoff * 2 ** (attempt - 1);
        await sleep(base / 2 + (Math.random() * base) / 2, this.#abort.signal);
      }
      try {
        await this.#post(alert, delivery);
        return;
      } catch (e: unknown) {
        last = e;
        if (e instanceof DeliveryError && !e.retryable) break;
        if (this.#abort.signal.aborted) break;
      }
    }
    throw last instanceof Error ? last : new Error(String(last));
  }

  async #post(alert: Alert, delivery: string): Promise<void> {
    this.attempts++;
    const timestamp = Math.floor(this.#o.now() / 1000);
    const body = JSON.stringify(renderPayload(this.#c.kind, alert, { timestamp, version: this.#o.version }));
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': `honeygate/${this.#o.version}`,
      'x-honeygate-delivery': delivery,
      'x-honeygate-timestamp': String(timestamp),
    };
    if (this.#c.secret !== undefined) headers['x-honeygate-signature'] = signBody(this.#c.secret, body);
    let status: number;
    try {
      const res = await request(this.#c.url, {
        method: 'POST',
        headers,
        body,
        dispatcher: this.#agent,
        signal: AbortSignal.any([AbortSignal.timeout(this.#c.timeout), this.#abort.signal]),
      });
      status = res.statusCode;
      await res.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
    } catch (e: unknown) {
      throw new DeliveryError(errorText(e), true);
    }
    if (status >= 200 && status < 300) return;
    throw new DeliveryError(`HTTP ${status}`, status >= 500 || status === 429 || status === 408);
  }

  async close(): Promise<void> {
    await this.#agent.close().catch(() => undefined);
  }

  abort(): void {
    this.#abort.abort();
    void this.#agent.destroy().catch(() => undefined);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

// ---- the sink --------------------------------------------------------------------------------

export interface WebhookSinkOptions {
  readonly index: number;
  readonly config: WebhookConfig;
  readonly queueSize: number;
  /** where the `honeygate.system` event goes when the webhook disables itself */
  readonly publish: (event: GatewayEvent) => void;
  readonly onMetric?: MetricHandler | undefined;
  readonly version?: string;
  readonly now?: () => number;
}

export interface WebhookSink {
  readonly sink: QueuedSink<Alert>;
  /** the bus listener: filter, throttle, enqueue — O(1), no I/O */
  readonly listener: (event: GatewayEvent) => void;
  readonly throttle: Throttle;
}

/** The webhook host for stats and messages: the URL's path is a secret for Slack, Discord and Teams. */
function webhookHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(invalid url)';
  }
}

export function systemEvent(component: string, action: string, detail: string, now: number): GatewayEvent {
  return {
    '@timestamp': new Date(now).toISOString(),
    ecs: { version: '8.11.0' },
    event: {
      id: randomUUID(),
      kind: 'event',
      dataset: 'honeygate.system',
      category: ['configuration'],
      type: ['change'],
      action,
      outcome: 'failure',
      reason: detail,
    },
    honeygate: { system: { component, detail } },
  };
}

export function createWebhookSink(options: WebhookSinkOptions): WebhookSink {
  const c = options.config;
  const now = options.now ?? Date.now;
  const name = `webhook.${options.index}`;
  const label = `webhook ${options.index} (${c.kind}, ${webhookHost(c.url)})`;
  const on = new Set<AlertTrigger>(c.on);
  const throttle = new Throttle(c.throttle);
  let sink: QueuedSink<Alert> | undefined;
  const writer = new WebhookWriter({
    config: c,
    label,
    version: options.version ?? productVersion(),
    now,
    onDisable: (detail) => {
      sink?.disable(detail);
      try {
        options.publish(systemEvent(`events.${name}`, 'sink-disabled', detail, now()));
      } catch {
        // the bus isolates its listeners; nothing else can go wrong here that we could handle
      }
    },
  });
  const queued = new QueuedSink<Alert>(writer, {
    name,
    kind: `webhook:${c.kind}`,
    target: webhookHost(c.url),
    capacity: options.queueSize,
    // one alert per batch: a disabled webhook stops before the next alert, which is then dropped
    batchSize: 1,
    lingerMs: 0,
    onMetric: options.onMetric,
  });
  sink = queued;
  const listener = (event: GatewayEvent): void => {
    const triggers = alertTriggers(event).filter((t) => on.has(t));
    if (triggers.length === 0) return;
    if (queued.disabled) {
      queued.offer({ event, triggers, suppressed: 0 }); // refused and counted as dropped
      return;
    }
    const decision = throttle.hit(event.source?.ip ?? '-', now());
    if (!decision.send) {
      queued.countSuppressed();
      return;
    }
    if (!queued.offer({ event, triggers, suppressed: decision.suppressed })) decision.undo();
  };
  return { sink: queued, listener, throttle };
}
