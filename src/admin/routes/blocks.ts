/** Blocks (list, add, remove) and the blocklist exports for firewalls. */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { buildSystemEvent } from '../../events/build.js';
import { blockView, canonicalIp, exportCsv, exportEntries, exportText, parseBlockBody, type ExportSource } from '../blocks.js';
import { sendError, type RouteKit } from './kit.js';

export function registerBlockRoutes(app: FastifyInstance, kit: RouteKit): void {
  const { ctx } = kit;
  // blocks
  app.get('/api/v1/blocks', async () => {
    const blocks = await ctx.state.store.listBlocks();
    return { count: blocks.length, blocks: blocks.map(blockView) };
  });

  app.post('/api/v1/blocks', async (req, reply) => {
    const parsed = parseBlockBody(req.body);
    if (!parsed.ok) return sendError(reply, 400, 'bad_request', 'invalid block', parsed.issues);
    const { subject, durationMs, reason } = parsed.value;
    const record = await ctx.state.store.block(subject, durationMs, reason);
    ctx.state.bus.publish(buildSystemEvent('admin', 'admin:block', `${subject} until ${new Date(record.until).toISOString()}: ${reason}`.slice(0, 1500)));
    return reply.code(201).send({ block: blockView(record) });
  });

  app.delete<{ Params: { subject: string } }>('/api/v1/blocks/:subject', async (req, reply) => {
    const subject = req.params.subject;
    if (subject.length === 0 || subject.length > 512 || /[\u0000-\u001f\u007f]/.test(subject)) {
      return sendError(reply, 400, 'bad_request', 'invalid subject', [{ path: 'subject', message: 'a block subject, e.g. ip:203.0.113.9' }]);
    }
    let removed = await ctx.state.store.unblock(subject);
    if (!removed && subject.startsWith('ip:')) {
      const canonical = canonicalIp(subject.slice(3));
      if (canonical !== null && `ip:${canonical}` !== subject) removed = await ctx.state.store.unblock(`ip:${canonical}`);
    }
    if (!removed) return sendError(reply, 404, 'not_found', 'no such block');
    ctx.state.bus.publish(buildSystemEvent('admin', 'admin:unblock', subject.slice(0, 600)));
    return reply.code(204).send();
  });

  const exportRoute = (format: 'txt' | 'csv') => async (req: { query: unknown }, reply: FastifyReply) => {
    const raw = (req.query ?? {}) as Record<string, unknown>;
    const keys = Object.keys(raw);
    const source = raw['source'] ?? 'all';
    if (keys.some((k) => k !== 'source') || (source !== 'all' && source !== 'blocks' && source !== 'config')) {
      return sendError(reply, 400, 'bad_query', 'invalid query parameters', [{ path: 'source', message: 'all, blocks or config' }]);
    }
    const blocks = source === 'config' ? [] : await ctx.state.store.listBlocks();
    const entries = exportEntries(blocks, ctx.state.runtime.config.network.deny, source as ExportSource);
    return reply
      .header('content-type', format === 'txt' ? 'text/plain; charset=utf-8' : 'text/csv; charset=utf-8; header=present')
      .header('content-disposition', `attachment; filename="honeygate-blocklist.${format}"`)
      .send(format === 'txt' ? exportText(entries) : exportCsv(entries));
  };
  app.get('/api/v1/blocklist.txt', exportRoute('txt'));
  app.get('/api/v1/blocklist.csv', exportRoute('csv'));

}
