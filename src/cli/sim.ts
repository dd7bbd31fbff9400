/**
 * `honeygate sim`: the traffic simulator's command line (honeygate issue 7).
 *   sim list                       profiles and flows
 *   sim run --target URL …         one-arm: allowed / blocked / altered per flow, --expect for policy tests
 *   sim two-arm …                  client flows against the emulated server on this machine
 *   sim load --target URL --flow F bounded rate / concurrency / duration, latency percentiles
 * Exit codes: 0 ok (or every flow matched --expect), 1 expectation not met / two-arm not faithful,
 * 2 usage or data-file error. See docs/sim.md.
 */
import { writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { formatFileIssue, SimDataError, builtinSimDir } from '../sim/files.js';
import { loadCatalog, type Catalog } from '../sim/flows.js';
import { toHar } from '../sim/har.js';
import { LOAD_LIMITS, runLoad, type MixEntry } from '../sim/load.js';
import { isVerdict, loadText, matchesExpectation, runJson, runText, safeUrl, scrub } from '../sim/report.js';
import { buildRequest, encodeRequest } from '../sim/request.js';
import { runOneArm, runTwoArm, type FlowResult, type Selection } from '../sim/runner.js';
import { SignError } from '../sim/sign.js';
import { TemplateError } from '../sim/template.js';
import type { TlsOptions } from '../sim/wire.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError } from './io.js';
import { checkParams, durationMs, expectation, list, loopbackOnly, parseParams, parseUrl, positiveNumber, select, str, tlsOptions, type Values } from './sim-options.js';

export interface SimIO {
  readonly argv: string[];
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly signal?: AbortSignal;
}

const USAGE = `usage: honeygate sim <command> [options]

commands:
  list                          list client/server profiles and flows
  run --target URL              one-arm: run flows against a target, report allowed/blocked/altered
  two-arm                       run flows against the emulated server on this machine
  load --target URL --flow F    bounded load of a weighted mix of flows with latency percentiles

options (run, two-arm, load):
  --profile P        client profile (repeatable, or "all"); default: the surface's default profile
  --flow F           flow name, glob (bedrock-invoke-*) or "all" (repeatable); default: all flows
  --param k=v        set a flow/profile parameter (repeatable); values are literal
  --param-env k=VAR  take a parameter from an environment variable (keeps keys out of argv)
  --proxy URL        HTTP forward proxy (absolute-form for http targets, CONNECT for https)
  --timeout 10s      per-request deadline (default 10s)
  --insecure         do not verify the target's TLS certificate
  --ca FILE          trust this CA bundle (PEM) for the target
  --sim-dir DIR      extra folder with profiles/ and flows/ (its files override built-in ones)
  --tls-version V    offer only this TLS version (1.2 or 1.3); per flow: --param tls_min_version=…
  --json             machine-readable output
run:     --expect allowed|blocked   exit 0 only if every flow had that outcome
         --expect live|revoked|…    key-checker flows: exit 0 only if every probe gave that verdict
         --har FILE                 write a HAR 1.2 file      --dry-run   print the requests, send nothing
two-arm: --har FILE                 HAR with both arms
         --server emulator|gateway  the server arm: the flow emulator (default) or honeygate's gateway
         --server-cert F --server-key F  the server arm serves HTTPS with this certificate (PEM files)
load:    --flow NAME[:WEIGHT] (repeatable: a weighted mix) --rate N (10) --concurrency N (4) --duration 10s
         --requests N --expect allowed|blocked --seed S (reproducible bytes) --seed-time ISO --no-keep-alive
`;

const COMMON: ParseArgsConfig['options'] = {
  profile: { type: 'string', multiple: true },
  flow: { type: 'string', multiple: true },
  param: { type: 'string', multiple: true },
  'param-env': { type: 'string', multiple: true },
  proxy: { type: 'string' },
  timeout: { type: 'string' },
  insecure: { type: 'boolean' },
  ca: { type: 'string' },
  'sim-dir': { type: 'string', multiple: true },
  'tls-version': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

const OPTIONS: Readonly<Record<string, ParseArgsConfig['options']>> = {
  list: { json: { type: 'boolean' }, 'sim-dir': { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' } },
  run: { ...COMMON, target: { type: 'string' }, expect: { type: 'string' }, har: { type: 'string' }, 'dry-run': { type: 'boolean' } },
  'two-arm': { ...COMMON, har: { type: 'string' }, server: { type: 'string' }, 'server-cert': { type: 'string' }, 'server-key': { type: 'string' } },
  load: {
    ...COMMON,
    target: { type: 'string' },
    rate: { type: 'string' },
    concurrency: { type: 'string' },
    duration: { type: 'string' },
    requests: { type: 'string' },
    expect: { type: 'string' },
    seed: { type: 'string' },
    'seed-time': { type: 'string' },
    'no-keep-alive': { type: 'boolean' },
  },
};

/** What every run takes from the command line alike: timeout, TLS, loopback-only mode, abort signal. */
function connectionOptions(v: Values, io: SimIO): { timeoutMs: number; tls: TlsOptions; loopbackOnly: boolean; signal?: AbortSignal } {
  return {
    timeoutMs: durationMs(str(v, 'timeout'), '--timeout', 10_000),
    tls: tlsOptions(v),
    loopbackOnly: loopbackOnly(io.env),
    ...(io.signal ? { signal: io.signal } : {}),
  };
}

async function catalogOf(v: Values): Promise<Catalog> {
  return loadCatalog([builtinSimDir(), ...list(v, 'sim-dir')]);
}

function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

async function writeHar(file: string | undefined, results: readonly FlowResult[], server: Parameters<typeof toHar>[1], serverUrl?: string): Promise<void> {
  if (file === undefined) return;
  const har = toHar(results, server, { version: version(), ...(serverUrl !== undefined ? { serverUrl } : {}) });
  await writeFile(file, `${JSON.stringify(har, null, 2)}\n`, 'utf8');
}

async function cmdList(io: SimIO, v: Values): Promise<number> {
  const c = await catalogOf(v);
  const profiles = [...c.profiles.values()];
  const flows = [...c.flows.values()];
  if (v['json'] === true) {
    io.stdout.write(
      `${JSON.stringify(
        {
          profiles: profiles.map((p) => ({ name: p.name, role: p.role, surface: p.surface, default: p.default, client: p.client, description: p.description })),
          flows: flows.map((f) => ({ name: f.name, surface: f.surface, api: f.api, family: f.family, stream: f.stream, description: f.description, params: Object.keys(f.params) })),
        },
        null,
        2,
      )}\n`,
    );
    return EXIT_OK;
  }
  const w = Math.max(...profiles.map((p) => p.name.length), ...flows.map((f) => f.name.length));
  let out = 'profiles:\n';
  for (const p of profiles) out += `  ${p.name.padEnd(w)}  ${p.role.padEnd(6)}  ${p.surface.padEnd(7)}${p.default ? ' *' : '  '}  ${p.description}\n`;
  out += '\nflows:\n';
  for (const f of flows) out += `  ${f.name.padEnd(w)}  ${f.surface.padEnd(7)}  ${f.api.padEnd(30)}  ${f.description}\n`;
  out += '\n(* = default profile of its surface)\n';
  io.stdout.write(out);
  return EXIT_OK;
}

function dryRunTarget(selection: Selection, params: Record<string, string>): URL {
  if (selection.flow.surface === 'openai') return new URL('https://api.openai.com');
  const region = params['region'] ?? (typeof selection.flow.params['region'] === 'string' ? selection.flow.params['region'] : 'us-east-1');
  return new URL(`https://bedrock-runtime.${region}.amazonaws.com`);
}

async function cmdRun(io: SimIO, v: Values): Promise<number> {
  const catalog = await catalogOf(v);
  const params = parseParams(v, io.env);
  const selection = select(catalog, list(v, 'profile'), list(v, 'flow'));
  checkParams(catalog, selection, params);
  const targetText = str(v, 'target');
  const proxy = str(v, 'proxy') !== undefined ? parseUrl(str(v, 'proxy') ?? '', '--proxy', ['http:']) : undefined;
  const expect = expectation(str(v, 'expect'));
  if (v['dry-run'] === true) {
    for (const s of selection) {
      const target = targetText !== undefined ? parseUrl(targetText, '--target', ['http:', 'https:']) : dryRunTarget(s, params);
      const req = await buildRequest(s.profile, s.flow, { target, viaProxy: proxy !== undefined, params });
      const secrets = [...req.secrets].map((k) => req.vars[k] ?? '').filter((x) => x.length >= 4);
      io.stdout.write(`# ${s.profile.name} / ${s.flow.name} → ${req.url}\n${scrub(encodeRequest(req).toString('utf8'), secrets)}\n\n`);
    }
    return EXIT_OK;
  }
  if (targetText === undefined) throw new UsageError('run: --target URL is required');
  const target = parseUrl(targetText, '--target', ['http:', 'https:']);
  const results = await runOneArm(selection, {
    target,
    ...(proxy ? { proxy } : {}),
    params,
    ...connectionOptions(v, io),
  });
  const meta = { mode: 'one-arm' as const, target: target.toString(), ...(proxy ? { proxy: proxy.toString() } : {}), ...(expect ? { expect } : {}) };
  io.stdout.write(v['json'] === true ? `${JSON.stringify(runJson(meta, results), null, 2)}\n` : runText(meta, results));
  await writeHar(str(v, 'har'), results, []);
  if (expect === undefined) return EXIT_OK;
  return matchesExpectation(results, expect) ? EXIT_OK : EXIT_FAILURE;
}

async function cmdTwoArm(io: SimIO, v: Values): Promise<number> {
  const catalog = await catalogOf(v);
  const params = parseParams(v, io.env);
  const selection = select(catalog, list(v, 'profile'), list(v, 'flow'));
  checkParams(catalog, selection, params);
  const proxy = str(v, 'proxy') !== undefined ? parseUrl(str(v, 'proxy') ?? '', '--proxy', ['http:']) : undefined;
  const certFile = str(v, 'server-cert');
  const keyFile = str(v, 'server-key');
  if ((certFile === undefined) !== (keyFile === undefined)) throw new UsageError('--server-cert and --server-key go together');
  let serverTls: { cert: string; key: string } | undefined;
  if (certFile !== undefined && keyFile !== undefined) {
    try {
      serverTls = { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
    } catch {
      throw new UsageError('--server-cert / --server-key: cannot read the files');
    }
  }
  const serverKind = str(v, 'server') ?? 'emulator';
  if (serverKind !== 'emulator' && serverKind !== 'gateway') throw new UsageError('--server: emulator or gateway');
  let startServer: Parameters<typeof runTwoArm>[2]['startServer'];
  if (serverKind === 'gateway') {
    // honeygate's own gateway (offline demo config, the decoy answers a freshly minted valid key)
    const arm = await (await import('../sim/gateway-arm.js')).gatewayArm(io.env, certFile !== undefined && keyFile !== undefined ? { tls: { cert: certFile, key: keyFile } } : {});
    params['api_key'] ??= arm.apiKey;
    params['access_key_id'] ??= arm.aws.accessKeyId;
    params['secret_access_key'] ??= arm.aws.secretAccessKey;
    params['security_token'] ??= ''; // long-term AKIA pair: no session token
    startServer = () => arm.start();
  }
  const r = await runTwoArm(catalog, selection, {
    ...(proxy ? { proxy } : {}),
    ...(startServer ? { startServer } : {}),
    ...(serverTls && !startServer ? { serverTls } : {}),
    params,
    ...connectionOptions(v, io),
  });
  const meta = { mode: 'two-arm' as const, target: r.serverUrl, ...(proxy ? { proxy: proxy.toString() } : {}) };
  io.stdout.write(v['json'] === true ? `${JSON.stringify(runJson(meta, r.results), null, 2)}\n` : runText(meta, r.results));
  await writeHar(str(v, 'har'), r.results, r.serverExchanges, r.serverUrl);
  return r.passed ? EXIT_OK : EXIT_FAILURE;
}

async function cmdLoad(io: SimIO, v: Values): Promise<number> {
  const catalog = await catalogOf(v);
  const params = parseParams(v, io.env);
  const targetText = str(v, 'target');
  if (targetText === undefined) throw new UsageError('load: --target URL is required');
  const target = parseUrl(targetText, '--target', ['http:', 'https:']);
  const flowArgs = list(v, 'flow');
  if (flowArgs.length === 0) throw new UsageError('load: at least one --flow NAME[:WEIGHT]');
  const profileNames = list(v, 'profile');
  if (profileNames.includes('all')) throw new UsageError('load: --profile all is not a load profile; name one per surface');
  const mix: MixEntry[] = [];
  for (const arg of flowArgs) {
    const m = /^([^:]+?)(?::(\d{1,6}))?$/.exec(arg);
    if (!m) throw new UsageError(`--flow ${JSON.stringify(arg.slice(0, 60))}: NAME or NAME:WEIGHT`);
    const name = m[1] ?? '';
    const weight = m[2] !== undefined ? Number(m[2]) : 1;
    if (weight < 1) throw new UsageError(`--flow ${name}: the weight is a positive integer`);
    const selection = select(catalog, profileNames, [name]);
    if (selection.length > 1) throw new UsageError(`load: more than one --profile speaks ${selection[0]?.flow.surface ?? ''}; name one per surface`);
    for (const s of selection) mix.push({ profile: s.profile, flow: s.flow, weight });
  }
  checkParams(catalog, mix, params);
  const proxy = str(v, 'proxy') !== undefined ? parseUrl(str(v, 'proxy') ?? '', '--proxy', ['http:']) : undefined;
  const expect = expectation(str(v, 'expect'));
  if (expect !== undefined && isVerdict(expect)) throw new UsageError('load: --expect allowed or blocked');
  const rate = positiveNumber(str(v, 'rate'), '--rate', 10, false);
  const concurrency = positiveNumber(str(v, 'concurrency'), '--concurrency', 4, true);
  const duration = durationMs(str(v, 'duration'), '--duration', LOAD_LIMITS.defaultDurationMs);
  const requests = str(v, 'requests') !== undefined ? positiveNumber(str(v, 'requests'), '--requests', 1, true) : undefined;
  if (rate > LOAD_LIMITS.maxRate) throw new UsageError(`--rate: at most ${LOAD_LIMITS.maxRate}`);
  if (concurrency > LOAD_LIMITS.maxConcurrency) throw new UsageError(`--concurrency: at most ${LOAD_LIMITS.maxConcurrency}`);
  if (duration > LOAD_LIMITS.maxDurationMs) throw new UsageError(`--duration: at most ${LOAD_LIMITS.maxDurationMs / 60_000} minutes`);
  const seed = str(v, 'seed');
  if (seed !== undefined && !/^[!-~]{1,128}$/.test(seed)) throw new UsageError('--seed: 1 to 128 printable characters');
  const seedTimeText = str(v, 'seed-time');
  const seedTime = seedTimeText !== undefined ? Date.parse(seedTimeText) : undefined;
  if (seedTimeText !== undefined && (seed === undefined || seedTime === undefined || !Number.isFinite(seedTime))) {
    throw new UsageError('--seed-time: an ISO date, with --seed');
  }
  const report = await runLoad({
    mix,
    ...(seed !== undefined ? { seed } : {}),
    ...(seedTime !== undefined ? { seedTime } : {}),
    keepAlive: v['no-keep-alive'] !== true,
    target,
    ...(proxy ? { proxy } : {}),
    params,
    ...connectionOptions(v, io),
    rate,
    concurrency,
    durationMs: duration,
    ...(requests !== undefined ? { requests } : {}),
  });
  const out = { ...report, target: safeUrl(report.target) };
  io.stdout.write(v['json'] === true ? `${JSON.stringify(out, null, 2)}\n` : loadText(report));
  if (expect === undefined) return EXIT_OK;
  return report.completed > 0 && report.outcomes[expect] === report.completed ? EXIT_OK : EXIT_FAILURE;
}

const COMMANDS: Readonly<Record<string, (io: SimIO, v: Values) => Promise<number>>> = {
  list: cmdList,
  run: cmdRun,
  'two-arm': cmdTwoArm,
  load: cmdLoad,
};

/** `honeygate sim …`: returns the exit code; never throws. */
export async function runSim(io: SimIO): Promise<number> {
  const [name, ...rest] = io.argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    (name === undefined ? io.stderr : io.stdout).write(USAGE);
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  const command = COMMANDS[name];
  const options = OPTIONS[name];
  if (!command || !options) {
    io.stderr.write(`honeygate sim: unknown command ${JSON.stringify(name.slice(0, 40))}\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  try {
    let values: Values;
    try {
      values = parseArgs({ args: rest, options, strict: true, allowPositionals: false }).values as Values;
    } catch (e: unknown) {
      throw new UsageError(e instanceof Error ? e.message : 'bad arguments');
    }
    if (values['help'] === true) {
      io.stdout.write(USAGE);
      return EXIT_OK;
    }
    return await command(io, values);
  } catch (e: unknown) {
    if (e instanceof UsageError || e instanceof TemplateError || e instanceof SignError) {
      io.stderr.write(`honeygate sim ${name}: ${e.message}\n`);
      return EXIT_USAGE;
    }
    if (e instanceof SimDataError) {
      io.stderr.write(`honeygate sim: invalid profile/flow files:\n${e.issues.map((i) => `  ${formatFileIssue(i)}`).join('\n')}\n`);
      return EXIT_USAGE;
    }
    io.stderr.write(`honeygate sim ${name}: ${e instanceof Error ? e.message : String(e)}\n`);
    return EXIT_FAILURE;
  }
}
