/**
 * The upstream fault matrix, for every forwarding provider: an upstream that refuses, resets before
 * or in the middle of its answer, stalls before its head or in its body, answers 5xx with internal
 * detail, answers garbage or an oversized head, or drips its body slowly. For each: the client's
 * answer is the provider's own (never the upstream's detail), the event records the failure, and a
 * normal request right after succeeds (the pool is healthy).
 *
 * Table-driven: each provider is one PROVIDERS entry (config, a valid request, how its own error
 * looks). Adding a provider (Anthropic, Azure, Gemini …) is one more entry.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintAwsKeyPair, mintOpenAIKey } from '../../src/deception/keygen.js';
import type { GatewayEvent } from '../../src/events/model.js';
import { secretDigest } from '../../src/providers/tool/secrets.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

type Mode = 'ok' | 'refused' | 'reset-before-headers' | 'reset-mid-stream' | 'stall-before-headers' | 'stall-mid-body' | '5xx-internal' | 'garbage' | 'huge-headers' | 'slow-drip';

const SECRET_DETAIL = ['Traceback (most recent call last)', 'db-7.internal.corp', 'hunter2-db-password', 'x-internal-host'];

/** A raw upstream whose behaviour is `mode`; it closes each connection after its answer. */
class FaultyUpstream {
  mode: Mode = 'ok';
  server: Server;
  port = 0;
  readonly sockets = new Set<Socket>();
  constructor() {
    this.server = createServer((s) => this.#serve(s));
  }
  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(this.port, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
  }
  /** stop accepting: connections are refused until start() */
  async stop(): Promise<void> {
    await new Promise((r) => this.server.close(r));
  }
  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return this.stop().catch(() => undefined);
  }
  #serve(s: Socket): void {
    this.sockets.add(s);
    s.once('close', () => this.sockets.delete(s));
    s.on('error', () => undefined);
    let buf = '';
    let answered = false;
    s.on('data', (c: Buffer) => {
      buf += c.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0 || answered) return;
      const m = /content-length:\s*(\d+)/i.exec(buf.slice(0, end));
      if (m && buf.length < end + 4 + Number(m[1])) return;
      if (/transfer-encoding:\s*chunked/i.test(buf.slice(0, end)) && !buf.endsWith('0\r\n\r\n')) return;
      answered = true;
      if (process.env['DEBUG_FAULTS']) console.log('DEBUG upstream got', JSON.stringify(buf.slice(0, 400)));
      this.#answer(s);
    });
  }
  #answer(s: Socket): void {
    const sse = 'data: {"x":1}\n\n';
    switch (this.mode) {
      case 'ok':
        s.end(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\nConnection: close\r\n\r\n{"ok":true}`);
        return;
      case 'reset-before-headers':
        s.resetAndDestroy();
        return;
      case 'reset-mid-stream':
        s.write(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n{"partial":`);
        setTimeout(() => s.resetAndDestroy(), 50);
        return;
      case 'stall-before-headers':
        return;
      case 'stall-mid-body':
        s.write(`HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${sse.length.toString(16)}\r\n${sse}\r\n`);
        return;
      case '5xx-internal': {
        const body = `Traceback (most recent call last):\n  File "/srv/app.py", line 3\nConnectionError: db-7.internal.corp:5432 password=hunter2-db-password`;
        s.end(`HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\nX-Internal-Host: db-7.internal.corp\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
        return;
      }
      case 'garbage':
        s.end('SSH-2.0-OpenSSH_9.6 db-7.internal.corp\r\n\x00\x01\x02garbage\r\n\r\n');
        return;
      case 'huge-headers':
        s.end(`HTTP/1.1 200 OK\r\nX-Internal-Host: db-7.internal.corp\r\nX-Big: ${'b'.repeat(200_000)}\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`);
        return;
      case 'slow-drip': {
        const body = '{"dripped":"' + 'd'.repeat(20) + '"}';
        s.write(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`);
        let i = 0;
        const t = setInterval(() => {
          s.write(body.slice(i, i + 4));
          i += 4;
          if (i >= body.length) {
            clearInterval(t);
            s.end();
          }
        }, 40);
        return;
      }
      case 'refused':
        s.destroy();
        return;
    }
  }
}

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
  /** the body ended cleanly */
  readonly complete: boolean;
}

interface ProviderCase {
  readonly name: string;
  /** config for a gateway forwarding valid requests to `upstreamUrl` (timeouts ~800 ms) */
  config(upstreamUrl: string): Record<string, unknown>;
  request(gatewayUrl: string): Promise<Request>;
  /** the provider's own error answer */
  isOwnError(a: Answer): boolean;
}

const OPENAI_KEY = mintOpenAIKey('project');
const AWS_CLIENT = mintAwsKeyPair({ accountId: '318467125086' });
const AWS_UPSTREAM = mintAwsKeyPair({ accountId: '777788889999' });
const TOOL_SECRET = 'hgs_fault-matrix-tool-secret-0123456789abcdef';
const AZURE_KEY = '5f0c2d9e8b7a41c3a6e1f2d3c4b5a697';

const PROVIDERS: readonly ProviderCase[] = [
  {
    name: 'openai',
    config: (url) => ({ upstreams: { up: { type: 'openai', url, timeout: '800ms' } }, keys: [{ name: 'v', key: OPENAI_KEY, class: 'valid', upstream: 'up' }] }),
    request: async (gw) =>
      new Request(`${gw}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${OPENAI_KEY}`, 'content-type': 'application/json' }, body: '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"x"}]}' }),
    isOwnError: (a) => a.status >= 500 && /"type":\s*"(server_error|timeout)"|"error"/.test(a.body) && a.headers.get('content-type')?.includes('application/json') === true,
  },
  {
    name: 'bedrock',
    config: (url) => ({
      upstreams: { aws: { type: 'bedrock', region: 'us-east-1', endpoint: url, control_endpoint: url, timeout: '800ms', credentials: { access_key_id: AWS_UPSTREAM.accessKeyId, secret_access_key: AWS_UPSTREAM.secretAccessKey } } },
      aws_keys: [{ name: 'aws-valid', class: 'valid', access_key_id: AWS_CLIENT.accessKeyId, secret_access_key: AWS_CLIENT.secretAccessKey, upstream: 'aws' }],
    }),
    request: async (gw) => {
      const u = new URL(gw);
      const body = '{"messages":[{"role":"user","content":[{"text":"x"}]}]}';
      const path = `/model/${encodeURIComponent('anthropic.claude-3-haiku-20240307-v1:0')}/converse`;
      const signer = new SignatureV4({ service: 'bedrock', region: 'us-east-1', credentials: AWS_CLIENT, sha256: Sha256 });
      const signed = await signer.sign({ method: 'POST', protocol: 'http:', hostname: u.hostname, port: Number(u.port), path, headers: { host: u.host, 'content-type': 'application/json' }, body });
      const headers = Object.fromEntries(Object.entries(signed.headers).filter(([k]) => k.toLowerCase() !== 'host'));
      return new Request(`${gw}${path}`, { method: 'POST', headers, body });
    },
    isOwnError: (a) => a.status >= 400 && /Exception(:|$)/.test(a.headers.get('x-amzn-errortype') ?? '') && a.body.startsWith('{"message":'),
  },
  {
    name: 'azure',
    config: (url) => ({ upstreams: { prod: { type: 'azure', url, api_key: 'company-key-0123456789', timeout: '800ms' } }, azure_keys: [{ name: 'app', key: AZURE_KEY, class: 'valid', upstream: 'prod' }] }),
    request: async (gw) =>
      new Request(`${gw}/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21`, { method: 'POST', headers: { 'api-key': AZURE_KEY, 'content-type': 'application/json' }, body: '{"messages":[{"role":"user","content":"x"}]}' }),
    // Azure answers an upstream timeout with its own 408 {"error":{"code":"Timeout"…}}
    isOwnError: (a) => a.status >= 408 && a.body.startsWith('{"error":') && a.headers.get('content-type')?.includes('application/json') === true,
  },
  {
    name: 'tool',
    config: (url) => ({ routes: [{ name: 'api', prefix: '/tool/', upstream: `${url}/`, timeout: '800ms', auth: { secrets: [{ name: 's', hash: `sha256:${secretDigest(TOOL_SECRET).toString('hex')}` }] } }] }),
    request: async (gw) => new Request(`${gw}/tool/items`, { method: 'POST', headers: { authorization: `Bearer ${TOOL_SECRET}`, 'content-type': 'application/json' }, body: '{"name":"x"}' }),
    isOwnError: (a) => a.status >= 500 && a.headers.get('content-type')?.includes('application/problem+json') === true,
  },
];

async function send(req: Request): Promise<Answer> {
  const res = await fetch(req, { signal: AbortSignal.timeout(8000) });
  let body = '';
  let complete = true;
  try {
    body = await res.text();
  } catch {
    complete = false;
  }
  return { status: res.status, headers: res.headers, body, complete };
}

async function attempt(req: Request): Promise<Answer | 'cut'> {
  try {
    return await send(req);
  } catch {
    return 'cut';
  }
}

const BEFORE_HEAD: readonly Mode[] = ['refused', 'reset-before-headers', 'stall-before-headers', '5xx-internal', 'garbage', 'huge-headers'];
const MID_STREAM: readonly Mode[] = ['reset-mid-stream', 'stall-mid-body'];

for (const p of PROVIDERS) {
  describe(`upstream faults: ${p.name}`, () => {
    const up = new FaultyUpstream();
    let gw: TestGateway;
    beforeAll(async () => {
      await up.start();
      gw = await startTestGateway(p.config(`http://127.0.0.1:${up.port}`));
    }, 30_000);
    afterAll(async () => {
      await gw?.close();
      await up.close();
    });

    const lastEvent = async (n: number): Promise<GatewayEvent | undefined> => {
      await gw.waitForEvents(n);
      return gw.events.filter((e) => e.event.dataset === 'honeygate.request').at(-1);
    };

    const healthy = async (): Promise<void> => {
      up.mode = 'ok';
      const a = await send(await p.request(gw.url));
      expect(a.status, a.body).toBe(200);
      expect(a.body).toBe('{"ok":true}');
    };

    for (const mode of BEFORE_HEAD) {
      it(`${mode}: the provider's own error, no upstream detail, a failure event, a healthy pool after`, async () => {
        up.mode = mode;
        if (mode === 'refused') await up.stop();
        const before = gw.events.length;
        try {
          const a = await send(await p.request(gw.url));
          expect(p.isOwnError(a), `${a.status} ${a.body}`).toBe(true);
          const text = `${[...a.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}\n${a.body}`.toLowerCase();
          for (const s of SECRET_DETAIL) expect(text).not.toContain(s.toLowerCase());
          const e = await lastEvent(before + 1);
          expect(e?.event.outcome).toBe('failure');
          expect(e?.http?.response.status_code).toBe(a.status);
        } finally {
          if (mode === 'refused') await up.start();
        }
        await healthy();
      }, 20_000);
    }

    for (const mode of MID_STREAM) {
      it(`${mode}: the client sees a cut answer, the event says failure and why, a healthy pool after`, async () => {
        up.mode = mode;
        const before = gw.events.length;
        const a = await attempt(await p.request(gw.url));
        // the head went through (200): the body must not end as if complete
        if (a !== 'cut') expect(a.complete && a.status === 200 && !MID_STREAM.includes(mode)).toBe(false);
        const e = await lastEvent(before + 1);
        expect(e?.event.outcome).toBe('failure');
        expect(e?.error?.type).toMatch(/^upstream_(reset|timeout|protocol)$/);
        await healthy();
      }, 20_000);
    }

    it('slow-drip: the whole body arrives, recorded as success', async () => {
      up.mode = 'slow-drip';
      const before = gw.events.length;
      const a = await send(await p.request(gw.url));
      expect(a.status).toBe(200);
      expect(a.body).toBe('{"dripped":"' + 'd'.repeat(20) + '"}');
      const e = await lastEvent(before + 1);
      expect(e?.event.outcome).toBe('success');
      expect(e?.error).toBeUndefined();
    }, 20_000);
  });
}
