/**
 * TLS as network test tools run it: per-flow and per-run versions, ciphers, ALPN and SNI; the
 * negotiated parameters in the JSON report, the text report and the HAR; two-arm over TLS 1.2 and
 * TLS 1.3 against the flow emulator and against honeygate's gateway (listen.tls), with a
 * certificate generated here. Also: unknown --param names are refused, boto3 honours its overrides.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sim } from './helpers.js';

let dir: string;
let cert: string;
let key: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sim-tls-'));
  cert = join(dir, 'cert.pem');
  key = join(dir, 'key.pem');
  // an ECDSA P-256 certificate for sim.test and 127.0.0.1, valid one day
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=sim.test', '-addext', 'subjectAltName=DNS:sim.test,IP:127.0.0.1',
    '-keyout', key, '-out', cert,
  ], { stdio: 'ignore', timeout: 20_000 });
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface TlsInfo {
  version: string;
  cipher: string;
  alpn: string | null;
  sni: string | null;
  authorized: boolean;
}
interface Doc {
  passed: boolean;
  results: Array<{ flow: string; outcome: string; faithful: boolean; fidelity: string[]; tls?: TlsInfo; reason: string }>;
}

function doc(stdout: string): Doc {
  return JSON.parse(stdout) as Doc;
}

describe('two-arm over TLS with a generated certificate', () => {
  for (const version of ['1.2', '1.3'] as const) {
    it(`the flow emulator, TLS ${version}: faithful, negotiated parameters in JSON, text and HAR`, async () => {
      const har = join(dir, `emulator-${version}.har`);
      const r = await sim(['two-arm', '--server-cert', cert, '--server-key', key, '--ca', cert, '--tls-version', version, '--flow', 'openai-chat', '--flow', 'bedrock-converse-stream', '--profile', 'openai-python', '--profile', 'boto3', '--har', har, '--json']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const d = doc(r.stdout);
      expect(d.passed).toBe(true);
      expect(d.results.length).toBe(2);
      for (const x of d.results) {
        expect(x.tls?.version).toBe(`TLSv${version}`);
        expect(x.tls?.alpn).toBe('http/1.1');
        expect(x.tls?.authorized).toBe(true);
        expect(x.tls?.cipher.length).toBeGreaterThan(0);
        if (version === '1.3') expect(x.tls?.cipher).toMatch(/^TLS_/);
      }
      const h = JSON.parse(readFileSync(har, 'utf8')) as { log: { entries: Array<{ pageref: string; _tls?: TlsInfo }> } };
      const client = h.log.entries.filter((e) => e.pageref === 'client-arm');
      expect(client.map((e) => e._tls?.version)).toEqual([`TLSv${version}`, `TLSv${version}`]);
      const text = await sim(['two-arm', '--server-cert', cert, '--server-key', key, '--ca', cert, '--tls-version', version, '--flow', 'openai-models']);
      expect(text.stdout).toContain(`TLSv${version}`);
    }, 30_000);
  }

  it('a cipher and an SNI per run; an untrusted certificate is a TLS block', async () => {
    const r = await sim(['two-arm', '--server-cert', cert, '--server-key', key, '--ca', cert, '--tls-version', '1.2', '--param', 'tls_ciphers=ECDHE-ECDSA-AES128-GCM-SHA256', '--param', 'sni=sim.test', '--flow', 'openai-models', '--json']);
    expect(r.code).toBe(0);
    const x = doc(r.stdout).results[0];
    expect(x?.tls).toMatchObject({ version: 'TLSv1.2', cipher: 'ECDHE-ECDSA-AES128-GCM-SHA256', sni: 'sim.test' });
    const untrusted = await sim(['two-arm', '--server-cert', cert, '--server-key', key, '--flow', 'openai-models', '--json']);
    expect(untrusted.code).toBe(1);
    expect(doc(untrusted.stdout).results[0]?.reason).toMatch(/^tls:/);
    const bad = await sim(['two-arm', '--server-cert', cert, '--server-key', key, '--ca', cert, '--tls-version', '1.4', '--flow', 'openai-models']);
    expect(bad.code).toBe(2);
  }, 30_000);

  it('a flow file pins its own TLS version', async () => {
    const simDir = join(dir, 'simdir');
    mkdirSync(join(simDir, 'flows'), { recursive: true });
    const base = readFileSync(new URL('../../sim/flows/openai-models.yaml', import.meta.url), 'utf8');
    writeFileSync(join(simDir, 'flows', 'openai-models-tls12.yaml'), `${base.replace('name: openai-models', 'name: openai-models-tls12')}\ntls:\n  min_version: "1.2"\n  max_version: "1.2"\n  alpn: [http/1.1]\n`);
    const r = await sim(['two-arm', '--sim-dir', simDir, '--server-cert', cert, '--server-key', key, '--ca', cert, '--flow', 'openai-models-tls12', '--flow', 'openai-models', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const versions = doc(r.stdout).results.map((x) => x.tls?.version);
    expect(versions).toEqual(['TLSv1.2', 'TLSv1.3']);
  }, 30_000);

  for (const version of ['1.2', '1.3'] as const) {
    it(`honeygate's gateway with listen.tls, TLS ${version}`, async () => {
      const r = await sim(['two-arm', '--server', 'gateway', '--server-cert', cert, '--server-key', key, '--ca', cert, '--tls-version', version, '--flow', 'openai-chat', '--flow', 'bedrock-converse', '--json']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const d = doc(r.stdout);
      expect(d.passed).toBe(true);
      expect(d.results.map((x) => x.tls?.version)).toEqual([`TLSv${version}`, `TLSv${version}`]);
      // the gateway offers h2 too; the simulator offers http/1.1 as the SDKs' clients do
      expect(d.results.every((x) => x.tls?.alpn === 'http/1.1')).toBe(true);
    }, 30_000);
  }

  it('a server that picks h2 over ALPN is reported, not misread', async () => {
    const r = await sim(['two-arm', '--server', 'gateway', '--server-cert', cert, '--server-key', key, '--ca', cert, '--param', 'tls_alpn=h2,http/1.1', '--flow', 'openai-models', '--json']);
    expect(r.code).toBe(1);
    const x = doc(r.stdout).results[0];
    expect(x?.tls?.alpn).toBe('h2');
    expect(x?.reason).toMatch(/ALPN h2/);
  }, 30_000);
});

describe('parameters', () => {
  it('refuses an unknown --param with the list of known ones', async () => {
    const r = await sim(['run', '--dry-run', '--flow', 'openai-chat', '--param', 'modle=gpt-4']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown --param modle; known for the selected profiles and flows: .*\bmodel\b/);
    expect(r.stderr).toMatch(/\bapi_key\b/);
    const ok = await sim(['run', '--dry-run', '--flow', 'openai-chat', '--param', 'model=gpt-4']);
    expect(ok.code).toBe(0);
    const loadTypo = await sim(['load', '--target', 'http://127.0.0.1:9', '--flow', 'openai-chat', '--param', 'user_promt=x', '--requests', '1']);
    expect(loadTypo.code).toBe(2);
  });

  it('boto3 honours accept_encoding and authorization overrides', async () => {
    const plain = await sim(['run', '--dry-run', '--flow', 'bedrock-converse']);
    expect(plain.stdout).toContain('\r\nAccept-Encoding: identity\r\n');
    expect(plain.stdout).toMatch(/\r\nAuthorization: AWS4-HMAC-SHA256 Credential=ASIAY34FZKBOKMUTVV7A\/\d{8}\/us-east-1\/bedrock\/aws4_request, SignedHeaders=/);
    const r = await sim(['run', '--dry-run', '--flow', 'bedrock-converse', '--param', 'accept_encoding=gzip, deflate', '--param', 'authorization=AWS4-HMAC-SHA256 Credential=AKIDFORGED/20260101/us-east-1/bedrock/aws4_request, SignedHeaders=host, Signature=00']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('\r\nAccept-Encoding: gzip, deflate\r\n');
    expect(r.stdout).toContain('\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIDFORGED/20260101/us-east-1/bedrock/aws4_request, SignedHeaders=host, Signature=00\r\n');
  });
});
