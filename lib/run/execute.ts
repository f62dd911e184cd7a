/**
 * A whole `loadgate run`: choose targets, run k6, then analyse, judge and report — and pick
 * the exit code. Results already collected are kept whatever fails later: each step after
 * k6 runs on its own, and a failing step is reported, never allowed to hide the others.
 */
import { ExitCode, LoadgateError } from '../cli/errors.ts';
import { K6Error } from '../k6/runner.ts';
import type { CommonRunFlags } from '../cli/flags.ts';
import type { Config } from '../config/schema.ts';
import type { RunObserver } from './observer.ts';
import { progressMode } from './progress.ts';
import { runTest, type RunOutcome } from './run.ts';
import { chooseThresholdSet, userSets } from './targets.ts';
import type { RunRecord } from './schema.ts';
import { postProcess } from './post.ts';

export interface ExecuteOptions {
  config: Config;
  scenario: string;
  profile: string;
  phase: string | null;
  flags: CommonRunFlags;
  log: (line: string) => void;
  env?: NodeJS.ProcessEnv;
  /** Observers beyond the ones the flags ask for (tests, demo). */
  observers?: RunObserver[];
}

export interface ExecuteResult {
  runDir: string;
  exitCode: number;
  outcome: RunOutcome;
}

export async function executeRun(o: ExecuteOptions): Promise<ExecuteResult> {
  const env = o.env ?? process.env;
  const thresholds = chooseThresholdSet(o.config, o.phase);
  const observers = [...(o.observers ?? [])];
  const extraOutputs: string[] = [];
  const extraEnv: Record<string, string> = {};
  let influxRecord: RunRecord['influx'] = null;
  if (o.flags.influx) {
    const { createInfluxObserver } = await import('../influx/observer.ts');
    const influx = await createInfluxObserver({
      url: o.flags.influx,
      database: o.flags.influxDb ?? 'k6',
      required: o.flags.influxRequired === true,
      log: o.log,
      sets: userSets(o.config),
    });
    influxRecord = influx.record;
    observers.push(influx.observer);
    if (influx.k6Output) extraOutputs.push(influx.k6Output);
    Object.assign(extraEnv, influx.k6Env);
  }

  const outcome = await runTest({
    config: o.config,
    scenario: o.scenario,
    profile: o.profile,
    phase: o.phase,
    thresholds,
    env,
    observers,
    extraOutputs,
    extraEnv,
    influx: influxRecord,
    progress: o.flags.progress ?? progressMode(process.stderr, env),
    log: o.log,
  });

  const post = await postProcess(outcome.runDir, {
    thresholds,
    failOnInconclusive: o.flags.failOnInconclusive === true,
    observers,
    log: o.log,
  });
  for (const observer of observers) await Promise.resolve(observer.close?.()).catch(() => undefined);

  return { runDir: outcome.runDir, outcome, exitCode: exitCodeFor(outcome, post.verdictExitCode, o.log) };
}

/**
 * Interrupted beats everything (130); then k6 failing as a process or the target being
 * unreachable at the start (infra, 4); then the verdict (0, 99 or 3); a step that could not
 * produce a verdict gives its own code.
 */
export function exitCodeFor(outcome: RunOutcome, verdictExitCode: number, log: (l: string) => void): number {
  if (outcome.record.status === 'interrupted') return ExitCode.interrupted;
  if (outcome.record.status === 'failed') {
    const err = new K6Error(
      `k6 exited with code ${outcome.k6.exitCode ?? outcome.k6.signal}: ${outcome.k6.tail.slice(-3).join(' | ')}`,
      outcome.k6.exitCode,
    );
    log(err.message);
    return err.exitCode;
  }
  return verdictExitCode;
}

export function errorExitCode(err: unknown): number {
  return err instanceof LoadgateError ? err.exitCode : 1;
}
