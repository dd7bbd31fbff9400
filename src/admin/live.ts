/**
 * The dashboard's live feed: alerts (lure-key requests, blocked requests) and canary hits as
 * Server-Sent Events (WHATWG HTML §9.2). One bus subscription for all clients; each client is a
 * raw response written to directly. A client that reads too slowly (its socket buffer above
 * MAX_BUFFERED) misses events — counted, never queued without bound; the number of clients is
 * capped. A comment line every 15 s keeps proxies from timing the stream out.
 *
 * The bus listener only appends to a bounded pending list; serialization and writes happen on the
 * next turn of the event loop, never on the publisher's stack.
 */
import type { ServerResponse } from 'node:http';
import type { EventBus } from '../events/bus.js';
import type { GatewayEvent } from '../events/model.js';
import { eventFromRecord, isAlertRecord, type RequestRecord } from '../events/record.js';

export const MAX_LIVE_CLIENTS = 32;
const MAX_BUFFERED = 1024 * 1024;
const HEARTBEAT_MS = 15_000;
const MAX_PENDING = 1000;

/** What the live feed carries: alerts (lure use, blocks) and canary hits. */
function isLiveEvent(e: GatewayEvent): boolean {
  return e.event.kind === 'alert' || e.event.dataset === 'honeygate.canary';
}

/** One SSE frame; JSON.stringify never emits a raw newline, so the data is one line. */
function sseFrame(event: GatewayEvent): string {
  return `id: ${event.event.id}\nevent: alert\ndata: ${JSON.stringify(event)}\n\n`;
}

export class LiveHub {
  readonly #clients = new Set<ServerResponse>();
  readonly #unsubscribe: () => void;
  readonly #timer: NodeJS.Timeout;
  readonly #onDrop: () => void;
  /** events, or records whose event is built when the feed is written (not on the publisher's stack) */
  #pending: (GatewayEvent | RequestRecord)[] = [];
  #scheduled = false;

  constructor(bus: EventBus, onDrop: () => void = () => undefined) {
    this.#onDrop = onDrop;
    const take = (event: GatewayEvent | RequestRecord): void => {
      if (this.#pending.length >= MAX_PENDING) {
        this.#onDrop();
        return;
      }
      this.#pending.push(event);
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    };
    // a lure's alert is shown when its verdict is known (early), not again when it ends
    this.#unsubscribe = bus.attach({
      early: (rec) => {
        if (this.#clients.size > 0) take(rec);
      },
      record: (rec) => {
        if (this.#clients.size > 0 && !rec.alerted && isAlertRecord(rec)) take(rec);
      },
      event: (event) => {
        if (this.#clients.size > 0 && isLiveEvent(event)) take(event);
      },
    });
    this.#timer = setInterval(() => {
      for (const res of this.#clients) this.#send(res, ': keep-alive\n\n');
    }, HEARTBEAT_MS);
    this.#timer.unref();
  }

  get size(): number {
    return this.#clients.size;
  }

  /** Take over a response as an event stream; false when the client cap is reached. */
  add(res: ServerResponse): boolean {
    if (this.#clients.size >= MAX_LIVE_CLIENTS) return false;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
      'x-content-type-options': 'nosniff',
    });
    res.write('retry: 5000\n: connected\n\n');
    this.#clients.add(res);
    res.once('close', () => this.#clients.delete(res));
    return true;
  }

  #flush(): void {
    this.#scheduled = false;
    const events = this.#pending;
    this.#pending = [];
    for (const item of events) {
      const frame = sseFrame('phase' in item ? eventFromRecord(item) : item);
      for (const res of this.#clients) this.#send(res, frame);
    }
  }

  #send(res: ServerResponse, frame: string): void {
    if (res.destroyed || res.writableEnded) {
      this.#clients.delete(res);
      return;
    }
    if (res.writableLength > MAX_BUFFERED) {
      this.#onDrop();
      return;
    }
    res.write(frame);
  }

  /** End every stream and stop listening. */
  close(): void {
    clearInterval(this.#timer);
    this.#unsubscribe();
    for (const res of this.#clients) res.end();
    this.#clients.clear();
  }
}
