import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { eventsConfigSchema } from '../../src/events/config.js';

function issues(input: unknown): string[] {
  const r = eventsConfigSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('events config', () => {
  it('defaults every key', () => {
    expect(eventsConfigSchema.parse(undefined)).toEqual({
      dir: './data',
      queue_size: 10_000,
      worker: { enabled: true, queue_size: 65_536 },
      jsonl: { enabled: true, max_bytes: 104_857_600, max_age: 86_400_000, keep: 7, flush_interval: 20 },
      store: { driver: 'sqlite', retention: 2_592_000_000, batch_size: 500, flush_interval: 250 },
      syslog: [],
      webhooks: [],
    });
    expect(configSchema.parse({}).events).toEqual(eventsConfigSchema.parse(undefined));
    const full = eventsConfigSchema.parse({
      syslog: [{ host: 'siem.example' }],
      webhooks: [{ kind: 'slack', url: 'https://hooks.slack.com/services/T/B/X' }],
    });
    expect(full.syslog[0]).toEqual({ host: 'siem.example', port: 514, protocol: 'udp', format: 'rfc5424', facility: 16, app_name: 'honeygate', sd_id: 'honeygate@32473' });
    expect(full.webhooks[0]).toEqual({
      kind: 'slack',
      url: 'https://hooks.slack.com/services/T/B/X',
      throttle: 300_000,
      on: ['lure', 'block', 'canary'],
      timeout: 5000,
      retries: 3,
      backoff: 1000,
      disable_after: 5,
    });
  });

  it('keeps the OpenAIPot shape of jsonl working', () => {
    expect(eventsConfigSchema.parse({ jsonl: { enabled: true, path: '/var/log/pot.jsonl' } }).jsonl).toMatchObject({ path: '/var/log/pot.jsonl', keep: 7 });
  });

  it('parses durations and facility names', () => {
    const c = eventsConfigSchema.parse({
      jsonl: { max_age: '1h30m' },
      store: { retention: '7d', flush_interval: '1s' },
      syslog: [{ host: 'h', facility: 'auth' }, { host: 'h', facility: 23 }],
      webhooks: [{ kind: 'json', url: 'http://127.0.0.1/x', throttle: 60 }],
    });
    expect(c.jsonl.max_age).toBe(5_400_000);
    expect(c.store.retention).toBe(604_800_000);
    expect(c.syslog.map((s) => s.facility)).toEqual([4, 23]);
    expect(c.webhooks[0]?.throttle).toBe(60_000);
  });

  it('rejects bad values with the path and the reason', () => {
    expect(issues({ store: { driver: 'postgres' } })).toEqual(['store.url: driver postgres needs url (e.g. postgres://user@host/db)']);
    expect(issues({ store: { driver: 'postgres', url: 'mysql://x' } })).toEqual(['store.url: a postgres url starts with postgres:// or postgresql://']);
    expect(issues({ store: { driver: 'sqlite', schema: 'x' } })).toEqual(['store.schema: schema applies to driver postgres only']);
    expect(issues({ store: { driver: 'postgres', url: 'postgres://x', schema: 'Robert"); drop' } })).toEqual(['store.schema: a lowercase SQL identifier']);
    expect(issues({ store: { retention: 'forever' } })[0]).toMatch(/^store\.retention: not a duration: "forever"/);
    expect(issues({ store: { batch_size: 0 } })[0]).toMatch(/^store\.batch_size:/);
    expect(issues({ jsonl: { keep: -1 } })[0]).toMatch(/^jsonl\.keep:/);
    expect(issues({ jsonl: { max_bytes: 1.5 } })[0]).toMatch(/^jsonl\.max_bytes:/);
    expect(issues({ queue_size: 0 })[0]).toMatch(/^queue_size:/);
    expect(issues({ queue_size: 10_000_000 })[0]).toMatch(/^queue_size:/);
    expect(issues({ syslog: [{ host: 'h', facility: 'local9' }] })[0]).toMatch(/^syslog\.0\.facility:/);
    expect(issues({ syslog: [{ host: 'h', facility: 24 }] })[0]).toMatch(/^syslog\.0\.facility:/);
    expect(issues({ syslog: [{ host: 'h', app_name: 'honey gate' }] })).toEqual(['syslog.0.app_name: printable ASCII without spaces']);
    expect(issues({ syslog: [{ host: 'h', app_name: 'a'.repeat(49) }] })[0]).toMatch(/^syslog\.0\.app_name:/);
    expect(issues({ syslog: [{ host: 'h', sd_id: 'bad id' }] })[0]).toMatch(/^syslog\.0\.sd_id: an SD-ID/);
    expect(issues({ syslog: [{ host: 'h', protocol: 'tls' }] })[0]).toMatch(/^syslog\.0\.protocol:/);
    expect(issues({ syslog: [{ port: 514 }] })[0]).toMatch(/^syslog\.0\.host:/);
    expect(issues({ webhooks: [{ kind: 'json', url: 'file:///etc/passwd' }] })[0]).toMatch(/^webhooks\.0\.url:/);
    expect(issues({ webhooks: [{ kind: 'json', url: 'javascript:alert(1)' }] })[0]).toMatch(/^webhooks\.0\.url:/);
    expect(issues({ webhooks: [{ kind: 'json', url: 'https://x', secret: 'short' }] })[0]).toMatch(/^webhooks\.0\.secret:/);
    expect(issues({ webhooks: [{ kind: 'pager', url: 'https://x' }] })[0]).toMatch(/^webhooks\.0\.kind:/);
    expect(issues({ webhooks: [{ kind: 'json', url: 'https://x', on: [] }] })[0]).toMatch(/^webhooks\.0\.on:/);
    expect(issues({ webhooks: [{ kind: 'json', url: 'https://x', on: ['valid'] }] })[0]).toMatch(/^webhooks\.0\.on\.0:/);
    expect(issues({ webhooks: [{ kind: 'json', url: 'https://x', retries: 11 }] })[0]).toMatch(/^webhooks\.0\.retries:/);
  });

  it('refuses unknown keys (a typo must not silently disable a sink)', () => {
    expect(issues({ jsonl: { max_byte: 10 } })[0]).toMatch(/^jsonl: Unrecognized key/);
    expect(issues({ webhook: [] })[0]).toMatch(/Unrecognized key/);
    expect(issues({ syslog: [{ host: 'h', proto: 'tcp' }] })[0]).toMatch(/^syslog\.0: Unrecognized key/);
  });
});
