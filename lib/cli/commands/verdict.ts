/** `loadgate verdict <run-dir>`: judge an analysed run against a threshold set; the CI gate. */
import { Option, type Command } from 'commander';
import { setOutcome } from '../outcome.ts';

interface VerdictFlags {
  set?: string;
  failOnInconclusive?: boolean;
  config?: string;
  gate: 'run' | 'every-stage';
}

export function register(program: Command): void {
  program
    .command('verdict')
    .description(
      'judge <run-dir>/analysis.json against a threshold set: writes verdict.json, junit.xml, summary.md; exit 0 pass, 99 breach, 3 inconclusive (with --fail-on-inconclusive)',
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
    .action(async (runDir: string, flags: VerdictFlags, command: Command) => {
      // Loaded when the command runs: `loadgate <other command>` and --help do not pay for it.
      const { judgeRun } = await import('../../verdict/judge.ts');
      const result = await judgeRun(runDir, {
        set: flags.set ?? (process.env['LOADGATE_THRESHOLD_SET'] || undefined),
        failOnInconclusive: flags.failOnInconclusive ?? false,
        configPath: flags.config,
        gate: flags.gate,
      });
      process.stdout.write(result.markdown);
      setOutcome(command, result.exitCode);
    });
}
