/**
 * What a provider contributes to the configuration file: its top-level sections (zod schemas with
 * their defaults), its upstream types, the key lists a key file may hold for it, and its cross-field
 * rules. The provider's folder holds its part (`providers/<name>/config-part.ts`), its `Provider`
 * object carries it (`config`), and the loader (load.ts) builds the whole schema from the parts of
 * the registered providers (`buildConfigSchema`, schema.ts): nothing in config/ names a provider.
 *
 * The static type of a section comes with it: the part's file adds its sections to
 * `ProviderConfigSections` and its upstream types to `ProviderUpstreamTypes` (schema.ts) by
 * declaration merging, so `Config` is the whole file's type wherever it is used.
 */
import { z } from 'zod';
import type { ConfigIssue } from './issues.js';
import { coreConfigShape, coreUpstreamSchemas, upstreamsSchema, type Config } from './schema.js';

/** A `keys` entry as a key file holds it, with where it was read (for messages). */
export interface KeyFileEntry {
  readonly entry: Record<string, unknown>;
  readonly where: string;
}

/** A provider's share of reading the key files of one load (the AWS secrets sidecars of Bedrock). */
export interface KeyFileReader {
  /** The top-level key of this reader's own kind of file, listed under `key_files` on its own (`aws_credentials`). */
  readonly ownList?: string;
  /** Read such a file (a document with `ownList` and no key list). */
  ownDocument?(doc: object, file: string, issues: ConfigIssue[]): void;
  /** The files beside a key file with a key list that this reader reads when they exist (`keys.aws-secrets.yaml`). */
  besideOf?(file: string): string;
  /** Read such a file (`doc` is its parsed, interpolated content). */
  beside?(doc: unknown, file: string, issues: ConfigIssue[]): void;
  /** After every file: take the `keys` entries that are this provider's (into its own config lists), leave the rest. */
  claim?(entries: readonly KeyFileEntry[], issues: ConfigIssue[]): { readonly keys: readonly KeyFileEntry[]; readonly lists: Readonly<Record<string, readonly unknown[]>> };
}

export interface ProviderConfigPart {
  /** Top-level config keys the provider adds, each with its default (`aws_keys`, `bedrock`, …). */
  readonly sections: z.ZodRawShape;
  /** The upstream types it adds to `upstreams` (objects with a literal `type`). */
  readonly upstreams?: readonly z.ZodObject[];
  /**
   * Those of its upstream types the core pools as plain HTTP (`url`, `timeout`, `connections`,
   * optional `api_key`: the `anthropic` type); the provider builds the others itself.
   */
  readonly httpUpstreamTypes?: readonly string[];
  /** Key lists a key file may hold besides `keys`, by the config key they join, each entry checked with its schema (`azure_keys`). */
  readonly keyFileLists?: Readonly<Record<string, z.ZodType>>;
  /** A per-load reader for key-file documents of its own. */
  keyFiles?(): KeyFileReader;
  /** A `keys` entry that is this provider's key, not OpenAI's (an `sk-ant-` key is Anthropic's). */
  ownsKeyEntry?(k: { readonly key: string; readonly mask?: string | undefined }): boolean;
  /** Cross-field rules, run after the schema and the common rules. */
  rules?(config: Readonly<Config>): ConfigIssue[];
}

/** Something that may carry a config part (a `Provider`). */
export interface HasConfigPart {
  readonly config?: ProviderConfigPart | undefined;
}

/** The parts of a list of providers, in its order. */
export function configParts(providers: readonly HasConfigPart[]): ProviderConfigPart[] {
  return providers.flatMap((p) => (p.config ? [p.config] : []));
}

/**
 * The whole configuration schema: the provider-neutral keys (schema.ts), then each part's sections,
 * with every part's upstream types in `upstreams`; unknown keys are refused. Its output is `Config`
 * (each part declares its sections' types, see above).
 */
export function buildConfigSchema(parts: readonly ProviderConfigPart[]): z.ZodType<Config> {
  const upstreamTypes: [z.ZodObject, ...z.ZodObject[]] = [...coreUpstreamSchemas, ...parts.flatMap((p) => p.upstreams ?? [])];
  const shape: z.ZodRawShape = { ...coreConfigShape, upstreams: upstreamsSchema(z.discriminatedUnion('type', upstreamTypes)) };
  for (const part of parts) Object.assign(shape, part.sections);
  return z.object(shape).strict() as unknown as z.ZodType<Config>;
}
