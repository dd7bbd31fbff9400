/**
 * The listen backlog: node's default (511) overflowed under a 10,000-connection burst (192 resets
 * during connect; the descriptor limit was not the cause). `listen.backlog` sets it (default 4096,
 * which the kernel caps at net.core.somaxconn); `ss` shows a listening socket's backlog as Send-Q.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startTestGateway } from '../helpers/gateway.js';

const ssAvailable = ((): boolean => {
  try {
    execFileSync('ss', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

function backlogOf(port: number): number {
  const out = execFileSync('ss', ['-ltnH', `sport = :${port}`], { encoding: 'utf8' });
  const cols = out.trim().split(/\s+/);
  return Number(cols[2]);
}

describe.skipIf(!ssAvailable)('listen backlog', () => {
  it('is the configured value, and 4096 (or somaxconn) by default', async () => {
    const somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
    const set = await startTestGateway({ listen: { host: '127.0.0.1', port: 0, backlog: 1000 } });
    const dflt = await startTestGateway({});
    try {
      expect(backlogOf(Number(new URL(set.url).port))).toBe(Math.min(1000, somaxconn));
      expect(backlogOf(Number(new URL(dflt.url).port))).toBe(Math.min(4096, somaxconn));
    } finally {
      await set.close();
      await dflt.close();
    }
  });
});
