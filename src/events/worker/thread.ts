/**
 * The events worker thread: takes the request thread's batches of compact records (protocol.ts),
 * builds each ECS event (record.ts) and offers it to the sinks, which run here exactly as the sink
 * factory (sinks/index.ts) assembles them, each behind its own bounded queue.
 *
 * Two buses: `all` feeds the JSONL, store and syslog sinks (and any sink the factory adds), `alerts`
 * feeds the webhooks. A lure's early record goes to `alerts` only; its final record (marked
 * `alerted`) to `all` only; any other event to both. So a lure is alerted once, promptly, and
 * stored once, complete.
 *
 * After each batch the worker adds what it took to the shared counter the request thread bounds
 * its in-flight events with.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { EventBus } from '../bus.js';
import type { GatewayEvent, KeyInfo } from '../model.js';
import { eventFromRecord } from '../record.js';
import { createSinks, type Sinks } from '../sinks/index.js';
import { errorText } from '../sinks/queue.js';
import { decodeRecord, STRIDE, type FromWorker, type ToWorker, type WorkerInit } from './protocol.js';

function mainPort(): MessagePort {
  if (parentPort === null) throw new Error('events worker: not on a worker thread');
  return parentPort;
}
const port = mainPort();
const init = workerData as WorkerInit;
const done = new Int32Array(init.done);
const keys = new Map<number, KeyInfo>();
const all = new EventBus();
const alerts = new EventBus();
const send = (message: FromWorker): void => port.postMessage(message);

let sinks: Sinks | undefined;
let closing = false;
/** batches that arrived while the sinks were opening */
const waiting: ToWorker[] = [];

function takeBatch(m: Extract<ToWorker, { type: 'batch' }>): void {
  if (m.k !== undefined) for (let i = 0; i + 1 < m.k.length; i += 2) keys.set(m.k[i] as number, m.k[i + 1] as KeyInfo);
  const r = m.r;
  let n = 0;
  for (let at = 0; at + STRIDE <= r.length; at += STRIDE) {
    n++;
    try {
      const rec = decodeRecord(r, at, keys);
      const event = eventFromRecord(rec);
      if (rec.phase === 1) alerts.publish(event);
      else {
        all.publish(event);
        if (!rec.alerted) alerts.publish(event);
      }
    } catch (e: unknown) {
      process.emitWarning(`honeygate: event not built: ${errorText(e)}`);
    }
  }
  if (m.e !== undefined) {
    for (const event of m.e) {
      n++;
      all.publish(event);
      alerts.publish(event);
    }
  }
  Atomics.add(done, 0, n);
}

async function handle(m: ToWorker): Promise<void> {
  switch (m.type) {
    case 'batch':
      takeBatch(m);
      return;
    case 'flush':
      await sinks?.flush();
      send({ type: 'flushed', seq: m.seq, stats: sinks?.stats() ?? [] });
      return;
    case 'close': {
      closing = true;
      clearInterval(timer);
      await sinks?.close();
      send({ type: 'closed', stats: sinks?.stats() ?? [] });
      port.close();
      return;
    }
  }
}

port.on('message', (m: ToWorker) => {
  if (closing) return;
  if (sinks === undefined) {
    waiting.push(m);
    return;
  }
  void handle(m);
});

const timer = setInterval(() => {
  if (sinks !== undefined) send({ type: 'stats', stats: sinks.stats() });
}, init.statsIntervalMs);
timer.unref();

try {
  sinks = await createSinks(init.config, all, {
    alerts,
    closeTimeoutMs: init.closeTimeoutMs,
    ...(init.version !== undefined ? { version: init.version } : {}),
    // a sink's own system event (a webhook disabled itself): recorded here, and shown on the request thread
    publish: (event: GatewayEvent) => {
      all.publish(event);
      send({ type: 'event', event });
    },
  });
} catch (e: unknown) {
  send({ type: 'fatal', message: errorText(e) });
  process.exit(1);
}
send({ type: 'ready' });
for (const m of waiting.splice(0)) await handle(m);
