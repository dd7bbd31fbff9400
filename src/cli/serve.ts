/**
 * `honeygate serve [--config FILE] [--host H] [--port P]`.
 * With no config it runs the offline demo: one valid and one lure key minted in the real OpenAI
 * format and printed once (never written anywhere), the built-in decoy as everyone's upstream,
 * the memory store, events under ./data/, the admin API and dashboard on loopback (its token printed
 * once too). SIGHUP and POST /api/v1/reload reload the config file (an invalid one keeps the old
 * config and reports every error); SIGTERM/SIGINT drain in-flight requests and flush every sink.
 */
import { randomBytes } from 'node:crypto';
import { formatReport, Reloader, startAdmin, type AdminServer } from '../admin/index.js';
import { formatIssue } from '../config/issues.js';
import { loadConfigFile, loadConfigObject } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { mintAwsKeyPair, mintGeminiKey, mintOpenAIKey, type AwsKeyPair } from '../deception/keygen.js';
import { EventBus } from '../events/bus.js';
import { createSinks } from '../events/sinks/index.js';
import { startEventsWorker } from '../events/worker/client.js';
import { startGateway, type Gateway } from '../gateway/gateway.js';
import { EXIT_FAILURE, EXIT_USAGE, type CliIO } from './io.js';
import { watchLauncher } from './orphan.js';
import { parseArgs } from 'node:util';
import { personaSubject } from '../core/policy.js';
import { fingerprintOfHash, sha256Hex } from '../util/hash.js';

export interface DemoKeys {
  readonly valid: string;
  readonly lure: string;
  /** AWS pairs for the Bedrock surface (valid: answered by the decoy too; lure: deceived) */
  readonly aws?: { readonly valid: AwsKeyPair; readonly lure: AwsKeyPair };
  /** Google API keys for the Gemini provider (valid: answered by the decoy too; lure: deceived) */
  readonly gemini?: { readonly valid: string; readonly lure: string };
  /** the demo's admin token (dashboard sign-in) */
  readonly admin?: string;
}

/** Mint the demo's keys: OpenAI valid + lure, an AWS valid + lure pair, Gemini valid + lure. */
export function mintDemoKeys(admin?: string): DemoKeys {
  return {
    valid: mintOpenAIKey('project'),
    lure: mintOpenAIKey('project'),
    aws: { valid: mintAwsKeyPair(), lure: mintAwsKeyPair() },
    gemini: { valid: mintGeminiKey(), lure: mintGeminiKey() },
    ...(admin !== undefined ? { admin } : {}),
  };
}

/**
 * The embedded default: everything offline, loopback only. `realisticTiming: false` makes the decoy
 * answer at once (the simulator's gateway arm and tests); the demo itself answers at a model's pace.
 */
export async function demoConfig(keys: DemoKeys, env: NodeJS.ProcessEnv, options: { realisticTiming?: boolean } = {}): Promise<Readonly<Config>> {
  const { config, issues } = await loadConfigObject(
    {
      listen: { host: '127.0.0.1', port: 8080 },
      upstreams: { decoy: { type: 'decoy' } },
      keys: [
        { name: 'demo-valid', key: keys.valid, class: 'valid', upstream: 'decoy' },
        {
          name: 'demo-lure',
          key: keys.lure,
          class: 'lure',
          campaign: 'demo',
          placement: 'printed by honeygate serve',
          max_requests: 5,
          block_duration: '10m',
          reply: 'Here is the staging access you asked about: {{canary:url}} (token {{canary:api_key}}).',
        },
      ],
      ...(keys.aws
        ? {
            aws_keys: [
              { name: 'demo-aws-valid', class: 'valid', access_key_id: keys.aws.valid.accessKeyId, secret_access_key: keys.aws.valid.secretAccessKey },
              {
                name: 'demo-aws-lure',
                class: 'lure',
                access_key_id: keys.aws.lure.accessKeyId,
                secret_access_key: keys.aws.lure.secretAccessKey,
                campaign: 'demo',
                placement: 'printed by honeygate serve',
                max_requests: 5,
                block_duration: '10m',
              },
            ],
          }
        : {}),
      ...(keys.gemini
        ? {
            gemini_keys: [
              { name: 'demo-gemini-valid', class: 'valid', key: keys.gemini.valid, upstream: 'decoy' },
              { name: 'demo-gemini-lure', class: 'lure', key: keys.gemini.lure, campaign: 'demo', placement: 'printed by honeygate serve', max_requests: 5, block_duration: '10m' },
            ],
          }
        : {}),
      ...(options.realisticTiming === false ? { lure_defaults: { realistic_timing: false } } : {}),
      events: { dir: './data' },
      ...(keys.admin !== undefined ? { admin: { token: keys.admin } } : {}),
    },
    { env },
  );
  if (!config) throw new Error(`demo config invalid: ${issues.map(formatIssue).join('; ')}`);
  return config;
}

/**
 * The block subjects the demo's lure examples end in: a lure key that crossed `max_requests` blocks
 * its persona (`lure:<fingerprint>`, core/policy.ts), not the client's address.
 */
export function lureSubjects(keys: DemoKeys): string[] {
  const subject = (credential: string): string => personaSubject(fingerprintOfHash(sha256Hex(credential)));
  return [subject(keys.lure), ...(keys.aws ? [subject(keys.aws.lure.accessKeyId)] : []), ...(keys.gemini ? [subject(keys.gemini.lure)] : [])];
}

export function demoBanner(url: string, keys: DemoKeys, adminUrl: string | undefined): string {
  const curl = (key: string): string =>
    `curl ${url}/v1/chat/completions -H "Authorization: Bearer ${key}" -H "Content-Type: application/json" \\\n    -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello"}]}'`;
  return [
    `honeygate demo listening on ${url} (offline: every answer comes from the built-in decoy)`,
    '',
    'These keys are shown once and stored nowhere:',
    `  valid key: ${keys.valid}`,
    `  lure key:  ${keys.lure}`,
    '',
    'Try the valid key:',
    `  ${curl(keys.valid)}`,
    "Try the lure key (5 answers, then its quota runs out: 429 insufficient_quota for everyone, as a real account's would):",
    `  ${curl(keys.lure)}`,
    'Try a wrong key:',
    `  ${curl('sk-wrong-key-1234567890')}`,
    '',
    ...(keys.aws
      ? [
          'Amazon Bedrock on the same port (any AWS SDK or the CLI, SigV4-signed):',
          `  valid pair: ${keys.aws.valid.accessKeyId} / ${keys.aws.valid.secretAccessKey}`,
          `  lure pair:  ${keys.aws.lure.accessKeyId} / ${keys.aws.lure.secretAccessKey}`,
          `  AWS_ACCESS_KEY_ID=${keys.aws.lure.accessKeyId} AWS_SECRET_ACCESS_KEY=${keys.aws.lure.secretAccessKey} \\`,
          `    aws bedrock-runtime converse --region us-east-1 --endpoint-url ${url} \\`,
          `    --model-id anthropic.claude-3-haiku-20240307-v1:0 --messages '[{"role":"user","content":[{"text":"Hello"}]}]'`,
          '',
        ]
      : []),
    ...(keys.gemini
      ? [
          'Google Gemini on the same port (x-goog-api-key, ?key=, or the @google/genai SDK with httpOptions.baseUrl):',
          `  valid key: ${keys.gemini.valid}`,
          `  lure key:  ${keys.gemini.lure}`,
          `  curl ${url}/v1beta/models/gemini-2.5-flash:generateContent -H "x-goog-api-key: ${keys.gemini.lure}" \\`,
          `    -H "Content-Type: application/json" -d '{"contents":[{"parts":[{"text":"Hello"}]}]}'`,
          '',
        ]
      : []),
    ...(adminUrl !== undefined && keys.admin !== undefined
      ? [
          `Dashboard: ${adminUrl}/dashboard/ (sign in with the admin token ${keys.admin})`,
          '',
          'Ran a lure key out of quota? Refill it (Unblock on the dashboard, or):',
          ...lureSubjects(keys).map((subject) => `  curl -X DELETE ${adminUrl}/api/v1/blocks/${subject} -H "Authorization: Bearer ${keys.admin}"`),
          '  (or restart the demo: its blocks live in memory)',
          '',
        ]
      : ['Ran a lure key out of quota? The block lives in memory: restart the demo to lift it.', '']),
    'Events are written to ./data/events.jsonl. Stop with Ctrl-C.',
    '',
  ].join('\n');
}

const SERVE_USAGE = `usage: honeygate serve [--config FILE] [--host H] [--port P]

  Runs the gateway. Without --config: the offline demo (keys minted and printed once, the built-in
  decoy answers everything, events under ./data/, the dashboard on 127.0.0.1:8081).

options:
  -c, --config FILE   the config file (honeygate check-config FILE validates it first)
  --host H            listen address (overrides listen.host)
  --port P            listen port, 0 for any free one (overrides listen.port)
  -h, --help          this text

signals: SIGHUP reloads the config file (an invalid one keeps the running config);
SIGTERM/SIGINT stop accepting, drain in-flight requests and flush every event sink.
`;

export async function runServe(io: CliIO): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: io.argv,
      options: { config: { type: 'string', short: 'c' }, host: { type: 'string' }, port: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    });
  } catch (e: unknown) {
    io.stderr.write(`honeygate serve: ${e instanceof Error ? e.message : String(e)}\n\n${SERVE_USAGE}`);
    return EXIT_USAGE;
  }
  if (args.values.help === true) {
    io.stdout.write(SERVE_USAGE);
    return 0;
  }
  const file = args.values.config;
  const port = args.values.port !== undefined ? Number(args.values.port) : undefined;
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    io.stderr.write(`honeygate serve: --port must be 0–65535\n`);
    return EXIT_USAGE;
  }
  let config: Readonly<Config>;
  let demo: DemoKeys | null = null;
  try {
    if (file !== undefined) {
      const loaded = await loadConfigFile(file, io.env);
      for (const w of loaded.warnings) io.stderr.write(`${file}: ${formatIssue(w)}\n`);
      config = loaded.config;
    } else {
      demo = mintDemoKeys(randomBytes(32).toString('base64url'));
      config = await demoConfig(demo, io.env);
    }
  } catch (e: unknown) {
    io.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    return EXIT_USAGE;
  }

  const bus = new EventBus();
  let sinks;
  let gateway: Gateway | undefined;
  let admin: AdminServer | null;
  let reloader: Reloader;
  try {
    // events are built and written on a worker thread (events.worker.enabled), never on the request thread
    sinks = config.events.worker.enabled ? await startEventsWorker(config.events, bus) : await createSinks(config.events, bus);
    gateway = await startGateway(config, { bus, ...(args.values.host !== undefined ? { host: args.values.host } : {}), ...(port !== undefined ? { port } : {}) });
    const running = gateway;
    reloader = new Reloader({ file, env: io.env, current: () => running.state.runtime.config, apply: (next) => running.reload(next), bus });
    admin = await startAdmin({ gateway, sinks, reloader, log: (line) => io.stderr.write(`${line}\n`) }).catch((e: unknown) => {
      if (demo === null) throw e; // a configured admin listener that cannot bind stops the start; the demo goes on without it
      io.stderr.write(`honeygate: admin listener off: ${e instanceof Error ? e.message : String(e)}\n`);
      return null;
    });
  } catch (e: unknown) {
    io.stderr.write(`honeygate: cannot start: ${e instanceof Error ? e.message : String(e)}\n`);
    await gateway?.close();
    await sinks?.close();
    return EXIT_FAILURE;
  }
  io.stdout.write(demo ? demoBanner(gateway.url, demo, admin?.url) : `honeygate listening on ${gateway.url}\n`);
  const storeHealth = gateway.state.store.health();
  if (!storeHealth.ok) io.stderr.write(`honeygate: state store not reachable yet (${storeHealth.detail ?? 'unavailable'}); it is retried in the background\n`);

  const onHup = (): void => {
    if (file === undefined) return;
    void reloader.reload('sighup').then((report) => io.stderr.write(formatReport(report)));
  };
  process.on('SIGHUP', onHup);
  let unwatch = (): void => undefined;
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    io.signal?.addEventListener('abort', stop, { once: true });
    // under npx / npm start: npm's SIGTERM never reaches us, its exit does (cli/orphan.ts)
    unwatch = watchLauncher(io.env, stop);
  });
  unwatch();
  process.off('SIGHUP', onHup);
  io.stderr.write('honeygate: draining in-flight requests and flushing events…\n');
  await admin?.close();
  await gateway.close();
  await sinks.close();
  return 0;
}
