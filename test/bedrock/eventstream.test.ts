/**
 * `application/vnd.amazon.eventstream` (wire-spec B3): the encoder reproduces a recorded real frame
 * byte for byte; the incremental decoder survives any split and refuses malformed frames.
 */
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeAll,
  decodeFrame,
  encodeErrorFrame,
  encodeEvent,
  encodeException,
  EventStreamDecoder,
  EventStreamError,
  headerString,
  MAX_FRAME_LENGTH,
  MAX_HEADERS_LENGTH,
  padding,
  sortedJson,
} from '../../src/providers/bedrock/eventstream.js';

/** wire-spec B3: a real first frame (143 bytes, prelude CRC d3f1c8f2, message CRC c16b710b). */
const REAL_FRAME = Buffer.from(
  '0000008f00000052d3f1c8f20b3a6576656e742d747970650700' +
    '0c6d65737361676553746172740d3a636f6e74656e742d74797065070010' +
    '6170706c69636174696f6e2f6a736f6e0d3a6d6573736167652d747970650700' +
    '056576656e747b2270223a226162636465666768696a6b6c6d6e6f707172222c' +
    '22726f6c65223a22617373697374616e74227dc16b710b',
  'hex',
);

/** A rand() that makes padding() pick `n` characters. */
const padTo = (n: number) => () => (n - 2) / 60 + 1e-9;

describe('encoding', () => {
  it('reproduces the recorded messageStart frame byte for byte', () => {
    expect(REAL_FRAME.length).toBe(143);
    const frame = encodeEvent('messageStart', { role: 'assistant' }, padTo(18));
    expect(frame.toString('hex')).toBe(REAL_FRAME.toString('hex'));
  });

  it('writes headers :event-type, :content-type, :message-type as strings, in that order', () => {
    const m = decodeFrame(encodeEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hi' } }, padTo(5)));
    expect(Object.keys(m.headers)).toEqual([':event-type', ':content-type', ':message-type']);
    expect(Object.values(m.headers).map((h) => h.type)).toEqual(['string', 'string', 'string']);
    expect(Buffer.from(m.body).toString()).toBe('{"contentBlockIndex":0,"delta":{"text":"Hi"},"p":"abcde"}');
  });

  it('puts "p" in alphabetical place and sorts nested keys', () => {
    expect(sortedJson({ usage: { b: 1, a: 2 }, metrics: {}, p: 'ab' })).toBe('{"metrics":{},"p":"ab","usage":{"a":2,"b":1}}');
    for (let i = 0; i < 200; i++) {
      const p = padding();
      expect(p.length).toBeGreaterThanOrEqual(2);
      expect(p.length).toBeLessThanOrEqual(61);
      expect('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'.startsWith(p)).toBe(true);
    }
  });

  it('writes modeled exceptions and unmodeled errors (B3.3)', () => {
    const ex = decodeFrame(encodeException('throttlingException', 'Too many tokens, please wait before trying again.'));
    expect(headerString(ex, ':message-type')).toBe('exception');
    expect(headerString(ex, ':exception-type')).toBe('throttlingException');
    expect(Buffer.from(ex.body).toString()).toBe('{"message":"Too many tokens, please wait before trying again."}');
    const err = decodeFrame(encodeErrorFrame('InternalFailure', 'boom'));
    expect(headerString(err, ':message-type')).toBe('error');
    expect(err.body.length).toBe(0);
  });
});

function stream(n: number): Buffer {
  const frames: Buffer[] = [];
  for (let i = 0; i < n; i++) frames.push(encodeEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text: `piece ${i} é€😀` } }));
  return Buffer.concat(frames);
}

describe('incremental decoding', () => {
  it('property: any split into chunks gives the same frames', () => {
    const bytes = Buffer.concat([stream(6), REAL_FRAME]);
    const whole = decodeAll(bytes).map((m) => Buffer.from(m.body).toString());
    expect(whole).toHaveLength(7);
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 40 }), (cuts) => {
        const points = [0, ...cuts.sort((a, b) => a - b), bytes.length];
        const d = new EventStreamDecoder();
        const got: string[] = [];
        for (let i = 0; i + 1 < points.length; i++) for (const m of d.push(bytes.subarray(points[i], points[i + 1]))) got.push(Buffer.from(m.body).toString());
        d.end();
        expect(got).toEqual(whole);
      }),
      { numRuns: 300 },
    );
  });

  it('one byte at a time', () => {
    const bytes = stream(3);
    const d = new EventStreamDecoder();
    let n = 0;
    for (const b of bytes) n += d.push(Uint8Array.of(b)).length;
    d.end();
    expect(n).toBe(3);
    expect(d.buffered).toBe(0);
  });
});

function withPrelude(total: number, headersLength: number, rest: Buffer = Buffer.alloc(0)): Buffer {
  const p = Buffer.alloc(12);
  p.writeUInt32BE(total, 0);
  p.writeUInt32BE(headersLength, 4);
  p.writeUInt32BE(crc32(p.subarray(0, 8)) >>> 0, 8);
  return Buffer.concat([p, rest]);
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e: unknown) {
    return e instanceof EventStreamError ? e.code : `other:${String(e)}`;
  }
  return 'none';
}

describe('malformed frames', () => {
  it('bad prelude CRC is caught before the frame arrives', () => {
    const bad = Buffer.from(REAL_FRAME);
    bad[9] = (bad[9] ?? 0) ^ 0xff;
    expect(code(() => new EventStreamDecoder().push(bad.subarray(0, 12)))).toBe('ES_PRELUDE_CRC');
  });

  it('bad message CRC, flipped payload byte', () => {
    const bad = Buffer.from(REAL_FRAME);
    bad[100] = (bad[100] ?? 0) ^ 0x01;
    expect(code(() => decodeAll(bad))).toBe('ES_MESSAGE_CRC');
  });

  it('lengths beyond the limits or impossible are refused at the prelude', () => {
    expect(code(() => new EventStreamDecoder().push(withPrelude(MAX_FRAME_LENGTH + 1, 0)))).toBe('ES_PAYLOAD_TOO_LONG');
    expect(code(() => new EventStreamDecoder().push(withPrelude(0xffffffff, 10)))).toBe('ES_PAYLOAD_TOO_LONG');
    expect(code(() => new EventStreamDecoder().push(withPrelude(1000, MAX_HEADERS_LENGTH + 1)))).toBe('ES_HEADERS_TOO_LONG');
    expect(code(() => new EventStreamDecoder().push(withPrelude(20, 10)))).toBe('ES_FRAME_TOO_SHORT');
    expect(code(() => new EventStreamDecoder().push(withPrelude(8, 0)))).toBe('ES_FRAME_TOO_SHORT');
  });

  it('garbage headers with valid CRCs', () => {
    const headers = Buffer.from([3, 0x3a, 0x61, 0x62, 99, 0, 0]);
    const body = Buffer.alloc(0);
    const total = 12 + headers.length + body.length + 4;
    const frame = withPrelude(total, headers.length, Buffer.concat([headers, body, Buffer.alloc(4)]));
    frame.writeUInt32BE(crc32(frame.subarray(0, total - 4)) >>> 0, total - 4);
    expect(code(() => decodeAll(frame))).toBe('ES_BAD_HEADERS');
  });

  it('a stream that ends inside a frame', () => {
    expect(code(() => decodeAll(REAL_FRAME.subarray(0, 100)))).toBe('ES_TRUNCATED');
    const d = new EventStreamDecoder();
    d.push(REAL_FRAME.subarray(0, 5));
    expect(code(() => d.end())).toBe('ES_TRUNCATED');
  });

  it('a failed decoder stays failed', () => {
    const d = new EventStreamDecoder();
    const bad = Buffer.from(REAL_FRAME);
    bad[0] = 0xff;
    expect(code(() => d.push(bad))).toBe('ES_PRELUDE_CRC');
    expect(code(() => d.push(REAL_FRAME))).toBe('ES_PRELUDE_CRC');
  });

  it('property: random bytes never throw anything but an EventStreamError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        const c = code(() => decodeAll(bytes));
        return c === 'none' || c.startsWith('ES_');
      }),
      { numRuns: 500 },
    );
  });
});
