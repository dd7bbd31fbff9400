// The fake upstream: bare node:http, fixed bodies, no logic worth measuring. A chat completion as
// JSON, or (when the request body asks for "stream":true) an SSE stream of STREAM_EVENTS chunks,
// each written on its own turn of the event loop so every chunk is a separate write downstream.
// Prints {"ready":true,"port":N} on stdout once listening; exits on SIGTERM.
import { createServer } from 'node:http';
import { CHAT_BODY, SSE_EVENTS } from '../lib/fixtures.mjs';

const json = Buffer.from(CHAT_BODY);
const events = SSE_EVENTS.map((e) => Buffer.from(e));
const STREAM_FLAG = Buffer.from('"stream":true');

const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    if (body.includes(STREAM_FLAG)) {
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-request-id': 'req_upstream' });
      let i = 0;
      const next = () => {
        if (res.destroyed) return;
        res.write(events[i++]);
        if (i < events.length) setImmediate(next);
        else res.end();
      };
      next();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': json.length, 'openai-organization': 'org-bench', 'x-request-id': 'req_upstream' });
    res.end(json);
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ ready: true, port: server.address().port })}\n`);
});
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
