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
 * - `config` is its part of the configuration file (config/part.ts): sections, upstream types,
 *   key-file lists and rules.
 *
 * The state a call sees (`GatewayState`, its compiled `Runtime`) is declared here too: the runtime
 * holds the compiled providers and a call gets the state, so these types are one unit (one file, no
 * import circle).
 */
import type { ProviderConfigPart } from '../config/part.js';
import type { KeyProtocol } from '../config/rules.js';
import type { Config } from '../config/schema.js';
import type { EventBus } from '../events/bus.js';
import type { AdmitResult, LimitCheck, Store } from '../store/types.js';
import type { Exchange } from './exchange.js';
import type { HttpUpstream } from './forward.js';
import type { Classification, KeyRecord, KeyRing } from './keyring.js';
import type { Policy } from './policy.js';
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

/**
 * What a running gateway shares between requests: the current runtime (swapped whole on reload),
 * the store, the event bus and per-lure caches (personas). Passed explicitly; no module globals.
 */
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
  /**
   * called when a request's verdict is `deceive`, before the provider answers: the gateway sends
   * the lure's alert from here (events/publish.ts), so it leaves before the decoy or its tarpit ends
   */
  readonly onDeceive: (ex: Exchange) => void;
}

/** The validated config compiled once (core/runtime.ts `buildRuntime`); rebuilt whole on reload. */
export interface Runtime {
  readonly config: Readonly<Config>;
  readonly keyring: KeyRing;
  readonly policy: Policy;
  readonly upstreams: ReadonlyMap<string, UpstreamEntry>;
  readonly maxBodyBytes: number;
  /** the providers on for this config, by name, in registry order */
  readonly providers: ReadonlyMap<string, ProviderRuntime>;
  close(): Promise<void>;
}

export type UpstreamEntry =
  | { readonly name: string; readonly kind: 'decoy' }
  | { readonly name: string; readonly kind: 'http'; readonly upstream: HttpUpstream; readonly apiKey?: string }
  /** an upstream a provider builds itself (a `bedrock` upstream: the Bedrock provider re-signs) */
  | { readonly name: string; readonly kind: 'provider'; readonly type: string };

/** What a provider's compile gets besides the config: the shared key-record builder. */
export interface CompileContext {
  /** a configured key's record (lure policy with defaults, default upstreams of `protocol`) */
  record(base: RecordBase, k: KeyFieldsConfig, protocol: KeyProtocol): KeyRecord;
}

export interface LureFieldsConfig {
  readonly prompt?: string | undefined;
  readonly reply?: string | undefined;
  readonly max_requests?: number | undefined;
  readonly block_duration?: number | undefined;
  readonly response_delay?: number | undefined;
  readonly realistic_timing?: boolean | undefined;
}

export interface RecordBase {
  readonly name: string;
  readonly hash: string;
  readonly mask?: string | undefined;
  readonly campaign?: string | undefined;
  readonly placement?: string | undefined;
}

export type KeyFieldsConfig = LureFieldsConfig & { readonly class: 'valid' | 'lure'; readonly upstream?: string | undefined };

