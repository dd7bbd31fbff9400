/**
 * The strict HTTP/1.1 response parser: framing (Content-Length, chunked with extensions and
 * trailers, close-delimited, no-body statuses, 1xx), byte-split invariance (fast-check), and
 * malformed or hostile responses (bare LF, obs-fold, TE+CL, conflicting lengths, bad chunks,
 * truncation, oversized heads and bodies, garbage).
 */
import fc from 'fast-check';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodedBody, HttpParseError, parseResponse, ResponseParser, type ParsedResponse } from '../../src/sim/response.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

describe('valid responses', () => {
  it('reads Content-Length bodies and keeps header order and casing', () => {
    const r = parseResponse(b('HTTP/1.1 200 OK\r\nDate: x\r\nContent-Type: application/json\r\nx-amzn-RequestId: 1\r\nContent-Length: 2\r\n\r\n{}'));
    expect(r.status).toBe(200);
    expect(r.reason).toBe('OK');
    expect(r.headers).toEqual([['Date', 'x'], ['Content-Type', 'application/json'], ['x-amzn-RequestId', '1'], ['Content-Length', '2']]);
    expect(r.body.toString()).toBe('{}');
    expect(r.framing).toBe('length');
  });

  it('de-chunks, with chunk extensions and trailers, keeping SSE bytes as sent', () => {
    const sse = 'data: {"a":1}\n\ndata: [DONE]\n\n';
    const raw = `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\n${sse.slice(0, 5)}\r\n${(sse.length - 5).toString(16)}\r\n${sse.slice(5)}\r\n0\r\nX-Trailer: t\r\n\r\n`;
    const r = parseResponse(b(raw));
    expect(r.body.toString()).toBe(sse);
    expect(r.trailers).toEqual([['X-Trailer', 't']]);
    expect(r.framing).toBe('chunked');
  });

  it('reads a close-delimited body at end of stream', () => {
    const p = new ResponseParser();
    p.feed(b('HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nhello '));
    p.feed(b('world'));
    expect(p.done).toBe(false);
    p.end();
    expect(p.result?.body.toString()).toBe('hello world');
    expect(p.result?.httpVersion).toBe('1.0');
    expect(p.result?.framing).toBe('close');
  });

  it('has no body for 204, 304 and HEAD, and skips 1xx', () => {
    expect(parseResponse(b('HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n')).body.length).toBe(0);
    expect(parseResponse(b('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n'), { method: 'HEAD' }).body.length).toBe(0);
    const r = parseResponse(b('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: x\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx'));
    expect(r.status).toBe(200);
    expect(r.informational).toEqual([100, 103]);
  });

  it('accepts an empty reason phrase and a missing one', () => {
    expect(parseResponse(b('HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n')).reason).toBe('');
    expect(parseResponse(b('HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n')).reason).toBe('');
  });

  it('decodes gzip content-encoding for checks, keeps the raw body', () => {
    const gz = gzipSync(Buffer.from('{"ok":true}'));
    const r = parseResponse(Buffer.concat([b(`HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: ${gz.length}\r\n\r\n`), gz]));
    expect(r.body.equals(gz)).toBe(true);
    expect(decodedBody(r).toString()).toBe('{"ok":true}');
  });

  it('gives the same result however the bytes are split (fast-check)', () => {
    const body = 'data: {"choices":[{"delta":{"content":"h\u00e9llo"}}]}\n\n'.repeat(3);
    const bytes = Buffer.from(body, 'utf8');
    const chunked = Buffer.concat([
      b('HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n'),
      b(`${(20).toString(16)}\r\n`),
      bytes.subarray(0, 20),
      b(`\r\n${(bytes.length - 20).toString(16)}\r\n`),
      bytes.subarray(20),
      b('\r\n0\r\n\r\n'),
    ]);
    const whole = parseResponse(chunked);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: chunked.length - 1 }), { maxLength: 12 }), (cuts) => {
        const points = [...new Set(cuts)].sort((x, y) => x - y);
        const p = new ResponseParser();
        let at = 0;
        for (const c of [...points, chunked.length]) {
          p.feed(chunked.subarray(at, c));
          at = c;
        }
        const r = p.result as ParsedResponse;
        return p.done && r.body.equals(whole.body) && r.status === 200 && r.headers.length === whole.headers.length;
      }),
      { numRuns: 300 },
    );
  });
});

const MALFORMED: Array<[string, string, RegExp]> = [
  ['bare LF line endings', 'HTTP/1.1 200 OK\nContent-Length: 0\n\n\r\n\r\n', /bare CR or LF|malformed/],
  ['obsolete line folding', 'HTTP/1.1 200 OK\r\nX-A: 1\r\n  continued\r\nContent-Length: 0\r\n\r\n', /folding/],
  ['space before the colon', 'HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n', /malformed header/],
  ['Transfer-Encoding with Content-Length', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n', /both/],
  ['conflicting Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd', /conflicting/],
  ['negative Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n', /invalid Content-Length/],
  ['chunked not last', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n', /final/],
  ['bad chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', /chunk size/],
  ['chunk size with 0x', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n', /chunk size/],
  ['chunk without CRLF after data', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabcd\r\n0\r\n\r\n', /CRLF/],
  ['bad status line', 'HTTP/1.1 20 OK\r\n\r\n', /status line/],
  ['HTTP/2 status line', 'HTTP/2 200\r\n\r\n', /status line/],
  ['not HTTP at all', 'SSH-2.0-OpenSSH_9.6\r\n', /not an HTTP/],
  ['control character in a header value', 'HTTP/1.1 200 OK\r\nX-A: a\u0001b\r\nContent-Length: 0\r\n\r\n', /malformed header/],
];

describe('malformed responses are rejected', () => {
  for (const [name, raw, message] of MALFORMED) {
    it(name, () => {
      expect(() => parseResponse(b(raw))).toThrow(HttpParseError);
      expect(() => parseResponse(b(raw))).toThrow(message);
    });
  }

  it('truncated bodies and heads fail at end of stream', () => {
    expect(() => parseResponse(b('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'))).toThrow(/closed mid-response/);
    expect(() => parseResponse(b('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab'))).toThrow(/closed mid-response/);
    expect(() => parseResponse(b(''))).toThrow(/before any response/);
  });

  it('enforces head, header-count and body limits', () => {
    const big = `HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(70_000)}\r\n\r\n`;
    expect(() => parseResponse(b(big))).toThrow(/head larger/);
    const many = `HTTP/1.1 200 OK\r\n${Array.from({ length: 300 }, (_, i) => `X-${i}: 1\r\n`).join('')}\r\n`;
    expect(() => parseResponse(b(many))).toThrow(/more than 256/);
    expect(() => parseResponse(b('HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world'), { limits: { maxBodyBytes: 10 } })).toThrow(/body larger/);
    expect(() => parseResponse(b('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffff\r\n'), { limits: { maxBodyBytes: 1000 } })).toThrow(/body larger/);
  });

  it('never throws anything but HttpParseError on random bytes (fast-check)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.boolean(), (bytes, prefix) => {
        const input = Buffer.concat([prefix ? b('HTTP/1.1 200 OK\r\n') : Buffer.alloc(0), Buffer.from(bytes)]);
        try {
          parseResponse(input);
        } catch (e: unknown) {
          if (!(e instanceof HttpParseError)) throw e;
        }
      }),
      { numRuns: 500 },
    );
  });
});
