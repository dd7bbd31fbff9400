/**
 * The request lifecycle, written once and followed stage for stage (see core/verdict.ts for the
 * order of decisions):
 *
 *   client identity → call.classify → [store.admit: one call] → decide → call action → event
 *
 * Every stage returns early once a reply is sent. The event is built and published after the
 * response closes, never on the way in (by the gateway, gateway/gateway.ts).
 */
import type { KeyInfo } from '../events/model.js';
import { clientAddress } from './identity.js';
import type { KeyRecord } from './keyring.js';
import { decide, needsStore } from './verdict.js';
import { isStoreUnavailable } from '../store/errors.js';
import type { AdmitResult } from '../store/types.js';
import type { ProviderCall } from './provider.js';
import { Exchange } from './exchange.js';
import type { GatewayState } from './provider.js';

/** The event's key fields of a configured key: built once per record, not per request. */
const keyInfos = new WeakMap<KeyRecord, KeyInfo>();

function keyInfoOf(record: KeyRecord): KeyInfo {
  let info = keyInfos.get(record);
  if (info === undefined) {
    info = Object.freeze({
      class: record.class,
      fingerprint: record.fingerprint,
      name: record.name,
      ...(record.mask !== undefined ? { mask: record.mask } : {}),
      ...(record.campaign !== undefined ? { campaign: record.campaign } : {}),
      ...(record.placement !== undefined ? { placement: record.placement } : {}),
    });
    keyInfos.set(record, info);
  }
  return info;
}

/** A request's tokens before reading it: its declared length over 4 (persona usage headers). */
function tokensFromLength(ex: Exchange): number {
  const cl = Number(ex.req.headers['content-length']);
  return Number.isFinite(cl) && cl > 0 ? Math.ceil(cl / 4) : 0;
}

export async function servePipeline(ex: Exchange, name: string, surface: ProviderCall, state: GatewayState): Promise<void> {
  const runtime = state.runtime;
  ex.surface = name;
  ex.ip = clientAddress(ex.req.socket.remoteAddress ?? '', ex.req.headers['x-forwarded-for'], runtime.policy.trustedProxies);
  const networkAllowed = runtime.policy.networkAllowed(ex.ip) && (surface.networkAllowed?.(ex, state) ?? true);
  const classification = await surface.classify(ex, state);
  if (ex.res.writableEnded) return; // the call already answered (a client that went away)
  const record = classification.record;
  ex.key = record
    ? keyInfoOf(record)
    : {
        class: classification.class,
        ...(classification.hash !== undefined ? { fingerprint: `sha256:${classification.hash.slice(0, 16)}` } : {}),
        ...(classification.mask !== undefined ? { mask: classification.mask } : {}),
      };

  let admit: AdmitResult | null | 'unavailable' = null;
  if (record && needsStore(classification.class, networkAllowed)) {
    try {
      const extras = surface.admitExtras?.(ex, state);
      admit = await state.store.admit(
        runtime.policy.admitInput({
          ip: ex.ip,
          headers: ex.req.headers,
          record,
          tokens: surface.estimateTokens?.(ex) ?? tokensFromLength(ex),
          ...(record.lure && surface.billable ? { billable: surface.billable(ex, state) } : {}),
          ...(extras ? { subjects: extras.subjects, limits: extras.limits } : {}),
        }),
      );
    } catch (e: unknown) {
      if (!isStoreUnavailable(e)) throw e;
      admit = 'unavailable';
    }
  }
  const verdict = decide({
    keyClass: classification.class,
    networkAllowed,
    admit,
    invalidReason: classification.invalidReason,
    refusal: classification.refusal,
    beforeAuth: classification.beforeAuth,
  });
  ex.verdict = verdict;
  const admitted = admit === 'unavailable' ? null : admit;
  if (record?.lure && admitted?.lureCount !== undefined) ex.lure = { count: admitted.lureCount, max: record.lure.maxRequests };
  switch (verdict.action) {
    case 'forward':
      return surface.forward(ex, record!, state);
    case 'deceive':
      state.onDeceive(ex);
      return surface.deceive(ex, record!, admitted, state);
    case 'reject':
    case 'block':
      surface.refuse(ex, verdict, admitted, classification, state);
      return;
  }
}
