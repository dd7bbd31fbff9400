// Paths that exist only once their surface is wired (Bedrock SigV4, tool routes with JWT): each is
// measured when the honeygate tree under test exposes a way to start it, and skipped with the
// reason otherwise. A path returns { items: [{ name, target, request, connections }] } or { why }.
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { CHAT_BODY, CHAT_REQUEST } from './fixtures.mjs';

/**
 * Bedrock (SigV4): a lure AWS key pair; one Converse request signed once with the AWS SDK's own
 * signer (@smithy/signature-v4) and replayed (valid for 15 minutes, as on AWS); the gateway
 * verifies the signature on every request, then the decoy answers. Skipped when the config schema
 * has no `aws_keys` or the preflight does not get a Converse answer.
 */
async function bedrock({ scratch, baseConfig, fitConfig, startGateway, started }) {
  const accessKeyId = 'AKIABENCHBENCHBENCH2';
  const secretAccessKey = 'benchSecretKey0000000000000000000000000bench';
  const config = { ...baseConfig, aws_keys: [{ name: 'bench-aws-lure', class: 'lure', access_key_id: accessKeyId, secret_access_key: secretAccessKey, max_requests: 2_000_000_000 }] };
  try {
    await fitConfig(config);
  } catch (e) {
    return { why: `this honeygate does not accept aws_keys (${String(e.message).slice(0, 160)})` };
  }
  let gw;
  try {
    gw = await startGateway('honeygate-bedrock', config, { scratch });
  } catch (e) {
    return { why: `the gateway with aws_keys did not start: ${String(e.message).slice(0, 300)}` };
  }
  started.push(gw);
  const { SignatureV4 } = await import('@smithy/signature-v4');
  const { Sha256 } = await import('@aws-crypto/sha256-js');
  const signer = new SignatureV4({ service: 'bedrock', region: 'us-east-1', credentials: { accessKeyId, secretAccessKey }, sha256: Sha256 });
  const path = '/model/us.amazon.nova-micro-v1%3A0/converse';
  const body = JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'Summarise connection pooling in one sentence.' }] }], inferenceConfig: { maxTokens: 64 } });
  // signed for one gateway's port (the Host header is signed)
  const signFor = async (port) => {
    const signed = await signer.sign({
      method: 'POST',
      protocol: 'http:',
      hostname: '127.0.0.1',
      port,
      path,
      headers: { host: `127.0.0.1:${port}`, 'content-type': 'application/json', accept: 'application/json', 'content-length': String(Buffer.byteLength(body)) },
      body,
    });
    const headers = Object.fromEntries(Object.entries(signed.headers).filter(([k]) => k !== 'host' && k !== 'content-length'));
    return { method: 'POST', path, headers, body };
  };
  const request = await signFor(gw.port);
  const { headers } = request;
  const r = await fetch(`${gw.url}${path}`, { method: 'POST', headers, body });
  const text = await r.text();
  if (r.status !== 200 || !text.includes('"output"')) return { why: `preflight: a signed Converse request answered ${r.status}: ${text.slice(0, 200)}` };
  return { items: [{ name: 'bedrock/honeygate', target: gw, request, profile: { name: 'bedrock', config, request: signFor } }] };
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
