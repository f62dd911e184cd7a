/** `loadgate analyze <run-dir...>`: stream the raw results into the run's analysis file. */
import { Option, type Command } from 'commander';
import { parseNumberFlag } from '../flags.ts';
import type { PercentileMode } from '../../analysis/analyze.ts';

interface AnalyzeFlags {
  out?: string;
  percentiles: PercentileMode;
  interval?: number;
  quiet?: boolean;
}

export function register(program: Command): void {
  program
    .command('analyze')
    .description(
      'analyse a run: stream <run-dir>/raw.ndjson.gz into <run-dir>/analysis.json (several run dirs = execution segments of one test, merged)',
    )
    .argument('<run-dir...>', 'run directory (plan.json, run.json, raw results); more than one: segments of one test')
    .option('--out <file>', 'write the analysis here instead of <first run-dir>/analysis.json')
    .addOption(
      new Option(
        '--percentiles <mode>',
        "exact: k6's own definition, every value kept; hdr: bounded memory, relative error 0.001; auto: exact up to 2M values",
      )
        .choices(['exact', 'hdr', 'auto'])
        .default('auto'),
    )
    .option(
      '--interval <seconds>',
      'time-series interval (default: from the planned duration, at most 600 points)',
      parseNumberFlag('interval', { min: 0.001 }),
    )
    .option('--quiet', 'print nothing but warnings')
    .action(async (runDirs: string[], flags: AnalyzeFlags) => {
      // Loaded when the command runs: `loadgate <other command>` and --help do not pay for them.
      const [{ analyzeRun, writeAnalysis }, { formatSummary }, { checkOutFile }] = await Promise.all([
        import('../../analysis/analyze.ts'),
        import('../../analysis/summary.ts'),
        import('../../run/guard.ts'),
      ]);
      // Before reading the raw results: a directory --out cannot be written in is said at once.
      if (flags.out !== undefined) await checkOutFile(flags.out, '--out');
      const analysis = await analyzeRun(runDirs, { percentiles: flags.percentiles, intervalS: flags.interval });
      const file = await writeAnalysis(runDirs[0] as string, analysis, flags.out);
      for (const w of analysis.input.warnings) process.stderr.write(`loadgate: warning: ${w}\n`);
      if (!flags.quiet) process.stdout.write(`${formatSummary(analysis)}\nanalysis: ${file}\n`);
    });
}
