/**
 * Realistic timing for decoy answers (issue 3: the persona's processing-time distribution). A real
 * model takes time: a JSON answer arrives after the whole generation, a stream's headers arrive with
 * the first token and the rest trickles in. A decoy that answers in 2 ms while its
 * `openai-processing-ms` says 1800 would give itself away, so when pacing is on the decoy waits
 * exactly what it reports. Off (`realistic_timing: false`) it answers at once (benchmarks, tests).
 */
import type { HttpResponse } from '../../core/http.js';
import { setTimeout as sleep } from 'node:timers/promises';

/** Below this gap chunks are sent together: no timer per token for fast models. */
const MIN_GAP_MS = 8;

/** Time to first token for a generation of `totalMs`: what a stream's headers report. */
export function firstTokenMs(totalMs: number): number {
  return Math.round(Math.min(totalMs, 180 + totalMs * 0.15));
}

/** Wait before a JSON answer (the whole generation). */
export async function paceJson(pace: boolean, totalMs: number): Promise<void> {
  if (pace && totalMs > 0) await sleep(totalMs);
}

/**
 * Write a stream: `writeHead` after the first-token time, then the chunks spread over the rest of
 * the generation time. Stops early if the client went away.
 */
export async function paceStream(
  res: HttpResponse,
  pace: boolean,
  totalMs: number,
  writeHead: () => void,
  chunks: readonly string[],
  head: boolean,
): Promise<void> {
  if (!pace) {
    writeHead();
    res.end(head ? undefined : chunks.join(''));
    return;
  }
  const ttft = firstTokenMs(totalMs);
  await sleep(ttft);
  if (res.destroyed) return;
  writeHead();
  if (head) {
    res.end();
    return;
  }
  const gap = chunks.length > 1 ? (totalMs - ttft) / (chunks.length - 1) : 0;
  const per = gap >= MIN_GAP_MS ? 1 : Math.max(1, Math.ceil(MIN_GAP_MS / Math.max(gap, 0.001)));
  for (let i = 0; i < chunks.length; i += per) {
    if (res.destroyed) return;
    res.write(chunks.slice(i, i + per).join(''));
    if (i + per < chunks.length) await sleep(Math.round(gap * per));
  }
  res.end();
}
