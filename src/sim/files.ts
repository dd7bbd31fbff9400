/**
 * Reading the simulator's data files (`sim/profiles/*.yaml`, `sim/flows/*.yaml`, JSON too):
 * size-capped, YAML with an alias cap, validated by a zod schema into problems with the file
 * name and the dotted path, so a broken file says exactly where it is broken.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';

/** One problem in one data file. */
export interface FileIssue {
  readonly file: string;
  readonly path: string;
  readonly message: string;
}

export function formatFileIssue(issue: FileIssue): string {
  return `${issue.file}: ${issue.path === '' ? '(root)' : issue.path}: ${issue.message}`;
}

export class SimDataError extends Error {
  readonly issues: readonly FileIssue[];
  constructor(issues: readonly FileIssue[]) {
    super(`invalid simulator data:\n${issues.map(formatFileIssue).join('\n')}`);
    this.name = 'SimDataError';
    this.issues = issues;
  }
}

/** The `sim/` folder shipped at the package root (the same from src/sim and dist/sim). */
export function builtinSimDir(): string {
  return fileURLToPath(new URL('../../sim/', import.meta.url));
}

const MAX_FILE_BYTES = 1024 * 1024;
const EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/** Parse a YAML or JSON document; problems go to `issues`, the result is undefined then. */
export function parseDocument(text: string, file: string, issues: FileIssue[]): unknown {
  try {
    if (file.endsWith('.json')) return JSON.parse(text) as unknown;
    return parseYaml(text, { maxAliasCount: 50, uniqueKeys: true }) as unknown;
  } catch (e: unknown) {
    const line = e instanceof YAMLParseError && e.linePos ? ` (line ${e.linePos[0].line})` : '';
    const first = e instanceof Error ? (e.message.split('\n')[0] ?? 'parse error') : 'parse error';
    issues.push({ file, path: '', message: `${file.endsWith('.json') ? 'JSON' : 'YAML'}${line}: ${first}` });
    return undefined;
  }
}

/** Validate a document against a schema; the file's base name must equal its `name`. */
export function validateDocument<T extends { name: string }>(
  schema: z.ZodType<T>,
  doc: unknown,
  file: string,
  issues: FileIssue[],
): T | undefined {
  const parsed = schema.safeParse(doc);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) issues.push({ file, path: issue.path.map(String).join('.'), message: issue.message });
    return undefined;
  }
  const stem = basename(file, extname(file));
  if (parsed.data.name !== stem) {
    issues.push({ file, path: 'name', message: `must equal the file name (${JSON.stringify(stem)})` });
    return undefined;
  }
  return parsed.data;
}

/** Read every data file of a folder (not recursive), sorted by name. A missing folder is empty. */
export async function readFolder(dir: string, issues: FileIssue[]): Promise<Array<{ file: string; doc: unknown }>> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => EXTENSIONS.has(extname(n))).sort();
  } catch (e: unknown) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    issues.push({ file: dir, path: '', message: `cannot read folder: ${(e as NodeJS.ErrnoException).code ?? 'error'}` });
    return [];
  }
  const out: Array<{ file: string; doc: unknown }> = [];
  for (const name of names) {
    const file = join(dir, name);
    try {
      const info = await stat(file);
      if (!info.isFile()) continue;
      if (info.size > MAX_FILE_BYTES) {
        issues.push({ file, path: '', message: `larger than ${MAX_FILE_BYTES} bytes` });
        continue;
      }
      const doc = parseDocument(await readFile(file, 'utf8'), file, issues);
      if (doc !== undefined) out.push({ file, doc });
    } catch (e: unknown) {
      issues.push({ file, path: '', message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? 'error'}` });
    }
  }
  return out;
}
