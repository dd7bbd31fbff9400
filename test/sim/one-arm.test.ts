/**
 * One-arm runs through a small forward proxy that blocks by host name (403, reset, silence, TLS
 * mismatch) and forwards the rest to the flow emulator, plain (absolute-form) and over CONNECT +
 * TLS; direct runs for refused, altered and provider-error answers; exit codes with --expect;
 * loopback-only refusals.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFlowEmulator, type FlowEmulator } from '../../src/sim/emulator.js';
import { loadCatalog } from '../../src/sim/flows.js';
import { serverProfiles } from '../../src/sim/runner.js';
import { closedPort, sim, startProxy, startRawServer, startTlsFront, TLS_CERT_FILE, type ProxyAction, type TestProxy } from './helpers.js';

const catalog = await loadCatalog();
let emulator: FlowEmulator;
let tls: { port: number; close(): Promise<void> };
let mismatch: { port: number; close(): Promise<void> };
let proxy: TestProxy;

const POLICY: Record<string, ProxyAction> = {
  'allowed.test': 'forward',
  'blocked.test': 'forbid',
  'reset.test': 'reset',
  'silent.test': 'silence',
  'wrongcert.test': 'tls-mismatch',
};

beforeAll(async () => {
  emulator = await startFlowEmulator({ flows: [...catalog.flows.values()], servers: serverProfiles(catalog) });
  const port = Number(new URL(emulator.url).port);
  tls = await startTlsFront(port);
  // a certificate for another name: the client must refuse it
  mismatch = await startTlsFront(port);
  proxy = await startProxy((host) => POLICY[host] ?? 'forbid', { plainPort: port, tlsPort: tls.port, mismatchTlsPort: mismatch.port });
});

afterAll(async () => {
  await proxy.close();
  await tls.close();
  await mismatch.close();
  await emulator.close();
});

interface JsonResult {
  flow: string;
  outcome: string;
  reason: string;
  failure?: string;
  status?: number;
  provider_error: boolean;
}

function results(stdout: string): JsonResult[] {
  return (JSON.parse(stdout) as { results: JsonResult[] }).results;
}

describe('one-arm through a forward proxy', () => {
  it('allows an http target the proxy forwards (absolute-form request line)', async () => {
    const r = await sim(['run', '--target', 'http://allowed.test', '--proxy', proxy.url, '--flow', 'openai-chat', '--expect', 'allowed', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(results(r.stdout)[0]?.outcome).toBe('allowed');
    expect(proxy.seen).toContain('POST http://allowed.test/v1/chat/completions HTTP/1.1');
  });

  it('reports a proxy 403 as blocked; --expect blocked exits 0, --expect allowed exits 1', async () => {
    const blocked = await sim(['run', '--target', 'http://blocked.test', '--proxy', proxy.url, '--flow', 'openai-*', '--expect', 'blocked', '--json']);
    expect(blocked.code).toBe(0);
    const list = results(blocked.stdout);
    expect(list.length).toBe([...catalog.flows.values()].filter((f) => f.name.startsWith('openai-')).length);
    for (const x of list) {
      expect(x.outcome).toBe('blocked');
      expect(x.reason).toBe('http 403');
    }
    const wrong = await sim(['run', '--target', 'http://blocked.test', '--proxy', proxy.url, '--flow', 'openai-chat', '--expect', 'allowed']);
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toMatch(/NOT MATCHED/);
  });

  it('reports a reset as blocked', async () => {
    const r = await sim(['run', '--target', 'http://reset.test', '--proxy', proxy.url, '--flow', 'bedrock-converse', '--expect', 'blocked', '--json']);
    expect(r.code).toBe(0);
    expect(results(r.stdout)[0]?.failure).toMatch(/^(reset|closed)$/);
  });

  it('reports silence as blocked (timeout) within the deadline', async () => {
    const t0 = Date.now();
    const r = await sim(['run', '--target', 'http://silent.test', '--proxy', proxy.url, '--flow', 'openai-models', '--timeout', '300ms', '--expect', 'blocked', '--json']);
    expect(r.code).toBe(0);
    expect(results(r.stdout)[0]?.failure).toBe('timeout');
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('tunnels https through CONNECT and verifies the target certificate', async () => {
    const r = await sim(['run', '--target', 'https://allowed.test', '--proxy', proxy.url, '--ca', TLS_CERT_FILE, '--flow', 'bedrock-converse-stream', '--flow', 'openai-chat-stream', '--expect', 'allowed', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(results(r.stdout).map((x) => x.outcome)).toEqual(['allowed', 'allowed']);
    // boto3 opens the tunnel with a bare HTTP/1.0 CONNECT, the OpenAI SDK (httpx) with HTTP/1.1
    expect(proxy.seen).toContain('CONNECT allowed.test:443 HTTP/1.0');
    expect(proxy.seen).toContain('CONNECT allowed.test:443 HTTP/1.1');
  });

  it('reports a refused CONNECT as blocked (proxy 403 on CONNECT)', async () => {
    const r = await sim(['run', '--target', 'https://blocked.test', '--proxy', proxy.url, '--ca', TLS_CERT_FILE, '--flow', 'openai-chat', '--expect', 'blocked', '--json']);
    expect(r.code).toBe(0);
    const x = results(r.stdout)[0];
    expect(x?.failure).toBe('proxy-refused');
    expect(x?.reason).toBe('proxy 403 on CONNECT');
  });

  it('reports a certificate for another name as blocked (TLS failure)', async () => {
    const r = await sim(['run', '--target', 'https://wrongcert.test', '--proxy', proxy.url, '--ca', TLS_CERT_FILE, '--flow', 'openai-models', '--expect', 'blocked', '--json']);
    expect(r.code).toBe(0);
    expect(results(r.stdout)[0]?.failure).toBe('tls');
  });

  it('exits 1 when flows are mixed and one is blocked', async () => {
    const r = await sim(['run', '--target', 'http://blocked.test', '--proxy', proxy.url, '--flow', 'openai-chat', '--expect', 'allowed', '--json']);
    expect(r.code).toBe(1);
    expect((JSON.parse(r.stdout) as { matched: boolean }).matched).toBe(false);
  });
});

describe('one-arm direct', () => {
  it('is allowed against the emulator', async () => {
    const r = await sim(['run', '--target', emulator.url, '--flow', 'bedrock-invoke-*', '--expect', 'allowed']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/MATCHED/);
  });

  it('is blocked when the connection is refused', async () => {
    const port = await closedPort();
    const r = await sim(['run', '--target', `http://127.0.0.1:${port}`, '--flow', 'openai-chat', '--expect', 'blocked', '--json']);
    expect(r.code).toBe(0);
    expect(results(r.stdout)[0]?.failure).toBe('refused');
  });

  it('is altered when the answer does not have the expected shape', async () => {
    const html = '<html>captive portal</html>';
    const server = await startRawServer(() => Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: ${html.length}\r\n\r\n${html}`));
    try {
      const r = await sim(['run', '--target', server.url, '--flow', 'openai-chat', '--json']);
      expect(r.code).toBe(0);
      const x = results(r.stdout)[0];
      expect(x?.outcome).toBe('altered');
      expect(x?.reason).toMatch(/content-type/);
      const e = await sim(['run', '--target', server.url, '--flow', 'openai-chat', '--expect', 'allowed']);
      expect(e.code).toBe(1);
    } finally {
      await server.close();
    }
  });

  it('counts a provider-shaped error (fake key) as allowed, flagged provider_error', async () => {
    const body = '{\n  "error": {\n    "message": "Incorrect API key provided: sk-proj-*****0000.",\n    "type": "invalid_request_error",\n    "param": null,\n    "code": "invalid_api_key"\n  }\n}';
    const server = await startRawServer(() => Buffer.from(`HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nx-request-id: req_5e0c4d1b2a3f40718293a4b5c6d7e8f9\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`));
    try {
      const r = await sim(['run', '--target', server.url, '--flow', 'openai-models', '--json']);
      const x = results(r.stdout)[0];
      expect(x?.outcome).toBe('allowed');
      expect(x?.provider_error).toBe(true);
      expect(x?.status).toBe(401);
    } finally {
      await server.close();
    }
  });

  it('a 403 without the provider shape is blocked; with x-amzn-ErrorType it is the provider', async () => {
    const plain = await startRawServer(() => Buffer.from('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n'));
    const aws = await startRawServer(() => {
      const b = '{"message":"The security token included in the request is invalid."}';
      return Buffer.from(`HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: ${b.length}\r\nx-amzn-RequestId: 6f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0\r\nx-amzn-ErrorType: UnrecognizedClientException:http://internal.amazon.com/coral/com.amazon.coral.service/\r\n\r\n${b}`);
    });
    try {
      const a = results((await sim(['run', '--target', plain.url, '--flow', 'bedrock-converse', '--json'])).stdout)[0];
      expect(a?.outcome).toBe('blocked');
      const b = results((await sim(['run', '--target', aws.url, '--flow', 'bedrock-converse', '--json'])).stdout)[0];
      expect(b?.outcome).toBe('allowed');
      expect(b?.provider_error).toBe(true);
    } finally {
      await plain.close();
      await aws.close();
    }
  });
});

describe('loopback-only mode (tests and CI)', () => {
  it('refuses a non-loopback target before connecting', async () => {
    const r = await sim(['run', '--target', 'http://203.0.113.7', '--flow', 'openai-models', '--expect', 'blocked', '--json']);
    const x = results(r.stdout)[0];
    expect(x?.failure).toBe('loopback-only');
  });

  it('refuses a non-loopback proxy and a public name behind a loopback proxy', async () => {
    const a = results((await sim(['run', '--target', 'http://allowed.test', '--proxy', 'http://198.51.100.9:3128', '--flow', 'openai-models', '--json'])).stdout)[0];
    expect(a?.failure).toBe('loopback-only');
    const before = proxy.seen.length;
    const b = results((await sim(['run', '--target', 'https://api.openai.com', '--proxy', proxy.url, '--flow', 'openai-models', '--json'])).stdout)[0];
    expect(b?.failure).toBe('loopback-only');
    expect(proxy.seen.length).toBe(before);
  });
});
