/**
 * The surface contract: one protocol (OpenAI, Bedrock, a tool API) behind one small interface, so
 * the pipeline in server/serve.ts stays protocol-free. A surface finds and classifies the credential,
 * and renders each verdict in its own words: forward (to a real upstream), deceive (decoy or lure
 * upstream), reject/block (its provider's exact errors). Adding a provider means adding a surface.
 */
import type { SurfaceName } from '../events/model.js';
import type { Classification, KeyRecord } from './keyring.js';
import type { Verdict } from './verdict.js';
import type { Exchange } from './exchange.js';
import type { GatewayState } from './state.js';
import type { AdmitResult, LimitCheck } from '../store/types.js';

/** What a surface adds to the one store call (optional; tool surface). */
export interface AdmitExtras {
  readonly subjects?: readonly string[];
  readonly limits?: readonly LimitCheck[];
}

export interface Surface {
  readonly name: SurfaceName;
  /** Find and classify the credential (may read the body, e.g. to verify a SigV4 payload hash). */
  classify(ex: Exchange, state: GatewayState): Classification | Promise<Classification>;
  /** A network policy of the surface's own (per-route CIDR lists), on top of the global one. */
  networkAllowed?(ex: Exchange, state: GatewayState): boolean;
  /** More block subjects and limits for store.admit (called after classify, for accepted credentials). */
  admitExtras?(ex: Exchange, state: GatewayState): AdmitExtras;
  /** Estimated tokens of the request before reading it (persona usage headers); default: Content-Length / 4. */
  estimateTokens?(ex: Exchange): number;
  forward(ex: Exchange, record: KeyRecord, state: GatewayState): Promise<void>;
  deceive(ex: Exchange, record: KeyRecord, admit: AdmitResult | null, state: GatewayState): Promise<void>;
  /** reject and block verdicts; `secret` is the presented key, for the provider's masked echo */
  refuse(ex: Exchange, verdict: Verdict, admit: AdmitResult | null, classification: Classification, state: GatewayState): void;
}
