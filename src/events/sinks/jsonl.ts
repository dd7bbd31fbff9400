/**
 * JSON Lines sink (https://jsonlines.org/): one event per line, UTF-8, `\n` after each — the input
 * filebeat's `filestream` with the `ndjson` parser expects.
 *
 * Lines never split: JSON.stringify escapes every newline inside strings, a batch is written as
 * whole lines by one worker (queue.ts: never two writes at once), and rotation happens only between
 * writes. Rotation (logrotate numbering: `<path>.1` is the newest rotated file, `<path>.<keep>` the
 * oldest) happens before a write that would pass `max_bytes`, and at the first write once the file
 * is `max_age` old. A single line longer than `max_bytes` is written alone into a fresh file.
 * Files are created 0600: events hold client IPs and lure prompts.
 */
import { mkdir, open, readdir, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { JsonlConfig } from '../config.js';
import type { GatewayEvent } from '../model.js';
import { QueuedSink, type MetricHandler, type SinkWriter, type WriteResult } from './queue.js';
import { eventJson } from './serialize.js';

export interface JsonlWriterOptions {
  readonly path: string;
  /** 0: never rotate by size */
  readonly maxBytes: number;
  /** ms; 0: never rotate by age */
  readonly maxAgeMs: number;
  readonly keep: number;
  /** clock for age rotation (tests) */
  readonly now?: () => number;
}

const FILE_MODE = 0o600;

export class JsonlWriter implements SinkWriter<GatewayEvent> {
  readonly #path: string;
  readonly #maxBytes: number;
  readonly #maxAgeMs: number;
  readonly #keep: number;
  readonly #now: () => number;
  #handle: FileHandle | undefined;
  #size = 0;
  #openedAt = 0;
  /** rotations done (for tests and stats) */
  rotations = 0;

  constructor(options: JsonlWriterOptions) {
    this.#path = options.path;
    this.#maxBytes = options.maxBytes;
    this.#maxAgeMs = options.maxAgeMs;
    this.#keep = options.keep;
    this.#now = options.now ?? Date.now;
  }

  async write(batch: readonly GatewayEvent[]): Promise<WriteResult> {
    let failed = 0;
    // lines as text, turned into bytes once per chunk (a Buffer per line was measurable, issue 11)
    const lines: string[] = [];
    const sizes: number[] = [];
    for (const event of batch) {
      try {
        const line = `${eventJson(event)}\n`;
        lines.push(line);
        sizes.push(Buffer.byteLength(line, 'utf8'));
      } catch {
        failed++; // not serializable: count it, keep the rest of the batch
      }
    }
    let written = 0;
    try {
      await this.#ensureOpen();
      if (this.#maxAgeMs > 0 && this.#size > 0 && this.#now() - this.#openedAt >= this.#maxAgeMs) await this.#rotate();
      // Group whole lines into chunks that fit the size limit; rotate between chunks.
      let from = 0;
      let chunkBytes = 0;
      for (let i = 0; i < lines.length; i++) {
        const size = sizes[i] as number;
        if (this.#maxBytes > 0 && this.#size + chunkBytes + size > this.#maxBytes && this.#size + chunkBytes > 0) {
          if (i > from) {
            await this.#append(lines.slice(from, i), chunkBytes);
            written += i - from;
            from = i;
            chunkBytes = 0;
          }
          await this.#rotate();
        }
        chunkBytes += size;
      }
      if (lines.length > from) {
        await this.#append(from === 0 ? lines : lines.slice(from), chunkBytes);
        written += lines.length - from;
      }
    } catch (e: unknown) {
      // the file is in an unknown state: reopen (and re-stat) on the next batch
      await this.#closeHandle();
      if (written === 0 && failed === 0) throw e;
      return { written, failed: failed + (lines.length - written) };
    }
    return { written, failed };
  }

  async close(): Promise<void> {
    if (this.#handle !== undefined) {
      try {
        await this.#handle.datasync();
      } finally {
        await this.#closeHandle();
      }
    }
  }

  async #append(chunk: readonly string[], bytes: number): Promise<void> {
    const handle = this.#handle;
    if (handle === undefined) throw new Error('JSONL file is not open');
    const data = Buffer.from(chunk.length === 1 ? (chunk[0] as string) : chunk.join(''), 'utf8');
    let offset = 0;
    // a file write may be partial; the file is opened O_APPEND so each write lands at the end
    for (let tries = 0; offset < data.length; tries++) {
      if (tries > 1000) throw new Error('JSONL write made no progress');
      const { bytesWritten } = await handle.write(data, offset, data.length - offset);
      offset += bytesWritten;
    }
    this.#size += bytes;
  }

  async #ensureOpen(): Promise<void> {
    if (this.#handle !== undefined) return;
    await mkdir(dirname(this.#path), { recursive: true, mode: 0o700 });
    const handle = await open(this.#path, 'a', FILE_MODE);
    const info = await handle.stat();
    this.#handle = handle;
    this.#size = info.size;
    // an existing file keeps its age across restarts (birthtime where the file system has it)
    const born = info.birthtimeMs > 0 ? info.birthtimeMs : info.mtimeMs;
    this.#openedAt = info.size > 0 ? Math.min(born, this.#now()) : this.#now();
  }

  async #rotate(): Promise<void> {
    await this.#closeHandle();
    if (this.#keep === 0) {
      await rm(this.#path, { force: true });
    } else {
      // shift only the rotated files that exist (one readdir instead of `keep` stats)
      const prefix = `${basename(this.#path)}.`;
      const present = (await readdir(dirname(this.#path)))
        .filter((name) => name.startsWith(prefix) && /^[1-9]\d{0,5}$/.test(name.slice(prefix.length)))
        .map((name) => Number(name.slice(prefix.length)))
        .sort((a, b) => b - a);
      for (const i of present) {
        const from = `${this.#path}.${i}`;
        if (i >= this.#keep) await rm(from, { force: true });
        else await rename(from, `${this.#path}.${i + 1}`);
      }
      await rename(this.#path, `${this.#path}.1`);
    }
    this.rotations++;
    const handle = await open(this.#path, 'a', FILE_MODE);
    this.#handle = handle;
    this.#size = 0;
    this.#openedAt = this.#now();
  }

  async #closeHandle(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    if (handle !== undefined) {
      try {
        await handle.close();
      } catch {
        // already closed or the disk is gone; nothing left to do
      }
    }
  }
}

export interface JsonlSinkOptions {
  readonly path: string;
  readonly config: JsonlConfig;
  readonly queueSize: number;
  readonly onMetric?: MetricHandler | undefined;
  readonly now?: () => number;
}

/** The JSONL sink: a queue in front of a JsonlWriter. Subscribe `sink.offer` to the bus. */
export function createJsonlSink(options: JsonlSinkOptions): { sink: QueuedSink<GatewayEvent>; writer: JsonlWriter } {
  const writer = new JsonlWriter({
    path: options.path,
    maxBytes: options.config.max_bytes,
    maxAgeMs: options.config.max_age,
    keep: options.config.keep,
    ...(options.now !== undefined ? { now: options.now } : {}),
  });
  const sink = new QueuedSink<GatewayEvent>(writer, {
    name: 'jsonl',
    kind: 'jsonl',
    target: options.path,
    capacity: options.queueSize,
    // one write per flush_interval or per 256 lines, whichever comes first (issue 11 profile: a file
    // write per event-loop turn was ~10% of the CPU at concurrency 1; holding events for 100 ms
    // instead cost more in garbage collection than it saved, as they outlived the young generation)
    batchSize: 256,
    lingerMs: options.config.flush_interval,
    onMetric: options.onMetric,
  });
  return { sink, writer };
}
