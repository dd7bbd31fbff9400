/**
 * `honeygate secrets new ROUTE` (issue 10, part 3): mint a service secret for a tool route and
 * print it once, with the config entry that holds only its sha256 — the secret itself is never
 * written anywhere by honeygate.
 *
 *   honeygate secrets new ROUTE [--name N] [--not-before T] [--not-after T] [--lure] [--config F] [--json]
 *
 * Rotation: mint a new secret with `--not-before` now (or later), give the old entry a
 * `not_after` after every client has moved; both are accepted in between.
 * Exit codes: 0 ok, 1 config problem (unknown route), 2 usage error.
 */
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { ConfigError, formatIssue } from '../config/issues.js';
import { loadConfigFile } from '../config/load.js';
import { mintSecret, secretDigest } from '../providers/tool/secrets.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type CliIO } from './io.js';

const USAGE = `usage: honeygate secrets new ROUTE [--name N] [--not-before TIME] [--not-after TIME] [--lure] [--config FILE] [--json]

  Mints a service secret for tool route ROUTE and prints it once, with the entry for
  routes[].auth.secrets (only its sha256). TIME is RFC 3339, e.g. 2025-06-01T00:00:00Z.
`;

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

function usage(io: CliIO, message?: string): number {
  if (message !== undefined) io.stderr.write(`honeygate secrets: ${message}\n\n`);
  io.stderr.write(USAGE);
  return EXIT_USAGE;
}

export async function runSecrets(io: CliIO, mint: () => string = mintSecret): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: io.argv,
      allowPositionals: true,
      options: {
        name: { type: 'string' },
        'not-before': { type: 'string' },
        'not-after': { type: 'string' },
        lure: { type: 'boolean', default: false },
        config: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e: unknown) {
    return usage(io, e instanceof Error ? e.message : String(e));
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout.write(USAGE);
    return EXIT_OK;
  }
  const [sub, route, ...extra] = positionals;
  if (sub !== 'new') return usage(io, sub === undefined ? 'missing subcommand' : `unknown subcommand "${sub}"`);
  if (route === undefined || extra.length > 0) return usage(io, 'give exactly one ROUTE');
  if (!/^[a-z0-9][a-z0-9_-]{0,63}$/.test(route)) return usage(io, `"${route}" is not a route name (lowercase [a-z0-9_-])`);
  for (const flag of ['not-before', 'not-after'] as const) {
    const v = values[flag];
    if (v !== undefined && (!RFC3339.test(v) || !Number.isFinite(Date.parse(v)))) return usage(io, `--${flag} is not an RFC 3339 time with a zone: ${v}`);
  }
  const nb = values['not-before'];
  const na = values['not-after'];
  if (nb !== undefined && na !== undefined && Date.parse(na) <= Date.parse(nb)) return usage(io, '--not-after must be later than --not-before');
  if (values.config !== undefined) {
    try {
      const { config } = await loadConfigFile(values.config, io.env);
      if (!config.routes.some((r) => r.name === route)) {
        io.stderr.write(`honeygate secrets: no route named "${route}" in ${values.config} (routes: ${config.routes.map((r) => r.name).join(', ') || 'none'})\n`);
        return EXIT_FAILURE;
      }
    } catch (e: unknown) {
      if (e instanceof ConfigError) {
        io.stderr.write(`honeygate secrets: ${values.config} is not valid:\n${e.issues.map(formatIssue).join('\n')}\n`);
        return EXIT_FAILURE;
      }
      throw e;
    }
  }
  const secret = mint();
  const name = values.name ?? `${route}-${new Date().toISOString().slice(0, 10)}`;
  const entry = {
    name,
    hash: `sha256:${secretDigest(secret).toString('hex')}`,
    ...(nb !== undefined ? { not_before: nb } : {}),
    ...(na !== undefined ? { not_after: na } : {}),
    ...(values.lure ? { lure: true } : {}),
  };
  if (values.json) {
    io.stdout.write(`${JSON.stringify({ route, secret, entry })}\n`);
    return EXIT_OK;
  }
  io.stdout.write(`secret (shown once, store it now): ${secret}\n\n`);
  io.stdout.write(`add to routes[name=${route}].auth.secrets:\n`);
  io.stdout.write(stringify([entry]).replace(/^/gm, '  '));
  return EXIT_OK;
}
