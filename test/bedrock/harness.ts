/**
 * Test harness for the official AWS clients: the real gateway (startTestGateway, the same pipeline
 * production runs) on 127.0.0.1:0 with fixed AWS key pairs and a Bedrock API key. HTTP/1.1 and h2c
 * share its one port (the JS SDK speaks HTTP/2, botocore HTTP/1.1). `exchanges` reads the gateway's
 * own events back as what each request was (service, operation, key, status, verdict).
 */
import type { GatewayEvent } from '../../src/events/model.js';
import { mintAwsKeyPair } from '../../src/deception/keygen.js';
import { startTestGateway } from '../helpers/gateway.js';

export const LURE_ACCOUNT = '204381772953';
export const VALID_ACCOUNT = '318467125086';

function fixedBytes(seed: number): (n: number) => Uint8Array {
  let x = seed;
  return (n) => Uint8Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    return x & 0xff;
  });
}

export const LURE = mintAwsKeyPair({ accountId: LURE_ACCOUNT }, fixedBytes(7));
export const VALID = mintAwsKeyPair({ accountId: VALID_ACCOUNT }, fixedBytes(11));
export const LURE_SESSION = { ...mintAwsKeyPair({ accountId: LURE_ACCOUNT, prefix: 'ASIA' }, fixedBytes(13)), sessionToken: `IQoJb3JpZ2luX2VjE${'A'.repeat(40)}session/token+test==` };
/** a well-formed key id nobody configured */
export const STRANGER = mintAwsKeyPair({ accountId: '555566667777' }, fixedBytes(17));
/** long-term Bedrock API key: ABSK + base64("BedrockAPIKey-<id>-at-<account>:<secret>") */
export const BEARER_LURE = `ABSK${Buffer.from(`BedrockAPIKey-x7k2-at-${LURE_ACCOUNT}:${'s'.repeat(40)}`).toString('base64')}`;

export const LURE_TEXT = 'Sure. The deployment notes are in the ops wiki; the staging token rotates weekly.';

/** What one request was, read from its gateway event (no secret in it). */
export interface ExchangeInfo {
  /** `bedrock-runtime`, `bedrock` (control plane) or `sts` */
  readonly service: string;
  readonly operation: string | undefined;
  readonly status: number | undefined;
  readonly keyName: string | undefined;
  readonly keyClass: string;
  /** the verdict's reason (`invalid_key`, `missing_key`, `lure_key`, `valid_key`, …) */
  readonly reason: string | undefined;
  readonly model: string | undefined;
}

export interface HarnessOptions {
  /** bedrock.max_body_bytes */
  readonly maxBodyBytes?: number;
  /** a bedrock upstream for the valid pair (else the decoy answers it) */
  readonly upstream?: { readonly endpoint: string; readonly region: string; readonly accessKeyId: string; readonly secretAccessKey: string; readonly timeout?: string };
}

export interface Harness {
  /** the gateway's one port: HTTP/1.1 (botocore, raw requests) and h2c (the JS SDK) */
  readonly url: string;
  readonly port: number;
  /** the same port: kept for the SDK tests' readability (the JS SDK's HTTP/2) */
  readonly h2url: string;
  /** the requests served so far, from the gateway's events */
  readonly exchanges: ExchangeInfo[];
  readonly events: GatewayEvent[];
  /** the newest request once one more has been recorded since the last call (events follow the answer) */
  last(): Promise<ExchangeInfo>;
  close(): Promise<void>;
}

const CONTROL_PLANE = /^(List|Get)(FoundationModel|InferenceProfile|ModelInvocationLoggingConfiguration|CustomModel|ProvisionedModelThroughput|Guardrail)/;

function exchangeOf(e: GatewayEvent): ExchangeInfo {
  const hg = e.honeygate;
  const route = hg.route;
  const service = route?.startsWith('sts:') ? 'sts' : route !== undefined && CONTROL_PLANE.test(route) ? 'bedrock' : 'bedrock-runtime';
  return {
    service,
    operation: route?.startsWith('sts:') ? route.slice(4) : route,
    status: e.http?.response.status_code,
    keyName: hg.key?.name,
    keyClass: hg.key?.class ?? 'missing',
    reason: hg.verdict?.reason,
    model: hg.model,
  };
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const upstream = options.upstream;
  const gw = await startTestGateway({
    lure_defaults: { realistic_timing: false, max_requests: 1_000_000 },
    ...(upstream
      ? {
          upstreams: {
            aws: {
              type: 'bedrock',
              endpoint: upstream.endpoint,
              region: upstream.region,
              credentials: { access_key_id: upstream.accessKeyId, secret_access_key: upstream.secretAccessKey },
              ...(upstream.timeout !== undefined ? { timeout: upstream.timeout } : {}),
            },
          },
        }
      : {}),
    aws_keys: [
      { name: 'lure-1', class: 'lure', access_key_id: LURE.accessKeyId, secret_access_key: LURE.secretAccessKey, reply: LURE_TEXT },
      { name: 'valid-1', class: 'valid', access_key_id: VALID.accessKeyId, secret_access_key: VALID.secretAccessKey, ...(upstream ? { upstream: 'aws' } : {}) },
      { name: 'lure-session', class: 'lure', access_key_id: LURE_SESSION.accessKeyId, secret_access_key: LURE_SESSION.secretAccessKey, session_token: LURE_SESSION.sessionToken, reply: LURE_TEXT },
    ],
    bedrock_api_keys: [{ name: 'bearer-lure', class: 'lure', key: BEARER_LURE, reply: LURE_TEXT }],
    ...(options.maxBodyBytes !== undefined ? { bedrock: { max_body_bytes: options.maxBodyBytes } } : {}),
  });
  const requests = (): GatewayEvent[] => gw.events.filter((e) => e.event.dataset === 'honeygate.request');
  let seen = 0;
  return {
    url: gw.url,
    port: Number(new URL(gw.url).port),
    h2url: gw.url,
    get exchanges() {
      return requests().map(exchangeOf);
    },
    events: gw.events,
    async last() {
      for (const until = Date.now() + 5000; requests().length <= seen && Date.now() < until; ) await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, 20)); // a request still closing records after this one
      const all = requests();
      seen = all.length;
      const newest = all.at(-1);
      if (newest === undefined) throw new Error('no request was recorded');
      return exchangeOf(newest);
    },
    close: () => gw.close(),
  };
}
