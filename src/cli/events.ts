/**
 * `honeygate events`: query the event store (issue 6) — the SQLite file the gateway writes, or a
 * shared PostgreSQL — as a table for people or JSON Lines for scripts (`--json`, one object per
 * line, ready for jq). Opens the store read-only and never migrates it.
 *
 *   honeygate events [SOURCE] [FILTERS] [--limit N] [--order asc|desc] [--json]
 *   honeygate events top ips|campaigns [SOURCE] [FILTERS] [--limit N] [--json]
 *   honeygate events timeline [--bucket 1h] [SOURCE] [FILTERS] [--json]
 *   honeygate events stats [SOURCE] [FILTERS] [--json]
 *   honeygate events campaign NAME [SOURCE] [FILTERS] [--json]
  honeygate events campaign NAME [SOURCE] [FILTERS] [--json]   which placement leaked, who used it,
                       what they asked, which canaries they touched
 *
 * Event text is attacker text: every cell goes through `printable` (controls → U+FFFD) and bidi
 * overrides are removed, so a crafted model name cannot drive the terminal.
 * Exit codes: 0 ok, 1 the store cannot be read, 2 usage error (bad flag, value or config file).
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { campaignReport, type CampaignReport } from '../events/report.js';
import { parseDuration } from '../config/duration.js';
import { ConfigError, formatIssue } from '../config/issues.js';
import { printable } from '../events/describe.js';
import type { GatewayEvent, KeyClass, VerdictAction } from '../events/model.js';
import { MAX_LIMIT, openEventStore, type EventFilter, type EventStore, type OpenStoreOptions } from '../events/store/index.js';
import { commandFailed, EXIT_OK, UsageError, type CliIO } from './io.js';

const EVENTS_USAGE = `usage:
  honeygate events [SOURCE] [FILTERS] [--limit N] [--order asc|desc] [--json]
  honeygate events top ips|campaigns [SOURCE] [FILTERS] [--limit N] [--json]
  honeygate events timeline [--bucket 1h] [SOURCE] [FILTERS] [--json]
  honeygate events stats [SOURCE] [FILTERS] [--json]

source (one; default ./data/events.db):
  --db PATH            SQLite event store written by the gateway
  --postgres URL       PostgreSQL event store (--schema NAME if not in the search_path)
  --config FILE        the gateway's config file: its events.store

filters:
  --since 1h|ISO       events at or after (a duration means "ago")
  --until 1h|ISO       events before
  --class valid|lure|invalid|missing
  --campaign X  --placement X  --ip X  --fingerprint X  --model X
  --client cfp_…       one client program across addresses (honeygate.client.id)
  --verdict forward|deceive|reject|block  --dataset request|canary|system
`;

const KEY_CLASSES: readonly KeyClass[] = ['valid', 'lure', 'invalid', 'missing'];
const VERDICTS: readonly VerdictAction[] = ['forward', 'deceive', 'reject', 'block'];
const DATASETS = ['request', 'canary', 'system'] as const;
const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/** Injected by tests: the time "now" for --since 1h. */
export interface EventsCliOptions {
  readonly now?: () => number;
}

function parseTime(flag: string, value: string, now: number): number {
  const ago = parseDuration(value);
  if (ago !== null && !/^\d{4}-/.test(value)) return now - ago;
  if (ISO.test(value)) {
    const ms = Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value);
    if (Number.isFinite(ms)) return ms;
  }
  throw new UsageError(`--${flag}: not a duration (1h, 30m, 7d) or an ISO time (2024-05-01T10:00:00Z): ${JSON.stringify(value)}`);
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`--${flag}: one of ${allowed.join(', ')} (got ${JSON.stringify(value)})`);
}

function positiveInt(flag: string, value: string, max: number): number {
  if (!/^\d{1,9}$/.test(value) || Number(value) < 1 || Number(value) > max) throw new UsageError(`--${flag}: a whole number from 1 to ${max}`);
  return Number(value);
}

/** Terminal-safe cell text: controls and bidi overrides removed, capped. */
export function cell(value: string | number | null | undefined, width: number): string {
  if (value === null || value === undefined || value === '') return '-';
  const clean = printable(String(value)).replace(/[\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '\uFFFD');
  return clean.length > width ? `${clean.slice(0, Math.max(1, width - 1))}…` : clean;
}

function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return `${[line(headers), ...rows.map(line)].join('\n')}\n`;
}

function shortTime(iso: string): string {
  return iso.replace(/\.\d+Z$/, 'Z');
}

function eventRow(e: GatewayEvent): string[] {
  const h = e.honeygate;
  return [
    cell(shortTime(e['@timestamp']), 24),
    cell(e.source?.ip, 39),
    cell(h.key?.class ?? e.event.dataset.replace(/^honeygate\./, ''), 8),
    cell(h.key?.campaign, 20),
    cell(h.key?.placement, 20),
    cell(h.verdict !== undefined ? `${h.verdict.action}/${h.verdict.reason}` : e.event.action, 28),
    cell(e.http?.response.status_code, 3),
    cell(h.model, 28),
    cell(e.url?.path ?? h.system?.detail, 40),
  ];
}

/** The options that name an event store (resolveSource reads them): --db, --postgres with --schema, --config. */
export const SOURCE_OPTIONS = {
  db: { type: 'string' },
  postgres: { type: 'string' },
  schema: { type: 'string' },
  config: { type: 'string' },
} as const;

/** The options of the time window read (--since, --until: a duration ago or an ISO time), shared with `honeygate export`. */
export const WINDOW_OPTIONS = {
  since: { type: 'string' },
  until: { type: 'string' },
} as const;

export async function resolveSource(values: Record<string, string | boolean | undefined>, io: CliIO): Promise<OpenStoreOptions> {
  const given = (['db', 'postgres', 'config'] as const).filter((k) => values[k] !== undefined);
  if (given.length > 1) throw new UsageError(`choose one source: ${given.map((g) => `--${g}`).join(', ')}`);
  const schema = typeof values['schema'] === 'string' ? values['schema'] : undefined;
  if (schema !== undefined && typeof values['postgres'] !== 'string') throw new UsageError('--schema goes with --postgres');
  if (typeof values['db'] === 'string') return { driver: 'sqlite', path: values['db'], readonly: true };
  if (typeof values['postgres'] === 'string') {
    if (!/^postgres(ql)?:\/\//.test(values['postgres'])) throw new UsageError('--postgres: a URL starting with postgres:// or postgresql://');
    if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new UsageError('--schema: a lowercase SQL identifier');
    return { driver: 'postgres', url: values['postgres'], readonly: true, maxConnections: 1, ...(schema !== undefined ? { schema } : {}) };
  }
  if (typeof values['config'] === 'string') {
    let events;
    try {
      // loaded only for --config: the config loader pulls in every rule module of the gateway
      const { loadConfigFile } = await import('../config/load.js');
      events = (await loadConfigFile(values['config'], io.env)).config.events;
    } catch (e: unknown) {
      if (e instanceof ConfigError) throw new UsageError(e.issues.map((i) => `${values['config']}: ${formatIssue(i)}`).join('\n'));
      throw e;
    }
    const store = events.store;
    if (store.driver === 'none') throw new UsageError(`${values['config']}: events.store.driver is none: there is no event store to query`);
    if (store.driver === 'postgres') {
      return { driver: 'postgres', url: store.url ?? '', readonly: true, maxConnections: 1, ...(store.schema !== undefined ? { schema: store.schema } : {}) };
    }
    return { driver: 'sqlite', path: store.url ?? join(events.dir, 'events.db'), readonly: true };
  }
  return { driver: 'sqlite', path: join('data', 'events.db'), readonly: true };
}

function clientParam(value: string): string {
  if (!/^cfp_[0-9a-f]{16}$/.test(value)) throw new UsageError(`--client: a client id is cfp_ and 16 lowercase hex digits (honeygate.client.id), not ${JSON.stringify(printable(value.slice(0, 40)))}`);
  return value;
}

function buildFilter(values: Record<string, string | boolean | undefined>, now: number): EventFilter {
  const str = (k: string): string | undefined => (typeof values[k] === 'string' ? values[k] : undefined);
  const since = str('since');
  const until = str('until');
  const cls = str('class');
  const verdict = str('verdict');
  const dataset = str('dataset');
  const filter: EventFilter = {
    ...(since !== undefined ? { since: parseTime('since', since, now) } : {}),
    ...(until !== undefined ? { until: parseTime('until', until, now) } : {}),
    ...(cls !== undefined ? { keyClass: oneOf('class', cls, KEY_CLASSES) } : {}),
    ...(verdict !== undefined ? { verdictAction: oneOf('verdict', verdict, VERDICTS) } : {}),
    ...(dataset !== undefined ? { dataset: `honeygate.${oneOf('dataset', dataset, DATASETS)}` as const } : {}),
    ...(str('campaign') !== undefined ? { campaign: str('campaign') as string } : {}),
    ...(str('placement') !== undefined ? { placement: str('placement') as string } : {}),
    ...(str('ip') !== undefined ? { sourceIp: str('ip') as string } : {}),
    ...(str('fingerprint') !== undefined ? { fingerprint: str('fingerprint') as string } : {}),
    ...(str('model') !== undefined ? { model: str('model') as string } : {}),
    ...(str('client') !== undefined ? { clientId: clientParam(str('client') as string) } : {}),
  };
  if (filter.since !== undefined && filter.until !== undefined && filter.since >= filter.until) {
    throw new UsageError('--since must be before --until');
  }
  return filter;
}

const OPTIONS = {
  ...SOURCE_OPTIONS,
  ...WINDOW_OPTIONS,
  class: { type: 'string' },
  campaign: { type: 'string' },
  placement: { type: 'string' },
  ip: { type: 'string' },
  fingerprint: { type: 'string' },
  model: { type: 'string' },
  client: { type: 'string' },
  verdict: { type: 'string' },
  dataset: { type: 'string' },
  limit: { type: 'string' },
  order: { type: 'string' },
  bucket: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function runEvents(io: CliIO, options: EventsCliOptions = {}): Promise<number> {
  const now = (options.now ?? Date.now)();
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: io.argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e: unknown) {
    return commandFailed(io, 'events', EVENTS_USAGE, new UsageError(e instanceof Error ? e.message : String(e)));
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    io.stdout.write(EVENTS_USAGE);
    return EXIT_OK;
  }
  let store: EventStore | undefined;
  try {
    const [command = 'list', what, ...extra] = positionals;
    if (extra.length > 0) throw new UsageError(`unexpected ${JSON.stringify(extra[0])}`);
    if (!['list', 'top', 'timeline', 'stats', 'campaign'].includes(command)) throw new UsageError(`unknown subcommand ${JSON.stringify(command)}`);
    if (command === 'top' && what !== 'ips' && what !== 'campaigns') throw new UsageError('top what? ips or campaigns');
    if (command === 'campaign' && (what === undefined || what === '')) throw new UsageError('campaign NAME: which campaign? (`honeygate events top campaigns` lists them)');
    if (command !== 'top' && command !== 'campaign' && what !== undefined) throw new UsageError(`unexpected ${JSON.stringify(what)}`);
    if (values.bucket !== undefined && command !== 'timeline') throw new UsageError('--bucket goes with timeline');
    if (values.order !== undefined && command !== 'list') throw new UsageError('--order goes with the event list');
    const filter = buildFilter(values, now);
    const limit = values.limit !== undefined ? positiveInt('limit', values.limit, MAX_LIMIT) : undefined;
    const order = values.order !== undefined ? oneOf('order', values.order, ['asc', 'desc'] as const) : 'desc';
    let bucket = 3_600_000;
    if (values.bucket !== undefined) {
      const ms = parseDuration(values.bucket);
      if (ms === null || ms < 1000 || ms > 366 * 86_400_000) throw new UsageError('--bucket: a duration from 1s to 366d, e.g. 5m, 1h, 1d');
      bucket = Math.round(ms / 1000) * 1000;
    }
    const source = await resolveSource(values, io);
    store = await openEventStore(source);
    const json = values.json === true;
    const out = (text: string): void => void io.stdout.write(text);
    const jsonLines = (rows: readonly unknown[]): void => out(rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
    switch (command) {
      case 'list': {
        const events = await store.queryEvents(filter, { limit: limit ?? 50, order });
        if (json) jsonLines(events);
        else if (events.length === 0) out('no events\n');
        else out(table(['TIME', 'SOURCE', 'CLASS', 'CAMPAIGN', 'PLACEMENT', 'VERDICT', 'CODE', 'MODEL', 'PATH'], events.map(eventRow)));
        break;
      }
      case 'top': {
        if (what === 'ips') {
          const rows = await store.topIps(filter, limit ?? 20);
          if (json) jsonLines(rows);
          else if (rows.length === 0) out('no events\n');
          else out(table(['SOURCE', 'EVENTS', 'LURE', 'BLOCKED', 'KEYS', 'FIRST', 'LAST'], rows.map((r) => [cell(r.ip, 39), String(r.count), String(r.lure), String(r.blocked), String(r.keys), shortTime(r.first), shortTime(r.last)])));
        } else {
          const rows = await store.topCampaigns(filter, limit ?? 20);
          if (json) jsonLines(rows);
          else if (rows.length === 0) out('no campaigns\n');
          else
            out(
              table(
                ['CAMPAIGN', 'EVENTS', 'SOURCES', 'FIRST', 'LAST', 'PLACEMENTS'],
                rows.map((r) => [
                  cell(r.campaign, 32),
                  String(r.count),
                  String(r.ips),
                  shortTime(r.first),
                  shortTime(r.last),
                  cell(r.placements.map((p) => `${p.placement ?? '-'} (${p.count})`).join(', '), 80),
                ]),
              ),
            );
        }
        break;
      }
      case 'timeline': {
        const rows = await store.timeline(bucket, filter);
        if (json) jsonLines(rows);
        else if (rows.length === 0) out('no events\n');
        else {
          const max = Math.max(...rows.map((r) => r.count), 1);
          out(table(['START', 'EVENTS', 'LURE', 'BLOCKED', ''], rows.map((r) => [shortTime(r.start), String(r.count), String(r.lure), String(r.blocked), '#'.repeat(Math.ceil((r.count / max) * 40))])));
        }
        break;
      }
      case 'campaign': {
        const report = await campaignReport(store, what ?? '', filter);
        if (json) jsonLines([report]);
        else out(renderCampaign(report));
        break;
      }
      case 'stats': {
        const s = await store.stats(filter);
        if (json) jsonLines([s]);
        else {
          const kv = (o: Readonly<Record<string, number>>): string =>
            Object.entries(o)
              .sort((a, b) => b[1] - a[1])
              .map(([k, v]) => `${cell(k, 32)} ${v}`)
              .join(', ') || '-';
          out(
            table(
              ['', ''],
              [
                ['events', String(s.total)],
                ['first', s.first !== null ? shortTime(s.first) : '-'],
                ['last', s.last !== null ? shortTime(s.last) : '-'],
                ['sources', String(s.sourceIps)],
                ['campaigns', String(s.campaigns)],
                ['datasets', kv(s.byDataset)],
                ['key classes', kv(s.byKeyClass)],
                ['verdicts', kv(s.byVerdict)],
              ],
            ).replace(/^\s*\n/, ''),
          );
        }
        break;
      }
    }
    return EXIT_OK;
  } catch (e: unknown) {
    return commandFailed(io, 'events', EVENTS_USAGE, e);
  } finally {
    await store?.close().catch(() => undefined);
  }
}

function renderCampaign(r: CampaignReport): string {
  if (r.placements.length === 0 && r.attackers.length === 0) return `campaign ${cell(r.campaign, 64)}: no lure use recorded\n`;
  let text = `campaign ${cell(r.campaign, 64)}${r.truncated ? ' (scan limit reached: narrow with --since)' : ''}\n\nplacements used\n`;
  text += table(
    ['PLACEMENT', 'REQUESTS', 'ATTACKERS', 'FIRST', 'LAST'],
    r.placements.map((p) => [cell(p.placement, 60), String(p.requests), String(p.attackers), shortTime(p.first), shortTime(p.last)]),
  );
  text += '\nwho used it\n';
  text += table(
    ['SOURCE', 'REQUESTS', 'BLOCKED', 'CLIENTS', 'MODELS', 'FIRST', 'LAST'],
    r.attackers.map((a) => [cell(a.ip, 39), String(a.requests), a.blocked ? 'yes' : 'no', cell(a.clients.join(', '), 40), cell(a.models.join(', '), 40), shortTime(a.first), shortTime(a.last)]),
  );
  for (const a of r.attackers) {
    if (a.prompts.length === 0 && a.canariesUsed.length === 0) continue;
    text += `\n${cell(a.ip, 39)}\n`;
    for (const p of a.prompts) text += `  asked:  ${cell(p.replace(/\s+/g, ' '), 100)}\n`;
    for (const c of a.canariesUsed) text += `  canary: ${cell(c.kind, 16)} ${c.token.slice(0, 12)}… used via ${c.via} from ${cell(c.usedFrom, 39)} at ${shortTime(c.at)}\n`;
  }
  return text;
}
