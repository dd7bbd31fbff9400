/**
 * A rate-limit 429 tells one story: the x-ratelimit-* head (limit, remaining, reset), Retry-After and
 * the body's "Limit N, Used N … try again in Xs" agree. (Bedrock's ThrottlingException carries no
 * numbers; the tool route's 429 is covered in test/tool.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintOpenAIKey } from '../../src/deception/keygen.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const VALID = mintOpenAIKey('project');

describe('OpenAI rate-limit 429', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({
      lure_defaults: { realistic_timing: false },
      keys: [{ name: 'v', key: VALID, class: 'valid', upstream: 'decoy' }],
      limits: { rules: [{ name: 'per-ip', by: 'ip', limit: 3, window: '1m' }] },
    });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('head and body agree', async () => {
    let res: Response | undefined;
    for (let i = 0; i < 4; i++) res = await fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${VALID}` } });
    expect(res?.status).toBe(429);
    const body = (await res!.json()) as { error: { message: string } };
    const m = /Limit (\d+), Used (\d+), Requested 1\. Please try again in (\d+)s\./.exec(body.error.message);
    expect(m, body.error.message).not.toBeNull();
    const [, limit, used, seconds] = m as RegExpExecArray;
    expect(limit).toBe('3');
    expect(used).toBe(limit);
    const h = res!.headers;
    expect(h.get('retry-after')).toBe(seconds);
    expect(h.get('x-ratelimit-limit-requests')).toBe(limit);
    expect(h.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(h.get('x-ratelimit-reset-requests')).toMatch(new RegExp(`^(${seconds}s|\\d+m${Number(seconds) % 60}s)$`));
  });
});
