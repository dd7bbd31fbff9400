/**
 * `honeygate keys`: its coded error registry and its key file on disk — read (absent is empty),
 * written atomically with its mode kept, its YAML list loaded or created, the default file outside
 * any working tree, and the AWS secrets sidecar beside it. Moved out of keys.ts as is.
 */
import { randomBytes } from 'node:crypto';
import { chmod, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { isMap, isSeq, parseDocument, YAMLMap, YAMLSeq, type Document } from 'yaml';
import { fillTemplate } from '../util/template.js';
import { EXIT_FAILURE, EXIT_USAGE } from './io.js';

/** Every error `honeygate keys` reports: stable code, exit status, message template. */
export const KEYS_ERRORS = {
  HG_KEYS_USAGE: { exit: EXIT_USAGE, message: '{0}' },
  HG_KEYS_NAME_TAKEN: { exit: EXIT_USAGE, message: 'a key named "{0}" is already in {1}' },
  HG_KEYS_FILE_UNREADABLE: { exit: EXIT_FAILURE, message: 'cannot read {0} ({1})' },
  HG_KEYS_FILE_INVALID: { exit: EXIT_FAILURE, message: '{0} is not a key file: {1}' },
  HG_KEYS_FILE_UNWRITABLE: { exit: EXIT_FAILURE, message: 'cannot write {0} ({1})' },
  HG_KEYS_CONFIG_INVALID: { exit: EXIT_FAILURE, message: 'config {0} is not valid:\n{1}' },
  HG_KEYS_NO_SOURCE: { exit: EXIT_FAILURE, message: 'no key file: {0} does not exist (use --file or --config)' },
} as const satisfies Record<string, { readonly exit: number; readonly message: string }>;

export type KeysErrorCode = keyof typeof KEYS_ERRORS;

export class KeysError extends Error {
  override readonly name: KeysErrorCode;
  readonly code: KeysErrorCode;
  readonly exit: number;
  constructor(code: KeysErrorCode, ...args: string[]) {
    super(fillTemplate(KEYS_ERRORS[code].message, args));
    this.name = code;
    this.code = code;
    this.exit = KEYS_ERRORS[code].exit;
  }
}

/** Strip control characters from text shown on a terminal (no escape-sequence injection). */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
}

export async function readText(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (e: unknown) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    if (code === 'ENOENT') return null;
    throw new KeysError('HG_KEYS_FILE_UNREADABLE', file, code);
  }
}

/** Atomic write (temp file + rename) with the given mode. */
export async function writeAtomic(file: string, text: string, mode: number): Promise<void> {
  const tmp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, text, { mode, flag: 'wx' });
    await chmod(tmp, mode);
    await rename(tmp, file);
  } catch (e: unknown) {
    throw new KeysError('HG_KEYS_FILE_UNWRITABLE', file, (e as NodeJS.ErrnoException).code ?? 'error');
  }
}

export async function modeOf(file: string, fallback: number): Promise<number> {
  try {
    return (await stat(file)).mode & 0o777;
  } catch (e: unknown) {
    void e;
    return fallback;
  }
}

/** Load a `{<listKey>: [...]}` YAML document, creating an empty one when the file is new. */
export function loadList(text: string | null, file: string, listKey: string): { doc: Document; list: YAMLSeq } {
  const doc = parseDocument(text ?? '') as unknown as Document;
  if (doc.errors.length > 0) throw new KeysError('HG_KEYS_FILE_INVALID', file, printable(doc.errors[0]?.message.split('\n')[0] ?? 'YAML error'));
  if (doc.contents === null || doc.contents === undefined) doc.contents = new YAMLMap();
  if (!isMap(doc.contents)) throw new KeysError('HG_KEYS_FILE_INVALID', file, `expected a mapping with "${listKey}:"`);
  let list: unknown = doc.get(listKey, true);
  if (list === undefined || list === null || (typeof list === 'object' && 'value' in list && (list as { value: unknown }).value === null)) {
    list = new YAMLSeq();
    doc.set(listKey, list);
  }
  if (!isSeq(list)) throw new KeysError('HG_KEYS_FILE_INVALID', file, `"${listKey}" must be a list`);
  list.flow = false;
  return { doc, list };
}

/**
 * The key file when --file is not given: outside any working tree, in the user's config folder
 * (`$HONEYGATE_KEYS_FILE`, else `$XDG_CONFIG_HOME/honeygate/keys.yaml`, else
 * `~/.config/honeygate/keys.yaml`). A key file in the current folder would be one `git add .` away
 * from a repository — and an AWS pair's sidecar holds the secret itself.
 */
export function defaultKeyFile(env: NodeJS.ProcessEnv): string {
  const explicit = env['HONEYGATE_KEYS_FILE'];
  if (explicit !== undefined && explicit !== '') return explicit;
  const base = env['XDG_CONFIG_HOME'] !== undefined && env['XDG_CONFIG_HOME'] !== '' ? env['XDG_CONFIG_HOME'] : join(env['HOME'] ?? homedir(), '.config');
  return join(base, 'honeygate', 'keys.yaml');
}

export function sidecarPath(file: string): string {
  const dir = dirname(file);
  const base = basename(file).replace(/\.ya?ml$/i, '');
  return join(dir, `${base}.aws-secrets.yaml`);
}
