/**
 * The thin CLI: parse, dispatch, and map typed errors to exit codes in one place.
 * Each subcommand lives in lib/cli/commands/<name>.ts and exports `register(program)`.
 */
import { Command, CommanderError } from 'commander';
import { ExitCode, LoadgateError } from './errors.ts';
import { commands } from './commands/index.ts';
import { outcomeOf } from './outcome.ts';
import { versionText } from './version.ts';

export function buildProgram(): Command {
  const program = new Command('loadgate')
    .description('Load and timeout analysis harness for HTTP APIs, on top of real k6')
    .showHelpAfterError()
    .exitOverride()
    .option('-V, --version', "print loadgate's version, the k6 version it pins and the k6 binary's own");
  // Handled while parsing, like commander's own --version, but the text is made only when asked
  // for (it runs `k6 version`), not at every start.
  program.on('option:version', () => {
    process.stdout.write(versionText());
    throw new CommanderError(ExitCode.ok, 'commander.version', 'version printed');
  });
  for (const register of commands) register(program);
  return program;
}

/** Runs the CLI and returns the process exit code; never calls process.exit itself. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  let code: number = ExitCode.ok;
  program.hook('postAction', (_this, action) => {
    const result = outcomeOf(action);
    if (result !== undefined) code = result;
  });
  try {
    await program.parseAsync(argv);
    return code;
  } catch (err) {
    return exitCodeFor(err);
  }
}

/** The single mapping from thrown errors to exit codes. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) {
    // --help and --version are not errors; commander already printed what it had to.
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') {
      return ExitCode.ok;
    }
    return ExitCode.usage;
  }
  if (err instanceof LoadgateError) {
    process.stderr.write(`loadgate: ${err.message}\n`);
    return err.exitCode;
  }
  process.stderr.write(`loadgate: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return 1;
}
