/**
 * `listen`: the public listener's address, TLS, and the limits that keep a hostile or broken
 * client from holding it (timeouts, header size, backlog). docs/reliability.md explains each limit.
 */
import { z } from 'zod';
import { duration } from './primitives.js';

const tlsCertSchema = z
  .object({
    cert: z.string().min(1).describe('PEM certificate chain file (relative to the working directory)'),
    key: z.string().min(1).describe('PEM private key file'),
    server_names: z
      .array(z.string().min(1))
      .optional()
      .describe('SNI names this certificate serves (`*.example.com` matches one label); absent: the default certificate'),
  })
  .strict();

export const listenConfigSchema = z
  .object({
    host: z.string().default('127.0.0.1').describe('public listener address (0.0.0.0 or :: for all interfaces)'),
    port: z.number().int().min(0).max(65535).default(8080),
    tls: z
      .union([tlsCertSchema, z.array(tlsCertSchema).min(1)])
      .optional()
      .describe(
        'serve HTTPS, ALPN h2 and http/1.1 (default: cleartext HTTP/1.1 and h2c on the same port). A list serves several certificates by SNI: the first without server_names (else the first) is the default. Renewed files are picked up on change, SIGHUP and the reload API',
      ),
    drain_timeout: duration
      .default(30_000)
      .describe('on shutdown, how long in-flight requests (long streams included) may finish before their connections are cut'),
    headers_timeout: duration.default(30_000).describe("a request's head (and a new connection's first bytes) must arrive within this, else 408 and close"),
    request_timeout: duration
      .default(120_000)
      .describe('the whole request, head and body, must arrive within this (the answer may take longer), else 408 and close'),
    body_idle_timeout: duration
      .default(30_000)
      .describe('longest pause between two pieces of a request body (HTTP/1.1 and HTTP/2 streams), else 408 and close'),
    keep_alive_timeout: duration.default(65_000).describe('an idle keep-alive connection (or HTTP/2 session with no stream) is closed after this'),
    max_header_bytes: z
      .number()
      .int()
      .min(1024)
      .max(1024 * 1024)
      .default(16_384)
      .describe('largest request head (request line and headers; HTTP/2: the header list) accepted; larger: 431'),
    backlog: z
      .number()
      .int()
      .min(1)
      .max(65_535)
      .default(4096)
      .describe("pending-connection queue passed to listen(2); the kernel caps it at net.core.somaxconn"),
  })
  .strict();

export type ListenConfig = z.output<typeof listenConfigSchema>;

