/**
 * A real MCP server (the official TypeScript SDK, streamable HTTP, stateful sessions) on
 * 127.0.0.1:0 at /mcp, with tools:
 *  - echo {text}: returns the text
 *  - count {n}: sends n progress notifications 80 ms apart over SSE, then returns "counted n"
 *  - admin_reset: a dangerous tool the gateway should refuse
 * It records the session ids it saw and when a GET stream closed (abort propagation).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

export interface TestMcpServer {
  readonly url: string;
  readonly sessionsSeen: string[];
  readonly authorizations: (string | undefined)[];
  readonly users: (string | undefined)[];
  adminCalls: number;
  /** resolves when the GET (SSE) stream sent with `x-test-stream: <tag>` was closed by the peer */
  streamClosed(tag: string): Promise<void>;
  close(): Promise<void>;
}

function makeServer(state: { adminCalls: number }): McpServer {
  const server = new McpServer({ name: 'test-tools', version: '1.0.0' });
  server.registerTool('echo', { description: 'Echo text', inputSchema: { text: z.string() } }, ({ text }) => ({ content: [{ type: 'text', text }] }));
  server.registerTool('count', { description: 'Count with progress', inputSchema: { n: z.number().int().min(1).max(20) } }, async ({ n }, extra) => {
    const token = extra._meta?.progressToken;
    for (let i = 1; i <= n; i++) {
      if (token !== undefined) await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: i, total: n } });
      await new Promise((r) => setTimeout(r, 80));
    }
    return { content: [{ type: 'text', text: `counted ${n}` }] };
  });
  server.registerTool('admin_reset', { description: 'Reset everything' }, () => {
    state.adminCalls++;
    return { content: [{ type: 'text', text: 'reset' }] };
  });
  return server;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req as AsyncIterable<Buffer>) chunks.push(c);
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? undefined : (JSON.parse(text) as unknown);
}

export async function startMcpServer(): Promise<TestMcpServer> {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const closed = new Map<string, { promise: Promise<void>; resolve: () => void }>();
  const slot = (tag: string): { promise: Promise<void>; resolve: () => void } => {
    let entry = closed.get(tag);
    if (!entry) {
      let resolve: () => void = () => {};
      const promise = new Promise<void>((r) => (resolve = r));
      entry = { promise, resolve };
      closed.set(tag, entry);
    }
    return entry;
  };
  const state: TestMcpServer & { adminCalls: number } = {
    url: '',
    sessionsSeen: [],
    authorizations: [],
    users: [],
    adminCalls: 0,
    streamClosed: (tag) => slot(tag).promise,
    close: async () => {
      for (const t of transports.values()) await t.close();
      await new Promise<void>((r) => {
        http.closeAllConnections();
        http.close(() => r());
      });
    },
  };
  const http: Server = createServer((req, res) => {
    void (async () => {
      const sid = req.headers['mcp-session-id'];
      const sessionId = Array.isArray(sid) ? sid[0] : sid;
      if (sessionId !== undefined) state.sessionsSeen.push(sessionId);
      state.authorizations.push(req.headers.authorization);
      const user = req.headers['x-honeygate-user'];
      state.users.push(Array.isArray(user) ? user[0] : user);
      const tag = req.headers['x-test-stream'];
      if (req.method === 'GET' && typeof tag === 'string') res.on('close', () => slot(tag).resolve());
      const body = req.method === 'POST' ? await readJson(req) : undefined;
      let transport = sessionId !== undefined ? transports.get(sessionId) : undefined;
      if (!transport) {
        if (req.method !== 'POST' || !isInitializeRequest(body)) {
          res.writeHead(400, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message: 'Bad Request: No valid session ID provided' }, id: null }));
          return;
        }
        const created = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          onsessioninitialized: (id) => {
            transports.set(id, created);
          },
        });
        created.onclose = () => {
          if (created.sessionId !== undefined) transports.delete(created.sessionId);
        };
        await makeServer(state).connect(created);
        transport = created;
      }
      await transport.handleRequest(req, res, body);
    })().catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(e));
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  Object.assign(state, { url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp` });
  return state;
}
