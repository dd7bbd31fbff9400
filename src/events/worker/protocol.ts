/**
 * The messages between the request thread and the events worker. Records travel as one flat array
 * per event-loop turn (STRIDE values each, numbers and strings; the rare nested fields — lure, tool
 * details — as small objects), so a turn's requests cost one `postMessage` and no per-event object
 * graph for the structured clone. Measured on this project's two-core machine: ~1 µs of the request
 * thread's CPU per event in batches of 32 (a flat array of 24 values), against ~13 µs for the
 * structured clone of a whole event posted on its own.
 *
 * A configured key's KeyInfo (the same frozen object for all its requests) is sent once and then
 * named by a number; other keys' KeyInfo travels inline.
 */
import type { EventsConfig } from '../config.js';
import type { GatewayEvent, KeyInfo } from '../model.js';
import type { RequestRecord } from '../record.js';
import type { SinkStats } from '../sinks/queue.js';

export const STRIDE = 29;

/** Request thread → worker. */
export type ToWorker =
  | {
      readonly type: 'batch';
      /** records, STRIDE values each */
      readonly r: unknown[];
      /** interned keys: id, KeyInfo, id, KeyInfo … */
      readonly k: unknown[] | undefined;
      /** events published whole */
      readonly e: GatewayEvent[] | undefined;
    }
  | { readonly type: 'flush'; readonly seq: number }
  | { readonly type: 'close'; readonly timeoutMs: number };

/** Worker → request thread. */
export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'fatal'; readonly message: string }
  | { readonly type: 'stats'; readonly stats: SinkStats[] }
  | { readonly type: 'flushed'; readonly seq: number; readonly stats: SinkStats[] }
  | { readonly type: 'closed'; readonly stats: SinkStats[] }
  /** an event a sink published (a webhook disabled itself) */
  | { readonly type: 'event'; readonly event: GatewayEvent };

export interface WorkerInit {
  readonly config: EventsConfig;
  /** Int32Array over it: [0] events the worker has taken (records and whole events), wrapping at 2^32 */
  readonly done: SharedArrayBuffer;
  readonly version?: string;
  readonly closeTimeoutMs: number;
  /** how often the worker reports its sinks' counters */
  readonly statsIntervalMs: number;
}

/** Append one record to `out`; `key` is the interned id of rec.key, or the KeyInfo itself. */
export function encodeRecord(rec: RequestRecord, key: number | KeyInfo, out: unknown[]): void {
  out.push(
    rec.phase,
    rec.alerted ? 1 : 0,
    rec.id,
    rec.wall,
    rec.durationMs,
    rec.status,
    rec.method,
    rec.contentLength,
    rec.responseBytes,
    rec.ip,
    rec.port,
    rec.path,
    rec.ua,
    rec.surface,
    key,
    rec.verdictAction,
    rec.verdictReason,
    rec.model,
    rec.bodyHead,
    rec.upstream,
    rec.route,
    rec.upstreamMs,
    rec.stream,
    rec.client,
    rec.stainless,
    rec.lure,
    rec.tool,
    rec.cut,
    rec.headerNames,
  );
}

/** Read the record at `at` (a multiple of STRIDE). Unknown interned keys read as `missing`. */
export function decodeRecord(a: readonly unknown[], at: number, keys: ReadonlyMap<number, KeyInfo>): RequestRecord {
  const key = a[at + 14];
  return {
    phase: a[at] === 1 ? 1 : 0,
    alerted: a[at + 1] === 1,
    id: a[at + 2] as string | undefined,
    wall: a[at + 3] as number,
    durationMs: a[at + 4] as number,
    status: a[at + 5] as number,
    method: a[at + 6] as string,
    contentLength: a[at + 7] as string | undefined,
    responseBytes: a[at + 8] as number,
    ip: a[at + 9] as string,
    port: a[at + 10] as number,
    path: a[at + 11] as string,
    ua: a[at + 12] as string | undefined,
    surface: a[at + 13] as RequestRecord['surface'],
    key: typeof key === 'number' ? (keys.get(key) ?? { class: 'missing' }) : (key as KeyInfo),
    verdictAction: a[at + 15] as RequestRecord['verdictAction'],
    verdictReason: a[at + 16] as string | undefined,
    model: a[at + 17] as string | undefined,
    bodyHead: a[at + 18] as string | undefined,
    upstream: a[at + 19] as string | undefined,
    route: a[at + 20] as string | undefined,
    upstreamMs: a[at + 21] as number,
    stream: a[at + 22] as RequestRecord['stream'],
    client: a[at + 23] as RequestRecord['client'],
    stainless: a[at + 24] as RequestRecord['stainless'],
    lure: a[at + 25] as RequestRecord['lure'],
    tool: a[at + 26] as RequestRecord['tool'],
    cut: a[at + 27] as string | undefined,
    headerNames: a[at + 28] as string | undefined,
  };
}
