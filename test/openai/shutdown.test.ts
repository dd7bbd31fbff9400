/**
 * Shutdown drains, but not forever: in-flight requests may finish within listen.drain_timeout;
 * after it, a stream that never ends and a client that never speaks are cut, and close() returns.
 */
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startFakeUpstream } from '../helpers/fake-upstream.js';
import { startTestGateway } from '../helpers/gateway.js';

const VALID = 'sk-proj-ShutdownDrainTests0123456789abcdefghijklmnopqrstuvwxyzT3BlbkFJ';

describe('shutdown', () => {
  it('cuts an endless stream and a silent connection after drain_timeout, and close() returns', async () => {
    const upstream = await startFakeUpstream();
    const gw = await startTestGateway({
      listen: { host: '127.0.0.1', port: 0, drain_timeout: '400ms' },
      upstreams: { openai: { type: 'openai', url: upstream.url } },
      keys: [{ key: VALID, class: 'valid', upstream: 'openai' }],
    });
    try {
      const u = new URL(gw.url);
      const silent = connect(Number(u.port), u.hostname);
      await new Promise((r) => silent.once('connect', r));
      const silentClosed = new Promise((r) => silent.once('close', r));
      const endless = await fetch(`${gw.url}/v1/slow`, { method: 'POST', headers: { authorization: `Bearer ${VALID}` }, body: '{}' });
      const reader = endless.body!.getReader();
      await reader.read();
      const started = Date.now();
      await gw.close();
      const took = Date.now() - started;
      expect(took).toBeGreaterThanOrEqual(350);
      expect(took).toBeLessThan(3000);
      await expect(Promise.race([silentClosed.then(() => 'closed'), new Promise((r) => setTimeout(() => r('open'), 2000))])).resolves.toBe('closed');
      await expect(reader.read()).rejects.toThrow();
    } finally {
      await upstream.close();
    }
  });
});
