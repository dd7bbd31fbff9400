/**
 * Verdicts an operator can trust: honeygate's own refusals (network deny, lure threshold, rate
 * limit) are blocks by the gateway policy, on both surfaces, and `--expect blocked` passes for
 * them; a provider error is recognised by several traits at once, so an intercepting proxy's 403
 * with a forged `x-amzn-ErrorType` is the edge proxy's block, not AWS's answer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintAwsKeyPair } from '../../src/deception/keygen.js';
import { loadCatalog } from '../../src/sim/flows.js';
import { classifyExchange } from '../../src/sim/runner.js';
import { parseResponse } from '../../src/sim/response.js';
import type { Exchange } from '../../src/sim/wire.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { sim, startRawServer } from './helpers.js';

const catalog = await loadCatalog();
const LURE = 'sk-proj-SimVerdictLureKey0123456789abcdefghijklmnopqrstuvwxyzT3BlbkFJsimv';
const LIMITED = 'sk-proj-SimVerdictRateKey0123456789abcdefghijklmnopqrstuvwxyzT3BlbkFJsimr';
const AWS_LURE = mintAwsKeyPair({ accountId: '123412341234' });

interface JsonResult {
  flow: string;
  outcome: string;
  reason: string;
  status?: number;
  refused_by?: string;
  why?: string;
  error_code?: string;
  evidence?: string[];
  provider_error: boolean;
}

function results(stdout: string): JsonResult[] {
  return (JSON.parse(stdout) as { results: JsonResult[] }).results;
}

let denied: TestGateway;
let lured: TestGateway;
let limited: TestGateway;

beforeAll(async () => {
  const lureDefaults = { lure_defaults: { realistic_timing: false } };
  denied = await startTestGateway({
    ...lureDefaults,
    network: { deny: ['127.0.0.0/8', '::1/128'] },
    keys: [{ name: 'l', key: LURE, class: 'lure', max_requests: 1000 }],
    aws_keys: [{ name: 'a', class: 'lure', access_key_id: AWS_LURE.accessKeyId, secret_access_key: AWS_LURE.secretAccessKey, max_requests: 1000 }],
  });
  lured = await startTestGateway({
    ...lureDefaults,
    keys: [{ name: 'l', key: LURE, class: 'lure', max_requests: 1 }],
    aws_keys: [{ name: 'a', class: 'lure', access_key_id: AWS_LURE.accessKeyId, secret_access_key: AWS_LURE.secretAccessKey, max_requests: 1 }],
  });
  limited = await startTestGateway({
    ...lureDefaults,
    limits: { rules: [{ name: 'per-ip', by: 'ip', limit: 1, window: '1m' }] },
    keys: [{ name: 'r', key: LIMITED, class: 'lure', max_requests: 1000 }],
  });
});

afterAll(async () => {
  await denied?.close();
  await lured?.close();
  await limited?.close();
});

const AWS_PARAMS = ['--param', `access_key_id=${AWS_LURE.accessKeyId}`, '--param', `secret_access_key=${AWS_LURE.secretAccessKey}`, '--param', 'security_token='];

describe('gateway refusals are blocks by the gateway policy', () => {
  it('network deny: OpenAI 403 unsupported_region and Bedrock AccessDenied, --expect blocked passes', async () => {
    const o = await sim(['run', '--target', denied.url, '--flow', 'openai-chat', '--param', `api_key=${LURE}`, '--expect', 'blocked', '--json']);
    expect(o.stderr).toBe('');
    expect(o.code).toBe(0);
    const x = results(o.stdout)[0];
    expect(x).toMatchObject({ outcome: 'blocked', status: 403, refused_by: 'gateway-policy', provider_error: true });
    expect(x?.why).toMatch(/network\/region denied/);
    expect(x?.evidence?.length).toBeGreaterThanOrEqual(2);
    const b = await sim(['run', '--target', denied.url, '--flow', 'bedrock-converse', ...AWS_PARAMS, '--expect', 'blocked', '--json']);
    expect(b.code).toBe(0);
    expect(results(b.stdout)[0]).toMatchObject({ outcome: 'blocked', status: 403, refused_by: 'gateway-policy' });
    expect(results(b.stdout)[0]?.why).toMatch(/access denied/);
    // the text report names who refused
    const t = await sim(['run', '--target', denied.url, '--flow', 'openai-chat', '--param', `api_key=${LURE}`]);
    expect(t.stdout).toMatch(/blocked\s+gateway-policy\s+403/);
    expect(t.stdout).not.toContain(LURE);
  }, 30_000);

  it('lure threshold: the second billable request is blocked (quota / throttling)', async () => {
    // only answers the provider would bill count toward max_requests (a model listing is free)
    const free = await sim(['run', '--target', lured.url, '--flow', 'openai-models', '--param', `api_key=${LURE}`, '--expect', 'allowed', '--json']);
    expect(free.code).toBe(0);
    const first = await sim(['run', '--target', lured.url, '--flow', 'openai-chat', '--param', `api_key=${LURE}`, '--expect', 'allowed', '--json']);
    expect(first.code).toBe(0);
    const again = await sim(['run', '--target', lured.url, '--flow', 'openai-chat', '--param', `api_key=${LURE}`, '--expect', 'blocked', '--json']);
    expect(again.code).toBe(0);
    expect(results(again.stdout)[0]).toMatchObject({ status: 429, refused_by: 'gateway-policy', error_code: 'insufficient_quota' });
    expect(results(again.stdout)[0]?.why).toMatch(/quota/);
    await sim(['run', '--target', lured.url, '--flow', 'bedrock-converse', ...AWS_PARAMS]);
    const aws = await sim(['run', '--target', lured.url, '--flow', 'bedrock-converse', ...AWS_PARAMS, '--expect', 'blocked', '--json']);
    expect(aws.code).toBe(0);
    expect(results(aws.stdout)[0]).toMatchObject({ refused_by: 'gateway-policy' });
    expect(results(aws.stdout)[0]?.why).toMatch(/rate limited \(Throttling/);
  }, 30_000);

  it('rate limit: 429 rate_limit_exceeded is a block', async () => {
    await sim(['run', '--target', limited.url, '--flow', 'openai-models', '--param', `api_key=${LIMITED}`]);
    const r = await sim(['run', '--target', limited.url, '--flow', 'openai-models', '--param', `api_key=${LIMITED}`, '--expect', 'blocked', '--json']);
    expect(r.code).toBe(0);
    expect(results(r.stdout)[0]).toMatchObject({ status: 429, refused_by: 'gateway-policy', error_code: 'rate_limit_exceeded' });
  }, 30_000);

  it('an invalid key is not a block: the provider answered (allowed, provider error)', async () => {
    const ok = await sim(['run', '--target', limited.url, '--flow', 'openai-models', '--param', 'api_key=sk-proj-unknownKEY000000000000000000000000000000000000', '--json']);
    expect(results(ok.stdout)[0]).toMatchObject({ outcome: 'allowed', provider_error: true, status: 401, error_code: 'invalid_api_key' });
  }, 30_000);
});

function exchangeOf(raw: string): Exchange {
  const response = parseResponse(Buffer.from(raw, 'latin1'));
  return { response, rawResponse: Buffer.from(raw, 'latin1'), timings: { startedAt: new Date(), dns: 0, connect: 0, ssl: 0, send: 0, wait: 0, receive: 0, total: 0 } };
}

function head(status: string, headers: string[], body: string): string {
  return `HTTP/1.1 ${status}\r\n${[...headers, `Content-Length: ${Buffer.byteLength(body)}`].join('\r\n')}\r\n\r\n${body}`;
}

describe('provider answers are recognised by more than one header', () => {
  const converse = catalog.flows.get('bedrock-converse');
  const chat = catalog.flows.get('openai-chat');
  const throttled = '{"message":"Too many requests, please wait before trying again."}';
  const realAws = ['Date: Sun, 06 Dec 2026 04:00:00 GMT', 'Content-Type: application/json', 'Connection: keep-alive', 'x-amzn-RequestId: 2b4a0c3e-9d2f-4a53-8c61-0f0e8d4b1a77', 'x-amzn-ErrorType: ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/'];

  it('AWS: error type + request id UUID + body shape is AWS; a forged error type alone is not', () => {
    if (!converse) throw new Error('flow missing');
    const real = classifyExchange(converse, exchangeOf(head('429 Too Many Requests', realAws, throttled)));
    expect(real.outcome).toBe('blocked');
    expect(real.refusedBy).toBe('gateway-policy');
    expect(real.evidence).toContain('x-amzn-RequestId UUID');
    // the same answer from the provider's own host is the provider's refusal
    const own = classifyExchange(converse, exchangeOf(head('429 Too Many Requests', realAws, throttled)), { target: new URL('https://bedrock-runtime.us-east-1.amazonaws.com') });
    expect(own.refusedBy).toBe('provider');
    // forged: only the x-amzn-ErrorType header, a proxy's request id
    const forged = classifyExchange(
      converse,
      exchangeOf(head('403 Forbidden', ['Content-Type: application/json', 'X-Request-Id: 77', 'x-amzn-ErrorType: AccessDeniedException'], '{"message":"blocked by policy"}')),
      { viaProxy: true },
    );
    expect(forged).toMatchObject({ outcome: 'blocked', refusedBy: 'edge-proxy', providerError: false });
    // forged with a UUID too, but the proxy says who it is
    const viaSquid = classifyExchange(
      converse,
      exchangeOf(head('403 Forbidden', [...realAws.slice(0, 3), 'x-amzn-RequestId: 2b4a0c3e-9d2f-4a53-8c61-0f0e8d4b1a77', 'x-amzn-ErrorType: AccessDeniedException', 'Via: 1.1 proxy.corp (squid/5.7)'], '{"message":"denied"}')),
    );
    expect(viaSquid.outcome).toBe('blocked');
    expect(viaSquid.refusedBy).toBe('edge-proxy');
    expect(viaSquid.evidence).toContain('not the provider: via header');
    // an HTML page with the header is never AWS
    const html = classifyExchange(converse, exchangeOf(head('403 Forbidden', ['Content-Type: text/html', 'x-amzn-RequestId: 2b4a0c3e-9d2f-4a53-8c61-0f0e8d4b1a77', 'x-amzn-ErrorType: AccessDeniedException'], '<html>no</html>')));
    expect(html.providerError).toBe(false);
  });

  it('OpenAI: the error body alone is not enough; with x-request-id it is', () => {
    if (!chat) throw new Error('flow missing');
    const body = '{\n  "error": {\n    "message": "Incorrect API key provided: sk-proj-*****0000.",\n    "type": "invalid_request_error",\n    "param": null,\n    "code": "invalid_api_key"\n  }\n}';
    const bare = classifyExchange(chat, exchangeOf(head('401 Unauthorized', ['Content-Type: application/json'], body)));
    expect(bare.outcome).toBe('altered');
    const real = classifyExchange(chat, exchangeOf(head('401 Unauthorized', ['Content-Type: application/json', 'x-request-id: req_0123456789abcdef0123456789abcdef', 'Server: cloudflare'], body)));
    expect(real).toMatchObject({ outcome: 'allowed', providerError: true, errorCode: 'invalid_api_key' });
    const quota = '{"error":{"message":"You exceeded your current quota.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}';
    const q = classifyExchange(chat, exchangeOf(head('429 Too Many Requests', ['Content-Type: application/json', 'x-request-id: req_0123456789abcdef0123456789abcdef'], quota)), { target: new URL('https://api.openai.com') });
    expect(q).toMatchObject({ outcome: 'blocked', refusedBy: 'provider', why: 'quota exhausted (insufficient_quota)' });
  });

  it('from the CLI: a squid 403 with a forged x-amzn-ErrorType is the edge proxy', async () => {
    const server = await startRawServer(() =>
      Buffer.from(head('403 Forbidden', ['Server: squid/5.7', 'Content-Type: application/json', 'x-amzn-ErrorType: AccessDeniedException', 'X-Squid-Error: ERR_ACCESS_DENIED 0'], '{"message":"Access Denied"}')),
    );
    try {
      const r = await sim(['run', '--target', server.url, '--flow', 'bedrock-converse', '--expect', 'blocked', '--json']);
      expect(r.code).toBe(0);
      const x = results(r.stdout)[0];
      expect(x).toMatchObject({ outcome: 'blocked', refused_by: 'edge-proxy', provider_error: false });
      expect(x?.evidence).toEqual(expect.arrayContaining(['not the provider: x-squid-error header']));
    } finally {
      await server.close();
    }
  });
});
