/**
 * Garbage pipelined after a request: the first request's event records its own status (not the
 * 400 the garbage earned), and a valid-key request whose body framing is broken by garbage is never
 * delivered to the upstream whole.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintOpenAIKey } from '../../src/deception/keygen.js';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { rawRequest, startTestGateway, type TestGateway } from '../helpers/gateway.js';

const LURE = mintOpenAIKey('project');
const VALID = mintOpenAIKey('project');

describe('garbage pipelined after a request', () => {
  let gw: TestGateway;
  let upstream: FakeUpstream;
  beforeAll(async () => {
    upstream = await startFakeUpstream();
    gw = await startTestGateway({
      lure_defaults: { realistic_timing: false },
      upstreams: { openai: { type: 'openai', url: upstream.url } },
      keys: [
        { name: 'lure', key: LURE, class: 'lure' },
        { name: 'valid', key: VALID, class: 'valid', upstream: 'openai' },
      ],
    });
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
  });

  it("the first request's event keeps its own status", async () => {
    const before = gw.events.length;
    const raw = await rawRequest(gw.url, `GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${LURE}\r\n\r\n\x00\x01GARBAGE \xff\r\n\r\n`);
    expect(raw.startsWith('HTTP/1.1 200')).toBe(true);
    const events = (await gw.waitForEvents(before + 1)).slice(before).filter((e) => e.event.dataset === 'honeygate.request');
    expect(events.length).toBe(1);
    expect(events[0]?.http?.response.status_code).toBe(200);
    expect(events[0]?.event.outcome).toBe('success');
  });

  it('a valid-key request cut by broken chunk framing is not delivered upstream', async () => {
    const seen = upstream.requests.length;
    const before = gw.events.length;
    const raw = await rawRequest(
      gw.url,
      `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${VALID}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n{"model":"gpt-4o\r\nZZ not a chunk size\r\n\r\n`,
    );
    expect(raw.startsWith('HTTP/1.1 200')).toBe(false);
    await gw.waitForEvents(before + 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(upstream.requests.length).toBe(seen);
  });
});
