/**
 * Config loading, in one direction: YAML text → ${ENV} interpolation → OpenAIPot mapping →
 * key files (and the providers' documents beside them, e.g. AWS secrets sidecars) merged → zod
 * schema (defaults, dotted-path errors) → cross-field rules → frozen. The schema and the rules are
 * the provider-neutral ones plus each registered provider's config part (part.ts), taken from the
 * registry: this module sits above it, like the rest of the assembly.
 * Runs once at start and on reload; nothing here is on the request path.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { CONFIG_PARTS } from '../gateway/registry.js';
import { ConfigError, type ConfigIssue } from './issues.js';
import { fromOpenAIPot, isOpenAIPotConfig } from './openaipot.js';
import { buildConfigSchema, type KeyFileEntry, type KeyFileReader, type ProviderConfigPart } from './part.js';
import { checkRules } from './rules.js';
import { keySchema, type Config } from './schema.js';

export interface LoadedConfig {
  readonly config: Readonly<Config>;
  readonly warnings: readonly ConfigIssue[];
  /** the file it came from, if any (for reload and key writing) */
  readonly file?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Replace ${VAR} and ${VAR:-default} in every string value (never in keys, never in YAML syntax). */
function interpolate(value: unknown, env: Env, path: string, issues: ConfigIssue[]): unknown {
  if (typeof value === 'string') {
    return value.replace(ENV_REF, (_m, name: string, fallback: string | undefined) => {
      const found = env[name];
      if (found !== undefined && found !== '') return found;
      if (fallback !== undefined) return fallback;
      issues.push({ level: 'error', path, message: `environment variable ${name} is not set` });
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, env, join(path, String(i)), issues));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolate(v, env, join(path, k), issues);
    return out;
  }
  return value;
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function zodIssues(error: z.ZodError, prefix = ''): ConfigIssue[] {
  return error.issues.map((issue) => ({
    level: 'error' as const,
    path: join(prefix, issue.path.map(String).join('.')),
    message: issue.message,
  }));
}

function parseYamlText(text: string, where: string, issues: ConfigIssue[]): unknown {
  try {
    return parseYaml(text, { maxAliasCount: 100 }) ?? {};
  } catch (e: unknown) {
    const line = e instanceof YAMLParseError && e.linePos ? ` (line ${e.linePos[0].line})` : '';
    const message = e instanceof Error ? e.message.split('\n')[0] ?? 'invalid YAML' : 'invalid YAML';
    issues.push({ level: 'error', path: where, message: `YAML${line}: ${message}` });
    return undefined;
  }
}

async function readYamlFile(file: string, baseDir: string, env: Env, path: string, issues: ConfigIssue[], optional = false): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(resolve(baseDir, file), 'utf8');
  } catch (e: unknown) {
    const code = (e as NodeJS.ErrnoException).code;
    if (!(optional && code === 'ENOENT')) issues.push({ level: 'error', path, message: `cannot read ${file}: ${code ?? 'error'}` });
    return undefined;
  }
  return interpolate(parseYamlText(text, path, issues), env, path, issues);
}

/**
 * Key files: `{keys: [...]}`, or the key lists of the providers' config parts (`{azure_keys: [...]}`),
 * with the documents a provider reads beside them (the `<name>.aws-secrets.yaml` sidecar), or a
 * provider's own document listed on its own (`{aws_credentials: [...]}`, `keys new --secrets-file`).
 * A provider's reader may then claim `keys` entries for its own list (AWS pairs join `aws_keys`).
 */
async function readKeyFiles(files: readonly string[], baseDir: string, env: Env, issues: ConfigIssue[], parts: readonly ProviderConfigPart[]): Promise<Record<string, unknown[]>> {
  let entries: KeyFileEntry[] = [];
  const lists: Record<string, unknown[]> = {};
  const listSchemas = parts.flatMap((p) => Object.entries(p.keyFileLists ?? {}));
  const readers: KeyFileReader[] = parts.flatMap((p) => (p.keyFiles ? [p.keyFiles()] : []));
  const holds = ['keys', ...listSchemas.map(([name]) => name), ...readers.flatMap((r) => (r.ownList !== undefined ? [r.ownList] : []))].map((name) => `{${name}: [...]}`);
  for (const [i, file] of files.entries()) {
    const path = `key_files.${i}`;
    const doc = await readYamlFile(file, baseDir, env, path, issues);
    if (doc === undefined) continue;
    let providerList = false;
    for (const [name, schema] of listSchemas) {
      const value = (doc as Record<string, unknown> | null)?.[name];
      if (value === undefined) continue;
      providerList = true;
      if (!Array.isArray(value)) {
        issues.push({ level: 'error', path, message: `${file}: ${name} must be a list` });
        continue;
      }
      for (const [j, entry] of value.entries()) {
        const parsed = schema.safeParse(entry);
        if (!parsed.success) issues.push(...zodIssues(parsed.error, `${file}:${name}.${j}`));
        else (lists[name] ??= []).push(entry);
      }
    }
    const list = (doc as { keys?: unknown } | null)?.keys ?? (providerList ? [] : undefined);
    const own = doc !== null && typeof doc === 'object' && list === undefined ? readers.find((r) => r.ownList !== undefined && r.ownList in doc) : undefined;
    if (own !== undefined) {
      own.ownDocument?.(doc as object, file, issues);
      continue;
    }
    if (!Array.isArray(list)) {
      issues.push({ level: 'error', path, message: `${file} must hold ${holds.slice(0, -1).join(', ')} or ${holds.at(-1) ?? ''}` });
      continue;
    }
    for (const [j, entry] of list.entries()) {
      const parsed = keySchema.safeParse(entry);
      if (!parsed.success) issues.push(...zodIssues(parsed.error, `${file}:keys.${j}`));
      else entries.push({ entry: entry as Record<string, unknown>, where: `${file}:keys.${j}` });
    }
    for (const r of readers) {
      if (r.besideOf === undefined) continue;
      const beside = r.besideOf(file);
      const side = await readYamlFile(beside, baseDir, env, path, issues, true);
      if (side !== undefined) r.beside?.(side, beside, issues);
    }
  }
  for (const r of readers) {
    if (r.claim === undefined) continue;
    const claimed = r.claim(entries, issues);
    entries = [...claimed.keys];
    for (const [name, more] of Object.entries(claimed.lists)) (lists[name] ??= []).push(...more);
  }
  return { keys: entries.map((e) => e.entry), ...lists };
}

let registered: ReturnType<typeof buildConfigSchema> | undefined;

/** The whole schema for a list of parts (the registry's is built once). */
function schemaOf(parts: readonly ProviderConfigPart[]): ReturnType<typeof buildConfigSchema> {
  if (parts !== CONFIG_PARTS) return buildConfigSchema(parts);
  return (registered ??= buildConfigSchema(parts));
}

/** Validate a parsed document (against the registered providers' config, or `options.parts`); never throws on bad input: every problem is an issue. */
export async function loadConfigObject(
  raw: unknown,
  options: { env?: Env; baseDir?: string; parts?: readonly ProviderConfigPart[] } = {},
): Promise<{ config: Readonly<Config> | null; issues: ConfigIssue[] }> {
  const env = options.env ?? process.env;
  const parts = options.parts ?? CONFIG_PARTS;
  const issues: ConfigIssue[] = [];
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { config: null, issues: [{ level: 'error', path: '', message: 'the config must be a YAML mapping' }] };
  }
  let doc = interpolate(raw, env, '', issues) as Record<string, unknown>;
  if (isOpenAIPotConfig(doc)) doc = fromOpenAIPot(doc, issues);
  const keyFiles = doc['key_files'];
  if (Array.isArray(keyFiles) && keyFiles.every((f) => typeof f === 'string')) {
    const extra = await readKeyFiles(keyFiles, options.baseDir ?? process.cwd(), env, issues, parts);
    for (const [name, more] of Object.entries(extra)) {
      if (more.length > 0) doc = { ...doc, [name]: [...(Array.isArray(doc[name]) ? doc[name] : []), ...more] };
    }
  }
  const parsed = schemaOf(parts).safeParse(doc);
  if (!parsed.success) return { config: null, issues: [...issues, ...zodIssues(parsed.error)] };
  const config = parsed.data;
  if (!('decoy' in config.upstreams)) config.upstreams['decoy'] = { type: 'decoy' };
  issues.push(...checkRules(config, parts));
  if (issues.some((i) => i.level === 'error')) return { config: null, issues };
  return { config: deepFreeze(config), issues };
}

export async function loadConfigText(
  text: string,
  options: { env?: Env; baseDir?: string; file?: string; parts?: readonly ProviderConfigPart[] } = {},
): Promise<{ config: Readonly<Config> | null; issues: ConfigIssue[] }> {
  const issues: ConfigIssue[] = [];
  const raw = parseYamlText(text, '', issues);
  if (raw === undefined) return { config: null, issues };
  return loadConfigObject(raw, options);
}

/** Load a config file; throws ConfigError with every issue when it is not valid. */
export async function loadConfigFile(file: string, env: Env = process.env): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e: unknown) {
    throw new ConfigError([{ level: 'error', path: '', message: `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}` }]);
  }
  const { config, issues } = await loadConfigText(text, { env, baseDir: dirname(resolve(file)), file });
  if (!config) throw new ConfigError(issues);
  return { config, warnings: issues.filter((i) => i.level === 'warning'), file: resolve(file) };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
