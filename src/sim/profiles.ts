/**
 * Client and server profiles: the wire anatomy of one real client (header names, order, casing,
 * values, JSON body layout, proxy CONNECT form, SigV4 signing) or of one real server's response
 * headers, as data in `sim/profiles/<name>.yaml`. Nothing about a particular client lives in code.
 */
import { z } from 'zod';

/** Header field-name token (RFC 9110 §5.1). */
const FIELD_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
export const NAME = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'lower-case letters, digits, . _ - (at most 64)');
export const PARAM_NAME = /^[a-z][a-z0-9_]{0,63}$/;

/**
 * A header line: `[Name, value]`, or `{name, value, when, signed}`, or `{slot: flow}` (where the
 * flow's own headers go). `when` keeps the line only if a parameter is non-empty (`when: token`),
 * empty (`!token`) or a built-in condition holds: `$body` (the request has a body), `$proxy`
 * (absolute-form through an HTTP proxy), `$https`, `$chunked` / `$length` (server framing).
 */
export const headerEntrySchema = z.union([
  z.tuple([z.string().regex(FIELD_NAME, 'not a header name'), z.string()]),
  z
    .object({
      name: z.string().regex(FIELD_NAME, 'not a header name'),
      value: z.string(),
      when: z
        .string()
        .regex(/^!?(\$(body|proxy|https|chunked|length)|[a-z][a-z0-9_]*)$/, 'a parameter name or $body/$proxy/$https/$chunked/$length, optionally negated with !')
        .optional(),
      signed: z.boolean().optional().describe('SigV4: this header is in SignedHeaders'),
    })
    .strict(),
  z.object({ slot: z.literal('flow') }).strict(),
]);
export type HeaderEntry = z.infer<typeof headerEntrySchema>;

/** A parameter default: text, a number or boolean (kept as text), or one value per URL scheme. */
const paramValueSchema = z.union([
  z.string(),
  z.number().transform(String),
  z.boolean().transform(String),
  z.object({ http: z.string(), https: z.string() }).strict(),
]);
export type ParamValue = z.infer<typeof paramValueSchema>;

export const paramsSchema = z
  .record(z.string(), paramValueSchema)
  .superRefine((rec, ctx) => {
    for (const key of Object.keys(rec)) {
      if (!PARAM_NAME.test(key)) ctx.addIssue({ code: 'custom', path: [key], message: 'parameter names are lower_snake_case' });
    }
  })
  .default({});

export const jsonFormatSchema = z
  .object({
    style: z.enum(['compact', 'python', 'pretty2', 'pretty4']).default('compact'),
    ascii: z.boolean().default(false).describe('escape non-ASCII as \\uXXXX (Python ensure_ascii)'),
    order: z.enum(['as-written', 'sorted', 'sorted-top', 'required-first']).default('as-written'),
  })
  .strict();

export const surfaceSchema = z.enum(['openai', 'bedrock', 'anthropic', 'azure-openai', 'gemini']);
export type Surface = z.infer<typeof surfaceSchema>;

export const profileSchema = z
  .object({
    name: NAME,
    description: z.string().min(1),
    role: z.enum(['client', 'server']).default('client'),
    surface: surfaceSchema,
    default: z.boolean().default(false).describe('the profile used for this surface and role when none is named'),
    client: z.string().optional().describe('the real software this reproduces, with versions'),
    source: z.string().optional().describe('how the anatomy was obtained'),
    params: paramsSchema,
    secrets: z.array(z.string().regex(PARAM_NAME)).default([]),
    headers: z.array(headerEntrySchema).min(1),
    json: jsonFormatSchema.default({ style: 'compact', ascii: false, order: 'as-written' }),
    signing: z
      .object({
        kind: z.literal('sigv4'),
        service: z.string().regex(/^[a-z0-9-]+$/).default('bedrock'),
        sign_flow_headers: z.boolean().default(true).describe('headers from the flow slot are signed'),
      })
      .strict()
      .optional(),
    proxy: z
      .object({
        connect_version: z.enum(['HTTP/1.0', 'HTTP/1.1']).default('HTTP/1.1'),
        connect_headers: z.array(headerEntrySchema).default([['Host', '{{connect_authority}}']]),
      })
      .strict()
      .default({ connect_version: 'HTTP/1.1', connect_headers: [['Host', '{{connect_authority}}']] }),
  })
  .strict()
  .superRefine((p, ctx) => {
    const slots = p.headers.filter((h) => !Array.isArray(h) && 'slot' in h).length;
    if (slots > 1) ctx.addIssue({ code: 'custom', path: ['headers'], message: 'at most one {slot: flow}' });
    if (p.role === 'server' && p.signing) ctx.addIssue({ code: 'custom', path: ['signing'], message: 'server profiles do not sign' });
    for (const s of p.secrets) {
      if (!(s in p.params) && !COMMON_SECRETS.includes(s)) {
        ctx.addIssue({ code: 'custom', path: ['secrets'], message: `${s} is not a parameter of this profile` });
      }
    }
  });
export type Profile = z.infer<typeof profileSchema>;

/** Parameters whose values are never printed (reports, HAR, errors) whatever the files say. */
export const COMMON_SECRETS: readonly string[] = ['api_key', 'secret_access_key', 'security_token', 'bearer_token'];

