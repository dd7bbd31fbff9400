/**
 * Key-shaped secrets a client puts in the URL path, the query, the User-Agent or other headers
 * never reach an event raw: they are masked in the provider's style wherever the event records them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintAwsKeyPair, mintOpenAIKey } from '../../src/deception/keygen.js';
import { redactSecrets } from '../../src/events/redact.js';
import { rawRequest, startTestGateway, type TestGateway } from '../helpers/gateway.js';

const OPENAI = mintOpenAIKey('project');
const ANTHROPIC = `sk-ant-api03-${'Q'.repeat(40)}AbCd`;
const AWS = mintAwsKeyPair().accessKeyId;
const GEMINI = `AIzaSy${'G'.repeat(33)}`;
const AZURE = '0123456789abcdef0123456789abcdef';
const BEARER = 'opaque-token-value-123456789';
const ABSK = `ABSK${Buffer.from('BedrockAPIKey-x-at-1234:secretsecret').toString('base64')}`;
const RAW = [OPENAI, ANTHROPIC, AWS, GEMINI, AZURE, BEARER, ABSK];

describe('redactSecrets', () => {
  it('masks every key shape, keeping its prefix and last four', () => {
    // a bearer token has no shape of its own: masked after `Bearer `
    for (const k of RAW.filter((x) => x !== BEARER)) {
      const out = redactSecrets(`x ${k} y`);
      expect(out).not.toContain(k);
      expect(out).toContain(k.slice(-4));
    }
    expect(redactSecrets(`Authorization: Bearer ${BEARER}`)).not.toContain(BEARER);
    expect(redactSecrets(`/v1/${OPENAI}/models`)).toMatch(/^\/v1\/sk-proj-\*+.{4}\/models$/);
  });
  it('leaves ordinary text alone', () => {
    for (const t of ['/v1/chat/completions', 'OpenAI/Python 1.54.0', 'curl/8.5.0', 'gpt-4o-mini-2024-07-18', 'Mozilla/5.0 (X11; Linux x86_64)']) expect(redactSecrets(t)).toBe(t);
  });
});

describe('events never record a raw key from the path, query or headers', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ lure_defaults: { realistic_timing: false } });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('path, query, User-Agent and fingerprint headers', async () => {
    const requests = [
      `GET /v1/${OPENAI}/models?key=${GEMINI}&api-key=${AZURE} HTTP/1.1\r\nHost: x\r\nUser-Agent: probe ${ANTHROPIC} ${AWS}\r\nConnection: close\r\n\r\n`,
      `GET /model/${ABSK}/invoke HTTP/1.1\r\nHost: x\r\nUser-Agent: Bearer ${BEARER}\r\nX-Stainless-Lang: python\r\nX-Stainless-OS: ${OPENAI}\r\nX-Stainless-Runtime: ${AWS}\r\nConnection: close\r\n\r\n`,
    ];
    for (const r of requests) await rawRequest(gw.url, r);
    const events = await gw.waitForEvents(2);
    const text = JSON.stringify(events);
    expect(events.length).toBeGreaterThanOrEqual(2);
    for (const k of RAW) expect(text).not.toContain(k);
    expect(text).toContain(`${OPENAI.slice(0, 8)}`);
  });
});
