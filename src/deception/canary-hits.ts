/**
 * Canary use, detected two ways (issue 3 part 3):
 * - an HTTP hit on a canary URL `/c/<token>`: answered exactly like any unknown OpenAI URL (so
 *   canary links are indistinguishable from the API's own 404s), then looked up and recorded;
 * - a canary API key presented to the gateway: the client gets the ordinary invalid-key answer
 *   first; the lookup (only for keys in a genuine provider format) runs after the response.
 * A hit whose token is known produces a `honeygate.canary` alert linked to the minting request.
 */
import { buildCanaryEvent } from '../events/build.js';
import type { Exchange } from '../core/exchange.js';
import type { GatewayState } from '../core/provider.js';
import { clientAddress } from '../core/identity.js';
import { canaryTokenFromHostname, canaryTokenFromKey, canaryTokenFromPath } from './canary.js';
import { detectKeyFormat } from './keygen.js';

async function record(ex: Exchange, state: GatewayState, token: string, via: 'http' | 'api_key'): Promise<void> {
  const canary = await state.store.getCanary(token);
  if (canary) state.bus.publish(buildCanaryEvent(ex, canary, via));
}

function report(e: unknown): void {
  process.emitWarning(`honeygate: canary lookup failed: ${e instanceof Error ? e.message : String(e)}`);
}

let domainOf: { readonly url: string; readonly domain: string } = { url: '', domain: '' };

/** The domain canary hostnames are minted under: the host of public_url (parsed once per value). */
function canaryDomain(publicUrl: string): string {
  if (domainOf.url !== publicUrl) {
    let domain = '';
    try {
      domain = new URL(publicUrl).hostname.toLowerCase();
    } catch {
      // an invalid public_url is refused by the config schema; nothing to match then
    }
    domainOf = { url: publicUrl, domain };
  }
  return domainOf.domain;
}

/**
 * Route for `/c/<token>`; returns false for every other path. A request whose Host is a canary
 * hostname (`<word>-<10 base32>.<public_url host>`, wildcard DNS pointed at honeygate) is recorded
 * too and then served as usual.
 */
export function canaryRoute(ex: Exchange, state: GatewayState, unknownUrl: (ex: Exchange) => void): boolean {
  const host = ex.req.headers.host;
  if (host !== undefined) {
    const domain = canaryDomain(state.publicUrl);
    const bare = host.replace(/:\d+$/, '');
    if (domain !== '' && bare.length > domain.length + 1 && bare.toLowerCase().endsWith(`.${domain}`)) {
      const token = canaryTokenFromHostname(host, domain);
      if (token !== null) {
        ex.ip = clientAddress(ex.req.socket.remoteAddress ?? '', ex.req.headers['x-forwarded-for'], state.runtime.policy.trustedProxies);
        record(ex, state, token, 'http').catch(report);
      }
    }
  }
  if (!ex.path.startsWith('/c/')) return false;
  const token = canaryTokenFromPath(ex.path);
  ex.ip = clientAddress(ex.req.socket.remoteAddress ?? '', ex.req.headers['x-forwarded-for'], state.runtime.policy.trustedProxies);
  // a canary link looks like any unknown URL (the default provider's answer)
  unknownUrl(ex);
  if (token !== null) record(ex, state, token, 'http').catch(report);
  return true;
}

/**
 * After an invalid-key answer: was that key one of our canaries? Canary keys are minted in genuine
 * provider formats, so only a key in such a format is looked up — a flood of junk keys costs no
 * store call; a failed lookup is dropped silently (the client already has its answer).
 */
export function checkCanaryKey(ex: Exchange, state: GatewayState, secret: string | undefined, sha256?: string): void {
  if (secret === undefined || detectKeyFormat(secret) === null) return;
  // the key ring's digest of the same secret, when the caller has it: the key is hashed once
  const token = canaryTokenFromKey(secret, sha256);
  if (token !== null) record(ex, state, token, 'api_key').catch(() => undefined);
}
