/**
 * Flows: one API call of one surface as data in `sim/flows/<name>.yaml` — the request (method,
 * path, body template), what a faithful answer looks like (`expect`, used to call a response
 * allowed or altered), and the real service's answer (`response`, played by the emulated server
 * in two-arm runs). Also the catalog: loading, validating and looking up profiles and flows.
 */
import { z } from 'zod';
import { builtinSimDir, readFolder, SimDataError, validateDocument, type FileIssue } from './files.js';
import { isJsonValue, type JsonValue } from './json.js';
import {
  headerEntrySchema,
  jsonFormatSchema,
  NAME,
  PARAM_NAME,
  paramsSchema,
  profileSchema,
  surfaceSchema,
  type Profile,
  type Surface,
} from './profiles.js';
import { join } from 'node:path';

const jsonValue = z.custom<JsonValue>((v) => isJsonValue(v), { message: 'not plain JSON data' });

const sseEventSchema = z.union([
  z
    .object({
      event: z.string().regex(/^[A-Za-z0-9_.-]+$/).optional(),
      data: jsonValue,
      each: z.literal('piece').optional().describe('repeat once per piece of the response text'),
    })
    .strict(),
  z.object({ raw: z.string() }).strict().describe('a data line written as is, e.g. [DONE]'),
]);

const eventStreamEventSchema = z
  .object({
    event: z.string().regex(/^[A-Za-z0-9_.-]+$/),
    payload: jsonValue.optional().describe('the JSON payload (keys sorted, "p" padding added)'),
    bytes: jsonValue.optional().describe('InvokeModelWithResponseStream: model-native JSON sent base64 in "bytes"'),
    each: z.literal('piece').optional(),
  })
  .strict()
  .refine((e) => (e.payload === undefined) !== (e.bytes === undefined), { message: 'give exactly one of payload or bytes' });

const responseBodySchema = z.union([
  z
    .object({
      json: jsonValue,
      format: jsonFormatSchema.default({ style: 'compact', ascii: false, order: 'as-written' }),
    })
    .strict(),
  z.object({ sse: z.array(sseEventSchema).min(1) }).strict(),
  z.object({ text: z.string() }).strict().describe('a body written as this rendered text (XML of Query protocols)'),
  z.object({ eventstream: z.array(eventStreamEventSchema).min(1) }).strict(),
]);

const tlsVersionSchema = z.enum(['1.0', '1.1', '1.2', '1.3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3']);

/** TLS as this flow offers it (https targets); parameters `tls_*` and `sni` override each field. */
const flowTlsSchema = z
  .object({
    min_version: tlsVersionSchema.optional(),
    max_version: tlsVersionSchema.optional(),
    ciphers: z.string().regex(/^[A-Za-z0-9_:+!@=.-]+$/, 'an OpenSSL cipher list').optional(),
    alpn: z.array(z.string().regex(/^[!-~]{1,32}$/)).min(1).optional(),
    sni: z.string().optional(),
  })
  .strict();

/** Verdicts a key checker reaches about a key, from its probes' answers. */
export const VERDICTS = ['live', 'trial', 'quota', 'no-access', 'pozzed', 'revoked', 'unexpected'] as const;
export type CheckerVerdict = (typeof VERDICTS)[number];

const statusList = z.union([z.number().int().min(100).max(599), z.array(z.number().int().min(100).max(599)).min(1)]);

/** One rule: every condition given must hold; the first rule that holds gives the verdict. */
const verdictRuleSchema = z
  .object({
    verdict: z.enum(VERDICTS),
    why: z.string().min(1),
    status: statusList.optional(),
    code: z.array(z.string().min(1)).min(1).optional().describe("the provider's error code (recognised provider errors only)"),
    json: z.record(z.string(), jsonValue).optional().describe('JSON paths and the values they must hold'),
    header_min: z.record(z.string(), z.number()).optional().describe('numeric header values at least this'),
    header_max: z.record(z.string(), z.number()).optional().describe('numeric header values at most this'),
    body_match: z.string().optional().describe('a case-insensitive regular expression the decoded body must match'),
    body_not_match: z.string().optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    for (const [k, re] of [['body_match', r.body_match], ['body_not_match', r.body_not_match]] as const) {
      if (re === undefined) continue;
      try {
        new RegExp(re, 'i');
      } catch {
        ctx.addIssue({ code: 'custom', path: [k], message: 'not a regular expression' });
      }
    }
  });
export type VerdictRule = z.infer<typeof verdictRuleSchema>;

const flowSchema = z
  .object({
    name: NAME,
    description: z.string().min(1),
    surface: surfaceSchema,
    api: z.string().min(1).describe('the API operation, e.g. chat.completions, Converse, InvokeModel'),
    family: z.string().optional().describe('Bedrock model family'),
    stream: z.boolean().default(false),
    params: paramsSchema,
    secrets: z.array(z.string().regex(PARAM_NAME)).default([]),
    tls: flowTlsSchema.optional(),
    profile: NAME.optional().describe('the client profile used for this flow when none is named'),
    signing: z
      .object({ service: z.string().regex(/^[a-z0-9-]+$/).optional(), region: z.string().optional() })
      .strict()
      .optional()
      .describe("SigV4 scope of this flow when it differs from the profile's (IAM, STS)"),
    checker: z
      .object({
        name: z.string().regex(/^[a-z0-9-]+$/).describe('the key checker this probe belongs to'),
        step: z.number().int().min(1),
        verdicts: z.array(verdictRuleSchema).min(1),
      })
      .strict()
      .optional()
      .describe("a key checker's probe: how its answer is judged"),
    request: z
      .object({
        method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']),
        path: z.string().regex(/^\/[^\s]*$/, 'an origin-form path starting with / and without spaces'),
        headers: z.array(headerEntrySchema).default([]),
        body: jsonValue.optional(),
        text: z.string().optional().describe('a body sent as this rendered text (form-encoded Query protocols)'),
        required: z.array(z.string()).default([]).describe('top-level keys an SDK writes first'),
      })
      .strict()
      .refine((r) => r.body === undefined || r.text === undefined, { message: 'give body or text, not both' }),
    expect: z
      .object({
        status: z.number().int().min(100).max(599).default(200),
        content_type: z.string().optional().describe('prefix of the response Content-Type'),
        format: z.enum(['json', 'sse', 'eventstream', 'any']),
        require: z.array(z.string()).default([]).describe('JSON paths that must exist (json format)'),
        events: z.array(z.string()).default([]).describe('event types that must appear, in this order'),
        done: z.string().optional().describe('SSE: the last data line'),
        last_event: z.string().optional().describe('SSE / event stream: the last event type'),
        text: z
          .object({
            path: z.string().min(1),
            event: z.string().optional().describe('only events of this type'),
            chunk_bytes: z.boolean().default(false).describe('decode base64 "bytes" before applying the path'),
          })
          .strict()
          .optional()
          .describe('where the answer text is; two-arm compares it with response_prompt'),
      })
      .strict(),
    response: z
      .object({
        status: z.number().int().min(100).max(599).default(200),
        reason: z.string().regex(/^[\t !-~]*$/).default('OK'),
        content_type: z.string().min(1),
        framing: z.enum(['length', 'chunked']).default('length'),
        headers: z.array(headerEntrySchema).default([]),
        vars: z.record(z.string().regex(PARAM_NAME), z.string()).default({}),
        body: responseBodySchema,
      })
      .strict(),
  })
  .strict();
export type Flow = z.infer<typeof flowSchema>;

export interface Catalog {
  readonly profiles: ReadonlyMap<string, Profile>;
  readonly flows: ReadonlyMap<string, Flow>;
}

/**
 * Load profiles and flows from the built-in `sim/` folder, then from each extra folder (a file
 * there replaces a built-in one of the same name). Throws SimDataError listing every problem.
 */
export async function loadCatalog(dirs: readonly string[] = [builtinSimDir()]): Promise<Catalog> {
  const issues: FileIssue[] = [];
  const profiles = new Map<string, Profile>();
  const flows = new Map<string, Flow>();
  for (const dir of dirs) {
    for (const { file, doc } of await readFolder(join(dir, 'profiles'), issues)) {
      const p = validateDocument(profileSchema, doc, file, issues);
      if (p) profiles.set(p.name, p);
    }
    for (const { file, doc } of await readFolder(join(dir, 'flows'), issues)) {
      const f = validateDocument(flowSchema, doc, file, issues);
      if (f) flows.set(f.name, f);
    }
  }
  for (const surface of surfaceSchema.options) {
    for (const role of ['client', 'server'] as const) {
      const defaults = [...profiles.values()].filter((p) => p.surface === surface && p.role === role && p.default);
      if (defaults.length > 1) {
        issues.push({ file: defaults.map((p) => p.name).join(', '), path: 'default', message: `more than one default ${role} profile for ${surface}` });
      }
    }
  }
  if (issues.length > 0) throw new SimDataError(issues);
  return { profiles, flows };
}

/** The profile named, or the default profile of the surface and role. */
export function defaultProfile(catalog: Catalog, surface: Surface, role: 'client' | 'server'): Profile | undefined {
  const all = [...catalog.profiles.values()].filter((p) => p.surface === surface && p.role === role);
  return all.find((p) => p.default) ?? all[0];
}

/** Flow names matching a pattern: an exact name, `all`, or a glob with `*`. */
export function matchFlows(catalog: Catalog, pattern: string): Flow[] {
  if (pattern === 'all') return [...catalog.flows.values()];
  if (!pattern.includes('*')) {
    const f = catalog.flows.get(pattern);
    return f ? [f] : [];
  }
  const re = new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return [...catalog.flows.values()].filter((f) => re.test(f.name));
}
