/**
 * Events travel by publish/subscribe (the undici habit): the request path publishes once, after the
 * response has finished; sinks subscribe and do their writing on their own bounded queues, so a sink
 * can never slow or fail a request. Each gateway owns one bus (tests run several gateways in one
 * process); every event is also published on the process-wide diagnostics channel
 * `honeygate:event` for outside observers (APM, tests), only when someone listens.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import type { GatewayEvent } from './model.js';

export const EVENT_CHANNEL = 'honeygate:event';
const globalChannel = diagnosticsChannel.channel(EVENT_CHANNEL);

export type EventListener = (event: GatewayEvent) => void;

export class EventBus {
  #listeners: EventListener[] = [];

  /** Deliver to every subscriber; a throwing subscriber is isolated from the others. */
  publish(event: GatewayEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // a sink's bug must not reach the request or the other sinks; sinks count their own errors
      }
    }
    if (globalChannel.hasSubscribers) globalChannel.publish(event);
  }

  /** Subscribe; returns the unsubscribe function. */
  subscribe(listener: EventListener): () => void {
    this.#listeners = [...this.#listeners, listener];
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  get hasSubscribers(): boolean {
    return this.#listeners.length > 0 || globalChannel.hasSubscribers;
  }
}
