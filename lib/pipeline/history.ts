/**
 * The history step of `loadgate run` (lib/pipeline/post.ts) and `loadgate verdict`: record the run
 * in its results directory's history and, with `--against-history`, judge it against the recent
 * runs of its shape: `<run-dir>/against-history.json`, and junit.xml and summary.md rendered
 * again with the regressions named.
 *
 * Recording is best effort: a history that cannot be written is a warning and the run stays
 * whole in its directory (`loadgate history import` adds it later). The gate is not: when it
 * was asked for and cannot read the history, the step says so and the exit code says data (5).
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Analysis } from '../contract/analysis.ts';
import { RUN_FILES, RunDir } from '../contract/run-dir.ts';
import type { Verdict } from '../contract/verdict.ts';
import { VERDICT_FILES } from '../verdict/judge.ts';
import { renderJunit } from '../verdict/junit.ts';
import { renderMarkdown } from '../verdict/markdown.ts';
import { readRunInputs } from '../contract/run-inputs.ts';
import { entryFor, recordRun } from '../history/record.ts';
import { judgeAgainstHistory } from '../history/gate.ts';
import { HistoryJudgementSchema, type HistoryEntry, type HistoryJudgement } from '../contract/history.ts';
import { HistoryStore, historyPath } from '../history/store.ts';
import { DEFAULT_GATE } from '../history/gate.ts';
import { findingMessage, judgementSentence } from '../shared/history-format.ts';

export const AGAINST_HISTORY_FILE = RUN_FILES.againstHistory.name;

export interface HistoryStepOptions {
  analysis?: Analysis;
  verdict?: Verdict | null;
  /** Judge the run against the history of its shape. */
  againstHistory: boolean;
  /** Detect the run's commit and branch now (at run time; not when re-judging an old run). */
  detectSource: boolean;
  /**
   * Create the history when the results directory has none (`loadgate run`). `loadgate verdict`
   * updates a history that is there (or that --against-history needs), and leaves directories
   * without one alone: a run judged in /tmp does not plant a history beside it.
   */
  create?: boolean;
  log: (line: string) => void;
  historyFile?: string;
  env?: NodeJS.ProcessEnv;
  now?: Date;
}

export interface HistoryStepResult {
  entry: HistoryEntry | null;
  /** How long recording took, ms (the cost `loadgate run` pays). */
  recordMs: number | null;
  judgement: HistoryJudgement | null;
  /** Why the gate could not judge, when it was asked to. */
  gateError: string | null;
  /** summary.md as rendered again with the judgement (null when not rendered). */
  markdown: string | null;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

export async function historyStep(runDir: string, o: HistoryStepOptions): Promise<HistoryStepResult> {
  const file = o.historyFile ?? historyPath(dirname(resolve(runDir)));
  const now = o.now ?? new Date();
  const out: HistoryStepResult = { entry: null, recordMs: null, judgement: null, gateError: null, markdown: null };
  const t0 = performance.now();
  if (o.create === false && !o.againstHistory && !existsSync(file)) return out;
  try {
    out.entry = await recordRun(runDir, {
      historyFile: file,
      detectSource: o.detectSource,
      now,
      ...(o.analysis ? { analysis: o.analysis } : {}),
      ...(o.verdict !== undefined ? { verdict: o.verdict } : {}),
      ...(o.env ? { env: o.env } : {}),
    });
    out.recordMs = performance.now() - t0;
  } catch (err) {
    o.log(
      `warning: history: the run was not recorded in ${file} (${message(err)}); it is kept whole in ${runDir}: \`loadgate history import\` adds it later`,
    );
  }
  if (!o.againstHistory) return out;
  try {
    const current = out.entry ?? (await entryFor(runDir, { historyFile: file }));
    const store = HistoryStore.open(file);
    let earlier: HistoryEntry[];
    try {
      earlier = store.entries({ shape: current.shape, before: current.startedAt, limit: 3 * DEFAULT_GATE.window + 1 });
    } finally {
      store.close();
    }
    const judgement = HistoryJudgementSchema.parse(judgeAgainstHistory(current, earlier, { now }));
    out.judgement = judgement;
    o.log(judgementSentence(judgement));
    const regressions = judgement.findings.filter((f) => f.status === 'regressed');
    for (const f of regressions.slice(0, 10)) o.log(`  ✗ ${findingMessage(f)}`);
    if (regressions.length > 10) o.log(`  … ${regressions.length - 10} more in ${AGAINST_HISTORY_FILE}`);
    const run = new RunDir(runDir);
    await run.write(RUN_FILES.againstHistory, judgement);
    // junit.xml and summary.md again, with the judgement in them.
    const inputs = o.analysis && o.verdict ? { analysis: o.analysis, verdict: o.verdict } : await readRunInputs(runDir);
    if (inputs.verdict) {
      out.markdown = renderMarkdown(inputs.verdict, inputs.analysis, { history: judgement });
      await run.writeText(VERDICT_FILES.junit, renderJunit(inputs.verdict, { history: judgement }));
      await run.writeText(VERDICT_FILES.summary, out.markdown);
    }
  } catch (err) {
    out.gateError = message(err);
    o.log(`against history: not judged: ${out.gateError}`);
  }
  return out;
}
