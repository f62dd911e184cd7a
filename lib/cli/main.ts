/**
 * The thin CLI: parse, dispatch, and turn each command's outcome or error into the exit code
 * (lib/contract/exit.ts), set in one place (`exitWith`).
 * Each subcommand lives in lib/cli/commands/<name>.ts and exports `register(program)`.
 */
import { Command, CommanderError } from 'commander';
import { exitCode } from '../contract/exit.ts';
import { ExitCode, isSystemError, LoadgateError, UsageError } from '../contract/errors.ts';
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

/** Runs the CLI and returns the process exit code; never sets it itself (see `cli`). */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  let code: number = exitCode({});
  program.hook('postAction', (_this, action) => {
    const outcome = outcomeOf(action);
    if (outcome !== undefined) code = exitCode(outcome);
  });
  try {
    await program.parseAsync(argv);
    return code;
  } catch (err) {
    return exitCodeFor(err, { debug: debugOf(argv) });
  }
}

/** For bin/loadgate.js: the fault handlers, the CLI, and its exit code set on the process. */
export async function cli(argv: string[] = process.argv): Promise<void> {
  installFaultHandlers(argv);
  exitWith(await main(argv));
}

/** The one place the process's exit code is set; `now` ends the process at once (a fault). */
function exitWith(code: number, now = false): void {
  process.exitCode = code;
  if (now) process.exit();
}

/**
 * For bin/loadgate.js only (through `cli`): an error that escapes every await (a rejected
 * promise nobody awaits, an error thrown in a callback) still ends with a documented exit code
 * and one line, not Node's exit 1 and a stack trace. k6, started under setpriv --pdeathsig,
 * stops with it.
 */
export function installFaultHandlers(argv: readonly string[] = process.argv): void {
  const fault = (err: unknown) => exitWith(exitCodeFor(err, { debug: debugOf(argv) }), true);
  process.on('uncaughtException', fault);
  process.on('unhandledRejection', fault);
}

const firstLine = (text: string) => text.split('\n').find((l) => l.trim() !== '') ?? text;

/**
 * The error a command ended with: printed here, in the one place that prints errors (one line
 * each, a config error lists its issues; the stack trace only with `--debug`), and mapped to its
 * code by `exitCode` (lib/contract/exit.ts). Commander's own errors are usage (2), except
 * --help and --version.
 */
export function exitCodeFor(err: unknown, o: { debug?: boolean } = {}): number {
  if (err instanceof CommanderError) {
    // --help and --version are not errors; commander already printed what it had to.
    const shown = err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help';
    return exitCode(shown ? {} : { error: new UsageError(err.message) });
  }
  const code = exitCode({ error: err });
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
