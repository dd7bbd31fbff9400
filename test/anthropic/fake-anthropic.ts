/**
 * A fake Anthropic-compatible upstream on 127.0.0.1:0: records every request (headers, body) and
 * answers as the Messages API would — only for its own key (`x-api-key: UPSTREAM_KEY`, else the
 * 401 `invalid x-api-key`): POST /v1/messages JSON, or an SSE stream whose events are written
 * `gapMs` apart (so a test can prove the gateway does not buffer), count_tokens, GET /v1/models.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export const UPSTREAM_KEY = `sk-ant-api03-${'U'.repeat(93)}AA`;

export interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

export interface FakeAnthropic {
  readonly url: string;
  readonly seen: Seen[];
  close(): Promise<void>;
}

const sse = (name: string, data: unknown): string => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;

export async function startFakeAnthropic(gapMs = 60): Promise<FakeAnthropic> {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const json = (status: number, value: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json', 'request-id': 'req_upstream' });
        res.end(JSON.stringify(value));
      };
      if (req.headers['x-api-key'] !== UPSTREAM_KEY) {
        json(401, { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' }, request_id: 'req_upstream' });
        return;
      }
      const path = (req.url ?? '').split('?')[0];
      if (path === '/v1/models') {
        json(200, { data: [{ type: 'model', id: 'claude-upstream-1', display_name: 'Upstream', created_at: '2026-01-01T00:00:00Z' }], has_more: false, first_id: 'claude-upstream-1', last_id: 'claude-upstream-1' });
        return;
      }
      if (path === '/v1/messages/count_tokens') {
        json(200, { input_tokens: 4242 });
        return;
      }
      if (path !== '/v1/messages') {
        json(404, { type: 'error', error: { type: 'not_found_error', message: 'Not Found' }, request_id: 'req_upstream' });
        return;
      }
      const parsed = JSON.parse(body) as { stream?: boolean; model: string };
      const message = { id: 'msg_upstream', type: 'message', role: 'assistant', model: parsed.model, content: [{ type: 'text', text: 'from upstream' }], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 5, output_tokens: 3 } };
      if (parsed.stream !== true) {
        json(200, message);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
      const events = [
        sse('message_start', { type: 'message_start', message: { ...message, content: [], stop_reason: null, usage: { input_tokens: 5, output_tokens: 1 } } }),
        sse('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
        sse('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'from ' } }),
        sse('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'upstream' } }),
        sse('content_block_stop', { type: 'content_block_stop', index: 0 }),
        sse('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 3 } }),
        sse('message_stop', { type: 'message_stop' }),
      ];
      let i = 0;
      const tick = (): void => {
        if (res.destroyed) return;
        res.write(events[i]);
        i++;
        if (i >= events.length) res.end();
        else setTimeout(tick, gapMs);
      };
      tick();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}
