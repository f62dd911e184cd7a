/**
 * After k6: analysis → verdict (verdict.json, junit.xml, summary.md) → HTML report → observers.
 * Runs for every run, interrupted and aborted ones included, so nothing collected is lost.
 */
import { join } from 'node:path';
import type { Outcome, StepFailure } from '../contract/exit.ts';
import { analyzeRun, writeAnalysis } from '../analysis/analyze.ts';
import { judgeRun } from '../verdict/judge.ts';
import { writeRunReport } from '../report/files.ts';
import type { RunObserver } from '../contract/observer.ts';
import type { ThresholdSet } from '../contract/thresholds.ts';
import type { Verdict } from '../contract/verdict.ts';

export interface PostOptions {
  /** The resolved set (the one k6's thresholds came from), so a config's own sets need no second lookup. */
  thresholds: { name: string; set: ThresholdSet };
  /**
   * The production gate the run is judged against too (verdict.json's `production`; it never
   * changes the exit code): a set name or a resolved set. Default `production`, looked up in
   * `userSets`, then the built-in sets.
   */
  productionSet?: string | { name: string; set: ThresholdSet };
  /** The config's own threshold sets, so a `production` (or other named production set) of the config's wins. */
  userSets?: Record<string, ThresholdSet>;
  /**
   * History (issue 13): judge the run against the recent runs of its shape too (`--against-history`);
   * default: the LOADGATE_AGAINST_HISTORY env var, which `--against-history` sets (lib/cli/flags.ts).
   */
  againstHistory?: boolean;
  observers: RunObserver[];
  log: (line: string) => void;
}

/**
 * What the steps after k6 ended with, for the exit code (lib/contract/exit.ts): the mandatory
 * steps that failed (analysis, verdict, report), the verdict, the history judgement when asked.
 * The optional sinks (InfluxDB, the history record) only warn.
 */
export interface PostResult {
  failures: StepFailure[];
  verdict: Verdict | null;
  againstHistory: Outcome['againstHistory'];
  reportPath: string | null;
}

async function step<T>(
  name: string,
  log: (l: string) => void,
  fn: () => Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await fn() };
  } catch (error) {
    log(`${name} failed: ${error instanceof Error ? error.message : String(error)}`);
    return { ok: false, error };
  }
}

export async function postProcess(runDir: string, o: PostOptions): Promise<PostResult> {
  const failures: StepFailure[] = [];
  const analysis = await step('analysis', o.log, async () => {
    const a = await analyzeRun(runDir);
    await writeAnalysis(runDir, a);
    return a;
  });
  if (!analysis.ok) {
    failures.push({ step: 'analysis', error: analysis.error });
    return { failures, verdict: null, againstHistory: null, reportPath: null };
  }
  const verdict = await step('verdict', o.log, () =>
    judgeRun(runDir, {
      set: o.thresholds,
      ...(o.productionSet !== undefined ? { productionSet: o.productionSet } : {}),
      ...(o.userSets !== undefined ? { userSets: o.userSets } : {}),
    }),
  );
  if (!verdict.ok) failures.push({ step: 'verdict', error: verdict.error });
  // The report is mandatory: a run whose report failed is never exit 0 (the message names it).
  const report = await step(`report ${join(runDir, 'report.html')}`, o.log, () => writeRunReport(runDir));
  if (!report.ok) failures.push({ step: 'report', error: report.error });
  // History (issue 13), an optional sink: record the run in <outDir>/history.sqlite (a failure is
  // a warning; the run directory is whole either way) and, when asked, judge it against the
  // recent runs of its shape (then a history that cannot be read is exit 5).
  const env = process.env['LOADGATE_AGAINST_HISTORY'];
  const againstHistory = o.againstHistory ?? (env !== undefined && env !== '' && env !== '0' && env !== 'false');
  const history = await step('history', o.log, async () => {
    const { historyStep } = await import('./history.ts');
    return historyStep(runDir, {
      analysis: analysis.value,
      verdict: verdict.ok ? verdict.value.verdict : null,
      againstHistory,
      detectSource: true,
      log: o.log,
    });
  });
  // Optional sinks (InfluxDB): a failure is logged, never the exit code.
  for (const observer of o.observers) {
    await step(`${observer.name} results`, o.log, async () => observer.onResults?.(runDir));
  }
  if (report.ok) o.log(`report: ${report.value}`);
  return {
    failures,
    verdict: verdict.ok ? verdict.value.verdict : null,
    againstHistory: history.ok
      ? history.value
      : againstHistory
        ? { judgement: null, gateError: history.error instanceof Error ? history.error.message : String(history.error) }
        : null,
    reportPath: report.ok ? report.value : null,
  };
}
