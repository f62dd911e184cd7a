/** `loadgate k8s render`: a k6-operator TestRun for the same plan and bundle `loadgate run` uses. */
import { Option, type Command } from 'commander';
import { SCENARIO_NAMES } from '../../shared/defaults.ts';
import { LOAD_PROFILE_NAMES } from '../../config/profiles.ts';
import { configFlagsOf, parseNumberFlag } from '../flags.ts';
import type { CommonRunFlags } from '../../pipeline/execute.ts';
import { UsageError } from '../../contract/errors.ts';

interface RenderFlags extends Pick<CommonRunFlags, 'config' | 'target' | 'rps' | 'durationScale' | 'maxVus' | 'thresholdSet'> {
  scenario?: string;
  profile: string;
  phase?: string;
  parallelism: number;
  namespace?: string;
  out?: string;
  image?: string;
  secret?: string;
  resultsClaim?: string;
  storageClass?: string;
  influx?: string;
  separate?: boolean;
}

export function register(program: Command): void {
  const k8s = program.command('k8s').description("Kubernetes: run the test on the k6-operator (TestRun) and analyse its runners' results");
  k8s
    .command('render')
    .description(
      'write a directory for `kubectl apply -k`: a ConfigMap (bundle and plan.json), a TestRun with parallelism N (k6 execution segments), a kustomization.yaml',
    )
    .requiredOption(
      '--parallelism <n>',
      "k6 runners (the TestRun's spec.parallelism): the test is split into N execution segments",
      parseNumberFlag('parallelism', { int: true, min: 1 }),
    )
    .addOption(
      new Option(
        '-s, --scenario <name>',
        `scenario: a flow of the config (built in: ${SCENARIO_NAMES.join(', ')}); default: the config's \`scenario\``,
      ),
    )
    .addOption(new Option('-p, --profile <name>', `load profile: ${LOAD_PROFILE_NAMES.join(', ')} or the config's own`).default('load'))
    .option('--phase <label>', 'phase label (also picks the threshold set of that name)')
    .option('--config <file>', 'config file (JSON or YAML); also LOADGATE_CONFIG')
    .option('--target <url>', 'base URL of the API as the runner Pods reach it (a Service name, an ingress); also LOADGATE_TARGET')
    .option(
      '--rps <n>',
      "the rate the profiles scale, requests/s (the whole test's, split across the runners)",
      parseNumberFlag('rps', { min: 0.01 }),
    )
    .option('--duration-scale <x>', 'multiply every stage duration', parseNumberFlag('duration-scale', { min: 0.001 }))
    .option(
      '--max-vus <n>',
      "cap the VUs (the whole test's; each runner gets its share)",
      parseNumberFlag('max-vus', { int: true, min: 1 }),
    )
    .option('--threshold-set <name>', "targets for k6's thresholds (default: the phase, else production)")
    .option('--namespace <ns>', 'Kubernetes namespace of every object (kustomization `namespace`)')
    .option('--out <dir>', 'directory to write (default: <outDir>/k8s-<name>)')
    .option('--image <image>', 'k6 image of the runners (default: grafana/k6 at the pinned k6 version)')
    .option('--secret <name>', 'the Secret the credentials are read from (default: <name>-secrets); its keys are the env var names')
    .option('--results-claim <name>', 'an existing ReadWriteMany PersistentVolumeClaim for the results (default: render one)')
    .option('--storage-class <name>', 'storage class of the rendered results claim')
    .option('--influx <url>', 'also stream to InfluxDB 1.x at this URL, as the runner Pods reach it (e.g. http://influxdb:8086/k6)')
    .option('--separate', "one runner per node (the TestRun's spec.separate)")
    .action(async (flags: RenderFlags) => {
      // Loaded when the command runs: `loadgate <other command>` and --help do not pay for them.
      const [{ loadConfig }, { renderK8sForConfig }, { checkOutDir, outDirSource, OUTPUT_DIR, RESULTS_DIR }] = await Promise.all([
        import('../../config/load.ts'),
        import('../../k8s/cli.ts'),
        import('../../run/guard.ts'),
      ]);
      const config = await loadConfig({ configPath: flags.config, flags: configFlagsOf(flags) });
      // Before rendering: the directory written to (or the results directory that holds the default one).
      await checkOutDir(flags.out ?? config.outDir, outDirSource(flags.out, process.env), flags.out ? OUTPUT_DIR : RESULTS_DIR);
      const scenario = flags.scenario ?? config.scenario;
      if (!scenario) throw new UsageError('no scenario: pass --scenario NAME or set `scenario:` in the config (a flow name)');
      const r = await renderK8sForConfig({
        config,
        scenario,
        profile: flags.profile,
        phase: flags.phase ?? null,
        parallelism: flags.parallelism,
        namespace: flags.namespace ?? null,
        out: flags.out ?? null,
        image: flags.image ?? null,
        secret: flags.secret ?? null,
        resultsClaim: flags.resultsClaim ?? null,
        storageClass: flags.storageClass ?? null,
        influx: flags.influx ?? null,
        separate: flags.separate === true,
        log: (line) => process.stderr.write(`loadgate: ${line}\n`),
      });
      process.stderr.write(`loadgate: next:\n${r.next.map((l) => `  ${l}`).join('\n')}\n`);
      process.stdout.write(`${r.dir}\n`);
    });
}
