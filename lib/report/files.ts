/**
 * The file side of the reports: read a run directory's analysis.json and verdict.json
 * (lib/contract/run-inputs.ts), render, write. Errors are typed (lib/contract/errors.ts) so the CLI maps them to exit codes.
 */
import { mkdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from '../contract/errors.ts';
import { writeAtomic } from '../contract/run-dir.ts';
import { readRunInputs, type RunInputs } from '../contract/run-inputs.ts';
import { checkComparable, type ComparedRun } from './compare-model.ts';
import { renderComparison, renderRunReport } from './render.ts';

/** Renders `<runDir>/report.html` (or `out`) from the run's analysis and verdict; returns the path written. */
export async function writeRunReport(runDir: string, now: Date = new Date(), out?: string): Promise<string> {
  const inputs = await readRunInputs(runDir);
  const html = renderRunReport({ analysis: inputs.analysis, verdict: inputs.verdict, now });
  const file = resolve(out ?? join(inputs.runDir, 'report.html'));
  await mkdir(dirname(file), { recursive: true });
  // Atomically (lib/contract/run-dir.ts): a report rewritten by `loadgate verdict` or `report` is never half there.
  return writeAtomic(file, html);
}

export interface ComparisonOptions {
  /** One label per run; default each run's phase, else its profile, else its directory name. */
  labels?: string[];
  /** Render runs that are not comparable, with a warning banner, instead of refusing. */
  force?: boolean;
  now?: Date;
  seed?: number;
}

/** The default label of a run: its phase, else its load profile, else its directory name; made unique. */
export function defaultLabels(runs: RunInputs[]): string[] {
  const raw = runs.map((r) => r.analysis.run.phase ?? r.analysis.run.profile ?? basename(r.runDir));
  return raw.map((l, i) => (raw.indexOf(l) !== i || raw.lastIndexOf(l) !== i ? `${l} #${i + 1}` : l));
}

/**
 * Renders a comparison of two or more runs (in the order given) to `outFile`; returns its path.
 * Throws UsageError when the runs are not comparable, unless `force`.
 */
export async function writeComparison(runDirs: string[], outFile: string, opts: ComparisonOptions = {}): Promise<string> {
  if (runDirs.length < 2) throw new UsageError(`a comparison needs at least two run directories, got ${runDirs.length}`);
  const inputs = await Promise.all(runDirs.map((d) => readRunInputs(d)));
  if (opts.labels && opts.labels.length !== inputs.length) {
    throw new UsageError(`--labels has ${opts.labels.length} label(s) for ${inputs.length} runs`);
  }
  const labels = opts.labels ?? defaultLabels(inputs);
  const runs: ComparedRun[] = inputs.map((r, i) => ({ label: labels[i] ?? `run ${i + 1}`, analysis: r.analysis, verdict: r.verdict }));
  const cmp = checkComparable(runs);
  if (cmp.errors.length > 0 && !opts.force) {
    throw new UsageError(`these runs are not comparable: ${cmp.errors.join('; ')} (use --force to render anyway, with a warning)`);
  }
  const html = renderComparison({ runs, now: opts.now ?? new Date(), ...(opts.seed !== undefined ? { seed: opts.seed } : {}) });
  const file = resolve(outFile);
  await mkdir(dirname(file), { recursive: true });
  return writeAtomic(file, html);
}
