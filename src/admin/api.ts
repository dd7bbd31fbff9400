/**
 * The admin JSON API (`/api/v1/*`), one route plugin per group (routes/*.ts): events and their
 * summaries (through the event store's query API), blocks and the blocklist exports, keys and
 * campaigns (never a secret: name, class, campaign, placement, fingerprint, mask, upstream, hit
 * counts), investigation (one attacker, search, one campaign), threat-intelligence exports (STIX
 * 2.1, MISP), config reload and detailed health. Authentication happens before any of this
 * (server.ts); every handler validates its own input.
 *
 * Errors have one shape: `{"error": {"code", "message", "issues"?: [{path, message}]}}`. Internal
 * failures answer a generic message; the detail goes to the log only.
 */
import type { FastifyInstance } from 'fastify';
import { registerBlockRoutes } from './routes/blocks.js';
import { registerEventRoutes } from './routes/events.js';
import { registerExportRoutes } from './routes/export.js';
import { registerInvestigateRoutes } from './routes/investigate.js';
import { registerKeyRoutes } from './routes/keys.js';
import { registerSystemRoutes } from './routes/system.js';
import { routeKit, type ApiContext } from './routes/kit.js';

export { CLIENT_SAMPLE, MAX_EVENTS_PAGE, MAX_TIMELINE_BUCKETS, routeKit, sendError, type ApiContext, type RouteKit } from './routes/kit.js';

export function registerApi(app: FastifyInstance, ctx: ApiContext): void {
  const kit = routeKit(ctx);
  registerEventRoutes(app, kit);
  registerBlockRoutes(app, kit);
  registerKeyRoutes(app, kit);
  registerExportRoutes(app, kit);
  registerInvestigateRoutes(app, kit);
  registerSystemRoutes(app, kit);
}
