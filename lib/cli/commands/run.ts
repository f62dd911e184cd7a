/** `loadgate run`: one k6 run against an API, then analysis, verdict and report. */
import { Option, type Command } from 'commander';
import { SCENARIO_NAMES } from '../../shared/defaults.ts';
import { LOAD_PROFILE_NAMES } from '../../config/profiles.ts';
import { addCommonRunFlags, addSegmentsNetnsFlag, configFlagsOf } from '../flags.ts';
import type { CommonRunFlags } from '../../pipeline/execute.ts';
import { setOutcome } from '../outcome.ts';
import { UsageError } from '../../contract/errors.ts';

interface RunFlags extends CommonRunFlags {
  scenario?: string;
  profile: string;
  phase?: string;
}

export function register(program: Command): void {
  const cmd = program
    .command('run')
    .description('run a k6 scenario under a load profile, then analyse, judge and report it')
    .addOption(
      new Option(
        '-s, --scenario <name>',
        `scenario: a flow of the config (built in: ${SCENARIO_NAMES.join(', ')}); default: the config's \`scenario\`, journey`,
      ),
    )
    .addOption(new Option('-p, --profile <name>', `load profile: ${LOAD_PROFILE_NAMES.join(', ')} or the config's own`).default('load'))
    .option('--phase <label>', 'phase label of this run (baseline, phase1 …); also picks the threshold set of that name');
  addSegmentsNetnsFlag(addCommonRunFlags(cmd)).action(async (flags: RunFlags, command: Command) => {
    // Loaded when the command runs: `loadgate <other command>` and --help do not pay for them.
    const [{ loadConfig }, { executeRun }] = await Promise.all([import('../../config/load.ts'), import('../../pipeline/execute.ts')]);
    const config = await loadConfig({ configPath: flags.config, flags: configFlagsOf(flags) });
    const scenario = flags.scenario ?? config.scenario;
    if (!scenario) throw new UsageError('no scenario: pass --scenario NAME or set `scenario:` in the config (a flow name)');
    const result = await executeRun({
      config,
      scenario,
      profile: flags.profile,
      phase: flags.phase ?? null,
      flags,
      log: (line) => process.stderr.write(`loadgate: ${line}\n`),
    });
    // The verdict in the terminal (stderr); stdout keeps one line, the run directory, for scripts.
    const { printRunVerdict } = await import('../verdict-out.ts');
    process.stderr.write('\n');
    await printRunVerdict(result.runDir, process.stderr, (line) => process.stderr.write(`loadgate: ${line}\n`));
    process.stdout.write(`${result.runDir}\n`);
    setOutcome(command, result.outcome);
  });
}
