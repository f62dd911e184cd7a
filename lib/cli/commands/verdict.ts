/** `loadgate verdict <run-dir>`: judge an analysed run against a threshold set; the CI gate. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { setOutcome } from '../outcome.ts';
import { AGAINST_HISTORY_HELP } from '../flags.ts';

interface VerdictFlags {
  set?: string;
  productionSet: string;
  failOnInconclusive?: boolean;
  config?: string;
  gate: 'run' | 'every-stage';
  againstHistory?: boolean;
}

export function register(program: Command): void {
  program
    .command('verdict')
    .description(
      'judge <run-dir>/analysis.json against a threshold set and the production gate: writes verdict.json, junit.xml, summary.md (and refreshes report.html); exit 0 pass, 99 breach, 3 inconclusive (with --fail-on-inconclusive), from the threshold set only; 98 regressed against history (with --against-history)',
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
    // History (issue 13): the run's record in <run-dir>/../history.sqlite, when there is one, is updated either way.
    .option('--against-history', AGAINST_HISTORY_HELP)
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
        configPath: flags.config,
        gate: flags.gate,
      });
      // History (issue 13): record the (re-)judged run, and judge it against the history when asked.
      const { historyStep } = await import('../../pipeline/history.ts');
      const history = await historyStep(runDir, {
        verdict: result.verdict,
        againstHistory: flags.againstHistory === true,
        detectSource: false,
        create: false,
        log: (line) => process.stderr.write(`loadgate: ${line}\n`),
      });
      const markdown = history.markdown ?? result.markdown;
      // A report rendered from the previous verdict.json would now contradict it: render it again.
      if (existsSync(join(runDir, 'report.html'))) await writeRunReport(runDir);
      const log = (line: string) => process.stderr.write(`loadgate: ${line}\n`);
      if (process.stdout.isTTY) {
        // A person at a terminal: the terminal verdict; summary.md holds the Markdown.
        await printRunVerdict(runDir, process.stdout, log);
        process.stdout.write(`  summary: ${result.files.summary}\n`);
      } else {
        // A pipe or a file (CI): the Markdown on stdout, as documented; the terminal verdict on stderr.
        process.stdout.write(markdown);
        await printRunVerdict(runDir, process.stderr, log);
      }
      setOutcome(command, {
        verdict: result.verdict,
        failOnInconclusive: flags.failOnInconclusive === true,
        againstHistory: history,
      });
    });
}
