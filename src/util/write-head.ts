/**
 * Writing a raw header array with `res.writeHead` (order and spelling kept). The arrays carry
 * `Connection: keep-alive` as the providers send it; when the client asked to close (or node:http
 * will close for another reason) that value must say `close`, as a real edge would.
 */
import type { ServerResponse } from 'node:http';

export function writeHeadRaw(res: ServerResponse, status: number, headers: string[]): void {
  if (!res.shouldKeepAlive) {
    for (let i = 0; i < headers.length; i += 2) {
      if (headers[i] === 'Connection' || headers[i] === 'connection') headers[i + 1] = 'close';
    }
  }
  res.writeHead(status, headers);
}
