import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEvents } from '../../src/cli/events.js';
import type { GatewayEvent } from '../../src/events/model.js';
import { openEventStore } from '../../src/events/store/index.js';
import { makeEvent } from './fixtures.js';
import { dropSchema, PG_URL, uniqueSchema } from './pg.js';

const T0 = Date.parse('2024-05-01T00:00:00.000Z');
const NOW = T0 + 4 * 3_600_000;
const CLIENT = 'cfp_0123456789abcdef';
const EVIL = 'gpt\u001b]0;pwned\u0007\u001b[2J\u202eevil';

function capture(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

async function run(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  const out = capture();
  const err = capture();
  const code = await runEvents({ argv, env, stdout: out.stream, stderr: err.stream }, { now: () => NOW });
  return { code, out: out.text(), err: err.text() };
}

function data(): GatewayEvent[] {
  const out: GatewayEvent[] = [];
  for (let i = 0; i < 6; i++) out.push(makeEvent({ id: `l-${i}`, time: T0 + i * 60_000, ip: '203.0.113.1', keyClass: 'lure', campaign: 'github-leak', placement: i < 4 ? 'repo/.env' : 'wiki', fingerprint: 'sha256:1111111111111111' }));
  // one client program (CLIENT) behind the blocked requests and the last lure use, from two addresses
  for (let i = 0; i < 3; i++) out.push(makeEvent({ id: `b-${i}`, time: T0 + 2 * 3_600_000 + i, ip: '198.51.100.2', keyClass: 'lure', campaign: 'ci', placement: 'gha', action: 'block', clientId: CLIENT }));
  (out[5] as { honeygate: { client?: object } }).honeygate.client = { name: 'openai-python', version: '1.40.0', id: CLIENT };
  out.push(makeEvent({ id: 'v-0', time: T0 + 3 * 3_600_000, ip: '192.0.2.9', model: EVIL }));
  return out;
}

let dir: string;
let db: string;
const schema = uniqueSchema();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hg-cli-'));
  db = join(dir, 'data', 'events.db');
  const sqlite = await openEventStore({ driver: 'sqlite', path: db });
  await sqlite.insert(data());
  await sqlite.close();
  const pg = await openEventStore({ driver: 'postgres', url: PG_URL, schema });
  await pg.insert(data());
  await pg.close();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await dropSchema(schema);
});

describe('honeygate events', () => {
  it('lists events newest first as a table', async () => {
    const r = await run(['--db', db]);
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^TIME\s+SOURCE\s+CLASS\s+CAMPAIGN\s+PLACEMENT\s+VERDICT\s+CODE\s+MODEL\s+PATH$/);
    expect(lines).toHaveLength(11);
    expect(lines[1]).toContain('2024-05-01T03:00:00Z');
    expect(lines[2]).toMatch(/198\.51\.100\.2\s+lure\s+ci\s+gha\s+block\/lure_key\s+403/);
  });

  it('never lets event text reach the terminal as control sequences', async () => {
    const r = await run(['--db', db, '--ip', '192.0.2.9']);
    expect(r.code).toBe(0);
    expect(r.out).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f\u202e]/);
    expect(r.out).toContain('gpt\uFFFD]0;pwned');
  });

  it('filters and prints JSON Lines', async () => {
    const r = await run(['--db', db, '--class', 'lure', '--campaign', 'github-leak', '--placement', 'wiki', '--json']);
    expect(r.code).toBe(0);
    const rows = r.out.trimEnd().split('\n').map((l) => JSON.parse(l) as GatewayEvent);
    expect(rows.map((e) => e.event.id)).toEqual(['l-5', 'l-4']);
    const fp = await run(['--db', db, '--fingerprint', 'sha256:1111111111111111', '--limit', '2', '--order', 'asc', '--json']);
    expect(fp.out.trimEnd().split('\n').map((l) => (JSON.parse(l) as GatewayEvent).event.id)).toEqual(['l-0', 'l-1']);
    const model = await run(['--db', db, '--model', EVIL, '--json']);
    expect(model.out.trimEnd().split('\n')).toHaveLength(1);
  });

  it('takes --since as a duration ago or an ISO time, --until exclusive', async () => {
    const ago = await run(['--db', db, '--since', '2h', '--json']); // NOW - 2h = T0 + 2h
    expect(ago.out.trimEnd().split('\n')).toHaveLength(4);
    const iso = await run(['--db', db, '--since', '2024-05-01T00:02:00Z', '--until', '2024-05-01T00:04:00Z', '--json']);
    expect(iso.out.trimEnd().split('\n').map((l) => (JSON.parse(l) as GatewayEvent).event.id)).toEqual(['l-3', 'l-2']);
    const none = await run(['--db', db, '--since', '2030-01-01']);
    expect(none).toMatchObject({ code: 0, out: 'no events\n' });
  });

  it('ranks sources and campaigns', async () => {
    const ips = await run(['--db', db, 'top', 'ips']);
    expect(ips.code).toBe(0);
    expect(ips.out.split('\n')[1]).toMatch(/^203\.0\.113\.1\s+6\s+6\s+0\s+1\s/);
    const campaigns = await run(['--db', db, 'top', 'campaigns', '--json']);
    const rows = campaigns.out.trimEnd().split('\n').map((l) => JSON.parse(l) as { campaign: string; placements: unknown });
    expect(rows[0]).toMatchObject({ campaign: 'github-leak', placements: [{ placement: 'repo/.env', count: 4 }, { placement: 'wiki', count: 2 }] });
    const table = await run(['--db', db, 'top', 'campaigns']);
    expect(table.out).toContain('repo/.env (4), wiki (2)');
  });

  it('draws a timeline in buckets', async () => {
    const r = await run(['--db', db, 'timeline', '--bucket', '1h', '--json']);
    expect(r.out.trimEnd().split('\n').map((l) => (JSON.parse(l) as { count: number }).count)).toEqual([6, 0, 3, 1]);
    const t = await run(['--db', db, 'timeline']);
    expect(t.out.split('\n')[1]).toMatch(/^2024-05-01T00:00:00Z\s+6\s+6\s+0\s+#{40}$/);
  });

  it('prints stats', async () => {
    const r = await run(['--db', db, 'stats', '--json']);
    expect(JSON.parse(r.out)).toMatchObject({ total: 10, sourceIps: 3, campaigns: 2 });
    const t = await run(['--db', db, 'stats']);
    expect(t.out).toMatch(/events\s+10/);
  });

  it('reads PostgreSQL with --postgres and --schema', async () => {
    const r = await run(['--postgres', PG_URL, '--schema', schema, '--class', 'lure', '--json']);
    expect(r.code).toBe(0);
    expect(r.out.trimEnd().split('\n')).toHaveLength(9);
    const top = await run(['--postgres', PG_URL, '--schema', schema, 'top', 'ips', '--limit', '1', '--json']);
    expect(JSON.parse(top.out)).toMatchObject({ ip: '203.0.113.1', count: 6 });
  });

  it('finds the store through --config (sqlite under events.dir, postgres from the url)', async () => {
    const file = join(dir, 'honeygate.yaml');
    await writeFile(file, `events:\n  dir: ${join(dir, 'data')}\n`);
    expect((await run(['--config', file, 'stats', '--json'])).out).toContain('"total":10');
    const pgFile = join(dir, 'pg.yaml');
    await writeFile(pgFile, `events:\n  store:\n    driver: postgres\n    url: \${PGURL}\n    schema: ${schema}\n`);
    const r = await run(['--config', pgFile, 'stats', '--json'], { PGURL: PG_URL });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ total: 10 });
  });

  it('--client: one client program across addresses, in SQLite and PostgreSQL', async () => {
    for (const source of [['--db', db], ['--postgres', PG_URL, '--schema', schema]]) {
      const r = await run([...source, '--client', CLIENT, '--json', '--order', 'asc']);
      expect(r.code).toBe(0);
      const rows = r.out.trimEnd().split('\n').map((l) => JSON.parse(l) as GatewayEvent);
      expect(rows.map((e) => e.event.id)).toEqual(['l-5', 'b-0', 'b-1', 'b-2']);
      expect(new Set(rows.map((e) => e.source?.ip))).toEqual(new Set(['203.0.113.1', '198.51.100.2']));
      const top = await run([...source, 'top', 'ips', '--client', CLIENT, '--json']);
      expect(top.out.trimEnd().split('\n').map((l) => (JSON.parse(l) as { ip: string }).ip).sort()).toEqual(['198.51.100.2', '203.0.113.1']);
    }
  });

  it('exits 2 on usage errors, with the reason', async () => {
    const cases: [string[], RegExp][] = [
      [['--db', db, '--nope'], /Unknown option/],
      [['--db', db, '--class', 'golden'], /--class: one of valid, lure/],
      [['--db', db, '--since', 'yesterday'], /--since: not a duration/],
      [['--db', db, '--since', '2h', '--until', '3h'], /--since must be before --until/],
      [['--db', db, '--limit', '0'], /--limit/],
      [['--db', db, '--limit', '99999999999'], /--limit/],
      [['--db', db, '--limit', '-5'], /--limit|argument/],
      [['--db', db, '--db', db, '--postgres', 'postgres://x'], /choose one source/],
      [['--db', db, 'top'], /top what/],
      [['--db', db, 'top', 'models'], /top what/],
      [['--db', db, 'frobnicate'], /unknown subcommand/],
      [['--db', db, 'timeline', '--bucket', '1ms'], /--bucket/],
      [['--db', db, '--bucket', '1h'], /--bucket goes with timeline/],
      [['--postgres', 'mysql://x'], /--postgres/],
      [['--db', db, '--schema', 'x'], /--schema goes with --postgres/],
      [['--db', db, '--dataset', 'x'], /--dataset/],
      [['--db', db, '--client', 'cfp_XYZ'], /--client: a client id is cfp_/],
      [['--config', join(dir, 'missing.yaml')], /cannot read/],
    ];
    for (const [argv, message] of cases) {
      const r = await run(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err, argv.join(' ')).toMatch(message);
      expect(r.out).toBe('');
    }
  });

  it('exits 1 when the store cannot be read, and does not create it', async () => {
    const missing = join(dir, 'nothing', 'events.db');
    const r = await run(['--db', missing]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/cannot open/);
    await expect(stat(join(dir, 'nothing'))).rejects.toThrow(/ENOENT/);
    const notStore = join(dir, 'not-a-store.db');
    await writeFile(notStore, 'garbage'.repeat(1000));
    expect((await run(['--db', notStore])).code).toBe(1);
    const noStore = join(dir, 'no-store.yaml');
    await writeFile(noStore, 'events:\n  store:\n    driver: none\n');
    expect(await run(['--config', noStore])).toMatchObject({ code: 2, err: expect.stringMatching(/driver is none/) as unknown });
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'events:\n  store:\n    driver: postgres\n');
    expect(await run(['--config', bad])).toMatchObject({ code: 2, err: expect.stringMatching(/events\.store\.url/) as unknown });
  });

  it('prints help on --help', async () => {
    const r = await run(['--help']);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toContain('honeygate events top ips|campaigns');
  });
});
