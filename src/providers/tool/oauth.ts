/**
 * The tool surface as an OAuth 2.0 resource server (issue 10, part 4):
 * - bearer tokens from the Authorization header (RFC 6750 §2.1; malformed → `invalid_request`);
 * - JWT access tokens (RFC 9068) verified with jose against the issuer's JWKS: createRemoteJWKSet
 *   caches the set and re-fetches on an unknown `kid` at most once per `jwks_cooldown`; issuer,
 *   audience (RFC 8707 resource by default), exp, nbf, algorithms and required scopes are checked;
 * - opaque tokens through RFC 7662 introspection, cached no longer than the token lives;
 * - the JWKS URI from the issuer's metadata when not configured (OpenID Connect Discovery 1.0 §4,
 *   then RFC 8414 §3).
 * Results are the RFC 6750 §3.1 error codes; the description never says which check failed beyond
 * "expired" (a client can act on that one).
 */
import { createHash } from 'node:crypto';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { BoundedMap } from '../../store/bounded-map.js';
import type { OAuthConfig } from './config.js';

export type TokenFailure =
  | 'malformed'
  | 'expired'
  | 'not_yet_valid'
  | 'issuer'
  | 'audience'
  | 'signature'
  | 'unknown_key'
  | 'inactive'
  | 'scope'
  | 'unavailable'
  | 'unsupported';

export interface TokenPrincipal {
  /** the end user (user_claim), when the token names one */
  readonly user?: string;
  readonly clientId?: string;
  readonly scopes: readonly string[];
  readonly claims: Readonly<Record<string, unknown>>;
  readonly via: 'jwt' | 'introspection';
  /** epoch ms */
  readonly expiresAt?: number;
}

export type TokenResult =
  | { readonly ok: true; readonly principal: TokenPrincipal }
  | { readonly ok: false; readonly failure: TokenFailure; readonly principal?: TokenPrincipal };

/** JWS compact serialization: three base64url parts (RFC 7515 §7.1). */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
/** RFC 6750 §2.1 b64token */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
const MAX_TOKEN_LENGTH = 8192;

export type BearerParse = { readonly kind: 'none' } | { readonly kind: 'malformed' } | { readonly kind: 'token'; readonly token: string };

/** The bearer token of an Authorization header value (RFC 6750 §2.1). */
export function parseBearer(value: string | undefined): BearerParse {
  if (value === undefined) return { kind: 'none' };
  const m = /^([A-Za-z]+) +(\S+) *$/.exec(value);
  if (!m || (m[1] ?? '').toLowerCase() !== 'bearer') return value.trim() === '' ? { kind: 'none' } : { kind: 'malformed' };
  const token = m[2] ?? '';
  if (token.length > MAX_TOKEN_LENGTH || !B64TOKEN.test(token)) return { kind: 'malformed' };
  return { kind: 'token', token };
}

export function looksLikeJwt(token: string): boolean {
  return JWT_SHAPE.test(token);
}

function scopesOf(claims: Record<string, unknown>): string[] {
  const scope = claims['scope'];
  if (typeof scope === 'string') return scope.split(' ').filter((s) => s !== '');
  const scp = claims['scp'];
  if (Array.isArray(scp)) return scp.filter((s): s is string => typeof s === 'string');
  if (typeof scp === 'string') return scp.split(' ').filter((s) => s !== '');
  return [];
}

function str(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value.slice(0, 256);
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

interface CachedIntrospection {
  expiresAt: number;
  readonly result: TokenResult;
}

type Jwks = ReturnType<typeof createRemoteJWKSet>;

export class OAuthVerifier {
  readonly #config: OAuthConfig;
  #jwks: Jwks | undefined;
  #discovering: Promise<Jwks | undefined> | undefined;
  #discoveryFailedAt = 0;
  readonly #cache = new BoundedMap<CachedIntrospection>(10_000);
  /** verified JWTs (successes only), by sha256 of token and audiences; bounded, never past exp */
  readonly #verified = new BoundedMap<CachedIntrospection>(10_000);

  constructor(config: OAuthConfig) {
    this.#config = config;
    if (config.jwks_uri !== undefined) this.#jwks = this.#remote(config.jwks_uri);
  }

  get issuer(): string {
    return this.#config.issuer;
  }

  #remote(uri: string): Jwks {
    return createRemoteJWKSet(new URL(uri), {
      cooldownDuration: this.#config.jwks_cooldown,
      cacheMaxAge: this.#config.jwks_cache,
      timeoutDuration: this.#config.timeout,
    });
  }

  #audiences(fallback: readonly string[]): string[] {
    const a = this.#config.audience;
    if (a === undefined) return [...fallback];
    return typeof a === 'string' ? [a] : [...a];
  }

  /** The JWKS, discovered from the issuer's metadata when not configured (retried after jwks_cooldown). */
  async #keys(): Promise<Jwks | undefined> {
    if (this.#jwks) return this.#jwks;
    if (Date.now() - this.#discoveryFailedAt < this.#config.jwks_cooldown) return undefined;
    this.#discovering ??= this.#discover().finally(() => (this.#discovering = undefined));
    return this.#discovering;
  }

  async #discover(): Promise<Jwks | undefined> {
    const issuer = this.#config.issuer.replace(/\/$/, '');
    const u = new URL(issuer);
    const path = u.pathname === '/' ? '' : u.pathname;
    const candidates = [`${issuer}/.well-known/openid-configuration`, `${u.origin}/.well-known/oauth-authorization-server${path}`];
    for (const url of candidates) {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(this.#config.timeout), headers: { accept: 'application/json' } });
        if (!res.ok) {
          await res.body?.cancel();
          continue;
        }
        const meta = (await res.json()) as { issuer?: unknown; jwks_uri?: unknown };
        // RFC 8414 §3.3: the metadata must name the same issuer
        if (typeof meta.jwks_uri === 'string' && meta.issuer === this.#config.issuer) {
          this.#jwks = this.#remote(meta.jwks_uri);
          return this.#jwks;
        }
      } catch (e: unknown) {
        void e; // try the next location
      }
    }
    this.#discoveryFailedAt = Date.now();
    return undefined;
  }

  /**
   * Verify a bearer token, then the required scopes. `resource` lists the accepted audiences when
   * the config names none (the route's resource identifier).
   */
  async verify(token: string, resource: readonly string[]): Promise<TokenResult> {
    const audiences = this.#audiences(resource);
    const result = looksLikeJwt(token) ? await this.#verifyJwt(token, audiences) : await this.#introspect(token, audiences);
    if (!result.ok) return result;
    const held = new Set(result.principal.scopes);
    if (!this.#config.scopes.every((s) => held.has(s))) return { ok: false, failure: 'scope', principal: result.principal };
    return result;
  }

  #principal(claims: Record<string, unknown>, via: 'jwt' | 'introspection'): TokenPrincipal {
    const user = str(claims[this.#config.user_claim]);
    const clientId = str(claims['client_id']) ?? str(claims['azp']);
    const exp = typeof claims['exp'] === 'number' ? claims['exp'] * 1000 : undefined;
    return {
      scopes: scopesOf(claims),
      claims,
      via,
      ...(user !== undefined ? { user } : {}),
      ...(clientId !== undefined ? { clientId } : {}),
      ...(exp !== undefined ? { expiresAt: exp } : {}),
    };
  }

  async #verifyJwt(token: string, audiences: string[]): Promise<TokenResult> {
    const window = this.#config.verified_cache;
    const now = Date.now();
    const key = window > 0 ? createHash('sha256').update(token).update('\0').update(audiences.join('\0')).digest('hex') : '';
    if (window > 0) {
      const hit = this.#verified.get(key, now);
      if (hit) return hit.result;
    }
    const result = await this.#verifyJwtUncached(token, audiences);
    if (window > 0 && result.ok) {
      const ttl = Math.min(window, (result.principal.expiresAt ?? Number.POSITIVE_INFINITY) - now);
      if (ttl > 0) this.#verified.set(key, { expiresAt: now + ttl, result });
    }
    return result;
  }

  async #verifyJwtUncached(token: string, audiences: string[]): Promise<TokenResult> {
    const keys = await this.#keys();
    if (!keys) return { ok: false, failure: 'unavailable' };
    try {
      const { payload } = await jwtVerify(token, keys, {
        issuer: this.#config.issuer,
        audience: audiences,
        algorithms: this.#config.algorithms,
        clockTolerance: Math.round(this.#config.clock_tolerance / 1000),
        ...(this.#config.max_token_age !== undefined ? { maxTokenAge: Math.round(this.#config.max_token_age / 1000) } : {}),
      });
      return { ok: true, principal: this.#principal(payload as JWTPayload & Record<string, unknown>, 'jwt') };
    } catch (e: unknown) {
      return { ok: false, failure: jwtFailure(e) };
    }
  }

  async #introspect(token: string, audiences: string[]): Promise<TokenResult> {
    const cfg = this.#config.introspection;
    if (!cfg) return { ok: false, failure: 'unsupported' };
    const key = createHash('sha256').update(token).digest('hex');
    const now = Date.now();
    const cached = this.#cache.get(key, now);
    if (cached) return cached.result;
    let body: Record<string, unknown>;
    try {
      const basic = Buffer.from(`${encodeURIComponent(cfg.client_id)}:${encodeURIComponent(cfg.client_secret)}`).toString('base64');
      const res = await fetch(cfg.url, {
        method: 'POST',
        headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
        signal: AbortSignal.timeout(cfg.timeout),
      });
      if (!res.ok) {
        await res.body?.cancel();
        return { ok: false, failure: 'unavailable' };
      }
      const parsed: unknown = await res.json();
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return { ok: false, failure: 'unavailable' };
      body = parsed as Record<string, unknown>;
    } catch (e: unknown) {
      void e;
      return { ok: false, failure: 'unavailable' };
    }
    const result = this.#checkIntrospection(body, now, audiences);
    const principal = result.ok ? result.principal : undefined;
    const ttl = result.ok ? Math.min(cfg.cache_ttl, (principal?.expiresAt ?? Number.POSITIVE_INFINITY) - now) : cfg.negative_cache;
    if (ttl > 0) this.#cache.set(key, { expiresAt: now + ttl, result });
    return result;
  }

  /** RFC 7662 §2.2 answer → result; the same claim checks as a JWT. */
  #checkIntrospection(body: Record<string, unknown>, now: number, accepted: string[]): TokenResult {
    if (body['active'] !== true) return { ok: false, failure: 'inactive' };
    const skew = this.#config.clock_tolerance;
    const exp = body['exp'];
    if (typeof exp === 'number' && exp * 1000 + skew <= now) return { ok: false, failure: 'expired' };
    const nbf = body['nbf'];
    if (typeof nbf === 'number' && nbf * 1000 - skew > now) return { ok: false, failure: 'not_yet_valid' };
    const iss = body['iss'];
    if (iss !== undefined && iss !== this.#config.issuer) return { ok: false, failure: 'issuer' };
    const aud = body['aud'];
    if (aud !== undefined) {
      const list = Array.isArray(aud) ? aud : [aud];
      if (!list.some((a) => typeof a === 'string' && accepted.includes(a))) return { ok: false, failure: 'audience' };
    }
    return { ok: true, principal: this.#principal(body, 'introspection') };
  }
}

function jwtFailure(e: unknown): TokenFailure {
  if (e instanceof joseErrors.JWTExpired) return 'expired';
  if (e instanceof joseErrors.JWTClaimValidationFailed) {
    if (e.claim === 'nbf') return 'not_yet_valid';
    if (e.claim === 'iss') return 'issuer';
    if (e.claim === 'aud') return 'audience';
    if (e.claim === 'iat') return 'expired';
    return 'malformed';
  }
  if (e instanceof joseErrors.JWSSignatureVerificationFailed) return 'signature';
  if (e instanceof joseErrors.JWKSNoMatchingKey || e instanceof joseErrors.JWKSMultipleMatchingKeys) return 'unknown_key';
  if (e instanceof joseErrors.JOSEAlgNotAllowed) return 'signature';
  if (e instanceof joseErrors.JWKSTimeout || e instanceof joseErrors.JWKSInvalid) return 'unavailable';
  if (e instanceof joseErrors.JOSEError) return 'malformed';
  // fetch failures of the JWKS (connection refused, DNS): the issuer is unreachable
  return 'unavailable';
}
