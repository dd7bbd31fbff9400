/**
 * What thieves probe with AWS keys (issue 4 part 5), through the official clients: STS
 * GetCallerIdentity and the Bedrock control plane, all naming the account the key id decodes to.
 */
import {
  BedrockClient,
  GetFoundationModelCommand,
  GetModelInvocationLoggingConfigurationCommand,
  ListFoundationModelsCommand,
  ListInferenceProfilesCommand,
} from '@aws-sdk/client-bedrock';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAwsAccountId } from '../../src/deception/keygen.js';
import { awsPersona } from '../../src/deception/persona.js';
import { serviceOf } from '../../src/providers/bedrock/aws-probes.js';
import { LURE, LURE_ACCOUNT, STRANGER, VALID, startHarness, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

const lureCreds = { accessKeyId: LURE.accessKeyId, secretAccessKey: LURE.secretAccessKey };

describe('STS GetCallerIdentity (Query protocol, XML)', () => {
  it('returns the account decoded from the key id, and the persona ARN', async () => {
    const sts = new STSClient({ region: 'us-east-1', endpoint: h.url, credentials: lureCreds, maxAttempts: 1 });
    const out = await sts.send(new GetCallerIdentityCommand({}));
    expect(decodeAwsAccountId(LURE.accessKeyId)).toBe(LURE_ACCOUNT);
    expect(out.Account).toBe(LURE_ACCOUNT);
    expect(out.Arn).toBe(awsPersona(LURE.accessKeyId).arn);
    expect(out.Arn).toMatch(new RegExp(`^arn:aws:iam::${LURE_ACCOUNT}:user/[a-z-]+$`));
    expect(decodeAwsAccountId(out.UserId ?? '')).toBe(LURE_ACCOUNT);
    expect(out.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await h.last()).toMatchObject({ service: 'sts', operation: 'GetCallerIdentity', keyClass: 'lure' });
    sts.destroy();
  });

  it('an unknown key → InvalidClientTokenId, a wrong secret → SignatureDoesNotMatch', async () => {
    const a = new STSClient({ region: 'us-east-1', endpoint: h.url, credentials: { accessKeyId: STRANGER.accessKeyId, secretAccessKey: STRANGER.secretAccessKey }, maxAttempts: 1 });
    await expect(a.send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({ name: 'InvalidClientTokenId', message: 'The security token included in the request is invalid.', $metadata: { httpStatusCode: 403 } });
    const b = new STSClient({ region: 'us-east-1', endpoint: h.url, credentials: { accessKeyId: LURE.accessKeyId, secretAccessKey: STRANGER.secretAccessKey }, maxAttempts: 1 });
    await expect(b.send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({ name: 'SignatureDoesNotMatch', $metadata: { httpStatusCode: 403 } });
    a.destroy();
    b.destroy();
  });

  it('answers the raw XML in the documented layout and header order', async () => {
    const body = 'Action=GetCallerIdentity&Version=2011-06-15';
    const signer = new SignatureV4({ service: 'sts', region: 'us-east-1', credentials: lureCreds, sha256: Sha256 });
    const host = `127.0.0.1:${h.port}`;
    const signed = await signer.sign({ method: 'POST', protocol: 'http:', hostname: '127.0.0.1', port: h.port, path: '/', query: {}, headers: { host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body });
    const res = await fetch(`${h.url}/`, { method: 'POST', headers: signed.headers, body });
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/xml');
    expect(text).toMatch(new RegExp(`^<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\\n  <GetCallerIdentityResult>\\n    <Arn>arn:aws:iam::${LURE_ACCOUNT}:user/[a-z-]+</Arn>\\n    <UserId>AIDA[A-Z2-7]{17}</UserId>\\n    <Account>${LURE_ACCOUNT}</Account>\\n  </GetCallerIdentityResult>\\n  <ResponseMetadata>\\n    <RequestId>[0-9a-f-]{36}</RequestId>\\n  </ResponseMetadata>\\n</GetCallerIdentityResponse>\\n$`));
  });

  it('answers JSON when the checker asks for it (GET, Accept: application/json)', async () => {
    const signer = new SignatureV4({ service: 'sts', region: 'us-east-1', credentials: lureCreds, sha256: Sha256 });
    const host = `127.0.0.1:${h.port}`;
    const query = { Action: 'GetCallerIdentity', Version: '2011-06-15' };
    const signed = await signer.sign({ method: 'GET', protocol: 'http:', hostname: '127.0.0.1', port: h.port, path: '/', query, headers: { host, accept: 'application/json' } });
    const res = await fetch(`${h.url}/?Action=GetCallerIdentity&Version=2011-06-15`, { headers: signed.headers });
    const json = (await res.json()) as { GetCallerIdentityResponse: { GetCallerIdentityResult: { Account: string; Arn: string } } };
    expect(res.status).toBe(200);
    expect(json.GetCallerIdentityResponse.GetCallerIdentityResult.Account).toBe(LURE_ACCOUNT);
  });

  it('an unknown action → InvalidAction 400', async () => {
    const signer = new SignatureV4({ service: 'sts', region: 'us-east-1', credentials: lureCreds, sha256: Sha256 });
    const body = 'Action=AssumeRole&Version=2011-06-15';
    const signed = await signer.sign({ method: 'POST', protocol: 'http:', hostname: '127.0.0.1', port: h.port, path: '/', query: {}, headers: { host: `127.0.0.1:${h.port}`, 'content-type': 'application/x-www-form-urlencoded' }, body });
    const res = await fetch(`${h.url}/`, { method: 'POST', headers: signed.headers, body });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('<Code>InvalidAction</Code>');
  });
});

describe('Bedrock control plane', () => {
  const bedrock = (): BedrockClient => new BedrockClient({ region: 'us-west-2', endpoint: h.url, credentials: lureCreds, maxAttempts: 1 });

  it('ListFoundationModels lists the catalog with region ARNs, filters by provider', async () => {
    const c = bedrock();
    const all = await c.send(new ListFoundationModelsCommand({}));
    expect(all.modelSummaries?.length).toBeGreaterThan(30);
    const haiku = all.modelSummaries?.find((m) => m.modelId === 'anthropic.claude-3-haiku-20240307-v1:0');
    expect(haiku).toMatchObject({ modelArn: 'arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-3-haiku-20240307-v1:0', providerName: 'Anthropic', responseStreamingSupported: true, modelLifecycle: { status: 'ACTIVE' } });
    const meta = await c.send(new ListFoundationModelsCommand({ byProvider: 'meta' }));
    expect(meta.modelSummaries?.every((m) => m.providerName === 'Meta')).toBe(true);
    const embed = await c.send(new ListFoundationModelsCommand({ byOutputModality: 'EMBEDDING' }));
    expect(embed.modelSummaries?.map((m) => m.modelId)).toContain('amazon.titan-embed-text-v2:0');
    expect(await h.last()).toMatchObject({ service: 'bedrock', operation: 'ListFoundationModels' });
    c.destroy();
  });

  it('GetFoundationModel, and an unknown id refused', async () => {
    const c = bedrock();
    const out = await c.send(new GetFoundationModelCommand({ modelIdentifier: 'amazon.nova-pro-v1:0' }));
    expect(out.modelDetails?.modelName).toBe('Nova Pro');
    await expect(c.send(new GetFoundationModelCommand({ modelIdentifier: 'amazon.nova-pro-v9:0' }))).rejects.toMatchObject({ name: 'ValidationException' });
    c.destroy();
  });

  it('ListInferenceProfiles: ARNs in the key’s account, dates parsed, paginated', async () => {
    const c = bedrock();
    const out = await c.send(new ListInferenceProfilesCommand({}));
    const summaries = out.inferenceProfileSummaries ?? [];
    expect(summaries.length).toBeGreaterThan(10);
    for (const p of summaries) {
      expect(p.inferenceProfileArn).toMatch(new RegExp(`^arn:aws:bedrock:us-west-2:${LURE_ACCOUNT}:inference-profile/(us|global)\\.`));
      expect(p.createdAt).toBeInstanceOf(Date);
      expect(p.models?.length).toBeGreaterThan(0);
    }
    const page = await c.send(new ListInferenceProfilesCommand({ maxResults: 5 }));
    expect(page.inferenceProfileSummaries).toHaveLength(5);
    const next = await c.send(new ListInferenceProfilesCommand({ maxResults: 5, nextToken: page.nextToken }));
    expect(next.inferenceProfileSummaries?.[0]?.inferenceProfileId).toBe(summaries[5]?.inferenceProfileId);
    c.destroy();
  });

  it('GetModelInvocationLoggingConfiguration: nothing is logged', async () => {
    const c = bedrock();
    const out = await c.send(new GetModelInvocationLoggingConfigurationCommand({}));
    expect(out.loggingConfig).toBeUndefined();
    c.destroy();
  });

  it('a valid pair whose upstream is the decoy (the offline demo) is answered by it, recorded as valid', async () => {
    const c = new BedrockClient({ region: 'us-west-2', endpoint: h.url, credentials: { accessKeyId: VALID.accessKeyId, secretAccessKey: VALID.secretAccessKey }, maxAttempts: 1 });
    const out = await c.send(new ListFoundationModelsCommand({}));
    expect(out.modelSummaries?.length).toBeGreaterThan(0);
    expect(await h.last()).toMatchObject({ keyClass: 'valid', keyName: 'valid-1', reason: 'valid_key', operation: 'ListFoundationModels' });
    c.destroy();
  });
});

describe('service selection (as AWS routes it)', () => {
  it('by Host when it is an AWS endpoint name', () => {
    expect(serviceOf('sts.amazonaws.com', '/', undefined, undefined)).toEqual({ service: 'sts', region: 'us-east-1', signingName: 'sts' });
    expect(serviceOf('sts.eu-west-1.amazonaws.com:443', '/', undefined, undefined)).toEqual({ service: 'sts', region: 'eu-west-1', signingName: 'sts' });
    expect(serviceOf('bedrock.us-west-2.amazonaws.com', '/model/x/converse', undefined, undefined)).toMatchObject({ service: 'bedrock', region: 'us-west-2' });
    expect(serviceOf('bedrock-runtime.ap-south-1.amazonaws.com', '/foundation-models', undefined, undefined)).toMatchObject({ service: 'bedrock-runtime', region: 'ap-south-1' });
  });

  it('otherwise by credential scope and path', () => {
    const auth = (svc: string): string => `AWS4-HMAC-SHA256 Credential=AKIA/20250101/us-east-1/${svc}/aws4_request, SignedHeaders=host, Signature=00`;
    expect(serviceOf('127.0.0.1:8080', '/', auth('sts'), undefined).service).toBe('sts');
    expect(serviceOf('127.0.0.1:8080', '/foundation-models', auth('bedrock'), undefined).service).toBe('bedrock');
    expect(serviceOf('127.0.0.1:8080', '/model/a/converse', auth('bedrock'), undefined).service).toBe('bedrock-runtime');
    expect(serviceOf('honeygate.local', '/', undefined, 'application/x-www-form-urlencoded').service).toBe('sts');
    expect(serviceOf(undefined, '/?Action=GetCallerIdentity', undefined, undefined).service).toBe('sts');
  });
});
