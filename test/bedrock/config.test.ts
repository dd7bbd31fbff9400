/**
 * Config schemas for the Bedrock surface: upstreams, AWS keys, Bedrock API keys, surface options.
 */
import { describe, expect, it } from 'vitest';
import { acceptedRegions, awsKeySchema, awsSecretsSidecarSchema, bedrockApiKeySchema, bedrockSurfaceSchema, bedrockUpstreamSchema } from '../../src/providers/bedrock/config.js';
import { LURE, LURE_SESSION } from './harness.js';

const issues = (r: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }): string[] =>
  r.success ? [] : (r.error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`);

describe('bedrock upstream', () => {
  it('defaults: credentials from env, 10 min timeout', () => {
    expect(bedrockUpstreamSchema.parse({ type: 'bedrock', region: 'us-east-1' })).toEqual({ type: 'bedrock', region: 'us-east-1', credentials: 'env', timeout: 600_000, connections: 64 });
  });

  it('explicit credentials and endpoint', () => {
    const up = bedrockUpstreamSchema.parse({ type: 'bedrock', region: 'eu-west-1', endpoint: 'https://vpce-1.bedrock-runtime.eu-west-1.vpce.amazonaws.com', credentials: { access_key_id: LURE.accessKeyId, secret_access_key: LURE.secretAccessKey }, timeout: '2m' });
    expect(up.timeout).toBe(120_000);
    expect(up.credentials).toMatchObject({ access_key_id: LURE.accessKeyId });
  });

  it('refusals name the path', () => {
    expect(issues(bedrockUpstreamSchema.safeParse({ type: 'bedrock', region: 'useast1' }))).toEqual(['region: an AWS region like us-east-1']);
    expect(issues(bedrockUpstreamSchema.safeParse({ type: 'bedrock', credentials: { access_key_id: 'nope', secret_access_key: 'x'.repeat(40) } }))).toEqual(['credentials.access_key_id: an access key id: AKIA or ASIA + 16 characters']);
    expect(issues(bedrockUpstreamSchema.safeParse({ type: 'bedrock', extra: 1 })).length).toBe(1);
  });
});

describe('AWS keys', () => {
  it('a lure pair', () => {
    const k = awsKeySchema.parse({ name: 'ci', class: 'lure', access_key_id: LURE.accessKeyId, secret_access_key: LURE.secretAccessKey, campaign: 'ci-secrets', block_duration: '48h' });
    expect(k.block_duration).toBe(172_800_000);
  });

  it('ASIA keys need their session token', () => {
    expect(issues(awsKeySchema.safeParse({ name: 's', class: 'lure', access_key_id: LURE_SESSION.accessKeyId, secret_access_key: LURE_SESSION.secretAccessKey }))).toEqual([
      'session_token: ASIA keys are temporary credentials: set the session token the requests will carry',
    ]);
  });

  it('the keys CLI sidecar format is accepted', () => {
    expect(awsSecretsSidecarSchema.safeParse({ aws_credentials: [{ name: 'ci-secrets-81fe6374', access_key_id: LURE.accessKeyId, secret_access_key: LURE.secretAccessKey, account_id: '198788335243' }] }).success).toBe(true);
  });

  it('API keys must look like ABSK keys or sha256 references', () => {
    expect(issues(bedrockApiKeySchema.safeParse({ name: 'x', class: 'lure', key: 'sk-proj-abc' }))).toEqual(['key: an ABSK… key or sha256:<64 lowercase hex>']);
  });
});

describe('surface options', () => {
  it('defaults and regions', () => {
    const s = bedrockSurfaceSchema.parse({});
    expect(s).toEqual({ explain_signature_mismatch: true, max_body_bytes: 25_000_000, stream_chunk_delay: 0 });
    expect(acceptedRegions(s).has('ap-southeast-2')).toBe(true);
    expect([...acceptedRegions(bedrockSurfaceSchema.parse({ regions: ['us-east-1'] }))]).toEqual(['us-east-1']);
  });
});
