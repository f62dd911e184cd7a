/**
 * The one function that maps what happened to the process exit code (the table is ExitCode in
 * lib/contract/errors.ts, documented in the README and docs/ci.md). Steps return a typed outcome or
 * throw typed errors; every command hands its outcome, or the error it ended with, to
 * `exitCode`, and lib/cli/main.ts sets the process's exit code from it in one place.
 */
import { ExitCode, type ExitCodeValue, isSystemError, LoadgateError } from './errors.ts';

/**
 * Steps whose failure fails the command: without them there is no result to gate on or to
 * read. `k6` (the load itself), `analysis` (analysis.json), `verdict` (verdict.json, junit.xml,
 * summary.md), `report` (report.html), `phase` (a demo phase as a whole), `tools` (a tool
 * `doctor` finds missing).
 */
export const MANDATORY_STEPS = ['k6', 'analysis', 'verdict', 'report', 'phase', 'tools'] as const;
export type MandatoryStep = (typeof MANDATORY_STEPS)[number];

/**
 * Sinks whose failure is a warning and never changes the exit code: InfluxDB publishing
 * (unless `--influx-required`, checked before any load) and the history record (unless
 * `--against-history` asks for a judgement from it: then a history that cannot be read is 5).
 */
export const OPTIONAL_SINKS = ['influx', 'history'] as const;
export type OptionalSink = (typeof OPTIONAL_SINKS)[number];

export interface StepFailure {
  step: MandatoryStep;
  error: unknown;
}

/** What a command ended with, for the exit code. Every field is optional: `{}` is exit 0. */
export interface Outcome {
  /** Stopped by SIGINT or SIGTERM: 130 whatever else happened (what was collected is kept). */
  interrupted?: boolean;
  /** Mandatory steps that failed, in the order they count: the first one's code wins. */
  failures?: readonly StepFailure[];
  /** The gating verdict (its threshold set only; the production gate never counts); null: none. */
  verdict?: { status: 'pass' | 'fail' | 'inconclusive' } | null;
  /** `--fail-on-inconclusive`: an inconclusive verdict is 3, else 0. */
  failOnInconclusive?: boolean;
  /**
   * `--against-history`: the judgement, or why it could not be made (a string). Null or absent
   * when not asked (the history step then leaves both null).
   */
  againstHistory?: { judgement: { status: string } | null; gateError: string | null } | null;
}

/**
 * The exit code of an outcome, or of the error a command ended with. In order:
 * - interrupted: 130;
 * - a mandatory step that failed: the first one's code (k6 failing is 4; a typed error carries
 *   its own; a write the file system refused, a full disk, is 4; the analysis or the verdict
 *   failing otherwise is 5, results unreadable; any other step's operating-system error is 4,
 *   anything else 70);
 * - a breach of the gating verdict: 99 (it wins over the history);
 * - `--against-history` that could not read the history: 5; a regression: 98;
 * - an inconclusive verdict with `--fail-on-inconclusive`: 3;
 * - else 0.
 */
export function exitCode(what: Outcome | { error: unknown }): ExitCodeValue {
  if ('error' in what) return errorCode(what.error);
  if (what.interrupted) return ExitCode.interrupted;
  const failure = what.failures?.[0];
  if (failure) return failureCode(failure);
  if (what.verdict?.status === 'fail') return ExitCode.breach;
  if (what.againstHistory?.gateError != null) return ExitCode.data;
  if (what.againstHistory?.judgement?.status === 'regressed') return ExitCode.regressed;
  if (what.verdict?.status === 'inconclusive' && what.failOnInconclusive) return ExitCode.inconclusive;
  return ExitCode.ok;
}

/**
 * The errno codes of a write the file system refused (full, over quota, read-only): the
 * machine's fault, whatever the step, never the results'.
 */
const REFUSED_WRITES = new Set(['ENOSPC', 'EDQUOT', 'EROFS']);

function failureCode({ step, error }: StepFailure): ExitCodeValue {
  if (isSystemError(error) && REFUSED_WRITES.has(error.code)) return ExitCode.infra;
  // A step that reads raw results or writes the verdict failed: the results are unusable.
  if ((step === 'analysis' || step === 'verdict') && !(error instanceof LoadgateError)) return ExitCode.data;
  return errorCode(error);
}

/**
 * A typed error carries its own code; an operating-system error nobody foresaw (a disk full, a
 * file loadgate may not write) is infrastructure; anything else is an internal error, never
 * Node's own 1.
 */
function errorCode(err: unknown): ExitCodeValue {
  if (err instanceof LoadgateError) return err.exitCode;
  if (isSystemError(err)) return ExitCode.infra;
  return ExitCode.internal;
}
