/**
 * After k6: analysis → verdict (verdict.json, junit.xml, summary.md) → HTML report → observers.
 * Runs for every run, interrupted and aborted ones included, so nothing collected is lost.
 */
import { ExitCode, LoadgateError } from '../cli/errors.ts';
import { analyzeRun, writeAnalysis } from '../analysis/analyze.ts';
import { judgeRun } from '../verdict/judge.ts';
import { writeRunReport } from '../report/files.ts';
import type { RunObserver } from './observer.ts';
import type { ThresholdSet } from '../../thresholds/schema.ts';

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
  failOnInconclusive: boolean;
  /**
   * History (issue 13): judge the run against the recent runs of its shape too (`--against-history`);
   * default: the LOADGATE_AGAINST_HISTORY env var, which `--against-history` sets (lib/cli/flags.ts).
   */
  againstHistory?: boolean;
  observers: RunObserver[];
  log: (line: string) => void;
}

export interface PostResult {
  verdictExitCode: number;
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
  const analysis = await step('analysis', o.log, async () => {
    const a = await analyzeRun(runDir);
    await writeAnalysis(runDir, a);
    return a;
  });
  if (!analysis.ok) {
    const code = analysis.error instanceof LoadgateError ? analysis.error.exitCode : ExitCode.data;
    return { verdictExitCode: code, reportPath: null };
  }
  const verdict = await step('verdict', o.log, () =>
    judgeRun(runDir, {
      set: o.thresholds,
      failOnInconclusive: o.failOnInconclusive,
      ...(o.productionSet !== undefined ? { productionSet: o.productionSet } : {}),
      ...(o.userSets !== undefined ? { userSets: o.userSets } : {}),
    }),
  );
  const report = await step('report', o.log, () => writeRunReport(runDir));
  // History (issue 13): record the run in <outDir>/history.sqlite (a failure is a warning; the run
  // directory is whole either way) and, when asked, judge it against the recent runs of its shape.
  let verdictExitCode: number = verdict.ok ? verdict.value.exitCode : ExitCode.data;
  const env = process.env['LOADGATE_AGAINST_HISTORY'];
  const againstHistory = o.againstHistory ?? (env !== undefined && env !== '' && env !== '0' && env !== 'false');
  const history = await step('history', o.log, async () => {
    const { historyStep, exitCodeWithHistory } = await import('../history/step.ts');
    const h = await historyStep(runDir, {
      analysis: analysis.value,
      verdict: verdict.ok ? verdict.value.verdict : null,
      againstHistory,
      detectSource: true,
      log: o.log,
    });
    return exitCodeWithHistory(verdictExitCode, h);
  });
  if (history.ok) verdictExitCode = history.value;
  else if (againstHistory && (verdictExitCode === ExitCode.ok || verdictExitCode === ExitCode.inconclusive))
    verdictExitCode = ExitCode.data;
  for (const observer of o.observers) {
    await step(`${observer.name} results`, o.log, async () => observer.onResults?.(runDir));
  }
  if (report.ok) o.log(`report: ${report.value}`);
  return {
    verdictExitCode,
    reportPath: report.ok ? report.value : null,
  };
}
