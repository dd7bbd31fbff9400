// Paths that exist only once their surface is wired (Bedrock SigV4, tool routes with JWT): each is
// measured when the honeygate tree under test exposes a way to start it, and skipped with the
// reason otherwise. A path returns { items: [{ name, target, request, connections }] }.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

async function bedrock({ root }) {
  const surface = join(root, 'dist/surfaces/bedrock/surface.js');
  if (!existsSync(surface)) {
    return { why: 'dist/surfaces/bedrock/ has no surface module yet (routing, SigV4 and errors only): the gateway cannot serve /model/* to measure' };
  }
  return { why: 'dist/surfaces/bedrock/surface.js exists but the bench does not know how to configure it yet' };
}

async function tool({ root }) {
  const route = join(root, 'dist/surfaces/tool/route.js');
  if (!existsSync(route)) {
    return { why: 'dist/surfaces/tool/ has no route module yet: no tool route with JWT verification to measure' };
  }
  return { why: 'dist/surfaces/tool/route.js exists but the bench does not know how to configure it yet' };
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
