/** The CLI's world, passed in so tests call commands directly: `main(io)` returns an exit code. */
export interface CliIO {
  readonly argv: string[];
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** resolves when the process should stop (serve); tests pass their own */
  readonly signal?: AbortSignal;
}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A mistake in the command line: the command prints it with its usage text and exits EXIT_USAGE. */
export class UsageError extends Error {}

/**
 * How a command ends when it throws: a UsageError (or a `parseArgs` error passed as one) prints
 * `honeygate <command>: <message>` then the usage text, EXIT_USAGE; anything else prints the
 * message alone, EXIT_FAILURE.
 */
export function commandFailed(io: CliIO, command: string, usage: string, e: unknown): number {
  const message = e instanceof Error ? e.message : String(e);
  if (e instanceof UsageError) {
    io.stderr.write(`honeygate ${command}: ${message}\n\n${usage}`);
    return EXIT_USAGE;
  }
  io.stderr.write(`honeygate ${command}: ${message}\n`);
  return EXIT_FAILURE;
}
