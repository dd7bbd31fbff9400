/**
 * `honeygate export stix|misp`: threat intelligence from the event store (and the live blocks of a
 * Redis state store, with --config) as a STIX 2.1 bundle or a MISP event JSON, to stdout or --out.
 *
 * The memory state store lives inside the running gateway: its blocks reach an export through the
 * admin API (`GET /api/v1/export/stix`), not through this command.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parseDuration } from '../config/duration.js';
import { collectIntel } from '../events/export/collect.js';
import { mispEvent } from '../events/export/misp.js';
import { stixBundle, type Tlp } from '../events/export/stix.js';
import { openEventStore, type EventFilter, type EventStore } from '../events/store/index.js';
import type { BlockRecord } from '../store/types.js';
import { resolveSource, SOURCE_OPTIONS, WINDOW_OPTIONS } from './events.js';
import { commandFailed, EXIT_OK, UsageError, type CliIO } from './io.js';

const EXPORT_USAGE = `usage:
  honeygate export stix [SOURCE] [--since 7d] [--until ISO] [--campaign X] [--identity NAME] [--tlp amber] [--out FILE]
  honeygate export misp [SOURCE] [--since 7d] [--until ISO] [--campaign X] [--identity NAME] [--tlp amber] [--out FILE]

  stix   a STIX 2.1 bundle: identity, indicators (attacker addresses with valid_from/valid_until
         from their blocks, canaries that came back), observed-data and sightings of lure use,
         ATT&CK attack-patterns, notes with the prompts
  misp   a MISP event (ip-src, user-agent, text, pattern-in-traffic attributes), importable as a file

source (one; default ./data/events.db):
  --db PATH            SQLite event store written by the gateway
  --postgres URL       PostgreSQL event store (--schema NAME if not in the search_path)
  --config FILE        the gateway's config file: its events.store, and the blocks of its Redis store

options:
  --since 7d|ISO       events at or after (a duration means "ago"; default: everything stored)
  --until 1h|ISO       events before
  --campaign NAME      one campaign's lure use only
  --identity NAME      the operator's name in the export (default "honeygate operator")
  --tlp clear|green|amber|red   TLP marking (default amber)
  --out FILE           write to FILE (mode 0600) instead of stdout
`;

const OPTIONS = {
  ...SOURCE_OPTIONS,
  ...WINDOW_OPTIONS,
  campaign: { type: 'string' },
  identity: { type: 'string' },
  tlp: { type: 'string' },
  out: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function time(flag: string, value: string, now: number): number {
  if (/^\d{4}-\d{2}-\d{2}/.test(value)) {
    const ms = Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value);
    if (Number.isFinite(ms)) return ms;
  } else {
    const ago = parseDuration(value);
    if (ago !== null) return now - ago;
  }
  throw new UsageError(`--${flag}: a duration ago (7d, 24h) or an ISO time (2025-05-01T10:00:00Z), not ${JSON.stringify(value)}`);
}

/** Blocks of the Redis state store named by --config; none for the memory store. */
async function configBlocks(file: string, io: CliIO): Promise<BlockRecord[]> {
  const { loadConfigFile } = await import('../config/load.js');
  const config = (await loadConfigFile(file, io.env)).config;
  if (config.store.backend !== 'redis') return [];
  const { createStore } = await import('../store/index.js');
  const store = createStore(config.store);
  try {
    await store.ready?.(3000);
    return await store.listBlocks();
  } finally {
    await store.close().catch(() => undefined);
  }
}

export async function runExport(io: CliIO, options: { now?: () => number } = {}): Promise<number> {
  const now = (options.now ?? Date.now)();
  let values: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>['values'];
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: io.argv, options: OPTIONS, allowPositionals: true, strict: true }));
  } catch (e: unknown) {
    return commandFailed(io, 'export', EXPORT_USAGE, new UsageError(e instanceof Error ? e.message : String(e)));
  }
  if (values.help === true) {
    io.stdout.write(EXPORT_USAGE);
    return EXIT_OK;
  }
  let store: EventStore | undefined;
  try {
    const [format, ...extra] = positionals;
    if (format !== 'stix' && format !== 'misp') throw new UsageError(format === undefined ? 'export what? stix or misp' : `unknown format ${JSON.stringify(format)}: stix or misp`);
    if (extra.length > 0) throw new UsageError(`unexpected ${JSON.stringify(extra[0])}`);
    const tlp = values.tlp ?? 'amber';
    if (!['clear', 'green', 'amber', 'red'].includes(tlp)) throw new UsageError('--tlp: clear, green, amber or red');
    const identity = values.identity ?? 'honeygate operator';
    if (identity === '' || identity.length > 128 || /[\u0000-\u001f\u007f]/.test(identity)) throw new UsageError('--identity: 1–128 printable characters');
    const filter: EventFilter = {
      ...(values.since !== undefined ? { since: time('since', values.since, now) } : {}),
      ...(values.until !== undefined ? { until: time('until', values.until, now) } : {}),
      ...(values.campaign !== undefined ? { campaign: values.campaign } : {}),
    };
    if (filter.since !== undefined && filter.until !== undefined && filter.since >= filter.until) throw new UsageError('--since must be before --until');
    const source = await resolveSource(values, io);
    const blocks = values.config !== undefined ? await configBlocks(values.config, io) : [];
    store = await openEventStore(source);
    const intel = await collectIntel({ store, blocks, filter, now });
    let body: unknown;
    let what: string;
    if (format === 'stix') {
      const bundle = stixBundle(intel, { identity, tlp: tlp as Tlp });
      body = bundle;
      what = `${bundle.objects.length} STIX objects`;
    } else {
      const event = mispEvent(intel, { identity, tlp: tlp as Tlp });
      body = event;
      what = `${event.Event.Attribute.length} MISP attributes`;
    }
    const text = `${JSON.stringify(body, null, 2)}\n`;
    if (values.out !== undefined) {
      await writeFile(values.out, text, { mode: 0o600 });
      io.stderr.write(`honeygate export: ${what} from ${intel.attackers.length} address(es) written to ${values.out}\n`);
    } else io.stdout.write(text);
    if (intel.truncated) io.stderr.write('honeygate export: the scan limit was reached: narrow the range with --since/--until\n');
    return EXIT_OK;
  } catch (e: unknown) {
    return commandFailed(io, 'export', EXPORT_USAGE, e);
  } finally {
    await store?.close().catch(() => undefined);
  }
}
