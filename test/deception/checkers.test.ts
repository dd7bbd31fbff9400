/**
 * The probe sequences of LLMjacking key checkers against a real gateway (official clients, SigV4
 * with @smithy/signature-v4, raw fetch): a lure key must pass every step a live paid key passes,
 * and an unknown key must fail them as a revoked one does.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { BedrockClient, GetModelInvocationLoggingConfigurationCommand } from '@aws-sdk/client-bedrock';
import { SignatureV4 } from '@smithy/signature-v4';
import { request } from 'node:http';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintAwsKeyPair, mintOpenAIKey } from '../../src/deception/keygen.js';
import { awsPersona } from '../../src/deception/persona.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const LURE = mintOpenAIKey('project');
const STRANGER = mintOpenAIKey('project');
const AWS_LURE = mintAwsKeyPair();
const AWS_STRANGER = mintAwsKeyPair();

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({
    keys: [{ name: 'checker-lure', key: LURE, class: 'lure', max_requests: 1000, realistic_timing: false }],
    aws_keys: [{ name: 'checker-aws-lure', class: 'lure', access_key_id: AWS_LURE.accessKeyId, secret_access_key: AWS_LURE.secretAccessKey, max_requests: 1000, realistic_timing: false }],
    events: { jsonl: { enabled: false } },
  });
});
afterAll(async () => {
  await gw.close();
});

async function post(path: string, key: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${gw.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

describe('OpenAI key checker (oai-reverse-proxy sequence)', () => {
  it('models, the free babbage-002 probe (400 before the model lookup, not a trial key), organizations, then the org header', async () => {
    const models = await fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${LURE}` } });
    expect(models.status).toBe(200);
    const ids = ((await models.json()) as { data: { id: string }[] }).data.map((m) => m.id);
    expect(ids).toContain('gpt-4o');

    const probe = await post('/v1/chat/completions', LURE, { model: 'babbage-002', max_tokens: -1, messages: [{ role: 'user', content: '' }] });
    expect(probe.status).toBe(400);
    const err = (await probe.json()) as { error: { type: string; param: string; code: string; message: string } };
    expect(err.error).toMatchObject({ type: 'invalid_request_error', param: 'max_tokens', code: 'integer_below_min_value' });
    expect(err.error.message).toBe("Invalid 'max_tokens': integer below minimum value. Expected a value >= 1, but got -1 instead.");
    expect(Number(probe.headers.get('x-ratelimit-limit-requests'))).toBeGreaterThan(250);

    const orgs = await fetch(`${gw.url}/v1/organizations`, { headers: { authorization: `Bearer ${LURE}` } });
    expect(orgs.status).toBe(200);
    const list = (await orgs.json()) as { object: string; data: { id: string; is_default: boolean }[] };
    expect(list.object).toBe('list');
    const def = list.data.find((o) => o.is_default);
    expect(def?.id).toMatch(/^org-[A-Za-z0-9]{24}$/);

    const client = new OpenAI({ apiKey: LURE, baseURL: `${gw.url}/v1`, organization: def?.id ?? '', maxRetries: 0 });
    const chat = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    expect(chat.choices[0]?.message.content).toBeTruthy();
    const foreign = new OpenAI({ apiKey: LURE, baseURL: `${gw.url}/v1`, organization: 'org-AAAAAAAAAAAAAAAAAAAAAAAA', maxRetries: 0 });
    await expect(foreign.models.list()).rejects.toMatchObject({ status: 401, code: 'mismatched_organization' });
  });

  it('an unknown key fails the same sequence as a revoked key (401 invalid_api_key)', async () => {
    const models = await fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${STRANGER}` } });
    expect(models.status).toBe(401);
    expect(((await models.json()) as { error: { code: string } }).error.code).toBe('invalid_api_key');
    const probe = await post('/v1/chat/completions', STRANGER, { model: 'babbage-002', max_tokens: -1, messages: [{ role: 'user', content: '' }] });
    expect(probe.status).toBe(401);
    // chat completions' 401 is the legacy layer's: 4-space JSON with a newline, charset, Vary, no www-authenticate
    expect(probe.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(probe.headers.get('vary')).toBe('Origin');
    expect(probe.headers.get('www-authenticate')).toBeNull();
    const text = await probe.text();
    expect(text.startsWith('{\n    "error": {\n        "message": "Incorrect API key provided: ')).toBe(true);
    expect(text.endsWith('}\n')).toBe(true);
  });
});

/** A SigV4-signed request with an AWS endpoint name as Host (fetch cannot set Host: node:http can). */
async function signedAs(credentials: { accessKeyId: string; secretAccessKey: string }, service: string, method: string, host: string, path: string, body: string, contentType: string): Promise<Response> {
  const signer = new SignatureV4({ service, region: 'us-east-1', credentials, sha256: Sha256 });
  const req = await signer.sign({ method, protocol: 'http:', hostname: host, path, query: {}, headers: { host, 'content-type': contentType }, ...(body !== '' ? { body } : {}) });
  const u = new URL(gw.url);
  return new Promise((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port: Number(u.port), method, path, headers: req.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const headers = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers.set(k, v);
        resolve(new Response(Buffer.concat(chunks), { status: res.statusCode ?? 0, headers }));
      });
    });
    r.on('error', reject);
    r.end(body);
  });
}

describe('AWS key checker (logging, Claude access, IAM)', () => {
  const creds = { accessKeyId: AWS_LURE.accessKeyId, secretAccessKey: AWS_LURE.secretAccessKey };

  async function signed(service: string, method: string, host: string, path: string, body: string, contentType: string): Promise<Response> {
    return signedAs(creds, service, method, host, path, body, contentType);
  }

  it('GetModelInvocationLoggingConfiguration → 200 {} (unlogged)', async () => {
    const client = new BedrockClient({ region: 'us-east-1', endpoint: gw.url, credentials: creds, maxAttempts: 1 });
    const out = await client.send(new GetModelInvocationLoggingConfigurationCommand({}));
    expect(out.loggingConfig).toBeUndefined();
    expect(out.$metadata.httpStatusCode).toBe(200);
    client.destroy();
  });

  it('invoke with max_tokens -1 and a raw ":" in the path → 400 ValidationException naming max_tokens, with x-amzn-ErrorType', async () => {
    for (const model of ['anthropic.claude-3-haiku-20240307-v1:0', 'anthropic.claude-3-5-sonnet-20240620-v1:0']) {
      const body = JSON.stringify({ anthropic_version: 'bedrock-2023-05-31', max_tokens: -1, messages: [{ role: 'user', content: '' }] });
      const res = await signed('bedrock', 'POST', 'bedrock-runtime.us-east-1.amazonaws.com', `/model/${model}/invoke`, body, 'application/json');
      expect(res.status).toBe(400);
      expect(res.headers.get('x-amzn-errortype') ?? '').toMatch(/^ValidationException/);
      expect(((await res.json()) as { message: string }).message).toContain('max_tokens');
    }
  });

  it('IAM GetUser, ListAttachedUserPolicies, ListUserPolicies, ListGroupsForUser answer from the persona; GetAccountAuthorizationDetails is refused; each event names the lure key', async () => {
    const persona = awsPersona(AWS_LURE.accessKeyId);
    const call = (action: string, extra = ''): Promise<Response> =>
      signed('iam', 'POST', 'iam.amazonaws.com', '/', `Action=${action}&Version=2010-05-08${extra}`, 'application/x-www-form-urlencoded; charset=utf-8');
    const user = await call('GetUser');
    expect(user.status).toBe(200);
    expect(user.headers.get('content-type')).toBe('text/xml');
    const userXml = await user.text();
    expect(userXml).toContain('<GetUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">');
    expect(userXml).toContain(`<Arn>${persona.arn}</Arn>`);
    expect(userXml).toContain(`<UserName>${persona.userName}</UserName>`);
    const attached = await (await call('ListAttachedUserPolicies', `&UserName=${persona.userName}`)).text();
    expect(attached).toContain('<PolicyName>AmazonBedrockFullAccess</PolicyName>');
    expect(attached).not.toMatch(/AdministratorAccess|IAMFullAccess/);
    expect(await (await call('ListUserPolicies', `&UserName=${persona.userName}`)).text()).toContain('<PolicyNames>');
    expect(await (await call('ListGroupsForUser', `&UserName=${persona.userName}`)).text()).toMatch(/<GroupName>[a-z-]+<\/GroupName>/);
    const all = await call('GetAccountAuthorizationDetails');
    expect(all.status).toBe(403);
    expect(await all.text()).toContain(`<Code>AccessDenied</Code>`);
    const events = await gw.waitForEvents(gw.events.length);
    const iam = events.filter((e) => String((e as { honeygate?: { route?: string } }).honeygate?.route ?? '').startsWith('iam:'));
    expect(iam.length).toBeGreaterThanOrEqual(5);
    for (const e of iam) expect((e as { honeygate: { key: { class: string; name?: string } } }).honeygate.key).toMatchObject({ class: 'lure', name: 'checker-aws-lure' });
  });

  it('an unknown AWS key gets IAM\'s InvalidClientTokenId', async () => {
    const stranger = { accessKeyId: AWS_STRANGER.accessKeyId, secretAccessKey: AWS_STRANGER.secretAccessKey };
    const res = await signedAs(stranger, 'iam', 'POST', 'iam.amazonaws.com', '/', 'Action=GetUser&Version=2010-05-08', 'application/x-www-form-urlencoded');
    expect(res.status).toBe(403);
    const text = await res.text();
    expect(text).toContain('<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">');
    expect(text).toContain('<Code>InvalidClientTokenId</Code>');
  });
});
