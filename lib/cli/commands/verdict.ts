/** `loadgate verdict <run-dir>`: judge an analysed run against a threshold set; the CI gate. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { setOutcome } from '../outcome.ts';

interface VerdictFlags {
  set?: string;
  productionSet: string;
  failOnInconclusive?: boolean;
  config?: string;
  gate: 'run' | 'every-stage';
}

export function register(program: Command): void {
  program
    .command('verdict')
    .description(
      'judge <run-dir>/analysis.json against a threshold set and the production gate: writes verdict.json, junit.xml, summary.md (and refreshes report.html); exit 0 pass, 99 breach, 3 inconclusive (with --fail-on-inconclusive), from the threshold set only',
    )
    .argument('<run-dir>', 'run directory holding analysis.json')
    .option('--set <name>', "threshold set (default: the plan's, else the run's phase, else production); also LOADGATE_THRESHOLD_SET")
    .option('--fail-on-inconclusive', 'exit 3 when the verdict is inconclusive (default: exit 0 for inconclusive)')
    .option('--config <file>', 'config file whose thresholdSets hold user-defined sets; also LOADGATE_CONFIG')
    .addOption(
      new Option('--gate <scope>', 'rows that decide: the whole run (+ steady throughput), or every stage too')
        .choices(['run', 'every-stage'])
        .default('run'),
    )
    .option('--production-set <name>', 'the production gate the run is also judged against (never changes the exit code)', 'production')
    .action(async (runDir: string, flags: VerdictFlags, command: Command) => {
      // Loaded when the command runs: `loadgate <other command>` and --help do not pay for it.
      const [{ judgeRun }, { writeRunReport }, { printRunVerdict }] = await Promise.all([
        import('../../verdict/judge.ts'),
        import('../../report/files.ts'),
        import('../verdict-out.ts'),
      ]);
      const result = await judgeRun(runDir, {
        set: flags.set ?? (process.env['LOADGATE_THRESHOLD_SET'] || undefined),
        productionSet: flags.productionSet,
        failOnInconclusive: flags.failOnInconclusive ?? false,
        configPath: flags.config,
        gate: flags.gate,
      });
      // A report rendered from the previous verdict.json would now contradict it: render it again.
      if (existsSync(join(runDir, 'report.html'))) await writeRunReport(runDir);
      const log = (line: string) => process.stderr.write(`loadgate: ${line}\n`);
      if (process.stdout.isTTY) {
        // A person at a terminal: the terminal verdict; summary.md holds the Markdown.
        await printRunVerdict(runDir, process.stdout, log);
        process.stdout.write(`  summary: ${result.files.summary}\n`);
      } else {
        // A pipe or a file (CI): the Markdown on stdout, as documented; the terminal verdict on stderr.
        process.stdout.write(result.markdown);
        await printRunVerdict(runDir, process.stderr, log);
      }
      setOutcome(command, result.exitCode);
    });
}
