/**
 * `application/vnd.amazon.eventstream` framing, through @smithy/eventstream-codec,
 * the SDK's own codec (prelude, headers, payload, both CRC32s).
 *
 * Encoding writes what the real service writes (B3, checked on 188 recorded frames): headers in the
 * order `:event-type, :content-type, :message-type`, all string type 7; compact JSON payloads with
 * keys sorted alphabetically at every level and a `"p"` padding key (a prefix of
 * `abc…XYZ0123456789` of random length) in its alphabetical place. In-stream errors are
 * `:message-type: exception` frames with `:exception-type` (B3.3).
 *
 * Decoding is incremental: frames may be split at any byte boundary. A frame is refused — with an
 * `EventStreamError` naming what is wrong — when its prelude CRC is wrong (checked before waiting
 * for the frame, so a forged length cannot make us buffer), its lengths are impossible or beyond
 * the limits (headers ≤ 128 KiB, payload ≤ 24 MiB, botocore), its message CRC is wrong, or its
 * headers do not parse.
 */
import { EventStreamCodec, type Message, type MessageHeaders } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { crc32 } from 'node:zlib';

export type { Message, MessageHeaders };

const codec = new EventStreamCodec(toUtf8, fromUtf8);

const PRELUDE_LENGTH = 12;
const MIN_FRAME_LENGTH = 16;
export const MAX_HEADERS_LENGTH = 128 * 1024;
const MAX_PAYLOAD_LENGTH = 24 * 1024 * 1024;
export const MAX_FRAME_LENGTH = MIN_FRAME_LENGTH + MAX_HEADERS_LENGTH + MAX_PAYLOAD_LENGTH;

const PADDING_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

export type EventStreamErrorCode =
  | 'ES_TRUNCATED'
  | 'ES_FRAME_TOO_SHORT'
  | 'ES_FRAME_TOO_LONG'
  | 'ES_HEADERS_TOO_LONG'
  | 'ES_PAYLOAD_TOO_LONG'
  | 'ES_PRELUDE_CRC'
  | 'ES_MESSAGE_CRC'
  | 'ES_BAD_HEADERS';

export class EventStreamError extends Error {
  readonly code: EventStreamErrorCode;
  constructor(code: EventStreamErrorCode, message: string) {
    super(message);
    this.name = 'EventStreamError';
    this.code = code;
  }
}

// ------------------------------------------------------------------------------------------------
// JSON in Bedrock's layout

/** Compact JSON with object keys sorted at every level (B2: Bedrock's own serializer). */
export function sortedJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

/** A copy of a JSON value with object keys in sorted order at every level (what `sortedJson` stringifies). */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

/** A padding value: the alphabet's first `n` characters, n uniform in [2, 61] (B3, as recorded). */
export function padding(rand: () => number = Math.random): string {
  const n = 2 + Math.floor(rand() * 60);
  return PADDING_ALPHABET.slice(0, n);
}

/** The payload of one event: sorted compact JSON with `"p"` in its alphabetical place. */
function eventPayload(body: Readonly<Record<string, unknown>>, rand?: () => number): Buffer {
  return Buffer.from(sortedJson({ ...body, p: padding(rand) }), 'utf8');
}

// ------------------------------------------------------------------------------------------------
// encoding

/** One frame from headers (in the order given) and a payload. */
function encodeFrame(headers: readonly (readonly [string, string])[], payload: Uint8Array): Buffer {
  const h: MessageHeaders = {};
  for (const [name, value] of headers) h[name] = { type: 'string', value };
  const bytes = codec.encode({ headers: h, body: payload });
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** An event frame as Bedrock writes it (B3.1, B3.2). */
export function encodeEvent(eventType: string, body: Readonly<Record<string, unknown>>, rand?: () => number): Buffer {
  return encodeFrame(
    [
      [':event-type', eventType],
      [':content-type', 'application/json'],
      [':message-type', 'event'],
    ],
    eventPayload(body, rand),
  );
}

/**
 * A modeled in-stream exception (B3.3): `exceptionType` is the lower-camel union member
 * (`throttlingException`, `modelStreamErrorException`, …); `extra` adds e.g. `originalStatusCode`.
 */
export function encodeException(exceptionType: string, message: string, extra: Readonly<Record<string, unknown>> = {}): Buffer {
  return encodeFrame(
    [
      [':exception-type', exceptionType],
      [':content-type', 'application/json'],
      [':message-type', 'exception'],
    ],
    Buffer.from(sortedJson({ ...extra, message }), 'utf8'),
  );
}

/** An unmodeled error frame (B3.3): `:message-type: error`, `:error-code`, `:error-message`, no payload. */
export function encodeErrorFrame(code: string, message: string): Buffer {
  return encodeFrame(
    [
      [':error-code', code],
      [':error-message', message],
      [':message-type', 'error'],
    ],
    new Uint8Array(0),
  );
}

// ------------------------------------------------------------------------------------------------
// decoding

/** Decode exactly one complete frame (CRCs and lengths checked). */
export function decodeFrame(frame: Uint8Array): Message {
  checkPrelude(frame);
  const total = readU32(frame, 0);
  if (frame.byteLength !== total) throw new EventStreamError('ES_TRUNCATED', `frame length ${frame.byteLength} does not match its declared length ${total}`);
  const expected = readU32(frame, total - 4);
  const actual = crc32(frame.subarray(0, total - 4)) >>> 0;
  if (expected !== actual) throw new EventStreamError('ES_MESSAGE_CRC', `message CRC mismatch: frame says ${hex(expected)}, content is ${hex(actual)}`);
  try {
    return codec.decode(frame);
  } catch (e: unknown) {
    throw new EventStreamError('ES_BAD_HEADERS', `malformed frame headers: ${e instanceof Error ? e.message : 'unparseable'}`);
  }
}

function readU32(b: Uint8Array, offset: number): number {
  return (((b[offset] ?? 0) << 24) | ((b[offset + 1] ?? 0) << 16) | ((b[offset + 2] ?? 0) << 8) | (b[offset + 3] ?? 0)) >>> 0;
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}

/** Validate the 12-byte prelude: lengths within limits, prelude CRC correct. */
function checkPrelude(b: Uint8Array): void {
  if (b.byteLength < PRELUDE_LENGTH) throw new EventStreamError('ES_TRUNCATED', 'frame shorter than its 12-byte prelude');
  const total = readU32(b, 0);
  const headersLength = readU32(b, 4);
  const expected = readU32(b, 8);
  const actual = crc32(b.subarray(0, 8)) >>> 0;
  if (expected !== actual) throw new EventStreamError('ES_PRELUDE_CRC', `prelude CRC mismatch: frame says ${hex(expected)}, prelude is ${hex(actual)}`);
  if (total < MIN_FRAME_LENGTH) throw new EventStreamError('ES_FRAME_TOO_SHORT', `declared frame length ${total} is below the minimum of ${MIN_FRAME_LENGTH}`);
  if (headersLength > MAX_HEADERS_LENGTH) throw new EventStreamError('ES_HEADERS_TOO_LONG', `headers length ${headersLength} exceeds ${MAX_HEADERS_LENGTH}`);
  if (headersLength > total - MIN_FRAME_LENGTH) throw new EventStreamError('ES_FRAME_TOO_SHORT', `headers length ${headersLength} does not fit a ${total}-byte frame`);
  if (total - MIN_FRAME_LENGTH - headersLength > MAX_PAYLOAD_LENGTH) throw new EventStreamError('ES_PAYLOAD_TOO_LONG', `payload length exceeds ${MAX_PAYLOAD_LENGTH}`);
  if (total > MAX_FRAME_LENGTH) throw new EventStreamError('ES_FRAME_TOO_LONG', `frame length ${total} exceeds ${MAX_FRAME_LENGTH}`);
}

/**
 * Incremental decoder: `push()` bytes as they arrive (any split), get the complete frames back;
 * `end()` throws if a partial frame remains. After an error the decoder stays failed.
 */
export class EventStreamDecoder {
  #chunks: Buffer[] = [];
  #buffered = 0;
  #failed: EventStreamError | null = null;

  get buffered(): number {
    return this.#buffered;
  }

  push(chunk: Uint8Array): Message[] {
    if (this.#failed) throw this.#failed;
    if (chunk.byteLength > 0) {
      this.#chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      this.#buffered += chunk.byteLength;
    }
    const out: Message[] = [];
    try {
      // each turn consumes one whole frame (≥ 16 bytes), so the loop is bounded by buffered / 16
      while (this.#buffered >= PRELUDE_LENGTH) {
        const prelude = this.#peek(PRELUDE_LENGTH);
        checkPrelude(prelude);
        const total = readU32(prelude, 0);
        if (this.#buffered < total) break;
        out.push(decodeFrame(this.#take(total)));
      }
    } catch (e: unknown) {
      this.#failed = e instanceof EventStreamError ? e : new EventStreamError('ES_BAD_HEADERS', 'malformed frame');
      throw this.#failed;
    }
    return out;
  }

  end(): void {
    if (this.#failed) throw this.#failed;
    if (this.#buffered > 0) throw new EventStreamError('ES_TRUNCATED', `stream ended inside a frame (${this.#buffered} bytes left)`);
  }

  #peek(n: number): Buffer {
    const first = this.#chunks[0];
    if (first && first.length >= n) return first.subarray(0, n);
    return Buffer.concat(this.#chunks, this.#buffered).subarray(0, n);
  }

  #take(n: number): Buffer {
    const all = this.#chunks.length === 1 ? (this.#chunks[0] ?? Buffer.alloc(0)) : Buffer.concat(this.#chunks, this.#buffered);
    const frame = all.subarray(0, n);
    const rest = all.subarray(n);
    this.#chunks = rest.length > 0 ? [rest] : [];
    this.#buffered = rest.length;
    return frame;
  }
}

/** Decode a whole buffer into frames (throws on any malformed or trailing bytes). */
export function decodeAll(bytes: Uint8Array): Message[] {
  const d = new EventStreamDecoder();
  const out = d.push(bytes);
  d.end();
  return out;
}

/** A header's string value (type 7) or undefined. */
export function headerString(message: Message, name: string): string | undefined {
  const h = message.headers[name];
  return h !== undefined && h.type === 'string' ? h.value : undefined;
}
