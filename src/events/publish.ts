/**
 * What the request path calls: `publishExchange` when a response has closed, `publishEarlyAlert`
 * when a lure's verdict is known (before the decoy answers or its tarpit ends), so that an alert
 * leaves within milliseconds of the request's arrival. Both only read fields off the Exchange
 * (record.ts); the event is built and written by the events worker.
 */
import { randomUUID } from 'node:crypto';
import type { Exchange } from '../core/exchange.js';
import type { EventBus } from './bus.js';
import { requestRecord } from './record.js';

/** Exchanges whose alert already left early (their final record says so). */
const alertedEarly = new WeakSet<Exchange>();

export function publishExchange(ex: Exchange, bus: EventBus): void {
  if (!bus.hasSubscribers) return;
  try {
    const rec = requestRecord(ex);
    if (ex.key.class === 'lure' && alertedEarly.has(ex)) rec.alerted = true;
    bus.publishRecord(rec);
  } catch (e: unknown) {
    // runs in the response's close listener: a bug here must cost one event, never the process
    process.emitWarning(`honeygate: event not published: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** The verdict is `deceive`: send the lure's alert now (same event id as the final event). */
export function publishEarlyAlert(ex: Exchange, bus: EventBus): void {
  if (!bus.wantsEarly || ex.key.class !== 'lure') return;
  try {
    ex.id ??= randomUUID();
    alertedEarly.add(ex);
    bus.publishEarly(requestRecord(ex, 1));
  } catch (e: unknown) {
    process.emitWarning(`honeygate: early alert not published: ${e instanceof Error ? e.message : String(e)}`);
  }
}
