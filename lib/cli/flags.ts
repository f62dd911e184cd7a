/** Flags shared by the commands that run load (run, demo), described once. */
import { Option, type Command } from 'commander';
import { ExitCode, UsageError } from '../contract/errors.ts';
import type { ConfigFlags } from '../config/load.ts';
import { HOST_HINT, isHost } from '../shared/loopback.ts';
import { INFLUX_MODES } from '../contract/run.ts';
import type { CommonRunFlags } from '../pipeline/execute.ts';

export function parseNumberFlag(name: string, opts: { int?: boolean; min?: number } = {}) {
  return (raw: string): number => {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n) || (opts.int && !Number.isInteger(n)) || (opts.min !== undefined && n < opts.min)) {
      throw new UsageError(
        `--${name} must be ${opts.int ? 'a whole number' : 'a number'}${opts.min !== undefined ? ` ≥ ${opts.min}` : ''}, got ${JSON.stringify(raw)}`,
      );
    }
    return n;
  };
}

/** `--allow-target HOST`, repeatable: each value checked like the config's `target.allow` entries. */
export function collectAllowTarget(raw: string, previous: string[] | undefined): string[] {
  const host = raw.trim();
  if (!isHost(host)) throw new UsageError(`--allow-target ${HOST_HINT}, got ${JSON.stringify(raw)}`);
  return [...(previous ?? []), host];
}

export function addCommonRunFlags(cmd: Command): Command {
  return addAgainstHistoryFlag(cmd)
    .option('--config <file>', 'config file (JSON or YAML); also LOADGATE_CONFIG')
    .option('--target <url>', 'base URL of the API under test; also LOADGATE_TARGET')
    .option(
      '--allow-target <host>',
      "let the load go to this host outside loopback (a name or an IP, as in the target URL); repeatable; adds to the config's target.allow",
      collectAllowTarget,
    )
    .option('--out <dir>', 'results directory (one sub-directory per run); also LOADGATE_OUT')
    .option('--rps <n>', 'the rate the profiles scale (their 100 %), requests/s; also LOADGATE_RPS', parseNumberFlag('rps', { min: 0.01 }))
    .option(
      '--duration-scale <x>',
      'multiply every stage duration (0.1 = ten times shorter); also LOADGATE_DURATION_SCALE',
      parseNumberFlag('duration-scale', { min: 0.001 }),
    )
    .option('--max-vus <n>', 'cap the VUs k6 may use; also LOADGATE_MAX_VUS', parseNumberFlag('max-vus', { int: true, min: 1 }))
    .option('--threshold-set <name>', 'targets to judge against (default: the phase, else production); also LOADGATE_THRESHOLD_SET')
    .option('--fail-on-inconclusive', 'exit 3 when a verdict is inconclusive (default: exit 0 for inconclusive)')
    .option('--influx <url>', 'stream the run live to InfluxDB 1.x at this URL (e.g. http://127.0.0.1:8086), for Grafana')
    .option('--influx-db <name>', 'InfluxDB database', 'k6')
    .option('--influx-required', 'fail (exit 4) instead of warning when InfluxDB is unreachable')
    .addOption(
      new Option(
        '--influx-mode <mode>',
        "aggregate: loadgate's per-second points per endpoint, a cost independent of the request rate; samples: those and also every k6 sample (k6's InfluxDB output)",
      ).choices(INFLUX_MODES),
    )
    .addOption(new Option('--progress <mode>', 'live progress display').choices(['tty', 'plain', 'none']))
    .option(
      '--segments <n>',
      "split the test across N k6 processes with k6's execution segments, merged into one analysis (default: the config's load.segments, 1)",
      parseNumberFlag('segments', { int: true, min: 1 }),
    );
}

/** `loadgate run` only: segments as separate hosts, each k6 in a network namespace of its own (docs/scaling.md). */
export function addSegmentsNetnsFlag(cmd: Command): Command {
  return cmd.option(
    '--segments-netns <netns>',
    "run each segment's k6 in a network namespace of its own, on a veth pair into <netns> (an `ip netns` name), which holds the target; needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN)",
  );
}

/** History (issue 13): `--against-history`, for `run`, `demo` and `verdict`. */
export const AGAINST_HISTORY_HELP = `also judge the run against the recent runs of the same shape in <out>/history.sqlite: exit ${ExitCode.regressed} when it regressed beyond noise (a breach, 99, wins); also LOADGATE_AGAINST_HISTORY=1`;

/**
 * History (issue 13): adds `--against-history` to `run` and `demo`. Their post-processing
 * (lib/pipeline/post.ts) reads LOADGATE_AGAINST_HISTORY, which the flag sets when given, so that the
 * flag reaches it through executeRun unchanged.
 */
function addAgainstHistoryFlag(cmd: Command): Command {
  cmd.option('--against-history', AGAINST_HISTORY_HELP);
  cmd.on('option:against-history', () => {
    process.env['LOADGATE_AGAINST_HISTORY'] = '1';
  });
  return cmd;
}

export function configFlagsOf(f: CommonRunFlags): ConfigFlags {
  return {
    target: f.target,
    out: f.out,
    rps: f.rps,
    durationScale: f.durationScale,
    maxVus: f.maxVus,
    thresholdSet: f.thresholdSet,
  };
}
