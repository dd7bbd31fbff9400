/**
 * The Bedrock error registry (wire-spec B4) and its byte-faithful rendering on a real socket.
 */
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BEDROCK_ERRORS, BEDROCK_ERROR_CODES, type BedrockErrorCode, errorBody, errorTypeHeader, renderAwsError, skewMessage } from '../../src/providers/bedrock/errors.js';

describe('registry', () => {
  it('every name equals its code', () => {
    for (const [name, def] of Object.entries(BEDROCK_ERRORS)) expect(def.code).toBe(name);
  });

  it('statuses and namespaces follow B4', () => {
    for (const code of BEDROCK_ERROR_CODES) {
      const d = BEDROCK_ERRORS[code];
      expect([400, 403, 404, 408, 424, 429, 500, 503]).toContain(d.status);
      expect(d.type).toMatch(/Exception$/);
      if (d.type === 'ValidationException' || d.type === 'ThrottlingException') expect(d.namespace).toBe('com.amazon.bedrock');
      if (['UnrecognizedClientException', 'InvalidSignatureException', 'IncompleteSignatureException'].includes(d.type)) expect(d.namespace).toBe('com.amazon.coral.service');
    }
    expect(errorTypeHeader('InvalidSignature')).toBe('InvalidSignatureException:http://internal.amazon.com/coral/com.amazon.coral.service/');
    expect(errorTypeHeader('Throttling')).toBe('ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/');
  });

  it('bodies are compact with the recorded lengths (63, 192, 55, 45)', () => {
    expect(errorBody('ThrottlingTokens').length).toBe(63);
    expect(errorBody('InvalidSignature').length).toBe(192);
    expect(errorBody('ModelIdentifierInvalid').toString()).toBe('{"message":"The provided model identifier is invalid."}');
    expect(errorBody('ModelIdentifierInvalid').length).toBe(55);
    expect(errorBody('MissingAuthorization').toString()).toBe('{"Message":"Authorization header is missing"}');
    expect(errorBody('MissingAuthorization').length).toBe(45);
    expect(errorBody('BearerKeyFormat').toString()).toBe('{"Message":"Invalid API Key format: Must start with pre-defined prefix"}');
  });

  it('skew messages match the observed text', () => {
    const now = Date.UTC(2025, 0, 30, 20, 46, 31);
    expect(skewMessage('expired', '20250130T203827Z', now)).toBe('Signature expired: 20250130T203827Z is now earlier than 20250130T204131Z (20250130T204631Z - 5 min.)');
    expect(skewMessage('not-yet', '20250130T210000Z', now)).toBe('Signature not yet current: 20250130T210000Z is still later than 20250130T205131Z (20250130T204631Z + 5 min.)');
  });
});

describe('renderAwsError on the wire', () => {
  let server: Server;
  let port = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      const code = (req.url ?? '/').slice(1) as BedrockErrorCode;
      renderAwsError(res, code, undefined, { requestId: '39c52d8a-a39c-42bb-a269-ec2735bdccc6' });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  function rawRequest(path: string, extra = ''): Promise<string> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => s.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n${extra}\r\n`));
      let data = '';
      s.on('data', (d) => {
        data += d.toString('latin1');
        const end = data.indexOf('\r\n\r\n');
        if (end >= 0) {
          const len = Number(/Content-Length: (\d+)/.exec(data)?.[1] ?? '0');
          if (data.length >= end + 4 + len) {
            s.end();
            resolve(data);
          }
        }
      });
      s.on('error', reject);
    });
  }

  it('writes Date, Content-Type, Content-Length, Connection, x-amzn-RequestId, x-amzn-ErrorType and nothing else', async () => {
    const raw = await rawRequest('/InvalidSignature');
    const [head = '', body] = raw.split('\r\n\r\n');
    const lines = head.split('\r\n');
    expect(lines[0]).toBe('HTTP/1.1 403 Forbidden');
    expect(lines.slice(1).map((l) => l.slice(0, l.indexOf(':')))).toEqual(['Date', 'Content-Type', 'Content-Length', 'Connection', 'x-amzn-RequestId', 'x-amzn-ErrorType']);
    expect(lines[1]).toMatch(/^Date: (Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    expect(lines.slice(2)).toEqual([
      'Content-Type: application/json',
      'Content-Length: 192',
      'Connection: keep-alive',
      'x-amzn-RequestId: 39c52d8a-a39c-42bb-a269-ec2735bdccc6',
      'x-amzn-ErrorType: InvalidSignatureException:http://internal.amazon.com/coral/com.amazon.coral.service/',
    ]);
    expect(raw).not.toMatch(/\r\nKeep-Alive:/i);
    expect(body).toBe(errorBody('InvalidSignature').toString());
  });

  it('says Connection: close when the client asked to close', async () => {
    const raw = await rawRequest('/Throttling', 'Connection: close\r\n');
    expect(raw).toContain('\r\nConnection: close\r\n');
    expect(raw).toContain('HTTP/1.1 429 Too Many Requests');
  });
});
