/** The verdict → the process exit code (the table is in docs/ci.md). */
import { ExitCode } from '../cli/errors.ts';
import type { Verdict } from './schema.ts';

export interface ExitOptions {
  /** Inconclusive verdicts fail CI with ExitCode.inconclusive (3); otherwise they exit 0 with a warning. */
  failOnInconclusive: boolean;
}

export function exitCodeForVerdict(
  verdict: Pick<Verdict, 'status'>,
  opts: ExitOptions,
): typeof ExitCode.ok | typeof ExitCode.breach | typeof ExitCode.inconclusive {
  switch (verdict.status) {
    case 'fail':
      return ExitCode.breach;
    case 'inconclusive':
      return opts.failOnInconclusive ? ExitCode.inconclusive : ExitCode.ok;
    case 'pass':
      return ExitCode.ok;
  }
}
