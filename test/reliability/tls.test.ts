/**
 * TLS certificates: several served by SNI (`listen.tls` as a list with server_names), and a renewed
 * certificate picked up without a restart — on file change, and on reload (whose report says so).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, configFrom, type TestGateway } from '../helpers/gateway.js';

const opensslAvailable = ((): boolean => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

function mint(dir: string, name: string, cn: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', `/CN=${cn}`, '-addext', `subjectAltName=DNS:${cn}`], { stdio: 'ignore' });
  return { cert, key };
}

/** the CN of the certificate the server presents for `servername` (undefined: no SNI) */
function presented(port: number, servername: string | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...(servername !== undefined ? { servername } : {}) }, () => {
      const cn = s.getPeerCertificate().subject?.CN;
      s.destroy();
      resolve(String(cn));
    });
    s.on('error', reject);
  });
}

describe.skipIf(!opensslAvailable)('TLS: SNI and renewal', () => {
  let dir = '';
  let gw: TestGateway;
  let port = 0;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hg-tls-sni-'));
    const a = mint(dir, 'default', 'default.test');
    const b = mint(dir, 'api', 'api.example.test');
    const w = mint(dir, 'wild', 'wild.example.org');
    gw = await startTestGateway({
      listen: {
        host: '127.0.0.1',
        port: 0,
        tls: [
          { cert: a.cert, key: a.key },
          { cert: b.cert, key: b.key, server_names: ['api.example.test'] },
          { cert: w.cert, key: w.key, server_names: ['*.example.org'] },
        ],
      },
    });
    port = Number(new URL(gw.url).port);
  }, 30_000);
  afterAll(async () => {
    await gw?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves each certificate by SNI, the default for unknown or absent names', async () => {
    expect(await presented(port, 'api.example.test')).toBe('api.example.test');
    expect(await presented(port, 'x.example.org')).toBe('wild.example.org');
    expect(await presented(port, 'other.test')).toBe('default.test');
    expect(await presented(port, undefined)).toBe('default.test');
  });

  it('picks up a renewed certificate when its files change', async () => {
    const renewed = mint(dir, 'renew-tmp', 'renewed-by-file.test');
    // as a renewal tool does: new files moved over the old ones
    renameSync(renewed.key, join(dir, 'api.key'));
    renameSync(renewed.cert, join(dir, 'api.crt'));
    const until = Date.now() + 10_000;
    let cn = '';
    while (Date.now() < until) {
      cn = await presented(port, 'api.example.test');
      if (cn === 'renewed-by-file.test') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(cn).toBe('renewed-by-file.test');
  }, 20_000);

  it('reload re-reads the certificates and reports them', async () => {
    const renewed = mint(dir, 'renew2-tmp', 'renewed-by-reload.test');
    renameSync(renewed.key, join(dir, 'default.key'));
    renameSync(renewed.cert, join(dir, 'default.crt'));
    const notes = await gw.gateway.reload(await configFrom({ listen: { ...gw.config.listen, port: 0 } }));
    expect(notes.join('\n')).toMatch(/listen\.tls: serving default: .*renewed-by-reload\.test/);
    expect(await presented(port, undefined)).toBe('renewed-by-reload.test');
  });
});
