/**
 * honeygate's own gateway as the server arm of two-arm runs: the offline demo configuration
 * (`honeygate serve` with no config) on 127.0.0.1, port 0, with a freshly minted valid key that the
 * client flows present, so the built-in decoy answers. Loaded lazily: `sim` never loads the
 * gateway unless asked (`sim two-arm --server gateway`).
 */
import { demoConfig } from '../cli/serve.js';
import { mintOpenAIKey } from '../deception/keygen.js';
import { startGateway } from '../server/gateway.js';
import type { EmulatedServer } from './emulator.js';

export interface GatewayArm {
  /** the valid key the flows must present (pass it as the api_key parameter; never print it) */
  readonly apiKey: string;
  start(): Promise<EmulatedServer>;
}

export async function gatewayArm(env: NodeJS.ProcessEnv): Promise<GatewayArm> {
  const keys = { valid: mintOpenAIKey('project'), lure: mintOpenAIKey('project') };
  const config = await demoConfig(keys, env);
  return {
    apiKey: keys.valid,
    async start(): Promise<EmulatedServer> {
      const g = await startGateway(config, { host: '127.0.0.1', port: 0 });
      return { url: g.url, close: () => g.close() };
    },
  };
}
