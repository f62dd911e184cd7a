/**
 * Typed errors and the table of exit codes. Every command throws or returns an outcome;
 * lib/contract/exit.ts maps either to its code, and lib/cli/main.ts sets it.
 */

export const ExitCode = {
  /** Everything passed. */
  ok: 0,
  /**
   * Bad flags, unknown scenario or profile, invalid config, a target outside loopback that is not
   * allowed, a results directory (`--out`) that cannot be created or written.
   */
  usage: 2,
  /** At least one verdict is inconclusive (the generator never offered the load), and --fail-on-inconclusive is set. */
  inconclusive: 3,
  /**
   * Infrastructure failure: k6 missing or crashed, target unreachable at the start, InfluxDB
   * required but down, a port the reference API cannot listen on, a disk full at the start; a
   * mandatory step after k6 (the HTML report) that could not write its file.
   */
  infra: 4,
  /** Results unreadable: empty or corrupt beyond recovery. */
  data: 5,
  /**
   * Regressed against history (`--against-history`): beyond noise against the recent runs of the
   * same shape, while no target was breached (a breach, 99, wins).
   */
  regressed: 98,
  /** A target was breached (the code k6 itself uses for a threshold breach). */
  breach: 99,
  /**
   * An internal error: something loadgate did not expect (a bug). One line says what failed;
   * `--debug` (or LOADGATE_DEBUG=1) prints the stack trace. sysexits.h's EX_SOFTWARE. Also
   * a mandatory step after k6 (the HTML report) that failed without a typed or system error.
   */
  internal: 70,
  /** Interrupted by SIGINT/SIGTERM; results collected so far are kept. */
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export class LoadgateError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad flags or arguments. */
export class UsageError extends LoadgateError {
  constructor(message: string) {
    super(message, ExitCode.usage);
  }
}

/** A config file or value that does not validate; the message names the path. */
export class ConfigError extends LoadgateError {
  constructor(message: string) {
    super(message, ExitCode.usage);
  }
}

/** Something outside loadgate failed: a missing tool, a crashed process, an unreachable service. */
export class InfraError extends LoadgateError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.infra, options);
  }
}

/** Result files that cannot yield an analysis. */
export class DataError extends LoadgateError {
  constructor(message: string) {
    super(message, ExitCode.data);
  }
}

/** An error from a system call (Node's SystemError): an errno code and the call's name. */
export function isSystemError(err: unknown): err is Error & { code: string; syscall: string; path?: string } {
  if (!(err instanceof Error)) return false;
  const e = err as Error & { code?: unknown; syscall?: unknown };
  return typeof e.code === 'string' && /^E[A-Z0-9]+$/.test(e.code) && typeof e.syscall === 'string';
}
