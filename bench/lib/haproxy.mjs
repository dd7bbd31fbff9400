// haproxy in front of the fake upstream (when Debian's haproxy is installed): the native reference
// for what a proxy hop costs. One thread, like the Node processes; connection reuse on.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort, waitForPort } from './http.mjs';
import { run, spawnTracked, which } from './proc.mjs';

export async function startHaproxy(upstreamPort, scratch) {
  const bin = await which('haproxy');
  if (!bin) return null;
  const port = await freePort();
  const cfg = join(scratch, 'haproxy.cfg');
  await writeFile(
    cfg,
    [
      'global',
      '  nbthread 1',
      '  maxconn 4096',
      'defaults',
      '  mode http',
      '  timeout connect 5s',
      '  timeout client 30s',
      '  timeout server 30s',
      '  http-reuse always',
      'frontend fe',
      `  bind 127.0.0.1:${port}`,
      '  default_backend be',
      'backend be',
      `  server up 127.0.0.1:${upstreamPort}`,
      '',
    ].join('\n'),
  );
  const version = (await run(bin, ['-v'], { timeoutMs: 5000 })).stdout.split('\n')[0].trim();
  const proc = spawnTracked('haproxy', bin, ['-db', '-f', cfg]);
  await waitForPort(port);
  return { ...proc, port, url: `http://127.0.0.1:${port}`, version };
}
