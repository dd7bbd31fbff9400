import { createHmac, timingSafeEqual } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { EventBus } from '../../src/events/bus.js';
import { webhookConfigSchema } from '../../src/events/config.js';
import type { GatewayEvent } from '../../src/events/model.js';
import { createWebhookSink, Throttle, type WebhookSink } from '../../src/events/sinks/webhook.js';
import { makeEvent, waitFor } from './fixtures.js';
import { webhookReceiver, type Received, type WebhookReceiver } from './receivers.js';

const SECRET = 'a-very-secret-signing-key-0123456789';

/** The verification a receiver does (docs/events.md): HMAC of the raw body, constant-time compare, fresh timestamp. */
function verify(req: Received, secret: string, nowSec: number, toleranceSec = 300): boolean {
  const header = req.headers['x-honeygate-signature'];
  const stamp = req.headers['x-honeygate-timestamp'];
  if (typeof header !== 'string' || typeof stamp !== 'string' || !header.startsWith('sha256=')) return false;
  const expected = Buffer.from(createHmac('sha256', secret).update(req.raw).digest('hex'));
  const given = Buffer.from(header.slice('sha256='.length));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return false;
  const body = JSON.parse(req.raw.toString('utf8')) as { timestamp?: unknown };
  if (body.timestamp !== Number(stamp)) return false;
  return Math.abs(nowSec - Number(stamp)) <= toleranceSec;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function receiver(respond?: (n: number) => number | 'hang'): Promise<WebhookReceiver> {
  const rx = await webhookReceiver(respond);
  cleanups.push(() => rx.close());
  return rx;
}

function setup(config: Record<string, unknown>, extra: { now?: () => number } = {}): { hook: WebhookSink; bus: EventBus; system: GatewayEvent[] } {
  const bus = new EventBus();
  const system: GatewayEvent[] = [];
  bus.subscribe((e) => {
    if (e.event.dataset === 'honeygate.system') system.push(e);
  });
  const hook = createWebhookSink({
    index: 0,
    config: webhookConfigSchema.parse(config),
    queueSize: 1000,
    publish: (e) => bus.publish(e),
    version: '9.9.9',
    ...extra,
  });
  bus.subscribe(hook.listener);
  cleanups.push(() => hook.sink.close(2000));
  return { hook, bus, system };
}

const body = (r: Received | undefined): Record<string, unknown> => JSON.parse(r?.raw.toString('utf8') ?? 'null') as Record<string, unknown>;

describe('webhook alerts', () => {
  it('signs json alerts so a receiver can verify body and timestamp', async () => {
    const rx = await receiver();
    const { bus, hook } = setup({ kind: 'json', url: rx.url, secret: SECRET });
    const event = makeEvent({ keyClass: 'lure', campaign: 'github-leak', ip: '203.0.113.5' });
    bus.publish(event);
    await waitFor(() => rx.requests.length === 1);
    const req = rx.requests[0] as Received;
    expect(verify(req, SECRET, Math.floor(Date.now() / 1000))).toBe(true);
    expect(verify(req, `${SECRET}x`, Math.floor(Date.now() / 1000))).toBe(false);
    expect(verify({ ...req, raw: Buffer.from(req.raw.toString().replace('github-leak', 'github-leek')) }, SECRET, Math.floor(Date.now() / 1000))).toBe(false);
    expect(verify(req, SECRET, Math.floor(Date.now() / 1000) + 3600)).toBe(false); // a replay an hour later
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['user-agent']).toBe('honeygate/9.9.9');
    expect(req.headers['x-honeygate-delivery']).toMatch(/^[0-9a-f-]{36}$/);
    expect(body(req)).toMatchObject({ type: 'honeygate.alert', triggers: ['lure'], title: 'Lure key used', suppressed: 0, event: JSON.parse(JSON.stringify(event)) as unknown });
    await hook.sink.flush();
    expect(hook.sink.stats()).toMatchObject({ written: 1, failed: 0, kind: 'webhook:json', target: rx.url.split('/')[2] });
    expect(JSON.stringify(hook.sink.stats())).not.toContain('secretpath');
  });

  it('alerts on lure, block and canary only, as configured', async () => {
    const rx = await receiver();
    const { bus } = setup({ kind: 'json', url: rx.url, throttle: 0, on: ['block', 'canary'] });
    bus.publish(makeEvent({ keyClass: 'valid' }));
    bus.publish(makeEvent({ keyClass: 'lure' }));
    bus.publish(makeEvent({ keyClass: 'invalid', action: 'reject', status: 401 }));
    bus.publish(makeEvent({ keyClass: 'lure', action: 'block', ip: '192.0.2.1' }));
    bus.publish(makeEvent({ dataset: 'honeygate.canary', ip: '192.0.2.2' }));
    await waitFor(() => rx.requests.length === 2);
    await new Promise((r) => setTimeout(r, 100));
    expect(rx.requests.map((r) => body(r)['triggers'])).toEqual([['block'], ['canary']]);
  });

  it('throttles per source and reports the suppressed count in the next alert', async () => {
    const rx = await receiver();
    let clock = Date.parse('2024-05-01T00:00:00Z');
    const { bus, hook } = setup({ kind: 'json', url: rx.url, throttle: '5m' }, { now: () => clock });
    for (let i = 0; i < 5; i++) bus.publish(makeEvent({ keyClass: 'lure', ip: '203.0.113.1' }));
    bus.publish(makeEvent({ keyClass: 'lure', ip: '203.0.113.2' }));
    await waitFor(() => rx.requests.length === 2);
    clock += 4 * 60_000;
    bus.publish(makeEvent({ keyClass: 'lure', ip: '203.0.113.1' })); // still inside the window
    clock += 2 * 60_000;
    bus.publish(makeEvent({ keyClass: 'lure', ip: '203.0.113.1', model: 'next' }));
    await waitFor(() => rx.requests.length === 3);
    await hook.sink.flush();
    expect(rx.requests.map((r) => [(body(r)['event'] as GatewayEvent).source?.ip, body(r)['suppressed']])).toEqual([
      ['203.0.113.1', 0],
      ['203.0.113.2', 0],
      ['203.0.113.1', 5],
    ]);
    expect(hook.sink.stats()).toMatchObject({ written: 3, suppressed: 5 });
  });

  it('retries 5xx with backoff: 500, 500, then 200 delivers once', async () => {
    const rx = await receiver((n) => (n < 2 ? 500 : 200));
    const { bus, hook } = setup({ kind: 'json', url: rx.url, secret: SECRET, retries: 3, backoff: '50ms' });
    bus.publish(makeEvent({ keyClass: 'lure' }));
    await waitFor(() => rx.requests.length === 3);
    await hook.sink.flush();
    expect(hook.sink.stats()).toMatchObject({ written: 1, failed: 0, disabled: false });
    const [a, b, c] = rx.requests as [Received, Received, Received];
    expect(new Set(rx.requests.map((r) => r.headers['x-honeygate-delivery'])).size).toBe(1);
    expect(b.at - a.at).toBeGreaterThanOrEqual(20); // 50 ms with equal jitter: at least 25
    expect(c.at - b.at).toBeGreaterThanOrEqual(45); // 100 ms: at least 50
    for (const r of rx.requests) expect(verify(r, SECRET, Math.floor(Date.now() / 1000))).toBe(true);
    await new Promise((r) => setTimeout(r, 200));
    expect(rx.requests).toHaveLength(3);
  });

  it('does not retry a 4xx', async () => {
    const rx = await receiver(() => 404);
    const { bus, hook } = setup({ kind: 'json', url: rx.url, retries: 3, backoff: '10ms' });
    bus.publish(makeEvent({ keyClass: 'lure' }));
    await waitFor(() => hook.sink.stats().failed === 1);
    expect(rx.requests).toHaveLength(1);
    expect(hook.sink.stats().lastError).toMatch(/HTTP 404/);
  });

  it('gives up on a receiver that never answers after the timeout, bounded by retries', async () => {
    const rx = await receiver(() => 'hang');
    const { bus, hook } = setup({ kind: 'json', url: rx.url, timeout: '200ms', retries: 1, backoff: '10ms' });
    const started = Date.now();
    bus.publish(makeEvent({ keyClass: 'lure' }));
    await waitFor(() => hook.sink.stats().failed === 1, 3000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(rx.requests).toHaveLength(2);
  });

  it('disables itself after consecutive failures and publishes a honeygate.system event', async () => {
    const rx = await receiver(() => 503);
    const { bus, hook, system } = setup({ kind: 'slack', url: rx.url, throttle: 0, retries: 1, backoff: '10ms', disable_after: 3 });
    for (let i = 0; i < 10; i++) bus.publish(makeEvent({ keyClass: 'lure', ip: `198.51.100.${i}` }));
    await waitFor(() => system.length === 1, 5000);
    await hook.sink.flush();
    expect(rx.requests).toHaveLength(6); // 3 alerts × (1 + 1 retry), then nothing
    const s = hook.sink.stats();
    expect(s).toMatchObject({ disabled: true, written: 0, failed: 3, dropped: 7 });
    const ev = system[0] as GatewayEvent;
    expect(ev.event).toMatchObject({ dataset: 'honeygate.system', action: 'sink-disabled', outcome: 'failure' });
    expect(ev.honeygate.system?.component).toBe('events.webhook.0');
    expect(ev.honeygate.system?.detail).toMatch(/3 consecutive .*HTTP 503/);
    expect(JSON.stringify(ev)).not.toContain('secretpath');
    bus.publish(makeEvent({ keyClass: 'lure', ip: '192.0.2.200' }));
    await new Promise((r) => setTimeout(r, 100));
    expect(rx.requests).toHaveLength(6);
    expect(hook.sink.stats().dropped).toBe(8);
  });

  it('a success resets the failure streak', async () => {
    const rx = await receiver((n) => (n % 2 === 0 ? 500 : 200));
    const { bus, hook, system } = setup({ kind: 'json', url: rx.url, throttle: 0, retries: 0, disable_after: 2 });
    for (let i = 0; i < 6; i++) bus.publish(makeEvent({ keyClass: 'lure' }));
    await waitFor(() => rx.requests.length === 6);
    await hook.sink.flush();
    expect(hook.sink.stats()).toMatchObject({ written: 3, failed: 3, disabled: false });
    expect(system).toEqual([]);
  });
});

describe('webhook payloads', () => {
  const HOSTILE = '<!channel> @everyone <@U123> [click](https://evil.example) *bold* `code` & </script>\n\u001b[2J';

  async function payloadFor(kind: string, event: GatewayEvent): Promise<Record<string, unknown>> {
    const rx = await receiver(() => 204);
    const { bus } = setup({ kind, url: rx.url });
    bus.publish(event);
    await waitFor(() => rx.requests.length === 1);
    return body(rx.requests[0]);
  }

  it('slack: text and Block Kit with plain_text values; mrkdwn control characters escaped', async () => {
    const p = await payloadFor('slack', makeEvent({ keyClass: 'lure', model: HOSTILE, campaign: 'github-leak' }));
    expect(typeof p['text']).toBe('string');
    expect(p['text']).not.toMatch(/<!channel>|<@U123>/);
    expect(p['text']).toContain('&lt;!channel&gt;');
    const blocks = p['blocks'] as { type: string; text?: { type: string; text: string }; fields?: { type: string; text: string }[] }[];
    expect(blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'honeygate: Lure key used' } });
    const fields = blocks[1]?.fields ?? [];
    expect(fields.length).toBeGreaterThan(3);
    expect(fields.length).toBeLessThanOrEqual(10);
    for (const f of fields) expect(f.type).toBe('plain_text');
    expect(fields.map((f) => f.text)).toContain('Campaign: github-leak');
    expect(JSON.stringify(p)).not.toContain('\u001b');
  });

  it('teams: a message with one Adaptive Card', async () => {
    const p = await payloadFor('teams', makeEvent({ dataset: 'honeygate.canary', model: HOSTILE }));
    expect(p['type']).toBe('message');
    const [att] = p['attachments'] as { contentType: string; content: { type: string; version: string; body: { type: string; text?: string; facts?: { title: string; value: string }[] }[] } }[];
    expect(att?.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(att?.content.type).toBe('AdaptiveCard');
    expect(att?.content.body[0]?.text).toBe('honeygate: Canary used');
    const model = att?.content.body[1]?.facts?.find((f) => f.title === 'Model')?.value ?? '';
    expect(model).not.toContain('[click](');
    expect(model).toContain('\\[click\\]\\(https://evil.example\\)');
  });

  it('discord: content + embed within limits, mentions disabled', async () => {
    const p = await payloadFor('discord', makeEvent({ keyClass: 'lure', action: 'block', model: HOSTILE.repeat(50), userAgent: HOSTILE }));
    expect(p['allowed_mentions']).toEqual({ parse: [] });
    expect((p['content'] as string).length).toBeLessThanOrEqual(2000);
    const [embed] = p['embeds'] as { title: string; description: string; color: number; fields: { name: string; value: string }[] }[];
    expect(embed?.title).toBe('Request blocked');
    expect(embed?.color).toBe(0xe67e22);
    expect(embed?.description.length).toBeLessThanOrEqual(4096);
    expect(embed?.fields.length).toBeLessThanOrEqual(25);
    for (const f of embed?.fields ?? []) {
      expect(f.value.length).toBeGreaterThan(0);
      expect(f.value.length).toBeLessThanOrEqual(1024);
    }
    expect(embed?.fields.find((f) => f.name === 'Model')?.value).toContain('\\@everyone');
  });
});

describe('throttle', () => {
  it('keeps its memory bounded under many sources', () => {
    const t = new Throttle(60_000, 1000);
    for (let i = 0; i < 20_000; i++) t.hit(`ip-${i}`, 1_000 + i);
    expect(t.size).toBeLessThanOrEqual(1000);
  });

  it('sweeps expired sources and honours the window exactly', () => {
    const t = new Throttle(1000);
    expect(t.hit('a', 0)).toMatchObject({ send: true, suppressed: 0 });
    expect(t.hit('a', 999)).toEqual({ send: false });
    expect(t.hit('a', 1000)).toMatchObject({ send: true, suppressed: 1 });
    for (let i = 0; i < 10; i++) t.hit(`x${i}`, 5000 + i);
    expect(t.size).toBeLessThanOrEqual(10);
  });

  it('an undone send leaves the source free to alert', () => {
    const t = new Throttle(1000);
    const first = t.hit('a', 0);
    if (first.send) first.undo();
    expect(t.hit('a', 1)).toMatchObject({ send: true });
  });
});
