/**
 * Drain under keep-alive load: busy clients keep sending on their keep-alive connections while the
 * gateway shuts down. Every request the gateway accepted (it reached the upstream) is answered in
 * full; answers during the drain say `Connection: close`; and close() returns as soon as the
 * in-flight work is done, not after the whole drain_timeout.
 */
import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintOpenAIKey } from '../../src/deception/keygen.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const VALID = mintOpenAIKey('project');

let upstream: Server;
const seenUpstream = new Set<string>();

beforeAll(async () => {
  upstream = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      seenUpstream.add(String(req.headers['x-test-id']));
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: 'chatcmpl-x', object: 'chat.completion', created: 1, model: 'gpt-4o-mini', choices: [], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }));
      }, 150);
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
});

afterAll(async () => {
  upstream.closeAllConnections();
  await new Promise((r) => upstream.close(r));
});

describe('drain under keep-alive load', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({
      listen: { host: '127.0.0.1', port: 0, drain_timeout: '15s' },
      upstreams: { openai: { type: 'openai', url: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}` } },
      keys: [{ name: 'valid', key: VALID, class: 'valid', upstream: 'openai' }],
    });
  });

  it('cuts no accepted request, announces close, and returns once in-flight work is done', async () => {
    const u = new URL(gw.url);
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    const completed = new Set<string>();
    const failed = new Set<string>();
    let closeHeaders = 0;
    let stop = false;
    let n = 0;
    const one = (): Promise<void> =>
      new Promise((resolve) => {
        const id = `r${n++}`;
        const body = '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"x"}]}';
        const req = request(
          { host: u.hostname, port: u.port, path: '/v1/chat/completions', method: 'POST', agent, headers: { authorization: `Bearer ${VALID}`, 'content-type': 'application/json', 'content-length': body.length, 'x-test-id': id } },
          (res) => {
            if (res.headers['connection'] === 'close') closeHeaders++;
            res.resume();
            res.on('end', () => {
              if (res.statusCode === 200 && res.complete) completed.add(id);
              else failed.add(id);
              resolve();
            });
            res.on('error', () => {
              failed.add(id);
              resolve();
            });
          },
        );
        req.on('error', () => {
          failed.add(id);
          resolve();
        });
        req.end(body);
      });
    const client = async (): Promise<void> => {
      // bounded: a client stops after 200 requests or when told
      for (let i = 0; i < 200 && !stop; i++) await one();
    };
    const clients = Array.from({ length: 16 }, client);
    await new Promise((r) => setTimeout(r, 600));
    const t0 = Date.now();
    await gw.close();
    const took = Date.now() - t0;
    stop = true;
    await Promise.all(clients);
    agent.destroy();

    // every request that reached the upstream was answered in full
    const cut = [...seenUpstream].filter((id) => !completed.has(id));
    expect(cut).toEqual([]);
    expect(completed.size).toBeGreaterThan(16);
    // in-flight answers said Connection: close
    expect(closeHeaders).toBeGreaterThanOrEqual(1);
    // done when the in-flight requests were (150 ms upstream), far from the 15 s drain_timeout
    expect(took).toBeLessThan(5000);
  }, 30_000);
});
