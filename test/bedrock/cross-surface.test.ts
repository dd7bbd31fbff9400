/**
 * One pipeline, one store, two surfaces: a lure threshold crossed on the Bedrock surface blocks the
 * client on the OpenAI surface too (and the other way round), and a rate limit keyed by ip counts
 * requests from both surfaces together.
 */
import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { LURE, LURE_TEXT, VALID } from './harness.js';

const OPENAI_VALID = 'sk-proj-ValidKeyCrossSurface0123456789abcdefghijklmnopqrstuvwxyzT3BlbkFJab';
const OPENAI_LURE = 'sk-proj-LureKeyCrossSurface0123456789abcdefghijklmnopqrstuvwxyzT3BlbkFJabc';

let g: TestGateway | undefined;
afterEach(async () => {
  await g?.close();
  g = undefined;
});

function base(extra: Record<string, unknown>): Record<string, unknown> {
  return {
    lure_defaults: { realistic_timing: false },
    keys: [
      { name: 'openai-valid', key: OPENAI_VALID, class: 'valid' },
      { name: 'openai-lure', key: OPENAI_LURE, class: 'lure', max_requests: 2 },
    ],
    aws_keys: [
      { name: 'aws-lure', class: 'lure', access_key_id: LURE.accessKeyId, secret_access_key: LURE.secretAccessKey, reply: LURE_TEXT, max_requests: 2 },
      { name: 'aws-valid', class: 'valid', access_key_id: VALID.accessKeyId, secret_access_key: VALID.secretAccessKey },
    ],
    ...extra,
  };
}

async function bedrock(gw: TestGateway, creds: { accessKeyId: string; secretAccessKey: string }): Promise<{ ok: boolean; name?: string; status?: number | undefined; message?: string }> {
  const c = new BedrockRuntimeClient({ region: 'us-east-1', endpoint: gw.url, credentials: creds, maxAttempts: 1 });
  try {
    const out = await c.send(new ConverseCommand({ modelId: 'us.amazon.nova-micro-v1:0', messages: [{ role: 'user', content: [{ text: 'hi' }] }] }));
    return { ok: out.output?.message?.content?.[0]?.text !== undefined };
  } catch (e: unknown) {
    const err = e as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { ok: false, name: err.name, status: err.$metadata?.httpStatusCode, message: err.message };
  } finally {
    c.destroy();
  }
}

async function openai(gw: TestGateway, key: string): Promise<{ status: number; code: unknown }> {
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
  });
  const body = (await res.json()) as { error?: { code?: unknown } };
  return { status: res.status, code: body.error?.code ?? null };
}

const THROTTLED = { ok: false, name: 'ThrottlingException', status: 429, message: 'Too many requests, please wait before trying again.' };

describe('lure threshold → block, on both surfaces', () => {
  it('crossed on Bedrock: the lure persona is out of quota; the same client\'s other keys, on either surface, are not tied to it', async () => {
    g = await startTestGateway(base({}));
    expect(await openai(g, OPENAI_VALID)).toEqual({ status: 200, code: null });
    expect((await bedrock(g, LURE)).ok).toBe(true);
    expect((await bedrock(g, LURE)).ok).toBe(true);
    expect(await bedrock(g, LURE)).toEqual(THROTTLED); // the third crosses max_requests: 2
    expect(await bedrock(g, LURE)).toEqual(THROTTLED); // and the persona stays exhausted
    expect((await bedrock(g, VALID)).ok).toBe(true); // another key from the same address is served
    expect(await openai(g, OPENAI_VALID)).toEqual({ status: 200, code: null });
    const events = await g.waitForEvents(6);
    expect(events.map((e) => [e.honeygate.surface, e.honeygate.verdict?.action, e.honeygate.verdict?.reason])).toEqual([
      ['openai', 'forward', 'valid_key'],
      ['bedrock', 'deceive', 'lure_key'],
      ['bedrock', 'deceive', 'lure_key'],
      ['bedrock', 'block', 'lure_threshold'],
      ['bedrock', 'block', 'blocked'],
      ['bedrock', 'forward', 'valid_key'],
      ['openai', 'forward', 'valid_key'],
    ]);
    expect((await g.gateway.state.store.listBlocks()).map((b) => b.subject)).toEqual([expect.stringMatching(/^lure:sha256:[0-9a-f]{16}$/)]);
  });

  it('crossed on OpenAI: the OpenAI lure is out of quota, the AWS keys of the same client are untouched; an admin unblock revives it', async () => {
    g = await startTestGateway(base({}));
    expect((await bedrock(g, VALID)).ok).toBe(true);
    expect((await openai(g, OPENAI_LURE)).status).toBe(200);
    expect((await openai(g, OPENAI_LURE)).status).toBe(200);
    expect(await openai(g, OPENAI_LURE)).toEqual({ status: 429, code: 'insufficient_quota' });
    expect((await bedrock(g, VALID)).ok).toBe(true);
    expect((await bedrock(g, LURE)).ok).toBe(true);
    const [block] = await g.gateway.state.store.listBlocks();
    expect(block?.subject).toMatch(/^lure:sha256:/);
    await g.gateway.state.store.unblock(block?.subject ?? '');
    expect((await openai(g, OPENAI_LURE)).status).toBe(200);
  });
});

describe('a rate limit keyed by ip is shared between the surfaces', () => {
  it('3 per minute: two OpenAI and one Bedrock pass, the fourth is refused on either surface', async () => {
    g = await startTestGateway(base({ limits: { rules: [{ name: 'per-ip', by: 'ip', limit: 3, window: '1m' }] } }));
    expect((await openai(g, OPENAI_VALID)).status).toBe(200);
    expect((await bedrock(g, VALID)).ok).toBe(true);
    expect((await openai(g, OPENAI_VALID)).status).toBe(200);
    expect(await bedrock(g, VALID)).toEqual(THROTTLED);
    expect(await openai(g, OPENAI_VALID)).toEqual({ status: 429, code: 'rate_limit_exceeded' });
    const events = await g.waitForEvents(5);
    expect(events.slice(3).map((e) => [e.honeygate.surface, e.honeygate.verdict?.reason])).toEqual([
      ['bedrock', 'rate_limited'],
      ['openai', 'rate_limited'],
    ]);
  });

  it('a rate limit by key counts per access key id (its fingerprint), not per ip', async () => {
    g = await startTestGateway(base({ limits: { rules: [{ name: 'per-key', by: 'key', limit: 1, window: '1m' }] } }));
    expect((await bedrock(g, VALID)).ok).toBe(true);
    expect(await bedrock(g, VALID)).toEqual(THROTTLED);
    expect((await bedrock(g, LURE)).ok).toBe(true);
    expect((await openai(g, OPENAI_VALID)).status).toBe(200);
  });
});
