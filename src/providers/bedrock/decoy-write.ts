/**
 * Writing the Bedrock decoy's answers: the response heads of JSON and event-stream answers, and the
 * frames of a stream paced over the generation's time, with backpressure, stopping when the client
 * goes away. Moved out of decoy.ts as is.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { HttpResponse } from '../../core/http.js';
import { httpDate } from '../../util/http-date.js';
import type { Generation } from './decoy-native.js';
import { writeAwsHead } from './errors.js';

export function jsonHeaders(length: number, requestId: string): string[] {
  return ['Date', httpDate(), 'Content-Type', 'application/json', 'Content-Length', String(length), 'Connection', 'keep-alive', 'x-amzn-RequestId', requestId];
}

export function streamHeaders(requestId: string, bedrockContentType: string | null): string[] {
  const h = ['Date', httpDate(), 'Content-Type', 'application/vnd.amazon.eventstream', 'Transfer-Encoding', 'chunked', 'Connection', 'keep-alive', 'x-amzn-RequestId', requestId];
  if (bedrockContentType !== null) h.push('X-Amzn-Bedrock-Content-Type', bedrockContentType);
  return h;
}

export function sendJson(res: HttpResponse, body: Buffer, headers: string[]): number {
  writeAwsHead(res, 200, headers);
  res.end(body);
  return body.length;
}

/** Below this gap frames are sent together: no timer per frame for fast answers (as pacing.ts). */
const MIN_GAP_MS = 8;

async function drain(res: HttpResponse): Promise<void> {
  await new Promise<void>((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * Write frames with backpressure, `gapMs` apart (grouped when the gap is shorter than a timer is
 * worth); stops early if the client went away.
 */
async function writeFrames(res: HttpResponse, frames: readonly Buffer[], gapMs: number): Promise<number> {
  let bytes = 0;
  const per = gapMs <= 0 || gapMs >= MIN_GAP_MS ? 1 : Math.ceil(MIN_GAP_MS / gapMs);
  for (let i = 0; i < frames.length; i += per) {
    if (res.destroyed) break;
    if (gapMs > 0 && i > 0) await sleep(Math.round(gapMs * per));
    if (res.destroyed) break;
    let ok = true;
    for (const frame of frames.slice(i, i + per)) {
      bytes += frame.length;
      ok = res.write(frame);
    }
    if (!ok) await drain(res);
  }
  if (!res.destroyed) res.end();
  return bytes;
}

/** Head after the first byte's time, then the frames over the rest of the generation (pace), or `delayMs` apart. */
export async function writeStream(res: HttpResponse, head: string[], frames: readonly Buffer[], gen: Generation, pace: boolean, delayMs: number): Promise<number> {
  if (pace && gen.firstByteMs > 0) await sleep(gen.firstByteMs);
  if (res.destroyed) return 0;
  writeAwsHead(res, 200, head);
  const spread = pace && frames.length > 1 ? Math.max(0, gen.latencyMs - gen.firstByteMs) / (frames.length - 1) : 0;
  return writeFrames(res, frames, Math.max(delayMs, spread));
}
