/**
 * Typed errors and the one table that maps them to exit codes.
 * Every command throws; only lib/cli/main.ts turns an error into an exit code.
 */

export const ExitCode = {
  /** Everything passed. */
  ok: 0,
  /** Bad flags, unknown scenario or profile, invalid config. */
  usage: 2,
  /** At least one verdict is inconclusive (the generator never offered the load), and --fail-on-inconclusive is set. */
  inconclusive: 3,
  /** Infrastructure failure: k6 missing or crashed, target unreachable at the start, InfluxDB required but down. */
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
