// Memory after N distinct client IPs through the memory store, in a process of its own: the bench
// config loaded by honeygate's own loader, each request's store call built by honeygate's Policy
// (the per-IP rate limit of the bench config) and sent to the store from createStore — the exact
// admit() the gateway makes per forwarded request, without the HTTP around it (a million HTTP
// requests do not fit the run's time budget on two cores). RSS is read after a full GC at 0, 1M
// and 2M clients. argv[2] = JSON { root, config, perPhase }.
const spec = JSON.parse(process.argv[2]);
const { loadConfigObject } = await import(`${spec.root}/dist/config/load.js`);
const { createStore } = await import(`${spec.root}/dist/store/index.js`);
const { Policy } = await import(`${spec.root}/dist/core/policy.js`);
const { keyRecord } = await import(`${spec.root}/dist/core/runtime.js`);

const { config, issues } = await loadConfigObject(spec.config, { env: {} });
if (!config) throw new Error(JSON.stringify(issues));
const store = createStore(config.store);
const policy = new Policy(config);
const record = keyRecord(config.keys[0], config, 0);
const headers = {};

const mb = (b) => Math.round((b / 1048576) * 10) / 10;
function snapshot(clients, startedAt) {
  globalThis.gc?.();
  globalThis.gc?.();
  const m = process.memoryUsage();
  return { clients, rss_mb: mb(m.rss), heap_used_mb: mb(m.heapUsed), seconds: Math.round((performance.now() - startedAt) / 100) / 10, ...(store.stats ? store.stats() : {}) };
}

const t0 = performance.now();
const out = [snapshot(0, t0)];
let i = 0;
for (let phase = 1; phase <= 2; phase++) {
  const end = phase * spec.perPhase;
  for (; i < end; i++) {
    const n = 0x0a000000 + i; // 10.0.0.0 + i: every client a distinct address
    const ip = `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
    await store.admit(policy.admitInput({ ip, headers, record, tokens: 0 }));
  }
  out.push(snapshot(end, t0));
}
await store.close();
process.stdout.write(`${JSON.stringify({ gc: typeof globalThis.gc === 'function', maxEntries: config.store.memory.max_entries, snapshots: out })}\n`);
