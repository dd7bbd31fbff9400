/** Run a CLI command in-process with captured output: the commands take their io as an argument. */
import { PassThrough } from 'node:stream';
import type { CliIO } from '../../src/cli/io.js';

export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

export async function captureCli(command: (io: CliIO) => Promise<number>, argv: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await command({ argv, env, stdout, stderr });
  return { code, out, err };
}
