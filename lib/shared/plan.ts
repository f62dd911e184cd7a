/**
 * Builds the resolved plan from a validated config. Pure and free of Node APIs: the CLI calls
 * it before spawning k6, and the k6 scripts call it themselves when run without the CLI.
 */
import type { Config } from '../config/schema.ts';
import type { Plan, PlanEndpoint, PlanStage } from '../plan/schema.ts';
import { FLOWS, MONITORING_WEIGHTS, type ScenarioName } from './defaults.ts';
import { parseDuration, k6Duration } from './duration.ts';
import { findProfile, profileNames, type LoadProfile } from './profiles.ts';
import type { ThresholdSet } from '../../thresholds/schema.ts';
import { toK6Thresholds } from '../../thresholds/k6.ts';
import { NO_PHASE, TIMEOUT_METRIC } from './defaults.ts';

export interface PlanInput {
  config: Config;
  scenario: ScenarioName;
  /** A built-in profile or one of the config's own (lib/shared/profiles.ts `findProfile`). */
  profile: string;
  phase: string | null;
  runId: string;
  /** ISO time of plan creation (injected: no clock in here). */
  now: string;
  /** The targets: they become k6 `options.thresholds` (thresholds/k6.ts) and the verdict's set. */
  thresholds?: { name: string; set: ThresholdSet } | null;
}

/** Mean HTTP requests per iteration of each flow (logins of the user flow are rare and left out). */
function flowRequests(endpoints: readonly PlanEndpoint[]): Record<'auth' | 'user' | 'monitoring', number> {
  const enabled = new Set(endpoints.map((e) => e.name));
  const count = (names: readonly string[]) => Math.max(1, names.filter((n) => enabled.has(n)).length);
  return { auth: count(FLOWS.auth), user: count(FLOWS.user), monitoring: 1 };
}

export function requestsPerIteration(scenario: ScenarioName, endpoints: readonly PlanEndpoint[], weights: Record<string, number>): number {
  const perFlow = flowRequests(endpoints);
  if (scenario !== 'journey') return perFlow[scenario];
  let total = 0;
  let weightSum = 0;
  for (const flow of ['auth', 'user', 'monitoring'] as const) {
    const w = weights[flow] ?? 0;
    total += w * perFlow[flow];
    weightSum += w;
  }
  return weightSum > 0 ? total / weightSum : 1;
}

/** The most requests one iteration can make (bounds how long an iteration can take). */
function maxRequestsPerIteration(scenario: ScenarioName, endpoints: readonly PlanEndpoint[]): number {
  const perFlow = flowRequests(endpoints);
  // +1: the user flow may log in again after a 401.
  if (scenario === 'journey') return Math.max(perFlow.auth, perFlow.user + 1, perFlow.monitoring);
  return scenario === 'user' ? perFlow.user + 1 : perFlow[scenario];
}

export function resolveEndpoints(config: Config): PlanEndpoint[] {
  const defaultMs = parseDuration(config.defaultTimeout) ?? 2000;
  const out: PlanEndpoint[] = [];
  for (const [name, e] of Object.entries(config.endpoints)) {
    if (!e.enabled) continue;
    out.push({
      name,
      group: e.group,
      method: e.method,
      path: e.path,
      ...(e.body === undefined ? {} : { body: e.body }),
      auth: e.auth,
      timeoutMs: e.timeout === null ? defaultMs : (parseDuration(e.timeout) ?? defaultMs),
      expectStatus: [...e.expectStatus],
      // Superseded by expectBody; kept (null) so the plan stays version 1.
      expectField: null,
      expectBody: e.expectBody,
      probe: e.probe,
    });
  }
  return out;
}

/** Which endpoints a scenario calls. */
export function scenarioEndpoints(scenario: ScenarioName, endpoints: readonly PlanEndpoint[]): PlanEndpoint[] {
  const monitoring = (e: PlanEndpoint) => e.group === 'monitoring' || e.group === 'probes' || MONITORING_WEIGHTS[e.name] !== undefined;
  const inFlow = (names: readonly string[]) => (e: PlanEndpoint) => names.includes(e.name);
  switch (scenario) {
    case 'auth':
      return endpoints.filter(inFlow(FLOWS.auth));
    case 'user':
      // The user flow logs in to get its session.
      return endpoints.filter((e) => FLOWS.user.includes(e.name as never) || e.name === 'auth.login');
    case 'monitoring':
      return endpoints.filter(monitoring);
    case 'journey':
      return endpoints.filter((e) => FLOWS.auth.includes(e.name as never) || FLOWS.user.includes(e.name as never) || monitoring(e));
  }
}

export function buildStages(profile: LoadProfile, rps: number, durationScale: number): PlanStage[] {
  const stages: PlanStage[] = [];
  let t = 0;
  for (const s of profile.stages) {
    // Whole seconds keep k6's stage boundaries and the stage tags in step.
    const d = Math.max(1, Math.round(s.durationS * durationScale));
    stages.push({ name: s.name, startS: t, endS: t + d, fromRps: s.from * rps, toRps: s.to * rps });
    t += d;
  }
  return stages;
}

export function buildPlan(input: PlanInput): Plan {
  const { config, scenario } = input;
  const profile = findProfile(config, input.profile);
  if (!profile) throw new Error(`unknown profile "${input.profile}"; valid profiles: ${profileNames(config).join(', ')}`);
  const all = resolveEndpoints(config);
  const endpoints = scenarioEndpoints(scenario, all);
  const weights = { ...config.journey.weights };
  const rpi = requestsPerIteration(scenario, endpoints, weights);
  const stages = buildStages(profile, config.load.rps, config.load.durationScale);

  // Iterations per minute: k6 arrival rates are integers per timeUnit, so a minute gives 1/60 it/s resolution.
  const perMinute = (rps: number) => Math.round((rps / rpi) * 60);
  const peakRps = Math.max(...stages.map((s) => Math.max(s.fromRps, s.toRps)));
  const maxTimeoutS = Math.max(...endpoints.map((e) => e.timeoutMs)) / 1000;
  const worstIterationS = maxRequestsPerIteration(scenario, endpoints) * maxTimeoutS;
  // Enough VUs for every iteration to hit every timeout at the peak rate: a shortfall then
  // means the generator was capped on purpose (--max-vus), which the verdict reports.
  // (The epsilon keeps float noise such as 20 × 10 × 1.1 = 220.00000000000003 from adding a VU.)
  const derivedMaxVUs = Math.min(2000, Math.ceil((peakRps / rpi) * worstIterationS * 1.1 - 1e-9) + 5);
  const maxVUs = config.load.maxVUs ?? derivedMaxVUs;
  // k6 drops iterations while it initialises VUs mid-run, which would be the generator's
  // fault, not the system's: pre-allocate what a slow system needs (up to a memory bound).
  const preAllocatedVUs = Math.max(1, Math.min(maxVUs, 400));

  const k6Scenario = {
    executor: 'ramping-arrival-rate',
    startRate: perMinute(stages[0]?.fromRps ?? 0),
    timeUnit: '1m',
    preAllocatedVUs,
    maxVUs,
    stages: stages.map((s) => ({ target: perMinute(s.toRps), duration: k6Duration(s.endS - s.startS) })),
    gracefulStop: k6Duration(Math.ceil(worstIterationS) + 1),
  };

  const tags: Record<string, string> = { testid: input.runId };
  // Always set: the harness's own InfluxDB points say `none` too, so one phase filter finds both.
  tags['phase'] = input.phase || NO_PHASE;

  return {
    kind: 'loadgate.plan',
    version: 1,
    runId: input.runId,
    createdAt: input.now,
    scenario,
    profile: input.profile,
    phase: input.phase,
    thresholdSet: input.thresholds?.name ?? null,
    baseUrl: config.target.baseUrl.replace(/\/+$/, ''),
    endpoints,
    tokens: { ...config.tokens },
    users: { ...config.users },
    journeyWeights: weights,
    requestsPerIteration: rpi,
    durationScale: config.load.durationScale,
    stages,
    k6Options: {
      scenarios: { [scenario]: k6Scenario },
      thresholds: input.thresholds
        ? toK6Thresholds(input.thresholds.set, endpoints, {
            abortOnFail: profile.abortOnFail,
            timeoutRateMetric: TIMEOUT_METRIC,
          })
        : {},
      tags,
      summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)', 'count'],
      // Response bodies are needed for the body-shape checks and token extraction.
      discardResponseBodies: false,
    },
  };
}
