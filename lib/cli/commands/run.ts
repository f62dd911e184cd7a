/** `loadgate run`: one k6 run against an API, then analysis, verdict and report. */
import { Option, type Command } from 'commander';
import { SCENARIO_NAMES } from '../../shared/defaults.ts';
import { LOAD_PROFILE_NAMES } from '../../shared/profiles.ts';
import { addCommonRunFlags, configFlagsOf, type CommonRunFlags } from '../flags.ts';
import { setOutcome } from '../outcome.ts';

interface RunFlags extends CommonRunFlags {
  scenario: string;
  profile: string;
  phase?: string;
}

export function register(program: Command): void {
  const cmd = program
    .command('run')
    .description('run a k6 scenario under a load profile, then analyse, judge and report it')
    .addOption(new Option('-s, --scenario <name>', `scenario: ${SCENARIO_NAMES.join(', ')}`).default('journey'))
    .addOption(new Option('-p, --profile <name>', `load profile: ${LOAD_PROFILE_NAMES.join(', ')} or the config's own`).default('load'))
    .option('--phase <label>', 'phase label of this run (baseline, phase1 …); also picks the threshold set of that name');
  addCommonRunFlags(cmd).action(async (flags: RunFlags, command: Command) => {
    // Loaded when the command runs: `loadgate <other command>` and --help do not pay for them.
    const [{ loadConfig }, { executeRun }] = await Promise.all([import('../../config/load.ts'), import('../../run/execute.ts')]);
    const config = await loadConfig({ configPath: flags.config, flags: configFlagsOf(flags) });
    const result = await executeRun({
      config,
      scenario: flags.scenario,
      profile: flags.profile,
      phase: flags.phase ?? null,
      flags,
      log: (line) => process.stderr.write(`loadgate: ${line}\n`),
    });
    process.stdout.write(`${result.runDir}\n`);
    setOutcome(command, result.exitCode);
  });
}
