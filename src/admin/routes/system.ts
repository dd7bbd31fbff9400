/** Config reload and detailed health. */
import type { FastifyInstance } from 'fastify';
import { sendError, type RouteKit } from './kit.js';

export function registerSystemRoutes(app: FastifyInstance, kit: RouteKit): void {
  const { ctx } = kit;
  app.post('/api/v1/reload', async (req, reply) => {
    const body = req.body;
    if (body !== undefined && body !== null && !(typeof body === 'object' && !Array.isArray(body) && Object.keys(body).length === 0)) {
      return sendError(reply, 400, 'bad_request', 'reload takes no body: it reads the config file again');
    }
    if (ctx.reloader === undefined) return sendError(reply, 409, 'no_reload', 'this gateway was started without a reloadable config');
    const report = await ctx.reloader.reload('admin');
    if (!report.ok && report.file === undefined) {
      return reply.code(409).send({ ...report, error: { code: 'no_config_file', message: report.errors[0]?.message ?? 'no config file' } });
    }
    return reply.code(report.ok ? 200 : 422).send(report);
  });

  app.get('/api/v1/health', async () => {
    const store = ctx.state.store.health();
    const sinks = ctx.sinkStats();
    let eventStore: { ok: boolean; driver?: string } = { ok: false };
    if (ctx.eventStore !== undefined) {
      try {
        await ctx.eventStore.stats({ since: ctx.now() });
        eventStore = { ok: true, driver: ctx.eventStore.driver };
      } catch {
        eventStore = { ok: false, driver: ctx.eventStore.driver };
      }
    }
    const ok = store.ok && (ctx.eventStore === undefined || eventStore.ok) && sinks.every((s) => !s.disabled);
    return {
      status: ok ? 'ok' : 'degraded',
      version: ctx.version,
      uptime_s: Math.round((ctx.now() - ctx.startedAt) / 1000),
      store,
      event_store: ctx.eventStore === undefined ? null : eventStore,
      sinks,
      last_reload: ctx.reloader?.last ?? null,
    };
  });
}
