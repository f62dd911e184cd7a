/**
 * `loadgate demo`, the README's main job: the bundled reference API in each remediation
 * profile in turn, the same scenario against each, one report per phase and a
 * phase-by-phase comparison. Ends by printing the comparison's path.
 */
import { join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { loadConfig } from '../../config/load.ts';
import { startTarget } from '../../../target/server.ts';
import { writeComparison } from '../../report/files.ts';
import { executeRun } from '../../run/execute.ts';
import { addCommonRunFlags, configFlagsOf, type CommonRunFlags } from '../flags.ts';
import { ExitCode } from '../errors.ts';
import { setOutcome } from '../outcome.ts';

const PHASES = ['baseline', 'phase1', 'phase2', 'phase3'] as const;

interface DemoFlags extends CommonRunFlags {
  scenario: string;
  profile: string;
  phases: string;
}

export function register(program: Command): void {
  const cmd = program
    .command('demo')
    .description('run the reference API through baseline → phase3 and compare the phases (the main job)')
    .addOption(new Option('-s, --scenario <name>', 'scenario to run against every phase').default('journey'))
    .addOption(new Option('-p, --profile <name>', 'load profile for every phase').default('load'))
    .option('--phases <list>', 'comma-separated reference API profiles, in order', PHASES.join(','));
  addCommonRunFlags(cmd).action(async (flags: DemoFlags, command: Command) => {
    const log = (line: string) => process.stderr.write(`loadgate: ${line}\n`);
    // The demo's default shape fits in about ten minutes on two cores: a third of the `load` profile.
    const durationScale = flags.durationScale ?? (process.env['LOADGATE_DURATION_SCALE'] ? undefined : 0.33);
    const phases = flags.phases
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
    const runDirs: string[] = [];
    let worst: number = ExitCode.ok;
    for (const phase of phases) {
      const target = await startTarget({ profile: phase as (typeof PHASES)[number], port: 0 });
      try {
        const config = await loadConfig({
          configPath: flags.config,
          flags: { ...configFlagsOf(flags), target: target.url, ...(durationScale === undefined ? {} : { durationScale }) },
        });
        log(`phase ${phase}: reference API (profile ${phase}) at ${target.url}`);
        const result = await executeRun({ config, scenario: flags.scenario, profile: flags.profile, phase, flags, log });
        runDirs.push(result.runDir);
        if (result.exitCode === ExitCode.interrupted) {
          worst = ExitCode.interrupted;
          break;
        }
      } finally {
        await target.close();
      }
    }
    if (runDirs.length >= 2) {
      const outDir = resolve(runDirs[0] ? join(runDirs[0], '..') : 'results');
      const file = await writeComparison(runDirs, join(outDir, `comparison-${new Date().toISOString().replace(/[:.]/g, '-')}.html`), {
        labels: phases.slice(0, runDirs.length),
      });
      log(`run reports: ${runDirs.map((d) => join(d, 'report.html')).join(', ')}`);
      process.stdout.write(`${file}\n`);
    }
    // The demo's point is the story, not a gate: it fails only when it could not tell it.
    setOutcome(command, worst);
  });
}
