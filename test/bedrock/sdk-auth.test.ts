/**
 * Authentication failures seen through the official SDK (wire-spec B4, B5): each refusal must
 * reach the caller as the exception the real service produces, and be recorded as such.
 */
import { AccessDeniedException, BedrockRuntimeClient, ConverseCommand, type BedrockRuntimeClientConfig } from '@aws-sdk/client-bedrock-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BEARER_LURE, LURE, LURE_TEXT, STRANGER, startHarness, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

const converse = new ConverseCommand({ modelId: 'us.amazon.nova-micro-v1:0', messages: [{ role: 'user', content: [{ text: 'hello' }] }] });

function client(over: Partial<BedrockRuntimeClientConfig> = {}): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    region: 'us-east-1',
    endpoint: h.h2url,
    credentials: { accessKeyId: LURE.accessKeyId, secretAccessKey: LURE.secretAccessKey },
    maxAttempts: 1,
    ...over,
  });
}

async function failure(c: BedrockRuntimeClient): Promise<{ name: string; message: string; status: number | undefined; error: unknown }> {
  try {
    await c.send(converse);
  } catch (e: unknown) {
    const err = e as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: err.name, message: err.message, status: err.$metadata?.httpStatusCode, error: e };
  } finally {
    c.destroy();
  }
  throw new Error('the request was accepted');
}

describe('SigV4 refusals through the SDK', () => {
  it('an unknown access key id → UnrecognizedClientException 403', async () => {
    const f = await failure(client({ credentials: { accessKeyId: STRANGER.accessKeyId, secretAccessKey: STRANGER.secretAccessKey } }));
    expect(f).toMatchObject({ name: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.', status: 403 });
    expect(await h.last()).toMatchObject({ keyClass: 'invalid', reason: 'invalid_key' });
  });

  it('the right key id with a wrong secret → InvalidSignatureException 403', async () => {
    const f = await failure(client({ credentials: { accessKeyId: LURE.accessKeyId, secretAccessKey: STRANGER.secretAccessKey } }));
    expect(f.name).toBe('InvalidSignatureException');
    expect(f.status).toBe(403);
    expect(f.message).toMatch(/^The request signature we calculated does not match the signature you provided\./);
    expect(f.message).toContain('The Canonical String for this request should have been');
  });

  it('a client clock 10 minutes slow → InvalidSignatureException "Signature expired"', async () => {
    const f = await failure(client({ systemClockOffset: -10 * 60_000 }));
    expect(f.name).toBe('InvalidSignatureException');
    expect(f.message).toMatch(/^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 5 min\.\)$/);
  });

  it('a client clock 10 minutes fast → "Signature not yet current"', async () => {
    const f = await failure(client({ systemClockOffset: 10 * 60_000 }));
    expect(f.message).toMatch(/^Signature not yet current: \d{8}T\d{6}Z is still later than \d{8}T\d{6}Z \(\d{8}T\d{6}Z \+ 5 min\.\)$/);
  });

  it('a scope for the wrong service (bedrock-runtime) → InvalidSignatureException with the exact text', async () => {
    // the SDK's signing name is fixed by its endpoint rules; rewrite the scope after signing
    const c = client();
    c.middlewareStack.add(
      (next) => async (args) => {
        const req = args.request as { headers: Record<string, string> };
        req.headers['authorization'] = (req.headers['authorization'] ?? '').replace('/bedrock/aws4_request', '/bedrock-runtime/aws4_request');
        return next(args);
      },
      { step: 'finalizeRequest', priority: 'low', name: 'rescope' },
    );
    const f = await failure(c);
    expect(f).toMatchObject({ name: 'InvalidSignatureException', message: "Credential should be scoped to correct service: 'bedrock'. ", status: 403 });
  });

  it('a region the endpoint does not serve → InvalidSignatureException', async () => {
    const f = await failure(client({ region: 'xx-nowhere-9' }));
    expect(f).toMatchObject({ name: 'InvalidSignatureException', status: 403 });
  });

  it('no Authorization at all → AccessDeniedException "Authorization header is missing"', async () => {
    const c = client();
    c.middlewareStack.add(
      (next) => async (args) => {
        const req = args.request as { headers: Record<string, string> };
        delete req.headers['authorization'];
        return next(args);
      },
      { step: 'finalizeRequest', priority: 'low', name: 'dropAuthorization' },
    );
    const f = await failure(c);
    expect(f.error).toBeInstanceOf(AccessDeniedException);
    expect(f).toMatchObject({ message: 'Authorization header is missing', status: 403 });
    expect(await h.last()).toMatchObject({ keyClass: 'missing', reason: 'missing_key' });
  });
});

describe('Bedrock API keys through the SDK', () => {
  it('a lure long-term key (Bearer ABSK…) is answered by the decoy', async () => {
    const c = client({ token: { token: BEARER_LURE }, authSchemePreference: ['httpBearerAuth'] });
    const out = await c.send(converse);
    expect(out.output?.message?.content?.[0]?.text).toBe(LURE_TEXT);
    expect(await h.last()).toMatchObject({ keyName: 'bearer-lure', keyClass: 'lure', reason: 'lure_key' });
    c.destroy();
  });

  it('an unknown key → AccessDeniedException "Authentication failed…"', async () => {
    const bad = `ABSK${Buffer.from('BedrockAPIKey-zz-at-111122223333:nope').toString('base64')}`;
    const f = await failure(client({ token: { token: bad }, authSchemePreference: ['httpBearerAuth'] }));
    expect(f.error).toBeInstanceOf(AccessDeniedException);
    expect(f.message).toBe('Authentication failed: Please make sure your API Key is valid.');
  });

  it('a key in no Bedrock format → AccessDeniedException "Invalid API Key format…"', async () => {
    const f = await failure(client({ token: { token: 'sk-proj-abcdef' }, authSchemePreference: ['httpBearerAuth'] }));
    expect(f.error).toBeInstanceOf(AccessDeniedException);
    expect(f.message).toBe('Invalid API Key format: Must start with pre-defined prefix');
  });
});
