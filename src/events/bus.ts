/**
 * Events travel by publish/subscribe (the undici habit). Each gateway owns one bus (tests run
 * several gateways in one process); every event is also published on the process-wide diagnostics
 * channel `honeygate:event` for outside observers (APM, tests), only when someone listens.
 *
 * Two kinds of subscriber:
 * - a listener (`subscribe`) receives every event whole (a GatewayEvent);
 * - a consumer (`attach`) receives a request as its compact record (record.ts) and every other
 *   event whole. The events worker, the metrics and the live feed are consumers: with only
 *   consumers attached, the request thread never builds a request's nested event.
 *
 * A request is published once when it ends (`publishRecord`); a lure's alert may leave earlier
 * (`publishEarly`, when its verdict is known): only consumers with an `early` handler see it, and
 * the final record then carries `alerted` so that they do not alert twice.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import type { GatewayEvent } from './model.js';
import { eventFromRecord, type RequestRecord } from './record.js';

const EVENT_CHANNEL = 'honeygate:event';
const globalChannel = diagnosticsChannel.channel(EVENT_CHANNEL);

export type EventListener = (event: GatewayEvent) => void;

export interface EventConsumer {
  /** a request ended */
  record?(rec: RequestRecord): void;
  /** a lure's verdict is known, its answer still to come (alerts only) */
  readonly early?: ((rec: RequestRecord) => void) | undefined;
  /** an event published whole: canary hit, system change (or a request published whole) */
  event?(event: GatewayEvent): void;
}

export class EventBus {
  #listeners: EventListener[] = [];
  #consumers: EventConsumer[] = [];
  #early = false;

  /** Deliver a whole event to every subscriber; a throwing subscriber is isolated from the others. */
  publish(event: GatewayEvent): void {
    for (const c of this.#consumers) {
      try {
        c.event?.(event);
      } catch {
        // a consumer's bug must not reach the publisher or the other subscribers
      }
    }
    this.#deliver(event);
  }

  /** A request ended: consumers get the record; listeners (if any) the event built from it. */
  publishRecord(rec: RequestRecord): void {
    for (const c of this.#consumers) {
      try {
        c.record?.(rec);
      } catch {
        // as above
      }
    }
    if (this.#listeners.length > 0 || globalChannel.hasSubscribers) this.#deliver(eventFromRecord(rec));
  }

  /** A lure's early alert: only consumers with an `early` handler see it. */
  publishEarly(rec: RequestRecord): void {
    for (const c of this.#consumers) {
      try {
        c.early?.(rec);
      } catch {
        // as above
      }
    }
  }

  /** Subscribe to whole events; returns the unsubscribe function. */
  subscribe(listener: EventListener): () => void {
    this.#listeners = [...this.#listeners, listener];
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  /** Attach a consumer of records; returns the detach function. */
  attach(consumer: EventConsumer): () => void {
    this.#consumers = [...this.#consumers, consumer];
    this.#early = this.#consumers.some((c) => c.early !== undefined);
    return () => {
      this.#consumers = this.#consumers.filter((c) => c !== consumer);
      this.#early = this.#consumers.some((c) => c.early !== undefined);
    };
  }

  get hasSubscribers(): boolean {
    return this.#listeners.length > 0 || this.#consumers.length > 0 || globalChannel.hasSubscribers;
  }

  /** Does anyone take early alerts? */
  get wantsEarly(): boolean {
    return this.#early;
  }

  #deliver(event: GatewayEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // a sink's bug must not reach the request or the other sinks; sinks count their own errors
      }
    }
    if (globalChannel.hasSubscribers) globalChannel.publish(event);
  }
}
