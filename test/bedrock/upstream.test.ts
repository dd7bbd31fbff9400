/**
 * Valid keys are forwarded to the real Bedrock, re-signed with the upstream's own credentials: a
 * fake Bedrock upstream verifies every forwarded request with honeygate's own SigV4 verifier.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BedrockRuntimeClient, ConverseCommand, ConverseStreamCommand, InvokeModelCommand, ServiceUnavailableException } from '@aws-sdk/client-bedrock-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintAwsKeyPair } from '../../src/deception/keygen.js';
import { renderAwsError } from '../../src/providers/bedrock/errors.js';
import { encodeEvent, sortedJson } from '../../src/providers/bedrock/eventstream.js';
import { authenticate } from '../../src/providers/bedrock/sigv4.js';
import { BedrockUpstream, BedrockUpstreamError, upstreamPath } from '../../src/providers/bedrock/upstream.js';
import { credentialsFromEnv, forwardableHeaders, regionFromEnv, signForUpstream } from '../../src/providers/bedrock/sigv4-sign.js';
import { VALID, startHarness, type Harness } from './harness.js';

const UPSTREAM = mintAwsKeyPair({ accountId: '777788889999' });

interface Seen {
  readonly url: string;
  readonly accessKeyId: string | null;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

let fake: Server;
let fakeUrl = '';
const seen: Seen[] = [];

beforeAll(async () => {
  fake = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const auth = authenticate(
        { method: req.method ?? '', url: req.url ?? '', rawHeaders: req.rawHeaders, body },
        { lookupAccessKey: (id) => (id === UPSTREAM.accessKeyId ? { secretAccessKey: UPSTREAM.secretAccessKey } : undefined), service: 'bedrock', region: 'us-west-2' },
      );
      seen.push({ url: req.url ?? '', accessKeyId: auth.ok ? auth.accessKeyId : null, headers: req.headers, body: body.toString() });
      if (!auth.ok) {
        renderAwsError(res, auth.error, auth.message);
        return;
      }
      if ((req.url ?? '').endsWith('/converse-stream')) {
        res.writeHead(200, ['Content-Type', 'application/vnd.amazon.eventstream', 'x-amzn-RequestId', '0b8e2f1c-0000-4000-8000-000000000001']);
        res.write(encodeEvent('messageStart', { role: 'assistant' }));
        res.write(encodeEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'from upstream' } }));
        res.write(encodeEvent('contentBlockStop', { contentBlockIndex: 0 }));
        res.write(encodeEvent('messageStop', { stopReason: 'end_turn' }));
        res.end(encodeEvent('metadata', { metrics: { latencyMs: 5 }, usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 } }));
        return;
      }
      const out = Buffer.from(sortedJson({ metrics: { latencyMs: 5 }, output: { message: { content: [{ text: 'from upstream' }], role: 'assistant' } }, stopReason: 'end_turn', usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 } }));
      res.writeHead(200, ['Content-Type', 'application/json', 'Content-Length', String(out.length), 'x-amzn-RequestId', '0b8e2f1c-0000-4000-8000-000000000002']);
      res.end(out);
    });
  });
  await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
  fakeUrl = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
});
afterAll(async () => {
  fake.closeAllConnections();
  await new Promise<void>((r) => fake.close(() => r()));
});

describe('signForUpstream', () => {
  it('signs with the upstream credentials; the fake upstream verifies it', async () => {
    const body = Buffer.from('{"messages":[{"role":"user","content":[{"text":"hi"}]}]}');
    const signed = await signForUpstream(
      { method: 'POST', path: '/model/us.amazon.nova-micro-v1%3A0/converse', query: '', headers: { 'content-type': 'application/json' }, body },
      { endpoint: fakeUrl, region: 'us-west-2', credentials: UPSTREAM },
    );
    expect(signed.headers['x-amz-content-sha256']).toMatch(/^[0-9a-f]{64}$/);
    expect(signed.headers['authorization']).toContain(`Credential=${UPSTREAM.accessKeyId}/`);
    // fetch writes Host and Content-Length itself (the same values that were signed)
    const { host: _host, 'content-length': _len, ...rest } = signed.headers;
    expect(_host).toBe(new URL(fakeUrl).host);
    expect(_len).toBe(String(body.length));
    const res = await fetch(fakeUrl + signed.path, { method: 'POST', headers: rest, body });
    expect(res.status).toBe(200);
    expect(seen.at(-1)?.accessKeyId).toBe(UPSTREAM.accessKeyId);
  });

  it('credentials and region from the standard environment variables', () => {
    expect(credentialsFromEnv({ AWS_ACCESS_KEY_ID: 'AKIA1', AWS_SECRET_ACCESS_KEY: 's', AWS_SESSION_TOKEN: 't' })).toEqual({ accessKeyId: 'AKIA1', secretAccessKey: 's', sessionToken: 't' });
    expect(credentialsFromEnv({ AWS_ACCESS_KEY_ID: 'AKIA1' })).toBeNull();
    expect(regionFromEnv({ AWS_DEFAULT_REGION: 'eu-west-1' })).toBe('eu-west-1');
    expect(regionFromEnv({ AWS_REGION: 'us-west-2', AWS_DEFAULT_REGION: 'eu-west-1' })).toBe('us-west-2');
    expect(() => new BedrockUpstream({ env: {} })).toThrow(BedrockUpstreamError);
    expect(() => new BedrockUpstream({ region: 'us-east-1', env: {} })).toThrow(/credentials/);
  });

  it('forwards only safe client headers, never credentials', () => {
    expect(forwardableHeaders(['Authorization', 'AWS4-HMAC-SHA256 x', 'X-Amz-Security-Token', 't', 'Content-Type', 'application/json', 'X-Amzn-Bedrock-Trace', 'ENABLED', 'Cookie', 'c', 'amz-sdk-request', 'attempt=1'])).toEqual({
      'content-type': 'application/json',
      'x-amzn-bedrock-trace': 'ENABLED',
      'amz-sdk-request': 'attempt=1',
    });
    expect(upstreamPath({ operation: 'InvokeModel', rawModelId: 'x', modelId: 'arn:aws:bedrock:us-west-2::foundation-model/a.b:0', query: '' })).toBe('/model/arn%3Aaws%3Abedrock%3Aus-west-2%3A%3Afoundation-model%2Fa.b%3A0/invoke');
  });
});

describe('a valid key through the gateway', () => {
  let h: Harness;
  let client: BedrockRuntimeClient;
  beforeAll(async () => {
    h = await startHarness({ upstream: { endpoint: fakeUrl, region: 'us-west-2', accessKeyId: UPSTREAM.accessKeyId, secretAccessKey: UPSTREAM.secretAccessKey } });
    client = new BedrockRuntimeClient({ region: 'us-east-1', endpoint: h.h2url, credentials: { accessKeyId: VALID.accessKeyId, secretAccessKey: VALID.secretAccessKey }, maxAttempts: 1 });
  });
  afterAll(async () => {
    client.destroy();
    await h.close();
  });

  it('Converse is re-signed with the upstream key, the model path in SDK encoding', async () => {
    const out = await client.send(new ConverseCommand({ modelId: 'us.anthropic.claude-3-5-haiku-20241022-v1:0', messages: [{ role: 'user', content: [{ text: 'hi' }] }] }));
    expect(out.output?.message?.content?.[0]?.text).toBe('from upstream');
    const last = seen.at(-1);
    expect(last?.accessKeyId).toBe(UPSTREAM.accessKeyId);
    expect(last?.url).toBe('/model/us.anthropic.claude-3-5-haiku-20241022-v1%3A0/converse');
    expect(JSON.stringify(last?.headers)).not.toContain(VALID.accessKeyId);
    expect(await h.last()).toMatchObject({ keyClass: 'valid', keyName: 'valid-1', status: 200, reason: 'valid_key' });
  });

  it('event streams pass through unbuffered and parse', async () => {
    const out = await client.send(new ConverseStreamCommand({ modelId: 'amazon.nova-micro-v1:0', messages: [{ role: 'user', content: [{ text: 'hi' }] }] }));
    let text = '';
    for await (const e of out.stream ?? []) text += e.contentBlockDelta?.delta?.text ?? '';
    expect(text).toBe('from upstream');
    expect(seen.at(-1)?.accessKeyId).toBe(UPSTREAM.accessKeyId);
  });

  it('the exact body bytes are what the upstream signature covers', async () => {
    const body = new TextEncoder().encode('{"anthropic_version":"bedrock-2023-05-31","max_tokens":5,"messages":[{"role":"user","content":"é"}]}');
    await client.send(new InvokeModelCommand({ modelId: 'anthropic.claude-3-haiku-20240307-v1:0', body, contentType: 'application/json' }));
    expect(seen.at(-1)?.body).toBe(new TextDecoder().decode(body));
  });

  it('an unreachable upstream → ServiceUnavailableException', async () => {
    const h2 = await startHarness({ upstream: { endpoint: 'http://127.0.0.1:1', region: 'us-west-2', accessKeyId: UPSTREAM.accessKeyId, secretAccessKey: UPSTREAM.secretAccessKey, timeout: '2s' } });
    const c = new BedrockRuntimeClient({ region: 'us-east-1', endpoint: h2.h2url, credentials: { accessKeyId: VALID.accessKeyId, secretAccessKey: VALID.secretAccessKey }, maxAttempts: 1 });
    await expect(c.send(new ConverseCommand({ modelId: 'amazon.nova-micro-v1:0', messages: [{ role: 'user', content: [{ text: 'hi' }] }] }))).rejects.toBeInstanceOf(ServiceUnavailableException);
    c.destroy();
    await h2.close();
  });
});
