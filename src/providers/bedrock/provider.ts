/**
 * The Bedrock provider: Amazon Bedrock Runtime (`/model/*`) and the AWS calls a thief makes first
 * with a stolen key (STS on `/`, the control plane's `/foundation-models`, `/inference-profiles`,
 * `/logging/modelinvocations`). On only when the config has AWS keys, Bedrock API keys or a
 * `bedrock` upstream; otherwise those URLs keep the default provider's unknown-URL answer.
 */
import type { Config } from '../../config/schema.js';
import type { Provider, ProviderRuntime } from '../../core/provider.js';
import type { CompileContext } from '../../core/provider.js';
import { keyHash } from '../../config/rules.js';
import { maskKey, maskOpenAIKey } from '../../util/mask.js';
import type { KeyRecord } from '../../core/keyring.js';
import { sha256Hex } from '../../util/hash.js';
import { type AwsKeyConfig, type BedrockApiKeyConfig, acceptedRegions } from './config.js';
import { renderAwsError } from './errors.js';
import { AwsKeyRing, type AwsPairEntry } from './keyring.js';
import { BedrockCall, type BedrockRuntime, isAwsRequest } from './surface.js';
import { BedrockUpstream, BedrockUpstreamError } from './upstream.js';
import { bedrockConfigPart } from './config-part.js';

/** Does this config serve the Bedrock provider? */
function hasBedrock(config: Readonly<Config>): boolean {
  return config.aws_keys.length > 0 || config.bedrock_api_keys.length > 0 || Object.values(config.upstreams).some((u) => u.type === 'bedrock');
}

/** An AWS key pair: its record (fingerprint and mask of the access key id, which is not a secret) and its secret. */
function awsKeyEntry(k: AwsKeyConfig, ctx: CompileContext): AwsPairEntry {
  const rec = ctx.record({ name: k.name, hash: sha256Hex(k.access_key_id), mask: maskKey(k.access_key_id), campaign: k.campaign, placement: k.placement }, k, 'bedrock');
  return { record: rec, secretAccessKey: k.secret_access_key, ...(k.session_token !== undefined ? { sessionToken: k.session_token } : {}) };
}

function bedrockApiKeyRecord(k: BedrockApiKeyConfig, ctx: CompileContext): KeyRecord {
  const raw = !k.key.startsWith('sha256:');
  return ctx.record({ name: k.name, hash: keyHash(k.key), mask: raw ? maskOpenAIKey(k.key) : undefined, campaign: k.campaign, placement: k.placement }, k, 'bedrock');
}

/** The `bedrock` upstreams; one whose region or `env` credentials are missing stops the start, naming it. */
function bedrockUpstreams(config: Readonly<Config>): Map<string, BedrockUpstream> {
  const out = new Map<string, BedrockUpstream>();
  try {
    for (const [name, u] of Object.entries(config.upstreams)) {
      if (u.type !== 'bedrock') continue;
      try {
        out.set(name, new BedrockUpstream({
          ...(u.region !== undefined ? { region: u.region } : {}),
          ...(u.endpoint !== undefined ? { endpoint: u.endpoint } : {}),
          ...(u.control_endpoint !== undefined ? { controlEndpoint: u.control_endpoint } : {}),
          credentials:
            u.credentials === 'env'
              ? 'env'
              : { accessKeyId: u.credentials.access_key_id, secretAccessKey: u.credentials.secret_access_key, ...(u.credentials.session_token !== undefined ? { sessionToken: u.credentials.session_token } : {}) },
          timeoutMs: u.timeout,
          connections: u.connections,
        }));
      } catch (e: unknown) {
        if (e instanceof BedrockUpstreamError) throw new BedrockUpstreamError(`upstreams.${name}: ${e.message}`);
        throw e;
      }
    }
  } catch (e: unknown) {
    void Promise.all([...out.values()].map((u) => u.close()));
    throw e;
  }
  return out;
}

/** The Bedrock provider compiled for one config: its key ring and limits, and its request matcher. */
export interface CompiledBedrock extends ProviderRuntime, BedrockRuntime {}

function compile(config: Readonly<Config>, ctx: CompileContext): CompiledBedrock | null {
  if (!hasBedrock(config)) return null;
  const keyring = new AwsKeyRing(config.aws_keys.map((k) => awsKeyEntry(k, ctx)), config.bedrock_api_keys.map((k) => bedrockApiKeyRecord(k, ctx)));
  const upstreams = bedrockUpstreams(config);
  const compiled: CompiledBedrock = {
    keyring,
    regions: acceptedRegions(config.bedrock),
    explainMismatch: config.bedrock.explain_signature_mismatch,
    maxBodyBytes: Math.min(config.max_body_bytes, config.bedrock.max_body_bytes),
    chunkDelayMs: config.bedrock.stream_chunk_delay,
    upstreams,
    keys: keyring.records,
    match: (ex) => (ex.path.startsWith('/model/') || isAwsRequest(ex) ? new BedrockCall(compiled) : null),
    unknownUrl(ex) {
      renderAwsError(ex.res, 'UnknownOperation');
    },
    fault(ex) {
      renderAwsError(ex.res, 'InternalServer');
    },
    async close() {
      await Promise.all([...upstreams.values()].map((u) => u.close()));
    },
  };
  return compiled;
}

export const bedrockProvider: Provider<CompiledBedrock> = {
  name: 'bedrock',
  config: bedrockConfigPart,
  keyFormats: ['aws'],
  compile,
};
