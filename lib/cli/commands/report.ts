/**
 * `loadgate report <run-dir...>`: one directory → its run report; two or more → a
 * phase-by-phase comparison, in the order given.
 */
import type { Command } from 'commander';
import { join } from 'node:path';
import { UsageError } from '../../contract/errors.ts';

export interface ReportFlags {
  out?: string;
  labels?: string;
  force?: boolean;
  seed?: string;
}

/** Where a comparison goes when --out is not given. */
export function defaultComparisonPath(now: Date): string {
  return join('reports', 'out', `comparison-${now.toISOString().replace(/[:.]/g, '-')}.html`);
}

export function parseLabels(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const labels = value.split(',').map((s) => s.trim());
  if (labels.some((l) => l === '')) throw new UsageError(`--labels must be a comma-separated list of non-empty labels, got "${value}"`);
  return labels;
}

export function parseSeed(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--seed must be a non-negative integer, got "${value}"`);
  return n;
}

export async function reportAction(runDirs: string[], flags: ReportFlags, now: Date = new Date()): Promise<string> {
  if (runDirs.length === 0) throw new UsageError('give at least one run directory');
  const labels = parseLabels(flags.labels);
  const seed = parseSeed(flags.seed);
  // Loaded when the command runs: `loadgate <other command>` and --help do not pay for it.
  const [{ writeComparison, writeRunReport }, { checkOutFile }] = await Promise.all([
    import('../../report/index.ts'),
    import('../../run/guard.ts'),
  ]);
  // Before any rendering: a directory --out cannot be written in is said at once, with the OS's word.
  if (flags.out !== undefined) await checkOutFile(flags.out, '--out');
  if (runDirs.length === 1) {
    if (labels) throw new UsageError('--labels applies to comparisons (two or more run directories)');
    const [dir] = runDirs as [string];
    return writeRunReport(dir, now, flags.out);
  }
  return writeComparison(runDirs, flags.out ?? defaultComparisonPath(now), {
    now,
    force: flags.force === true,
    ...(labels ? { labels } : {}),
    ...(seed !== undefined ? { seed } : {}),
  });
}

export function register(program: Command): void {
  program
    .command('report')
    .description('Render the HTML run report of one run, or compare two or more runs phase by phase')
    .argument('<run-dir...>', 'run directories (with analysis.json; verdict.json when judged), oldest first')
    .option('--out <file>', 'output file (default: <run-dir>/report.html, or reports/out/comparison-<time>.html)')
    .option('--labels <a,b,c>', "labels for the compared runs (default: each run's phase or profile)")
    .option('--force', 'render a comparison of runs that are not comparable, with a warning banner')
    .option('--seed <n>', 'seed of the bootstrap resampling (default 1)')
    .addHelpText(
      'after',
      '\nExamples:\n  loadgate report results/2025-06-01T02-00-00-abc\n  loadgate report results/base results/p1 results/p2 results/p3 --out phases.html',
    )
    .action(async (runDirs: string[], flags: ReportFlags) => {
      const file = await reportAction(runDirs, flags);
      process.stdout.write(`${file}\n`);
    });
}
