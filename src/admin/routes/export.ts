/**
 * Threat-intelligence exports: `GET /api/v1/export/stix` (STIX 2.1 bundle) and
 * `GET /api/v1/export/misp` (MISP event JSON) over the event store and the live blocks, with the
 * event filters (`since`, `until`, `campaign` …) plus `identity` (the operator's name) and `tlp`;
 * and the blocklist's STIX and MISP siblings (`/api/v1/blocklist.stix.json`,
 * `/api/v1/blocklist.misp.json`: blocks and network.deny only, no events).
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { collectIntel, type Intel } from '../../events/export/collect.js';
import { mispEvent } from '../../events/export/misp.js';
import { STIX_MEDIA_TYPE, stixBundle, type Tlp } from '../../events/export/stix.js';
import { sendError, type RouteKit } from './kit.js';

const DEFAULT_IDENTITY = 'honeygate operator';

const identityParam: z.ZodType<string> = z
  .string()
  .min(1)
  .max(128)
  .refine((v) => !/[\u0000-\u001f\u007f]/.test(v), 'no control characters');
const tlpParam: z.ZodType<string> = z.enum(['clear', 'green', 'amber', 'red']);

function send(reply: FastifyReply, format: 'stix' | 'misp', name: string, body: unknown): FastifyReply {
  return reply
    .header('content-type', format === 'stix' ? `${STIX_MEDIA_TYPE}; charset=utf-8` : 'application/json; charset=utf-8')
    .header('content-disposition', `attachment; filename="${name}.${format}.json"`)
    .send(JSON.stringify(body, null, 2));
}

export function registerExportRoutes(app: FastifyInstance, kit: RouteKit): void {
  const { ctx, withStore, query } = kit;

  const intelRoute = (format: 'stix' | 'misp') => async (req: { query: unknown }, reply: FastifyReply) => {
    const q = query(reply, req.query, { identity: identityParam, tlp: tlpParam });
    if (q === undefined) return reply;
    const blocks = await ctx.state.store.listBlocks();
    const intel = await withStore(reply, (store) => collectIntel({ store, blocks, filter: q.filter, now: ctx.now() }));
    if (intel === undefined) return reply;
    if (intel.truncated) reply.header('x-honeygate-truncated', 'true');
    return render(reply, format, 'honeygate-intel', intel, q.extra);
  };
  app.get('/api/v1/export/stix', intelRoute('stix'));
  app.get('/api/v1/export/misp', intelRoute('misp'));

  const blocklistRoute = (format: 'stix' | 'misp') => async (req: { query: unknown }, reply: FastifyReply) => {
    const raw = (req.query ?? {}) as Record<string, unknown>;
    const parsed = z
      .object({ source: z.enum(['all', 'blocks', 'config']).default('all'), identity: identityParam.optional(), tlp: tlpParam.optional() })
      .strict()
      .safeParse(raw);
    if (!parsed.success) {
      return sendError(reply, 400, 'bad_query', 'invalid query parameters', parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.') || String(Object.keys(raw)[0] ?? ''), message: i.message })));
    }
    const { source } = parsed.data;
    const blocks = source === 'config' ? [] : await ctx.state.store.listBlocks();
    const ranges = source === 'blocks' ? [] : ctx.state.runtime.config.network.deny;
    const intel = await collectIntel({ blocks, ranges, now: ctx.now() });
    const extra: Record<string, string> = {};
    if (parsed.data.identity !== undefined) extra['identity'] = parsed.data.identity;
    if (parsed.data.tlp !== undefined) extra['tlp'] = parsed.data.tlp;
    return render(reply, format, 'honeygate-blocklist', intel, extra);
  };
  app.get('/api/v1/blocklist.stix.json', blocklistRoute('stix'));
  app.get('/api/v1/blocklist.misp.json', blocklistRoute('misp'));
}

function render(reply: FastifyReply, format: 'stix' | 'misp', name: string, intel: Intel, extra: Readonly<Record<string, string>>): FastifyReply {
  const identity = extra['identity'] ?? DEFAULT_IDENTITY;
  const tlp = (extra['tlp'] ?? 'amber') as Tlp;
  return send(reply, format, name, format === 'stix' ? stixBundle(intel, { identity, tlp }) : mispEvent(intel, { identity, tlp }));
}
