/**
 * Test harness: a node:http server on 127.0.0.1:0 running the Bedrock endpoint
 * (src/surfaces/bedrock/endpoint.ts) with fixed AWS key pairs, for the official SDK clients.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createH2Server, type Http2Server, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { mintAwsKeyPair } from '../../src/deception/keygen.js';
import { type AwsExchangeInfo, type AwsKeyEntry, type AwsCredentialEntry, type BedrockEndpointOptions, createBedrockEndpoint } from '../../src/providers/bedrock/endpoint.js';
import { sha256Hex } from '../../src/util/hash.js';

export const LURE_ACCOUNT = '204381772953';
export const VALID_ACCOUNT = '318467125086';

function fixedBytes(seed: number): (n: number) => Uint8Array {
  let x = seed;
  return (n) => Uint8Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    return x & 0xff;
  });
}

export const LURE = mintAwsKeyPair({ accountId: LURE_ACCOUNT }, fixedBytes(7));
export const VALID = mintAwsKeyPair({ accountId: VALID_ACCOUNT }, fixedBytes(11));
export const LURE_SESSION = { ...mintAwsKeyPair({ accountId: LURE_ACCOUNT, prefix: 'ASIA' }, fixedBytes(13)), sessionToken: `IQoJb3JpZ2luX2VjE${'A'.repeat(40)}session/token+test==` };
/** a well-formed key id nobody configured */
export const STRANGER = mintAwsKeyPair({ accountId: '555566667777' }, fixedBytes(17));
/** long-term Bedrock API key: ABSK + base64("BedrockAPIKey-<id>-at-<account>:<secret>") */
export const BEARER_LURE = `ABSK${Buffer.from(`BedrockAPIKey-x7k2-at-${LURE_ACCOUNT}:${'s'.repeat(40)}`).toString('base64')}`;

export const LURE_TEXT = 'Sure. The deployment notes are in the ops wiki; the staging token rotates weekly.';

export interface Harness {
  /** HTTP/1.1 listener (botocore, the fidelity check, raw requests, SDK with NodeHttpHandler) */
  readonly url: string;
  readonly port: number;
  /** HTTP/2 cleartext listener (the JS SDK's default NodeHttp2Handler) */
  readonly h2url: string;
  readonly exchanges: AwsExchangeInfo[];
  close(): Promise<void>;
}

export function defaultKeys(): Map<string, AwsKeyEntry> {
  return new Map<string, AwsKeyEntry>([
    [LURE.accessKeyId, { name: 'lure-1', class: 'lure', secretAccessKey: LURE.secretAccessKey, lureText: LURE_TEXT }],
    [VALID.accessKeyId, { name: 'valid-1', class: 'valid', secretAccessKey: VALID.secretAccessKey }],
    [LURE_SESSION.accessKeyId, { name: 'lure-session', class: 'lure', secretAccessKey: LURE_SESSION.secretAccessKey, sessionToken: LURE_SESSION.sessionToken, lureText: LURE_TEXT }],
  ]);
}

export async function startHarness(overrides: Partial<BedrockEndpointOptions> = {}, keys = defaultKeys()): Promise<Harness> {
  const exchanges: AwsExchangeInfo[] = [];
  const bearer = new Map<string, AwsCredentialEntry>([[sha256Hex(BEARER_LURE), { name: 'bearer-lure', class: 'lure', lureText: LURE_TEXT }]]);
  const handler = createBedrockEndpoint({
    lookupAccessKey: (id) => keys.get(id),
    lookupBearerHash: (h) => bearer.get(h),
    onExchange: (info) => exchanges.push(info),
    ...overrides,
  });
  const serve = (req: IncomingMessage, res: ServerResponse): void => {
    handler(req, res).catch((e: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500);
        res.end(String(e));
      } else res.destroy();
    });
  };
  const server: Server = createServer(serve);
  // node:http2's compatibility objects carry the same members the endpoint uses
  const h2: Http2Server = createH2Server((req: Http2ServerRequest, res: Http2ServerResponse) => serve(req as unknown as IncomingMessage, res as unknown as ServerResponse));
  const sessions = new Set<{ destroy(): void }>();
  h2.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => h2.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const h2port = (h2.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    h2url: `http://127.0.0.1:${h2port}`,
    exchanges,
    close: async () => {
      for (const s of sessions) s.destroy();
      await new Promise<void>((resolve) => h2.close(() => resolve()));
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
