// honeygate under test: the shipped binary (bin/honeygate.js → dist/) started with `serve --config`
// in a child process, so it has its own event loop and never shares one with the load generator.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KEYS } from './fixtures.mjs';
import { startChild } from './proc.mjs';

/** the honeygate tree under test (bin/ and dist/): this repo, or HONEYGATE_ROOT (e.g. a clean build of another commit) */
export const ROOT = process.env.HONEYGATE_ROOT ?? fileURLToPath(new URL('../..', import.meta.url));

/**
 * The bench config: one real upstream, a valid and a lure key, one per-IP rate limit (so every
 * forwarded request consumes a counter, as a deployment would), events as `events` says.
 */
export function benchConfig({ upstreamUrl, dataDir, store = { backend: 'memory' }, events = 'jsonl', trustedProxies = [], extra = {} }) {
  return {
    listen: { host: '127.0.0.1', port: 0 },
    trusted_proxies: trustedProxies,
    upstreams: { openai: { type: 'openai', url: upstreamUrl } },
    keys: [
      { name: 'bench-valid', key: KEYS.valid, class: 'valid', upstream: 'openai' },
      { name: 'bench-lure', key: KEYS.lure, class: 'lure', campaign: 'bench', max_requests: 2_000_000_000, upstream: 'decoy' },
    ],
    limits: { rules: [{ name: 'per-ip', by: 'ip', limit: 1_000_000_000, window: '1m' }] },
    store,
    events: {
      dir: dataDir,
      jsonl: { enabled: events !== 'none' },
      // 'full': the default configuration (JSONL + SQLite); an object: that event store (PostgreSQL)
      store: typeof events === 'object' ? events : { driver: events === 'full' ? 'sqlite' : 'none' },
    },
    ...extra,
  };
}

let seq = 0;
/** Start honeygate from dist/ with `config`; `profileDir` turns on --cpu-prof (written at exit). */
export async function startGateway(name, config, { scratch, profileDir } = {}) {
  const file = join(scratch, `gateway-${++seq}.json`);
  await writeFile(file, JSON.stringify(config, null, 2));
  const nodeArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`] : [];
  return startChild(name, process.execPath, [...nodeArgs, join(ROOT, 'bin', 'honeygate.js'), 'serve', '--config', file, '--port', '0'], {
    cwd: scratch,
    ready: (line) => {
      const m = /honeygate listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(line);
      return m ? Number(m[1]) : undefined;
    },
  });
}

/**
 * Settings the bench wants when this honeygate knows them (the config schema is strict, and the
 * tree under test may be older or newer): each patch is kept only if the config still validates.
 * - the decoy answers at once (realistic_timing: false): the lure path measures the decoy's work,
 *   not a model's pace.
 */
const OPTIONAL_PATCHES = [(c) => ({ ...c, lure_defaults: { ...(c.lure_defaults ?? {}), realistic_timing: false } })];

export async function fitConfig(config) {
  const { loadConfigObject } = await import(`${ROOT}/dist/config/load.js`);
  const valid = async (c) => {
    const { config: loaded, issues } = await loadConfigObject(c, { env: {} });
    return loaded ? null : issues;
  };
  const issues = await valid(config);
  if (issues) throw new Error(`bench config rejected by honeygate: ${JSON.stringify(issues)}`);
  let out = config;
  for (const patch of OPTIONAL_PATCHES) {
    const next = patch(out);
    if ((await valid(next)) === null) out = next;
  }
  return out;
}
