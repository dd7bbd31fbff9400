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
