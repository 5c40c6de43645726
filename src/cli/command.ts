import type { ParseArgsConfig } from 'node:util';

export interface CliIo {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly signal: AbortSignal;
}

/** One `blurmm <name>` subcommand. Options are parsed with node:util parseArgs (strict). */
export interface CliCommand {
  readonly name: string;
  readonly summary: string;
  /** usage lines shown by `blurmm <name> --help` */
  readonly usage: string;
  readonly options: NonNullable<ParseArgsConfig['options']>;
  /** returns the exit code */
  run(args: { values: Record<string, string | boolean | (string | boolean)[] | undefined>; positionals: string[] }, io: CliIo): Promise<number>;
}

/** Exit codes: 0 ok, 1 failure on bad input or processing, 2 usage error, 3 finished with tile failures. */
export const EXIT = { ok: 0, failure: 1, usage: 2, partial: 3 } as const;
