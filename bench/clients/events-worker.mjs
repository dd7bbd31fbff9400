// Events per second the events worker sustains, in a process of its own: request records published
// on the bus as fast as it takes them (in turns of 256, yielding between turns as a server would),
// for a fixed time, then a flush; the rate is what the sinks wrote per second of the run. Printed
// for the default sinks (JSONL + SQLite) and, when PostgreSQL answers, JSONL + PostgreSQL.
// Usage: node events-worker.mjs '{"root":…, "dir":…, "pgUrl":…, "pgSchema":…, "seconds":5}'
import { join } from 'node:path';

const spec = JSON.parse(process.argv[2]);
const { loadConfigObject } = await import(`${spec.root}/dist/config/load.js`);
const { EventBus } = await import(`${spec.root}/dist/events/bus.js`);
const { startEventsWorker } = await import(`${spec.root}/dist/events/worker/client.js`);

const KEY = Object.freeze({ class: 'invalid', fingerprint: 'sha256:0123456789abcdef' });
const record = (i) => ({
  phase: 0, alerted: false, id: undefined, wall: Date.now(), durationMs: 0.4, status: 401, method: 'POST', contentLength: '120',
  responseBytes: 302, ip: `198.51.100.${i & 255}`, port: 40000 + (i & 1023), path: '/v1/chat/completions', ua: 'OpenAI/Python 1.55.0',
  surface: 'openai', key: KEY, verdictAction: 'reject', verdictReason: 'invalid_key', model: undefined, bodyHead: undefined,
  upstream: undefined, route: undefined, upstreamMs: -1, stream: 0, client: undefined, stainless: undefined, lure: undefined, tool: undefined,
});

async function measure(name, store) {
  const { config } = await loadConfigObject({ events: { dir: join(spec.dir, name), store, queue_size: 100_000 } }, { env: {} });
  if (!config) throw new Error(`config for ${name} rejected`);
  const bus = new EventBus();
  const events = await startEventsWorker(config.events, bus);
  await events.ready();
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  let offered = 0;
  while (performance.now() - started < spec.seconds * 1000) {
    for (let i = 0; i < 256; i++) bus.publishRecord(record(offered++));
    await new Promise((r) => setImmediate(r));
  }
  await events.flush();
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const stats = events.stats();
  await events.close();
  const worker = stats.find((s) => s.name === 'events-worker');
  const written = Math.min(...stats.filter((s) => s.name !== 'events-worker').map((s) => s.written));
  return {
    sinks: name,
    offered,
    written,
    dropped: worker.dropped + Math.max(...stats.map((s) => (s.name === 'events-worker' ? 0 : s.dropped))),
    events_per_s: Math.round(written / seconds),
    // this process's CPU (request side and worker) per event written
    cpu_us_per_event: Math.round(((cpu.user + cpu.system) / Math.max(1, written)) * 10) / 10,
  };
}

const out = [await measure('jsonl+sqlite', { driver: 'sqlite' })];
try {
  out.push(await measure('jsonl+postgres', { driver: 'postgres', url: spec.pgUrl, schema: spec.pgSchema }));
} catch (e) {
  process.stderr.write(`postgres skipped: ${e instanceof Error ? e.message : String(e)}\n`);
}
process.stdout.write(JSON.stringify(out));
