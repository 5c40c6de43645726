import { parseArgs } from 'node:util';
import { isBlurmmError } from '../core/errors.js';
import { BLURMM_VERSION } from '../core/version.js';
import { EXIT, type CliCommand, type CliIo } from './command.js';
import { loadCommands } from './commands/index.js';

function usage(commands: CliCommand[]): string {
  const w = Math.max(...commands.map((c) => c.name.length));
  return [
    `blurmm ${BLURMM_VERSION}: blur-aware tile predictions on whole-slide images`,
    '',
    'Usage: blurmm <command> [options]   (blurmm <command> --help for its options)',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
    '',
  ].join('\n');
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  const commands = await loadCommands();
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(usage(commands));
    return name ? EXIT.ok : EXIT.usage;
  }
  if (name === '--version' || name === '-v') {
    io.stdout.write(`${BLURMM_VERSION}\n`);
    return EXIT.ok;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(`blurmm: unknown command "${name}". Commands: ${commands.map((c) => c.name).join(', ')}\n`);
    return EXIT.usage;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: { ...command.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (err) {
    io.stderr.write(`blurmm ${name}: ${(err as Error).message}\n${command.usage}\n`);
    return EXIT.usage;
  }
  if (parsed.values.help) {
    io.stdout.write(`${command.summary}\n\n${command.usage}\n`);
    return EXIT.ok;
  }
  try {
    return await command.run(parsed as { values: Record<string, string | boolean | (string | boolean)[] | undefined>; positionals: string[] }, io);
  } catch (err) {
    if (isBlurmmError(err)) {
      io.stderr.write(`blurmm ${name}: ${err.message} [${err.code}]\n`);
      return err.code === 'E_ARGUMENT' ? EXIT.usage : EXIT.failure;
    }
    io.stderr.write(`blurmm ${name}: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`);
    return EXIT.failure;
  }
}

const controller = new AbortController();
let interrupts = 0;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    interrupts++;
    if (interrupts > 1) process.exit(sig === 'SIGINT' ? 130 : 143);
    controller.abort(new Error(sig === 'SIGINT' ? 'interrupted (Ctrl-C)' : 'terminated (SIGTERM)'));
  });
}
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
});

main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, signal: controller.signal }).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`blurmm: ${String(err)}\n`);
    process.exitCode = EXIT.failure;
  },
);
