/**
 * Installing and running honeygate like a service:
 * - the systemd unit passes `systemd-analyze verify` (skipped, with the reason in the test name,
 *   where systemd-analyze is missing) and carries the hardening it promises;
 * - the container recipe's steps, without a container engine: pack (what the image copies), unpack
 *   in a clean folder, start the packed bin with a config, answer /healthz (the HEALTHCHECK) and a
 *   request, stop on SIGTERM — with no TypeScript compiler run;
 * - `npm start`'s build step compiles only when sources changed, and says so;
 * - every command answers --help; `keys new` writes nothing into the working directory unasked;
 *   `keys list --config` lists AWS keys; the demo banner says how to lift its own block and gives
 *   the AWS CLI its region.
 */
import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { demoBanner, demoConfig, mintDemoKeys } from '../../src/cli/serve.js';
import { Reloader } from '../../src/admin/reload.js';
import { startAdmin } from '../../src/admin/server.js';
import { EventBus } from '../../src/events/bus.js';
import { createSinks } from '../../src/events/sinks/index.js';
import { startGateway } from '../../src/gateway/gateway.js';
import { captureCli } from '../helpers/cli.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const AWS_CLI = spawnSync('aws', ['--version'], { encoding: 'utf8' }).status === 0 ? 'aws' : undefined;
const SYSTEMD_ANALYZE = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((p) => existsSync(p));
const TOKEN = 'deploy-test-admin-token-0123456789abcdefghijklmnop';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hg-deploy-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('systemd unit', () => {
  const unitText = (): Promise<string> => readFile(join(ROOT, 'deploy/honeygate.service'), 'utf8');

  it('has a dedicated user, a read-only system but its data folder, no new privileges, restart and SIGHUP reload', async () => {
    const unit = await unitText();
    for (const line of ['User=honeygate', 'ProtectSystem=strict', 'ReadWritePaths=/var/lib/honeygate', 'NoNewPrivileges=yes', 'Restart=on-failure', 'ExecReload=/bin/kill -HUP $MAINPID', 'CapabilityBoundingSet=']) {
      expect(unit.split('\n'), line).toContain(line);
    }
    expect(unit).toMatch(/^ExecStart=\/usr\/bin\/node \S+\/bin\/honeygate\.js serve --config \/etc\/honeygate\/honeygate\.yaml$/m);
  });

  it.skipIf(SYSTEMD_ANALYZE === undefined)(
    `passes systemd-analyze verify${SYSTEMD_ANALYZE === undefined ? ' (skipped: systemd-analyze is not installed on this machine)' : ''}`,
    async () => {
      // the unit as written, with node where this machine has it (verify checks the executable exists)
      const unit = (await unitText()).replaceAll('/usr/bin/node', process.execPath);
      const file = join(dir, 'honeygate.service');
      await writeFile(file, unit);
      const r = spawnSync(SYSTEMD_ANALYZE ?? '', ['verify', file], { encoding: 'utf8' });
      expect(`${r.stdout}${r.stderr}`).toBe('');
      expect(r.status).toBe(0);
      // and it would notice a misspelt key
      await writeFile(file, unit.replace('NoNewPrivileges=yes', 'NoNewPrivilege=yes'));
      const bad = spawnSync(SYSTEMD_ANALYZE ?? '', ['verify', file], { encoding: 'utf8' });
      expect(bad.stderr).toContain("Unknown key 'NoNewPrivilege'");
    },
  );
});

describe('container recipe, run without a container engine', () => {
  it('the packed package starts from dist/ in a clean folder, answers /healthz and a request, stops on SIGTERM', async () => {
    // the image's build stage: compile (only if stale) and pack
    execFileSync(process.execPath, [join(ROOT, 'scripts/build-if-stale.mjs')], { cwd: ROOT, stdio: 'pipe' });
    const packed = JSON.parse(execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8' })) as { filename: string; files: { path: string }[] }[];
    const files = packed[0]?.files.map((f) => f.path) ?? [];
    expect(files).toContain('dist/cli/main.js');
    expect(files).toContain('dist/admin/dashboard/assets.js');
    expect(files.some((f) => f.startsWith('src/') || f.startsWith('test/'))).toBe(false);
    const app = join(dir, 'app');
    await mkdir(app);
    execFileSync('tar', ['-xzf', join(dir, packed[0]?.filename ?? ''), '-C', app]);
    const pkg = join(app, 'package');
    // the image's deps stage runs `npm ci --omit=dev`; tests reach no registry: the installed tree stands in
    await symlink(join(ROOT, 'node_modules'), join(pkg, 'node_modules'));
    const data = join(dir, 'data');
    const config = join(dir, 'honeygate.yaml');
    await writeFile(
      config,
      [
        'listen: { host: 127.0.0.1, port: 0 }',
        'upstreams: { decoy: { type: decoy } }',
        'keys:',
        '  - { name: lure, key: sk-proj-DeployTestLure0123456789abcdefghijklmnopqrstuvwxyzT3BlbkFJabcd, class: lure, campaign: deploy, placement: test }',
        `events: { dir: ${JSON.stringify(data)} }`,
        'admin: { token: "${HONEYGATE_ADMIN_TOKEN}", listen: { host: 127.0.0.1, port: 0 } }',
        '',
      ].join('\n'),
    );
    const child = spawn(process.execPath, [join(pkg, 'bin/honeygate.js'), 'serve', '--config', config], {
      cwd: dir,
      env: { PATH: process.env['PATH'] ?? '', HONEYGATE_ADMIN_TOKEN: TOKEN, NODE_ENV: 'production' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline && !(/listening on http:\S+/.test(out) && /dashboard on http:\S+/.test(out))) await new Promise((r) => setTimeout(r, 50));
      const gateway = /listening on (http:\/\/\S+)/.exec(out)?.[1];
      const admin = /dashboard on (http:\/\/[^/\s]+)/.exec(out)?.[1];
      expect(gateway, out).toBeDefined();
      expect(admin, out).toBeDefined();
      const health = await fetch(`${admin}/healthz`);
      expect(health.status).toBe(200);
      const r = await fetch(`${gateway}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer sk-proj-DeployTestLure0123456789abcdefghijklmnopqrstuvwxyzT3BlbkFJabcd', 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(r.status).toBe(200);
      expect(out).not.toMatch(/compiling/i);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(existsSync(join(pkg, 'src'))).toBe(false);
    expect((await readdir(data)).sort()).toEqual(expect.arrayContaining(['events.db', 'events.jsonl']));
  }, 120_000);

  it('the Dockerfile is multi-stage, runs as a non-root user and has a health check', async () => {
    const text = await readFile(join(ROOT, 'deploy/Dockerfile'), 'utf8');
    expect(text.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    expect(text).toMatch(/^USER node$/m);
    expect(text).toMatch(/^HEALTHCHECK .*\n.*healthz/m);
    const compose = await readFile(join(ROOT, 'deploy/compose/compose.yaml'), 'utf8');
    expect(compose).toContain('image: redis:');
    expect(compose).toContain('image: postgres:');
  });
});

describe('npm start builds only when sources changed', () => {
  it('says it compiles on a first start, is silent when current, compiles again after an edit', async () => {
    const root = join(dir, 'proj');
    await mkdir(join(root, 'src'), { recursive: true });
    await mkdir(join(root, 'scripts'));
    await mkdir(join(root, 'node_modules'));
    await cp(join(ROOT, 'scripts/build-if-stale.mjs'), join(root, 'scripts/build-if-stale.mjs'));
    await symlink(join(ROOT, 'node_modules/typescript'), join(root, 'node_modules/typescript'));
    await writeFile(join(root, 'package.json'), '{"type":"module"}\n');
    await writeFile(join(root, 'tsconfig.json'), JSON.stringify({ compilerOptions: { outDir: 'dist', rootDir: 'src', module: 'nodenext', target: 'es2022', skipLibCheck: true, types: [] }, include: ['src'] }));
    await mkdir(join(root, 'src/cli'));
    await writeFile(join(root, 'src/cli/main.ts'), 'export const answer: number = 42;\n');
    const run = () => spawnSync(process.execPath, [join(root, 'scripts/build-if-stale.mjs')], { encoding: 'utf8' });
    const first = run();
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr).toContain('first start: dist/ does not exist yet: compiling TypeScript');
    expect(existsSync(join(root, 'dist/cli/main.js'))).toBe(true);
    const second = run();
    expect(second.stderr).toBe('');
    const later = new Date(Date.now() + 5000);
    await utimes(join(root, 'src/cli/main.ts'), later, later);
    const third = run();
    expect(third.stderr).toContain('sources changed since the last build: compiling');
  }, 120_000);
});

describe('the command line', () => {
  it('every command and subcommand answers --help with its usage on stdout, exit 0', async () => {
    const commands = [['serve'], ['check-config'], ['schema'], ['keys'], ['keys', 'new'], ['keys', 'list'], ['secrets'], ['secrets', 'new'], ['events'], ['export'], ['sim']];
    const subcommands = [['events', 'top'], ['events', 'timeline'], ['events', 'stats'], ['events', 'campaign'], ['export', 'stix'], ['export', 'misp'], ['sim', 'list'], ['sim', 'run'], ['sim', 'two-arm'], ['sim', 'load']];
    for (const argv of [...commands, ...subcommands]) {
      const r = await captureCli(main, [...argv, '--help']);
      expect(r.code, argv.join(' ')).toBe(0);
      expect(r.out, argv.join(' ')).toMatch(/usage/i);
    }
  });

  it('keys new writes the key file to the user config folder, not the working directory', async () => {
    const home = join(dir, 'home');
    const work = join(dir, 'work');
    await mkdir(home);
    await mkdir(work);
    const cwd = process.cwd();
    process.chdir(work);
    try {
      const r = await captureCli(main, ['keys', 'new', '--lure', '--format', 'aws', '--campaign', 'c', '--placement', 'p'], { HOME: home });
      expect(r.code, r.err).toBe(0);
      expect(await readdir(work)).toEqual([]);
      const folder = join(home, '.config/honeygate');
      expect((await readdir(folder)).sort()).toEqual(['keys.aws-secrets.yaml', 'keys.yaml']);
      expect(await readFile(join(folder, 'keys.yaml'), 'utf8')).toMatch(/planted: "?\d{4}-\d{2}-\d{2}T/);
      expect(r.out).toContain(join(folder, 'keys.yaml'));
    } finally {
      process.chdir(cwd);
    }
  });

  it('keys list --config lists AWS keys too', async () => {
    const config = join(dir, 'aws.yaml');
    await writeFile(
      config,
      [
        'upstreams: { decoy: { type: decoy } }',
        'keys: [{ name: openai-lure, key: sk-proj-ListTestLure0123456789abcdefghijklmnopqrstuvwxyzT3BlbkFJabcd, class: lure }]',
        'aws_keys: [{ name: aws-lure, class: lure, access_key_id: AKIAIOSFODNN7EXAMPLE, secret_access_key: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, campaign: s3-dump }]',
        '',
      ].join('\n'),
    );
    const r = await captureCli(main, ['keys', 'list', '--config', config, '--json']);
    expect(r.code, r.err).toBe(0);
    const rows = JSON.parse(r.out) as { name: string; campaign: string; mask: string }[];
    expect(rows.map((x) => x.name)).toEqual(['openai-lure', 'aws-lure']);
    expect(rows[1]?.campaign).toBe('s3-dump');
    expect(r.out).not.toContain('wJalrXUtnFEMI');
    expect(r.out).not.toContain('AKIAIOSFODNN7EXAMPLE');
  });

  it('the demo banner says how to lift the block its lure example triggers; the AWS CLI example has --region', () => {
    const keys = { valid: 'sk-proj-v', lure: 'sk-proj-l', admin: 'tok', aws: { valid: { accessKeyId: 'AKIAVALID', secretAccessKey: 's1', accountId: '1' }, lure: { accessKeyId: 'AKIALURE', secretAccessKey: 's2', accountId: '1' } } };
    const text = demoBanner('http://127.0.0.1:8080', keys as Parameters<typeof demoBanner>[1], 'http://127.0.0.1:8081');
    expect(text).toMatch(/curl -X DELETE http:\/\/127\.0\.0\.1:8081\/api\/v1\/blocks\/lure:sha256:[0-9a-f]{16} -H "Authorization: Bearer tok"/);
    expect(text).toMatch(/aws bedrock-runtime converse --region us-east-1 --endpoint-url http:\/\/127\.0\.0\.1:8080/);
    expect(demoBanner('http://127.0.0.1:8080', keys as Parameters<typeof demoBanner>[1], undefined)).toContain('restart the demo to lift it');
  });

  it("the demo's lure examples end in the blocks its banner names, and the banner's commands lift them; its AWS CLI example runs", { timeout: 90_000 }, async () => {
    const keys = mintDemoKeys(randomBytes(32).toString('base64url'));
    const base = await demoConfig(keys, {}, { realisticTiming: false });
    // the demo as serve runs it, on free ports and a temporary data folder
    const config = { ...base, events: { ...base.events, dir: join(dir, 'demo-data') }, admin: { ...base.admin, listen: { ...base.admin.listen, port: 0 } } } as typeof base;
    const bus = new EventBus();
    const sinks = await createSinks(config.events, bus);
    const gateway = await startGateway(config, { bus, host: '127.0.0.1', port: 0 });
    const reloader = new Reloader({ file: undefined, env: {}, current: () => gateway.state.runtime.config, apply: (c) => gateway.reload(c), bus });
    const admin = await startAdmin({ gateway, sinks, reloader, processMetrics: false });
    try {
      if (admin === null) throw new Error('no admin listener');
      const banner = demoBanner(gateway.url, keys, admin.url);
      const openai = async (): Promise<number> => {
        const r = await fetch(`${gateway.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${keys.lure}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello' }] }) });
        await r.arrayBuffer();
        return r.status;
      };
      const gemini = async (): Promise<number> => {
        const r = await fetch(`${gateway.url}/v1beta/models/gemini-2.5-flash:generateContent`, { method: 'POST', headers: { 'x-goog-api-key': keys.gemini?.lure ?? '', 'content-type': 'application/json' }, body: JSON.stringify({ contents: [{ parts: [{ text: 'Hello' }] }] }) });
        await r.arrayBuffer();
        return r.status;
      };
      const statuses = async (ask: () => Promise<number>, n: number): Promise<number[]> => {
        const out: number[] = [];
        for (let i = 0; i < n; i++) out.push(await ask());
        return out;
      };
      expect(await statuses(openai, 7)).toEqual([200, 200, 200, 200, 200, 429, 429]);
      expect(await statuses(gemini, 7)).toEqual([200, 200, 200, 200, 200, 429, 429]);
      const blocked = (await gateway.state.store.listBlocks()).map((b) => b.subject).sort();
      const commands = [...banner.matchAll(/curl -X DELETE (\S+) -H "Authorization: Bearer (\S+)"/g)];
      const named = commands.map((m) => decodeURIComponent(new URL(m[1] ?? '').pathname.split('/').at(-1) ?? ''));
      // every block the examples caused is named in the banner
      for (const subject of blocked) expect(named).toContain(subject);
      for (const m of commands) {
        const r = await fetch(m[1] ?? '', { method: 'DELETE', headers: { authorization: `Bearer ${m[2] ?? ''}` } });
        await r.arrayBuffer();
        expect([204, 404]).toContain(r.status); // 404: the AWS lure, not run here, has no block to lift
      }
      expect(await gateway.state.store.listBlocks()).toEqual([]);
      expect(await openai()).toBe(200);
      expect(await gemini()).toBe(200);
      if (AWS_CLI !== undefined) {
        // the banner's AWS CLI example, run as printed (its region flag included) with the aws found
        // here (this machine has AWS CLI 1.x; v2 takes the same flags for this command)
        const line = banner.split('\n').findIndex((l) => l.includes('aws bedrock-runtime converse'));
        const printed = banner.split('\n').slice(line, line + 2).join(' ').replace(/\\\s+/g, ' ');
        const args = [...printed.matchAll(/'[^']*'|\S+/g)].map((m) => m[0].replace(/^'|'$/g, '')).slice(1);
        // asynchronously: the gateway answering it runs in this process
        const r = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
          const env = { PATH: process.env['PATH'] ?? '', HOME: dir, AWS_ACCESS_KEY_ID: keys.aws?.lure.accessKeyId ?? '', AWS_SECRET_ACCESS_KEY: keys.aws?.lure.secretAccessKey ?? '', AWS_CONFIG_FILE: join(dir, 'none'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none') };
          execFile(AWS_CLI, args, { encoding: 'utf8', timeout: 60_000, env }, (error, stdout, stderr) =>
            resolve({ status: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr }),
          );
        });
        expect(r.stderr).toBe('');
        expect(r.status).toBe(0);
        expect((JSON.parse(r.stdout) as { output: { message: { content: { text: string }[] } } }).output.message.content[0]?.text).toMatch(/\S/);
      }
    } finally {
      await admin?.close();
      await gateway.close();
      await sinks.close();
    }
  });
});
