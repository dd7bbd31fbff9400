/**
 * An event as a row of `honeygate_events`: the filterable fields as columns, the whole event as
 * JSON in `doc`.
 */
import type { GatewayEvent } from '../model.js';
import type { EventRow } from './schema.js';

/**
 * Column values are normalized: `model` and friends come from request bodies an attacker writes.
 * Capped at 256 characters, and NUL replaced by U+FFFD (PostgreSQL text cannot hold NUL: one such
 * value would fail its whole batch). Filters pass through the same function, so a query for the
 * original value finds the row. The `doc` JSON keeps the exact value (JSON escapes NUL as \u0000).
 */
const MAX_COLUMN = 256;
export function columnValue(value: string): string {
  const capped = value.length > MAX_COLUMN ? value.slice(0, MAX_COLUMN) : value;
  return capped.includes('\u0000') ? capped.replaceAll('\u0000', '\uFFFD') : capped;
}
function cap(value: string | undefined): string | null {
  return value === undefined ? null : columnValue(value);
}

export function eventRow(event: GatewayEvent, doc: string): EventRow {
  const parsed = Date.parse(event['@timestamp']);
  const h = event.honeygate;
  return {
    id: event.event.id,
    ts: Number.isFinite(parsed) ? parsed : Date.now(),
    dataset: event.event.dataset,
    kind: event.event.kind,
    action: columnValue(event.event.action),
    outcome: event.event.outcome,
    key_class: h.key?.class ?? null,
    key_fingerprint: cap(h.key?.fingerprint),
    campaign: cap(h.key?.campaign),
    placement: cap(h.key?.placement),
    source_ip: cap(event.source?.ip),
    model: cap(h.model),
    surface: h.surface ?? null,
    verdict_action: h.verdict?.action ?? null,
    verdict_reason: cap(h.verdict?.reason),
    status: event.http?.response.status_code ?? null,
    tool_user: cap(h.tool?.user),
    tool_conversation: cap(h.tool?.conversation),
    client_id: cap(h.client?.id),
    doc,
  };
}
