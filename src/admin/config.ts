/**
 * Config of the admin listener (issue 6, part 4): where it listens, the bearer token every route
 * but `/healthz` requires, and whether a non-loopback address is allowed at all. With no token the
 * admin listener does not start (serve says why); a non-loopback `listen.host` is a config error
 * unless `allow_remote: true` — the admin API can unblock attackers and read every event.
 */
import { isIP, SocketAddress } from 'node:net';
import { z } from 'zod';

/** RFC 6750 §2.1 b64token characters; 32+ of them (`openssl rand -base64 32` gives 44). */
export const ADMIN_TOKEN_FORMAT = /^[A-Za-z0-9._~+/=-]{32,512}$/;

/** Loopback: `localhost`, 127.0.0.0/8, ::1 (and its IPv4-mapped form). Names other than localhost are not. */
export function isLoopbackHost(host: string): boolean {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (h.toLowerCase() === 'localhost') return true;
  const family = isIP(h);
  if (family === 4) return h.startsWith('127.');
  if (family === 6) {
    // canonical text (RFC 5952) via the platform's own parser: 0:0:0:0:0:0:0:1 → ::1
    const canonical = new SocketAddress({ address: h, family: 'ipv6' }).address;
    if (canonical.startsWith('::ffff:') && isIP(canonical.slice(7)) === 4) return canonical.slice(7).startsWith('127.');
    return canonical === '::1';
  }
  return false;
}

const ADMIN_DEFAULT_PORT = 8081;

export const adminConfigSchema = z
  .object({
    listen: z
      .object({
        host: z.string().min(1).default('127.0.0.1').describe('admin listener address; loopback unless allow_remote is true'),
        port: z.number().int().min(0).max(65535).default(ADMIN_DEFAULT_PORT).describe('admin listener port (0: any free port)'),
      })
      .strict()
      .default({ host: '127.0.0.1', port: ADMIN_DEFAULT_PORT }),
    token: z
      .string()
      .optional()
      .describe(
        'bearer token of the admin API, metrics and dashboard (write it as ${HONEYGATE_ADMIN_TOKEN}; 32–512 characters of A-Z a-z 0-9 . _ ~ + / = -). Absent or empty: the admin listener does not start',
      ),
    allow_remote: z
      .boolean()
      .default(false)
      .describe('allow listen.host to be a non-loopback address (put TLS in front: the token travels in every request)'),
  })
  .strict()
  .superRefine((value, ctx) => {
    if (value.token !== undefined && value.token !== '' && !ADMIN_TOKEN_FORMAT.test(value.token)) {
      ctx.addIssue({
        code: 'custom',
        path: ['token'],
        message: 'the admin token must be 32–512 characters of A-Z a-z 0-9 . _ ~ + / = - (e.g. `openssl rand -base64 32`)',
      });
    }
    if (!value.allow_remote && !isLoopbackHost(value.listen.host)) {
      ctx.addIssue({
        code: 'custom',
        path: ['listen', 'host'],
        message: `${value.listen.host} is not a loopback address: the admin API binds to loopback only, unless admin.allow_remote is true`,
      });
    }
  })
  .default({ listen: { host: '127.0.0.1', port: ADMIN_DEFAULT_PORT }, allow_remote: false })
  .describe('The admin API, Prometheus metrics and dashboard (a listener of its own)');

export type AdminConfig = z.output<typeof adminConfigSchema>;

/** The configured token, or null when the admin listener must not start (absent or empty). */
export function adminToken(config: AdminConfig): string | null {
  return config.token === undefined || config.token === '' ? null : config.token;
}
