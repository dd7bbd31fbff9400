/**
 * The CLI: a command table that lazy-loads each command (the changesets habit), so `honeygate
 * check-config` never loads the gateway and `honeygate serve` never loads the simulator.
 */
import { EXIT_USAGE, type CliIO } from './io.js';

type Command = (io: CliIO) => Promise<number>;

const COMMANDS: Readonly<Record<string, { readonly summary: string; readonly load: () => Promise<Command> }>> = {
  serve: { summary: 'run the gateway (no --config: the offline demo)', load: async () => (await import('./serve.js')).runServe },
  'check-config': { summary: 'validate a config file; every problem with its path', load: async () => (await import('./check-config.js')).runCheckConfig },
  schema: { summary: 'print the JSON Schema of the config file (for editors)', load: async () => (await import('./schema.js')).runSchema },
  keys: {
    summary: 'mint lure/valid keys, list keys (never shown again)',
    load: async () => {
      const { runKeys } = await import('./keys.js');
      return (io) => runKeys(io, { hits: () => keyHits(io) });
    },
  },
  secrets: { summary: 'mint a service secret for a tool route (shown once)', load: async () => (await import('./secrets.js')).runSecrets },
  events: { summary: 'query recorded events', load: async () => (await import('./events.js')).runEvents },
  export: { summary: 'threat intelligence as STIX 2.1 or MISP (stix|misp)', load: async () => (await import('./export.js')).runExport },
  sim: { summary: 'simulate LLM API client traffic', load: async () => (await import('./sim.js')).runSim },
};

/** Hit counts for `keys list` from the event store of `--config` (or ./data/events.db); none if absent. */
async function keyHits(io: CliIO): Promise<Map<string, number> | undefined> {
  const { existsSync } = await import('node:fs');
  const { resolveSource } = await import('./events.js');
  const { openEventStore } = await import('../events/store/index.js');
  const i = io.argv.indexOf('--config');
  const config = i >= 0 ? io.argv[i + 1] : undefined;
  try {
    const source = await resolveSource(config !== undefined ? { config } : {}, io);
    if (source.driver === 'sqlite' && !existsSync(source.path)) return undefined;
    const store = await openEventStore(source);
    try {
      return await store.hitsByKey();
    } finally {
      await store.close();
    }
  } catch {
    return undefined; // listing keys never fails because the event store cannot be read
  }
}

export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `usage: honeygate <command> [options]\n\ncommands:\n${lines.join('\n')}\n`;
}

export async function main(io: CliIO): Promise<number> {
  const [name, ...rest] = io.argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout).write(usage());
    return name === undefined ? EXIT_USAGE : 0;
  }
  if (name === '--version') {
    const { readFile } = await import('node:fs/promises');
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    io.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr.write(`honeygate: unknown command "${name}"\n\n${usage()}`);
    return EXIT_USAGE;
  }
  const run = await command.load();
  return run({ ...io, argv: rest });
}
