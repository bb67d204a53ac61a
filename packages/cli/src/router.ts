import { CliError, EXIT } from './cliError.js';
import type { CommandIo } from './commandIo.js';
import { explainCommand } from './explain/explainCommand.js';
import { migrateCommand } from './migrate/migrateCommand.js';
import { simulateAddCommand, simulateDrainCommand } from './simulate/simulateCommand.js';
import { statusCommand } from './status/statusCommand.js';

/** A subcommand: `run` returns the exit code; expected failures throw CliError. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly run: (args: string[], io: CommandIo) => Promise<number>;
}

/** Every subcommand, in the order `--help` lists them. */
export const COMMANDS: readonly Command[] = [statusCommand, explainCommand, simulateDrainCommand, simulateAddCommand, migrateCommand];

export function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'kubectl herald: operate herald, the bare-metal LoadBalancer',
    '',
    'Usage: kubectl herald COMMAND [flags]   (kubectl herald COMMAND --help for its flags)',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
  ].join('\n');
}

/** Picks the subcommand named by the first argument and runs it with the rest. */
export async function route(argv: string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(usage());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) throw new CliError(`unknown command "${name}"\n\n${usage()}`, EXIT.usage);
  return command.run(rest, io);
}
