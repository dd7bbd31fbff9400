/**
 * The verified-JWT cache: a repeated token is not verified again, yet the cache never outlives the
 * token (exp) nor `verified_cache`, keeps only successes, and is keyed by audience too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oauthSchema } from '../../src/providers/tool/config.js';
import { OAuthVerifier } from '../../src/providers/tool/oauth.js';
import { startIssuer, type TestIssuer } from './helpers/issuer.js';

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await startIssuer();
});
afterAll(() => issuer.close());

// the JWKS itself is re-fetched on every verification here, so only the verified cache can remember a key
const verifier = (window: string): OAuthVerifier =>
  new OAuthVerifier(
    oauthSchema.parse({ issuer: issuer.issuer, jwks_uri: `${issuer.url}/jwks`, clock_tolerance: '0s', verified_cache: window, jwks_cache: '0s', jwks_cooldown: '0s' }),
  );

describe('verified JWT cache', () => {
  it('a cached token still stops at its own exp', async () => {
    const v = verifier('60s');
    const token = await issuer.sign({ sub: 'alice', aud: 'r' }, { expiresIn: Math.floor(Date.now() / 1000) + 2 });
    expect((await v.verify(token, ['r'])).ok).toBe(true);
    expect((await v.verify(token, ['r'])).ok).toBe(true);
    await new Promise((r) => setTimeout(r, 2100));
    const late = await v.verify(token, ['r']);
    expect(late.ok).toBe(false);
  });

  it('a token whose key left the JWKS is accepted within the window only; 0 disables the cache', async () => {
    for (const [window, expectOk] of [
      ['30s', true],
      ['0s', false],
    ] as const) {
      const key = await issuer.newKey();
      issuer.keys = [key, ...issuer.keys];
      const v = verifier(window);
      const token = await issuer.sign({ sub: 'bob', aud: 'r' }, { key, expiresIn: '1h' });
      expect((await v.verify(token, ['r'])).ok).toBe(true);
      // the key is withdrawn; a fresh verifier would refuse the token now
      issuer.keys = issuer.keys.filter((k) => k !== key);
      expect((await verifier('0s').verify(token, ['r'])).ok).toBe(false);
      expect((await v.verify(token, ['r'])).ok).toBe(expectOk);
    }
  });

  it('caches successes only, and per audience', async () => {
    const v = verifier('60s');
    const token = await issuer.sign({ sub: 'carol', aud: 'r1' }, { expiresIn: '1h' });
    expect((await v.verify(token, ['r2'])).ok).toBe(false);
    expect((await v.verify(token, ['r1'])).ok).toBe(true);
    expect((await v.verify(token, ['r2'])).ok).toBe(false);
  });
});
