/**
 * Which surfaces and extra routes a gateway serves, decided from the config (at start and on each
 * reload). The OpenAI surface owns `/v1/*`; canary links `/c/<token>` come first; tool routes
 * register here when configured; the Bedrock surface (`/model/*`, and the AWS probe endpoints: STS
 * on `/`, the control plane's `/foundation-models`, `/inference-profiles`,
 * `/logging/modelinvocations`) only when the config has AWS keys or a bedrock upstream — otherwise
 * those URLs keep the OpenAI API's unknown-URL answer.
 */
import type { Config } from '../config/schema.js';
import { canaryRoute } from '../deception/canary-hits.js';
import { bedrockSurface, isAwsRequest } from '../providers/bedrock/surface.js';
import { toolRoute } from '../providers/tool/surface.js';
import type { Surface } from '../core/provider.js';
import type { Exchange } from '../core/exchange.js';
import { hasBedrock } from './runtime.js';
import type { GatewayState } from '../core/state.js';

export type Route = (ex: Exchange, state: GatewayState) => boolean | Promise<boolean>;

export interface SurfaceEntry {
  /** requests whose path starts with this go to the surface */
  readonly prefix: string;
  readonly surface: Surface;
  /** and requests outside the prefix that this accepts (the AWS probe endpoints) */
  readonly accepts?: (ex: Exchange) => boolean;
}

export interface SurfaceSet {
  /** tried in order before the prefix surfaces; a route returns true when it answered */
  readonly routes: readonly Route[];
  /** tried in order after `/v1/` (OpenAI) */
  readonly surfaces: readonly SurfaceEntry[];
}

const BEDROCK: SurfaceEntry = { prefix: '/model/', surface: bedrockSurface, accepts: isAwsRequest };

export function defaultSurfaces(config: Readonly<Config>): SurfaceSet {
  // tool routes only when configured: no per-request cost otherwise (the set is rebuilt on reload)
  const routes: Route[] = config.routes.length > 0 ? [canaryRoute, toolRoute] : [canaryRoute];
  return { routes, surfaces: hasBedrock(config) ? [BEDROCK] : [] };
}
