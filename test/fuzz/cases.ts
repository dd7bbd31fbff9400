/**
 * Raw-socket fuzz cases for the public listener: seeded, so a failing case replays from its seed and
 * index. Each case is the exact bytes a hostile client writes (in fragments, to cross parser
 * boundaries), drawn from families an edge-proxy tester runs: malformed request lines, chunked
 * framing, CL/TE smuggling variants, header floods, invalid UTF-8, deep JSON, huge numbers, bad
 * SigV4, odd model ids, HTTP/2 preface abuse and byte-flipped valid requests — across every
 * provider's paths and a tool route.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

export interface FuzzKeys {
  /** an OpenAI-format lure key (decoy answers) */
  readonly openaiLure: string;
  readonly openaiValid: string;
  readonly aws: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** secret of the tool route */
  readonly toolSecret: string;
}

export interface FuzzCase {
  readonly family: string;
  /** what is written, fragment by fragment */
  readonly fragments: readonly Buffer[];
}

/** mulberry32: small, fast, and the same sequence on every machine for one seed */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
const int = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));

interface Target {
  readonly path: string;
  readonly headers: (k: FuzzKeys) => Record<string, string>;
  readonly body: (r: Rand) => unknown;
}

const chat = (r: Rand): unknown => ({ model: pick(r, ['gpt-4o-mini', 'gpt-4.1', 'o3-mini']), messages: [{ role: 'user', content: 'hi' }], max_tokens: int(r, 1, 64) });
const TARGETS: readonly Target[] = [
  { path: '/v1/chat/completions', headers: (k) => ({ authorization: `Bearer ${k.openaiLure}` }), body: chat },
  { path: '/v1/chat/completions', headers: (k) => ({ authorization: `Bearer ${k.openaiValid}` }), body: chat },
  { path: '/v1/responses', headers: (k) => ({ authorization: `Bearer ${k.openaiLure}` }), body: () => ({ model: 'gpt-4.1', input: [{ role: 'user', content: 'hi' }] }) },
  { path: '/v1/embeddings', headers: (k) => ({ authorization: `Bearer ${k.openaiLure}` }), body: () => ({ model: 'text-embedding-3-small', input: ['a', 'b'] }) },
  { path: '/v1/completions', headers: (k) => ({ authorization: `Bearer ${k.openaiLure}` }), body: () => ({ model: 'gpt-3.5-turbo-instruct', prompt: 'x' }) },
  { path: '/v1/messages', headers: () => ({ 'x-api-key': 'sk-ant-api03-fuzz', 'anthropic-version': '2023-06-01' }), body: () => ({ model: 'claude-sonnet-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }) },
  { path: '/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21', headers: () => ({ 'api-key': '0123456789abcdef0123456789abcdef' }), body: chat },
  { path: '/v1beta/models/gemini-2.5-flash:generateContent', headers: () => ({ 'x-goog-api-key': 'AIzaSyFuzzFuzzFuzzFuzzFuzzFuzzFuzzFuzz0' }), body: () => ({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }) },
  { path: '/tool/api/items', headers: (k) => ({ authorization: `Bearer ${k.toolSecret}` }), body: () => ({ name: 'x' }) },
];

const CONVERSE_MODELS = ['anthropic.claude-3-haiku-20240307-v1:0', 'amazon.nova-lite-v1:0', 'meta.llama3-2-1b-instruct-v1:0', 'x'.repeat(300), '../../etc/passwd', '%00', 'ü:ü'];

function deep(depth: number, leaf: unknown, shape: 'array' | 'object'): string {
  const open = shape === 'array' ? '['.repeat(depth) : '{"a":'.repeat(depth);
  const close = shape === 'array' ? ']'.repeat(depth) : '}'.repeat(depth);
  return `${open}${JSON.stringify(leaf)}${close}`;
}

function request(method: string, path: string, headers: Record<string, string>, body: Buffer | string | null, extra: string[] = []): Buffer {
  const b = body === null ? null : Buffer.isBuffer(body) ? body : Buffer.from(body);
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), ...extra];
  if (b !== null) lines.push('Content-Type: application/json', `Content-Length: ${b.length}`);
  lines.push('Connection: close', '', '');
  return b === null ? Buffer.from(lines.join('\r\n'), 'latin1') : Buffer.concat([Buffer.from(lines.join('\r\n'), 'latin1'), b]);
}

/** Split into 1–4 fragments at random points (parsers must not care where bytes arrive). */
function fragment(r: Rand, bytes: Buffer): Buffer[] {
  const n = int(r, 1, 4);
  if (n === 1 || bytes.length < 4) return [bytes];
  const cuts = Array.from({ length: n - 1 }, () => int(r, 1, bytes.length - 1)).sort((a, b) => a - b);
  const out: Buffer[] = [];
  let at = 0;
  for (const c of cuts) {
    out.push(bytes.subarray(at, c));
    at = c;
  }
  out.push(bytes.subarray(at));
  return out.filter((f) => f.length > 0);
}

function validJson(r: Rand, keys: FuzzKeys): { target: Target; bytes: Buffer } {
  const target = pick(r, TARGETS);
  return { target, bytes: request('POST', target.path, target.headers(keys), JSON.stringify(target.body(r))) };
}

async function signedConverse(keys: FuzzKeys, model: string, body: string): Promise<Buffer> {
  const signer = new SignatureV4({ service: 'bedrock', region: 'us-east-1', credentials: keys.aws, sha256: Sha256 });
  const path = `/model/${encodeURIComponent(model)}/converse`;
  const signed = await signer.sign({
    method: 'POST',
    protocol: 'http:',
    hostname: 'bedrock-runtime.us-east-1.amazonaws.com',
    path,
    headers: { host: 'bedrock-runtime.us-east-1.amazonaws.com', 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
    body,
  });
  const lines = [`POST ${path} HTTP/1.1`, ...Object.entries(signed.headers).map(([k, v]) => `${k}: ${String(v)}`), 'Connection: close', '', ''];
  return Buffer.concat([Buffer.from(lines.join('\r\n'), 'latin1'), Buffer.from(body)]);
}

type Family = (r: Rand, keys: FuzzKeys) => Buffer | Promise<Buffer>;

const FAMILIES: Readonly<Record<string, Family>> = {
  'request-line': (r) =>
    Buffer.from(
      pick(r, [
        'GET\r\n\r\n',
        'GET / HTTP/9.9\r\nHost: x\r\n\r\n',
        `${'A'.repeat(int(r, 1, 20))} /v1/models HTTP/1.1\r\nHost: x\r\n\r\n`,
        `GET /${'a'.repeat(int(r, 9000, 70000))} HTTP/1.1\r\nHost: x\r\n\r\n`,
        'GET  /v1/models  HTTP/1.1\r\nHost: x\r\n\r\n',
        'GET /v1/models HTTP/1.1\nHost: x\n\n',
        'GET /v1/\u0000models HTTP/1.1\r\nHost: x\r\n\r\n',
        'GET http://evil.example/v1/models HTTP/1.1\r\nHost: x\r\n\r\n',
        'GET * HTTP/1.1\r\nHost: x\r\n\r\n',
        'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: x\r\n\r\n',
        '\r\n\r\n\r\n',
        'GET /v1/models HTTP/1.0\r\n\r\n',
      ]),
      'latin1',
    ),
  chunked: (r, keys) => {
    const body = JSON.stringify(chat(r));
    const bad = pick(r, [
      `zz\r\n${body}\r\n0\r\n\r\n`,
      `${body.length.toString(16)}\r\n${body}0\r\n\r\n`,
      `ffffffffffffffff\r\n${body}\r\n0\r\n\r\n`,
      `${body.length.toString(16)};ext=${'x'.repeat(5000)}\r\n${body}\r\n0\r\n\r\n`,
      `${body.length.toString(16)}\r\n${body}\r\n0\r\nX-Trailer: ${'y'.repeat(100)}\r\n\r\n`,
      `-1\r\n${body}\r\n0\r\n\r\n`,
      `${(body.length + 10).toString(16)}\r\n${body}\r\n0\r\n\r\n`,
    ]);
    const head = ['POST /v1/chat/completions HTTP/1.1', 'Host: x', `Authorization: Bearer ${keys.openaiLure}`, 'Content-Type: application/json', 'Transfer-Encoding: chunked', 'Connection: close', '', ''];
    return Buffer.from(head.join('\r\n') + bad, 'latin1');
  },
  smuggling: (r, keys) => {
    const body = JSON.stringify(chat(r));
    const te = pick(r, ['Transfer-Encoding: chunked', 'Transfer-Encoding: xchunked', 'Transfer-Encoding : chunked', 'Transfer-Encoding: chunked, identity', 'Transfer-Encoding:\tchunked', 'Transfer-Encoding: chunked\r\nTransfer-Encoding: identity']);
    const cl = pick(r, [`Content-Length: ${body.length}`, `Content-Length: ${body.length}\r\nContent-Length: 5`, 'Content-Length: -1', 'Content-Length: 1e3', `Content-Length: +${body.length}`, 'Content-Length: 99999999999999999999']);
    const smuggled = `0\r\n\r\nPOST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${keys.openaiValid}\r\nContent-Length: 2\r\n\r\n{}`;
    const head = ['POST /v1/chat/completions HTTP/1.1', 'Host: x', `Authorization: Bearer ${keys.openaiLure}`, te, cl, '', ''];
    return Buffer.from(head.join('\r\n') + pick(r, [body, smuggled, `${body.length.toString(16)}\r\n${body}\r\n${smuggled}`]), 'latin1');
  },
  'header-flood': (r, keys) => {
    const n = pick(r, [200, 2000, 10000]);
    const extra = Array.from({ length: n }, (_, i) => `X-F${i}: ${'v'.repeat(int(r, 1, 40))}`);
    if (r() < 0.3) extra.push(`X-Big: ${'b'.repeat(int(r, 16000, 100000))}`);
    return request('POST', '/v1/chat/completions', { authorization: `Bearer ${keys.openaiLure}` }, JSON.stringify(chat(r)), extra);
  },
  'invalid-utf8': (r, keys) => {
    const target = pick(r, TARGETS);
    const junk = Buffer.from(Array.from({ length: int(r, 1, 64) }, () => pick(r, [0xc0, 0xc1, 0xf5, 0xff, 0xfe, 0xed, 0xa0, 0x80, 0x00])));
    const json = Buffer.concat([Buffer.from('{"model":"gpt-4o-mini","messages":[{"role":"user","content":"'), junk, Buffer.from('"}]}')]);
    const headers = { ...target.headers(keys), 'x-junk': junk.toString('latin1').replace(/[\r\n]/g, '') };
    return request('POST', target.path, headers, r() < 0.5 ? json : junk);
  },
  'deep-json': (r, keys) => {
    const depth = pick(r, [100, 1000, 10000, 50000]);
    const target = pick(r, TARGETS);
    const shape = pick(r, ['array', 'object'] as const);
    const body = pick(r, [
      `{"model":"gpt-4o-mini","messages":[{"role":"user","content":${deep(depth, 'x', shape)}}]}`,
      `{"model":"gpt-4.1","input":${deep(depth, 'x', shape)}}`,
      `{"model":"claude-sonnet-4-5","max_tokens":5,"messages":[{"role":"user","content":${deep(depth, 'x', shape)}}]}`,
      `{"contents":${deep(depth, { text: 'x' }, shape)}}`,
      `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema","json_schema":{"name":"n","schema":${deep(depth, { type: 'string' }, 'object')}}}}`,
      `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f","parameters":${deep(depth, { type: 'object' }, 'object')}}}]}`,
      deep(depth, 1, shape),
    ]);
    return request('POST', target.path, target.headers(keys), body);
  },
  'huge-numbers': (r, keys) => {
    const target = pick(r, TARGETS);
    const n = pick(r, ['1e400', '-1e400', '99999999999999999999999', '-1', '0', '1.5', 'NaN', '"12"', 'null', '9007199254740993', '-0', '1e-400']);
    const body = pick(r, [
      `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"x"}],"max_tokens":${n}}`,
      `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"x"}],"n":${n},"temperature":${n}}`,
      `{"model":"gpt-4.1","input":"x","max_output_tokens":${n}}`,
      `{"model":"claude-sonnet-4-5","max_tokens":${n},"messages":[{"role":"user","content":"x"}]}`,
      `{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"maxOutputTokens":${n},"candidateCount":${n}}}`,
    ]);
    return request('POST', target.path, target.headers(keys), body);
  },
  'bad-sigv4': (r, keys) => {
    const auth = pick(r, [
      'AWS4-HMAC-SHA256',
      'AWS4-HMAC-SHA256 Credential=',
      `AWS4-HMAC-SHA256 Credential=${keys.aws.accessKeyId}/20260101/us-east-1/bedrock/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`,
      `AWS4-HMAC-SHA256 Credential=${keys.aws.accessKeyId}/2026/us-east-1/bedrock/aws4_request, SignedHeaders=, Signature=zz`,
      `AWS4-HMAC-SHA256 Credential=${'A'.repeat(5000)}, SignedHeaders=host, Signature=00`,
      `AWS4-HMAC-SHA256 Credential=AKIA${'Z'.repeat(16)}/20260101/us-east-1/bedrock/aws4_request,SignedHeaders=host,Signature=${'f'.repeat(64)}`,
      'AWS4-HMAC-SHA512 Credential=x',
      `Bearer ABSK${Buffer.from('BedrockAPIKey-x-at-123:').toString('base64')}`,
    ]);
    const model = pick(r, CONVERSE_MODELS);
    const date = pick(r, ['20260101T000000Z', 'yesterday', '', '99999999T999999Z']);
    return request('POST', `/model/${encodeURIComponent(model)}/converse`, { host: 'bedrock-runtime.us-east-1.amazonaws.com', authorization: auth, 'x-amz-date': date }, JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'hi' }] }] }));
  },
  'signed-bedrock': (r, keys) => {
    const model = pick(r, CONVERSE_MODELS);
    const depth = pick(r, [1, 10, 5000]);
    const body = pick(r, [
      JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'hi' }] }], inferenceConfig: { maxTokens: int(r, -5, 50) } }),
      `{"messages":[{"role":"user","content":${deep(depth, { text: 'x' }, 'array')}}]}`,
      `{"messages":[{"role":"user","content":[{"text":"x"}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"t","inputSchema":{"json":${deep(depth, { type: 'object' }, 'object')}}}}]}}`,
      '{"messages":',
      '[]',
    ]);
    return signedConverse(keys, model, body);
  },
  'odd-model': (r, keys) => {
    const target = pick(r, TARGETS.slice(0, 2));
    const model = pick(r, ['', ' ', 'gpt-4o\u0000', 'ü'.repeat(int(r, 1, 3000)), '../../../', 'gpt-4o?x=1', '%2e%2e', 'a:b:c', '\ud800', JSON.stringify({ a: 1 })]);
    return request('POST', target.path, target.headers(keys), JSON.stringify({ model, messages: [{ role: 'user', content: 'x' }] }));
  },
  'h2-preface': (r) =>
    Buffer.from(
      pick(r, [
        'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
        'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x12\x04\x00\x00\x00\x00\x00garbagegarbagegarb',
        'PRI * HTTP/2.0\r\n\r\n',
        'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\xff\xff\xff\x01\x05\x00\x00\x00\x01',
        `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n${'\x00\x00\x00\x04\x00\x00\x00\x00\x00'.repeat(200)}`,
        'PRI * HTTP/1.1\r\n\r\n',
      ]),
      'latin1',
    ),
  mutated: (r, keys) => {
    const { bytes } = validJson(r, keys);
    const copy = Buffer.from(bytes);
    const flips = int(r, 1, 8);
    for (let i = 0; i < flips; i++) copy[int(r, 0, copy.length - 1)] = int(r, 0, 255);
    return copy;
  },
  valid: (r, keys) => validJson(r, keys).bytes,
};

export const FAMILY_NAMES: readonly string[] = Object.keys(FAMILIES);

/** Case `index` of the run seeded `seed`: the same bytes every time. */
export async function fuzzCase(seed: number, index: number, keys: FuzzKeys): Promise<FuzzCase> {
  const r = prng((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
  const family = pick(r, FAMILY_NAMES);
  const make = FAMILIES[family] as Family;
  const bytes = await make(r, keys);
  return { family, fragments: fragment(r, bytes) };
}
