/**
 * Events travel by publish/subscribe on a named diagnostics channel (the undici habit): the request
 * path publishes after the response is finished and checks `hasSubscribers` first; sinks subscribe
 * and do their writing on their own queues. A sink can never slow or fail a request.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import type { GatewayEvent } from './model.js';

export const EVENT_CHANNEL = 'honeygate:event';
const channel = diagnosticsChannel.channel(EVENT_CHANNEL);

export function publishEvent(event: GatewayEvent): void {
  if (channel.hasSubscribers) channel.publish(event);
}

export type EventListener = (event: GatewayEvent) => void;

/** Subscribe; returns the unsubscribe function. */
export function subscribeEvents(listener: EventListener): () => void {
  const fn = (message: unknown): void => listener(message as GatewayEvent);
  diagnosticsChannel.subscribe(EVENT_CHANNEL, fn);
  return () => {
    diagnosticsChannel.unsubscribe(EVENT_CHANNEL, fn);
  };
}
