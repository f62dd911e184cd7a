/** `loadgate run`: one k6 run against an API, then analysis, verdict and report. */
import { Option, type Command } from 'commander';
import { loadConfig } from '../../config/load.ts';
import { SCENARIO_NAMES } from '../../shared/defaults.ts';
import { LOAD_PROFILE_NAMES } from '../../shared/profiles.ts';
import { addCommonRunFlags, configFlagsOf, type CommonRunFlags } from '../flags.ts';
import { setOutcome } from '../outcome.ts';
import { executeRun } from '../../run/execute.ts';

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
