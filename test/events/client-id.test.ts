/**
 * `honeygate.client.id` on a real listener: one client program keeps its id whatever it asks and
 * from wherever (body framing, proxy and retry headers do not count), another User-Agent or
 * another header order is another client; the official SDK keeps one id across its requests.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintOpenAIKey } from '../../src/deception/keygen.js';
import { clientId, CLIENT_ID, headerNames } from '../../src/events/client-id.js';
import type { GatewayEvent } from '../../src/events/model.js';
import { rawRequest, startTestGateway, type TestGateway } from '../helpers/gateway.js';

const LURE = mintOpenAIKey('project');
let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway({ lure_defaults: { realistic_timing: false, max_requests: 1000 }, keys: [{ name: 'lure', key: LURE, class: 'lure' }] });
});
afterAll(async () => {
  await gw?.close();
});

async function idOf(request: string): Promise<string | undefined> {
  const n = gw.events.length;
  await rawRequest(gw.url, request);
  const events = await gw.waitForEvents(n + 1);
  const e = events.slice(n).find((x) => x.event.dataset === 'honeygate.request' && x.http?.response.status_code !== 0) as GatewayEvent | undefined;
  return e?.honeygate.client?.id;
}

const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });

describe('client id', () => {
  it('same tool, other request and address: same id; other UA or header order: other id', async () => {
    const get = await idOf(`GET /v1/models HTTP/1.1\r\nHost: x\r\nUser-Agent: thief/1.0\r\nAccept: */*\r\nAuthorization: Bearer ${LURE}\r\nConnection: close\r\n\r\n`);
    expect(get).toMatch(CLIENT_ID);
    // a POST adds body framing, a proxy hop and a retry counter: none of them count
    const post = await idOf(
      `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nUser-Agent: thief/1.0\r\nAccept: */*\r\nContent-Type: application/json\r\nAuthorization: Bearer ${LURE}\r\nX-Forwarded-For: 198.51.100.9\r\nx-stainless-retry-count: 1\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
    expect(post).toBe(get);
    const otherUa = await idOf(`GET /v1/models HTTP/1.1\r\nHost: x\r\nUser-Agent: thief/1.1\r\nAccept: */*\r\nAuthorization: Bearer ${LURE}\r\nConnection: close\r\n\r\n`);
    expect(otherUa).toMatch(CLIENT_ID);
    expect(otherUa).not.toBe(get);
    const otherOrder = await idOf(`GET /v1/models HTTP/1.1\r\nHost: x\r\nAccept: */*\r\nUser-Agent: thief/1.0\r\nAuthorization: Bearer ${LURE}\r\nConnection: close\r\n\r\n`);
    expect(otherOrder).not.toBe(get);
    const otherCase = await idOf(`GET /v1/models HTTP/1.1\r\nhost: x\r\nuser-agent: thief/1.0\r\naccept: */*\r\nauthorization: Bearer ${LURE}\r\nconnection: close\r\n\r\n`);
    expect(otherCase).not.toBe(get);
  });

  it('the openai SDK keeps one id across its calls', async () => {
    const client = new OpenAI({ apiKey: LURE, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const n = gw.events.length;
    await client.models.list();
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    const events = (await gw.waitForEvents(n + 2)).slice(n).filter((e) => e.http?.response.status_code !== 0);
    const ids = new Set(events.map((e) => e.honeygate.client?.id));
    expect(ids.size).toBe(1);
    expect([...ids][0]).toMatch(CLIENT_ID);
    expect(events[0]?.honeygate.client).toMatchObject({ name: 'openai-node' });
  });

  it('is a pure function of the traits, never of header values other than the User-Agent', () => {
    const fp = { name: 'curl', version: '8.5.0' };
    const a = clientId(headerNames(['Host', 'x', 'User-Agent', 'curl/8.5.0', 'Authorization', 'Bearer one'], 1), 'curl/8.5.0', fp);
    const b = clientId(headerNames(['Host', 'y', 'User-Agent', 'curl/8.5.0', 'Authorization', 'Bearer two'], 1), 'curl/8.5.0', fp);
    expect(a).toBe(b);
    expect(clientId(headerNames(['Host', 'x', 'User-Agent', 'curl/8.5.0'], 2), 'curl/8.5.0', fp)).not.toBe(clientId(headerNames(['Host', 'x', 'User-Agent', 'curl/8.5.0'], 1), 'curl/8.5.0', fp));
    expect(clientId(undefined, 'curl/8.5.0', fp)).toBeUndefined();
  });
});

describe('clientId memo (the worker hashes each distinct client once)', () => {
  const names = headerNames(['Host', 'x', 'User-Agent', 'OpenAI/Python 1.55.0', 'X-Stainless-Lang', 'python'], 1);
  it('gives every input its own id, asked in any order and again after the memo was cleared', () => {
    const fp = { name: 'openai-python', version: '1.55.0', runtime: 'CPython 3.12', os: 'Linux', arch: 'x64' };
    const variants = [fp, { ...fp, version: '1.56.0' }, { ...fp, runtime: 'CPython 3.11' }, { ...fp, os: 'MacOS' }, { ...fp, arch: 'arm64' }, { ...fp, name: 'openai-node' }];
    const first = variants.map((v) => clientId(names, 'OpenAI/Python 1.55.0', v));
    // each trait of the fingerprint is part of the id (and of the memo's key)
    expect(new Set(first).size).toBe(variants.length);
    expect(clientId(names, 'OpenAI/Python 1.56.0', fp)).not.toBe(first[0]);
    // asked again (memoized), in reverse order: the same ids
    expect([...variants].reverse().map((v) => clientId(names, 'OpenAI/Python 1.55.0', v))).toEqual([...first].reverse());
    // 3000 other clients: the bounded memo is cleared on the way; the ids stay what they were
    for (let i = 0; i < 3000; i++) clientId(names, `tool/${i}`, fp);
    expect(variants.map((v) => clientId(names, 'OpenAI/Python 1.55.0', v))).toEqual(first);
    // a User-Agent too long to be kept is hashed each time, to the same id
    const long = 'x'.repeat(2000);
    expect(clientId(names, long, fp)).toBe(clientId(names, long, fp));
    expect(clientId(names, long, fp)).toMatch(CLIENT_ID);
    expect(clientId(names, long, fp)).not.toBe(clientId(names, `${long}y`, fp));
  });
});
