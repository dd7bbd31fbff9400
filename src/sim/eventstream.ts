/**
 * AWS event-stream framing (`application/vnd.amazon.eventstream`) for the simulator:
 * split a body into frames and decode them with CRC checks, and encode Bedrock-shaped frames
 * (`:event-type`, `:content-type`, `:message-type`, all strings, in that order) for the emulator.
 * The codec is @smithy/eventstream-codec, the SDK's own.
 */
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';

const codec = new EventStreamCodec(toUtf8, fromUtf8);

export interface StreamEvent {
  /** header name → value (strings; other header types rendered as text) */
  readonly headers: Readonly<Record<string, string>>;
  readonly payload: Buffer;
}

export class EventStreamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EventStreamError';
  }
}

const MAX_FRAME = 24 * 1024 * 1024 + 128 * 1024 + 16;

/** Decode every frame of a complete body; CRC or length problems throw EventStreamError. */
export function decodeEventStream(body: Buffer): StreamEvent[] {
  const events: StreamEvent[] = [];
  let at = 0;
  while (at < body.length) {
    if (body.length - at < 16) throw new EventStreamError(`truncated frame at byte ${at}`);
    const total = body.readUInt32BE(at);
    if (total < 16 || total > MAX_FRAME) throw new EventStreamError(`bad frame length ${total} at byte ${at}`);
    if (at + total > body.length) throw new EventStreamError(`truncated frame at byte ${at}`);
    let message;
    try {
      message = codec.decode(body.subarray(at, at + total));
    } catch (e: unknown) {
      throw new EventStreamError(`frame at byte ${at}: ${e instanceof Error ? e.message : 'undecodable'}`);
    }
    const headers: Record<string, string> = {};
    for (const [name, h] of Object.entries(message.headers)) headers[name] = String(h.value);
    events.push({ headers, payload: Buffer.from(message.body) });
    at += total;
  }
  return events;
}

/** One Bedrock event frame: string headers in Bedrock's order. */
export function encodeEvent(eventType: string, payload: Buffer, messageType: 'event' | 'exception' = 'event'): Buffer {
  const typeHeader = messageType === 'event' ? ':event-type' : ':exception-type';
  const bytes = codec.encode({
    headers: {
      [typeHeader]: { type: 'string', value: eventType },
      ':content-type': { type: 'string', value: 'application/json' },
      ':message-type': { type: 'string', value: messageType },
    },
    body: payload,
  });
  return Buffer.from(bytes);
}

const PAD = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** Bedrock's `"p"` padding value: a prefix of a-zA-Z0-9 of random length. */
export function padding(): string {
  return PAD.slice(0, 2 + Math.floor(Math.random() * 50));
}
