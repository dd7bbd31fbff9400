/**
 * What a running gateway shares between requests: the current runtime (swapped whole on reload),
 * the store, the event bus and per-lure caches (personas). Passed explicitly; no module globals.
 */
import type { EventBus } from '../events/bus.js';
import type { Store } from '../store/types.js';
import type { Runtime } from './runtime.js';

export interface GatewayState {
  runtime: Runtime;
  readonly store: Store;
  readonly bus: EventBus;
  /** per-lure-key caches (persona objects), keyed by key hash */
  readonly cache: Map<string, unknown>;
  /** secret canary values are derived from (config canary_secret, or random per process) */
  readonly canarySecret: string;
  /** base URL canary links are minted under */
  publicUrl: string;
}
