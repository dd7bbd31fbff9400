/**
 * Config of the `tool` surface (issue 10): `routes:` — each a path prefix and/or Host in front of an
 * upstream URL with its own network lists, service secrets, OAuth 2.0 resource-server settings
 * (RFC 6750, RFC 7662, RFC 9728), MCP method/tool filters, OpenAPI document, limits and lure — and
 * `cidr_presets:`, named CIDR lists loaded from a file or URL in the published
 * `{"creationTime", "prefixes": [{"ipv4Prefix"|"ipv6Prefix"}]}` format.
 * Every key is described and defaulted; docs/tool.md explains them.
 */
import { z } from 'zod';
import { duration, isCidr } from '../../config/primitives.js';
import type { ConfigIssue } from '../../config/issues.js';

const PRESET_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** A network list entry: a CIDR, or `preset:<name>` (built-in or from `cidr_presets`). */
const networkEntry = z.string().refine((text) => (text.startsWith('preset:') ? PRESET_NAME.test(text.slice(7)) : isCidr(text)), {
  message: 'not an IP address, CIDR block or preset:<name> (e.g. 10.0.0.0/8, 2001:db8::/32, preset:chatgpt-actions)',
});

/** An RFC 3339 date-time with a zone (`2025-06-01T00:00:00Z`), parsed to epoch ms. */
const instant = z.string().transform((text, ctx) => {
  const ok = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(text);
  const ms = ok ? Date.parse(text) : Number.NaN;
  if (!Number.isFinite(ms)) {
    ctx.addIssue({ code: 'custom', message: `not an RFC 3339 date-time with a zone: ${JSON.stringify(text)} (e.g. 2025-06-01T00:00:00Z)` });
    return z.NEVER;
  }
  return ms;
});

const SHA256_REF = /^sha256:[0-9a-f]{64}$/;
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

const toolSecretSchema = z
  .object({
    name: z.string().min(1).max(64).describe('name of this secret in events and errors (never the secret itself)'),
    hash: z
      .string()
      .regex(SHA256_REF, 'sha256: followed by 64 lowercase hex digits')
      .optional()
      .describe('sha256:<64 hex> of the secret, as `honeygate secrets new` prints it (preferred: the secret never sits in the file)'),
    value: z.string().min(16).optional().describe('the secret itself (write it as ${ENV_VAR}); hashed at load and never kept'),
    not_before: instant.optional().describe('RFC 3339 time before which the secret is not accepted (rotation: the new secret starts)'),
    not_after: instant.optional().describe('RFC 3339 time after which the secret is refused as expired (rotation: the old secret ends)'),
    revoked: z.boolean().default(false).describe('refuse this secret; its use is recorded as `reject:credential_revoked`'),
    lure: z
      .boolean()
      .default(false)
      .describe('a planted secret: calls with it get plausible answers from the route lure (never the real API)'),
  })
  .strict()
  .superRefine((v, ctx) => {
    if ((v.hash === undefined) === (v.value === undefined)) ctx.addIssue({ code: 'custom', path: ['hash'], message: 'give exactly one of hash or value' });
    if (v.not_before !== undefined && v.not_after !== undefined && v.not_after <= v.not_before) {
      ctx.addIssue({ code: 'custom', path: ['not_after'], message: 'not_after must be later than not_before' });
    }
  });

const introspectionSchema = z
  .object({
    url: z.url().describe('RFC 7662 token introspection endpoint'),
    client_id: z.string().min(1).describe('client id the gateway authenticates with (client_secret_basic)'),
    client_secret: z.string().min(1).describe('its secret; write it as ${ENV_VAR}'),
    cache_ttl: duration.default(60_000).describe('longest an active answer is cached; never past the token expiry (exp)'),
    negative_cache: duration.default(10_000).describe('how long an inactive answer is cached (bounds load from junk tokens)'),
    timeout: duration.default(5000).describe('introspection request timeout'),
  })
  .strict();

export const oauthSchema = z
  .object({
    issuer: z.url().describe('the authorization server issuer; tokens must carry exactly this `iss`'),
    jwks_uri: z
      .url()
      .optional()
      .describe("the issuer's JWKS; default: `jwks_uri` from its metadata (/.well-known/openid-configuration, then oauth-authorization-server)"),
    audience: z
      .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
      .optional()
      .describe('accepted `aud` values; default: the resource identifier of this route (RFC 8707 / RFC 9728)'),
    resource: z
      .url()
      .optional()
      .describe('this route as an OAuth protected resource (RFC 9728 `resource`); default: public_url (or https://<host>) + prefix'),
    resource_metadata: z
      .boolean()
      .default(true)
      .describe('serve /.well-known/oauth-protected-resource<prefix> and name it in WWW-Authenticate (required by MCP authorization)'),
    scopes: z.array(z.string().min(1)).default([]).describe('scopes every token must hold (`scope` string or `scp` array)'),
    user_claim: z.string().min(1).default('sub').describe('claim that names the end user: the rate-limit, block and audit key'),
    algorithms: z
      .array(z.enum(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA']))
      .min(1)
      .default(['RS256', 'PS256', 'ES256', 'EdDSA'])
      .describe('accepted JWS algorithms (never `none` nor HMAC)'),
    clock_tolerance: duration.default(30_000).describe('tolerated clock skew for exp / nbf / iat'),
    max_token_age: duration.optional().describe('refuse tokens whose `iat` is older than this'),
    jwks_cooldown: duration
      .default(30_000)
      .describe('least time between two JWKS fetches: a token with an unknown `kid` re-fetches at most this often'),
    jwks_cache: duration.default(600_000).describe('how long a fetched JWKS is used before it is fetched again'),
    verified_cache: duration
      .default(60_000)
      .describe(
        'how long a verified JWT is remembered (never past its exp) so a repeated token is not verified again; 0 disables. A key removed from the JWKS keeps accepting tokens verified within this window',
      ),
    timeout: duration.default(5000).describe('JWKS / metadata fetch timeout'),
    introspection: introspectionSchema.optional().describe('for opaque (non-JWT) tokens: RFC 7662 introspection'),
    lure_clients: z
      .array(z.string().min(1))
      .default([])
      .describe('OAuth client ids (`client_id` or `azp` claim) marked as lures: their calls are deceived, never forwarded'),
  })
  .strict();

const toolLimitRuleSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, '1-64 of [A-Za-z0-9_.-]').describe('rule name for events and RateLimit headers'),
    by: z
      .string()
      .regex(
        /^(ip|key|user|conversation|session|gpt|header:[A-Za-z0-9!#$%&'*+.^_`|~-]+|claim:[A-Za-z0-9_.:/-]+)$/,
        'by is ip, key, user, conversation, session, gpt, header:<name> or claim:<name>',
      )
      .describe(
        'what the limit counts per: client ip (IPv6 per /64), credential, user (token claim or openai-ephemeral-user-id), conversation (openai-conversation-id), session (mcp-session-id), gpt (openai-gpt-id), any request header, or any token claim; requests without that value skip the rule',
      ),
    limit: z.number().int().min(1).describe('requests allowed per window'),
    window: duration.refine((ms) => ms >= 1000, 'at least 1s').describe('window length'),
  })
  .strict();

const fixtureSchema = z
  .object({
    status: z.number().int().min(100).max(599).default(200).describe('HTTP status of the answer'),
    body: z.unknown().describe('JSON answer; strings may hold canary placeholders such as {{canary:url}}'),
    content_type: z.string().default('application/json').describe('Content-Type of the answer'),
  })
  .strict();

const listPair = (what: string) =>
  z
    .object({
      allow: z.array(z.string().min(1)).default([]).describe(`if not empty, only these ${what} pass`),
      deny: z.array(z.string().min(1)).default([]).describe(`${what} refused (deny wins over allow)`),
    })
    .strict()
    .prefault({});

const toolRouteSchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'route names are lowercase [a-z0-9_-], at most 64')
      .describe('route name: events, limits, `honeygate secrets new ROUTE`'),
    host: z
      .string()
      .regex(/^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/, 'a host name, optionally with :port')
      .optional()
      .describe('match requests whose Host is this (case-insensitive; without a port here, any port)'),
    prefix: z
      .string()
      .regex(/^\/[^\s?#]*$/, 'a path starting with /')
      .default('/')
      .describe('match paths equal to this or below it (on a segment boundary); it is replaced by the upstream URL path'),
    shadow_openai: z
      .boolean()
      .default(false)
      .describe('let this route take /v1/* paths (the OpenAI surface) too; a prefix that itself starts with /v1/ needs no flag'),
    upstream: z.url().describe('the protected API, e.g. http://10.0.0.5:8000/ or http://mcp:3000/mcp'),
    timeout: duration.default(45_000).describe('upstream headers / body idle timeout (ChatGPT gives an action 45 s)'),
    connections: z.number().int().min(1).max(4096).default(64).describe('pooled connections to the upstream'),
    max_body_bytes: z
      .number()
      .int()
      .min(1024)
      .optional()
      .describe('largest request body for this route (bytes); default: the global max_body_bytes'),
    network: z
      .object({
        allow: z.array(networkEntry).default([]).describe('if not empty, only these clients (CIDRs or preset:<name>) are served'),
        deny: z.array(networkEntry).default([]).describe('clients refused (deny wins over allow)'),
      })
      .strict()
      .prefault({})
      .describe('per-route client network lists, on top of the global `network`; the client IP comes through trusted_proxies only'),
    auth: z
      .object({
        public: z
          .boolean()
          .default(false)
          .describe('serve calls without any credential (a route must have secrets, oauth, or public: true)'),
        secret_header: z
          .string()
          .regex(HEADER_NAME, 'a header name')
          .default('authorization')
          .describe('where service secrets are sent: `authorization` (Bearer) or a custom header such as x-api-key'),
        secrets: z.array(toolSecretSchema).default([]).describe('service secrets; several may be active at once (rotation without a gap)'),
        oauth: oauthSchema.optional().describe('end users: OAuth 2.0 bearer tokens (JWT via JWKS, or opaque via introspection)'),
      })
      .strict()
      .prefault({}),
    identity: z
      .object({
        user_header: z
          .string()
          .regex(HEADER_NAME)
          .default('openai-ephemeral-user-id')
          .describe('the end-user id when the token names none (ChatGPT actions send openai-ephemeral-user-id)'),
        conversation_header: z.string().regex(HEADER_NAME).default('openai-conversation-id').describe('the conversation id header'),
      })
      .strict()
      .prefault({}),
    mcp: z
      .object({
        methods: listPair('JSON-RPC methods (e.g. tools/call, resources/read)'),
        tools: listPair('tool names of tools/call'),
      })
      .strict()
      .optional()
      .describe('the upstream is a streamable-HTTP MCP server: JSON-RPC bodies are checked against these lists'),
    openapi: z
      .object({
        file: z.string().min(1).describe('the OpenAPI 3 document (YAML or JSON) the action was registered with (a relative path is taken from the working directory)'),
        validate_body: z.boolean().default(true).describe('check request bodies against the document'),
      })
      .strict()
      .optional()
      .describe('positive security: operations not in the document get 404, invalid parameters or bodies 400'),
    limits: z
      .object({
        rules: z.array(toolLimitRuleSchema).default([]),
        service: z
          .object({ limit: z.number().int().min(1), window: duration.refine((ms) => ms >= 1000, 'at least 1s') })
          .strict()
          .optional()
          .describe('a cap on all calls to this route, whoever makes them'),
      })
      .strict()
      .prefault({}),
    lure: z
      .object({
        max_requests: z.number().int().min(0).optional().describe('lure calls answered before the block; default lure_defaults.max_requests'),
        block_duration: duration.optional().describe('how long the client IP stays blocked after the threshold; default lure_defaults'),
        response_delay: duration.optional().describe('delay added to each lure answer (tarpit); default lure_defaults'),
        campaign: z.string().optional().describe('where the lure credentials of this route were planted'),
        placement: z.string().optional().describe('the exact spot they were planted'),
        upstream: z.url().optional().describe('a decoy copy of the API to send lure calls to, instead of the built-in answers'),
        fixtures: z
          .record(z.string().min(1), fixtureSchema)
          .default({})
          .describe('answers by operationId, by `METHOD /path`, or by MCP tool name `tool:<name>`'),
        reply: z
          .string()
          .default('Done. Reference: {{canary:url}}')
          .describe('text of an MCP tool answer or a non-OpenAPI answer without a fixture; canary placeholders are filled per caller'),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (!r.auth.public && r.auth.secrets.length === 0 && r.auth.oauth === undefined) {
      ctx.addIssue({ code: 'custom', path: ['auth'], message: 'a route needs auth.secrets, auth.oauth, or auth.public: true' });
    }
    const names = new Set<string>();
    r.auth.secrets.forEach((s, i) => {
      if (names.has(s.name)) ctx.addIssue({ code: 'custom', path: ['auth', 'secrets', i, 'name'], message: `two secrets named "${s.name}"` });
      names.add(s.name);
    });
    const rules = new Set<string>();
    r.limits.rules.forEach((l, i) => {
      if (rules.has(l.name)) ctx.addIssue({ code: 'custom', path: ['limits', 'rules', i, 'name'], message: `two rules named "${l.name}"` });
      rules.add(l.name);
    });
  });

const cidrPresetSchema = z
  .object({
    url: z.url().optional().describe('a JSON list in the published format ({"creationTime", "prefixes": [{"ipv4Prefix"|"ipv6Prefix"}]})'),
    file: z.string().min(1).optional().describe('the same format from a file (relative to the working directory)'),
    cidrs: z.array(z.string().refine(isCidr, 'not an IP address or CIDR block')).optional().describe('an inline list'),
    refresh: duration.default(6 * 3_600_000).refine((ms) => ms >= 1000, 'at least 1s').describe('how often url/file is read again; a failed read keeps the last good list'),
    fallback: z
      .string()
      .regex(PRESET_NAME)
      .optional()
      .describe('a built-in preset used until the first successful load (e.g. chatgpt-actions)'),
  })
  .strict()
  .superRefine((p, ctx) => {
    const n = [p.url, p.file, p.cidrs].filter((x) => x !== undefined).length;
    if (n !== 1) ctx.addIssue({ code: 'custom', message: 'give exactly one of url, file or cidrs' });
  });

export const routesSchema = z
  .array(toolRouteSchema)
  .default([])
  .describe('tool routes (issue 10): APIs an assistant calls (GPT actions, MCP servers), protected by the same engine');

export const cidrPresetsSchema = z
  .record(z.string().regex(PRESET_NAME, 'preset names are lowercase [a-z0-9_-]'), cidrPresetSchema)
  .default({})
  .describe('named CIDR lists for routes[].network (`preset:<name>`), besides the built-in ones');

/** Cross-field checks of `routes` and `cidr_presets` (the tool provider's config rules, config-part.ts). */
export function checkToolRules(routes: readonly ToolRouteConfig[], presets: Readonly<Record<string, CidrPresetConfig>>, builtin: ReadonlySet<string>): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const seen = new Map<string, number>();
  const places = new Map<string, number>();
  routes.forEach((r, i) => {
    const before = seen.get(r.name);
    if (before !== undefined) issues.push({ level: 'error', path: `routes.${i}.name`, message: `the same name as routes.${before}` });
    else seen.set(r.name, i);
    const place = `${(r.host ?? '*').toLowerCase()} ${r.prefix}`;
    const same = places.get(place);
    if (same !== undefined) issues.push({ level: 'error', path: `routes.${i}.prefix`, message: `routes.${same} already matches this host and prefix` });
    else places.set(place, i);
    for (const side of ['allow', 'deny'] as const) {
      r.network[side].forEach((entry, j) => {
        if (!entry.startsWith('preset:')) return;
        const name = entry.slice(7);
        if (!(name in presets) && !builtin.has(name)) {
          issues.push({ level: 'error', path: `routes.${i}.network.${side}.${j}`, message: `no preset named "${name}" (built-in: ${[...builtin].join(', ')})` });
        }
      });
    }
    if (r.lure.upstream === undefined && r.auth.secrets.some((s) => s.lure) && r.openapi === undefined && r.mcp === undefined && Object.keys(r.lure.fixtures).length === 0) {
      issues.push({ level: 'warning', path: `routes.${i}.lure`, message: 'lure secrets here get only lure.reply as a plain answer: add openapi, fixtures or a lure upstream' });
    }
  });
  for (const [name, p] of Object.entries(presets)) {
    if (p.fallback !== undefined && !builtin.has(p.fallback)) issues.push({ level: 'error', path: `cidr_presets.${name}.fallback`, message: `no built-in preset named "${p.fallback}"` });
    if (builtin.has(name)) issues.push({ level: 'error', path: `cidr_presets.${name}`, message: 'a built-in preset has this name' });
  }
  return issues;
}

export type ToolRouteConfig = z.output<typeof toolRouteSchema>;
export type ToolSecretConfig = z.output<typeof toolSecretSchema>;
export type OAuthConfig = z.output<typeof oauthSchema>;
export type CidrPresetConfig = z.output<typeof cidrPresetSchema>;
export type FixtureConfig = z.output<typeof fixtureSchema>;
export type ToolLimitRule = z.output<typeof toolLimitRuleSchema>;
