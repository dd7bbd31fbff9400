/**
 * The Bedrock surface through the gateway (issue 4): `startGateway` with AWS keys in the config,
 * the official JS clients over HTTP/2 (h2c, their default) on the gateway's one public port.
 * Valid keys reach a fake Bedrock that verifies the gateway's re-signed SigV4; lure keys get decoy
 * answers in every model family; authentication failures are AWS's own exceptions; events carry
 * surface, class and the access key id's fingerprint, never a secret.
 */
import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  type BedrockRuntimeClientConfig,
} from '@aws-sdk/client-bedrock-runtime';
import { BedrockClient, ListFoundationModelsCommand } from '@aws-sdk/client-bedrock';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintAwsKeyPair } from '../../src/deception/keygen.js';
import { awsPersona } from '../../src/deception/persona.js';
import type { GatewayEvent } from '../../src/events/model.js';
import { sha256Hex } from '../../src/util/hash.js';
import { rawRequest, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startFakeBedrock, UPSTREAM_TEXT, type FakeBedrock } from './fake-bedrock.js';
import { BEARER_LURE, LURE, LURE_ACCOUNT, LURE_SESSION, LURE_TEXT, STRANGER, VALID } from './harness.js';

const UPSTREAM = mintAwsKeyPair({ accountId: '777788889999' });
const BURNER = mintAwsKeyPair({ accountId: '666677778888' });

let fake: FakeBedrock;
let g: TestGateway;

beforeAll(async () => {
  fake = await startFakeBedrock([UPSTREAM, BURNER]);
  g = await startTestGateway({
    lure_defaults: { realistic_timing: false },
    upstreams: {
      aws: { type: 'bedrock', region: 'us-west-2', endpoint: fake.url, control_endpoint: fake.url, credentials: { access_key_id: UPSTREAM.accessKeyId, secret_access_key: UPSTREAM.secretAccessKey } },
      burner: { type: 'bedrock', region: 'us-west-2', endpoint: fake.url, credentials: { access_key_id: BURNER.accessKeyId, secret_access_key: BURNER.secretAccessKey } },
    },
    aws_keys: [
      { name: 'aws-lure', class: 'lure', access_key_id: LURE.accessKeyId, secret_access_key: LURE.secretAccessKey, reply: LURE_TEXT, campaign: 'ci-secrets', placement: 'GitHub Actions secret', max_requests: 100_000 },
      { name: 'aws-valid', class: 'valid', access_key_id: VALID.accessKeyId, secret_access_key: VALID.secretAccessKey, upstream: 'aws' },
      { name: 'aws-session', class: 'lure', access_key_id: LURE_SESSION.accessKeyId, secret_access_key: LURE_SESSION.secretAccessKey, session_token: LURE_SESSION.sessionToken, reply: LURE_TEXT, max_requests: 100_000 },
    ],
    bedrock_api_keys: [{ name: 'bearer-lure', class: 'lure', key: BEARER_LURE, reply: LURE_TEXT, max_requests: 100_000 }],
  });
});
afterAll(async () => {
  await g.close();
  await fake.close();
});

const enc = (v: unknown): Uint8Array => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));
const dec = (b: Uint8Array | undefined): Record<string, unknown> => JSON.parse(new TextDecoder().decode(b)) as Record<string, unknown>;
const hello = { role: 'user' as const, content: [{ text: 'hello there' }] };

function runtime(creds: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }, over: Partial<BedrockRuntimeClientConfig> = {}): BedrockRuntimeClient {
  return new BedrockRuntimeClient({ region: 'us-east-1', endpoint: g.url, credentials: creds, maxAttempts: 1, ...over });
}

async function failure(p: Promise<unknown>): Promise<{ name: string; message: string; status: number | undefined }> {
  try {
    await p;
  } catch (e: unknown) {
    const err = e as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: err.name, message: err.message, status: err.$metadata?.httpStatusCode };
  }
  throw new Error('the request was accepted');
}

/** The bedrock events published since `from`, once `n` more have arrived. */
async function newEvents(from: number, n = 1): Promise<GatewayEvent[]> {
  await g.waitForEvents(from + n);
  return g.events.slice(from).filter((e) => e.event.dataset === 'honeygate.request');
}

const fingerprint = (akid: string): string => `sha256:${sha256Hex(akid).slice(0, 16)}`;

describe('valid keys: re-signed with the upstream credentials, verified by the fake Bedrock', () => {
  let c: BedrockRuntimeClient;
  beforeAll(() => {
    c = runtime(VALID);
  });
  afterAll(() => c.destroy());

  it('Converse reaches the upstream signed with its own key, the model id in SDK encoding', async () => {
    const before = fake.seen.length;
    const from = g.events.length;
    const out = await c.send(new ConverseCommand({ modelId: 'us.anthropic.claude-3-5-haiku-20241022-v1:0', messages: [hello] }));
    expect(out.output?.message?.content?.[0]?.text).toBe(UPSTREAM_TEXT);
    const s = fake.seen.at(-1);
    expect(fake.seen.length).toBe(before + 1);
    expect(s).toMatchObject({ accessKeyId: UPSTREAM.accessKeyId, url: '/model/us.anthropic.claude-3-5-haiku-20241022-v1%3A0/converse' });
    expect(JSON.stringify(s?.headers)).not.toContain(VALID.accessKeyId);
    const [e] = await newEvents(from);
    expect(e?.honeygate).toMatchObject({
      surface: 'bedrock',
      key: { class: 'valid', name: 'aws-valid', fingerprint: fingerprint(VALID.accessKeyId), mask: `AKIA${'*'.repeat(12)}${VALID.accessKeyId.slice(-4)}` },
      verdict: { action: 'forward', reason: 'valid_key' },
      upstream: 'aws',
      model: 'us.anthropic.claude-3-5-haiku-20241022-v1:0',
      route: 'Converse',
      stream: false,
      client: { name: 'aws-sdk-js' },
    });
    expect(e?.honeygate.upstream_ms).toBeGreaterThan(0);
  });

  it('ConverseStream passes frame by frame: the first event reaches the client while the upstream still holds the rest', async () => {
    const hold = fake.holdNextStream();
    const out = await c.send(new ConverseStreamCommand({ modelId: 'amazon.nova-micro-v1:0', messages: [hello] }));
    const events: string[] = [];
    let text = '';
    for await (const e of out.stream ?? []) {
      if (events.length === 0) hold.release();
      events.push(Object.keys(e).find((k) => k !== '$unknown') ?? '?');
      text += e.contentBlockDelta?.delta?.text ?? '';
    }
    expect(await hold.released).toBe('client');
    expect(events).toEqual(['messageStart', 'contentBlockDelta', 'contentBlockStop', 'messageStop', 'metadata']);
    expect(text).toBe(UPSTREAM_TEXT);
    expect(fake.seen.at(-1)?.accessKeyId).toBe(UPSTREAM.accessKeyId);
  });

  it('InvokeModel: the exact body bytes are what the upstream signature covers', async () => {
    const body = enc('{"anthropic_version":"bedrock-2023-05-31","max_tokens":5,"messages":[{"role":"user","content":"é ✓"}]}');
    const out = await c.send(new InvokeModelCommand({ modelId: 'anthropic.claude-3-haiku-20240307-v1:0', body, contentType: 'application/json' }));
    expect(dec(out.body)['content']).toEqual([{ type: 'text', text: UPSTREAM_TEXT }]);
    expect(fake.seen.at(-1)?.body).toBe(new TextDecoder().decode(body));
    expect(fake.seen.at(-1)?.url).toBe('/model/anthropic.claude-3-haiku-20240307-v1%3A0/invoke');
  });

  it('InvokeModelWithResponseStream passes frame by frame too', async () => {
    const hold = fake.holdNextStream();
    const out = await c.send(new InvokeModelWithResponseStreamCommand({ modelId: 'anthropic.claude-3-haiku-20240307-v1:0', body: enc({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }) }));
    const chunks: Record<string, unknown>[] = [];
    for await (const e of out.body ?? []) {
      if (chunks.length === 0) hold.release();
      chunks.push(dec(e.chunk?.bytes));
    }
    expect(await hold.released).toBe('client');
    expect(chunks.map((x) => x['type'])).toEqual(['message_start', 'content_block_delta', 'message_stop']);
  });

  it('a corrupt upstream frame is passed on as is: the SDK rejects it, the gateway keeps serving', async () => {
    const out = await c.send(new ConverseStreamCommand({ modelId: 'amazon.corrupt-v1:0', messages: [hello] }));
    await expect((async () => {
      for await (const _e of out.stream ?? []) {
        /* drain */
      }
    })()).rejects.toThrow(/checksum|crc/i);
    const again = await c.send(new ConverseCommand({ modelId: 'amazon.nova-micro-v1:0', messages: [hello] }));
    expect(again.output?.message?.content?.[0]?.text).toBe(UPSTREAM_TEXT);
  });

  it('control plane calls are forwarded re-signed; STS is answered with the key’s own identity, never forwarded', async () => {
    const before = fake.seen.length;
    const cp = new BedrockClient({ region: 'us-east-1', endpoint: g.url, credentials: VALID, maxAttempts: 1 });
    const models = await cp.send(new ListFoundationModelsCommand({}));
    expect(models.modelSummaries?.[0]?.modelId).toBe('upstream.model-v1:0');
    expect(fake.seen.at(-1)).toMatchObject({ method: 'GET', url: '/foundation-models', accessKeyId: UPSTREAM.accessKeyId });
    cp.destroy();
    const sts = new STSClient({ region: 'us-east-1', endpoint: g.url, credentials: VALID, maxAttempts: 1 });
    const who = await sts.send(new GetCallerIdentityCommand({}));
    expect(who.Arn).toBe(awsPersona(VALID.accessKeyId).arn);
    expect(fake.seen.length).toBe(before + 1);
    sts.destroy();
  });
});

interface FamilyCase {
  readonly modelId: string;
  readonly body: unknown;
  readonly text: (r: Record<string, unknown>) => unknown;
  readonly stream: boolean;
}

const at = (v: unknown, ...path: (string | number)[]): unknown => path.reduce<unknown>((o, k) => (o as Record<string | number, unknown> | undefined)?.[k], v);

const FAMILIES: readonly FamilyCase[] = [
  { modelId: 'anthropic.claude-3-haiku-20240307-v1:0', body: { anthropic_version: 'bedrock-2023-05-31', max_tokens: 256, messages: [{ role: 'user', content: 'hi' }] }, text: (r) => at(r, 'content', 0, 'text'), stream: true },
  { modelId: 'amazon.titan-text-express-v1', body: { inputText: 'User: hi\nBot:', textGenerationConfig: { maxTokenCount: 256 } }, text: (r) => at(r, 'results', 0, 'outputText'), stream: true },
  { modelId: 'us.amazon.nova-lite-v1:0', body: { schemaVersion: 'messages-v1', messages: [{ role: 'user', content: [{ text: 'hi' }] }], inferenceConfig: { maxTokens: 256 } }, text: (r) => at(r, 'output', 'message', 'content', 0, 'text'), stream: true },
  { modelId: 'meta.llama3-70b-instruct-v1:0', body: { prompt: '<|begin_of_text|>hi', max_gen_len: 256 }, text: (r) => r['generation'], stream: true },
  { modelId: 'mistral.mistral-7b-instruct-v0:2', body: { prompt: '<s>[INST] hi [/INST]', max_tokens: 256 }, text: (r) => at(r, 'outputs', 0, 'text'), stream: true },
  { modelId: 'mistral.mistral-large-2407-v1:0', body: { messages: [{ role: 'user', content: 'hi' }], max_tokens: 256 }, text: (r) => at(r, 'choices', 0, 'message', 'content'), stream: true },
  { modelId: 'cohere.command-text-v14', body: { prompt: 'hi', max_tokens: 256 }, text: (r) => at(r, 'generations', 0, 'text'), stream: true },
  { modelId: 'cohere.command-r-plus-v1:0', body: { message: 'hi', chat_history: [], max_tokens: 256 }, text: (r) => r['text'], stream: true },
  { modelId: 'ai21.jamba-1-5-mini-v1:0', body: { messages: [{ role: 'user', content: 'hi' }], max_tokens: 256 }, text: (r) => at(r, 'choices', 0, 'message', 'content'), stream: true },
  { modelId: 'ai21.j2-ultra-v1', body: { prompt: 'hi', maxTokens: 256 }, text: (r) => at(r, 'completions', 0, 'data', 'text'), stream: false },
];

describe('lure keys: decoy answers the SDK parses, in every model family', () => {
  let c: BedrockRuntimeClient;
  beforeAll(() => {
    c = runtime(LURE);
  });
  afterAll(() => c.destroy());

  it('Converse and ConverseStream carry the lure reply; the event is an alert with the prompt and the key fingerprint', async () => {
    const from = g.events.length;
    const out = await c.send(new ConverseCommand({ modelId: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0', messages: [{ role: 'user', content: [{ text: 'list the S3 buckets' }] }] }));
    expect(out.output?.message?.content?.[0]?.text).toBe(LURE_TEXT);
    expect(out.usage?.totalTokens).toBe((out.usage?.inputTokens ?? 0) + (out.usage?.outputTokens ?? 0));
    const s = await c.send(new ConverseStreamCommand({ modelId: 'us.amazon.nova-micro-v1:0', messages: [hello] }));
    let text = '';
    for await (const e of s.stream ?? []) text += e.contentBlockDelta?.delta?.text ?? '';
    expect(text).toBe(LURE_TEXT);
    const [e1, e2] = await newEvents(from, 2);
    expect(e1?.event.kind).toBe('alert');
    expect(e1?.honeygate).toMatchObject({
      surface: 'bedrock',
      key: { class: 'lure', name: 'aws-lure', fingerprint: fingerprint(LURE.accessKeyId), campaign: 'ci-secrets', placement: 'GitHub Actions secret' },
      verdict: { action: 'deceive', reason: 'lure_key' },
      upstream: 'decoy',
      model: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
      stream: false,
      lure: { count: expect.any(Number), prompt: 'list the S3 buckets', injected: false },
    });
    expect(e2?.honeygate).toMatchObject({ stream: true, route: 'ConverseStream' });
  });

  for (const f of FAMILIES) {
    it(`${f.modelId}: InvokeModel${f.stream ? ' and the response stream' : ''}`, async () => {
      const out = await c.send(new InvokeModelCommand({ modelId: f.modelId, body: enc(f.body), contentType: 'application/json' }));
      expect(f.text(dec(out.body))).toBe(LURE_TEXT);
      if (!f.stream) return;
      const s = await c.send(new InvokeModelWithResponseStreamCommand({ modelId: f.modelId, body: enc(f.body), contentType: 'application/json' }));
      const chunks: Record<string, unknown>[] = [];
      for await (const e of s.body ?? []) chunks.push(dec(e.chunk?.bytes));
      expect(chunks.length).toBeGreaterThan(1);
      expect(chunks.at(-1)?.['amazon-bedrock-invocationMetrics']).toMatchObject({ outputTokenCount: expect.any(Number) });
    });
  }

  it('embeddings (Titan, Cohere) parse', async () => {
    const t = dec((await c.send(new InvokeModelCommand({ modelId: 'amazon.titan-embed-text-v2:0', body: enc({ inputText: 'hello' }) }))).body);
    expect((t['embedding'] as number[]).length).toBe(1024);
    const co = dec((await c.send(new InvokeModelCommand({ modelId: 'cohere.embed-english-v3', body: enc({ texts: ['a', 'b'], input_type: 'search_document' }) }))).body);
    expect((co['embeddings'] as number[][]).length).toBe(2);
  });

  it('temporary (ASIA) keys with their session token, and Bedrock API keys (Bearer ABSK…) are lures too', async () => {
    const s = runtime(LURE_SESSION);
    expect((await s.send(new ConverseCommand({ modelId: 'us.amazon.nova-micro-v1:0', messages: [hello] }))).output?.message?.content?.[0]?.text).toBe(LURE_TEXT);
    s.destroy();
    const b = runtime(LURE, { token: { token: BEARER_LURE }, authSchemePreference: ['httpBearerAuth'] });
    expect((await b.send(new ConverseCommand({ modelId: 'us.amazon.nova-micro-v1:0', messages: [hello] }))).output?.message?.content?.[0]?.text).toBe(LURE_TEXT);
    b.destroy();
  });

  it('STS and the control plane name the account the key id decodes to', async () => {
    const sts = new STSClient({ region: 'us-east-1', endpoint: g.url, credentials: LURE, maxAttempts: 1 });
    const from = g.events.length;
    const who = await sts.send(new GetCallerIdentityCommand({}));
    expect(who.Account).toBe(LURE_ACCOUNT);
    sts.destroy();
    const cp = new BedrockClient({ region: 'us-east-1', endpoint: g.url, credentials: LURE, maxAttempts: 1 });
    const models = await cp.send(new ListFoundationModelsCommand({}));
    expect(models.modelSummaries?.length).toBeGreaterThan(10);
    cp.destroy();
    const [e1, e2] = await newEvents(from, 2);
    expect(e1?.honeygate).toMatchObject({ surface: 'bedrock', route: 'sts:GetCallerIdentity', key: { class: 'lure' } });
    expect(e2?.honeygate).toMatchObject({ surface: 'bedrock', route: 'ListFoundationModels', key: { class: 'lure' } });
  });
});

describe('authentication failures: the SDK’s own exception classes', () => {
  const converse = new ConverseCommand({ modelId: 'us.amazon.nova-micro-v1:0', messages: [hello] });

  it('unknown key id → UnrecognizedClientException; the event says invalid, with the id’s fingerprint', async () => {
    const from = g.events.length;
    const c = runtime(STRANGER);
    expect(await failure(c.send(converse))).toEqual({ name: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.', status: 403 });
    c.destroy();
    const [e] = await newEvents(from);
    expect(e?.honeygate).toMatchObject({ surface: 'bedrock', key: { class: 'invalid', fingerprint: fingerprint(STRANGER.accessKeyId) }, verdict: { action: 'reject', reason: 'invalid_key' } });
  });

  it('wrong secret → InvalidSignatureException; clock skew → InvalidSignatureException "Signature expired"', async () => {
    const a = runtime({ accessKeyId: LURE.accessKeyId, secretAccessKey: STRANGER.secretAccessKey });
    const f = await failure(a.send(converse));
    expect(f).toMatchObject({ name: 'InvalidSignatureException', status: 403 });
    expect(f.message).toMatch(/^The request signature we calculated does not match/);
    a.destroy();
    const b = runtime(LURE, { systemClockOffset: -10 * 60_000 });
    expect((await failure(b.send(converse))).message).toMatch(/^Signature expired: \d{8}T\d{6}Z is now earlier than/);
    b.destroy();
  });

  it('a session key without its token → UnrecognizedClientException; a bad Bedrock API key → AccessDeniedException', async () => {
    const a = runtime({ accessKeyId: LURE_SESSION.accessKeyId, secretAccessKey: LURE_SESSION.secretAccessKey });
    expect((await failure(a.send(converse))).name).toBe('UnrecognizedClientException');
    a.destroy();
    const b = runtime(LURE, { token: { token: `ABSK${Buffer.from('BedrockAPIKey-zz-at-111122223333:nope').toString('base64')}` }, authSchemePreference: ['httpBearerAuth'] });
    const f = await failure(b.send(converse));
    b.destroy();
    expect(f).toEqual({ name: 'AccessDeniedException', message: 'Authentication failed: Please make sure your API Key is valid.', status: 403 });
  });

  it('STS and the control plane refuse in their own words', async () => {
    const sts = new STSClient({ region: 'us-east-1', endpoint: g.url, credentials: STRANGER, maxAttempts: 1 });
    expect(await failure(sts.send(new GetCallerIdentityCommand({})))).toMatchObject({ name: 'InvalidClientTokenId', status: 403 });
    sts.destroy();
    const cp = new BedrockClient({ region: 'us-east-1', endpoint: g.url, credentials: STRANGER, maxAttempts: 1 });
    expect(await failure(cp.send(new ListFoundationModelsCommand({})))).toMatchObject({ name: 'UnrecognizedClientException', status: 403 });
    cp.destroy();
  });

  it('no Authorization at all → 403 AccessDeniedException with the service’s capital-M body', async () => {
    const res = await fetch(`${g.url}/model/us.amazon.nova-micro-v1%3A0/converse`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(403);
    expect(res.headers.get('x-amzn-errortype')).toBe('AccessDeniedException:http://internal.amazon.com/coral/com.amazon.coral.service/');
    expect(await res.text()).toBe('{"Message":"Authorization header is missing"}');
  });
});

/** A SigV4-signed request the SDK would never send, over HTTP/1.1 (fetch). */
async function signed(path: string, body: string, creds: { accessKeyId: string; secretAccessKey: string } = LURE, headers: Record<string, string> = {}): Promise<Response> {
  const u = new URL(g.url);
  const q = path.indexOf('?');
  const signer = new SignatureV4({ service: 'bedrock', region: 'us-east-1', credentials: creds, sha256: Sha256, uriEscapePath: true });
  const req = await signer.sign({
    method: 'POST',
    protocol: 'http:',
    hostname: u.hostname,
    port: Number(u.port),
    path: q < 0 ? path : path.slice(0, q),
    query: {},
    headers: { host: u.host, 'content-type': 'application/json', ...headers },
    body,
  });
  const { host: _h, ...send } = req.headers;
  return fetch(`${g.url}${path}`, { method: 'POST', headers: send, body });
}

describe('malformed input through the gateway', () => {
  it('an unknown operation is refused before authentication: 404 UnknownOperationException {}', async () => {
    for (const path of ['/model/us.amazon.nova-micro-v1%3A0/converse-bogus', '/model/x/y/converse', '/model/us.amazon.nova-micro-v1%3A0/invoke-with-bidirectional-stream']) {
      const res = await fetch(`${g.url}${path}`, { method: 'POST', body: 'x', headers: { 'content-type': 'application/vnd.amazon.eventstream' } });
      expect(res.status, path).toBe(404);
      expect(res.headers.get('x-amzn-errortype')).toMatch(/^UnknownOperationException:/);
      expect(await res.text()).toBe('{}');
    }
  });

  it('a model id that breaks the member constraints → ValidationException after authentication', async () => {
    const res = await signed('/model/bad%ZZid/converse', '{"messages":[]}');
    expect(res.status).toBe(400);
    expect(res.headers.get('x-amzn-errortype')).toMatch(/^ValidationException:/);
    expect(((await res.json()) as { message: string }).message).toMatch(/^1 validation error detected: Value '.*' at 'modelId' failed to satisfy constraint/);
    const stranger = await signed('/model/bad%ZZid/converse', '{"messages":[]}', STRANGER);
    expect(stranger.status).toBe(403);
  });

  it('dot segments are resolved before routing: they can never form a model id', async () => {
    // a raw request: fetch would resolve the dots itself
    const raw = await rawRequest(g.url, 'POST /model/us.amazon.nova-micro-v1%3A0/%2e%2e/converse HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}');
    expect(raw).toMatch(/^HTTP\/1\.1 404 /);
    expect(raw).toContain('x-amzn-ErrorType: UnknownOperationException:');
    expect(raw.endsWith('\r\n\r\n{}')).toBe(true);
  });

  it('JSON that does not parse → ValidationException Malformed input request', async () => {
    const res = await signed('/model/us.amazon.nova-micro-v1%3A0/converse', '{"messages": [');
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ message: 'Malformed input request, please reformat your input and try again.' });
    const c = runtime(LURE);
    expect(await failure(c.send(new InvokeModelCommand({ modelId: 'anthropic.claude-3-haiku-20240307-v1:0', body: enc('{"oops') })))).toMatchObject({ name: 'ValidationException', status: 400 });
    c.destroy();
  });

  it('a malformed Authorization header → IncompleteSignatureException; a bad hex signature → InvalidSignatureException', async () => {
    const a = await fetch(`${g.url}/model/us.amazon.nova-micro-v1%3A0/converse`, { method: 'POST', body: '{}', headers: { authorization: 'AWS4-HMAC-SHA256 Credential=garbage', 'x-amz-date': '20260101T000000Z' } });
    expect(a.status).toBe(403);
    expect(a.headers.get('x-amzn-errortype')).toMatch(/^IncompleteSignatureException:/);
    const good = await signed('/model/us.amazon.nova-micro-v1%3A0/converse', JSON.stringify({ messages: [hello] }));
    expect(good.status).toBe(200);
    const forged = await signed('/model/us.amazon.nova-micro-v1%3A0/converse', JSON.stringify({ messages: [hello] }), LURE, { 'x-amz-content-sha256': sha256Hex('something else') });
    expect(forged.status).toBe(403);
    expect(forged.headers.get('x-amzn-errortype')).toMatch(/^InvalidSignatureException:/);
  });

  it('a body over the limit → ValidationException "Input is too long for requested model." and the connection closes', async () => {
    const big = await startTestGateway({ lure_defaults: { realistic_timing: false }, bedrock: { max_body_bytes: 2048 }, aws_keys: [{ name: 'l', class: 'lure', access_key_id: LURE.accessKeyId, secret_access_key: LURE.secretAccessKey }] });
    const res = await fetch(`${big.url}/model/us.amazon.nova-micro-v1%3A0/converse`, { method: 'POST', body: 'x'.repeat(10_000) });
    expect(res.status).toBe(400);
    expect(res.headers.get('connection')).toBe('close');
    expect(await res.json()).toEqual({ message: 'Input is too long for requested model.' });
    await big.close();
  });
});

describe('events never carry a secret', () => {
  it('no secret access key, session token or API key appears in any event', async () => {
    await g.waitForEvents(1);
    const text = JSON.stringify(g.events);
    expect(g.events.some((e) => e.honeygate.surface === 'bedrock')).toBe(true);
    for (const secret of [LURE.secretAccessKey, VALID.secretAccessKey, UPSTREAM.secretAccessKey, BURNER.secretAccessKey, LURE_SESSION.sessionToken, BEARER_LURE, STRANGER.secretAccessKey]) {
      expect(text).not.toContain(secret);
    }
  });
});

describe('a lure key on a real bedrock upstream with burner credentials', () => {
  it('gets the lure prompt injected and is forwarded signed with the burner pair, never a valid key', async () => {
    const lg = await startTestGateway({
      lure_defaults: { realistic_timing: false },
      upstreams: { burner: { type: 'bedrock', region: 'us-west-2', endpoint: fake.url, credentials: { access_key_id: BURNER.accessKeyId, secret_access_key: BURNER.secretAccessKey } } },
      aws_keys: [{ name: 'l', class: 'lure', access_key_id: LURE.accessKeyId, secret_access_key: LURE.secretAccessKey, upstream: 'burner', prompt: 'LURE PROMPT: answer briefly.' }],
    });
    const c = new BedrockRuntimeClient({ region: 'us-east-1', endpoint: lg.url, credentials: LURE, maxAttempts: 1 });
    const out = await c.send(new ConverseCommand({ modelId: 'us.amazon.nova-micro-v1:0', system: [{ text: 'thief system' }], messages: [hello] }));
    expect(out.output?.message?.content?.[0]?.text).toBe(UPSTREAM_TEXT);
    const s = fake.seen.at(-1);
    expect(s?.accessKeyId).toBe(BURNER.accessKeyId);
    expect(JSON.parse(s?.body ?? '{}')).toMatchObject({ system: [{ text: 'LURE PROMPT: answer briefly.' }, { text: 'thief system' }] });
    const [e] = await lg.waitForEvents(1);
    expect(e?.honeygate).toMatchObject({ upstream: 'burner', lure: { injected: true, prompt: 'hello there' }, verdict: { action: 'deceive' } });
    c.destroy();
    await lg.close();
  });
});

describe('refusals', () => {
  it('network denied → AccessDeniedException (and STS AccessDenied)', async () => {
    const ng = await startTestGateway({ network: { deny: ['127.0.0.0/8', '::1/128'] }, aws_keys: [{ name: 'l', class: 'lure', access_key_id: LURE.accessKeyId, secret_access_key: LURE.secretAccessKey }] });
    const c = new BedrockRuntimeClient({ region: 'us-east-1', endpoint: ng.url, credentials: LURE, maxAttempts: 1 });
    const f = await failure(c.send(new ConverseCommand({ modelId: 'us.amazon.nova-micro-v1:0', messages: [hello] })));
    expect(f).toEqual({ name: 'AccessDeniedException', message: "You don't have access to the model with the specified model ID.", status: 403 });
    c.destroy();
    const sts = new STSClient({ region: 'us-east-1', endpoint: ng.url, credentials: LURE, maxAttempts: 1 });
    expect(await failure(sts.send(new GetCallerIdentityCommand({})))).toMatchObject({ name: 'AccessDenied', status: 403 });
    sts.destroy();
    const [e] = await ng.waitForEvents(1);
    expect(e?.honeygate.verdict).toEqual({ action: 'reject', reason: 'network_denied' });
    await ng.close();
  });

  it('store unavailable (fail_closed) → ServiceUnavailableException 503', async () => {
    const { createMemoryStore, StoreUnavailableError } = await import('../../src/store/index.js');
    const { configFrom } = await import('../helpers/gateway.js');
    const config = await configFrom({ aws_keys: [{ name: 'l', class: 'lure', access_key_id: LURE.accessKeyId, secret_access_key: LURE.secretAccessKey }] });
    const memory = createMemoryStore(config.store);
    // the memory store with its one call failing as Redis under fail_closed does
    const store = new Proxy(memory, {
      get(target, prop) {
        if (prop === 'admit') return () => Promise.reject(new StoreUnavailableError('test'));
        const v: unknown = Reflect.get(target, prop, target);
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const sg = await startTestGateway({ aws_keys: [{ name: 'l', class: 'lure', access_key_id: LURE.accessKeyId, secret_access_key: LURE.secretAccessKey }] }, { store });
    const c = new BedrockRuntimeClient({ region: 'us-east-1', endpoint: sg.url, credentials: LURE, maxAttempts: 1 });
    expect(await failure(c.send(new ConverseCommand({ modelId: 'us.amazon.nova-micro-v1:0', messages: [hello] })))).toEqual({
      name: 'ServiceUnavailableException',
      message: 'Bedrock is unable to process your request.',
      status: 503,
    });
    c.destroy();
    await sg.close();
  });
});
