/**
 * Inbound SigV4 verification (wire-spec B5): requests signed by @smithy/signature-v4 the way the JS
 * SDK signs them (raw `%3A` path, x-amz-content-sha256), by real botocore (no payload header,
 * `host` signed), presigned short-term Bedrock API keys, the outcome order, and hostile input.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mintAwsKeyPair } from '../../src/deception/keygen.js';
import { INVALID_SIGNATURE_TEXT } from '../../src/providers/bedrock/errors.js';
import {
  type AuthOptions,
  type AwsSecretEntry,
  authenticate,
  decodeShortTermKey,
  formatAmzDate,
  type InboundRequest,
  longTermKeyAccount,
} from '../../src/providers/bedrock/sigv4.js';
import { canonicalQuery, canonicalUri } from '../../src/providers/bedrock/sigv4-canonical.js';

const PAIR = mintAwsKeyPair({ accountId: '204381772953' });
const TEMP = { ...mintAwsKeyPair({ accountId: '204381772953', prefix: 'ASIA' }), sessionToken: 'IQoJb3JpZ2luX2VjEtoken/with+chars==' };
const HOST = 'bedrock-runtime.us-east-1.amazonaws.com';
const PATH = '/model/us.amazon.nova-micro-v1%3A0/converse';
const BODY = Buffer.from('{"messages":[{"role":"user","content":[{"text":"hello"}]}]}');

const keys = new Map<string, AwsSecretEntry>([
  [PAIR.accessKeyId, { secretAccessKey: PAIR.secretAccessKey }],
  [TEMP.accessKeyId, { secretAccessKey: TEMP.secretAccessKey, sessionToken: TEMP.sessionToken }],
]);

function options(over: Partial<AuthOptions> = {}): AuthOptions {
  return { lookupAccessKey: (id) => keys.get(id), service: 'bedrock', region: 'us-east-1', allowBearer: true, ...over };
}

function raw(headers: Record<string, string>): string[] {
  return Object.entries(headers).flat();
}

/** Sign like the JS SDK: smithy SignatureV4 over the already-encoded path (it encodes it again). */
async function smithySigned(opts: { path?: string; body?: Buffer; date?: Date; creds?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }; service?: string; region?: string; extra?: Record<string, string>; query?: Record<string, string> } = {}): Promise<InboundRequest> {
  const body = opts.body ?? BODY;
  const signer = new SignatureV4({ service: opts.service ?? 'bedrock', region: opts.region ?? 'us-east-1', credentials: opts.creds ?? PAIR, sha256: Sha256 });
  const path = opts.path ?? PATH;
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: 'https:',
      hostname: HOST,
      path,
      query: opts.query ?? {},
      headers: { host: HOST, 'content-type': 'application/json', 'content-length': String(body.length), 'amz-sdk-invocation-id': 'a03ff797-7dda-4331-a90a-72b4d1fa5a57', 'amz-sdk-request': 'attempt=1; max=3', ...opts.extra },
      body,
    },
    { signingDate: opts.date ?? new Date() },
  );
  const qs = Object.entries(opts.query ?? {}).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
  return { method: 'POST', url: path + (qs ? `?${qs}` : ''), rawHeaders: raw(signed.headers), body };
}

describe('canonicalisation (B5.3)', () => {
  it('encodes the received path again: %3A → %253A, literal : → %3A', () => {
    expect(canonicalUri('/model/us.amazon.nova-micro-v1%3A0/converse')).toBe('/model/us.amazon.nova-micro-v1%253A0/converse');
    expect(canonicalUri('/model/us.amazon.nova-micro-v1:0/converse')).toBe('/model/us.amazon.nova-micro-v1%3A0/converse');
    expect(canonicalUri('/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A%3Afoundation-model%2Fx/invoke')).toBe('/model/arn%253Aaws%253Abedrock%253Aus-east-1%253A%253Afoundation-model%252Fx/invoke');
    expect(canonicalUri('/a/./b/../c//d/')).toBe('/a/c/d/');
    expect(canonicalUri('/')).toBe('/');
  });

  it('sorts and re-encodes the query', () => {
    expect(canonicalQuery('b=2&a=x%20y&a=1')).toBe('a=1&a=x%20y&b=2');
    expect(canonicalQuery('X-Amz-Signature=abc&Action=Go', new Set(['X-Amz-Signature']))).toBe('Action=Go');
    expect(canonicalQuery('k=%zz')).toBe('k=%25zz');
  });
});

describe('JS SDK signatures (smithy)', () => {
  it('verifies a signed request with x-amz-content-sha256', async () => {
    const req = await smithySigned();
    expect(req.rawHeaders).toContain('x-amz-content-sha256');
    expect(authenticate(req, options())).toEqual({ ok: true, scheme: 'sigv4', accessKeyId: PAIR.accessKeyId, region: 'us-east-1', service: 'bedrock' });
  });

  it('verifies ARN model ids, query strings and temporary credentials', async () => {
    const arnPath = `/model/${encodeURIComponent('arn:aws:bedrock:us-east-1:204381772953:inference-profile/us.anthropic.claude-3-haiku-20240307-v1:0')}/invoke`;
    expect(authenticate(await smithySigned({ path: arnPath, query: { b: 'x y', a: '1' } }), options()).ok).toBe(true);
    expect(authenticate(await smithySigned({ creds: TEMP }), options()).ok).toBe(true);
  });

  it('refuses a tampered body, path, header or signature with InvalidSignatureException', async () => {
    const req = await smithySigned();
    const r1 = authenticate({ ...req, body: Buffer.from(`${BODY.toString()} `) }, options());
    expect(r1).toMatchObject({ ok: false, error: 'InvalidSignature', message: INVALID_SIGNATURE_TEXT });
    const r2 = authenticate({ ...req, url: PATH.replace('converse', 'converse-stream') }, options());
    expect(r2).toMatchObject({ ok: false, error: 'InvalidSignature' });
    expect(r2.ok ? '' : r2.message).toContain("The Canonical String for this request should have been\n'POST\n/model/us.amazon.nova-micro-v1%253A0/converse-stream\n");
    const headers = [...req.rawHeaders];
    headers[headers.indexOf('amz-sdk-request') + 1] = 'attempt=2; max=3';
    expect(authenticate({ ...req, rawHeaders: headers }, options())).toMatchObject({ ok: false, error: 'InvalidSignature' });
    const auth = req.rawHeaders[req.rawHeaders.indexOf('authorization') + 1] ?? '';
    const flipped = auth.replace(/Signature=([0-9a-f])/, (_m, c: string) => `Signature=${c === '0' ? '1' : '0'}`);
    const hs = [...req.rawHeaders];
    hs[hs.indexOf('authorization') + 1] = flipped;
    expect(authenticate({ ...req, rawHeaders: hs }, options())).toMatchObject({ ok: false, error: 'InvalidSignature' });
  });

  it('never explains a mismatch that would echo a signed session token', async () => {
    const req = await smithySigned({ creds: TEMP });
    const r = authenticate({ ...req, body: Buffer.from('{}') }, options());
    expect(r).toMatchObject({ ok: false, error: 'InvalidSignature', message: INVALID_SIGNATURE_TEXT });
  });
});

const python = (() => {
  try {
    execFileSync('python3', ['-c', 'import botocore'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** A request signed by real botocore SigV4Auth (no x-amz-content-sha256; host signed). */
function botocoreSigned(path: string, body: Buffer, creds: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }): InboundRequest {
  const script = `
import json, sys
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
a = json.loads(sys.argv[1])
req = AWSRequest(method='POST', url='https://${HOST}' + a['path'], data=a['body'].encode(), headers={'Content-Type': 'application/json'})
SigV4Auth(Credentials(a['id'], a['secret'], a.get('token')), 'bedrock', 'us-east-1').add_auth(req)
print(json.dumps({'headers': list(req.headers.items()), 'url': req.url}))
`;
  const out = execFileSync('python3', ['-c', script, JSON.stringify({ path, body: body.toString(), id: creds.accessKeyId, secret: creds.secretAccessKey, token: creds.sessionToken })]).toString();
  const parsed = JSON.parse(out) as { headers: [string, string][]; url: string };
  const headers = [['Host', HOST] as [string, string], ...parsed.headers];
  return { method: 'POST', url: parsed.url.replace(`https://${HOST}`, ''), rawHeaders: headers.flat(), body };
}

describe.skipIf(!python)('botocore signatures (real botocore via python3)', () => {
  it('verifies a botocore-signed request, which has no x-amz-content-sha256', () => {
    const req = botocoreSigned(PATH, BODY, PAIR);
    expect(req.rawHeaders.map((h) => h.toLowerCase())).not.toContain('x-amz-content-sha256');
    expect(authenticate(req, options())).toMatchObject({ ok: true, accessKeyId: PAIR.accessKeyId });
  });

  it('verifies botocore with a session token, and refuses a different token', () => {
    const req = botocoreSigned(PATH, BODY, TEMP);
    expect(authenticate(req, options()).ok).toBe(true);
    const hs = [...req.rawHeaders];
    hs[hs.findIndex((h) => h.toLowerCase() === 'x-amz-security-token') + 1] = 'IQoJb3JpZ2luX2VjEother';
    expect(authenticate({ ...req, rawHeaders: hs }, options())).toMatchObject({ ok: false, error: 'UnrecognizedClient' });
  });
});

describe('outcome order (B5.6)', () => {
  it('missing Authorization → MissingAuthorization (capital-M body code)', () => {
    expect(authenticate({ method: 'POST', url: PATH, rawHeaders: ['Host', HOST], body: BODY }, options())).toMatchObject({ ok: false, error: 'MissingAuthorization', message: 'Authorization header is missing' });
  });

  it('unknown key id → UnrecognizedClient, before any signature check', async () => {
    const stranger = mintAwsKeyPair();
    expect(authenticate(await smithySigned({ creds: stranger }), options())).toMatchObject({ ok: false, error: 'UnrecognizedClient', message: 'The security token included in the request is invalid.', accessKeyId: stranger.accessKeyId });
  });

  it('ASIA key without its session token → UnrecognizedClient', async () => {
    const req = await smithySigned({ creds: { accessKeyId: TEMP.accessKeyId, secretAccessKey: TEMP.secretAccessKey } });
    expect(authenticate(req, options())).toMatchObject({ ok: false, error: 'UnrecognizedClient' });
  });

  it('wrong service scope → the exact text with its trailing space', async () => {
    const req = await smithySigned({ service: 'bedrock-runtime' });
    expect(authenticate(req, options())).toMatchObject({ ok: false, error: 'WrongServiceScope', message: "Credential should be scoped to correct service: 'bedrock'. " });
  });

  it('wrong region scope', async () => {
    expect(authenticate(await smithySigned({ region: 'eu-west-1' }), options())).toMatchObject({ ok: false, error: 'WrongRegionScope' });
    expect(authenticate(await smithySigned({ region: 'eu-west-1' }), options({ region: new Set(['eu-west-1']) })).ok).toBe(true);
  });

  it('clock skew beyond 5 minutes, both ways, in AWS words', async () => {
    const now = Date.UTC(2025, 0, 30, 20, 46, 31);
    const past = await smithySigned({ date: new Date(now - 6 * 60_000) });
    const r = authenticate(past, options({ now }));
    expect(r).toMatchObject({ ok: false, error: 'SignatureExpired', message: `Signature expired: ${formatAmzDate(now - 360_000)} is now earlier than 20250130T204131Z (20250130T204631Z - 5 min.)` });
    const future = await smithySigned({ date: new Date(now + 6 * 60_000) });
    expect(authenticate(future, options({ now }))).toMatchObject({ ok: false, error: 'SignatureNotYetCurrent', message: `Signature not yet current: ${formatAmzDate(now + 360_000)} is still later than 20250130T205131Z (20250130T204631Z + 5 min.)` });
    const near = await smithySigned({ date: new Date(now - 4 * 60_000) });
    expect(authenticate(near, options({ now })).ok).toBe(true);
  });

  it('an unknown key with a skewed clock is refused for the clock first', async () => {
    const now = Date.now();
    const req = await smithySigned({ creds: mintAwsKeyPair(), date: new Date(now - 3_600_000) });
    expect(authenticate(req, options({ now }))).toMatchObject({ ok: false, error: 'SignatureExpired' });
  });

  it('x-amz-content-sha256 that does not match the body → InvalidSignature', async () => {
    const req = await smithySigned();
    const hs = [...req.rawHeaders];
    hs[hs.indexOf('x-amz-content-sha256') + 1] = createHash('sha256').update('other').digest('hex');
    expect(authenticate({ ...req, rawHeaders: hs }, options())).toMatchObject({ ok: false, error: 'InvalidSignature' });
  });

  it('host not among the signed headers → IncompleteSignature', async () => {
    const req = await smithySigned();
    const hs = [...req.rawHeaders];
    const i = hs.indexOf('authorization') + 1;
    hs[i] = (hs[i] ?? '').replace('SignedHeaders=', 'SignedHeaders=x-').replace(/;host;/, ';');
    expect(authenticate({ ...req, rawHeaders: hs }, options())).toMatchObject({ ok: false, error: 'IncompleteSignature', message: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization." });
  });
});

describe('hostile Authorization headers', () => {
  const base = (auth: string, extra: string[] = ['X-Amz-Date', formatAmzDate(Date.now())]): InboundRequest => ({ method: 'POST', url: PATH, rawHeaders: ['Host', HOST, 'Authorization', auth, ...extra], body: BODY });

  it('missing parameters are listed as AWS lists them, with the header echoed', () => {
    const r = authenticate(base('AWS4-HMAC-SHA256 Credential=AKIA/x'), options());
    expect(r).toMatchObject({ ok: false, error: 'IncompleteSignature' });
    expect(r.ok ? '' : r.message).toBe("Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 Credential=AKIA/x");
    const nodate = authenticate(base('AWS4-HMAC-SHA256 Credential=a/b/c/d/e, SignedHeaders=host, Signature=00', []), options());
    expect(nodate.ok ? '' : nodate.message).toContain("requires existence of either a 'X-Amz-Date' or a 'Date' header");
  });

  it('a credential without 5 parts', () => {
    expect(authenticate(base('AWS4-HMAC-SHA256 Credential=AKIA/2025, SignedHeaders=host, Signature=00'), options())).toMatchObject({
      ok: false,
      error: 'IncompleteSignature',
      message: "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKIA/2025'",
    });
  });

  it('other schemes are never echoed (they may carry a secret)', () => {
    const r = authenticate(base('Basic dXNlcjpwYXNzd29yZA=='), options());
    expect(r).toMatchObject({ ok: false, error: 'BearerKeyFormat' });
    expect(JSON.stringify(r)).not.toContain('dXNlcjpwYXNzd29yZA');
  });

  it('two Authorization headers are refused', async () => {
    const req = await smithySigned();
    const auth = req.rawHeaders[req.rawHeaders.indexOf('authorization') + 1] ?? '';
    expect(authenticate({ ...req, rawHeaders: [...req.rawHeaders, 'Authorization', auth] }, options())).toMatchObject({ ok: false, error: 'IncompleteSignature' });
  });

  it('property: any Authorization value yields a coded refusal, never a throw or an accept', () => {
    const codes = new Set(['MissingAuthorization', 'IncompleteSignature', 'InvalidSignature', 'UnrecognizedClient', 'WrongServiceScope', 'WrongRegionScope', 'WrongTerminatorScope', 'ScopeDateMismatch', 'SignatureExpired', 'SignatureNotYetCurrent', 'BearerKeyFormat', 'BearerKeyInvalid']);
    const part = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom(PAIR.accessKeyId, '20250101', 'us-east-1', 'bedrock', 'aws4_request', 'host', ';', '/', ',', '='));
    const header = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.array(part, { maxLength: 12 }).map((p) => `AWS4-HMAC-SHA256 Credential=${p.join('/')}, SignedHeaders=${p.join(';')}, Signature=${p.join('')}`),
      fc.array(part, { maxLength: 8 }).map((p) => `Bearer ${p.join('')}`),
    );
    fc.assert(
      fc.property(header, fc.string({ maxLength: 20 }), (auth, date) => {
        const r = authenticate(base(auth, ['X-Amz-Date', date]), options());
        return !r.ok && codes.has(r.error);
      }),
      { numRuns: 400 },
    );
  });
});

describe('Bedrock API keys (Bearer)', () => {
  it('long-term ABSK keys are looked up by sha256; the account is read from the key', () => {
    const key = `ABSK${Buffer.from('BedrockAPIKey-ab12-at-204381772953:secretsecret').toString('base64')}`;
    const hash = createHash('sha256').update(key).digest('hex');
    const req = (k: string): InboundRequest => ({ method: 'POST', url: PATH, rawHeaders: ['Host', HOST, 'Authorization', `Bearer ${k}`], body: BODY });
    expect(authenticate(req(key), options({ lookupBearerHash: (h) => h === hash }))).toMatchObject({ ok: true, scheme: 'bearer-long', bearerHash: hash, bearerAccountId: '204381772953' });
    expect(authenticate(req(`${key}x`), options({ lookupBearerHash: (h) => h === hash }))).toMatchObject({ ok: false, error: 'BearerKeyInvalid', message: 'Authentication failed: Please make sure your API Key is valid.' });
    expect(authenticate(req('sk-proj-abc'), options())).toMatchObject({ ok: false, error: 'BearerKeyFormat', message: 'Invalid API Key format: Must start with pre-defined prefix' });
    expect(longTermKeyAccount('ABSK!!!')).toBeNull();
  });

  /** A short-term key exactly as aws-bedrock-token-generator-js builds it (src/token.ts). */
  async function shortTermKey(creds: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }, region = 'us-east-1', expiresIn = 43200, date = new Date()): Promise<string> {
    const signer = new SignatureV4({ service: 'bedrock', region, credentials: creds, sha256: Sha256 });
    const presigned = await signer.presign(
      { method: 'POST', protocol: 'https:', hostname: 'bedrock.amazonaws.com', path: '/', headers: { host: 'bedrock.amazonaws.com' }, query: { Action: 'CallWithBearerToken' } },
      { expiresIn, signingDate: date },
    );
    const q = Object.entries(presigned.query ?? {}).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join('&');
    return `bedrock-api-key-${Buffer.from(`bedrock.amazonaws.com/?${q}&Version=1`).toString('base64')}`;
  }

  const bearer = (token: string): InboundRequest => ({ method: 'POST', url: PATH, rawHeaders: ['Host', HOST, 'Authorization', `Bearer ${token}`], body: BODY });

  it('short-term keys are verified as presigned SigV4 URLs', async () => {
    const token = await shortTermKey(PAIR);
    expect(decodeShortTermKey(token)?.host).toBe('bedrock.amazonaws.com');
    expect(authenticate(bearer(token), options())).toMatchObject({ ok: true, scheme: 'bearer-short', accessKeyId: PAIR.accessKeyId });
    expect(authenticate(bearer(await shortTermKey(TEMP)), options()).ok).toBe(true);
  });

  it('short-term keys: wrong secret, other region, expired, over 12 h, tampered → BearerKeyInvalid', async () => {
    const cases = [
      await shortTermKey({ accessKeyId: PAIR.accessKeyId, secretAccessKey: 'x'.repeat(40) }),
      await shortTermKey(PAIR, 'eu-west-1'),
      await shortTermKey(PAIR, 'us-east-1', 60, new Date(Date.now() - 3_600_000)),
      await shortTermKey(PAIR, 'us-east-1', 43201),
      `${(await shortTermKey(PAIR)).slice(0, -8)}AAAAAAAA`,
      'bedrock-api-key-!!!',
      `bedrock-api-key-${Buffer.from('evil.example/?Action=CallWithBearerToken').toString('base64')}`,
    ];
    for (const t of cases) expect(authenticate(bearer(t), options())).toMatchObject({ ok: false, error: 'BearerKeyInvalid' });
  });
});
