import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventBus } from '../../src/events/bus.js';
import { jsonlConfigSchema } from '../../src/events/config.js';
import type { GatewayEvent } from '../../src/events/model.js';
import { createJsonlSink, JsonlWriter } from '../../src/events/sinks/jsonl.js';
import { makeEvent } from './fixtures.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hg-jsonl-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Every line of the current file and its rotated files, oldest first; throws on a broken line. */
async function readAll(path: string): Promise<{ lines: GatewayEvent[]; files: { name: string; bytes: number; lines: number }[] }> {
  const base = path.split('/').pop() ?? '';
  const names = (await readdir(join(path, '..'))).filter((n) => n === base || n.startsWith(`${base}.`));
  const rotated = names
    .filter((n) => n !== base)
    .map((n) => Number(n.slice(base.length + 1)))
    .sort((a, b) => b - a)
    .map((i) => `${base}.${i}`);
  const ordered = [...rotated, ...(names.includes(base) ? [base] : [])];
  const lines: GatewayEvent[] = [];
  const files: { name: string; bytes: number; lines: number }[] = [];
  for (const name of ordered) {
    const text = await readFile(join(path, '..', name), 'utf8');
    if (text.length > 0) expect(text.endsWith('\n'), `${name} ends mid-line`).toBe(true);
    const parts = text.split('\n').slice(0, -1);
    for (const part of parts) lines.push(JSON.parse(part) as GatewayEvent);
    files.push({ name, bytes: Buffer.byteLength(text), lines: parts.length });
  }
  return { lines, files };
}

function config(input: Record<string, unknown> = {}) {
  return jsonlConfigSchema.parse(input);
}

describe('JSONL sink', () => {
  it('writes the events of one flush_interval together, not one write per event', async () => {
    const path = join(dir, 'events.jsonl');
    const { sink, writer } = createJsonlSink({ path, config: config({ flush_interval: '300ms' }), queueSize: 1000 });
    const batches: number[] = [];
    const write = writer.write.bind(writer);
    writer.write = async (batch) => {
      batches.push(batch.length);
      return write(batch);
    };
    const first = makeEvent({ model: 'first' });
    sink.offer(first);
    await new Promise((r) => setTimeout(r, 60));
    sink.offer(makeEvent({ model: 'second' }));
    await new Promise((r) => setTimeout(r, 60));
    // still lingering: nothing written yet
    expect(batches).toEqual([]);
    const until = Date.now() + 3000;
    while (batches.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    await sink.flush();
    expect(batches).toEqual([2]);
    const { lines } = await readAll(path);
    expect(lines.map((e) => e.honeygate.model)).toEqual(['first', 'second']);
    // flush() does not wait for the interval
    sink.offer(makeEvent({ model: 'third' }));
    await sink.flush();
    expect(batches).toEqual([2, 1]);
    await sink.close(1000);
  });

  it('writes one JSON object per line and flushes on close', async () => {
    const path = join(dir, 'sub', 'events.jsonl');
    const { sink } = createJsonlSink({ path, config: config(), queueSize: 1000 });
    const bus = new EventBus();
    bus.subscribe((e) => sink.offer(e));
    const events = Array.from({ length: 250 }, (_, i) => makeEvent({ model: `m-${i}` }));
    for (const e of events) bus.publish(e);
    await sink.close(5000); // no flush() first: close must flush
    const { lines } = await readAll(path);
    expect(lines).toEqual(events);
    expect(sink.stats()).toMatchObject({ name: 'jsonl', written: 250, failed: 0, dropped: 0, queued: 0 });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('keeps hostile strings on one line and round-trips them exactly', async () => {
    const path = join(dir, 'events.jsonl');
    const { sink } = createJsonlSink({ path, config: config(), queueSize: 100 });
    const nasty = 'a\nb\r\nc\u2028d\u2029e\u0000f"g\\h\ud800i\udfffj</script>\u001b[31mred';
    const events = [makeEvent({ prompt: nasty, userAgent: nasty, model: '\n\n' }), makeEvent({ prompt: 'x'.repeat(100_000) })];
    for (const e of events) sink.offer(e);
    await sink.close(5000);
    const text = await readFile(path, 'utf8');
    expect(text.split('\n')).toHaveLength(3);
    expect((await readAll(path)).lines).toEqual(events);
  });

  it('never splits a line under concurrent producers and constant size rotation', async () => {
    const path = join(dir, 'events.jsonl');
    const maxBytes = 32 * 1024;
    const { sink, writer } = createJsonlSink({ path, config: config({ max_bytes: maxBytes, keep: 1000 }), queueSize: 100_000 });
    const bus = new EventBus();
    bus.subscribe((e) => sink.offer(e));
    const published: string[] = [];
    // 8 producers interleave their publishes across turns of the event loop while the worker writes and rotates
    const producer = async (p: number): Promise<void> => {
      for (let i = 0; i < 250; i++) {
        const e = makeEvent({ model: `p${p}-${i}`, prompt: 'z'.repeat((i * 37 + p * 11) % 900) });
        published.push(e.event.id);
        bus.publish(e);
        if (i % 7 === p % 7) await new Promise((r) => setImmediate(r));
      }
    };
    await Promise.all(Array.from({ length: 8 }, (_, p) => producer(p)));
    await sink.close(10_000);
    const { lines, files } = await readAll(path);
    expect(lines.map((e) => e.event.id)).toEqual(published); // nothing lost, nothing doubled, in order
    expect(writer.rotations).toBeGreaterThan(20);
    expect(files.length).toBe(writer.rotations + 1);
    for (const f of files) {
      expect(f.lines).toBeGreaterThan(0);
      if (f.lines > 1) expect(f.bytes).toBeLessThanOrEqual(maxBytes);
    }
  });

  it('writes a line larger than max_bytes alone into its own file', async () => {
    const path = join(dir, 'events.jsonl');
    const { sink } = createJsonlSink({ path, config: config({ max_bytes: 2048, keep: 10 }), queueSize: 100 });
    sink.offer(makeEvent({ model: 'small-1' }));
    sink.offer(makeEvent({ model: 'big', prompt: 'B'.repeat(5000) }));
    sink.offer(makeEvent({ model: 'small-2' }));
    await sink.close(5000);
    const { lines, files } = await readAll(path);
    expect(lines.map((e) => e.honeygate.model)).toEqual(['small-1', 'big', 'small-2']);
    expect(files.map((f) => f.lines)).toEqual([1, 1, 1]);
  });

  it('rotates by age at the first write after max_age, and keeps only `keep` files', async () => {
    const path = join(dir, 'events.jsonl');
    let clock = 1_000_000;
    const { sink, writer } = createJsonlSink({
      path,
      config: config({ max_age: '1h', keep: 2, max_bytes: 0 }),
      queueSize: 100,
      now: () => clock,
    });
    for (let round = 0; round < 5; round++) {
      sink.offer(makeEvent({ model: `round-${round}` }));
      sink.offer(makeEvent({ model: `round-${round}` }));
      await sink.flush();
      clock += 30 * 60_000; // 30 min: no rotation yet
      sink.offer(makeEvent({ model: `round-${round}` }));
      await sink.flush();
      clock += 31 * 60_000; // past the hour: the next write rotates
    }
    await sink.close(5000);
    expect(writer.rotations).toBe(4);
    const names = (await readdir(dir)).sort();
    expect(names).toEqual(['events.jsonl', 'events.jsonl.1', 'events.jsonl.2']);
    const { lines } = await readAll(path);
    expect(lines.map((e) => e.honeygate.model)).toEqual(Array.from({ length: 9 }, (_, i) => `round-${2 + Math.floor(i / 3)}`));
  });

  it('keep 0 deletes the file on rotation', async () => {
    const path = join(dir, 'events.jsonl');
    const { sink } = createJsonlSink({ path, config: config({ max_bytes: 1500, keep: 0 }), queueSize: 100 });
    for (let i = 0; i < 10; i++) sink.offer(makeEvent({ model: `k-${i}` }));
    await sink.close(5000);
    expect(await readdir(dir)).toEqual(['events.jsonl']);
    const { lines } = await readAll(path);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.at(-1)?.honeygate.model).toBe('k-9');
  });

  it('appends to an existing file and counts its size toward rotation', async () => {
    const path = join(dir, 'events.jsonl');
    const old = `${JSON.stringify(makeEvent({ model: 'old' }))}\n`;
    await writeFile(path, old.repeat(3));
    const { sink } = createJsonlSink({ path, config: config({ max_bytes: old.length * 3 + 10, keep: 3 }), queueSize: 10 });
    sink.offer(makeEvent({ model: 'new' }));
    await sink.close(5000);
    const { lines, files } = await readAll(path);
    expect(lines.map((e) => e.honeygate.model)).toEqual(['old', 'old', 'old', 'new']);
    expect(files.map((f) => f.name)).toEqual(['events.jsonl.1', 'events.jsonl']);
  });

  it('counts an unserializable event as failed and writes the rest of its batch', async () => {
    const path = join(dir, 'events.jsonl');
    const { sink } = createJsonlSink({ path, config: config(), queueSize: 10 });
    const bad = { ...makeEvent(), honeygate: { overhead_ms: 10n } } as unknown as GatewayEvent;
    sink.offer(makeEvent({ model: 'a' }));
    sink.offer(bad);
    sink.offer(makeEvent({ model: 'b' }));
    await sink.close(5000);
    expect(sink.stats()).toMatchObject({ written: 2, failed: 1 });
    expect((await readAll(path)).lines.map((e) => e.honeygate.model)).toEqual(['a', 'b']);
  });

  it('counts a batch it cannot write as failed, and recovers when the path becomes writable', async () => {
    const blocker = join(dir, 'blocker');
    await writeFile(blocker, 'a file where a folder should be');
    const path = join(blocker, 'events.jsonl');
    const { sink } = createJsonlSink({ path, config: config(), queueSize: 10 });
    sink.offer(makeEvent());
    sink.offer(makeEvent());
    await sink.flush();
    expect(sink.stats()).toMatchObject({ written: 0, failed: 2 });
    expect(sink.stats().lastError).toMatch(/ENOTDIR|EEXIST/);
    await rm(blocker);
    sink.offer(makeEvent({ model: 'after' }));
    await sink.close(5000);
    expect(sink.stats()).toMatchObject({ written: 1, failed: 2 });
    expect((await readAll(path)).lines.map((e) => e.honeygate.model)).toEqual(['after']);
  });

  it('drops the newest events when its queue is full, and counts them', async () => {
    const path = join(dir, 'events.jsonl');
    const { sink } = createJsonlSink({ path, config: config(), queueSize: 10 });
    const events = Array.from({ length: 100 }, (_, i) => makeEvent({ model: `q-${i}` }));
    const accepted = events.map((e) => sink.offer(e)); // one synchronous burst: the worker has not run yet
    expect(accepted.filter(Boolean)).toHaveLength(10);
    expect(sink.stats()).toMatchObject({ queued: 10, dropped: 90 });
    await sink.close(5000);
    expect(sink.stats()).toMatchObject({ queued: 0, dropped: 90, written: 10 });
    expect((await readAll(path)).lines.map((e) => e.honeygate.model)).toEqual(events.slice(0, 10).map((e) => e.honeygate.model));
    expect(sink.offer(makeEvent())).toBe(false); // closed: refused and counted
    expect(sink.stats().dropped).toBe(91);
  });

  it('property: any mix of line sizes and limits keeps every line whole and every file within max_bytes', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 3000 }), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 200, max: 6000 }),
        fc.integer({ min: 1, max: 7 }),
        async (sizes, maxBytes, batch) => {
          const path = join(dir, `prop-${run++}`, 'events.jsonl');
          const writer = new JsonlWriter({ path, maxBytes, maxAgeMs: 0, keep: 1000 });
          const events = sizes.map((n) => makeEvent({ prompt: 'p'.repeat(n) }));
          for (let i = 0; i < events.length; i += batch) await writer.write(events.slice(i, i + batch));
          await writer.close();
          const { lines, files } = await readAll(path);
          expect(lines.map((e) => e.event.id)).toEqual(events.map((e) => e.event.id));
          for (const f of files) if (f.lines > 1) expect(f.bytes).toBeLessThanOrEqual(maxBytes);
        },
      ),
      { numRuns: 40 },
    );
  });
});
