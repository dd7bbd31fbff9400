/**
 * Config loading, in one direction: YAML text → ${ENV} interpolation → OpenAIPot mapping →
 * key files (and their AWS secrets sidecars) merged → zod schema (defaults, dotted-path errors) → cross-field rules → frozen.
 * Runs once at start and on reload; nothing here is on the request path.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { joinAwsSecrets, sidecarFileOf, sidecarPairs, type SidecarPair } from './aws-secrets.js';
import { ConfigError, type ConfigIssue } from './issues.js';
import { fromOpenAIPot, isOpenAIPotConfig } from './openaipot.js';
import { checkRules } from './rules.js';
import { configSchema, keySchema, type Config } from './schema.js';
import { azureKeySchema } from '../providers/azure/config.js';
import { geminiKeySchema } from '../providers/gemini/config.js';

export interface LoadedConfig {
  readonly config: Readonly<Config>;
  readonly warnings: readonly ConfigIssue[];
  /** the file it came from, if any (for reload and key writing) */
  readonly file?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Replace ${VAR} and ${VAR:-default} in every string value (never in keys, never in YAML syntax). */
export function interpolate(value: unknown, env: Env, path: string, issues: ConfigIssue[]): unknown {
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
 * Key files: `{keys: [...]}` (with the `<name>.aws-secrets.yaml` sidecar beside it, if any) or an
 * `{aws_credentials: [...]}` sidecar listed on its own (`keys new --secrets-file`). AWS pairs join
 * `aws_keys` (aws-secrets.ts).
 */
async function readKeyFiles(files: readonly string[], baseDir: string, env: Env, issues: ConfigIssue[]): Promise<{ keys: unknown[]; awsKeys: unknown[]; azureKeys: unknown[]; geminiKeys: unknown[] }> {
  const entries: { entry: Record<string, unknown>; where: string }[] = [];
  const azureKeys: unknown[] = [];
  const pairs: SidecarPair[] = [];
  const geminiKeys: unknown[] = [];
  for (const [i, file] of files.entries()) {
    const path = `key_files.${i}`;
    const doc = await readYamlFile(file, baseDir, env, path, issues);
    if (doc === undefined) continue;
    const azure = (doc as { azure_keys?: unknown } | null)?.azure_keys;
    if (Array.isArray(azure)) {
      for (const [j, entry] of azure.entries()) {
        const parsed = azureKeySchema.safeParse(entry);
        if (!parsed.success) issues.push(...zodIssues(parsed.error, `${file}:azure_keys.${j}`));
        else azureKeys.push(entry);
      }
    }
    // Google API keys (`keys new --format gemini`) are listed under gemini_keys
    const gemini = (doc as { gemini_keys?: unknown } | null)?.gemini_keys;
    if (gemini !== undefined) {
      if (!Array.isArray(gemini)) issues.push({ level: 'error', path, message: `${file}: gemini_keys must be a list` });
      else {
        for (const [j, entry] of gemini.entries()) {
          const parsed = geminiKeySchema.safeParse(entry);
          if (!parsed.success) issues.push(...zodIssues(parsed.error, `${file}:gemini_keys.${j}`));
          else geminiKeys.push(entry);
        }
      }
    }
    const list = (doc as { keys?: unknown } | null)?.keys ?? (Array.isArray(azure) || gemini !== undefined ? [] : undefined);
    if (doc !== null && typeof doc === 'object' && 'aws_credentials' in doc && list === undefined) {
      pairs.push(...sidecarPairs(doc, file, issues));
      continue;
    }
    if (!Array.isArray(list)) {
      issues.push({ level: 'error', path, message: `${file} must hold {keys: [...]}, {azure_keys: [...]}, {gemini_keys: [...]} or {aws_credentials: [...]}` });
      continue;
    }
    for (const [j, entry] of list.entries()) {
      const parsed = keySchema.safeParse(entry);
      if (!parsed.success) issues.push(...zodIssues(parsed.error, `${file}:keys.${j}`));
      else entries.push({ entry: entry as Record<string, unknown>, where: `${file}:keys.${j}` });
    }
    const sidecar = sidecarFileOf(file);
    const side = await readYamlFile(sidecar, baseDir, env, path, issues, true);
    if (side !== undefined) pairs.push(...sidecarPairs(side, sidecar, issues));
  }
  return { ...joinAwsSecrets(entries, pairs, issues), azureKeys, geminiKeys };
}

/** Validate a parsed document; never throws on bad input: every problem is an issue. */
export async function loadConfigObject(
  raw: unknown,
  options: { env?: Env; baseDir?: string } = {},
): Promise<{ config: Readonly<Config> | null; issues: ConfigIssue[] }> {
  const env = options.env ?? process.env;
  const issues: ConfigIssue[] = [];
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { config: null, issues: [{ level: 'error', path: '', message: 'the config must be a YAML mapping' }] };
  }
  let doc = interpolate(raw, env, '', issues) as Record<string, unknown>;
  if (isOpenAIPotConfig(doc)) doc = fromOpenAIPot(doc, issues);
  const keyFiles = doc['key_files'];
  if (Array.isArray(keyFiles) && keyFiles.every((f) => typeof f === 'string')) {
    const extra = await readKeyFiles(keyFiles, options.baseDir ?? process.cwd(), env, issues);
    if (extra.keys.length > 0) doc = { ...doc, keys: [...(Array.isArray(doc['keys']) ? doc['keys'] : []), ...extra.keys] };
    if (extra.awsKeys.length > 0) doc = { ...doc, aws_keys: [...(Array.isArray(doc['aws_keys']) ? doc['aws_keys'] : []), ...extra.awsKeys] };
    if (extra.azureKeys.length > 0) doc = { ...doc, azure_keys: [...(Array.isArray(doc['azure_keys']) ? doc['azure_keys'] : []), ...extra.azureKeys] };
    if (extra.geminiKeys.length > 0) doc = { ...doc, gemini_keys: [...(Array.isArray(doc['gemini_keys']) ? doc['gemini_keys'] : []), ...extra.geminiKeys] };
  }
  const parsed = configSchema.safeParse(doc);
  if (!parsed.success) return { config: null, issues: [...issues, ...zodIssues(parsed.error)] };
  const config = parsed.data;
  if (!('decoy' in config.upstreams)) config.upstreams['decoy'] = { type: 'decoy' };
  issues.push(...checkRules(config));
  if (issues.some((i) => i.level === 'error')) return { config: null, issues };
  return { config: deepFreeze(config), issues };
}

export async function loadConfigText(
  text: string,
  options: { env?: Env; baseDir?: string; file?: string } = {},
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
