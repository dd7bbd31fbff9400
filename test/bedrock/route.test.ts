/**
 * Bedrock Runtime routing (wire-spec B1): operations, percent-encoded model ids, inference
 * profiles, ARNs, family detection, catalog resolution, and hostile paths.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CATALOG, detectFamily } from '../../src/providers/bedrock/models.js';
import { decodeSegment, MAX_PATH_LENGTH, parseBedrockPath, parseModelRef, resolveModel } from '../../src/providers/bedrock/route.js';

function route(url: string, method = 'POST') {
  const r = parseBedrockPath(method, url);
  if (!r.ok) throw new Error(`not routed: ${url}`);
  return r.route;
}

describe('operations', () => {
  it.each([
    ['converse', 'Converse'],
    ['converse-stream', 'ConverseStream'],
    ['invoke', 'InvokeModel'],
    ['invoke-with-response-stream', 'InvokeModelWithResponseStream'],
    ['count-tokens', 'CountTokens'],
  ])('/model/x/%s → %s', (op, name) => {
    expect(route(`/model/amazon.nova-micro-v1%3A0/${op}`).operation).toBe(name);
  });

  it('unknown operations, methods and shapes → UnknownOperation', () => {
    for (const [m, u] of [
      ['GET', '/model/amazon.nova-micro-v1%3A0/converse'],
      ['POST', '/model/amazon.nova-micro-v1%3A0/chat'],
      ['POST', '/model//converse'],
      ['POST', '/model/a/b/converse'],
      ['POST', '/models/a/converse'],
      ['POST', '/'],
      ['POST', 'model/a/converse'],
      ['POST', '/model/a/converse/extra'],
      ['POST', '/model/arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.x/converse'],
    ] as const) {
      expect(parseBedrockPath(m, u)).toEqual({ ok: false, error: 'UnknownOperation' });
    }
  });

  it('dot segments are resolved before routing, never into a model id', () => {
    expect(parseBedrockPath('POST', '/model/../converse')).toEqual({ ok: false, error: 'UnknownOperation' });
    expect(parseBedrockPath('POST', '/x/../model/a.b/converse')).toMatchObject({ ok: true, route: { modelId: 'a.b' } });
    expect(parseBedrockPath('POST', '/model/%2e%2e/converse')).toEqual({ ok: false, error: 'UnknownOperation' });
    expect(parseBedrockPath('POST', '/model/./a.b/converse')).toMatchObject({ ok: true });
  });

  it('the query string is kept apart', () => {
    expect(route('/model/a.b/converse?x=1')).toMatchObject({ modelId: 'a.b', query: 'x=1' });
  });
});

describe('model ids', () => {
  it('decodes %3A and %2F as the SDKs send them', () => {
    expect(route('/model/us.amazon.nova-micro-v1%3A0/converse')).toMatchObject({ rawModelId: 'us.amazon.nova-micro-v1%3A0', modelId: 'us.amazon.nova-micro-v1:0' });
    const arn = 'arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-haiku-20240307-v1:0';
    const r = route(`/model/${encodeURIComponent(arn)}/invoke`);
    expect(r.modelId).toBe(arn);
    expect(r.invalid).toBeUndefined();
    expect(route('/model/us.amazon.nova-micro-v1:0/converse').modelId).toBe('us.amazon.nova-micro-v1:0');
  });

  it('double encoding stays encoded and fails the member pattern (after auth)', () => {
    const r = route('/model/us.amazon.nova-micro-v1%253A0/converse');
    expect(r.modelId).toBe('us.amazon.nova-micro-v1%3A0');
    expect(r.invalid?.code).toBe('ConstraintViolation');
    expect(r.invalid?.message).toMatch(/^1 validation error detected: Value 'us\.amazon\.nova-micro-v1%3A0' at 'modelId' failed to satisfy constraint: Member must satisfy regular expression pattern: /);
  });

  it('overlong ids get the length constraint', () => {
    const r = route(`/model/${'a'.repeat(2049)}/converse`);
    expect(r.invalid?.message).toBe(`1 validation error detected: Value '${'a'.repeat(2049)}' at 'modelId' failed to satisfy constraint: Member must have length less than or equal to 2048`);
    expect(route(`/model/${'a'.repeat(2048)}/converse`).invalid).toBeUndefined();
    expect(parseBedrockPath('POST', `/model/${'a'.repeat(MAX_PATH_LENGTH)}/converse`)).toEqual({ ok: false, error: 'UnknownOperation' });
  });

  it('bad escapes and bad UTF-8 are refused', () => {
    expect(decodeSegment('%E2%82')).toBeNull();
    expect(decodeSegment('%FF')).toBeNull();
    expect(decodeSegment('%G1')).toBeNull();
    expect(decodeSegment('a%4')).toBeNull();
    expect(decodeSegment('caf%C3%A9')).toBe('café');
    expect(route('/model/%FF/converse').invalid?.code).toBe('ConstraintViolation');
    expect(route('/model/a%00b/converse').invalid?.code).toBe('ConstraintViolation');
    expect(route('/model/caf%C3%A9/converse').invalid?.code).toBe('ConstraintViolation');
  });

  it('property: any path is routed or refused, never thrown', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.constantFrom('POST', 'GET', 'PUT'), (s, m) => {
        const r = parseBedrockPath(m, `/model/${s}/converse`);
        return r.ok ? typeof r.route.modelId === 'string' : r.error === 'UnknownOperation';
      }),
      { numRuns: 500 },
    );
  });
});

describe('families and references', () => {
  it.each([
    ['anthropic.claude-3-haiku-20240307-v1:0', 'anthropic'],
    ['amazon.titan-text-express-v1', 'titan-text'],
    ['amazon.titan-tg1-large', 'titan-text'],
    ['amazon.titan-embed-text-v2:0', 'titan-embed'],
    ['amazon.nova-pro-v1:0', 'nova'],
    ['meta.llama3-1-8b-instruct-v1:0', 'llama'],
    ['mistral.mistral-7b-instruct-v0:2', 'mistral'],
    ['mistral.mistral-large-2402-v1:0', 'mistral'],
    ['mistral.mistral-large-2407-v1:0', 'mistral-chat'],
    ['mistral.mistral-large-2411-v1:0', 'mistral-chat'],
    ['cohere.command-text-v14', 'cohere-command'],
    ['cohere.command-r-v1:0', 'cohere-command-r'],
    ['cohere.embed-multilingual-v3', 'cohere-embed'],
    ['ai21.j2-mid-v1', 'ai21-j2'],
    ['ai21.jamba-1-5-large-v1:0', 'ai21-jamba'],
    ['deepseek.r1-v1:0', 'unknown'],
  ])('%s → %s', (id, family) => {
    expect(detectFamily(id)).toBe(family);
  });

  it('profiles and ARNs point at their foundation model', () => {
    expect(parseModelRef('us.anthropic.claude-3-haiku-20240307-v1:0')).toEqual({ kind: 'inference-profile', baseModelId: 'anthropic.claude-3-haiku-20240307-v1:0', family: 'anthropic', geo: 'us' });
    expect(parseModelRef('global.anthropic.claude-sonnet-4-5-20250929-v1:0')).toMatchObject({ geo: 'global', family: 'anthropic' });
    expect(parseModelRef('apac.amazon.nova-lite-v1:0')).toMatchObject({ geo: 'apac', family: 'nova' });
    expect(parseModelRef('arn:aws:bedrock:us-east-1::foundation-model/meta.llama3-70b-instruct-v1:0')).toMatchObject({ kind: 'foundation-model', family: 'llama', arnRegion: 'us-east-1' });
    expect(parseModelRef('arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.amazon.nova-pro-v1:0')).toMatchObject({ kind: 'inference-profile', geo: 'eu', arnAccount: '123456789012' });
    expect(parseModelRef('arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6')).toMatchObject({ kind: 'application-inference-profile', baseModelId: null });
  });

  it('every catalog id routes, resolves in us-east-1 via a profile or on demand', () => {
    for (const m of CATALOG) {
      const id = m.onDemand ? m.id : `${m.profiles.includes('us') ? 'us' : 'global'}.${m.id}`;
      const r = route(`/model/${encodeURIComponent(id)}/invoke`);
      expect(r.invalid).toBeUndefined();
      expect(resolveModel(r.modelId, 'us-east-1', 'InvokeModel')).toMatchObject({ ok: true, model: { id: m.id } });
    }
  });

  it('resolution refusals in the service words', () => {
    expect(resolveModel('us.amazon.nova-micro-v1:O', 'us-east-1', 'Converse')).toMatchObject({ ok: false, error: 'ModelIdentifierInvalid' });
    expect(resolveModel('eu.amazon.nova-micro-v1:0', 'us-east-1', 'Converse')).toMatchObject({ ok: false, error: 'ModelIdentifierInvalid' });
    expect(resolveModel('global.anthropic.claude-3-haiku-20240307-v1:0', 'us-east-1', 'Converse')).toMatchObject({ ok: false, error: 'ModelIdentifierInvalid' });
    expect(resolveModel('arn:aws:bedrock:eu-west-1::foundation-model/amazon.nova-micro-v1:0', 'us-east-1', 'Converse')).toMatchObject({ ok: false, error: 'ModelIdentifierInvalid' });
    expect(resolveModel('arn:aws:bedrock:us-east-1:111111111111:inference-profile/us.amazon.nova-micro-v1:0', 'us-east-1', 'Converse', '222222222222')).toMatchObject({ ok: false, error: 'ModelIdentifierInvalid' });
    expect(resolveModel('anthropic.claude-sonnet-4-20250514-v1:0', 'us-east-1', 'Converse')).toMatchObject({
      ok: false,
      error: 'OnDemandUnsupported',
      message: 'Invocation of model ID anthropic.claude-sonnet-4-20250514-v1:0 with on-demand throughput isn’t supported. Retry your request with the ID or ARN of an inference profile that contains this model.',
    });
    expect(resolveModel('ai21.j2-mid-v1', 'us-east-1', 'InvokeModelWithResponseStream')).toMatchObject({ ok: false, error: 'StreamingUnsupported' });
    expect(resolveModel('amazon.titan-embed-text-v2:0', 'us-east-1', 'Converse')).toMatchObject({ ok: false, error: 'ConverseUnsupported' });
    expect(resolveModel('amazon.nova-micro-v1:0', 'xx-nowhere-1', 'Converse')).toMatchObject({ ok: false, error: 'ModelIdentifierInvalid' });
  });
});
