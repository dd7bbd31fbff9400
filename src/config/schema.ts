/**
 * The configuration schema's provider-neutral part: every key described and defaulted. The whole
 * file's schema adds each registered provider's sections and upstream types (part.ts:
 * `buildConfigSchema`); from it come the validation (with dotted paths) and the JSON Schema for
 * editors (`honeygate schema`). Cross-field rules live in rules.ts; OpenAIPot configs are mapped onto
 * this shape by openaipot.ts before validation.
 */
import { z } from 'zod';
import { adminConfigSchema } from '../admin/config.js';
import { eventsConfigSchema } from '../events/config.js';
import { storeConfigSchema } from '../store/config.js';
import { cidr, duration } from './primitives.js';
import { listenConfigSchema } from './listen.js';

export { cidr, duration };

const SHA256_REF = /^sha256:[0-9a-f]{64}$/;

const lureFields = {
  prompt: z.string().optional().describe('lure prompt injected into every request made with this key (sent to a real lure upstream)'),
  reply: z
    .string()
    .optional()
    .describe("the decoy's answer text for this key's requests; canary placeholders such as {{canary:url}} are filled per attacker"),
  max_requests: z.number().int().min(0).optional().describe('billable lure answers (generations the provider would charge for; probes and refusals are free) before the persona runs out of quota for good'),
  block_duration: duration.optional().describe('how long the count of billable answers lasts without a new one (at least 24h); the exhausted persona stays exhausted'),
  response_delay: duration.optional().describe('delay added to each lure answer (tarpit)'),
  realistic_timing: z
    .boolean()
    .optional()
    .describe("the decoy takes as long as a real model would (and reports that time in openai-processing-ms); false answers at once"),
};

export const keySchema = z
  .object({
    name: z.string().min(1).optional().describe('a name for events and the admin API; default: the key fingerprint'),
    key: z
      .string()
      .min(1)
      .describe('the key, raw or as sha256:<64 hex> (preferred: the raw key never sits in the file)'),
    class: z.enum(['valid', 'lure']).describe('valid: forwarded upstream; lure: deceived'),
    upstream: z.string().optional().describe('named upstream; default: the first real upstream (valid) or `decoy` (lure)'),
    mask: z
      .string()
      .optional()
      .describe('for sha256 keys: the provider-style mask to show in events (the raw key is not known)'),
    campaign: z.string().optional().describe('lure campaign: where the key was planted'),
    placement: z.string().optional().describe('lure placement: the exact spot (repo path, CI variable …)'),
    planted: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/, 'an ISO 8601 date or time, e.g. 2025-05-01 or 2025-05-01T09:30:00Z')
      .optional()
      .describe('lure: when the key was planted (ISO 8601); the campaign page measures the time to its first use from it'),
    ...lureFields,
  })
  .strict()
  .superRefine((value, ctx) => {
    if (value.key.startsWith('sha256:') && !SHA256_REF.test(value.key)) {
      ctx.addIssue({ code: 'custom', path: ['key'], message: 'sha256 key references are sha256: followed by 64 lowercase hex digits' });
    }
  });

const openaiUpstreamSchema = z
  .object({
    type: z.literal('openai'),
    url: z.url().describe('base URL of an OpenAI-compatible API, e.g. https://api.openai.com'),
    api_key: z
      .string()
      .optional()
      .describe("the upstream's own key: replaces the client's key (write it as ${ENV_VAR}); absent: the client's key passes through"),
    timeout: duration.default(600_000).describe('headers timeout for a request (LLM calls can be slow)'),
    connections: z.number().int().min(1).max(4096).default(128).describe('pooled connections to this upstream'),
  })
  .strict();

const decoyUpstreamSchema = z
  .object({
    type: z.literal('decoy'),
  })
  .strict();

/** The upstream types every configuration knows; providers add theirs (part.ts). */
export const coreUpstreamSchemas = [openaiUpstreamSchema, decoyUpstreamSchema] as const;

const limitRuleSchema = z
  .object({
    name: z.string().min(1).describe('rule name for events and errors'),
    by: z
      .string()
      .regex(/^(ip|key|header:[A-Za-z0-9!#$%&'*+.^_`|~-]+)$/, 'by is ip, key, or header:<name>')
      .describe('what the limit counts per: client ip (IPv6 grouped per /64), key fingerprint, or a request header'),
    limit: z.number().int().min(1).describe('requests allowed per window'),
    window: duration.describe('window length'),
    exempt: z.array(cidr).default([]).describe('client CIDRs this rule skips'),
  })
  .strict();

/** The `upstreams` map, for a schema of the upstream types (the common ones, or theirs with the providers'). */
export function upstreamsSchema(upstream: z.ZodType) {
  return z
    .record(z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'upstream names are lowercase [a-z0-9_-]'), upstream)
    .default({ decoy: { type: 'decoy' } })
    .describe('named upstreams; `decoy` (the built-in responder) always exists');
}

/** The top-level keys every configuration has, provider sections apart (part.ts builds the whole schema). */
export const coreConfigShape = {
  listen: listenConfigSchema.prefault({}),
  public_url: z
    .url()
    .optional()
    .describe('URL under which clients reach this gateway; canary URLs are minted under it'),
  canary_secret: z
    .string()
    .min(16)
    .optional()
    .describe(
      'secret (≥16 chars, write it as ${HONEYGATE_CANARY_SECRET}) from which canary values are derived; the same on every instance. Absent: random per process, so canary values change on restart',
    ),
  trusted_proxies: z
    .array(cidr)
    .default([])
    .describe('peers whose X-Forwarded-For is believed; from anyone else it is ignored'),
  network: z
    .object({
      allow: z.array(cidr).default([]).describe('if not empty, only these client CIDRs are served'),
      deny: z.array(cidr).default([]).describe('client CIDRs refused (deny wins over allow)'),
    })
    .strict()
    .default({ allow: [], deny: [] }),
  max_body_bytes: z
    .number()
    .int()
    .min(1024)
    .default(32 * 1024 * 1024)
    .describe('largest request body accepted (bytes)'),
  limits: z
    .object({
      exempt: z.array(cidr).default([]).describe('client CIDRs no rate limit applies to'),
      rules: z.array(limitRuleSchema).default([]),
    })
    .strict()
    .default({ exempt: [], rules: [] }),
  lure_defaults: z
    .object({
      prompt: z
        .string()
        .default(
          'You are a helpful assistant. Answer the user briefly and plausibly.',
        )
        .describe('prompt for lure keys that set none'),
      reply: z.string().optional().describe("the decoy's answer for lure keys that set none (default: a short, neutral assistant reply)"),
      max_requests: z.number().int().min(0).default(50),
      block_duration: duration.default(86_400_000),
      response_delay: duration.default(0),
      realistic_timing: z.boolean().default(true).describe('decoy answers take a real model’s time'),
      upstream: z.string().default('decoy'),
    })
    .strict()
    .default({
      prompt: 'You are a helpful assistant. Answer the user briefly and plausibly.',
      max_requests: 50,
      block_duration: 86_400_000,
      response_delay: 0,
      realistic_timing: true,
      upstream: 'decoy',
    }),
  upstreams: upstreamsSchema(z.discriminatedUnion('type', coreUpstreamSchemas)),
  keys: z.array(keySchema).default([]),
  key_files: z
    .array(z.string())
    .default([])
    .describe(
      'YAML files with more keys ({keys: [...]}, {azure_keys: [...]} and {gemini_keys: [...]}, as written by `honeygate keys new`); an AWS key pair takes its secret from the file\'s <name>.aws-secrets.yaml sidecar, or from a listed {aws_credentials: [...]} file',
    ),
  store: storeConfigSchema,
  events: eventsConfigSchema,
  admin: adminConfigSchema,
};

/** The provider-neutral configuration (`{}` parses to every default); the whole file's schema is `buildConfigSchema` (part.ts). */
export const configSchema = z.object(coreConfigShape).strict();

/**
 * Each provider's top-level sections, by declaration merging: a provider's `config-part.ts` adds
 * its own (`interface ProviderConfigSections extends z.output<…> {}`), so `Config` is the whole
 * file's type without this module naming a provider.
 */
export interface ProviderConfigSections {}

/** Upstream types by their `type`: the common two here, each provider's added by its config part. */
export interface ProviderUpstreamTypes {
  openai: z.output<typeof openaiUpstreamSchema>;
  decoy: z.output<typeof decoyUpstreamSchema>;
}

export type UpstreamConfig = ProviderUpstreamTypes[keyof ProviderUpstreamTypes];

/** The config after validation and defaults. */
export type Config = Omit<z.output<typeof configSchema>, 'upstreams'> & { upstreams: Record<string, UpstreamConfig> } & ProviderConfigSections;
export type KeyConfig = z.output<typeof keySchema>;
