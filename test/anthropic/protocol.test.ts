import { describe, expect, it } from 'vitest';
import { anthropicPersona, limitClass, rateLimitValues } from '../../src/providers/anthropic/account.js';
import { ANTHROPIC_ERRORS, anthropicError, formatAnthropicError, thousands } from '../../src/providers/anthropic/errors.js';
import { anthropicHeaders, anthropicRequestId, messageId, RATE_LIMIT_HEADER_NAMES, toolUseId } from '../../src/providers/anthropic/headers.js';
import { listModels, LISTED, resolveModel, retrieveModel } from '../../src/providers/anthropic/models.js';
import {
  acceptsGzip,
  anthropicBetas,
  anthropicCredential,
  anthropicVersion,
  credentialSource,
  isAnthropicRequest,
  matchAnthropicRoute,
} from '../../src/providers/anthropic/protocol.js';

const KEY = `sk-ant-api03-${'a'.repeat(93)}AA`;

describe('credentials', () => {
  it('reads x-api-key first, then a bearer token', () => {
    expect(anthropicCredential({ 'x-api-key': KEY })).toBe(KEY);
    expect(anthropicCredential({ authorization: `Bearer ${KEY}` })).toBe(KEY);
    expect(anthropicCredential({ 'x-api-key': 'a', authorization: 'Bearer b' })).toBe('a');
    expect(anthropicCredential({ 'x-api-key': '   ', authorization: 'Bearer b' })).toBe('b');
    expect(anthropicCredential({ authorization: 'Basic abc' })).toBeUndefined();
    expect(anthropicCredential({ authorization: 'Bearer    ' })).toBeUndefined();
    expect(anthropicCredential({})).toBeUndefined();
    expect(credentialSource({ authorization: `bearer ${KEY}` })).toBe('api-key');
    expect(credentialSource({ authorization: 'Bearer sk-ant-oat01-abc' })).toBe('bearer');
    expect(credentialSource({ 'x-api-key': KEY })).toBe('api-key');
    expect(credentialSource({})).toBe('none');
  });

  it('decides shared paths by what the request speaks, owns /v1/messages*', () => {
    expect(isAnthropicRequest('/v1/messages', {})).toBe(true);
    expect(isAnthropicRequest('/v1/messages/count_tokens', {})).toBe(true);
    expect(isAnthropicRequest('/v1/models', {})).toBe(false);
    expect(isAnthropicRequest('/v1/models', { authorization: 'Bearer sk-proj-abc' })).toBe(false);
    expect(isAnthropicRequest('/v1/models', { authorization: `Bearer ${KEY}` })).toBe(true);
    expect(isAnthropicRequest('/v1/models', { 'x-api-key': 'x' })).toBe(true);
    expect(isAnthropicRequest('/v1/models/claude-opus-4-6', { 'anthropic-version': '2023-06-01' })).toBe(true);
    expect(isAnthropicRequest('/v1/chat/completions', { 'x-api-key': 'x' })).toBe(false);
    expect(isAnthropicRequest('/v1/messagesX', {})).toBe(false);
  });
});

describe('routes', () => {
  it('matches endpoints, methods and ids', () => {
    expect(matchAnthropicRoute('POST', '/v1/messages')).toEqual({ kind: 'ok', endpoint: 'messages' });
    expect(matchAnthropicRoute('GET', '/v1/messages').kind).toBe('method');
    expect(matchAnthropicRoute('HEAD', '/v1/models')).toEqual({ kind: 'ok', endpoint: 'models.list' });
    expect(matchAnthropicRoute('GET', '/v1/models/claude-opus-4-6')).toEqual({ kind: 'ok', endpoint: 'models.retrieve', param: 'claude-opus-4-6' });
    expect(matchAnthropicRoute('GET', '/v1/models/a/b').kind).toBe('unknown');
    expect(matchAnthropicRoute('GET', '/v1/models/').kind).toBe('unknown');
    expect(matchAnthropicRoute('GET', '/v1/messages/batches/msgbatch_01abc/results')).toEqual({ kind: 'ok', endpoint: 'messages.batches.results', param: 'msgbatch_01abc' });
    expect(matchAnthropicRoute('POST', '/v1/messages/batches/msgbatch_01abc/cancel').kind).toBe('ok');
    expect(matchAnthropicRoute('POST', '/v1/messages/batches/x/other').kind).toBe('unknown');
    expect(matchAnthropicRoute('GET', '/v1/files/file_1/content')).toEqual({ kind: 'ok', endpoint: 'files.content', param: 'file_1' });
    expect(matchAnthropicRoute('GET', `/v1/models/${'x'.repeat(300)}`).kind).toBe('unknown');
  });

  it('reads anthropic-version, anthropic-beta and accept-encoding', () => {
    expect(anthropicVersion({})).toEqual({ kind: 'missing' });
    expect(anthropicVersion({ 'anthropic-version': '2023-06-01' })).toEqual({ kind: 'ok', value: '2023-06-01' });
    expect(anthropicVersion({ 'anthropic-version': '2099-01-01' }).kind).toBe('invalid');
    expect(anthropicBetas({ 'anthropic-beta': 'a-1, b-2,,' })).toEqual(['a-1', 'b-2']);
    expect(anthropicBetas({ 'anthropic-beta': 'x,'.repeat(1000) }).length).toBeLessThanOrEqual(32);
    expect(acceptsGzip({ 'accept-encoding': 'gzip, deflate' })).toBe(true);
    expect(acceptsGzip({ 'accept-encoding': 'br, gzip;q=0' })).toBe(false);
    expect(acceptsGzip({ 'accept-encoding': 'identity' })).toBe(false);
    expect(acceptsGzip({})).toBe(false);
  });
});

describe('error registry', () => {
  it('every entry has a status, an Anthropic type and a message', () => {
    for (const [code, spec] of Object.entries(ANTHROPIC_ERRORS)) {
      expect(spec.status, code).toBeGreaterThanOrEqual(400);
      expect(spec.type, code).toMatch(/^[a-z_]+$/);
      expect(spec.message.length, code).toBeGreaterThan(0);
    }
    expect(ANTHROPIC_ERRORS.invalid_key).toEqual({ status: 401, type: 'authentication_error', message: 'invalid x-api-key' });
    expect(ANTHROPIC_ERRORS.overloaded.status).toBe(529);
    expect(ANTHROPIC_ERRORS.credit_balance.status).toBe(400);
  });

  it('writes the envelope compact in the API key order', () => {
    const body = formatAnthropicError(anthropicError('model_not_found', ['claude-sonet-4-5']), 'req_011CdufXo8Y2LVfY2veyuQWG');
    expect(body).toBe('{"type":"error","error":{"type":"not_found_error","message":"model: claude-sonet-4-5"},"request_id":"req_011CdufXo8Y2LVfY2veyuQWG"}');
    expect(JSON.parse(formatAnthropicError(anthropicError('invalid_request', ['a "quoted" \u2028 text']), 'r')).error.message).toBe('a "quoted" \u2028 text');
    expect(anthropicError('rate_limit', [thousands(4000), 'requests', 'org', '']).message).toContain('rate limit of 4,000 requests per minute (org: org)');
  });
});

describe('headers and ids', () => {
  it('mints ids in the recorded formats', () => {
    expect(anthropicRequestId()).toMatch(/^req_011C[1-9A-HJ-NP-Za-km-z]{20}$/);
    expect(messageId()).toMatch(/^msg_01[1-9A-HJ-NP-Za-km-z]{22}$/);
    expect(toolUseId()).toMatch(/^toolu_01[1-9A-HJ-NP-Za-km-z]{22}$/);
    // the clock characters: April 2026 ids start 011CZk / 011Ca (recorded)
    expect(anthropicRequestId(Date.parse('2026-04-05T14:28:38Z')).slice(0, 10)).toBe('req_011CZk');
    expect(anthropicRequestId(Date.parse('2026-02-17T23:44:12Z')).slice(0, 10)).toBe('req_011CYE');
  });

  it('writes the 2026 set: authenticated answers carry org and twelve rate-limit headers', () => {
    const persona = anthropicPersona('ab'.repeat(32));
    const h = anthropicHeaders({ kind: 'stream', requestId: 'req_x', originMs: 300, account: persona.account('claude-haiku-4-5-20251001', undefined), gzip: true });
    const names = h.filter((_v, i) => i % 2 === 0);
    for (const n of RATE_LIMIT_HEADER_NAMES) expect(names).toContain(n);
    expect(names).toEqual(expect.arrayContaining(['Date', 'Content-Type', 'Cache-Control', 'request-id', 'anthropic-organization-id', 'CF-RAY', 'Content-Encoding', 'vary', 'set-cookie', 'X-Robots-Tag']));
    expect(h[h.indexOf('Content-Type') + 1]).toBe('text/event-stream; charset=utf-8');
    const e = anthropicHeaders({ kind: 'error', requestId: 'req_x', originMs: 5, contentLength: 10, shouldRetry: false });
    expect(e).not.toContain('anthropic-organization-id');
    expect(e).not.toContain('set-cookie');
    expect(e[e.indexOf('Content-Length') + 1]).toBe('10');
  });
});

describe('persona', () => {
  it('is stable per key, differs between keys and is always a high tier', () => {
    const a = anthropicPersona('01'.repeat(32));
    const b = anthropicPersona('02'.repeat(32));
    expect(anthropicPersona('01'.repeat(32)).organizationId).toBe(a.organizationId);
    expect(a.organizationId).not.toBe(b.organizationId);
    expect(a.organizationId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    for (const model of ['claude-3-sonnet-20240229', 'claude-haiku-4-5', 'claude-opus-4-6', undefined]) {
      const v = a.account(model, undefined).rateLimit ?? [];
      // the resale checker's tier rule: tokens-limit above 400,000 is its top tier
      expect(Number(v[9])).toBeGreaterThan(400_000);
    }
    expect(limitClass('claude-3-5-haiku-20241022')).toBe('legacy');
    expect(limitClass('claude-haiku-4-5-20251001')).toBe('haiku-new');
  });

  it('remaining values fall with use, rounded to thousands, and resets move forward', () => {
    const now = Date.parse('2026-04-05T14:28:38Z');
    const limits = { rpm: 4000, itpm: 2_000_000, otpm: 400_000 };
    const fresh = rateLimitValues(limits, { requests: 1, tokens: 17, resetMs: 60_000 }, now);
    expect(fresh).toEqual(['2000000', '2000000', '2026-04-05T14:28:37Z', '400000', '400000', '2026-04-05T14:28:37Z', '4000', '3999', '2026-04-05T14:28:37Z', '2400000', '2400000', '2026-04-05T14:28:37Z']);
    const used = rateLimitValues(limits, { requests: 4000, tokens: 1_200_000, resetMs: 60_000 }, now);
    expect(used[7]).toBe('0');
    expect(Number(used[1])).toBeLessThan(2_000_000);
    expect(Number(used[1]) % 1000).toBe(0);
    expect((used[2] ?? "") > (fresh[2] ?? "")).toBe(true);
  });
});

describe('models', () => {
  it('lists newest first with cursor paging', () => {
    const all = listModels(new URLSearchParams());
    expect(all.ok).toBe(true);
    if (!all.ok) return;
    const data = all.body['data'] as { id: string; type: string }[];
    expect(data.length).toBe(Math.min(20, LISTED.length));
    expect(data[0]?.type).toBe('model');
    expect(all.body['first_id']).toBe(data[0]?.id);
    const p1 = listModels(new URLSearchParams('limit=2'));
    if (!p1.ok) throw new Error('page');
    expect(p1.body['has_more']).toBe(true);
    const p2 = listModels(new URLSearchParams(`limit=2&after_id=${String(p1.body['last_id'])}`));
    if (!p2.ok) throw new Error('page');
    expect((p2.body['data'] as { id: string }[])[0]?.id).toBe(LISTED[2]?.id);
    const back = listModels(new URLSearchParams(`limit=2&before_id=${String(p2.body['first_id'])}`));
    if (!back.ok) throw new Error('page');
    expect((back.body['data'] as { id: string }[]).map((x) => x.id)).toEqual([LISTED[0]?.id, LISTED[1]?.id]);
    expect(back.body['has_more']).toBe(false);
  });

  it('refuses bad paging and resolves aliases', () => {
    expect(listModels(new URLSearchParams('limit=0'))).toEqual({ ok: false, message: 'limit: Input should be greater than or equal to 1' });
    expect(listModels(new URLSearchParams('limit=1001')).ok).toBe(false);
    expect(listModels(new URLSearchParams('limit=abc')).ok).toBe(false);
    expect(listModels(new URLSearchParams('after_id=a&before_id=b')).ok).toBe(false);
    expect(resolveModel('claude-sonnet-4-5')?.id).toBe('claude-sonnet-4-5-20250929');
    expect(resolveModel('claude-3-5-haiku-latest')?.id).toBe('claude-3-5-haiku-20241022');
    expect(resolveModel('claude-3-sonnet-20240229')?.id).toBe('claude-3-sonnet-20240229');
    expect(resolveModel('claude-sonet-4-5')).toBeUndefined();
    expect(retrieveModel('claude-haiku-4-5')?.['id']).toBe('claude-haiku-4-5-20251001');
    expect(retrieveModel('nope')).toBeUndefined();
  });
});

describe('mask', () => {
  it('masks as the Console lists keys, never more than a third of the secret', async () => {
    const { maskAnthropicKey } = await import('../../src/providers/anthropic/protocol.js');
    const key = `sk-ant-api03-abcd${'x'.repeat(85)}wxyzAA`;
    expect(maskAnthropicKey(key)).toBe('sk-ant-api03-abcd...yzAA');
    expect(maskAnthropicKey('short')).toBe('***');
    expect(maskAnthropicKey('some-other-token-of-length-30')).toBe('some-oth...');
  });
});
