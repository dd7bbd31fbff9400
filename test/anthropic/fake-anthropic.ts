/**
 * A fake Anthropic-compatible upstream on 127.0.0.1:0: records every request (headers, body) and
 * answers as the Messages API would — only for its own key (`x-api-key: UPSTREAM_KEY`, else the
 * 401 `invalid x-api-key`): POST /v1/messages JSON, or an SSE stream whose events are written
 * `gapMs` apart (so a test can prove the gateway does not buffer), count_tokens, GET /v1/models.
 * Authenticated answers carry the burner organization's own account headers (BURNER_ORG, a low
 * tier). A request with tools gets a `tool_use` answer for the first tool. Special models:
 * `claude-upstream-break` streams three events then resets the connection; `claude-upstream-529`
 * answers 529 `overloaded_error`; `claude-upstream-400` (or a body containing
 * `please-upstream-400`) answers 400 `invalid_request_error`; a body containing
 * `please-upstream-429` answers the burner's own 429, naming its organization.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export const UPSTREAM_KEY = `sk-ant-api03-${'U'.repeat(93)}AA`;
export const BURNER_ORG = '00000000-b0b0-4b0b-8b0b-000000000000';
/** the burner's own (low) tier */
const BURNER_ACCOUNT: Record<string, string> = {
  'anthropic-ratelimit-requests-limit': '50',
  'anthropic-ratelimit-requests-remaining': '49',
  'anthropic-ratelimit-requests-reset': '2026-01-01T00:00:01Z',
  'anthropic-ratelimit-tokens-limit': '30000',
  'anthropic-ratelimit-tokens-remaining': '30000',
  'anthropic-ratelimit-tokens-reset': '2026-01-01T00:00:01Z',
  'anthropic-priority-input-tokens-limit': '1000',
  'anthropic-organization-id': BURNER_ORG,
};

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
      const authed = req.headers['x-api-key'] === UPSTREAM_KEY;
      const json = (status: number, value: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json', 'request-id': 'req_upstream', ...(authed ? BURNER_ACCOUNT : {}) });
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
      const parsed = JSON.parse(body) as { stream?: boolean; model: string; tools?: { name: string }[] };
      if (parsed.model === 'claude-upstream-529') {
        json(529, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' }, request_id: 'req_upstream' });
        return;
      }
      if (body.includes('please-upstream-429')) {
        res.setHeader('retry-after', '7');
        json(429, { type: 'error', error: { type: 'rate_limit_error', message: `This request would exceed your organization's rate limit of 8,000 output tokens per minute (org: ${BURNER_ORG}, model: ${parsed.model}).` }, request_id: 'req_upstream' });
        return;
      }
      if (parsed.model === 'claude-upstream-400' || body.includes('please-upstream-400')) {
        json(400, { type: 'error', error: { type: 'invalid_request_error', message: 'messages.0.content: upstream says no' }, request_id: 'req_upstream' });
        return;
      }
      const tool = parsed.tools?.[0];
      const block = tool ? { type: 'tool_use', id: 'toolu_upstream', name: tool.name, input: { city: 'Paris' } } : { type: 'text', text: 'from upstream' };
      const message = { id: 'msg_upstream', type: 'message', role: 'assistant', model: parsed.model, content: [block], stop_reason: tool ? 'tool_use' : 'end_turn', stop_sequence: null, usage: { input_tokens: 5, output_tokens: 3 } };
      if (parsed.stream !== true) {
        json(200, message);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', ...BURNER_ACCOUNT });
      const deltas = tool
        ? [
            sse('content_block_start', { type: 'content_block_start', index: 0, content_block: { ...block, input: {} } }),
            sse('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '{"city": ' } }),
            sse('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '"Paris"}' } }),
          ]
        : [
            sse('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
            sse('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'from ' } }),
            sse('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'upstream' } }),
          ];
      const events = [
        sse('message_start', { type: 'message_start', message: { ...message, content: [], stop_reason: null, usage: { input_tokens: 5, output_tokens: 1 } } }),
        ...deltas,
        sse('content_block_stop', { type: 'content_block_stop', index: 0 }),
        sse('message_delta', { type: 'message_delta', delta: { stop_reason: message.stop_reason, stop_sequence: null }, usage: { output_tokens: 3 } }),
        sse('message_stop', { type: 'message_stop' }),
      ];
      const breakAt = parsed.model === 'claude-upstream-break' ? 3 : -1;
      let i = 0;
      const tick = (): void => {
        if (res.destroyed) return;
        if (i === breakAt) {
          // half an event, then the connection is reset
          res.write('event: content_block_delta\ndata: {"type":"content_bl');
          setTimeout(() => res.socket?.destroy(), 20);
          return;
        }
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
