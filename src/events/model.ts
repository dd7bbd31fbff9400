/**
 * The event: one record per request (dataset `honeygate.request`), per canary hit
 * (`honeygate.canary`) or per system change (`honeygate.system`: sink disabled, store degraded,
 * config reloaded). Field names follow the Elastic Common Schema (ECS 8) so a SIEM maps them
 * without a pipeline; honeygate's own fields live under `honeygate.*`.
 *
 * Never put a raw secret here: keys appear only as `fingerprint` (sha256 prefix) and `mask`.
 */

import type { LureTool } from './tools.js';

export type KeyClass = 'valid' | 'lure' | 'invalid' | 'missing';
export type VerdictAction = 'forward' | 'deceive' | 'reject' | 'block';
/** the name of the provider that served the request (gateway/registry.ts lists them) */
export type SurfaceName = string;
export type Dataset = 'honeygate.request' | 'honeygate.canary' | 'honeygate.system';

export interface ClientFingerprint {
  /** `openai-python`, `openai-node`, `curl`, `python-requests`, `boto3`, `aws-sdk-js`, `browser`, `unknown` … */
  readonly name: string;
  readonly version?: string;
  readonly runtime?: string;
  readonly os?: string;
  readonly arch?: string;
  /** one client program across addresses: `cfp_` + 16 hex of its header order and SDK traits (events/client-id.ts) */
  readonly id?: string;
}

export interface KeyInfo {
  readonly class: KeyClass;
  /** `sha256:` + first 16 hex of sha256(key); absent when no key was given */
  readonly fingerprint?: string;
  /** provider-style mask, as the provider would echo it */
  readonly mask?: string;
  /** configured key name */
  readonly name?: string;
  readonly campaign?: string;
  readonly placement?: string;
}

export interface GatewayEvent {
  readonly '@timestamp': string;
  readonly ecs: { readonly version: '8.11.0' };
  readonly event: {
    readonly id: string;
    readonly kind: 'event' | 'alert';
    readonly dataset: Dataset;
    readonly category: readonly string[];
    readonly type: readonly string[];
    readonly action: string;
    readonly outcome: 'success' | 'failure' | 'unknown';
    /** nanoseconds, as ECS wants */
    readonly duration?: number;
    readonly reason?: string;
  };
  readonly source?: { readonly ip: string; readonly port?: number };
  readonly http?: {
    readonly request: { readonly method: string; readonly id?: string; readonly bytes?: number };
    readonly response: { readonly status_code: number; readonly bytes?: number };
  };
  readonly url?: { readonly path: string };
  readonly user_agent?: { readonly original?: string };
  /** ECS error: why the response ended before its end (core/cut.ts) */
  readonly error?: { readonly type: string; readonly message: string };
  readonly threat?: {
    readonly framework: string;
    readonly technique: { readonly id: readonly string[]; readonly name: readonly string[] };
    readonly tactic?: { readonly id: readonly string[]; readonly name: readonly string[] };
  };
  readonly tags?: readonly string[];
  readonly honeygate: {
    readonly surface?: SurfaceName;
    readonly key?: KeyInfo;
    readonly model?: string;
    readonly upstream?: string;
    readonly route?: string;
    readonly verdict?: { readonly action: VerdictAction; readonly reason: string };
    readonly client?: ClientFingerprint;
    /** gateway's own time in ms (total minus upstream wait) */
    readonly overhead_ms?: number;
    readonly upstream_ms?: number;
    readonly stream?: boolean;
    readonly lure?: {
      readonly count?: number;
      readonly max?: number;
      /** the user-visible prompt content sent by the client (lure traffic only), truncated */
      readonly prompt?: string;
      readonly injected?: boolean;
      readonly canaries?: readonly string[];
      /** the tool definitions the client sent (lure traffic only): normalized, bounded, redacted (events/tools.ts) */
      readonly tools?: readonly LureTool[];
      /** how many tool entries the body had, when more were sent than are recorded */
      readonly tools_total?: number;
    };
    readonly canary?: {
      readonly token: string;
      readonly kind: string;
      readonly minted_by: string;
      readonly minted_for_ip: string;
      readonly via: 'http' | 'api_key';
    };
    /** tool surface audit fields (issue 10) */
    readonly tool?: {
      readonly operation?: string;
      readonly user?: string;
      readonly conversation?: string;
      readonly gpt_id?: string;
      readonly session?: string;
      readonly region?: string;
      /** how the caller authenticated: secret, jwt, introspection, public */
      readonly auth?: string;
      /** the OAuth client (`client_id` / `azp`) */
      readonly client_id?: string;
    };
    readonly system?: { readonly component: string; readonly detail: string };
  };
}
