// The bare baseline: node:http answering exactly the bytes honeygate answered once (status, raw
// header list in order and spelling, body), read from the JSON file in argv[2]. Nothing else.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const { status, headers, body } = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const payload = Buffer.from(body, 'base64');

const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  res.writeHead(status, headers);
  res.end(payload);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ ready: true, port: server.address().port })}\n`));
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
