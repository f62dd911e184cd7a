/**
 * A whole `loadgate run`: choose targets, run k6, then analyse, judge and report — and return
 * what it ended with as a typed outcome (lib/contract/exit.ts maps it to the exit code).
 * Results already collected are kept whatever fails later: each step after k6 runs on its own,
 * and a failing step is reported, never allowed to hide the others.
 */
import { UsageError } from '../contract/errors.ts';
import type { Outcome, StepFailure } from '../contract/exit.ts';
import { K6Error } from '../k6/runner.ts';
import type { Config } from '../config/schema.ts';
import type { RunObserver } from '../contract/observer.ts';
import { progressMode } from '../run/progress.ts';
import { runTest, type RunOutcome } from '../run/run.ts';
import { chooseThresholdSet, userSets } from '../run/targets.ts';
import type { InfluxMode, RunRecord } from '../contract/run.ts';
import { postProcess } from './post.ts';
import { checkOutDir, checkTarget, outDirSource } from '../run/guard.ts';
import { segmentEnd } from '../run/segments.ts';

/** The flags of the commands that run load (run, demo; lib/cli/flags.ts describes them once). */
export interface CommonRunFlags {
  config?: string;
  target?: string;
  out?: string;
  rps?: number;
  durationScale?: number;
  maxVus?: number;
  thresholdSet?: string;
  failOnInconclusive?: boolean;
  influx?: string;
  influxDb?: string;
  influxRequired?: boolean;
  /** What streams the live figures (lib/contract/run.ts INFLUX_MODES); default `aggregate`. */
  influxMode?: InfluxMode;
  progress?: 'tty' | 'plain' | 'none';
  /** History (issue 13): judge the run against the recent runs of its shape too; exit 98 on a regression. */
  againstHistory?: boolean;
  /** k6 processes to split the test across (k6 execution segments); overrides the config's `load.segments`. */
  segments?: number;
  /** `run` only: the network namespace that holds the target; each segment's k6 gets a namespace of its own. */
  segmentsNetns?: string;
  /** Hosts outside loopback the load may go to, beside the config's `target.allow` (lib/run/guard.ts). */
  allowTarget?: string[];
}

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
  /** How k6 went: the run record, its result, each segment's. */
  run: RunOutcome;
  /** What the run ended with, for the exit code. */
  outcome: Outcome;
}

export async function executeRun(o: ExecuteOptions): Promise<ExecuteResult> {
  const env = o.env ?? process.env;
  // --segments beats the config's load.segments (flags > config file > defaults).
  const config = o.flags.segments === undefined ? o.config : { ...o.config, load: { ...o.config.load, segments: o.flags.segments } };
  if (o.flags.segmentsNetns !== undefined && o.flags.influx) {
    throw new UsageError(
      "--segments-netns with --influx: k6 in the segment namespaces cannot reach InfluxDB, which listens in loadgate's own; " +
        'run without --influx (the analysis has every sample), or without --segments-netns',
    );
  }
  // Before anything starts (InfluxDB, k6, the pre-flight request, the network namespaces): where
  // the load may go, and whether the results can be kept.
  checkTarget(config.target.baseUrl, [...config.target.allow, ...(o.flags.allowTarget ?? [])]);
  await checkOutDir(config.outDir, outDirSource(o.flags.out, env));
  const thresholds = chooseThresholdSet(config, o.phase);
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
      ...(o.flags.influxMode !== undefined ? { mode: o.flags.influxMode } : {}),
      log: o.log,
      sets: userSets(config),
    });
    influxRecord = influx.record;
    observers.push(influx.observer);
    if (influx.k6Output) extraOutputs.push(influx.k6Output);
    Object.assign(extraEnv, influx.k6Env);
  }

  const outcome = await runTest({
    config,
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
    segmentsNetns: o.flags.segmentsNetns ?? null,
    log: o.log,
  });

  const post = await postProcess(outcome.runDir, { thresholds, observers, log: o.log });
  for (const observer of observers) await Promise.resolve(observer.close?.()).catch(() => undefined);

  const interrupted = outcome.record.status === 'interrupted';
  // k6 failing as a process counts before any step after it (their failure then follows from it).
  const k6 = interrupted ? null : k6Failure(outcome, o.log);
  const failures: StepFailure[] = [...(k6 ? [{ step: 'k6' as const, error: k6 }] : []), ...post.failures];
  return {
    runDir: outcome.runDir,
    run: outcome,
    outcome: {
      interrupted,
      failures,
      verdict: post.verdict,
      failOnInconclusive: o.flags.failOnInconclusive === true,
      againstHistory: post.againstHistory,
    },
  };
}

/** k6 failed as a process (or one segment's k6 did): the error, once its story is logged; else null. */
export function k6Failure(outcome: RunOutcome, log: (l: string) => void): K6Error | null {
  if (outcome.record.status === 'failed' && outcome.segments) {
    // A segmented run: name each failed process; the others' data was analysed and reported.
    const failed = outcome.segments.filter((x) => x.record.status === 'failed');
    for (const x of failed) {
      const r = x.record;
      // From the synchronised start (the test's), else from when loadgate began the run.
      const from = Date.parse(r.startedAt ?? outcome.record.startedAt);
      const at =
        r.endedAt === null
          ? ''
          : ` ${((Date.parse(r.endedAt) - from) / 1000).toFixed(1)} s ${r.startedAt ? 'into the test' : 'after the run started'}`;
      const how = x.result ? `k6 ${segmentEnd(x.result)}` : (x.error?.message ?? 'k6 did not start');
      log(
        `segment ${r.index} of ${outcome.segments.length} (${r.segment}) failed${at}: ${how}${x.result?.tail.length ? `: ${x.result.tail.slice(-2).join(' | ')}` : ''}`,
      );
    }
    if (outcome.record.partial) {
      log(
        `partial run: ${outcome.segments.length - failed.length} of ${outcome.segments.length} segments ran to the end; ` +
          'the analysis and report cover every sample written, the failed segments\' up to their end (run.json "partial": true)',
      );
    }
    return new K6Error('a k6 segment failed', outcome.k6.exitCode);
  }
  if (outcome.record.status === 'failed') {
    const err = new K6Error(
      `k6 failed (${segmentEnd(outcome.k6)})${outcome.k6.tail.length ? `: ${outcome.k6.tail.slice(-3).join(' | ')}` : ''}`,
      outcome.k6.exitCode,
    );
    log(err.message);
    return err;
  }
  return null;
}
