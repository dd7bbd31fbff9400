/**
 * The provider contract: one protocol (OpenAI, Bedrock, a tool API, …) behind one small interface,
 * so the pipeline (core/serve.ts) stays protocol-free. A provider lives in its own folder under
 * src/providers/ and is named in exactly one place, gateway/registry.ts, whose order decides which
 * provider a request goes to.
 *
 * Life of a provider:
 * - `compile(config, ctx)` runs once per configuration (start and every reload): it builds what the
 *   request path needs (key rings, upstream clients, compiled routes) or returns null when the
 *   provider is off for this configuration (Bedrock without AWS keys or a bedrock upstream).
 * - `match(ex, state)` runs per request, in registry order, until one provider takes the request:
 *   it returns a per-request `ProviderCall` (all the request's provider state lives in that object,
 *   never in a module-level map), or null.
 * - The pipeline then runs the call: `classify` (find the credential, learn what the verdict needs,
 *   write no answer) → the pure verdict function (core/verdict.ts) decides → one action: `forward`,
 *   `deceive`, or `refuse` (every refusal is a verdict, rendered in the provider's own words).
 * - `unknownUrl` and `fault` are the provider's answers for a URL it owns but does not know and for
 *   an internal error while it served a request.
 */
import type { ProviderConfigPart } from '../config/part.js';
import type { Config } from '../config/schema.js';
import type { AdmitResult, LimitCheck } from '../store/types.js';
import type { Exchange } from './exchange.js';
import type { Classification, KeyRecord } from './keyring.js';
import type { CompileContext } from './runtime.js';
import type { GatewayState } from './state.js';
import type { Verdict } from './verdict.js';

/** What a call adds to the one store call (optional; the tool provider's per-user limits). */
export interface AdmitExtras {
  readonly subjects?: readonly string[];
  readonly limits?: readonly LimitCheck[];
}

/** One request in one provider's hands, from classify to its action. */
export interface ProviderCall {
  /** Answer without the pipeline (a public document of the provider, e.g. OAuth resource metadata); absent for pipeline requests. */
  answer?(state: GatewayState): void | Promise<void>;
  /** Find and classify the credential (may read the body, e.g. to verify a SigV4 payload hash). Writes no answer. */
  classify(ex: Exchange, state: GatewayState): Classification | Promise<Classification>;
  /** A network policy of the provider's own (per-route CIDR lists), on top of the global one. */
  networkAllowed?(ex: Exchange, state: GatewayState): boolean;
  /** More block subjects and limits for store.admit (called after classify, for accepted credentials). */
  admitExtras?(ex: Exchange, state: GatewayState): AdmitExtras;
  /**
   * Would the real provider bill this lure request (a generation it would answer)? Refusals, probes
   * and listings are free and do not count toward the lure's max_requests. Default: true.
   */
  billable?(ex: Exchange, state: GatewayState): boolean;
  /** Estimated tokens of the request before reading it (persona usage headers); default: Content-Length / 4. */
  estimateTokens?(ex: Exchange): number;
  forward(ex: Exchange, record: KeyRecord, state: GatewayState): Promise<void>;
  deceive(ex: Exchange, record: KeyRecord, admit: AdmitResult | null, state: GatewayState): Promise<void>;
  /** reject and block verdicts, in the provider's words */
  refuse(ex: Exchange, verdict: Verdict, admit: AdmitResult | null, classification: Classification, state: GatewayState): void;
}

/** A provider compiled for one configuration. */
export interface ProviderRuntime {
  /** Take the request (a call) or leave it to the next provider (null). `ex.path` is set. */
  match(ex: Exchange, state: GatewayState): ProviderCall | null;
  /** The answer for a URL this provider owns but does not serve (and, for the first provider, every unmatched URL). */
  unknownUrl(ex: Exchange): void;
  /** The answer when serving a request of this provider threw (headers not yet sent). */
  fault(ex: Exchange): void;
  /** The keys this provider knows (admin listings; never a secret). */
  readonly keys?: readonly KeyRecord[];
  close?(): Promise<void>;
}

export interface Provider<R extends ProviderRuntime = ProviderRuntime> {
  /** the name events, metrics and the admin API use (`surface`) */
  readonly name: string;
  /** Compile once per configuration; null when the provider is off for this configuration. */
  compile(config: Readonly<Config>, ctx: CompileContext): R | null;
  /** Key formats this provider contributes to key minting and canary detection (informational). */
  readonly keyFormats?: readonly string[];
  /** Its part of the configuration file: sections, upstream types, key-file lists, rules (config/part.ts). */
  readonly config?: ProviderConfigPart;
}
