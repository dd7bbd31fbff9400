/**
 * honeygate's own gateway as the server arm of two-arm runs: the offline demo configuration
 * (`honeygate serve` with no config) on 127.0.0.1, port 0, with freshly minted valid credentials
 * that the client flows present — an OpenAI key and an AWS pair — so the built-in decoy answers both
 * surfaces, at once (no model pacing). Loaded lazily: `sim` never loads the gateway unless asked
 * (`sim two-arm --server gateway`). With `tls`, the gateway serves HTTPS from those files.
 */
import { demoConfig, mintDemoKeys } from '../cli/serve.js';
import { startGateway } from '../gateway/gateway.js';
import type { EmulatedServer } from './emulator.js';

export interface GatewayArm {
  /** the valid key the flows must present (pass it as the api_key parameter; never print it) */
  readonly apiKey: string;
  /** the valid AWS pair for the Bedrock flows (access_key_id / secret_access_key parameters) */
  readonly aws: { readonly accessKeyId: string; readonly secretAccessKey: string };
  start(): Promise<EmulatedServer>;
}

export async function gatewayArm(env: NodeJS.ProcessEnv, options: { tls?: { cert: string; key: string } } = {}): Promise<GatewayArm> {
  const keys = mintDemoKeys();
  const demo = await demoConfig(keys, env, { realisticTiming: false });
  // listen.tls takes certificate and key files, as in any honeygate configuration
  const config = options.tls ? { ...demo, listen: { ...demo.listen, tls: { cert: options.tls.cert, key: options.tls.key } } } : demo;
  const pair = keys.aws?.valid;
  return {
    apiKey: keys.valid,
    aws: { accessKeyId: pair?.accessKeyId ?? '', secretAccessKey: pair?.secretAccessKey ?? '' },
    async start(): Promise<EmulatedServer> {
      const g = await startGateway(config, { host: '127.0.0.1', port: 0 });
      return { url: g.url, close: () => g.close() };
    },
  };
}
