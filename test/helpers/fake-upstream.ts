/**
 * A fake OpenAI-compatible upstream on 127.0.0.1:0 (no provider is reachable from tests): it
 * records every request byte for byte (raw header lines, body) and answers by path:
 *  - POST /v1/chat/completions: JSON, or an SSE stream when the body asks for it (chunks spaced
 *    `x-test-gap-ms` apart; `x-test-chunks` chunks, multi-byte UTF-8 split across writes)
 *  - GET /v1/models: a list
 *  - /v1/slow: never answers (abort and timeout tests)
 *  - /v1/status/<code>: that status with an upstream error body
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Recorded {
  readonly method: string;
  readonly url: string;
  readonly rawHeaders: string[];
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}

export interface FakeUpstream {
  readonly url: string;
  readonly requests: Recorded[];
  /** resolves when a request to /v1/slow has been aborted by the gateway */
  readonly aborted: Promise<void>;
  close(): Promise<void>;
}

export const STREAM_PIECES = ['Hel', 'lo ', 'wör', 'ld 👋', '!'];

export async function startFakeUpstream(): Promise<FakeUpstream> {
  const requests: Recorded[] = [];
  let markAborted: () => void = () => {};
  const aborted = new Promise<void>((r) => (markAborted = r));
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({ method: req.method ?? '', url: req.url ?? '', rawHeaders: req.rawHeaders, headers: req.headers, body });
      const path = (req.url ?? '').split('?')[0] ?? '';
      if (path === '/v1/hang') {
        res.on('close', () => markAborted());
        return; // never answers
      }
      if (path === '/v1/slow') {
        res.on('close', () => markAborted());
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: {"partial":true}\n\n');
        return;
      }
      const status = /^\/v1\/status\/(\d{3})$/.exec(path);
      if (status) {
        res.writeHead(Number(status[1]), { 'content-type': 'application/json', 'x-upstream-secret': 'internal-detail' });
        res.end(JSON.stringify({ error: { message: 'upstream says no', type: 'server_error', param: null, code: null } }));
        return;
      }
      if (path === '/v1/models') {
        res.writeHead(200, { 'content-type': 'application/json', 'openai-organization': 'user-real' });
        res.end(JSON.stringify({ object: 'list', data: [{ id: 'gpt-4o-mini', object: 'model', created: 1721172741, owned_by: 'system' }] }));
        return;
      }
      let parsed: { stream?: boolean } = {};
      try {
        parsed = JSON.parse(body.toString('utf8')) as { stream?: boolean };
      } catch {
        /* not JSON: answer anyway */
      }
      if (parsed.stream === true) {
        const gap = Number(req.headers['x-test-gap-ms'] ?? 5);
        res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'x-request-id': 'req_upstream' });
        const frames = STREAM_PIECES.map(
          (p) => `data: ${JSON.stringify({ id: 'chatcmpl-x', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, delta: { content: p }, finish_reason: null }] })}\n\n`,
        );
        frames.push('data: [DONE]\n\n');
        const bytes = Buffer.from(frames.join(''));
        // split at awkward byte positions (inside multi-byte characters)
        const cuts = [7, 50, 133, 134, 210, 301, bytes.length];
        let i = 0;
        let from = 0;
        const tick = (): void => {
          const to = Math.min(cuts[i] ?? bytes.length, bytes.length);
          if (to > from) res.write(bytes.subarray(from, to));
          from = to;
          i++;
          if (from >= bytes.length) res.end();
          else setTimeout(tick, gap);
        };
        tick();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'req_upstream', connection: 'keep-alive' });
      res.end(
        JSON.stringify({
          id: 'chatcmpl-upstream',
          object: 'chat.completion',
          created: 1,
          model: 'gpt-4o-mini-2024-07-18',
          choices: [{ index: 0, message: { role: 'assistant', content: 'from upstream', refusal: null }, logprobs: null, finish_reason: 'stop' }],
          usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
        }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    aborted,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
