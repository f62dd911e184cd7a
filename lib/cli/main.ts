/**
 * The thin CLI: parse, dispatch, and map typed errors to exit codes in one place.
 * Each subcommand lives in lib/cli/commands/<name>.ts and exports `register(program)`.
 */
import { Command, CommanderError } from 'commander';
import { ExitCode, exitCodeOf, isSystemError, LoadgateError } from './errors.ts';
import { commands } from './commands/index.ts';
import { outcomeOf } from './outcome.ts';
import { versionText } from './version.ts';

export function buildProgram(): Command {
  const program = new Command('loadgate')
    .description('Load and timeout analysis harness for HTTP APIs, on top of real k6')
    .showHelpAfterError()
    .exitOverride()
    .option('-V, --version', "print loadgate's version, the k6 version it pins and the k6 binary's own")
    // Read by main from argv (debugOf), so that it holds for errors while parsing too.
    .option('--debug', 'print the stack trace with an error (also LOADGATE_DEBUG=1)');
  // Handled while parsing, like commander's own --version, but the text is made only when asked
  // for (it runs `k6 version`), not at every start.
  program.on('option:version', () => {
    process.stdout.write(versionText());
    throw new CommanderError(ExitCode.ok, 'commander.version', 'version printed');
  });
  for (const register of commands) register(program);
  return program;
}

/** `--debug` or LOADGATE_DEBUG=1: stack traces with errors. Read from argv, so it holds when parsing itself failed. */
export function debugOf(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env['LOADGATE_DEBUG'];
  return argv.includes('--debug') || (v !== undefined && v !== '' && v !== '0' && v !== 'false');
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
    return exitCodeFor(err, { debug: debugOf(argv) });
  }
}

/**
 * For bin/loadgate.js only: an error that escapes every await (a rejected promise nobody
 * awaits, an error thrown in a callback) still ends with a documented exit code and one line,
 * not Node's exit 1 and a stack trace. k6, started under setpriv --pdeathsig, stops with it.
 */
export function installFaultHandlers(argv: readonly string[] = process.argv): void {
  const fault = (err: unknown) => {
    process.exitCode = exitCodeFor(err, { debug: debugOf(argv) });
    process.exit();
  };
  process.on('uncaughtException', fault);
  process.on('unhandledRejection', fault);
}

const firstLine = (text: string) => text.split('\n').find((l) => l.trim() !== '') ?? text;

/**
 * The single mapping from thrown errors to exit codes, and the one place that prints them: one
 * line each (a config error lists its issues), the stack trace only with `--debug`. Typed errors
 * carry their code; an operating-system error nobody foresaw (a disk full, a file it may not
 * write) is infrastructure (4); anything else is an internal error (70), never Node's own 1.
 */
export function exitCodeFor(err: unknown, o: { debug?: boolean } = {}): number {
  if (err instanceof CommanderError) {
    // --help and --version are not errors; commander already printed what it had to.
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') {
      return ExitCode.ok;
    }
    return ExitCode.usage;
  }
  const code = exitCodeOf(err);
  if (err instanceof LoadgateError) {
    process.stderr.write(`loadgate: ${err.message}\n`);
  } else if (isSystemError(err)) {
    process.stderr.write(
      `loadgate: system error: ${firstLine(err.message)}${o.debug ? '' : ' (rerun with --debug for the stack trace)'}\n`,
    );
  } else {
    const what = err instanceof Error ? `${err.name === 'Error' ? '' : `${err.name}: `}${firstLine(err.message)}` : String(err);
    process.stderr.write(
      `loadgate: internal error: ${what}${o.debug ? '' : ' (a bug in loadgate: rerun with --debug for the stack trace, and report it)'}\n`,
    );
  }
  if (o.debug) process.stderr.write(`${stackOf(err)}\n`);
  return code;
}

/** The stack trace, and those of the causes. */
function stackOf(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e !== undefined && depth < 5; depth++) {
    parts.push(e instanceof Error ? (e.stack ?? e.message) : String(e));
    e = e instanceof Error ? e.cause : undefined;
    if (e !== undefined) parts.push('caused by:');
  }
  return parts.join('\n');
}
