/**
 * One JSON text per event, shared by the sinks that need it (JSONL line, store `doc` column), made
 * lazily on a sink's worker — never on the publisher's stack. Events are immutable once published
 * (model.ts: every field readonly), so the text can be cached by identity.
 */
import type { GatewayEvent } from '../model.js';

const cache = new WeakMap<GatewayEvent, string>();

/** The event as JSON (no newline). Throws for values JSON cannot hold (BigInt, cycles). */
export function eventJson(event: GatewayEvent): string {
  let text = cache.get(event);
  if (text === undefined) {
    text = JSON.stringify(event);
    cache.set(event, text);
  }
  return text;
}
