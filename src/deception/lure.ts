/**
 * Lure glue between the providers and the deception modules: the controlled reply of a lure key,
 * with canaries minted for this attacker and registered in the store (so a later use links back to
 * this request).
 */
import { randomUUID } from 'node:crypto';
import type { KeyRecord } from '../core/keyring.js';
import type { Exchange } from '../core/exchange.js';
import type { GatewayState } from '../core/provider.js';
import { mintCanaries } from './canary.js';

const CANARY_TTL_MS = 90 * 86_400_000;

/** Does a reply template have canary placeholders (`{{canary:…}}`)? Without them lureReply returns it as is. */
export function hasPlaceholders(template: string): boolean {
  return template.includes('{{');
}

/** The reply with its canary placeholders filled for this attacker; the canaries are stored. */
export async function lureReply(ex: Exchange, record: KeyRecord, template: string, state: GatewayState): Promise<{ text: string; canaries: string[] }> {
  if (!hasPlaceholders(template)) return { text: template, canaries: [] };
  ex.id ??= randomUUID();
  const minted = mintCanaries(template, {
    clientIp: ex.ip,
    lureKeyFingerprint: record.fingerprint,
    eventId: ex.id,
    baseUrl: state.publicUrl,
    ...(record.campaign !== undefined ? { campaign: record.campaign } : {}),
    ...(record.placement !== undefined ? { placement: record.placement } : {}),
  }, state.canarySecret);
  try {
    await Promise.all(minted.records.map((r) => state.store.putCanary(r, CANARY_TTL_MS)));
  } catch (e: unknown) {
    // the thief still gets the answer (the values are derived, not stored); only attribution of
    // this mint is lost, and the next request from the same attacker registers the same values again
    process.emitWarning(`honeygate: canary registration failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  return { text: minted.text, canaries: minted.records.map((r) => r.token) };
}
