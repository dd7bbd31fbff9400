/**
 * The admin listener (issue 6, parts 4–6): fastify on its own address — loopback unless
 * `admin.allow_remote` — serving the JSON API, Prometheus `/metrics`, the dashboard and its live
 * feed. Nothing here touches the public listener; request metrics and the live feed come from the
 * gateway's EventBus.
 *
 * Access, decided in one onRequest hook before any body is read (default deny: a route is public
 * only when it says so, and unknown URLs answer 401 to strangers, so probing learns nothing):
 *   public:  GET /healthz, the login form, the dashboard's script and stylesheet (no data in them),
 *            GET /dashboard/ (it checks the session itself and redirects to the form)
 *   else:    `Authorization: Bearer <admin.token>`, or a dashboard session cookie — plus the
 *            X-Honeygate-CSRF header on anything but GET/HEAD.
 *
 * `startAdmin` returns null (and logs why) when no token is configured: the admin API never runs
 * open. `close()` ends live streams, then closes the listener and destroys its connections.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { Sinks } from '../events/sinks/index.js';
import type { Gateway } from '../gateway/gateway.js';
import { isStoreUnavailable, StoreInputError } from '../store/errors.js';
import { registerApi, sendError } from './api.js';
import { AdminAuth, CSRF_HEADER, SESSION_COOKIE, bearerToken, cookieValue } from './auth.js';
import { adminToken, isLoopbackHost } from './config.js';
import { registerDashboard } from './dashboard.js';
import { LiveHub } from './live.js';
import { createMetrics, type AdminMetrics } from './metrics.js';
import type { Reloader } from './reload.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** reachable without the admin token */
    public?: boolean;
  }
}

export interface AdminOptions {
  /** the running gateway: its state (config, key ring, store, bus) */
  readonly gateway: Pick<Gateway, 'state'>;
  /** the event sinks: their stats (metrics, health) and the event store (queries) */
  readonly sinks?: Pick<Sinks, 'stats' | 'store'>;
  /** config reload (shared with SIGHUP); absent: POST /api/v1/reload answers 409 */
  readonly reloader?: Reloader;
  /** override admin.listen */
  readonly host?: string;
  readonly port?: number;
  /** one line per notice (start, refusal to start, internal errors); default: nothing */
  readonly log?: (line: string) => void;
  /** auth tuning (tests) */
  readonly auth?: { readonly maxFailures?: number; readonly failureWindowMs?: number; readonly sessionTtlMs?: number };
  /** Node.js process metrics in /metrics; default true */
  readonly processMetrics?: boolean;
  readonly now?: () => number;
}

export interface AdminServer {
  /** base URL, e.g. http://127.0.0.1:8081 */
  readonly url: string;
  readonly app: FastifyInstance;
  readonly metrics: AdminMetrics;
  close(): Promise<void>;
}

/** Largest request body the admin API reads (blocks, reload); the login form has its own cap. */
const ADMIN_BODY_LIMIT = 64 * 1024;

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Why the admin listener will not start with this config, or null when it can. */
export function adminDisabledReason(config: Pick<Gateway['state']['runtime']['config'], 'admin'>): string | null {
  if (adminToken(config.admin) === null) {
    return 'admin API, metrics and dashboard are off: set admin.token (write it as ${HONEYGATE_ADMIN_TOKEN}; e.g. `openssl rand -base64 32`)';
  }
  return null;
}

export async function startAdmin(options: AdminOptions): Promise<AdminServer | null> {
  const log = options.log ?? (() => undefined);
  const state = options.gateway.state;
  const startConfig = state.runtime.config;
  const why = adminDisabledReason(startConfig);
  const startToken = adminToken(startConfig.admin);
  if (why !== null || startToken === null) {
    log(`honeygate: ${why ?? 'no admin token'}`);
    return null;
  }
  const host = options.host ?? startConfig.admin.listen.host;
  const port = options.port ?? startConfig.admin.listen.port;
  if (!startConfig.admin.allow_remote && !isLoopbackHost(host)) {
    throw new Error(`admin listener: ${host} is not a loopback address (set admin.allow_remote: true to allow it)`);
  }
  const now = options.now ?? Date.now;
  // the token can be rotated by a reload; removing it keeps the current one (reload.ts warns)
  let token = startToken;
  const currentToken = (): string => {
    token = adminToken(state.runtime.config.admin) ?? token;
    return token;
  };
  const auth = new AdminAuth({ token: currentToken, now, ...options.auth });
  const live: { hub?: LiveHub } = {};
  const sinkStats = options.sinks?.stats ?? (() => []);
  const metrics = createMetrics({
    bus: state.bus,
    store: state.store,
    sinkStats,
    liveClients: () => live.hub?.size ?? 0,
    sessions: () => auth.sessions,
    ...(options.processMetrics !== undefined ? { processMetrics: options.processMetrics } : {}),
  });
  const hub = new LiveHub(state.bus, () => metrics.liveDropped());
  live.hub = hub;

  const app = Fastify({
    logger: false,
    bodyLimit: ADMIN_BODY_LIMIT,
    trustProxy: false,
    return503OnClosing: true,
    // close() destroys every connection: a client that connects and sends nothing (or a slow one)
    // must not hold up shutdown, which drains the public listener only after this one has closed
    forceCloseConnections: true,
    // the whole request must arrive within 30 s (slowloris); a live feed is a long response, not a long request
    requestTimeout: 30_000,
    routerOptions: { maxParamLength: 600, caseSensitive: true, ignoreTrailingSlash: false, ignoreDuplicateSlashes: false },
  });

  // JSON (the API) and the login form only: anything else is 415
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, new URLSearchParams(typeof body === 'string' ? body : body.toString('utf8')));
  });

  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'same-origin'); // no-referrer would make Chrome send `Origin: null` on the login POST
    reply.header('x-frame-options', 'DENY');
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });

  app.addHook('onRequest', async (req, reply) => {
    if (req.routeOptions.config.public === true) return;
    const address = req.socket.remoteAddress ?? '';
    const authorization = req.headers.authorization;
    if (authorization !== undefined) {
      if (auth.throttled(address)) {
        metrics.authFailure('throttled');
        return sendError(reply.header('retry-after', '60'), 429, 'too_many_failures', 'too many failed attempts: wait a minute');
      }
      const presented = bearerToken(authorization);
      if (presented !== null && auth.tokenMatches(presented)) return;
      auth.fail(address);
      metrics.authFailure('bearer');
      return sendError(
        reply.header('www-authenticate', 'Bearer realm="honeygate-admin", error="invalid_token"'),
        401,
        'unauthorized',
        'invalid admin token',
      );
    }
    const session = auth.session(cookieValue(req.headers.cookie, SESSION_COOKIE));
    if (session !== null) {
      if (req.method === 'GET' || req.method === 'HEAD') return;
      const csrf = req.headers[CSRF_HEADER];
      if (auth.csrfMatches(session, typeof csrf === 'string' ? csrf : undefined)) return;
      metrics.authFailure('csrf');
      return sendError(reply, 403, 'csrf', `missing or wrong ${CSRF_HEADER} header`);
    }
    if (req.headers.cookie !== undefined && cookieValue(req.headers.cookie, SESSION_COOKIE) !== null) metrics.authFailure('session');
    return sendError(reply.header('www-authenticate', 'Bearer realm="honeygate-admin"'), 401, 'unauthorized', 'admin token required');
  });

  app.setErrorHandler((error: FastifyError, _req, reply) => {
    if (error instanceof StoreInputError) return sendError(reply, 400, 'bad_request', error.message);
    if (isStoreUnavailable(error)) return sendError(reply, 503, 'store_unavailable', 'the state store is unavailable');
    const status = error.statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      // fastify's own client errors (bad JSON, body too large, unsupported media type): safe, fixed texts
      const code = status === 413 ? 'body_too_large' : status === 415 ? 'unsupported_media_type' : 'bad_request';
      const message =
        status === 413 ? 'request body too large' : status === 415 ? 'send application/json' : error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ? 'empty JSON body' : 'malformed request body';
      return sendError(reply, status, code, message);
    }
    log(`honeygate admin: internal error: ${error instanceof Error ? error.message : String(error)}`);
    return sendError(reply, 500, 'internal', 'internal error');
  });

  app.setNotFoundHandler((_req, reply) => sendError(reply, 404, 'not_found', 'no such route'));

  app.get('/healthz', { config: { public: true } }, async () => ({ status: 'ok' }));

  app.get('/metrics', async (_req, reply) => {
    const text = await metrics.text();
    return reply.header('content-type', metrics.contentType).send(text);
  });

  app.get('/api/v1/live', async (req, reply) => {
    reply.hijack();
    if (!hub.add(reply.raw)) {
      reply.raw.writeHead(503, { 'content-type': 'application/json; charset=utf-8', 'retry-after': '30' });
      reply.raw.end(JSON.stringify({ error: { code: 'too_many_streams', message: 'too many live feed connections' } }));
      return;
    }
    req.raw.socket.setTimeout(0);
  });

  const startedAt = now();
  registerApi(app, {
    state,
    eventStore: options.sinks?.store,
    sinkStats,
    reloader: options.reloader,
    metrics,
    now,
    log,
    version: packageVersion(),
    startedAt,
  });
  registerDashboard(app, auth, metrics);

  try {
    await app.listen({ host, port });
  } catch (e: unknown) {
    hub.close();
    metrics.close();
    await app.close().catch(() => undefined);
    throw e;
  }
  const address = app.server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  log(`honeygate admin API and dashboard on ${url}/dashboard/ (metrics: ${url}/metrics)`);
  let closing: Promise<void> | undefined;
  return {
    url,
    app,
    metrics,
    close: () => {
      closing ??= (async () => {
        hub.close();
        metrics.close();
        await app.close();
      })();
      return closing;
    },
  };
}
