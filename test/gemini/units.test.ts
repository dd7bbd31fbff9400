/**
 * The Gemini provider's pure parts: routes and credentials, request validation (malformed, deeply
 * nested, hostile input), the planned answer (exact cut at maxOutputTokens, thinking inside the
 * limit, schema JSON, function calls), the response families and streams, embeddings, paging,
 * errors, and the key format.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { encode } from 'gpt-tokenizer';
import { countPrompt, firstTokens, planAnswer } from '../../src/providers/gemini/answer.js';
import {
  embedValues,
  generateResponse,
  geminiResponseId,
  listModelsResponse,
  streamResponses,
} from '../../src/providers/gemini/decoy.js';
import { geminiErrorObject, GEMINI_ERRORS, notFoundPage } from '../../src/providers/gemini/errors.js';
import { GEMINI_MODELS, findGeminiModel, type GeminiModel } from '../../src/providers/gemini/models.js';
import { chatToGenerate, sortedJson } from '../../src/providers/gemini/openai-compat.js';
import { geminiPersona } from '../../src/providers/gemini/persona.js';
import { geminiCredential, matchGeminiRoute, parseGeminiQuery } from '../../src/providers/gemini/routes.js';
import { validateGenerate, validateEmbed } from '../../src/providers/gemini/validate.js';
import { injectGeminiPrompt } from '../../src/providers/gemini/inject.js';
import { withoutKeyParam } from '../../src/providers/gemini/call.js';
import { sseJson, geminiHeaders } from '../../src/providers/gemini/wire.js';
import { detectKeyFormat, mintGeminiKey, mintKey } from '../../src/deception/keygen.js';
import { maskKey } from '../../src/util/mask.js';
import { shannonEntropy } from '../../src/deception/random.js';

function model(id: string): GeminiModel {
  const m = findGeminiModel(id);
  if (!m) throw new Error(`no model ${id}`);
  return m;
}

const FLASH = model('gemini-2.5-flash');
const CLASSIC = model('gemini-2.0-flash');
const PRO = model('gemini-2.5-pro');
const REPLY = 'The quarterly numbers are in the shared drive; ask finance for the final deck before Friday.';

function body(text: string, gc?: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { contents: [{ role: 'user', parts: [{ text }] }], ...(gc ? { generationConfig: gc } : {}), ...extra };
}

describe('routes', () => {
  it('maps the native and OpenAI-compatible paths', () => {
    expect(matchGeminiRoute('POST', '/v1beta/models/gemini-2.5-flash:generateContent')).toEqual({ kind: 'model-method', version: 'v1beta', model: 'gemini-2.5-flash', method: 'generateContent', known: true });
    expect(matchGeminiRoute('POST', '/v1/models/gemini-2.0-flash:streamGenerateContent')).toMatchObject({ kind: 'model-method', version: 'v1', method: 'streamGenerateContent' });
    expect(matchGeminiRoute('POST', '/v1beta/models/embedding-001:batchEmbedContents')).toMatchObject({ method: 'batchEmbedContents', known: true });
    expect(matchGeminiRoute('POST', '/v1beta/models/gemini-2.5-flash:batchGenerateContent')).toMatchObject({ known: false });
    expect(matchGeminiRoute('GET', '/v1beta/models')).toEqual({ kind: 'models-list', version: 'v1beta' });
    expect(matchGeminiRoute('GET', '/v1beta/models/gemini-2.5-pro')).toEqual({ kind: 'model-get', version: 'v1beta', model: 'gemini-2.5-pro' });
    expect(matchGeminiRoute('POST', '/v1beta/openai/chat/completions')).toEqual({ kind: 'openai', endpoint: 'chat.completions' });
    expect(matchGeminiRoute('GET', '/v1beta/openai/models/gemini-2.5-flash')).toEqual({ kind: 'openai', endpoint: 'model', model: 'gemini-2.5-flash' });
    expect(matchGeminiRoute('POST', '/v1beta/models/gemini-2.5-flash%3Aextra:generateContent')).toMatchObject({ model: 'gemini-2.5-flash:extra' });
  });

  it('answers unmapped paths and wrong methods as unknown (the front end 404)', () => {
    for (const [m, p] of [
      ['GET', '/v1beta/models/gemini-2.5-flash:generateContent'],
      ['POST', '/v1beta/models'],
      ['POST', '/v1beta/models/x:fooBar'],
      ['POST', '/v1beta/models/a/b:generateContent'],
      ['GET', '/v2/models'],
      ['POST', '/v1/openai/chat/completions'],
      ['POST', '/v1beta/models/%E0%A4%A:generateContent'],
      ['POST', `/v1beta/models/${'a'.repeat(5000)}:generateContent`],
    ] as const) expect(matchGeminiRoute(m, p)).toEqual({ kind: 'unknown' });
  });

  it('reads the key from the header, the query, then a bearer; $alt and alt', () => {
    const q = parseGeminiQuery('/v1beta/models/m:generateContent?%24alt=json%3Benum-encoding%3Dint&key=AIzaQ');
    expect(q).toMatchObject({ intEnums: true, sse: false, key: 'AIzaQ' });
    expect(parseGeminiQuery('/x?alt=sse').sse).toBe(true);
    expect(geminiCredential({ 'x-goog-api-key': 'AIzaH' }, q)).toEqual({ key: 'AIzaH', source: 'header' });
    expect(geminiCredential({}, q)).toEqual({ key: 'AIzaQ', source: 'query' });
    expect(geminiCredential({ authorization: 'Bearer AIzaB' }, parseGeminiQuery('/x'))).toEqual({ key: 'AIzaB', source: 'bearer' });
    expect(geminiCredential({ authorization: 'Basic abc' }, parseGeminiQuery('/x'))).toBeUndefined();
    expect(parseGeminiQuery(`/x?${'a=1&'.repeat(10_000)}`).sse).toBe(false);
  });

  it('drops the client key from a forwarded query', () => {
    expect(withoutKeyParam('/v1beta/models/m:streamGenerateContent?alt=sse&key=AIza123')).toBe('/v1beta/models/m:streamGenerateContent?alt=sse');
    expect(withoutKeyParam('/v1beta/models?key=AIza123')).toBe('/v1beta/models');
    expect(withoutKeyParam('/v1beta/models?keyx=1')).toBe('/v1beta/models?keyx=1');
  });
});

describe('validation', () => {
  it('refuses what the transcoder refuses, with snake_case paths', () => {
    expect(validateGenerate({ foo: 1, contents: [] }, FLASH)).toMatchObject({ code: 'unknown_field', args: ['foo', ''] });
    expect(validateGenerate(body('hi', { maxTokens: 5 }), FLASH)).toMatchObject({ code: 'unknown_field', args: ['maxTokens', " at 'generation_config'"] });
    expect(validateGenerate(body('hi', { maxOutputTokens: 'abc' }), FLASH)).toMatchObject({ code: 'invalid_value', args: ['generation_config.max_output_tokens', 'TYPE_INT32', '"abc"'] });
    expect(validateGenerate(body('hi', { maxOutputTokens: '12' }), FLASH)).toBeNull();
    expect(validateGenerate({ contents: [{ parts: [{ text: 5 }] }] }, FLASH)).toMatchObject({ code: 'invalid_value', args: ['contents[0].parts[0].text', 'TYPE_STRING', '5'] });
    expect(validateGenerate({ contents: 'hello' }, FLASH)).toMatchObject({ code: 'invalid_value' });
  });

  it('then the model checks: contents, parts, roles, output range, thinking budgets, JSON MIME', () => {
    expect(validateGenerate({}, FLASH)).toMatchObject({ code: 'contents_missing' });
    expect(validateGenerate({ contents: [{ role: 'user', parts: [] }] }, FLASH)).toMatchObject({ code: 'parts_empty', args: ['0'] });
    expect(validateGenerate({ contents: [{ role: 'assistant', parts: [{ text: 'x' }] }] }, FLASH)).toMatchObject({ code: 'invalid_role' });
    expect(validateGenerate(body('hi', { maxOutputTokens: 70_000 }), FLASH)).toMatchObject({ code: 'max_tokens_range', args: ['70000', '65537'] });
    expect(validateGenerate(body('hi', { maxOutputTokens: 9000 }), CLASSIC)).toMatchObject({ code: 'max_tokens_range', args: ['9000', '8193'] });
    expect(validateGenerate(body('hi', { thinkingConfig: { thinkingBudget: 0 } }), PRO)).toMatchObject({ code: 'thinking_only' });
    expect(validateGenerate(body('hi', { thinkingConfig: { thinkingBudget: 0 } }), FLASH)).toBeNull();
    expect(validateGenerate(body('hi', { thinkingConfig: { thinkingBudget: 99_999 } }), FLASH)).toMatchObject({ code: 'thinking_budget_range' });
    expect(validateGenerate(body('hi', { responseSchema: { type: 'OBJECT' } }), FLASH)).toMatchObject({ code: 'json_mime_required' });
  });

  it('never throws on arbitrary JSON and stays bounded on deep nesting', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (v) => {
        const b = v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : { contents: v };
        validateGenerate(b, FLASH);
        validateEmbed(b);
        planAnswer({ model: FLASH, body: b, reply: REPLY, baseLatencyMs: 0 });
      }),
      { numRuns: 400 },
    );
    let deep: unknown = { text: 'x' };
    for (let i = 0; i < 5000; i++) deep = { parts: [deep] };
    expect(() => validateGenerate({ contents: [deep] }, FLASH)).not.toThrow();
    const many = { contents: Array.from({ length: 50_000 }, () => ({ role: 'user', parts: [{ text: 'a' }] })) };
    const t0 = performance.now();
    validateGenerate(many, FLASH);
    countPrompt(many);
    expect(performance.now() - t0).toBeLessThan(3000);
  });
});

describe('planned answers', () => {
  it('cuts the text at exactly maxOutputTokens (classic model) with MAX_TOKENS', () => {
    for (const max of [1, 2, 7]) {
      const plan = planAnswer({ model: CLASSIC, body: body('hello', { maxOutputTokens: max }), reply: REPLY, baseLatencyMs: 0 });
      expect(plan.finishReason).toBe('MAX_TOKENS');
      expect(plan.candidatesTokens).toBe(max);
      expect(plan.output?.kind === 'text' ? encode(plan.output.text).length : -1).toBe(max);
    }
    const full = planAnswer({ model: CLASSIC, body: body('hello'), reply: REPLY, baseLatencyMs: 0 });
    expect(full).toMatchObject({ finishReason: 'STOP', output: { kind: 'text', text: REPLY }, candidatesTokens: encode(REPLY).length, thoughtsTokens: 0 });
  });

  it('thinking tokens count toward the limit: a small limit leaves no text (2.5)', () => {
    const tiny = planAnswer({ model: FLASH, body: body('hello', { maxOutputTokens: 10 }), reply: REPLY, baseLatencyMs: 0 });
    expect(tiny).toMatchObject({ output: null, finishReason: 'MAX_TOKENS', thoughtsTokens: 10, candidatesTokens: 0 });
    const off = planAnswer({ model: FLASH, body: body('hello', { maxOutputTokens: 10, thinkingConfig: { thinkingBudget: 0 } }), reply: REPLY, baseLatencyMs: 0 });
    expect(off).toMatchObject({ thoughtsTokens: 0, candidatesTokens: 10, finishReason: 'MAX_TOKENS' });
    const budget = planAnswer({ model: FLASH, body: body('hello', { thinkingConfig: { thinkingBudget: 100 } }), reply: REPLY, baseLatencyMs: 0 });
    expect(budget.thoughtsTokens).toBe(100);
    expect(budget.finishReason).toBe('STOP');
    const a = planAnswer({ model: FLASH, body: body('same prompt'), reply: REPLY, baseLatencyMs: 0 });
    const b = planAnswer({ model: FLASH, body: body('same prompt'), reply: REPLY, baseLatencyMs: 0 });
    expect(a.thoughtsTokens).toBe(b.thoughtsTokens);
  });

  it('fills responseSchema (Gemini OpenAPI subset) with JSON that parses and follows the schema', () => {
    const schema = { type: 'OBJECT', properties: { city: { type: 'STRING' }, days: { type: 'INTEGER' }, tags: { type: 'ARRAY', items: { type: 'STRING' } }, ok: { type: 'BOOLEAN' } }, propertyOrdering: ['ok', 'city', 'days', 'tags'] };
    const plan = planAnswer({ model: FLASH, body: body('weather', { responseMimeType: 'application/json', responseSchema: schema }), reply: REPLY, baseLatencyMs: 0 });
    const text = plan.output?.kind === 'text' ? plan.output.text : '';
    const value = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(['ok', 'city', 'days', 'tags']);
    expect(typeof value['city']).toBe('string');
    expect(Number.isInteger(value['days'])).toBe(true);
    expect(Array.isArray(value['tags'])).toBe(true);
    expect(typeof value['ok']).toBe('boolean');
  });

  it('parallel calls: one per city; the calls that fit maxOutputTokens are kept, MAX_TOKENS', () => {
    const tools = [{ functionDeclarations: [{ name: 'get_weather', parameters: { type: 'OBJECT', properties: { city: { type: 'STRING' } }, required: ['city'] } }] }];
    const model = findGeminiModel('gemini-2.0-flash') as GeminiModel;
    const full = planAnswer({ model, body: body('Weather in Oslo and Lima', undefined, { tools }), reply: REPLY, baseLatencyMs: 0 });
    expect(full.output).toEqual({ kind: 'calls', calls: [{ name: 'get_weather', args: { city: 'Oslo' } }, { name: 'get_weather', args: { city: 'Lima' } }] });
    const one = encode('get_weather{"city":"Oslo"}').length + 2;
    expect(full.candidatesTokens).toBe(one + encode('get_weather{"city":"Lima"}').length + 2);
    expect(full.finishReason).toBe('STOP');
    const cut = planAnswer({ model, body: body('Weather in Oslo and Lima', { maxOutputTokens: one + 1 }, { tools }), reply: REPLY, baseLatencyMs: 0 });
    expect(cut.output).toEqual({ kind: 'calls', calls: [{ name: 'get_weather', args: { city: 'Oslo' } }] });
    expect(cut.candidatesTokens).toBe(one);
    expect(cut.finishReason).toBe('MAX_TOKENS');
    const none = planAnswer({ model, body: body('Weather in Oslo and Lima', { maxOutputTokens: one - 1 }, { tools }), reply: REPLY, baseLatencyMs: 0 });
    expect(none.output).toBeNull();
    expect(none.finishReason).toBe('MAX_TOKENS');
  });

  it('calls a declared function with schema-valid args; answers text after the function response', () => {
    const tools = [{ functionDeclarations: [
      { name: 'get_weather', description: 'Get the weather for a city', parameters: { type: 'OBJECT', properties: { city: { type: 'STRING' }, unit: { type: 'STRING', enum: ['c', 'f'] } }, required: ['city'] } },
      { name: 'send_email', description: 'Send an email', parameters: { type: 'OBJECT', properties: { to: { type: 'STRING' } } } },
    ] }];
    const plan = planAnswer({ model: FLASH, body: body('What is the weather in Oslo?', undefined, { tools }), reply: REPLY, baseLatencyMs: 0 });
    expect(plan.output).toMatchObject({ kind: 'calls', calls: [{ name: 'get_weather' }] });
    const args = plan.output?.kind === 'calls' ? (plan.output.calls[0]?.args as Record<string, unknown>) : {};
    expect(['c', 'f']).toContain(args['unit']);
    // the one city the prompt names, not the lure's reply
    expect(args['city']).toBe('Oslo');
    const after = { contents: [
      { role: 'user', parts: [{ text: 'weather?' }] },
      { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: {} } }] },
      { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { t: 3 } } }] },
    ], tools };
    expect(planAnswer({ model: FLASH, body: after, reply: REPLY, baseLatencyMs: 0 }).output?.kind).toBe('text');
    const none = planAnswer({ model: FLASH, body: body('weather in Oslo', undefined, { tools, toolConfig: { functionCallingConfig: { mode: 'NONE' } } }), reply: REPLY, baseLatencyMs: 0 });
    expect(none.output?.kind).toBe('text');
  });

  it('counts images as 258 tokens and the system instruction and tools as prompt', () => {
    const c = countPrompt({ contents: [{ parts: [{ text: 'What is the capital of France?' }, { inlineData: { mimeType: 'image/png', data: 'AAAA' } }] }], systemInstruction: { parts: [{ text: 'Be brief.' }] } });
    const text = encode('What is the capital of France?').length + encode('Be brief.').length;
    expect(c).toEqual({ total: text + 258, text, image: 258 });
  });

  it('firstTokens keeps whole characters', () => {
    const t = firstTokens('日本語のテキストです。絵文字 🎉🎉 も', 3);
    expect(t.includes('\uFFFD')).toBe(false);
    expect(encode(t).length).toBeLessThanOrEqual(3);
  });
});

describe('response families', () => {
  const style = { intEnums: false };
  it('classic: safety ratings, avgLogprobs, candidatesTokensDetails, no index (recorded 2.0 shape)', () => {
    const plan = planAnswer({ model: CLASSIC, body: body('What is the capital of France?'), reply: 'The capital of France is **Paris**.\n', baseLatencyMs: 0 });
    const r = generateResponse(plan, CLASSIC, style, geminiResponseId());
    expect(Object.keys(r)).toEqual(['candidates', 'usageMetadata', 'modelVersion', 'responseId']);
    const c = (r['candidates'] as Record<string, unknown>[])[0] ?? {};
    expect(Object.keys(c)).toEqual(['content', 'finishReason', 'safetyRatings', 'avgLogprobs']);
    expect(r['usageMetadata']).toEqual({ promptTokenCount: 7, candidatesTokenCount: 9, totalTokenCount: 16, promptTokensDetails: [{ modality: 'TEXT', tokenCount: 7 }], candidatesTokensDetails: [{ modality: 'TEXT', tokenCount: 9 }] });
    const ints = generateResponse(plan, CLASSIC, { intEnums: true }, 'x');
    expect(JSON.stringify(ints)).toContain('"finishReason":1');
    expect(JSON.stringify(ints)).toContain('{"category":8,"probability":1}');
  });

  it('thinking: index 0, thoughtsTokenCount, no safety ratings (recorded 2.5 shape)', () => {
    const plan = planAnswer({ model: FLASH, body: body('What is ai?'), reply: REPLY, baseLatencyMs: 0 });
    const r = generateResponse(plan, FLASH, style, 'id');
    const c = (r['candidates'] as Record<string, unknown>[])[0] ?? {};
    expect(Object.keys(c)).toEqual(['content', 'finishReason', 'index']);
    const u = r['usageMetadata'] as Record<string, number>;
    expect(Object.keys(u)).toEqual(['promptTokenCount', 'candidatesTokenCount', 'totalTokenCount', 'promptTokensDetails', 'thoughtsTokenCount']);
    expect(u['totalTokenCount']).toBe((u['promptTokenCount'] ?? 0) + (u['candidatesTokenCount'] ?? 0) + (u['thoughtsTokenCount'] ?? 0));
  });

  it('streams: the chunks add up to the answer, the last carries the finish and the full usage', () => {
    for (const m of [CLASSIC, FLASH]) {
      const long = `${REPLY} `.repeat(20);
      const plan = planAnswer({ model: m, body: body('story'), reply: long, baseLatencyMs: 0 });
      const chunks = streamResponses(plan, m, style, 'id');
      expect(chunks.length).toBeGreaterThan(3);
      const text = chunks.map((ch) => ((((ch['candidates'] as Record<string, unknown>[])[0]?.['content'] as Record<string, unknown>)['parts'] as { text: string }[])[0]?.text ?? '')).join('');
      expect(text).toBe(long);
      const last = (chunks.at(-1)?.['candidates'] as Record<string, unknown>[])[0] ?? {};
      expect(last['finishReason']).toBe('STOP');
      expect((chunks.at(-1)?.['usageMetadata'] as Record<string, number>)['candidatesTokenCount']).toBe(encode(long).length);
      expect(chunks.slice(0, -1).every((ch) => !('finishReason' in ((ch['candidates'] as Record<string, unknown>[])[0] ?? {})))).toBe(true);
    }
  });

  it('response ids decode to the answer second, 17 bytes', () => {
    const now = Date.UTC(2026, 11, 6, 4, 0, 0);
    const id = geminiResponseId(now);
    const b = Buffer.from(id, 'base64url');
    expect(b.length).toBe(17);
    expect(b.readUInt32LE(0)).toBe(now / 1000);
    expect(id).toMatch(/^[A-Za-z0-9_-]{23}$/);
  });

  it('SSE JSON writes a space after each key colon only', () => {
    expect(sseJson({ a: [{ b: 1, c: 'x: y' }], d: null })).toBe('{"a": [{"b": 1,"c": "x: y"}],"d": null}');
  });
});

describe('embeddings and models', () => {
  it('embeds deterministically, unit length, float32 digits', () => {
    const a = embedValues('embedding-001', 'hello world', 768);
    expect(a).toEqual(embedValues('embedding-001', 'hello world', 768));
    expect(a).not.toEqual(embedValues('embedding-001', 'goodbye world', 768));
    expect(Math.abs(Math.sqrt(a.reduce((s, v) => s + v * v, 0)) - 1)).toBeLessThan(1e-4);
    for (const v of a.slice(0, 50)) expect(Math.fround(v)).toBe(Math.fround(Number(String(v))));
    expect(a.every((v) => String(v).replace(/^-?0\.0*/, '').length <= 9)).toBe(true);
  });

  it('pages the model list with tokens that resume after the last model', () => {
    const first = listModelsResponse('5', undefined);
    const names = (first?.['models'] as { name: string }[]).map((m) => m.name);
    expect(names).toHaveLength(5);
    const next = listModelsResponse('5', first?.['nextPageToken'] as string);
    expect((next?.['models'] as { name: string }[])[0]?.name).toBe(`models/${GEMINI_MODELS[5]?.id}`);
    const all = listModelsResponse(undefined, undefined);
    expect((all?.['models'] as unknown[]).length).toBe(GEMINI_MODELS.length);
    expect(all?.['nextPageToken']).toBeUndefined();
    expect(listModelsResponse('5', 'garbage!!')).toBeNull();
  });
});

describe('errors, headers, keys', () => {
  it('every registry entry renders Google\'s shape', () => {
    for (const code of Object.keys(GEMINI_ERRORS) as (keyof typeof GEMINI_ERRORS)[]) {
      const e = geminiErrorObject(code, ['a', 'b', 'c', 'd'])['error'] as Record<string, unknown>;
      expect(Object.keys(e).slice(0, 3)).toEqual(['code', 'message', 'status']);
      expect(e['code']).toBe(GEMINI_ERRORS[code].status);
      expect(String(e['message'])).not.toMatch(/\{\d\}/);
    }
    const inv = geminiErrorObject('api_key_invalid')['error'] as { details: { reason?: string; '@type': string }[] };
    expect(inv.details[0]).toMatchObject({ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com' });
    const quota = geminiErrorObject('quota_minute', ['m', '10', 'gemini-2.5-flash', '3.5s'], { quota: { metric: 'm', quotaId: 'q', model: 'gemini-2.5-flash', value: '10', retrySeconds: 3.5 } })['error'] as { details: Record<string, unknown>[] };
    expect(quota.details.at(-1)).toEqual({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '3s' });
    expect(notFoundPage('/v1beta/<script>')).not.toContain('<script>');
  });

  it('front-end headers in the recorded spelling', () => {
    const h = geminiHeaders({ contentType: 'application/json; charset=UTF-8', gzip: true, durMs: 408 });
    expect(h.filter((_, i) => i % 2 === 0)).toEqual(['Content-Type', 'Vary', 'Vary', 'Vary', 'Content-Encoding', 'Date', 'Server', 'X-XSS-Protection', 'X-Frame-Options', 'X-Content-Type-Options', 'Server-Timing', 'Alt-Svc', 'Transfer-Encoding']);
    expect(h[h.indexOf('Server-Timing') + 1]).toBe('gfet4t7; dur=408');
  });

  it('mints AIzaSy keys the scanners match, 39 characters, masked as AIza…last4', () => {
    const gitleaks = /\b(AIza[0-9A-Za-z\\\-_]{35})(?:['"\s\x60;]|$)/;
    for (let i = 0; i < 200; i++) {
      const key = mintGeminiKey();
      expect(key).toMatch(/^AIzaSy[A-D][A-Za-z0-9_-]{31}[AEIMQUYcgkosw048]$/);
      expect(gitleaks.test(`GEMINI_API_KEY=${key}\n`)).toBe(true);
      expect(shannonEntropy(key.slice(4))).toBeGreaterThanOrEqual(4);
      expect(detectKeyFormat(key)).toBe('gemini');
      expect(Buffer.from(Buffer.from(key, 'base64url')).toString('base64url')).toBe(key);
      expect(maskKey(key)).toBe(`AIza${'*'.repeat(31)}${key.slice(-4)}`);
    }
    expect(mintKey('gemini').key).toHaveLength(39);
  });

  it('personas are stable per key and differ between keys', () => {
    const a = geminiPersona('a'.repeat(64));
    expect(geminiPersona('a'.repeat(64))).toMatchObject({ projectNumber: a.projectNumber, projectId: a.projectId, tier: a.tier });
    expect(geminiPersona('b'.repeat(64)).projectNumber).not.toBe(a.projectNumber);
    expect(a.projectId).toMatch(/^gen-lang-client-0\d{9}$/);
    expect(a.limitsFor(PRO).rpm).toBeLessThan(a.limitsFor(FLASH).rpm + 1);
  });
});

describe('lure prompt and the OpenAI-compatible shape', () => {
  it('puts the lure prompt first in the system instruction, in the client\'s spelling', () => {
    const b = { contents: [], system_instruction: { parts: [{ text: 'client rules' }] } };
    const out = injectGeminiPrompt('generate', b, 'LURE').body;
    expect(out['system_instruction']).toEqual({ parts: [{ text: 'LURE' }, { text: 'client rules' }] });
    expect(out['systemInstruction']).toBeUndefined();
    expect(b.system_instruction.parts).toHaveLength(1);
    expect(injectGeminiPrompt('generate', { contents: [] }, 'LURE').body['systemInstruction']).toEqual({ parts: [{ text: 'LURE' }] });
    expect(injectGeminiPrompt('compat-chat', { messages: [{ role: 'user', content: 'x' }] }, 'LURE').body['messages']).toEqual([{ role: 'system', content: 'LURE' }, { role: 'user', content: 'x' }]);
  });

  it('maps an OpenAI chat body onto a GenerateContentRequest', () => {
    const g = chatToGenerate({ model: 'gemini-2.5-flash', max_tokens: 5, messages: [{ role: 'system', content: 'S' }, { role: 'user', content: 'U' }, { role: 'assistant', content: 'A' }], response_format: { type: 'json_object' } }, FLASH);
    expect(g).toMatchObject({ contents: [{ role: 'user', parts: [{ text: 'U' }] }, { role: 'model', parts: [{ text: 'A' }] }], systemInstruction: { parts: [{ text: 'S' }] }, generationConfig: { maxOutputTokens: 5, responseMimeType: 'application/json' } });
    expect(sortedJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"y":2,"z":1}]},"b":1}');
  });
});
