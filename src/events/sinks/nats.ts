/**
 * NATS JetStream sink: every event, as its JSON text (the same text as a JSONL line), published
 * to `<subject>.<dataset>` — `honeygate.events.request`, `.canary`, `.system` by default — and
 * acknowledged by the stream. Several gateways publish to one stream; SIEM pipelines consume it.
 *
 * Delivery: at least once, stored once. Each publish carries the event id as `Nats-Msg-Id`, so a
 * publish retried after a lost acknowledgement is dropped by the stream's duplicate window.
 *
 * While NATS is away the writer does not fail events: it retries each unacknowledged publish with
 * exponential backoff (with jitter) and the sink's queue holds what arrives meanwhile. Events are
 * lost only when that queue is full (drop-newest, counted like every sink) or when close() runs
 * out of time. At most `max_in_flight` publishes wait for their acknowledgement at once (one
 * batch of the queue). A publish the server refuses for good (payload too large, permission
 * denied) counts as failed and does not hold up the others.
 *
 * The first connection is made by the writer, in the background: a NATS server that is down at
 * start delays nothing and fails nothing. After it, the client reconnects on its own, forever.
 */
import { setMaxListeners } from 'node:events';
import { readFile } from 'node:fs/promises';
import {
  connect,
  credsAuthenticator,
  DiscardPolicy,
  NatsError,
  nanos,
  RetentionPolicy,
  StorageType,
  type ConnectionOptions,
  type JetStreamClient,
  type NatsConnection,
} from 'nats';
import type { NatsConfig } from '../config.js';
import type { GatewayEvent } from '../model.js';
import { errorText, QueuedSink, type MetricHandler, type SinkWriter, type WriteResult } from './queue.js';
import { eventJson } from './serialize.js';

export interface NatsSinkOptions {
  readonly config: NatsConfig;
  readonly queueSize: number;
  readonly onMetric?: MetricHandler | undefined;
}

/** JetStream's error code for "stream not found". */
const STREAM_NOT_FOUND = 10059;

/** Errors after which the same publish may succeed later: the server or the stream is away. */
const RETRYABLE = new Set(['TIMEOUT', 'DISCONNECT', 'CONNECTION_CLOSED', 'CONNECTION_REFUSED', 'CONNECTION_TIMEOUT', 'CONNECTION_DRAINING', 'REQUEST_ERROR', '503', '408']);

class Aborted extends Error {
  override readonly name = 'Aborted';
}

/** The servers as a stats target: no user, password or token in URLs. */
export function natsTarget(servers: readonly string[]): string {
  return servers.map((s) => s.replace(/\/\/[^@/]*@/, '//')).join(',');
}

/** `honeygate.request` → `<prefix>.request` */
export function natsSubject(prefix: string, event: GatewayEvent): string {
  const dataset = event.event.dataset;
  return `${prefix}.${dataset.startsWith('honeygate.') ? dataset.slice('honeygate.'.length) : 'other'}`;
}

function retryable(e: unknown): boolean {
  return e instanceof NatsError && RETRYABLE.has((e as { code: string }).code);
}

class NatsWriter implements SinkWriter<GatewayEvent> {
  readonly #config: NatsConfig;
  readonly #encoder = new TextEncoder();
  readonly #stop = new AbortController();
  #nc: NatsConnection | undefined;
  #js: JetStreamClient | undefined;
  #connecting: Promise<NatsConnection> | undefined;
  #streamReady = false;
  #closed = false;
  /** set once the sink exists: last error for its stats */
  note: (text: string) => void = () => undefined;

  constructor(config: NatsConfig) {
    this.#config = config;
    // every publish of a batch may sleep on the signal at once (max_in_flight, plus the connect loop)
    setMaxListeners(config.max_in_flight + 8, this.#stop.signal);
  }

  async write(batch: readonly GatewayEvent[]): Promise<WriteResult> {
    // one batch is at most max_in_flight events (the queue's batch size): all published at once
    const results = await Promise.all(batch.map((event) => this.#publish(event)));
    const written = results.filter((r) => r === true).length;
    const errors = results.filter((r): r is string => typeof r === 'string');
    return { written, failed: batch.length - written, ...(errors[0] !== undefined ? { error: errors[0] } : {}) };
  }

  /** true when acknowledged; an error text when it failed for good */
  async #publish(event: GatewayEvent): Promise<true | string> {
    let data: Uint8Array;
    try {
      data = this.#encoder.encode(eventJson(event));
    } catch (e: unknown) {
      return `not serializable: ${errorText(e)}`;
    }
    const subject = natsSubject(this.#config.subject, event);
    for (let attempt = 0; ; attempt++) {
      try {
        const js = await this.#ready();
        await js.publish(subject, data, { msgID: event.event.id, timeout: this.#config.ack_timeout });
        return true;
      } catch (e: unknown) {
        if (e instanceof Aborted || this.#stop.signal.aborted) return 'closed before it was acknowledged';
        const text = errorText(e);
        this.note(`${subject}: ${text}`);
        if (!retryable(e)) return text;
        // no responders: the stream may have gone (deleted, or JetStream restarting): check it again
        if ((e as { code?: string }).code === '503') this.#streamReady = false;
        await this.#sleep(this.#delay(attempt));
      }
    }
  }

  /** exponential backoff with jitter (50–100 % of the step) */
  #delay(attempt: number): number {
    const step = Math.min(this.#config.backoff_max, this.#config.backoff * 2 ** Math.min(attempt, 30));
    return Math.max(1, Math.round(step * (0.5 + Math.random() / 2)));
  }

  #sleep(ms: number): Promise<void> {
    const signal = this.#stop.signal;
    if (signal.aborted) return Promise.reject(new Aborted());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(new Aborted());
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** connected and the stream checked (created when configured) */
  async #ready(): Promise<JetStreamClient> {
    if (this.#stop.signal.aborted) throw new Aborted();
    const nc = this.#nc ?? (await this.#connection());
    if (this.#js === undefined || !this.#streamReady) {
      if (this.#config.stream.create && !this.#streamReady) await this.#ensureStream(nc);
      this.#streamReady = true;
      this.#js = nc.jetstream({ timeout: this.#config.ack_timeout });
    }
    return this.#js;
  }

  /** one connect loop shared by every waiting publish; retries with backoff until close */
  #connection(): Promise<NatsConnection> {
    this.#connecting ??= (async () => {
      for (let attempt = 0; ; attempt++) {
        if (this.#stop.signal.aborted) throw new Aborted();
        try {
          const nc = await connect(await this.#options());
          if (this.#stop.signal.aborted) {
            await nc.close().catch(() => undefined);
            throw new Aborted();
          }
          this.#nc = nc;
          void nc.closed().then(() => {
            // closed by the server for good (auth revoked): connect again on the next publish
            if (this.#nc === nc) {
              this.#nc = undefined;
              this.#js = undefined;
              this.#streamReady = false;
            }
          });
          return nc;
        } catch (e: unknown) {
          if (e instanceof Aborted) throw e;
          this.note(`connect: ${errorText(e)}`);
          await this.#sleep(this.#delay(attempt));
        }
      }
    })().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  async #options(): Promise<ConnectionOptions> {
    const c = this.#config;
    return {
      servers: [...c.servers],
      name: 'honeygate',
      reconnect: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: Math.min(2000, c.backoff_max),
      timeout: Math.max(1000, c.ack_timeout),
      pingInterval: 20_000,
      ...(c.token !== undefined ? { token: c.token } : {}),
      ...(c.user !== undefined ? { user: c.user, pass: c.password ?? '' } : {}),
      ...(c.creds !== undefined ? { authenticator: credsAuthenticator(new Uint8Array(await readFile(c.creds))) } : {}),
      ...(c.tls !== undefined
        ? {
            tls: {
              ...(c.tls.ca_file !== undefined ? { caFile: c.tls.ca_file } : {}),
              ...(c.tls.cert_file !== undefined ? { certFile: c.tls.cert_file } : {}),
              ...(c.tls.key_file !== undefined ? { keyFile: c.tls.key_file } : {}),
            },
          }
        : {}),
    };
  }

  async #ensureStream(nc: NatsConnection): Promise<void> {
    const s = this.#config.stream;
    const jsm = await nc.jetstreamManager({ timeout: this.#config.ack_timeout });
    try {
      await jsm.streams.info(s.name);
      return;
    } catch (e: unknown) {
      if ((e as { api_error?: { err_code?: number } }).api_error?.err_code !== STREAM_NOT_FOUND) throw e;
    }
    try {
      await jsm.streams.add({
        name: s.name,
        subjects: [`${this.#config.subject}.>`],
        storage: StorageType.File,
        retention: RetentionPolicy.Limits,
        discard: DiscardPolicy.Old,
        max_age: nanos(s.max_age),
        max_bytes: s.max_bytes,
        num_replicas: s.replicas,
        duplicate_window: nanos(s.duplicate_window),
        description: 'honeygate events (ECS JSON), one subject per dataset',
      });
    } catch (e: unknown) {
      // another instance created it first
      if (!/already in use|already exists/i.test(e instanceof Error ? e.message : '')) throw e;
    }
  }

  abort(): void {
    this.#stop.abort();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stop.abort();
    const nc = this.#nc;
    this.#nc = undefined;
    if (nc === undefined) return;
    // drain flushes what the client still buffers; a server that is away cannot take it: give up after 2 s
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      nc.drain().catch(() => undefined),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, 2000);
      }),
    ]);
    clearTimeout(timer);
    if (!nc.isClosed()) await nc.close().catch(() => undefined);
  }
}

export function createNatsSink(options: NatsSinkOptions): QueuedSink<GatewayEvent> {
  const writer = new NatsWriter(options.config);
  const sink = new QueuedSink<GatewayEvent>(writer, {
    name: 'nats',
    kind: 'nats:jetstream',
    target: `${natsTarget(options.config.servers)} ${options.config.subject}.>`,
    capacity: options.queueSize,
    batchSize: options.config.max_in_flight,
    lingerMs: 0,
    onMetric: options.onMetric,
  });
  writer.note = (text) => sink.noteError(text);
  return sink;
}
