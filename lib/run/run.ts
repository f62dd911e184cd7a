/**
 * One k6 run, end to end on the k6 side: plan → run directory → bundle → k6 → run record.
 * Nothing here is ever overwritten: each run gets a new directory named by a unique run id.
 */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ensureBundle } from '../../build/bundle.ts';
import { ConfigError, UsageError } from '../contract/errors.ts';
import { RUN_FILES, RunDir } from '../contract/run-dir.ts';
import { flowNames } from '../config/schema.ts';
import { REFERENCE_PASSWORD } from '../shared/reference-api.ts';
import { preflight, type PreflightResult } from './preflight.ts';
import type { Config } from '../config/schema.ts';
import { locateK6, type K6Binary } from '../k6/locate.ts';
import { freePort, K6_EXIT, k6HasStarted, k6ScenariosStarted, runK6, type K6RunResult } from '../k6/runner.ts';
import { setupNetns } from './netns.ts';
import { GeneratorSampler } from './generator.ts';
import { GENERATOR_FILE } from '../contract/run.ts';
import {
  combinedResult,
  combineStatus,
  LiveTotals,
  runSegments,
  segmentFiles,
  segmentSpecs,
  type SegmentLaunch,
  type SegmentOutcome,
} from './segments.ts';
import { PlanSchema, type Plan, type PlanStage } from '../contract/plan.ts';
import { buildPlan, PlanError } from '../plan/build.ts';
import { findProfile, profileNames } from '../config/profiles.ts';
import type { ThresholdSet } from '../contract/thresholds.ts';
import type { RunObserver } from '../contract/observer.ts';
import { createProgress, type ProgressMode } from './progress.ts';
import type { RunRecord } from '../contract/run.ts';

export interface RunOptions {
  config: Config;
  scenario: string;
  profile: string;
  phase: string | null;
  /** The targets (k6 thresholds and, later, the verdict). */
  thresholds: { name: string; set: ThresholdSet } | null;
  /**
   * The test users' password when the caller knows it (the demo, against the reference API it
   * started); otherwise it comes from the env var the config names (`secretsFor`).
   */
  password?: string | null;
  /** Where the credentials come from (default: process.env). */
  env?: NodeJS.ProcessEnv;
  observers: RunObserver[];
  /** Extra k6 outputs (e.g. `influxdb=http://…`) and env for them. */
  extraOutputs: string[];
  extraEnv: Record<string, string>;
  /** Where k6 streams to, if anywhere (recorded in run.json). */
  influx?: RunRecord['influx'];
  progress: ProgressMode;
  /**
   * `--segments-netns`: the network namespace that holds the target; each of the
   * `config.load.segments` k6 processes then runs in a namespace of its own (lib/run/netns.ts).
   */
  segmentsNetns?: string | null;
  now?: () => Date;
  /** Where messages for the user go. */
  log: (line: string) => void;
}

export interface RunOutcome {
  runDir: string;
  plan: Plan;
  record: RunRecord;
  k6: K6RunResult;
  /** The pre-flight's answer (a run whose target does not answer never starts). */
  preflight: PreflightResult;
  /** Each k6 process of a segmented run (`--segments N`, `--segments-netns`); null for one process. */
  segments: SegmentOutcome[] | null;
}

/** The scenario is a flow of the config (built-in ones included); the profile a built-in one or the config's own. */
export function validateNames(scenario: string, profile: string, config: Config): { scenario: string; profile: string } {
  const flows = flowNames(config);
  if (!flows.includes(scenario)) {
    throw new UsageError(
      `unknown scenario "${scenario}"; valid scenarios (the config's flows): ${flows.join(', ') || '(none: add endpoints and flows)'}`,
    );
  }
  if (!findProfile(config, profile)) {
    throw new UsageError(`unknown profile "${profile}"; valid profiles: ${profileNames(config).join(', ')}`);
  }
  return { scenario, profile };
}

/** A unique, sortable run id: UTC time, scenario, profile, and random bits. */
export function newRunId(now: Date, scenario: string, profile: string): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${scenario}-${profile}-${randomBytes(3).toString('hex')}`;
}

/** Creates the run directory; `mkdir` without `recursive` fails rather than reuse one. */
async function createRunDir(outDir: string, runId: string): Promise<string> {
  await mkdir(outDir, { recursive: true });
  const dir = resolve(outDir, runId);
  await mkdir(dir);
  return dir;
}

export interface Secrets {
  /** Env for k6: every variable the plan reads. */
  env: Record<string, string>;
  /** Every value, in every encoding a log line could show it in. */
  redact: string[];
}

/** Each way a secret can appear in a line: as is, percent-encoded, JSON-escaped, base64. */
export function encodings(value: string): string[] {
  const out = [value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1), Buffer.from(value).toString('base64')];
  return [...new Set(out)];
}

/**
 * The values of every env var the plan reads. The test users' password may fall back to the
 * reference API's demo password only when the pre-flight answer came from the reference API:
 * against any other target, a missing credential is a config error before any load.
 */
export function secretsFor(
  plan: Plan,
  env: NodeJS.ProcessEnv,
  o: { password?: string | null; referenceApi: boolean; log: (l: string) => void },
): Secrets {
  const values: Record<string, string> = {};
  const missing: string[] = [];
  for (const name of plan.env) {
    const v = name === plan.users.passwordEnv ? (o.password ?? env[name]) : env[name];
    if (v !== undefined && v !== '') values[name] = v;
    else if (name === plan.users.passwordEnv && o.referenceApi) {
      o.log(`${name} is not set: the target is the reference API, so its documented demo password is used`);
      values[name] = REFERENCE_PASSWORD;
    } else missing.push(name);
  }
  if (missing.length) {
    throw new ConfigError(
      `the requests of scenario ${plan.scenario} read ${missing.join(', ')}, which ${missing.length > 1 ? 'are' : 'is'} not set: ` +
        'export the credential in the environment (never in the config file, a URL or a flag)',
    );
  }
  const redact = Object.values(values).flatMap(encodings);
  for (const a of Object.values(plan.auth)) {
    if (a.type !== 'basic') continue;
    const user = a.username ?? values[a.usernameEnv ?? ''] ?? '';
    redact.push(...encodings(`${user}:${values[a.passwordEnv] ?? ''}`));
  }
  return { env: values, redact: [...new Set(redact)] };
}

/** Writes run.json through the contract's RunDir (atomically): it is rewritten while the run goes, and read meanwhile. */
export async function writeRecord(runDir: string, record: RunRecord): Promise<void> {
  await new RunDir(runDir).write(RUN_FILES.run, record);
}

function stageAt(plan: Plan, elapsedS: number): PlanStage {
  return plan.stages.find((s) => elapsedS < s.endS) ?? (plan.stages[plan.stages.length - 1] as PlanStage);
}

async function notify(observers: RunObserver[], log: (l: string) => void, fn: (o: RunObserver) => unknown): Promise<void> {
  for (const o of observers) {
    try {
      await fn(o);
    } catch (err) {
      log(`warning: ${o.name}: ${(err as Error).message}`);
    }
  }
}

/** k6's own word that a threshold with abortOnFail stopped the test (internal/metrics/engine). */
const THRESHOLD_ABORT = /at least one has abortOnFail enabled, stopping test prematurely/;

/**
 * How the run ended, from what k6 says: its exit code, the signal it got, and its log line
 * for a threshold abort. Never from wall time: an arrival-rate k6 ends after its last
 * iteration *start*, a little before the planned end, and that run is complete.
 */
export function statusFrom(k6: Pick<K6RunResult, 'forwarded' | 'exitCode' | 'signal' | 'tail'>): RunRecord['status'] {
  if (k6.forwarded) return 'interrupted';
  if (k6.exitCode === K6_EXIT.ok) return 'completed';
  if (k6.exitCode === K6_EXIT.thresholdsFailed) return k6.tail.some((l) => THRESHOLD_ABORT.test(l)) ? 'aborted' : 'completed';
  if (k6.exitCode === K6_EXIT.scriptAborted || k6.exitCode === K6_EXIT.externalAbort) return 'aborted';
  if (k6.signal === 'SIGINT' || k6.signal === 'SIGTERM') return 'interrupted';
  return 'failed';
}

export async function runTest(opts: RunOptions, k6bin?: K6Binary): Promise<RunOutcome> {
  const now = opts.now ?? (() => new Date());
  const { scenario, profile } = validateNames(opts.scenario, opts.profile, opts.config);
  const k6 = k6bin ?? (await locateK6());
  const runId = newRunId(now(), scenario, profile);
  let plan: Plan;
  try {
    plan = PlanSchema.parse(
      buildPlan({
        config: opts.config,
        scenario,
        profile,
        phase: opts.phase,
        runId,
        now: now().toISOString(),
        thresholds: opts.thresholds,
      }),
    );
  } catch (err) {
    if (err instanceof PlanError) throw new UsageError(err.message);
    throw err;
  }
  const count = opts.config.load.segments;
  // Segments as separate hosts: the namespaces exist before the pre-flight, which is sent from one.
  const topology =
    opts.segmentsNetns == null
      ? null
      : await setupNetns({ hub: opts.segmentsNetns, count, baseUrl: plan.baseUrl, tag: runId.slice(-6), log: opts.log });
  try {
    // Before any file or load: a target that does not answer, a credential that is not set, or
    // a k6 bundle that cannot be built (a read-only install with no cache to build it in) stops
    // the run here (exit 4 or 2), with no run directory half made.
    const script = await ensureBundle('flow', 'run');
    const pre = topology
      ? await topology.preflight(plan.baseUrl, opts.config.target.preflight)
      : await preflight(plan.baseUrl, opts.config.target.preflight);
    const secrets = secretsFor(plan, opts.env ?? process.env, {
      password: opts.password ?? null,
      referenceApi: pre.referenceApi,
      log: opts.log,
    });
    const runDir = await createRunDir(opts.config.outDir, runId);
    const planPath = await new RunDir(runDir).write(RUN_FILES.plan, plan);
    if (topology) await topology.startRelays();
    const segmented = count > 1 || topology !== null;

    const launches: SegmentLaunch[] = [];
    for (const spec of segmentSpecs(count)) {
      const ns = topology?.segments[spec.index - 1];
      const address = ns ? null : `127.0.0.1:${await freePort()}`;
      launches.push({
        spec,
        files: segmentFiles(spec.index, count),
        k6ApiAddress: ns?.k6ApiAddress ?? (address as string),
        apiClient: ns?.apiClient ?? (address as string),
        wrap: ns?.wrap ?? [],
        netns: ns ? { namespace: ns.namespace, address: ns.address } : null,
      });
    }
    const record: RunRecord = {
      kind: 'loadgate.run',
      version: 1,
      runId,
      status: 'running',
      k6Version: k6.version,
      k6ExitCode: null,
      signal: null,
      startedAt: now().toISOString(),
      endedAt: null,
      rawFiles: launches.map((l) => l.files.rawFile),
      influx: opts.influx ?? null,
    };
    await writeRecord(runDir, record);
    const split = segmented
      ? ` in ${count} segment${count > 1 ? 's' : ''}${topology ? ` (network namespaces into ${topology.hub})` : ''}`
      : '';
    opts.log(`run ${runId}: ${scenario}/${profile} against ${plan.baseUrl}${split} → ${runDir}`);
    await notify(opts.observers, opts.log, (o) => o.onStart?.(plan, record, runDir));

    const apis = launches.map((l) => l.apiClient);
    const live = new LiveTotals(apis);
    const totalS = plan.stages[plan.stages.length - 1]?.endS ?? 0;
    const progress = createProgress(opts.progress, process.stderr);
    // The stage clock starts when k6 starts executing, not when it is spawned: initialising
    // hundreds of pre-allocated VUs takes a while, and the stages are k6's, not the wall's.
    // Segments start together (runSegments resumes them at once): the first one's start is the test's.
    let startedMs: number | null = null;
    let finished = false;
    let lastStage: string | null = null;
    let lastRequests = 0;
    let lastPollMs = Date.now();
    const timer = setInterval(() => {
      void (async () => {
        if (startedMs === null) {
          if (!(await Promise.all(apis.map((a) => k6HasStarted(a)))).some(Boolean)) return;
          startedMs ??= Date.now();
        }
        if (finished) return;
        const elapsedS = (Date.now() - startedMs) / 1000;
        const stage = stageAt(plan, elapsedS);
        if (stage.name !== lastStage) {
          lastStage = stage.name;
          await notify(opts.observers, opts.log, (o) => o.onStage?.(plan, stage, Date.now()));
        }
        const totals = await live.read();
        // A poll still in flight when k6 ends must not draw on a stopped display.
        if (!totals || finished) return;
        const nowMs = Date.now();
        const rps = ((totals.requests - lastRequests) * 1000) / Math.max(1, nowMs - lastPollMs);
        lastRequests = totals.requests;
        lastPollMs = nowMs;
        progress.update({ ...totals, elapsedS, totalS, stage: stage.name, rps });
      })();
    }, 1000);

    const env = { LOADGATE_PLAN: planPath, ...secrets.env, ...opts.extraEnv };
    // k6's own CPU and memory from /proc, every 500 ms, into generator.json: the verdict's check
    // that the generator was not saturated (lib/verdict/generator.ts).
    // Its stage windows start when k6's scenarios do (after VU initialisation and setup()): k6's
    // start-up is busy, and not load.
    const generator = new GeneratorSampler({
      file: join(runDir, GENERATOR_FILE),
      log: opts.log,
      loadStarted: async () => (await Promise.all(apis.map((a) => k6ScenariosStarted(a)))).some(Boolean),
    });
    let result: K6RunResult;
    let segments: SegmentOutcome[] | null = null;
    try {
      if (!segmented) {
        const only = launches[0] as SegmentLaunch;
        result = await runK6({
          k6,
          script,
          env,
          outputs: [`json=${join(runDir, only.files.rawFile)}`, ...opts.extraOutputs],
          summaryExport: join(runDir, only.files.summaryFile),
          apiAddress: only.k6ApiAddress,
          logFile: join(runDir, only.files.logFile),
          redact: secrets.redact,
          onSpawn: (pid) => generator.add(pid),
        });
      } else {
        segments = await runSegments({
          launches,
          runDir,
          base: { k6, script, env, redact: secrets.redact, outputs: opts.extraOutputs },
          onChange: async (list) => {
            record.segments = list;
            await writeRecord(runDir, record);
          },
          onStart: (atMs) => (startedMs ??= atMs),
          onSpawn: (index, pid) => generator.add(pid, index),
          now,
          log: opts.log,
        });
        result = combinedResult(segments);
      }
    } finally {
      finished = true;
      clearInterval(timer);
      progress.stop();
      await generator.stop();
    }

    if (segments === null) {
      record.status = statusFrom(result);
    } else {
      record.segments = segments.map((x) => x.record);
      const combined = combineStatus(record.segments);
      record.status = result.forwarded ? 'interrupted' : combined.status;
      if (combined.partial) record.partial = true;
    }
    record.k6ExitCode = result.exitCode;
    record.signal = result.forwarded ?? result.signal;
    record.endedAt = now().toISOString();
    await writeRecord(runDir, record);
    await notify(opts.observers, opts.log, (o) => o.onEnd?.(plan, record));
    return { runDir, plan, record, k6: result, preflight: pre, segments };
  } finally {
    await topology?.teardown();
  }
}
