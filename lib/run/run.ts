/**
 * One k6 run, end to end on the k6 side: plan → run directory → bundle → k6 → run record.
 * Nothing here is ever overwritten: each run gets a new directory named by a unique run id.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { ensureBundle } from '../../build/bundle.ts';
import { UsageError } from '../cli/errors.ts';
import type { Config } from '../config/schema.ts';
import { locateK6, type K6Binary } from '../k6/locate.ts';
import { freePort, K6_EXIT, k6HasStarted, readLiveMetrics, runK6, type K6RunResult } from '../k6/runner.ts';
import { PlanSchema, type Plan, type PlanStage } from '../plan/schema.ts';
import { SCENARIO_NAMES, type ScenarioName } from '../shared/defaults.ts';
import { buildPlan } from '../shared/plan.ts';
import { findProfile, profileNames } from '../shared/profiles.ts';
import type { ThresholdSet } from '../../thresholds/schema.ts';
import type { RunObserver } from './observer.ts';
import { createProgress, type ProgressMode } from './progress.ts';
import type { RunRecord } from './schema.ts';

export interface RunOptions {
  config: Config;
  scenario: string;
  profile: string;
  phase: string | null;
  /** The targets (k6 thresholds and, later, the verdict). */
  thresholds: { name: string; set: ThresholdSet } | null;
  /** The test users' password, passed to k6 through its env (never written to disk). */
  password: string;
  observers: RunObserver[];
  /** Extra k6 outputs (e.g. `influxdb=http://…`) and env for them. */
  extraOutputs: string[];
  extraEnv: Record<string, string>;
  /** Where k6 streams to, if anywhere (recorded in run.json). */
  influx?: RunRecord['influx'];
  progress: ProgressMode;
  now?: () => Date;
  /** Where messages for the user go. */
  log: (line: string) => void;
}

export interface RunOutcome {
  runDir: string;
  plan: Plan;
  record: RunRecord;
  k6: K6RunResult;
  /** False when the target did not accept a TCP connection before k6 started. */
  targetReachable: boolean;
}

/** The profile may be a built-in one or one of the config's own (`profiles` in the config file). */
export function validateNames(
  scenario: string,
  profile: string,
  config: Pick<Config, 'profiles'>,
): { scenario: ScenarioName; profile: string } {
  if (!(SCENARIO_NAMES as readonly string[]).includes(scenario)) {
    throw new UsageError(`unknown scenario "${scenario}"; valid scenarios: ${SCENARIO_NAMES.join(', ')}`);
  }
  if (!findProfile(config, profile)) {
    throw new UsageError(`unknown profile "${profile}"; valid profiles: ${profileNames(config).join(', ')}`);
  }
  return { scenario: scenario as ScenarioName, profile };
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

/** TCP reachability of the base URL's host and port, within `timeoutMs`. */
export async function isReachable(baseUrl: string, timeoutMs = 2000): Promise<boolean> {
  const url = new URL(baseUrl);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return new Promise((res) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      res(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export async function writeRecord(runDir: string, record: RunRecord): Promise<void> {
  await writeFile(join(runDir, 'run.json'), JSON.stringify(record, null, 2) + '\n');
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

export function statusFrom(k6: K6RunResult, plan: Plan): RunRecord['status'] {
  if (k6.forwarded) return 'interrupted';
  if (k6.exitCode === K6_EXIT.ok) return 'completed';
  const plannedMs = (plan.stages[plan.stages.length - 1]?.endS ?? 0) * 1000;
  if (k6.exitCode === K6_EXIT.thresholdsFailed) return k6.durationMs < plannedMs ? 'aborted' : 'completed';
  if (k6.exitCode === K6_EXIT.scriptAborted || k6.exitCode === K6_EXIT.externalAbort) return 'aborted';
  return 'failed';
}

export async function runTest(opts: RunOptions, k6bin?: K6Binary): Promise<RunOutcome> {
  const now = opts.now ?? (() => new Date());
  const { scenario, profile } = validateNames(opts.scenario, opts.profile, opts.config);
  const k6 = k6bin ?? (await locateK6());
  const runId = newRunId(now(), scenario, profile);
  const plan = PlanSchema.parse(
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
  const runDir = await createRunDir(opts.config.outDir, runId);
  const planPath = join(runDir, 'plan.json');
  await writeFile(planPath, JSON.stringify(plan, null, 2) + '\n');
  const script = await ensureBundle(scenario, 'run');

  const targetReachable = await isReachable(plan.baseUrl);
  if (!targetReachable) {
    opts.log(`warning: ${plan.baseUrl} does not accept connections; the run goes on and will record connection errors`);
  }

  const apiAddress = `127.0.0.1:${await freePort()}`;
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
    rawFiles: ['raw.ndjson.gz'],
    influx: opts.influx ?? null,
  };
  await writeRecord(runDir, record);
  opts.log(`run ${runId}: ${scenario}/${profile} against ${plan.baseUrl} → ${runDir}`);
  await notify(opts.observers, opts.log, (o) => o.onStart?.(plan, record));

  const totalS = plan.stages[plan.stages.length - 1]?.endS ?? 0;
  const progress = createProgress(opts.progress, process.stderr);
  // The stage clock starts when k6 starts executing, not when it is spawned: initialising
  // hundreds of pre-allocated VUs takes a while, and the stages are k6's, not the wall's.
  let startedMs: number | null = null;
  let finished = false;
  let lastStage: string | null = null;
  let lastRequests = 0;
  let lastPollMs = Date.now();
  const timer = setInterval(() => {
    void (async () => {
      if (startedMs === null) {
        if (!(await k6HasStarted(apiAddress))) return;
        startedMs ??= Date.now();
      }
      if (finished) return;
      const elapsedS = (Date.now() - startedMs) / 1000;
      const stage = stageAt(plan, elapsedS);
      if (stage.name !== lastStage) {
        lastStage = stage.name;
        await notify(opts.observers, opts.log, (o) => o.onStage?.(plan, stage, Date.now()));
      }
      const live = await readLiveMetrics(apiAddress);
      // A poll still in flight when k6 ends must not draw on a stopped display.
      if (!live || finished) return;
      const nowMs = Date.now();
      const rps = ((live.requests - lastRequests) * 1000) / Math.max(1, nowMs - lastPollMs);
      lastRequests = live.requests;
      lastPollMs = nowMs;
      progress.update({ ...live, elapsedS, totalS, stage: stage.name, rps });
    })();
  }, 1000);

  let result: K6RunResult;
  try {
    result = await runK6({
      k6,
      script,
      env: { LOADGATE_PLAN: planPath, [plan.users.passwordEnv]: opts.password, ...opts.extraEnv },
      outputs: [`json=${join(runDir, 'raw.ndjson.gz')}`, ...opts.extraOutputs],
      summaryExport: join(runDir, 'summary.json'),
      apiAddress,
      logFile: join(runDir, 'k6.log'),
      redact: [opts.password],
    });
  } finally {
    finished = true;
    clearInterval(timer);
    progress.stop();
  }

  record.status = statusFrom(result, plan);
  record.k6ExitCode = result.exitCode;
  record.signal = result.forwarded ?? result.signal;
  record.endedAt = now().toISOString();
  await writeRecord(runDir, record);
  await notify(opts.observers, opts.log, (o) => o.onEnd?.(plan, record));
  return { runDir, plan, record, k6: result, targetReachable };
}
