import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { apiVersionOf, azureCredential, azureResourceOfHost, isAzureRequest, looksLikeJwt, matchAzureRoute } from '../../src/providers/azure/protocol.js';

describe('Azure routes', () => {
  it('routes the classic data plane with a known api-version', () => {
    expect(matchAzureRoute('POST', '/openai/deployments/gpt-4o/chat/completions?api-version=2024-02-01')).toEqual({
      kind: 'deployment', deployment: 'gpt-4o', operation: 'chat.completions', apiVersion: '2024-02-01',
    });
    expect(matchAzureRoute('POST', '/openai/deployments/emb.v2/embeddings?foo=1&api-version=2023-05-15')).toMatchObject({ kind: 'deployment', deployment: 'emb.v2', operation: 'embeddings' });
    expect(matchAzureRoute('POST', '/openai/deployments/dalle/images/generations?api-version=2024-10-21')).toMatchObject({ operation: 'images.generations' });
    expect(matchAzureRoute('POST', '/openai/deployments/instr/completions?api-version=2024-10-21')).toMatchObject({ operation: 'completions' });
  });

  it('answers a missing version with Resource not found and an unknown one with API version not supported', () => {
    expect(matchAzureRoute('POST', '/openai/deployments/gpt-4o/chat/completions')).toEqual({ kind: 'not_found' });
    expect(matchAzureRoute('POST', '/openai/deployments/gpt-4o/chat/completions?api-version=')).toEqual({ kind: 'bad_version', apiVersion: '' });
    expect(matchAzureRoute('POST', '/openai/deployments/gpt-4o/chat/completions?api-version=2025-04-14')).toEqual({ kind: 'bad_version', apiVersion: '2025-04-14' });
    expect(matchAzureRoute('GET', '/openai/deployments?api-version=1999-01-01')).toEqual({ kind: 'bad_version', apiVersion: '1999-01-01' });
  });

  it('routes the v1 API with an optional latest/preview version', () => {
    expect(matchAzureRoute('POST', '/openai/v1/chat/completions')).toEqual({ kind: 'v1', operation: 'chat.completions' });
    expect(matchAzureRoute('POST', '/openai/v1/responses?api-version=preview')).toEqual({ kind: 'v1', operation: 'responses', apiVersion: 'preview' });
    expect(matchAzureRoute('POST', '/openai/v1/chat/completions?api-version=2025-01-01-preview')).toEqual({ kind: 'bad_version', apiVersion: '2025-01-01-preview' });
    expect(matchAzureRoute('GET', '/openai/v1/models')).toEqual({ kind: 'v1', operation: 'models.list' });
    expect(matchAzureRoute('GET', '/openai/v1/chat/completions')).toEqual({ kind: 'method' });
  });

  it('routes the listings', () => {
    expect(matchAzureRoute('GET', '/openai/deployments?api-version=2022-12-01')).toEqual({ kind: 'deployments.list', apiVersion: '2022-12-01' });
    expect(matchAzureRoute('GET', '/openai/models?api-version=2024-10-21')).toEqual({ kind: 'models.list', apiVersion: '2024-10-21' });
    expect(matchAzureRoute('GET', '/openai/models')).toEqual({ kind: 'not_found' });
    expect(matchAzureRoute('POST', '/openai/models?api-version=2024-10-21')).toEqual({ kind: 'method' });
  });

  it('refuses malformed, oversized and hostile paths as Resource not found', () => {
    for (const url of [
      '/openai/deployments//chat/completions?api-version=2024-02-01',
      '/openai/deployments/%E0%A4%A/chat/completions?api-version=2024-02-01',
      '/openai/deployments/../../etc/passwd?api-version=2024-02-01',
      '/openai/deployments/a%2Fb/chat/completions?api-version=2024-02-01',
      '/openai/deployments/gpt-4o/chat/completions/extra?api-version=2024-02-01',
      '/openai/deployments/gpt-4o/audio/speech?api-version=2024-02-01',
      `/openai/deployments/${'a'.repeat(65)}/chat/completions?api-version=2024-02-01`,
      `/openai/deployments/x/chat/completions?api-version=2024-02-01&pad=${'x'.repeat(3000)}`,
      '/v1/chat/completions',
      '/openai',
    ]) {
      expect(matchAzureRoute('POST', url), url).toEqual({ kind: 'not_found' });
    }
  });

  it('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string(), fc.string({ maxLength: 300 }), (method, url) => {
        const r = matchAzureRoute(method, `/openai/${url}`);
        expect(typeof r.kind).toBe('string');
      }),
      { numRuns: 2000 },
    );
  });

  it('reads api-version from the query, decoded, first occurrence', () => {
    expect(apiVersionOf('api-version=2024-02-01&api-version=x')).toBe('2024-02-01');
    expect(apiVersionOf('a=1&api-version=2024%2D02%2D01')).toBe('2024-02-01');
    expect(apiVersionOf('api-version=%zz')).toBe('%zz');
    expect(apiVersionOf('api-versionx=1')).toBeUndefined();
  });
});

describe('Azure hosts and credentials', () => {
  it('knows the resource hosts', () => {
    expect(azureResourceOfHost('acme-openai-prod.openai.azure.com')).toBe('acme-openai-prod');
    expect(azureResourceOfHost('X.cognitiveservices.azure.com:443')).toBe('x');
    expect(azureResourceOfHost('hub-eastus2.services.ai.azure.com')).toBe('hub-eastus2');
    expect(azureResourceOfHost('a.b.openai.azure.com')).toBeUndefined();
    expect(azureResourceOfHost('openai.azure.com')).toBeUndefined();
    expect(azureResourceOfHost('api.openai.com')).toBeUndefined();
    expect(azureResourceOfHost(undefined)).toBeUndefined();
    expect(isAzureRequest('127.0.0.1:8080', '/openai/deployments')).toBe(true);
    expect(isAzureRequest('acme.openai.azure.com', '/anything')).toBe(true);
    expect(isAzureRequest('127.0.0.1', '/v1/models')).toBe(false);
  });

  it('finds the key in api-key first, then in a bearer token; a JWT is an Entra token', () => {
    expect(azureCredential({ 'api-key': ' abc ' })).toEqual({ kind: 'key', value: 'abc', via: 'api-key' });
    expect(azureCredential({ 'api-key': 'k', authorization: 'Bearer other' })).toEqual({ kind: 'key', value: 'k', via: 'api-key' });
    expect(azureCredential({ authorization: 'Bearer 0123456789abcdef0123456789abcdef' })).toEqual({ kind: 'key', value: '0123456789abcdef0123456789abcdef', via: 'bearer' });
    expect(azureCredential({ authorization: 'bearer eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ4In0.c2ln' })).toMatchObject({ kind: 'entra' });
    expect(azureCredential({ authorization: 'Basic dTpw' })).toEqual({ kind: 'none' });
    expect(azureCredential({ authorization: 'Bearer ' })).toEqual({ kind: 'none' });
    expect(azureCredential({ 'api-key': '' })).toEqual({ kind: 'none' });
    expect(azureCredential({})).toEqual({ kind: 'none' });
    expect(looksLikeJwt('eyJ.a.b.c')).toBe(false);
    expect(looksLikeJwt(`eyJ${'a'.repeat(20000)}.b.c`)).toBe(false);
  });
});
