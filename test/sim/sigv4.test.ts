/**
 * SigV4 of simulated Bedrock requests, verified on the bytes a raw TCP server received, with an
 * independent implementation written from wire-spec B5 (node:crypto only, no smithy): service
 * `bedrock`, the percent-encoded wire path encoded again, exactly the declared signed headers,
 * sha256 of the body. Tampering must break it.
 */
import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/sim/flows.js';
import { buildRequest, encodeRequest } from '../../src/sim/request.js';
import { runFlow } from '../../src/sim/runner.js';
import { startRawServer } from './helpers.js';

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const catalog = await loadCatalog();
const boto3 = catalog.profiles.get('boto3');
const bedrockFlows = [...catalog.flows.values()].filter((f) => f.surface === 'bedrock' && f.checker === undefined);

interface Received {
  method: string;
  path: string;
  headers: Array<[string, string]>;
  body: Buffer;
}

function parseRequest(raw: Buffer): Received {
  const end = raw.indexOf('\r\n\r\n');
  const [line = '', ...lines] = raw.subarray(0, end).toString('latin1').split('\r\n');
  const [method = '', path = ''] = line.split(' ');
  const headers = lines.map((l): [string, string] => {
    const at = l.indexOf(':');
    return [l.slice(0, at), l.slice(at + 1).trim()];
  });
  return { method, path, headers, body: raw.subarray(end + 4) };
}

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();
const rfc3986 = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** Verify a received request's SigV4 Authorization (wire-spec B5). Returns the problem or 'ok'. */
function verify(req: Received, secret: string): { result: string; canonicalUri: string; signedHeaders: string[] } {
  const get = (name: string): string[] => req.headers.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v);
  const auth = get('authorization')[0] ?? '';
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return { result: 'malformed authorization', canonicalUri: '', signedHeaders: [] };
  const [, , date = '', region = '', service = '', signed = '', signature = ''] = m;
  if (service !== 'bedrock') return { result: `service ${service}`, canonicalUri: '', signedHeaders: [] };
  const amzDate = get('x-amz-date')[0] ?? '';
  if (amzDate.slice(0, 8) !== date) return { result: 'scope date differs from x-amz-date', canonicalUri: '', signedHeaders: [] };
  const path = req.path.split('?')[0] ?? '';
  // normalize . / .. / empty segments, then encode each segment again (wire-spec B5)
  const segments: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') segments.pop();
    else segments.push(seg);
  }
  const canonicalUri = `/${segments.map(rfc3986).join('/')}${segments.length > 0 && path.endsWith('/') ? '/' : ''}`;
  const names = signed.split(';');
  const canonicalHeaders = names.map((n) => `${n}:${get(n).map((v) => v.trim().replace(/\s+/g, ' ')).join(',')}\n`).join('');
  const canonical = [req.method, canonicalUri, '', canonicalHeaders, signed, sha256(req.body)].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
  const expected = createHmac('sha256', key).update(toSign, 'utf8').digest('hex');
  return { result: expected === signature ? 'ok' : 'signature mismatch', canonicalUri, signedHeaders: names };
}

let server: Awaited<ReturnType<typeof startRawServer>>;
beforeAll(async () => {
  server = await startRawServer(() => Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}'));
});
afterAll(async () => server.close());

describe('SigV4 signatures verify independently', () => {
  it('for every Bedrock flow, on the bytes received over a real socket', async () => {
    expect(boto3).toBeDefined();
    if (!boto3) return;
    expect(bedrockFlows.length).toBeGreaterThanOrEqual(20);
    for (const flow of bedrockFlows) {
      const before = server.requests.length;
      await runFlow(boto3, flow, { target: new URL(server.url), params: {}, timeoutMs: 5000, tls: { rejectUnauthorized: true }, loopbackOnly: true });
      const raw = server.requests[before];
      expect(raw, flow.name).toBeDefined();
      if (!raw) continue;
      const req = parseRequest(raw);
      const v = verify(req, SECRET);
      expect(v.result, flow.name).toBe('ok');
      // the wire path carries %3A, the canonical URI %253A (wire-spec B5)
      const modelId = flow.params['model_id'];
      if (typeof modelId === 'string' && modelId.includes(':')) {
        expect(req.path).toMatch(/%3A/);
        expect(v.canonicalUri).toMatch(/%253A/);
      }
      // botocore: signs host, x-amz-date, x-amz-security-token, the operation headers; not amz-sdk-*, not user-agent
      expect(v.signedHeaders).toEqual(expect.arrayContaining(['host', 'x-amz-date', 'x-amz-security-token', 'content-type']));
      expect(v.signedHeaders.some((h) => h.startsWith('amz-sdk') || h === 'user-agent' || h === 'content-length')).toBe(false);
      expect(req.headers.some(([n]) => n.toLowerCase() === 'x-amz-content-sha256')).toBe(false);
    }
  });

  it('fails when the body, the path or the secret is changed', async () => {
    const flow = catalog.flows.get('bedrock-converse');
    if (!boto3 || !flow) throw new Error('missing data');
    const built = await buildRequest(boto3, flow, { target: new URL('http://127.0.0.1:9'), viaProxy: false, params: {} });
    const req = parseRequest(encodeRequest(built));
    expect(verify(req, SECRET).result).toBe('ok');
    const body = Buffer.from(req.body);
    body[10] = (body[10] ?? 0) ^ 1;
    expect(verify({ ...req, body }, SECRET).result).toBe('signature mismatch');
    expect(verify({ ...req, path: req.path.replace('%3A', ':') }, SECRET).result).toBe('signature mismatch');
    expect(verify(req, `${SECRET}x`).result).toBe('signature mismatch');
    const headers = req.headers.map(([n, v]): [string, string] => [n, n === 'X-Amz-Security-Token' ? `${v}x` : v]);
    expect(verify({ ...req, headers }, SECRET).result).toBe('signature mismatch');
  });

  it('verifies for any model id, region, prompt and date (fast-check)', async () => {
    const flow = catalog.flows.get('bedrock-converse');
    if (!boto3 || !flow) throw new Error('missing data');
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 1, maxLength: 60 }),
        fc.constantFrom('us-east-1', 'eu-west-3', 'ap-southeast-2'),
        fc.string({ maxLength: 200 }),
        fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2035-12-31T00:00:00Z'), noInvalidDate: true }),
        fc.boolean(),
        async (modelId, region, prompt, when, token) => {
          const built = await buildRequest(boto3, flow, {
            target: new URL('http://127.0.0.1:9'),
            viaProxy: false,
            params: { model_id: modelId, region, user_prompt: prompt, ...(token ? {} : { security_token: '' }) },
            now: when,
          });
          const req = parseRequest(encodeRequest(built));
          return verify(req, SECRET).result === 'ok';
        },
      ),
      { numRuns: 150 },
    );
  });
});
