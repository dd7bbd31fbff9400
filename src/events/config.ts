/**
 * Config of event sinks (issue 6): JSONL file, event store (SQLite/PostgreSQL), syslog (RFC 5424
 * over UDP/TCP, RFC 6587 octet counting, optional ArcSight CEF payload) and webhooks (Slack, Teams,
 * Discord, signed JSON) and NATS JetStream (one stream shared by a cluster). Every key is
 * described and defaulted; docs/events.md explains each one.
 */
import { z } from 'zod';
import { duration } from '../config/primitives.js';

const queueSize = z
  .number()
  .int()
  .min(1)
  .max(1_000_000)
  .optional()
  .describe('events this sink may hold while it writes; when full the newest event is dropped and counted (default: events.queue_size)');

/** RFC 5424 §6.2.1 facility names (numeric codes 0–23 also accepted). */
const SYSLOG_FACILITIES = {
  kern: 0, user: 1, mail: 2, daemon: 3, auth: 4, syslog: 5, lpr: 6, news: 7, uucp: 8, cron: 9, authpriv: 10,
  ftp: 11, ntp: 12, security: 13, console: 14, clock: 15,
  local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23,
} as const;
export type SyslogFacilityName = keyof typeof SYSLOG_FACILITIES;

const facility = z
  .union([
    z.enum(Object.keys(SYSLOG_FACILITIES) as [SyslogFacilityName, ...SyslogFacilityName[]]),
    z.number().int().min(0).max(23),
  ])
  .transform((value) => (typeof value === 'number' ? value : SYSLOG_FACILITIES[value]));

/** RFC 5424 §6: APP-NAME is 1*48 PRINTUSASCII; SD-ID is 1*32 printable ASCII without = SP ] ". */
const PRINTUSASCII = /^[!-~]+$/;
const SD_NAME = /^[!#-<>-\\^-~]{1,32}$/;

export const jsonlConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    path: z.string().optional().describe('JSONL file; default <dir>/events.jsonl'),
    max_bytes: z
      .number()
      .int()
      .min(0)
      .default(100 * 1024 * 1024)
      .describe('rotate before a write would make the file larger than this (bytes); 0: never by size'),
    max_age: duration.default(86_400_000).describe('rotate at the first write after the file is this old; 0: never by age'),
    keep: z.number().int().min(0).max(1000).default(7).describe('rotated files kept (<path>.1 is the newest); 0: delete on rotation'),
    flush_interval: duration
      .default(20)
      .describe('events are written together at most this long after the first of them (at once when 256 wait); 0: every turn of the event loop'),
    queue_size: queueSize,
  })
  .strict();

export const storeSinkConfigSchema = z
  .object({
    driver: z
      .enum(['sqlite', 'postgres', 'none'])
      .default('sqlite')
      .describe('sqlite: embedded file <dir>/events.db; postgres: shared database at `url`; none: no event store'),
    url: z
      .string()
      .optional()
      .describe('postgres: connection URL (write it as ${ENV_VAR}); sqlite: database file (default <dir>/events.db)'),
    schema: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a lowercase SQL identifier')
      .optional()
      .describe('postgres only: schema holding the tables (created if missing); default: the search_path'),
    retention: duration.default(30 * 86_400_000).describe('events older than this are deleted (checked hourly); 0: keep forever'),
    batch_size: z.number().int().min(1).max(1000).default(500).describe('events per INSERT; a full batch is written at once'),
    flush_interval: duration.default(250).describe('a partial batch is written after this long'),
    queue_size: queueSize,
  })
  .strict()
  .superRefine((value, ctx) => {
    if (value.driver === 'postgres' && (value.url === undefined || value.url === '')) {
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'driver postgres needs url (e.g. postgres://user@host/db)' });
    }
    if (value.driver === 'postgres' && value.url !== undefined && !/^postgres(ql)?:\/\//.test(value.url)) {
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'a postgres url starts with postgres:// or postgresql://' });
    }
    if (value.driver !== 'postgres' && value.schema !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['schema'], message: 'schema applies to driver postgres only' });
    }
  });

export const syslogConfigSchema = z
  .object({
    host: z.string().min(1).describe('syslog receiver host name or IP'),
    port: z.number().int().min(1).max(65535).default(514).describe('receiver port (514 is the UDP and the common TCP port)'),
    protocol: z.enum(['udp', 'tcp']).default('udp').describe('udp: RFC 5426, one message per datagram; tcp: RFC 6587 octet counting'),
    format: z
      .enum(['rfc5424', 'cef'])
      .default('rfc5424')
      .describe('rfc5424: structured data + a key=value summary; cef: ArcSight CEF:0 as the message'),
    facility: facility.default(SYSLOG_FACILITIES.local0).describe('facility name (local0 … local7, auth, user …) or code 0–23'),
    app_name: z
      .string()
      .max(48)
      .regex(PRINTUSASCII, 'printable ASCII without spaces')
      .default('honeygate')
      .describe('RFC 5424 APP-NAME'),
    sd_id: z
      .string()
      .regex(SD_NAME, 'an SD-ID: 1–32 printable ASCII characters without = space ] "')
      .default('honeygate@32473')
      .describe('RFC 5424 SD-ID of the structured data element (32473 is the documentation enterprise number; use your own)'),
    queue_size: queueSize,
  })
  .strict();

const ALERT_TRIGGERS = ['lure', 'block', 'canary'] as const;
export type AlertTrigger = (typeof ALERT_TRIGGERS)[number];

export const webhookConfigSchema = z
  .object({
    kind: z
      .enum(['slack', 'teams', 'discord', 'json'])
      .describe('payload shape: Slack incoming webhook, Teams Adaptive Card, Discord webhook, or generic signed JSON'),
    url: z.url({ protocol: /^https?$/ }).describe('webhook URL (it is a secret for Slack/Discord/Teams: write it as ${ENV_VAR})'),
    secret: z
      .string()
      .min(16)
      .optional()
      .describe('HMAC-SHA256 key: adds X-Honeygate-Signature (json kind; at least 16 characters)'),
    throttle: duration.default(300_000).describe('at most one alert per source IP per this window; 0: no throttling'),
    on: z
      .array(z.enum(ALERT_TRIGGERS))
      .min(1)
      .default([...ALERT_TRIGGERS])
      .describe('what raises an alert: lure (a lure key was used), block (verdict block), canary (a canary was used)'),
    timeout: duration.default(5000).describe('time allowed for one delivery attempt'),
    retries: z.number().int().min(0).max(10).default(3).describe('extra attempts after a 5xx, 429, timeout or connection error'),
    backoff: duration.default(1000).describe('wait before the first retry; doubled for each further retry (with jitter)'),
    disable_after: z
      .number()
      .int()
      .min(1)
      .default(5)
      .describe('consecutive undelivered alerts that disable this webhook (recorded as a honeygate.system event)'),
    queue_size: queueSize,
  })
  .strict();

const workerConfigSchema = z
  .object({
    enabled: z
      .boolean()
      .default(true)
      .describe('build and write events on a worker thread (false: on the request thread, as a library embedding may want)'),
    queue_size: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .default(65_536)
      .describe('events in flight to the worker; beyond this new events are dropped and counted (sink "events-worker")'),
  })
  .strict();

const WORKER_DEFAULT = { enabled: true, queue_size: 65_536 };

/** A NATS subject token sequence: dot-separated, no spaces, no wildcards. */
const NATS_SUBJECT = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

const natsStreamConfigSchema = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'a stream name: letters, digits, _ and -')
      .default('HONEYGATE')
      .describe('JetStream stream that captures <subject>.>'),
    create: z.boolean().default(true).describe('create the stream when it does not exist (an existing stream is never changed)'),
    max_age: duration.default(30 * 86_400_000).describe('created stream: messages older than this are removed; 0: kept until max_bytes'),
    max_bytes: z.number().int().min(-1).default(-1).describe('created stream: size limit in bytes, oldest removed first; -1: unlimited'),
    replicas: z.number().int().min(1).max(5).default(1).describe('created stream: copies in a JetStream cluster'),
    duplicate_window: duration
      .default(120_000)
      .describe('created stream: a retried publish with the same event id inside this window is stored once'),
  })
  .strict();

export const natsConfigSchema = z
  .object({
    servers: z
      .array(z.string().min(1))
      .min(1)
      .default(['nats://127.0.0.1:4222'])
      .describe('NATS server URLs (nats:// or tls://); the client fails over between them'),
    subject: z
      .string()
      .regex(NATS_SUBJECT, 'dot-separated tokens without spaces or wildcards')
      .default('honeygate.events')
      .describe('subject prefix: events go to <subject>.request, <subject>.canary and <subject>.system'),
    stream: natsStreamConfigSchema.default({
      name: 'HONEYGATE',
      create: true,
      max_age: 30 * 86_400_000,
      max_bytes: -1,
      replicas: 1,
      duplicate_window: 120_000,
    }),
    token: z.string().min(1).optional().describe('token authentication (write it as ${ENV_VAR})'),
    user: z.string().min(1).optional().describe('user for user/password authentication'),
    password: z.string().min(1).optional().describe('password for user/password authentication (write it as ${ENV_VAR})'),
    creds: z.string().min(1).optional().describe('path of a .creds file (JWT + NKey seed; NATS decentralized auth)'),
    tls: z
      .object({
        ca_file: z.string().min(1).optional().describe('CA certificate(s) to verify the server'),
        cert_file: z.string().min(1).optional().describe('client certificate (mutual TLS)'),
        key_file: z.string().min(1).optional().describe('client private key (mutual TLS)'),
      })
      .strict()
      .optional()
      .describe('require TLS; present (even empty) means the connection must be TLS'),
    max_in_flight: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(256)
      .describe('publishes awaiting their JetStream acknowledgement at once'),
    ack_timeout: duration.default(5000).describe('time allowed for one publish acknowledgement before it is retried'),
    backoff: duration.default(250).describe('wait before the first retry; doubled per further retry up to backoff_max (with jitter)'),
    backoff_max: duration.default(10_000).describe('longest wait between retries'),
    queue_size: queueSize,
  })
  .strict()
  .superRefine((value, ctx) => {
    if ((value.user === undefined) !== (value.password === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['password'], message: 'user and password go together' });
    }
    const auths = [value.token !== undefined, value.user !== undefined, value.creds !== undefined].filter(Boolean).length;
    if (auths > 1) ctx.addIssue({ code: 'custom', path: ['token'], message: 'choose one of token, user/password or creds' });
    for (const [i, server] of value.servers.entries()) {
      if (!/^(nats|tls|[a-z0-9.-]+)(:\/\/|:|$)/i.test(server) || /\s/.test(server)) {
        ctx.addIssue({ code: 'custom', path: ['servers', i], message: 'a server URL, e.g. nats://nats.internal:4222' });
      }
    }
    if (value.backoff_max < value.backoff) ctx.addIssue({ code: 'custom', path: ['backoff_max'], message: 'must be at least backoff' });
  });

const JSONL_DEFAULT = { enabled: true, max_bytes: 100 * 1024 * 1024, max_age: 86_400_000, keep: 7, flush_interval: 20 };
const STORE_DEFAULT = { driver: 'sqlite' as const, retention: 30 * 86_400_000, batch_size: 500, flush_interval: 250 };

export const eventsConfigSchema = z
  .object({
    dir: z.string().default('./data').describe('folder for the embedded event files (JSONL, SQLite)'),
    queue_size: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .default(10_000)
      .describe('default queue size of every sink (events held while a sink writes; overflow drops the newest)'),
    worker: workerConfigSchema.default(WORKER_DEFAULT).describe('the events worker thread'),
    jsonl: jsonlConfigSchema.default(JSONL_DEFAULT),
    store: storeSinkConfigSchema.default(STORE_DEFAULT).describe('the queryable event store'),
    syslog: z.array(syslogConfigSchema).default([]).describe('syslog receivers (SIEM)'),
    webhooks: z.array(webhookConfigSchema).default([]).describe('real-time alerts'),
    nats: natsConfigSchema.optional().describe('NATS JetStream: every event to one stream shared by several instances (absent: off)'),
  })
  .strict()
  .default({ dir: './data', queue_size: 10_000, worker: WORKER_DEFAULT, jsonl: JSONL_DEFAULT, store: STORE_DEFAULT, syslog: [], webhooks: [] })
  .describe('Where events go');

export type EventsConfig = z.infer<typeof eventsConfigSchema>;
export type EventsConfigInput = z.input<typeof eventsConfigSchema>;
export type JsonlConfig = z.infer<typeof jsonlConfigSchema>;
export type StoreSinkConfig = z.infer<typeof storeSinkConfigSchema>;
export type SyslogConfig = z.infer<typeof syslogConfigSchema>;
export type WebhookConfig = z.infer<typeof webhookConfigSchema>;
export type NatsConfig = z.infer<typeof natsConfigSchema>;
