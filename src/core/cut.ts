/**
 * Why a response ended before its end: set where honeygate itself cuts it (an upstream reset or
 * stall after the answer started, a request deadline), read when the event is built. A response
 * that closed unfinished with no reason here was closed by the client.
 */
import type { HttpResponse } from './http.js';

export type CutReason = 'upstream_reset' | 'upstream_timeout' | 'upstream_protocol' | 'request_timeout' | 'client_closed';

const reasons = new WeakMap<HttpResponse, CutReason>();

/** Record why `res` is being cut (the first reason wins). */
export function markCut(res: HttpResponse, reason: CutReason): void {
  if (!reasons.has(res)) reasons.set(res, reason);
}

/** Why `res` ended unfinished, or undefined when it finished. */
export function cutReason(res: HttpResponse): CutReason | undefined {
  if (res.writableFinished) return undefined;
  return reasons.get(res) ?? 'client_closed';
}
