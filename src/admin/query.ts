/**
 * Query strings of the admin API → the event store's EventFilter. Strict: an unknown parameter, a
 * repeated one or a malformed value is a 400 naming the parameter, so a typo never silently
 * widens a query. Times are ISO 8601 or a duration meaning "ago" (`15m`, `24h`, `7d`).
 */
import { z } from 'zod';
import { PROVIDER_NAMES } from '../gateway/registry.js';
import { parseDuration } from '../config/duration.js';
import type { Dataset, KeyClass, SurfaceName, VerdictAction } from '../events/model.js';
import type { EventFilter } from '../events/store/index.js';
import { canonicalIp } from './blocks.js';

export interface QueryIssue {
  readonly path: string;
  readonly message: string;
}

export class QueryError extends Error {
  readonly issues: readonly QueryIssue[];
  constructor(issues: readonly QueryIssue[]) {
    super(issues.map((i) => `${i.path}: ${i.message}`).join('; '));
    this.name = 'QueryError';
    this.issues = issues;
  }
}

const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?$/;
const MAX_VALUE = 256;

/** A time parameter: ISO 8601, or a duration before `now`. */
export function parseTime(value: string, now: number): number | null {
  if (ISO.test(value)) {
    const t = Date.parse(value);
    return Number.isFinite(t) ? t : null;
  }
  if (/^\d+(\.\d+)?$/.test(value)) return null; // a bare number is ambiguous (seconds? epoch ms?)
  const ms = parseDuration(value);
  return ms === null || ms > 100 * 366 * 86_400_000 ? null : now - ms;
}

const text = z.string().min(1).max(MAX_VALUE);

/** Filter parameters every event route accepts. */
const FILTER_FIELDS = {
  since: text,
  until: text,
  dataset: z.enum(['request', 'canary', 'system']),
  class: z.enum(['valid', 'lure', 'invalid', 'missing']),
  campaign: text,
  placement: text,
  ip: text,
  fingerprint: z.string().regex(/^sha256:[0-9a-f]{16}$/, 'a key fingerprint: sha256: and 16 lowercase hex digits'),
  model: text,
  // every provider the registry names (a new provider is filterable without touching this file)
  surface: z.enum(PROVIDER_NAMES as [string, ...string[]]),
  verdict: z.enum(['forward', 'deceive', 'reject', 'block']),
  reason: text,
  status: z.string().regex(/^[1-5]\d\d$/, 'an HTTP status code'),
  tool_user: text,
  tool_conversation: text,
  client: z.string().regex(/^cfp_[0-9a-f]{16}$/, 'a client id: cfp_ and 16 lowercase hex digits'),
} as const;

type FilterKey = keyof typeof FILTER_FIELDS;

export interface ParsedQuery {
  readonly filter: EventFilter;
  /** the route's own parameters, validated */
  readonly extra: Readonly<Record<string, string>>;
}

/**
 * Validate a query object (fastify's parsed query string): only `FILTER_FIELDS` and the route's
 * `extra` parameters, each at most once.
 */
export function parseQuery(query: unknown, now: number, extra: Readonly<Record<string, z.ZodType<string>>> = {}): ParsedQuery {
  const raw = (query ?? {}) as Record<string, unknown>;
  const issues: QueryIssue[] = [];
  // no prototype: a parameter named __proto__ or constructor is just an unknown name
  const values: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [key, value] of Object.entries(raw)) {
    const schema = Object.hasOwn(FILTER_FIELDS, key)
      ? (FILTER_FIELDS as Record<string, z.ZodType<string>>)[key]
      : Object.hasOwn(extra, key)
        ? extra[key]
        : undefined;
    if (schema === undefined) {
      issues.push({ path: key.slice(0, 64), message: 'unknown parameter' });
      continue;
    }
    if (typeof value !== 'string') {
      issues.push({ path: key, message: 'given more than once' });
      continue;
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) issues.push({ path: key, message: parsed.error.issues[0]?.message ?? 'invalid' });
    else values[key] = parsed.data;
  }
  const filter: { -readonly [K in keyof EventFilter]: EventFilter[K] } = {};
  const time = (key: 'since' | 'until'): void => {
    const v = values[key];
    if (v === undefined) return;
    const t = parseTime(v, now);
    if (t === null) issues.push({ path: key, message: 'an ISO 8601 time (2025-01-31T12:00:00Z) or a duration ago (15m, 24h, 7d)' });
    else filter[key] = t;
  };
  time('since');
  time('until');
  if (filter.since !== undefined && filter.until !== undefined && filter.since >= filter.until) {
    issues.push({ path: 'until', message: 'must be after since' });
  }
  const get = (key: FilterKey): string | undefined => values[key];
  const dataset = get('dataset');
  if (dataset !== undefined) filter.dataset = `honeygate.${dataset}` as Dataset;
  const keyClass = get('class');
  if (keyClass !== undefined) filter.keyClass = keyClass as KeyClass;
  const ip = get('ip');
  if (ip !== undefined) {
    const canonical = canonicalIp(ip);
    if (canonical === null) issues.push({ path: 'ip', message: 'not an IP address' });
    else filter.sourceIp = canonical;
  }
  const surface = get('surface');
  if (surface !== undefined) filter.surface = surface as SurfaceName;
  const verdict = get('verdict');
  if (verdict !== undefined) filter.verdictAction = verdict as VerdictAction;
  const status = get('status');
  if (status !== undefined) filter.status = Number(status);
  const copy = (key: FilterKey, to: 'campaign' | 'placement' | 'fingerprint' | 'model' | 'verdictReason' | 'toolUser' | 'toolConversation' | 'clientId'): void => {
    const v = get(key);
    if (v !== undefined) filter[to] = v;
  };
  copy('campaign', 'campaign');
  copy('placement', 'placement');
  copy('fingerprint', 'fingerprint');
  copy('model', 'model');
  copy('reason', 'verdictReason');
  copy('tool_user', 'toolUser');
  copy('tool_conversation', 'toolConversation');
  copy('client', 'clientId');
  if (issues.length > 0) throw new QueryError(issues);
  const extraValues: Record<string, string> = {};
  for (const key of Object.keys(extra)) {
    const v = values[key];
    if (v !== undefined) extraValues[key] = v;
  }
  return { filter, extra: extraValues };
}

/** `limit`: a whole number from 1 to max. */
export const limitParam = (max: number): z.ZodType<string> =>
  z.string().regex(/^\d{1,6}$/, 'a whole number').refine((v) => Number(v) >= 1 && Number(v) <= max, `from 1 to ${max}`);

/** `bucket`: a duration of at least one second (timelines). */
export const bucketParam: z.ZodType<string> = z
  .string()
  .max(16)
  .refine((v) => {
    const ms = parseDuration(v);
    return ms !== null && ms >= 1000 && ms <= 31 * 86_400_000 && Number.isInteger(ms);
  }, 'a duration from 1s to 31d, e.g. 1m, 15m, 1h');

export const orderParam: z.ZodType<string> = z.enum(['asc', 'desc']);
