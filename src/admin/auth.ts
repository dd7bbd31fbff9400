/**
 * Admin authentication: the bearer token (RFC 6750) on every API request, and dashboard sessions.
 *
 * - A token is compared only after a cheap format check (b64token characters, bounded length, the
 *   hono bearer-auth habit), then in constant time on the SHA-256 digests of both sides, so neither
 *   content nor length leaks through timing.
 * - The dashboard never puts the token in a URL: a login form POSTs it once, and the browser gets a
 *   random session id in an HttpOnly, SameSite=Strict cookie. Sessions are bound to the digest of
 *   the token they were opened with, so rotating the token (config reload) ends them all.
 * - A state-changing request authenticated by cookie must also carry the session's CSRF token in
 *   `X-Honeygate-CSRF` (a custom header: a cross-site form cannot send one).
 * - Failed attempts are counted per client address; past the limit the address gets 429 for the
 *   rest of the window. Memory is bounded (oldest windows are evicted first).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ADMIN_TOKEN_FORMAT } from './config.js';

export const SESSION_COOKIE = 'honeygate_session';
export const CSRF_HEADER = 'x-honeygate-csrf';
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** The token in `Authorization: Bearer <token>`, or null when the header is absent or malformed. */
export function bearerToken(header: string | undefined): string | null {
  if (header === undefined || header.length > 600) return null;
  const m = /^Bearer ([^\s]+)$/i.exec(header);
  const token = m?.[1];
  return token !== undefined && ADMIN_TOKEN_FORMAT.test(token) ? token : null;
}

/** The value of one cookie (first occurrence), or null. Bounded work: the header is capped by Node. */
export function cookieValue(header: string | undefined, name: string): string | null {
  if (header === undefined) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

interface Session {
  readonly tokenDigest: Buffer;
  readonly csrf: string;
  readonly expiresAt: number;
}

export interface AuthOptions {
  /** the current token (may change on reload) */
  readonly token: () => string;
  /** session lifetime; default 12 h */
  readonly sessionTtlMs?: number;
  /** failed attempts per address per window before 429; default 20 per minute */
  readonly maxFailures?: number;
  readonly failureWindowMs?: number;
  readonly now?: () => number;
}

const MAX_SESSIONS = 1000;
const MAX_TRACKED_ADDRESSES = 10_000;

export class AdminAuth {
  readonly #token: () => string;
  readonly #ttl: number;
  readonly #maxFailures: number;
  readonly #window: number;
  readonly #now: () => number;
  readonly #sessions = new Map<string, Session>();
  readonly #failures = new Map<string, { count: number; resetAt: number }>();

  constructor(options: AuthOptions) {
    this.#token = options.token;
    this.#ttl = options.sessionTtlMs ?? 12 * 3_600_000;
    this.#maxFailures = options.maxFailures ?? 20;
    this.#window = options.failureWindowMs ?? 60_000;
    this.#now = options.now ?? Date.now;
  }

  get sessionTtlMs(): number {
    return this.#ttl;
  }

  /** Constant-time check of a presented token against the current one. */
  tokenMatches(presented: string): boolean {
    if (!ADMIN_TOKEN_FORMAT.test(presented)) return false;
    return timingSafeEqual(digest(presented), digest(this.#token()));
  }

  /** The live session for a cookie value (null if unknown, expired, or opened with an older token). */
  session(id: string | null): { readonly csrf: string } | null {
    if (id === null || !SESSION_ID.test(id)) return null;
    const s = this.#sessions.get(id);
    if (s === undefined) return null;
    if (s.expiresAt <= this.#now() || !timingSafeEqual(s.tokenDigest, digest(this.#token()))) {
      this.#sessions.delete(id);
      return null;
    }
    return s;
  }

  /** Open a session (after tokenMatches); the oldest sessions go first past MAX_SESSIONS. */
  openSession(): { readonly id: string; readonly csrf: string } {
    const now = this.#now();
    for (const [id, s] of this.#sessions) if (s.expiresAt <= now) this.#sessions.delete(id);
    while (this.#sessions.size >= MAX_SESSIONS) {
      const oldest = this.#sessions.keys().next();
      if (oldest.done === true) break;
      this.#sessions.delete(oldest.value);
    }
    const id = randomBytes(32).toString('base64url');
    const csrf = randomBytes(32).toString('base64url');
    this.#sessions.set(id, { tokenDigest: digest(this.#token()), csrf, expiresAt: now + this.#ttl });
    return { id, csrf };
  }

  closeSession(id: string | null): void {
    if (id !== null) this.#sessions.delete(id);
  }

  get sessions(): number {
    return this.#sessions.size;
  }

  /** Constant-time CSRF check. */
  csrfMatches(session: { readonly csrf: string }, presented: string | undefined): boolean {
    if (presented === undefined || presented.length !== session.csrf.length) return false;
    return timingSafeEqual(Buffer.from(presented), Buffer.from(session.csrf));
  }

  /** True while `address` has used up its failed attempts for this window. */
  throttled(address: string): boolean {
    const f = this.#failures.get(address);
    if (f === undefined) return false;
    if (f.resetAt <= this.#now()) {
      this.#failures.delete(address);
      return false;
    }
    return f.count >= this.#maxFailures;
  }

  /** Count a failed attempt from `address`. */
  fail(address: string): void {
    const now = this.#now();
    const f = this.#failures.get(address);
    if (f !== undefined && f.resetAt > now) {
      f.count++;
      return;
    }
    this.#failures.delete(address);
    if (this.#failures.size >= MAX_TRACKED_ADDRESSES) {
      const oldest = this.#failures.keys().next();
      if (oldest.done !== true) this.#failures.delete(oldest.value);
    }
    this.#failures.set(address, { count: 1, resetAt: now + this.#window });
  }
}
