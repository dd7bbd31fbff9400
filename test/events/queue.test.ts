import { describe, expect, it } from 'vitest';
import { QueuedSink, type SinkWriter, type WriteResult } from '../../src/events/sinks/queue.js';

class Recorder implements SinkWriter<number> {
  batches: number[][] = [];
  closed = false;
  aborted = false;
  behaviour: (batch: readonly number[]) => Promise<WriteResult> = (b) => Promise.resolve({ written: b.length, failed: 0 });
  write(batch: readonly number[]): Promise<WriteResult> {
    this.batches.push([...batch]);
    return this.behaviour(batch);
  }
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
  abort(): void {
    this.aborted = true;
  }
}

function make(writer: Recorder, capacity: number, batchSize = 100, lingerMs = 0): QueuedSink<number> {
  return new QueuedSink<number>(writer, { name: 't', kind: 't', target: 't', capacity, batchSize, lingerMs });
}

describe('QueuedSink', () => {
  it('keeps order across many wrap-arounds of its ring', async () => {
    const w = new Recorder();
    const q = make(w, 7, 3);
    let next = 0;
    for (let round = 0; round < 200; round++) {
      const n = (round * 5) % 8; // 0..7 items, sometimes more than fit
      for (let i = 0; i < n; i++) q.offer(next++);
      await q.flush();
    }
    const seen = w.batches.flat();
    const dropped = q.stats().dropped;
    expect(seen.length + dropped).toBe(next);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    for (const b of w.batches) expect(b.length).toBeLessThanOrEqual(3);
  });

  it('never writes on the publisher stack', () => {
    const w = new Recorder();
    const q = make(w, 10);
    q.offer(1);
    expect(w.batches).toEqual([]);
  });

  it('writes a partial batch after lingerMs, a full one at once', async () => {
    const w = new Recorder();
    const q = make(w, 100, 10, 200);
    for (let i = 0; i < 3; i++) q.offer(i);
    await new Promise((r) => setTimeout(r, 50));
    expect(w.batches).toEqual([]);
    for (let i = 3; i < 10; i++) q.offer(i);
    await new Promise((r) => setTimeout(r, 20));
    expect(w.batches).toEqual([[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]]);
    q.offer(10);
    await new Promise((r) => setTimeout(r, 300));
    expect(w.batches).toHaveLength(2);
  });

  it('counts a throwing writer as failed and keeps going', async () => {
    const w = new Recorder();
    w.behaviour = (b) => (b.includes(2) ? Promise.reject(new Error('disk on fire\nsecond line')) : Promise.resolve({ written: b.length, failed: 0 }));
    const q = make(w, 10, 1);
    for (let i = 0; i < 4; i++) q.offer(i);
    await q.flush();
    expect(q.stats()).toMatchObject({ written: 3, failed: 1, lastError: 'Error: disk on fire second line' });
  });

  it('close() gives up after its timeout, aborts the writer and counts the rest as failed', async () => {
    const w = new Recorder();
    w.behaviour = () => new Promise(() => undefined); // never settles
    const q = make(w, 10, 1);
    for (let i = 0; i < 5; i++) q.offer(i);
    const started = Date.now();
    await q.close(150);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(w.aborted).toBe(true);
    expect(w.closed).toBe(true);
    expect(q.stats()).toMatchObject({ queued: 0, failed: 5, written: 0 }); // the batch in flight too
    expect(q.offer(9)).toBe(false);
  });

  it('disable() drops what waits and refuses the rest', async () => {
    const w = new Recorder();
    const q = make(w, 10);
    for (let i = 0; i < 5; i++) q.offer(i);
    q.disable('broken');
    expect(q.offer(5)).toBe(false);
    await q.flush();
    expect(w.batches).toEqual([]);
    expect(q.stats()).toMatchObject({ disabled: true, dropped: 6, queued: 0, lastError: 'broken' });
  });
});
