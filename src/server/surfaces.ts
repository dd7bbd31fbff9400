/**
 * Which surfaces and extra routes a gateway serves, decided once from the config. The OpenAI
 * surface owns `/v1/*`; canary links `/c/<token>` come first; Bedrock (`/model/*` and the AWS
 * probe endpoints) and tool routes register here when their config is present.
 */
import type { Config } from '../config/schema.js';
import { canaryRoute } from '../deception/canary-hits.js';
import { toolRoute } from '../surfaces/tool/surface.js';
import type { Surface } from '../surfaces/types.js';
import type { Exchange } from './exchange.js';
import type { GatewayState } from './state.js';

export type Route = (ex: Exchange, state: GatewayState) => boolean | Promise<boolean>;

export interface SurfaceSet {
  /** tried in order before the prefix surfaces; a route returns true when it answered */
  readonly routes: readonly Route[];
  readonly surfaces: readonly { readonly prefix: string; readonly surface: Surface }[];
}

export function defaultSurfaces(_config: Readonly<Config>): SurfaceSet {
  // toolRoute answers only for configured routes (it reads them from the runtime, so reloads apply)
  return { routes: [canaryRoute, toolRoute], surfaces: [] };
}
