/**
 * Config reload, one implementation for SIGHUP and `POST /api/v1/reload`: read the config file
 * again, validate it whole, and swap the gateway's runtime only when it is valid — a bad file keeps
 * the running config (the envoy habit) and the report carries every error with its dotted path.
 *
 * Reloads run one at a time (a SIGHUP during an API reload waits for it). Parts the runtime does not
 * own — the listeners, the state store, the event sinks, the canary secret — need a restart; the
 * report names each one that changed. Every reload is published as a `honeygate.system` event
 * (`config:reloaded` or `config:reload_failed`), so it is recorded and counted in metrics.
 */
import { ConfigError, type ConfigIssue } from '../config/issues.js';
import { loadConfigFile } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { EventBus } from '../events/bus.js';
import { buildSystemEvent } from '../events/build.js';

export interface ReloadReport {
  readonly ok: boolean;
  /** the file read (absent in the demo, which has none) */
  readonly file?: string;
  /** why the reload was refused: every error, with its dotted path */
  readonly errors: readonly ConfigIssue[];
  readonly warnings: readonly ConfigIssue[];
  /** changed sections that take effect only after a restart */
  readonly restart_required: readonly string[];
  /** what the reload did beyond the swap (certificates re-read …) */
  readonly notes?: readonly string[];
  /** when this reload finished */
  readonly at: string;
}

export interface ReloaderOptions {
  /** the config file; undefined: nothing to reload (the demo) */
  readonly file: string | undefined;
  readonly env: NodeJS.ProcessEnv;
  /** the running config (read after every successful reload) */
  readonly current: () => Readonly<Config>;
  /** apply a validated config (gateway.reload) */
  readonly apply: (config: Readonly<Config>) => Promise<void | readonly string[]>;
  readonly bus?: EventBus;
}

export type ReloadSource = 'sighup' | 'admin';

/** Sections a runtime swap does not apply (read once at start). */
const RESTART_ONLY = ['listen.host', 'listen.port', 'listen.headers_timeout', 'listen.request_timeout', 'listen.body_idle_timeout', 'listen.keep_alive_timeout', 'listen.max_header_bytes', 'listen.backlog', 'store', 'events', 'canary_secret', 'public_url', 'admin.listen', 'admin.allow_remote'] as const;

function section(config: Readonly<Config>, path: string): unknown {
  let value: unknown = config;
  for (const part of path.split('.')) value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
  return value;
}

/** JSON with sorted keys, so two equal sections compare equal whatever their key order. */
function stable(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  ) ?? 'undefined';
}

function restartRequired(before: Readonly<Config>, after: Readonly<Config>): string[] {
  return RESTART_ONLY.filter((path) => stable(section(before, path)) !== stable(section(after, path)));
}

export class Reloader {
  readonly #options: ReloaderOptions;
  #chain: Promise<unknown> = Promise.resolve();
  #last: ReloadReport | undefined;

  constructor(options: ReloaderOptions) {
    this.#options = options;
  }

  get file(): string | undefined {
    return this.#options.file;
  }

  /** The last reload's report, if any. */
  get last(): ReloadReport | undefined {
    return this.#last;
  }

  /** Reload now (after any reload in progress). Never rejects: failures are in the report. */
  reload(source: ReloadSource): Promise<ReloadReport> {
    const run = this.#chain.then(() => this.#reload(source));
    this.#chain = run.catch(() => undefined);
    return run;
  }

  async #reload(source: ReloadSource): Promise<ReloadReport> {
    const { file, env } = this.#options;
    const at = (): string => new Date().toISOString();
    if (file === undefined) {
      return this.#done(source, {
        ok: false,
        errors: [{ level: 'error', path: '', message: 'no config file to reload: this gateway runs the built-in demo config (start it with --config FILE)' }],
        warnings: [],
        restart_required: [],
        at: at(),
      });
    }
    let loaded;
    try {
      loaded = await loadConfigFile(file, env);
    } catch (e: unknown) {
      const errors: ConfigIssue[] =
        e instanceof ConfigError
          ? e.issues.filter((i) => i.level === 'error')
          : [{ level: 'error', path: '', message: e instanceof Error ? e.message : String(e) }];
      const warnings = e instanceof ConfigError ? e.issues.filter((i) => i.level === 'warning') : [];
      return this.#done(source, { ok: false, file, errors, warnings, restart_required: [], at: at() });
    }
    const before = this.#options.current();
    const restart = restartRequired(before, loaded.config);
    const warnings: ConfigIssue[] = [...loaded.warnings];
    if ((loaded.config.admin.token ?? '') === '' && (before.admin.token ?? '') !== '') {
      warnings.push({ level: 'warning', path: 'admin.token', message: 'removed: the admin listener keeps its current token until restart' });
    }
    // certificates are re-read by apply; turning TLS on or off needs a new listener
    if ((before.listen.tls === undefined) !== (loaded.config.listen.tls === undefined)) restart.push('listen.tls');
    let notes: readonly string[] = [];
    try {
      notes = (await this.#options.apply(loaded.config)) ?? [];
    } catch (e: unknown) {
      return this.#done(source, {
        ok: false,
        file,
        errors: [{ level: 'error', path: '', message: `the new config could not be applied: ${e instanceof Error ? e.message : String(e)}` }],
        warnings,
        restart_required: [],
        at: at(),
      });
    }
    return this.#done(source, { ok: true, file, errors: [], warnings, restart_required: restart, ...(notes.length > 0 ? { notes } : {}), at: at() });
  }

  #done(source: ReloadSource, report: ReloadReport): ReloadReport {
    this.#last = report;
    const bus = this.#options.bus;
    if (bus !== undefined) {
      const detail = report.ok
        ? `${source}: reloaded${report.restart_required.length > 0 ? `; restart needed for ${report.restart_required.join(', ')}` : ''}${(report.notes ?? []).map((n) => `; ${n}`).join('')}`
        : `${source}: refused, running config kept: ${report.errors.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`;
      bus.publish(buildSystemEvent('config', report.ok ? 'config:reloaded' : 'config:reload_failed', detail.slice(0, 2000), report.ok ? 'success' : 'failure'));
    }
    return report;
  }
}

/** The report as lines for a terminal (SIGHUP). */
export function formatReport(report: ReloadReport): string {
  const lines: string[] = [];
  if (report.ok) lines.push(`honeygate: config reloaded from ${report.file ?? '(none)'}`);
  else lines.push('honeygate: reload refused, keeping the running config:');
  for (const i of [...report.errors, ...report.warnings]) lines.push(`  ${i.level}: ${i.path || '(root)'}: ${i.message}`);
  if (report.restart_required.length > 0) lines.push(`  restart needed for: ${report.restart_required.join(', ')}`);
  for (const n of report.notes ?? []) lines.push(`  ${n}`);
  return `${lines.join('\n')}\n`;
}
