/**
 * What every admin route plugin shares: the context (gateway state, event store, metrics …), the
 * one error shape, and the two helpers every handler uses (run a store query, validate a query
 * string). Kept apart from api.ts, which registers the plugins, so no plugin imports its registrar.
 */
import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import type { GatewayState } from '../../core/provider.js';
import type { SinkStats } from '../../events/sinks/queue.js';
import type { EventStore } from '../../events/store/index.js';
import type { AdminMetrics } from '../metrics.js';
import { parseQuery, QueryError, type QueryIssue } from '../query.js';
import type { Reloader } from '../reload.js';

export interface ApiContext {
  readonly state: GatewayState;
  readonly eventStore: EventStore | undefined;
  readonly sinkStats: () => readonly SinkStats[];
  readonly reloader: Reloader | undefined;
  readonly metrics: AdminMetrics;
  readonly now: () => number;
  readonly log: (line: string) => void;
  readonly version: string;
  readonly startedAt: number;
}

export function sendError(reply: FastifyReply, status: number, code: string, message: string, issues?: readonly QueryIssue[]): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'application/json; charset=utf-8')
    .send({ error: { code, message, ...(issues !== undefined && issues.length > 0 ? { issues } : {}) } });
}

/** Largest page of events one request returns. */
export const MAX_EVENTS_PAGE = 1000;
/** Events sampled for the top-clients summary (the store has no client column). */
export const CLIENT_SAMPLE = 5000;
/** Most buckets one timeline returns. */
export const MAX_TIMELINE_BUCKETS = 1440;

/** What every route plugin gets: the context and the two helpers every handler uses. */
export interface RouteKit {
  readonly ctx: ApiContext;
  /** Run a store query; 503 when there is no store or it fails (counted, logged, never echoed). */
  withStore<T>(reply: FastifyReply, run: (store: EventStore) => Promise<T>): Promise<T | undefined>;
  /** Validate the query string (filters + the route's own parameters); 400 and undefined when invalid. */
  query(reply: FastifyReply, q: unknown, extra?: Record<string, z.ZodType<string>>): ReturnType<typeof parseQuery> | undefined;
}

export function routeKit(ctx: ApiContext): RouteKit {
  return {
    ctx,
    withStore: async <T>(reply: FastifyReply, run: (store: EventStore) => Promise<T>): Promise<T | undefined> => {
      const store = ctx.eventStore;
      if (store === undefined) {
        sendError(reply, 503, 'no_event_store', 'no event store is configured (events.store.driver is none)');
        return undefined;
      }
      try {
        return await run(store);
      } catch (e: unknown) {
        ctx.metrics.queryError();
        ctx.log(`honeygate admin: event store query failed: ${e instanceof Error ? e.message : String(e)}`);
        sendError(reply, 503, 'event_store_error', 'the event store could not answer');
        return undefined;
      }
    },
    query: (reply, q, extra = {}) => {
      try {
        return parseQuery(q, ctx.now(), extra);
      } catch (e: unknown) {
        if (!(e instanceof QueryError)) throw e;
        sendError(reply, 400, 'bad_query', 'invalid query parameters', e.issues);
        return undefined;
      }
    },
  };
}
