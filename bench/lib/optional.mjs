// Paths that exist only once their surface is wired (Bedrock SigV4, tool routes with JWT): each is
// measured when the honeygate tree under test exposes a way to start it, and skipped with the
// reason otherwise. A path returns { items: [{ name, target, request, connections }] } or { why }.
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { CHAT_BODY, CHAT_REQUEST } from './fixtures.mjs';

async function bedrock({ root }) {
  const surface = join(root, 'dist/surfaces/bedrock/surface.js');
  if (!existsSync(surface)) {
    return { why: 'dist/surfaces/bedrock/ has no surface module yet (routing, SigV4 and errors only): the gateway cannot serve /model/* to measure' };
  }
  return { why: 'dist/surfaces/bedrock/surface.js exists but the bench does not know how to configure it yet' };
}

/**
 * Tool routes (issue 10): the same fake upstream behind two routes of one gateway, one verifying an
 * RS256 JWT against a JWKS (served from this process: fetched once, then cached by the gateway),
 * one public (no credential). Skipped when the config schema has no `routes`.
 */
async function tool({ upstream, scratch, baseConfig, fitConfig, startGateway, started }) {
  const jose = await import('jose');
  const { publicKey, privateKey } = await jose.generateKeyPair('RS256');
  const jwk = { ...(await jose.exportJWK(publicKey)), kid: 'bench', alg: 'RS256', use: 'sig' };
  const jwks = createServer((req, res) => {
    const issuer = `http://127.0.0.1:${jwks.address().port}`;
    if (req.url === '/jwks.json') return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
    if (req.url?.startsWith('/.well-known/')) return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks.json` }));
    res.writeHead(404).end();
  });
  await new Promise((r) => jwks.listen(0, '127.0.0.1', r));
  started.push({ stop: () => new Promise((r) => jwks.close(() => r())) });
  const issuer = `http://127.0.0.1:${jwks.address().port}`;
  const audience = 'https://tools.bench.invalid/act';
  const token = await new jose.SignJWT({ scope: 'act' })
    .setProtectedHeader({ alg: 'RS256', kid: 'bench', typ: 'JWT' })
    .setIssuer(issuer)
    .setAudience(audience)
    .setSubject('bench-user')
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(privateKey);
  const config = {
    ...baseConfig,
    routes: [
      { name: 'bench-jwt', prefix: '/tool-jwt', upstream: `${upstream.url}/`, auth: { oauth: { issuer, jwks_uri: `${issuer}/jwks.json`, audience } } },
      { name: 'bench-open', prefix: '/tool-open', upstream: `${upstream.url}/`, auth: { public: true } },
    ],
  };
  try {
    await fitConfig(config);
  } catch (e) {
    return { why: `this honeygate does not accept tool routes (${String(e.message).slice(0, 200)})` };
  }
  const gw = await startGateway('honeygate-tool', config, { scratch });
  started.push(gw);
  const req = (path, auth) => ({
    method: 'POST',
    path,
    headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${auth}` } : {}) },
    body: CHAT_REQUEST,
  });
  const items = [
    { name: 'tool/jwt', target: gw, request: req('/tool-jwt/act', token) },
    { name: 'tool/nojwt', target: gw, request: req('/tool-open/act') },
  ];
  for (const it of items) {
    const r = await fetch(`${gw.url}${it.request.path}`, { method: 'POST', headers: it.request.headers, body: it.request.body });
    const text = await r.text();
    if (r.status !== 200 || text !== CHAT_BODY) return { why: `preflight of ${it.name} answered ${r.status}: ${text.slice(0, 200)}` };
  }
  return { items };
}

export async function optionalPaths(ctx) {
  const out = [];
  for (const [path, probe] of [
    ['Bedrock SigV4-verified request', bedrock],
    ['tool route with JWT verification', tool],
  ]) {
    const r = await probe(ctx);
    if (r.items) out.push({ path, items: r.items });
    else ctx.results.skipped.push({ path, why: r.why });
  }
  return out;
}
