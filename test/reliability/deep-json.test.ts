/**
 * Deep nesting: a body nested ~10,000 levels deep is parsed fine by V8 but overflows every
 * recursive walker behind it (decoy, validation, injection, token counting, schema filling, prompt
 * extraction, tool inspection). Each provider answers such a body with its own "could not parse"
 * 400, as the real services do, never a 5xx; a body within the bound is still served.
 */
import { createHash } from 'node:crypto';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintAwsKeyPair, mintOpenAIKey } from '../../src/deception/keygen.js';
import { MAX_JSON_DEPTH, parseJsonText, tooDeep } from '../../src/util/depth.js';
import { rawRequest, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startApi, type FakeApi } from '../tool/helpers/api.js';

const LURE = mintOpenAIKey('project');
const AWS = mintAwsKeyPair();
const TOOL_SECRET = 'hgs_deep-json-tool-secret-0123456789abcdef';

function deep(depth: number, leaf: unknown, shape: 'array' | 'object' = 'array'): string {
  const open = shape === 'array' ? '['.repeat(depth) : '{"a":'.repeat(depth);
  const close = shape === 'array' ? ']'.repeat(depth) : '}'.repeat(depth);
  return `${open}${JSON.stringify(leaf)}${close}`;
}

function post(path: string, headers: Record<string, string>, body: string): string {
  const h = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  return `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${h}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

async function signedConverse(body: string): Promise<string> {
  const signer = new SignatureV4({ service: 'bedrock', region: 'us-east-1', credentials: AWS, sha256: Sha256 });
  const path = `/model/${encodeURIComponent('anthropic.claude-3-haiku-20240307-v1:0')}/converse`;
  const signed = await signer.sign({
    method: 'POST',
    protocol: 'http:',
    hostname: 'bedrock-runtime.us-east-1.amazonaws.com',
    path,
    headers: { host: 'bedrock-runtime.us-east-1.amazonaws.com', 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
    body,
  });
  const lines = [`POST ${path} HTTP/1.1`, ...Object.entries(signed.headers).map(([k, v]) => `${k}: ${String(v)}`), 'Connection: close', '', ''];
  return lines.join('\r\n') + body;
}

const status = (raw: string): number => Number(raw.slice(9, 12));
const bodyOf = (raw: string): string => raw.slice(raw.indexOf('\r\n\r\n') + 4);

describe('depth bound', () => {
  it('tooDeep counts containers and stops at the bound', () => {
    expect(tooDeep(JSON.parse(deep(MAX_JSON_DEPTH, 1)))).toBe(false);
    expect(tooDeep(JSON.parse(deep(MAX_JSON_DEPTH + 1, 1)))).toBe(true);
    expect(tooDeep(JSON.parse(deep(MAX_JSON_DEPTH + 1, 1, 'object')))).toBe(true);
    // a million levels: the check itself never recurses past the bound
    expect(tooDeep(JSON.parse(deep(1_000_000, 1)))).toBe(true);
    expect(tooDeep({ a: [1, 'x', null, { b: [] }] })).toBe(false);
    expect(parseJsonText(deep(20_000, 1))).toBeUndefined();
    expect(parseJsonText('{"a":[[1]]}')).toEqual({ a: [[1]] });
  });
});

describe('deeply nested bodies through the gateway', () => {
  let gw: TestGateway;
  let api: FakeApi;
  beforeAll(async () => {
    api = await startApi();
    gw = await startTestGateway({
      lure_defaults: { realistic_timing: false },
      keys: [{ name: 'lure', key: LURE, class: 'lure' }],
      aws_keys: [{ name: 'aws-lure', class: 'lure', access_key_id: AWS.accessKeyId, secret_access_key: AWS.secretAccessKey }],
      routes: [{ name: 'tool', prefix: '/tool/', upstream: `${api.url}/`, mcp: {}, auth: { secrets: [{ name: 's', hash: `sha256:${createHash('sha256').update(TOOL_SECRET).digest('hex')}` }] } }],
    });
  }, 30_000);
  afterAll(async () => {
    await gw?.close();
    await api?.close();
  });

  const openai = { authorization: `Bearer ${LURE}` };
  const cases: [string, string, string][] = [
    ['chat content', '/v1/chat/completions', `{"model":"gpt-4o-mini","messages":[{"role":"user","content":${deep(10_000, 'x')}}]}`],
    ['responses input', '/v1/responses', `{"model":"gpt-4.1","input":${deep(10_000, 'x')}}`],
    ['json schema', '/v1/chat/completions', `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema","json_schema":{"name":"n","schema":${deep(10_000, { type: 'string' }, 'object')}}}}`],
    ['tool parameters', '/v1/chat/completions', `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f","parameters":${deep(10_000, { type: 'object' }, 'object')}}}]}`],
    ['embeddings input', '/v1/embeddings', `{"model":"text-embedding-3-small","input":${deep(10_000, 'x')}}`],
    ['bare array', '/v1/chat/completions', deep(50_000, 1)],
  ];
  for (const [name, path, body] of cases) {
    it(`OpenAI lure, ${name}: the API's own 400 for a body it cannot parse`, async () => {
      const raw = await rawRequest(gw.url, post(path, openai, body));
      expect(status(raw)).toBe(400);
      // the legacy error layer answers chunked: the envelope's words, not its framing
      expect(bodyOf(raw)).toContain('"type": "invalid_request_error"');
      expect(bodyOf(raw)).toContain('We could not parse the JSON body of your request.');
    });
  }

  it('OpenAI lure: a body within the bound is still answered', async () => {
    const raw = await rawRequest(gw.url, post('/v1/chat/completions', openai, `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"metadata_deep":${deep(50, 1)}}`));
    expect(status(raw)).toBeLessThan(500);
  });

  for (const [name, body] of [
    ['content', `{"messages":[{"role":"user","content":${deep(10_000, { text: 'x' })}}]}`],
    ['tool schema', `{"messages":[{"role":"user","content":[{"text":"x"}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"t","inputSchema":{"json":${deep(5000, { type: 'object' }, 'object')}}}}]}}`],
  ] as const) {
    it(`Bedrock lure Converse, ${name}: ValidationException 400, not a 5xx`, async () => {
      const raw = await rawRequest(gw.url, await signedConverse(body));
      expect(status(raw)).toBe(400);
      expect(raw.toLowerCase()).toContain('x-amzn-errortype: validationexception');
    });
  }

  it('MCP tool route: the gateway problem 400, not forwarded', async () => {
    const before = api.seen.length;
    const raw = await rawRequest(gw.url, post('/tool/mcp', { authorization: `Bearer ${TOOL_SECRET}`, accept: 'application/json, text/event-stream' }, deep(10_000, { jsonrpc: '2.0' })));
    expect(status(raw)).toBe(400);
    expect(bodyOf(raw)).toContain('not valid JSON');
    expect(api.seen.length).toBe(before);
  });

  it('no event or answer revealed a fault', async () => {
    await gw.waitForEvents(cases.length + 4);
    for (const e of gw.events) expect(JSON.stringify(e)).not.toMatch(/Maximum call stack|RangeError/);
  });
});
