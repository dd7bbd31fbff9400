/**
 * Lure behaviour on the Bedrock surface beyond the answer itself: a real model's time by default
 * (the answer waits the latency it reports; a stream's head waits the first byte), the tarpit
 * delay, canaries minted into the reply and traced back when used (an AWS key id from a decoy
 * answer presented to the gateway), and the same answers over HTTP/1.1 (the SDK's NodeHttpHandler,
 * as botocore and the CLI speak).
 */
import { BedrockRuntimeClient, ConverseCommand, ConverseStreamCommand, InvokeModelCommand } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { LURE, STRANGER } from './harness.js';

let g: TestGateway | undefined;
afterEach(async () => {
  await g?.close();
  g = undefined;
});

const lureKey = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: 'aws-lure',
  class: 'lure',
  access_key_id: LURE.accessKeyId,
  secret_access_key: LURE.secretAccessKey,
  max_requests: 1000,
  ...extra,
});

function client(gw: TestGateway, over: Record<string, unknown> = {}): BedrockRuntimeClient {
  return new BedrockRuntimeClient({ region: 'us-east-1', endpoint: gw.url, credentials: LURE, maxAttempts: 1, ...over });
}

const hello = { role: 'user' as const, content: [{ text: 'hello' }] };

describe('realistic timing (the default)', () => {
  it('Converse arrives after the latency it reports; a stream’s first event comes before its end', async () => {
    g = await startTestGateway({ aws_keys: [lureKey({ reply: 'A reply of a reasonable length, so that the model would take a while to write it out.' })] });
    const c = client(g);
    const t0 = performance.now();
    const out = await c.send(new ConverseCommand({ modelId: 'us.amazon.nova-micro-v1:0', messages: [hello] }));
    const took = performance.now() - t0;
    const latency = out.metrics?.latencyMs ?? 0;
    expect(latency).toBeGreaterThan(150);
    expect(took).toBeGreaterThanOrEqual(latency - 5);
    const s0 = performance.now();
    const s = await c.send(new ConverseStreamCommand({ modelId: 'us.amazon.nova-micro-v1:0', messages: [hello] }));
    let first = 0;
    for await (const e of s.stream ?? []) {
      if (first === 0) first = performance.now() - s0;
      void e;
    }
    const whole = performance.now() - s0;
    expect(first).toBeGreaterThan(150); // the head waits for the first byte
    expect(whole - first).toBeGreaterThan(100); // and the frames are spread over the rest
    c.destroy();
  });

  it('realistic_timing: false answers at once; response_delay holds every answer back', async () => {
    g = await startTestGateway({ aws_keys: [lureKey({ realistic_timing: false, response_delay: '300ms' })] });
    const c = client(g);
    const t0 = performance.now();
    const out = await c.send(new ConverseCommand({ modelId: 'us.amazon.nova-micro-v1:0', messages: [hello] }));
    const took = performance.now() - t0;
    expect(took).toBeGreaterThanOrEqual(295);
    expect(took).toBeLessThan((out.metrics?.latencyMs ?? 0) + 295);
    c.destroy();
  });
});

describe('canaries', () => {
  it('an AWS key minted into a decoy answer and then used is traced back to the request that minted it', async () => {
    g = await startTestGateway({
      lure_defaults: { realistic_timing: false },
      public_url: 'https://llm-gw.example.com',
      aws_keys: [lureKey({ reply: 'Use the deploy user: {{canary:aws_credentials}} and the runbook at {{canary:url}}.' })],
    });
    const c = client(g);
    const out = await c.send(new ConverseCommand({ modelId: 'us.amazon.nova-micro-v1:0', messages: [hello] }));
    const text = out.output?.message?.content?.[0]?.text ?? '';
    c.destroy();
    const id = /aws_access_key_id = (A[KS]IA[A-Z2-7]{16})/.exec(text)?.[1];
    const secret = /aws_secret_access_key = (\S+)/.exec(text)?.[1];
    expect(id).toBeDefined();
    expect(text).toMatch(/https:\/\/llm-gw\.example\.com\/c\/\S+/);
    const [minted] = await g.waitForEvents(1);
    expect(minted?.honeygate.lure?.canaries?.length).toBe(2);
    // the thief tries the stolen pair against honeygate
    const thief = new BedrockRuntimeClient({ region: 'us-east-1', endpoint: g.url, credentials: { accessKeyId: id ?? '', secretAccessKey: secret ?? '' }, maxAttempts: 1 });
    await expect(thief.send(new ConverseCommand({ modelId: 'us.amazon.nova-micro-v1:0', messages: [hello] }))).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
    thief.destroy();
    const until = Date.now() + 3000;
    while (!g.events.some((e) => e.event.dataset === 'honeygate.canary') && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    const hit = g.events.find((e) => e.event.dataset === 'honeygate.canary');
    expect(hit?.honeygate).toMatchObject({ surface: 'bedrock', canary: { kind: 'aws_key', via: 'api_key', minted_by: minted?.event.id } });
  });

  it('an unknown key id that is no canary produces no canary event', async () => {
    g = await startTestGateway({ lure_defaults: { realistic_timing: false }, aws_keys: [lureKey()] });
    const c = new BedrockRuntimeClient({ region: 'us-east-1', endpoint: g.url, credentials: STRANGER, maxAttempts: 1 });
    await expect(c.send(new ConverseCommand({ modelId: 'us.amazon.nova-micro-v1:0', messages: [hello] }))).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
    c.destroy();
    await new Promise((r) => setTimeout(r, 100));
    expect(g.events.map((e) => e.event.dataset)).toEqual(['honeygate.request']);
  });
});

describe('HTTP/1.1 (NodeHttpHandler, as botocore and the AWS CLI speak)', () => {
  it('the same decoy answers and refusals', async () => {
    g = await startTestGateway({ lure_defaults: { realistic_timing: false }, aws_keys: [lureKey({ reply: 'over one point one' })] });
    const c = client(g, { requestHandler: new NodeHttpHandler() });
    const out = await c.send(new ConverseCommand({ modelId: 'us.amazon.nova-micro-v1:0', messages: [hello] }));
    expect(out.output?.message?.content?.[0]?.text).toBe('over one point one');
    const s = await c.send(new ConverseStreamCommand({ modelId: 'us.amazon.nova-micro-v1:0', messages: [hello] }));
    let text = '';
    for await (const e of s.stream ?? []) text += e.contentBlockDelta?.delta?.text ?? '';
    expect(text).toBe('over one point one');
    const inv = await c.send(new InvokeModelCommand({ modelId: 'amazon.titan-text-express-v1', body: new TextEncoder().encode(JSON.stringify({ inputText: 'hi' })) }));
    expect(inv.$metadata.httpStatusCode).toBe(200);
    c.destroy();
    const bad = client(g, { requestHandler: new NodeHttpHandler(), credentials: STRANGER });
    await expect(bad.send(new ConverseCommand({ modelId: 'us.amazon.nova-micro-v1:0', messages: [hello] }))).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
    bad.destroy();
    const events = await g.waitForEvents(4);
    // over HTTP/1.1 the response byte count is the connection's
    expect(events[0]?.http?.response.bytes).toBeGreaterThan(100);
  });
});
