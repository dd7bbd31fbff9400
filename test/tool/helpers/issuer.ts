/**
 * A small OAuth 2.0 authorization server on 127.0.0.1:0 for tests, signing with jose:
 * - OpenID / RFC 8414 metadata, a JWKS whose keys can be rotated;
 * - a token endpoint for the client_credentials grant (client_secret_basic or _post), with the
 *   RFC 8707 `resource` parameter as the audience;
 * - an RFC 7662 introspection endpoint for opaque tokens it minted;
 * - `sign()` for hand-made tokens (expired, wrong audience, other key …).
 * It counts JWKS fetches so tests can see the cache and the re-fetch on an unknown kid.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

export interface IssuerKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly jwk: JWK;
}

export interface TestIssuer {
  readonly url: string;
  readonly issuer: string;
  jwksFetches: number;
  introspections: number;
  /** keys published in the JWKS; the first signs */
  keys: IssuerKey[];
  clients: Map<string, { secret: string; scope: string }>;
  opaque: Map<string, Record<string, unknown>>;
  newKey(kid?: string): Promise<IssuerKey>;
  sign(claims: Record<string, unknown>, options?: { key?: IssuerKey; kid?: string; expiresIn?: number | string; notBefore?: number; alg?: string }): Promise<string>;
  mintOpaque(claims: Record<string, unknown>): string;
  close(): Promise<void>;
}

export async function startIssuer(): Promise<TestIssuer> {
  let base = '';
  const newKey = async (kid = `k-${randomBytes(4).toString('hex')}`): Promise<IssuerKey> => {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
    return { kid, privateKey, jwk };
  };
  const first = await newKey('k1');
  const state: TestIssuer = {
    url: '',
    issuer: '',
    jwksFetches: 0,
    introspections: 0,
    keys: [first],
    clients: new Map(),
    opaque: new Map(),
    newKey,
    async sign(claims, options = {}) {
      const key = options.key ?? state.keys[0];
      if (!key) throw new Error('no signing key');
      let jwt = new SignJWT(claims)
        .setProtectedHeader({ alg: options.alg ?? 'RS256', kid: options.kid ?? key.kid, typ: 'at+jwt' })
        .setIssuedAt();
      if (claims['iss'] === undefined) jwt = jwt.setIssuer(state.issuer);
      if (claims['exp'] === undefined) jwt = jwt.setExpirationTime(options.expiresIn ?? '5m');
      if (options.notBefore !== undefined) jwt = jwt.setNotBefore(options.notBefore);
      return jwt.sign(key.privateKey);
    },
    mintOpaque(claims) {
      const token = randomBytes(24).toString('hex');
      state.opaque.set(token, claims);
      return token;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  const json = (res: import('node:http').ServerResponse, status: number, body: unknown): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
    res.end(text);
  };

  const clientOf = (authz: string | undefined, form: URLSearchParams): string | null => {
    let id: string | null = form.get('client_id');
    let secret: string | null = form.get('client_secret');
    if (authz?.startsWith('Basic ')) {
      const [a = '', b = ''] = Buffer.from(authz.slice(6), 'base64').toString('utf8').split(':');
      id = decodeURIComponent(a);
      secret = decodeURIComponent(b);
    }
    const c = id !== null ? state.clients.get(id) : undefined;
    return c && c.secret === secret && id !== null ? id : null;
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const path = (req.url ?? '/').split('?')[0];
        const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        if (path === '/.well-known/openid-configuration' || path === '/.well-known/oauth-authorization-server') {
          json(res, 200, {
            issuer: state.issuer,
            jwks_uri: `${base}/jwks`,
            token_endpoint: `${base}/token`,
            introspection_endpoint: `${base}/introspect`,
            authorization_endpoint: `${base}/authorize`,
            grant_types_supported: ['client_credentials'],
            token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
            response_types_supported: ['code'],
            code_challenge_methods_supported: ['S256'],
          });
          return;
        }
        if (path === '/jwks') {
          state.jwksFetches++;
          json(res, 200, { keys: state.keys.map((k) => k.jwk) });
          return;
        }
        if (path === '/token' && req.method === 'POST') {
          const client = clientOf(req.headers.authorization, form);
          if (!client) return json(res, 401, { error: 'invalid_client' });
          if (form.get('grant_type') !== 'client_credentials') return json(res, 400, { error: 'unsupported_grant_type' });
          const scope = form.get('scope') ?? state.clients.get(client)?.scope ?? '';
          const resource = form.get('resource');
          const token = await state.sign({ sub: `svc-${client}`, client_id: client, scope, ...(resource !== null ? { aud: resource } : {}) });
          return json(res, 200, { access_token: token, token_type: 'Bearer', expires_in: 300, scope });
        }
        if (path === '/introspect' && req.method === 'POST') {
          state.introspections++;
          const client = clientOf(req.headers.authorization, form);
          if (!client) return json(res, 401, { error: 'invalid_client' });
          const claims = state.opaque.get(form.get('token') ?? '');
          return json(res, 200, claims ? { active: true, ...claims } : { active: false });
        }
        json(res, 404, { error: 'not_found' });
      })();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  base = `http://127.0.0.1:${port}`;
  Object.assign(state, { url: base, issuer: base });
  return state;
}
