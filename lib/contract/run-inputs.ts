/**
 * A run directory's analysis.json (required) and verdict.json (optional), as the reports, the
 * terminal summary and the history read them, through the contract's RunDir: a missing verdict is
 * null, a missing analysis or a bad file of either is a RunFileError naming it (exit 5).
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Analysis } from './analysis.ts';
import { UsageError } from './errors.ts';
import { RUN_FILES, RunDir } from './run-dir.ts';
import type { Verdict } from './verdict.ts';

export interface RunInputs {
  runDir: string;
  analysis: Analysis;
  verdict: Verdict | null;
}

/** Reads a run directory's analysis (required) and verdict (optional). */
export async function readRunInputs(runDir: string): Promise<RunInputs> {
  const dir = resolve(runDir);
  const info = await stat(dir).catch(() => null);
  if (!info?.isDirectory()) throw new UsageError(`not a run directory: ${runDir}`);
  const run = new RunDir(dir);
  const analysis = await run.read(RUN_FILES.analysis);
  const verdict = await run.read(RUN_FILES.verdict);
  return { runDir: dir, analysis, verdict };
}
