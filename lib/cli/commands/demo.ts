/**
 * `loadgate demo`, the README's main job: the bundled reference API in each remediation
 * profile in turn, the same scenario against each, one report per phase and a
 * phase-by-phase comparison. Each phase ends with its terminal verdict (its own set and the
 * production gate); the demo ends with a phase-by-phase table, then the comparison's path.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { profileNames, type ProfileName } from '../../../reference-api/profiles.ts';
import { addCommonRunFlags, configFlagsOf } from '../flags.ts';
import type { CommonRunFlags } from '../../pipeline/execute.ts';
import { DataError, UsageError } from '../../contract/errors.ts';
import type { StepFailure } from '../../contract/exit.ts';
import { setOutcome } from '../outcome.ts';
import type { PhaseResult } from '../../verdict/terminal.ts';

const PHASES = ['baseline', 'phase1', 'phase2', 'phase3'] as const;
const DEMO_DURATION_SCALE = 0.33;

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
    const log = onceLog((line: string) => process.stderr.write(`loadgate: ${line}\n`));
    const phases = parsePhases(flags.phases);
    // Before the first phase starts: whether the results can be kept (each phase's run checks again).
    const [{ loadConfig }, { checkOutDir, outDirSource }] = await Promise.all([
      import('../../config/load.ts'),
      import('../../run/guard.ts'),
    ]);
    const outDir = (await loadConfig({ configPath: flags.config, flags: configFlagsOf(flags) })).outDir;
    await checkOutDir(outDir, outDirSource(flags.out, process.env));
    // Loaded when the command runs: `loadgate <other command>` and --help do not pay for them.
    const [{ ANALYSIS_FILE }, { writeComparison }, { printRunVerdict, useColor }, { renderPhaseTable }, { setProgressContext }] =
      await Promise.all([
        import('../../analysis/analyze.ts'),
        import('../../report/files.ts'),
        import('../verdict-out.ts'),
        import('../../verdict/terminal.ts'),
        import('../../run/progress.ts'),
      ]);
    const results: PhaseResult[] = [];
    const durationScale = await demoDurationScale(flags);
    // Never a silent shortening: the shape every phase runs, said once, before the first.
    log(await describeShape(flags, durationScale, phases.length));
    if (await demoReadiness(flags)) {
      log(
        'beside the load, in the same k6 run: the readiness checks (security headers, CORS, compression, probes, monitoring; about 4 requests/s)',
      );
    }
    const runDirs: string[] = [];
    const labels: string[] = [];
    // The demo's point is the story, not a gate: a breach is no failure, a phase it could not tell is.
    const failures: StepFailure[] = [];
    let interrupted = false;
    // Seconds each finished phase took beyond its planned load (start-up, analysis, report), for the remaining time.
    const overheads: number[] = [];
    for (const [k, phase] of phases.entries()) {
      // One phase that fails (its k6 crashed, its analysis could not be made) must not cost
      // the others: it is reported, and the comparison is made from the phases that ran.
      const later = phases.length - k - 1;
      const label = `phase ${k + 1}/${phases.length} ${phase}`;
      log(`phase ${k + 1} of ${phases.length}: ${phase}`);
      const startedMs = Date.now();
      let plannedS = 0;
      setProgressContext({
        label,
        afterS: (totalS) => {
          plannedS = totalS;
          const overhead = overheads.length ? overheads.reduce((a, b) => a + b, 0) / overheads.length : DEFAULT_PHASE_OVERHEAD_S;
          return later * (totalS + overhead);
        },
      });
      try {
        const result = await runPhase(phase, flags, durationScale, log);
        if (plannedS > 0) overheads.push(Math.max(0, (Date.now() - startedMs) / 1000 - plannedS));
        // Each phase ends with its verdict in the terminal: against its own set and production.
        process.stderr.write('\n');
        const shown = await printRunVerdict(result.runDir, process.stderr, log);
        results.push(shown ? { ...shown, label: phase } : { label: phase, analysis: null, verdict: null });
        process.stderr.write('\n');
        if (existsSync(join(result.runDir, ANALYSIS_FILE))) {
          runDirs.push(result.runDir);
          labels.push(phase);
        } else {
          log(`phase ${phase}: no analysis in ${result.runDir}; left out of the comparison`);
          failures.push({ step: 'phase', error: new DataError(`phase ${phase}: no analysis in ${result.runDir}`) });
        }
        // A phase's report is part of the story: its failure (already logged) fails the demo.
        failures.push(...(result.outcome.failures ?? []).filter((f) => f.step === 'report'));
        if (result.outcome.interrupted) {
          interrupted = true;
          break;
        }
      } catch (err) {
        results.push({ label: phase, analysis: null, verdict: null });
        log(`phase ${phase} failed: ${err instanceof Error ? err.message : String(err)}`);
        failures.push({ step: 'phase', error: err });
      }
    }
    setProgressContext(null);
    // The story in one table: each phase against its own targets and against production.
    if (results.length > 0) {
      process.stderr.write(
        `\n${renderPhaseTable(results, { color: useColor(process.stderr), width: process.stderr.isTTY ? process.stderr.columns : undefined })}\n`,
      );
    }
    log(`run reports: ${runDirs.map((d) => join(d, 'report.html')).join(', ') || 'none'}`);
    if (runDirs.length >= 2) {
      const outDir = resolve(join(runDirs[0] as string, '..'));
      const file = await writeComparison(runDirs, join(outDir, `comparison-${new Date().toISOString().replace(/[:.]/g, '-')}.html`), {
        labels,
        // The demo shows every phase that ran; a non-comparable pair is rendered with its warning.
        force: true,
      });
      process.stdout.write(`${file}\n`);
    } else if (runDirs.length === 1) {
      process.stdout.write(`${join(runDirs[0] as string, 'report.html')}\n`);
    } else if (failures.length === 0) {
      failures.push({ step: 'phase', error: new DataError('no phase produced an analysis') });
    }
    // The demo's point is the story, not a gate: it fails only when it could not tell it.
    setOutcome(command, { interrupted, failures });
  });
}

/** Until a phase has finished: seconds a phase takes beyond its planned load (k6 start-up, analysis, verdict, report). */
const DEFAULT_PHASE_OVERHEAD_S = 15;

/**
 * Lines that would repeat every phase with nothing new (the reference API's demo password is
 * used when none is set) are said once per demo.
 */
const ONCE = [/is not set: the target is the reference API, so its documented demo password is used/];

export function onceLog(log: (line: string) => void): (line: string) => void {
  const said = new Set<string>();
  return (line) => {
    const once = ONCE.find((re) => re.test(line));
    if (once) {
      if (said.has(once.source)) return;
      said.add(once.source);
    }
    log(line);
  };
}

/** `load profile "load" at duration scale 0.33 (the demo's default; …): ramp-up 20 s, hold 59 s, …`. */
async function describeShape(flags: DemoFlags, scale: number | undefined, phases: number): Promise<string> {
  const [{ loadConfig }, { findProfile }, { buildStages }] = await Promise.all([
    import('../../config/load.ts'),
    import('../../config/profiles.ts'),
    import('../../plan/build.ts'),
  ]);
  const config = await loadConfig({
    configPath: flags.config,
    flags: { ...configFlagsOf(flags), ...(scale === undefined ? {} : { durationScale: scale }) },
  });
  const profile = findProfile(config, flags.profile);
  if (!profile) return `load profile "${flags.profile}"`;
  const s = config.load.durationScale;
  const stages = buildStages(profile, config.load.rps, s);
  const total = stages[stages.length - 1]?.endS ?? 0;
  const why =
    scale === DEMO_DURATION_SCALE
      ? `the demo's default, to fit ${phases} phases in about ten minutes; --duration-scale 1 runs the full shape`
      : s === 1
        ? 'the full shape'
        : 'as asked';
  const shape = stages.map((x) => `${x.name} ${x.endS - x.startS} s`).join(', ');
  return `each phase runs load profile "${flags.profile}" at duration scale ${s} (${why}): ${shape}; ${total} s of load per phase, ${config.load.rps} RPS at 100 %`;
}

function parsePhases(list: string): ProfileName[] {
  const phases = list
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (phases.length === 0) throw new UsageError(`--phases is empty; valid phases: ${profileNames.join(', ')}`);
  for (const p of phases) {
    if (!(profileNames as string[]).includes(p))
      throw new UsageError(`unknown phase "${p}" in --phases; valid phases: ${profileNames.join(', ')}`);
  }
  return phases as ProfileName[];
}

/**
 * The demo's default shape fits in about ten minutes on two cores: a third of the `load`
 * profile. A scale from the flag, LOADGATE_DURATION_SCALE or the config file wins.
 */
async function demoDurationScale(flags: DemoFlags): Promise<number | undefined> {
  if (flags.durationScale !== undefined) return flags.durationScale;
  if (process.env['LOADGATE_DURATION_SCALE']) return undefined;
  const path = flags.config ?? process.env['LOADGATE_CONFIG'];
  if (path) {
    const { readConfigFile } = await import('../../config/load.ts');
    const { data } = await readConfigFile(path);
    const load = (data as { load?: { durationScale?: unknown } }).load;
    if (load?.durationScale !== undefined) return undefined;
  }
  return DEMO_DURATION_SCALE;
}

/**
 * The demo measures production readiness: the readiness checks run beside the load in every
 * phase, unless the config file says otherwise (`readiness.enabled`).
 */
async function demoReadiness(flags: DemoFlags): Promise<boolean> {
  const path = flags.config ?? process.env['LOADGATE_CONFIG'];
  if (!path) return true;
  const { readConfigFile } = await import('../../config/load.ts');
  const { data } = await readConfigFile(path);
  const enabled = (data as { readiness?: { enabled?: unknown } }).readiness?.enabled;
  return enabled === undefined ? true : enabled === true;
}

async function runPhase(phase: ProfileName, flags: DemoFlags, durationScale: number | undefined, log: (l: string) => void) {
  const [{ startTarget }, { loadConfig }, { executeRun }] = await Promise.all([
    import('../../../reference-api/server.ts'),
    import('../../config/load.ts'),
    import('../../pipeline/execute.ts'),
  ]);
  const target = await startTarget({ profile: phase, port: 0 });
  try {
    const config = await loadConfig({
      configPath: flags.config,
      flags: { ...configFlagsOf(flags), target: target.url, ...(durationScale === undefined ? {} : { durationScale }) },
    });
    if (config.readiness && (await demoReadiness(flags))) config.readiness = { ...config.readiness, enabled: true };
    log(`phase ${phase}: reference API (profile ${phase}) at ${target.url}`);
    return await executeRun({ config, scenario: flags.scenario, profile: flags.profile, phase, flags, log });
  } finally {
    await target.close();
  }
}
