/**
 * The Bedrock path's per-request savings (issue 11): derived SigV4 signing keys, known key ids and
 * personas are remembered (bounded, never across secrets, dates, regions, services or keys), the
 * lure answer is tokenized once per text, the Converse answer is written in sorted order by
 * construction, and the ASCII fast paths (URI encoding, segment decoding, header values, dates)
 * give exactly what the general code gives.
 */
import { createHmac } from 'node:crypto';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { awsPersona } from '../../src/deception/persona.js';
import { converseJson, serveBedrockDecoy } from '../../src/providers/bedrock/decoy.js';
import { REPLY_TOKENS_MAX, replyTokens, replyTokensCacheSize } from '../../src/providers/bedrock/decoy-tokens.js';
import type { Generation } from '../../src/providers/bedrock/decoy-native.js';
import { streamPieces, tokenCount } from '../../src/deception/decoy/tokens.js';
import { mintAwsKeyPair } from '../../src/deception/keygen.js';
import type { KeyRecord } from '../../src/core/keyring.js';
import type { HttpResponse } from '../../src/core/http.js';
import { PERSONA_CACHE_MAX, personaCacheSize, personaOf } from '../../src/providers/bedrock/personas.js';
import { sortedJson } from '../../src/providers/bedrock/eventstream.js';
import { AwsKeyRing } from '../../src/providers/bedrock/keyring.js';
import { decodeSegment } from '../../src/providers/bedrock/route.js';
import {
  type AuthOptions,
  type AwsSecretEntry,
  authenticate,
  type InboundRequest,
  parseAmzDate,
} from '../../src/providers/bedrock/sigv4.js';
import { awsUriEncode, cachedSigningKey, cachedSigningKeyCount, canonicalRequest, canonicalUri, headerMap, SIGNING_KEYS_PER_ENTRY, signingKey } from '../../src/providers/bedrock/sigv4-canonical.js';
import { sha256Hex } from '../../src/util/hash.js';

const PATH = '/model/us.amazon.nova-micro-v1%3A0/converse';
const BODY = Buffer.from('{"messages":[{"role":"user","content":[{"text":"hello"}]}]}');

function hmacHex(key: Buffer | ReturnType<typeof cachedSigningKey>, data: string): string {
  return createHmac('sha256', key).update(data).digest('hex');
}

async function signed(creds: { accessKeyId: string; secretAccessKey: string }, region = 'us-east-1', date = new Date()): Promise<InboundRequest> {
  const signer = new SignatureV4({ service: 'bedrock', region, credentials: creds, sha256: Sha256 });
  const host = `bedrock-runtime.${region}.amazonaws.com`;
  const s = await signer.sign(
    { method: 'POST', protocol: 'https:', hostname: host, path: PATH, headers: { host, 'content-type': 'application/json', 'content-length': String(BODY.length) }, body: BODY },
    { signingDate: date },
  );
  return { method: 'POST', url: PATH, rawHeaders: Object.entries(s.headers).flat(), body: BODY };
}

describe('derived signing keys (cachedSigningKey)', () => {
  it('gives the four-HMAC derivation of the entry’s secret for every scope', () => {
    const entry: AwsSecretEntry = { secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
    for (const [date, region, service] of [
      ['20260101', 'us-east-1', 'bedrock'],
      ['20260102', 'us-east-1', 'bedrock'],
      ['20260101', 'eu-west-1', 'bedrock'],
      ['20260101', 'us-east-1', 'sts'],
    ] as const) {
      const twice = [cachedSigningKey(entry, date, region, service), cachedSigningKey(entry, date, region, service)];
      for (const key of twice) expect(hmacHex(key, 'x')).toBe(hmacHex(signingKey(entry.secretAccessKey, date, region, service), 'x'));
    }
    expect(cachedSigningKeyCount(entry)).toBe(4);
  });

  it('a scope differing in date, region or service never gets another scope’s key', () => {
    const entry: AwsSecretEntry = { secretAccessKey: 'secret-one-0000000000000000' };
    const a = hmacHex(cachedSigningKey(entry, '20260101', 'us-east-1', 'bedrock'), 'x');
    expect(hmacHex(cachedSigningKey(entry, '20260102', 'us-east-1', 'bedrock'), 'x')).not.toBe(a);
    expect(hmacHex(cachedSigningKey(entry, '20260101', 'us-west-2', 'bedrock'), 'x')).not.toBe(a);
    expect(hmacHex(cachedSigningKey(entry, '20260101', 'us-east-1', 'sts'), 'x')).not.toBe(a);
  });

  it('another entry, or the same entry with another secret, never hits a held key', () => {
    const one: AwsSecretEntry = { secretAccessKey: 'secret-one-0000000000000000' };
    const two: AwsSecretEntry = { secretAccessKey: 'secret-two-0000000000000000' };
    const scope = ['20260101', 'us-east-1', 'bedrock'] as const;
    const k1 = hmacHex(cachedSigningKey(one, ...scope), 'x');
    expect(hmacHex(cachedSigningKey(two, ...scope), 'x')).toBe(hmacHex(signingKey(two.secretAccessKey, ...scope), 'x'));
    expect(hmacHex(cachedSigningKey(two, ...scope), 'x')).not.toBe(k1);
    // an entry object whose secret changed (the interface is readonly; a caller could still reuse it)
    const mutable = { secretAccessKey: 'secret-old-0000000000000000' };
    cachedSigningKey(mutable, ...scope);
    mutable.secretAccessKey = 'secret-new-0000000000000000';
    expect(hmacHex(cachedSigningKey(mutable, ...scope), 'x')).toBe(hmacHex(signingKey('secret-new-0000000000000000', ...scope), 'x'));
  });

  it('holds at most SIGNING_KEYS_PER_ENTRY scopes per entry, and stays correct past the bound', () => {
    const entry: AwsSecretEntry = { secretAccessKey: 'secret-bound-000000000000000' };
    for (let day = 1; day <= SIGNING_KEYS_PER_ENTRY * 3; day++) {
      const date = `202601${String(day).padStart(2, '0')}`;
      expect(hmacHex(cachedSigningKey(entry, date, 'us-east-1', 'bedrock'), 'x')).toBe(hmacHex(signingKey(entry.secretAccessKey, date, 'us-east-1', 'bedrock'), 'x'));
      expect(cachedSigningKeyCount(entry)).toBeLessThanOrEqual(SIGNING_KEYS_PER_ENTRY);
    }
    expect(cachedSigningKeyCount(entry)).toBe(SIGNING_KEYS_PER_ENTRY);
    // the oldest went first: the first day is derived again, and again correctly
    expect(hmacHex(cachedSigningKey(entry, '20260101', 'us-east-1', 'bedrock'), 'x')).toBe(hmacHex(signingKey(entry.secretAccessKey, '20260101', 'us-east-1', 'bedrock'), 'x'));
  });

  it('end to end: after a verified request, a rotated secret refuses the old signature and accepts the new one', async () => {
    const oldPair = mintAwsKeyPair({ accountId: '204381772953' });
    const newSecret = mintAwsKeyPair({ accountId: '204381772953' }).secretAccessKey;
    let entry: AwsSecretEntry = { secretAccessKey: oldPair.secretAccessKey };
    const options = (): AuthOptions => ({ lookupAccessKey: (id) => (id === oldPair.accessKeyId ? entry : undefined), service: 'bedrock', region: new Set(['us-east-1', 'us-west-2']) });
    const before = await signed(oldPair);
    expect(authenticate(before, options()).ok).toBe(true);
    expect(authenticate(before, options()).ok).toBe(true);
    entry = { secretAccessKey: newSecret }; // a reload
    expect(authenticate(before, options())).toMatchObject({ ok: false, error: 'InvalidSignature' });
    expect(authenticate(await signed({ accessKeyId: oldPair.accessKeyId, secretAccessKey: newSecret }), options()).ok).toBe(true);
    // same key, same day, another accepted region: its own key, verified
    expect(authenticate(await signed({ accessKeyId: oldPair.accessKeyId, secretAccessKey: newSecret }, 'us-west-2'), options()).ok).toBe(true);
    // a wrong secret for a key whose scope is held is still refused
    expect(authenticate(await signed({ accessKeyId: oldPair.accessKeyId, secretAccessKey: oldPair.secretAccessKey }, 'us-west-2'), options())).toMatchObject({ ok: false, error: 'InvalidSignature' });
  });
});

describe('key ring: known ids remembered', () => {
  const record = (name: string, id: string): KeyRecord => ({ name, class: 'lure', hash: sha256Hex(id), fingerprint: `fp-${name}`, upstream: 'decoy' });

  it('finds pairs by id, remembers only ids in the ring, never more than the ring holds', () => {
    const a = mintAwsKeyPair({ accountId: '204381772953' });
    const b = mintAwsKeyPair({ accountId: '204381772953' });
    const ring = new AwsKeyRing(
      [
        { record: record('a', a.accessKeyId), secretAccessKey: a.secretAccessKey },
        { record: record('b', b.accessKeyId), secretAccessKey: b.secretAccessKey },
      ],
      [],
    );
    for (let i = 0; i < 3; i++) {
      expect(ring.pair(a.accessKeyId)?.record.name).toBe('a');
      expect(ring.pair(b.accessKeyId)?.record.name).toBe('b');
    }
    for (let i = 0; i < 100; i++) expect(ring.pair(`AKIAUNKNOWN${String(i).padStart(9, '0')}`)).toBeUndefined();
    expect(ring.foundIds).toBe(2);
    // an id differing in case is another id (AWS ids are case-sensitive): not found, not remembered
    expect(ring.pair(a.accessKeyId.toLowerCase())).toBeUndefined();
    expect(ring.foundIds).toBe(2);
  });
});

describe('personas remembered (personaOf)', () => {
  const auth = (accessKeyId: string) => ({ ok: true, scheme: 'sigv4', accessKeyId, region: 'us-east-1', service: 'bedrock' }) as const;

  it('is awsPersona of the key id, the same object on later calls', () => {
    const { accessKeyId } = mintAwsKeyPair({ accountId: '204381772953' });
    const p = personaOf(auth(accessKeyId));
    expect(p).toEqual(awsPersona(accessKeyId));
    expect(p.accountId).toBe('204381772953');
    expect(personaOf(auth(accessKeyId))).toBe(p);
    expect(Object.isFrozen(p)).toBe(true);
  });

  it('bearer keys: another account or hash is another persona; never a key id’s', () => {
    const bearer = (hash: string, account?: string) =>
      ({ ok: true, scheme: 'bearer-long', accessKeyId: null, bearerHash: hash, ...(account === undefined ? {} : { bearerAccountId: account }), region: 'us-east-1', service: 'bedrock' }) as const;
    const h = 'a'.repeat(64);
    const one = personaOf(bearer(h, '111111111111'));
    const two = personaOf(bearer(h, '222222222222'));
    expect(one.accountId).toBe('111111111111');
    expect(two.accountId).toBe('222222222222');
    expect(two.arn).toBe(`arn:aws:iam::222222222222:user/${two.userName}`);
    expect(personaOf(bearer(h))).toEqual(awsPersona(`bearer:${h}`));
    expect(personaOf(bearer('b'.repeat(64)))).toEqual(awsPersona(`bearer:${'b'.repeat(64)}`));
    // a key id that spells the bearer form is still that key id's persona
    expect(personaOf(auth(`bearer:${h}`))).toEqual(awsPersona(`bearer:${h}`));
    expect(Object.isFrozen(one)).toBe(true);
  });

  it('holds at most PERSONA_CACHE_MAX personas, and stays correct past the bound', () => {
    for (let i = 0; i < PERSONA_CACHE_MAX + 50; i++) {
      const id = `AKIA${String(i).padStart(16, '0')}`;
      if (i % 97 === 0) expect(personaOf(auth(id))).toEqual(awsPersona(id));
      else personaOf(auth(id));
    }
    expect(personaCacheSize()).toBe(PERSONA_CACHE_MAX);
    const first = 'AKIA0000000000000000';
    expect(personaOf(auth(first))).toEqual(awsPersona(first));
  });
});

/** A response that records what the decoy writes. */
function recorder(): { res: HttpResponse; body: () => string } {
  const chunks: Buffer[] = [];
  const res = {
    statusCode: 200,
    sendDate: true,
    destroyed: false,
    headersSent: false,
    shouldKeepAlive: true,
    req: { httpVersionMajor: 1 },
    writeHead(status: number) {
      this.statusCode = status;
      this.headersSent = true;
      return this;
    },
    write(chunk: Buffer) {
      chunks.push(chunk);
      return true;
    },
    end(chunk?: Buffer) {
      if (chunk) chunks.push(chunk);
      return this;
    },
    on() {
      return this;
    },
    off() {
      return this;
    },
  };
  return { res: res as unknown as HttpResponse, body: () => Buffer.concat(chunks).toString('utf8') };
}

describe('the lure answer tokenized once per text (replyTokens)', () => {
  it('pieces and count are streamPieces and tokenCount of the text; frozen', () => {
    for (const text of ['', 'Deployment notes are in the ops wiki.', 'naïve café — 東京 🚀 tokens', 'x'.repeat(5000)]) {
      const t = replyTokens(text);
      expect(t.pieces).toEqual(streamPieces(text));
      expect(t.count).toBe(tokenCount(text));
      expect(replyTokens(text)).toBe(t);
      expect(Object.isFrozen(t.pieces)).toBe(true);
    }
  });

  it('holds at most REPLY_TOKENS_MAX texts', () => {
    for (let i = 0; i < REPLY_TOKENS_MAX + 20; i++) replyTokens(`answer number ${i}`);
    expect(replyTokensCacheSize()).toBe(REPLY_TOKENS_MAX);
    expect(replyTokens('answer number 0').pieces).toEqual(streamPieces('answer number 0'));
  });

  it('a request cut at maxTokens does not cut the next request’s answer', async () => {
    const lureText = 'The quarterly runbook lives in the ops wiki under incident response, section four.';
    const full = streamPieces(lureText);
    const ask = async (maxTokens: number) => {
      const r = recorder();
      const body = Buffer.from(JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'hi' }] }], inferenceConfig: { maxTokens } }));
      const result = await serveBedrockDecoy({ operation: 'Converse', modelId: 'us.amazon.nova-micro-v1:0', family: 'nova', body, lureText, accountId: '204381772953', region: 'us-east-1' }, r.res);
      return { result, json: JSON.parse(r.body()) as { output: { message: { content: { text: string }[] } }; stopReason: string } };
    };
    const cut = await ask(3);
    expect(cut.json.stopReason).toBe('max_tokens');
    expect(cut.json.output.message.content[0]?.text).toBe(full.slice(0, 3).join(''));
    expect(cut.result.outputTokens).toBe(tokenCount(full.slice(0, 3).join('')));
    const whole = await ask(1000);
    expect(whole.json.stopReason).toBe('end_turn');
    expect(whole.json.output.message.content[0]?.text).toBe(lureText);
    expect(whole.result.outputTokens).toBe(tokenCount(lureText));
    expect(replyTokens(lureText).pieces).toEqual(full);
  });
});

describe('Converse answer written in sorted order (converseJson)', () => {
  const base: Generation = { text: 'hello', chunks: [], inputTokens: 12, outputTokens: 3, stop: 'end', latencyMs: 321, firstByteMs: 200 };
  /** the object the decoy used to sort at render time */
  function sortedForm(gen: Generation): string {
    const content: Record<string, unknown>[] = [];
    if (gen.text !== '' || !gen.tools) content.push({ text: gen.text });
    for (const t of gen.tools ?? []) content.push({ toolUse: { input: t.input, name: t.name, toolUseId: t.id, type: 'tool_use' } });
    const usage = {
      totalTokens: gen.inputTokens + gen.outputTokens,
      serverToolUsage: {},
      outputTokens: gen.outputTokens,
      inputTokens: gen.inputTokens,
      cacheWriteInputTokens: 0,
      cacheWriteInputTokenCount: 0,
      cacheReadInputTokens: 0,
      cacheReadInputTokenCount: 0,
    };
    const stopReason = gen.stop === 'tool' ? 'tool_use' : gen.stop === 'length' ? 'max_tokens' : 'end_turn';
    return sortedJson({ usage, stopReason, output: { message: { role: 'assistant', content } }, metrics: { latencyMs: gen.latencyMs } });
  }

  it('equals sortedJson of the same answer: text, cut, tool call, text and tool call', () => {
    const tool = { name: 'lookup', id: 'tooluse_abc', input: { zeta: [{ b: 1, a: { y: 2, x: 'é' } }], alpha: 'v', '10': 1, '9': 2, mid: null } };
    for (const gen of [
      base,
      { ...base, text: '', stop: 'end' as const },
      { ...base, text: 'cut "quoted" \\ text\n', stop: 'length' as const },
      { ...base, text: '', stop: 'tool' as const, tool },
      { ...base, stop: 'tool' as const, tool },
    ]) {
      expect(converseJson(gen)).toBe(sortedForm(gen));
    }
  });

  it('property: any text answer gives sortedJson’s bytes (the template), odd numbers included', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary' }),
        fc.constantFrom('end' as const, 'length' as const),
        fc.oneof(fc.integer(), fc.double()),
        fc.oneof(fc.integer({ min: 0 }), fc.double()),
        fc.integer({ min: 0 }),
        (text, stop, latencyMs, inputTokens, outputTokens) => {
          const gen: Generation = { ...base, text, stop, latencyMs, inputTokens, outputTokens };
          expect(converseJson(gen)).toBe(sortedForm(gen));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: any tool inputs (one or several calls) give sortedJson’s bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { minLength: 1, maxLength: 4 }), fc.string(), (inputs, text) => {
        const gen: Generation = { ...base, text, stop: 'tool', tools: inputs.map((input, i) => ({ name: 'n', id: `i${i}`, input })) };
        expect(converseJson(gen)).toBe(sortedForm(gen));
      }),
      { numRuns: 200 },
    );
  });
});

describe('fast paths give what the general code gives', () => {
  /** the general encoder (the code before the ASCII table) */
  function refEncode(text: string, keepSlash: boolean): string {
    let out = '';
    for (const byte of Buffer.from(text, 'utf8')) {
      const ch = String.fromCharCode(byte);
      if (/[A-Za-z0-9\-._~]/.test(ch) || (keepSlash && ch === '/')) out += ch;
      else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    }
    return out;
  }

  it('awsUriEncode: ASCII, slashes kept or not, non-ASCII', () => {
    for (const s of ['', '/model/us.amazon.nova-micro-v1%3A0/converse', 'a b+c=d&e/f~g_h-i.j', '\u0000\u007f', 'é/東京/🚀', 'ascii then é', '%2F/%']) {
      expect(awsUriEncode(s)).toBe(refEncode(s, false));
      expect(awsUriEncode(s, true)).toBe(refEncode(s, true));
    }
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.boolean(), (s, keep) => {
        expect(awsUriEncode(s, keep)).toBe(refEncode(s, keep));
      }),
    );
  });

  /** the general canonical URI (the code before the fast path) */
  function refCanonicalUri(rawPath: string): string {
    const segments: string[] = [];
    for (const s of rawPath.split('/')) {
      if (s === '' || s === '.') continue;
      if (s === '..') segments.pop();
      else segments.push(s);
    }
    const trailing = segments.length > 0 && rawPath.endsWith('/') ? '/' : '';
    return refEncode(`/${segments.join('/')}${trailing}`, true);
  }

  it('canonicalUri: plain paths and every dot or empty segment form', () => {
    for (const p of ['/', '/a', '/a/', '/a/b/', PATH, '//a', '/a//b', '/./a', '/a/.', '/a/..', '/a/../b', '/.hidden/x', '/a/b/./', 'a/b', '', '/a/.../b']) {
      expect(canonicalUri(p)).toBe(refCanonicalUri(p));
    }
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', '.', '..', '', '%3A', 'é', '.x', '/'), { maxLength: 8 }), (parts) => {
        const p = `/${parts.join('/')}`;
        expect(canonicalUri(p)).toBe(refCanonicalUri(p));
      }),
    );
  });

  it('canonical header values: trimmed, folded, joined as before', () => {
    const ref = (values: readonly string[]) => values.map((v) => v.replace(/[\r\n]/g, ' ').replace(/[ \t]+/g, ' ').trim()).join(',');
    for (const values of [['plain'], ['  padded  '], ['a  b'], ['a\tb'], ['a\r\nb'], [' x ', 'y  z'], [''], ['\t'], ['a b c']]) {
      const headers = headerMap(['X-Test', ...values].flatMap((v, i) => (i === 0 ? [] : ['x-test', v])));
      const canonical = canonicalRequest('POST', '/', '', headers, ['x-test'], 'h');
      expect(canonical.split('\n')[3]).toBe(`x-test:${ref(values)}`);
    }
  });

  /** the general segment decoder (the code before the ASCII fast path) */
  function refDecode(segment: string): string | null {
    if (!segment.includes('%')) return segment;
    const bytes: number[] = [];
    for (let i = 0; i < segment.length; i++) {
      const c = segment.charCodeAt(i);
      if (c === 0x25) {
        const hex = segment.slice(i + 1, i + 3);
        if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return null;
        bytes.push(parseInt(hex, 16));
        i += 2;
      } else if (c < 0x80) bytes.push(c);
      else for (const b of Buffer.from(segment[i] ?? '', 'utf8')) bytes.push(b);
    }
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes));
    } catch {
      return null;
    }
  }

  it('decodeSegment: ASCII escapes, malformed escapes, UTF-8, BOM, raw non-ASCII', () => {
    for (const s of ['us.amazon.nova-micro-v1%3A0', 'arn%3Aaws%3Abedrock%3Aus-east-1%3A%3Afoundation-model%2Fx', '%', '%4', '%G1', 'a%3', '%7F%00', '%7f', '%80', '%C3%A9', '%EF%BB%BFx', 'é%3A', '%3Aé', '%E6%9D%B1', '%FF', '%3A%zz']) {
      expect(decodeSegment(s)).toBe(refDecode(s));
    }
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom('%3A', '%2F', '%7E', '%C3', '%A9', '%E2%82%AC', '%', '%Z', '%0', 'a', '.', 'é', '%EF%BB%BF')), { maxLength: 10 }), (parts) => {
        const s = parts.join('');
        expect(decodeSegment(s)).toBe(refDecode(s));
      }),
    );
  });

  it('parseAmzDate: what the regex accepted, nothing else', () => {
    const ref = (text: string): number | null => {
      const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
      if (!m) return null;
      const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
      const t = Date.UTC(y, mo - 1, d, h, mi, s);
      const back = new Date(t);
      if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return null;
      return t;
    };
    for (const s of ['20260101T000000Z', '20261123T235959Z', '20260230T000000Z', '20261301T000000Z', '20260101T240000Z', '20260101T006000Z', '20260101T000060Z', '2026-01-01T00:00:00Z', '20260101T000000', '20260101t000000Z', '20260101T000000z', '2026010١T000000Z', '+0260101T000000Z', ' 20260101T000000Z', '20260101T00000 Z', '']) {
      expect(parseAmzDate(s)).toBe(ref(s));
    }
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('0', '1', '2', '3', '5', '9', 'T', 'Z', '-', ' '), minLength: 14, maxLength: 18 }), (s) => {
        expect(parseAmzDate(s)).toBe(ref(s));
      }),
    );
    fc.assert(
      fc.property(fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }), (d) => {
        const text = d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
        expect(parseAmzDate(text)).toBe(ref(text));
        expect(parseAmzDate(text)).toBe(Math.floor(d.getTime() / 1000) * 1000);
      }),
    );
  });
});

describe('an SDK-signed request still verifies through every fast path', () => {
  it('smithy-signed Converse at the bench’s shape', async () => {
    const pair = mintAwsKeyPair({ accountId: '204381772953' });
    const entry: AwsSecretEntry = { secretAccessKey: pair.secretAccessKey };
    const req = await signed(pair);
    const options: AuthOptions = { lookupAccessKey: (id) => (id === pair.accessKeyId ? entry : undefined), service: 'bedrock', region: 'us-east-1' };
    for (let i = 0; i < 3; i++) expect(authenticate(req, options)).toMatchObject({ ok: true, accessKeyId: pair.accessKeyId, region: 'us-east-1' });
  });
});
