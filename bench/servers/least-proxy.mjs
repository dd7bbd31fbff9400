// The least Node proxy: node:http in, an undici Pool out, nothing else (no auth, no policy, no
// events). Hop-by-hop headers are dropped so the HTTP stays correct. The cost floor for any proxy
// on this runtime. argv[2] = upstream origin.
import { createServer } from 'node:http';
import { Pool } from 'undici';

const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host', 'upgrade', 'te', 'trailer', 'proxy-connection']);
const strip = (h) => Object.fromEntries(Object.entries(h).filter(([k]) => !HOP.has(k)));
const pool = new Pool(process.argv[2], { connections: 128, pipelining: 1, keepAliveTimeout: 30_000 });

const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  pool
    .stream({ path: req.url, method: req.method, headers: strip(req.headers), body: req }, ({ statusCode, headers }) => {
      res.writeHead(statusCode, strip(headers));
      return res;
    })
    .catch(() => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ ready: true, port: server.address().port })}\n`));
process.on('SIGTERM', () => {
  server.close(() => pool.close().then(() => process.exit(0)));
  server.closeAllConnections();
});
