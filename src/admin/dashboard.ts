/**
 * The dashboard's routes: the page (one HTML file, its script and stylesheet, embedded in
 * dashboard/assets.ts), the login form and logout. The page's data comes from the same JSON API
 * (`/api/v1/*`) and live feed (`/api/v1/live`) scripts use, authenticated by the session cookie.
 *
 * Login: the form POSTs the token in the body (never a URL: URLs end up in logs and history); a
 * match opens a session whose random id goes into an HttpOnly, SameSite=Strict cookie. The page
 * carries the session's CSRF token in a meta tag; the script sends it back in X-Honeygate-CSRF.
 * A strict Content-Security-Policy allows only the page's own script and stylesheet.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CSRF_HEADER, SESSION_COOKIE, cookieValue, type AdminAuth } from './auth.js';
import { ASSETS, type Asset } from './dashboard/assets.js';
import type { AdminMetrics } from './metrics.js';

export const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const MAX_LOGIN_BODY = 2048;

function asset(name: string): Asset {
  const a = ASSETS[name];
  if (a === undefined) throw new Error(`dashboard asset ${name} missing from assets.ts`);
  return a;
}

function htmlEscape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function sendHtml(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-security-policy', CSP)
    .header('cache-control', 'no-store')
    .send(html);
}

function loginPage(reply: FastifyReply, status: number, error: string): FastifyReply {
  return sendHtml(reply, status, asset('login.html').body.replace('{{error}}', htmlEscape(error)));
}

function sessionCookie(value: string, maxAgeS: number): string {
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}`;
}

/** Same-origin check for the login POST: an Origin header, when sent, must name this host. */
function sameOrigin(req: FastifyRequest): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

export function registerDashboard(app: FastifyInstance, auth: AdminAuth, metrics: AdminMetrics): void {
  const pub = { config: { public: true } };

  app.get('/', pub, async (_req, reply) => reply.redirect('/dashboard/', 302));
  app.get('/dashboard', pub, async (_req, reply) => reply.redirect('/dashboard/', 302));

  // the page: its own session check, so a signed-out browser is sent to the form, not shown a 401
  app.get('/dashboard/', pub, async (req, reply) => {
    const session = auth.session(cookieValue(req.headers.cookie, SESSION_COOKIE));
    if (session === null) return reply.redirect('/dashboard/login', 303);
    return sendHtml(reply, 200, asset('index.html').body.replace('{{csrf}}', session.csrf));
  });

  for (const name of ['app.js', 'style.css']) {
    const a = asset(name);
    app.get(`/dashboard/${name}`, pub, async (req, reply) => {
      reply.header('cache-control', 'no-cache').header('etag', a.etag).header('x-content-type-options', 'nosniff');
      if (req.headers['if-none-match'] === a.etag) return reply.code(304).send();
      return reply.header('content-type', a.type).send(a.body);
    });
  }

  app.get('/dashboard/login', pub, async (_req, reply) => loginPage(reply, 200, ''));

  app.post<{ Body: unknown }>('/dashboard/login', { ...pub, bodyLimit: MAX_LOGIN_BODY }, async (req, reply) => {
    const address = req.socket.remoteAddress ?? '';
    if (auth.throttled(address)) {
      metrics.authFailure('throttled');
      return loginPage(reply.header('retry-after', '60'), 429, 'Too many failed attempts: wait a minute.');
    }
    if (!sameOrigin(req)) {
      metrics.authFailure('login');
      return loginPage(reply, 403, 'Sign in from this page.');
    }
    const body = req.body;
    const token = body instanceof URLSearchParams ? body.get('token') : null;
    if (token === null || token === '' || !auth.tokenMatches(token)) {
      auth.fail(address);
      metrics.authFailure('login');
      return loginPage(reply, 401, 'That is not the admin token.');
    }
    const session = auth.openSession();
    return reply
      .header('set-cookie', sessionCookie(session.id, Math.floor(auth.sessionTtlMs / 1000)))
      .header('cache-control', 'no-store')
      .redirect('/dashboard/', 303);
  });

  app.post('/dashboard/logout', pub, async (req, reply) => {
    const id = cookieValue(req.headers.cookie, SESSION_COOKIE);
    const session = auth.session(id);
    const csrf = req.headers[CSRF_HEADER];
    if (session !== null && auth.csrfMatches(session, typeof csrf === 'string' ? csrf : undefined)) auth.closeSession(id);
    else if (session !== null) {
      metrics.authFailure('csrf');
      return reply.code(403).send({ error: { code: 'csrf', message: `missing or wrong ${CSRF_HEADER} header` } });
    }
    return reply.header('set-cookie', sessionCookie('', 0)).code(204).send();
  });
}
