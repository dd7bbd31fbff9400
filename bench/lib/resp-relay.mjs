// A counting TCP relay in front of Redis: every RESP command a client sends through it is counted
// (top-level arrays, or inline commands), so the round trips of one gateway are counted exactly,
// whatever other clients of the same Redis do. INFO commandstats cannot tell them apart, and it
// also counts the commands a Lua script runs inside one EVALSHA.
import { connect, createServer } from 'node:net';

class RespCounter {
  count = 0;
  #pending = Buffer.alloc(0);
  #elements = 0;
  #skip = 0;

  feed(chunk) {
    const buf = this.#pending.length ? Buffer.concat([this.#pending, chunk]) : chunk;
    let i = 0;
    while (i < buf.length) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, buf.length - i);
        i += n;
        this.#skip -= n;
        continue;
      }
      const eol = buf.indexOf('\r\n', i);
      if (eol < 0) break;
      const line = buf.toString('latin1', i, eol);
      i = eol + 2;
      if (this.#elements === 0) {
        if (line.startsWith('*')) {
          this.count++;
          this.#elements = Math.max(0, Number(line.slice(1)));
        } else if (line.length > 0) this.count++; // inline command
      } else {
        if (line.startsWith('$')) this.#skip = Math.max(0, Number(line.slice(1))) + 2;
        this.#elements--;
      }
    }
    this.#pending = buf.subarray(i);
  }
}

export function startRespRelay(redisPort, redisHost = '127.0.0.1') {
  const counters = new Set();
  const sockets = new Set();
  const server = createServer((client) => {
    const counter = new RespCounter();
    counters.add(counter);
    const upstream = connect(redisPort, redisHost);
    sockets.add(client).add(upstream);
    client.on('data', (c) => {
      counter.feed(c);
      upstream.write(c);
    });
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: server.address().port,
        /** commands received so far, over every connection */
        total: () => [...counters].reduce((a, c) => a + c.count, 0),
        close: () =>
          new Promise((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      }),
    );
  });
}
