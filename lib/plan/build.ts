/**
 * Builds the resolved plan from a validated config. Pure and free of Node APIs: the CLI calls
 * it before spawning k6, and the k6 scripts call it themselves when run without the CLI.
 */
import type { Config, FlowConfig } from '../config/schema.ts';
import type { AuthStrategy, Flow, Plan, PlanEndpoint, PlanReadiness, PlanStage } from '../contract/plan.ts';
import { LIVE_TIMEOUTS_METRICS, NO_PHASE, RAW_SYSTEM_TAGS, TIMEOUT_METRIC } from '../shared/defaults.ts';
import { READINESS_LIVE_METRICS, READINESS_SCENARIO, type ReadinessCheckId } from '../shared/readiness.ts';
import { parseDuration, k6Duration } from '../shared/duration.ts';
import { findProfile, profileNames, type LoadProfile } from '../config/profiles.ts';
import { authOf, groupOf } from '../shared/endpoint.ts';
import { resolveStatus } from '../shared/status.ts';
import { envNames } from '../shared/template.ts';
import { PERCENTILES } from '../contract/percentiles.ts';
import type { ThresholdSet } from '../contract/thresholds.ts';
import { toK6Thresholds } from '../../thresholds/k6.ts';

/** k6's end-of-test trend stats: the percentiles of the one list (k6 names the median `med`, the others `p(N)`). */
const K6_TREND_STATS = ['avg', 'min', 'max', ...PERCENTILES.map(([, q]) => (q === 0.5 ? 'med' : `p(${Math.round(q * 100)})`)), 'count'];
export interface PlanInput {
  config: Config;
  /** A flow of the config (lib/config/schema.ts `flowNames`). */
  scenario: string;
  /** A built-in profile or one of the config's own (lib/config/profiles.ts `findProfile`). */
  profile: string;
  phase: string | null;
  runId: string;
  /** ISO time of plan creation (injected: no clock in here). */
  now: string;
  /** The targets: they become k6 `options.thresholds` (thresholds/k6.ts) and the verdict's set. */
  thresholds?: { name: string; set: ThresholdSet } | null;
}

/** A plan error: the scenario or a flow cannot be built. The CLI turns it into a usage error. */
export class PlanError extends Error {}

/** Every enabled endpoint of the config, resolved (the scenario picks its own from these). */
export function resolveEndpoints(config: Config): PlanEndpoint[] {
  const defaultMs = parseDuration(config.defaultTimeout) ?? 2000;
  const out: PlanEndpoint[] = [];
  for (const [name, e] of Object.entries(config.endpoints)) {
    if (!e.enabled) continue;
    const group = groupOf(name, e);
    out.push({
      name,
      group,
      method: e.method,
      path: e.path,
      query: { ...(e.query ?? {}) },
      headers: { ...(e.headers ?? {}) },
      // null removes a body (a default one included); absent means none.
      ...(e.body === undefined || e.body === null ? {} : { body: e.body }),
      bodyType: e.bodyType ?? 'json',
      auth: authOf(config.groups, name, e),
      timeoutMs: e.timeout === null || e.timeout === undefined ? defaultMs : (parseDuration(e.timeout) ?? defaultMs),
      weight: e.weight ?? 1,
      expectStatus: (e.expectStatus ?? ['2xx']).map(resolveStatus),
      expectBody: e.expectBody ?? null,
      probe: e.probe ?? false,
    });
  }
  return out;
}

/** The config's flows in plan form: explicit ones, plus a pick flow per group without a flow of its name. */
export function resolveFlows(config: Config, endpoints: readonly PlanEndpoint[]): Record<string, Flow> {
  const enabled = new Map(endpoints.map((e) => [e.name, e]));
  const flows: Record<string, Flow> = {};
  const resolve = (f: FlowConfig): Flow | null => {
    if (f.steps) {
      const defaultThink = f.think === undefined ? 0 : (parseDuration(f.think) ?? 0);
      const steps = f.steps
        .map((s) => (typeof s === 'string' ? { endpoint: s, capture: {}, think: undefined } : s))
        // A disabled endpoint drops out of its flows: `enabled: false` is how a config skips one.
        .filter((s) => enabled.has(s.endpoint))
        .map((s) => ({
          endpoint: s.endpoint,
          capture: { ...(s.capture ?? {}) },
          thinkMs: s.think === undefined ? defaultThink : (parseDuration(s.think) ?? 0),
        }));
      return steps.length ? { kind: 'steps', steps, session: f.session ?? 'vu' } : null;
    }
    if (f.pick) {
      const picked = new Map<string, number>();
      for (const g of f.pick.groups ?? []) for (const e of endpoints) if (e.group === g && e.weight > 0) picked.set(e.name, e.weight);
      for (const [n, w] of Object.entries(f.pick.endpoints ?? {})) if (enabled.has(n)) picked.set(n, w);
      const list = [...picked].map(([n, weight]) => ({ name: n, weight }));
      return list.length ? { kind: 'pick', endpoints: list } : null;
    }
    return null; // mixes are resolved below, once every flow they name is known
  };
  const configured = (config.flows ?? {}) as Record<string, FlowConfig>;
  for (const [name, f] of Object.entries(configured)) {
    const flow = resolve(f);
    if (flow) flows[name] = flow;
  }
  for (const e of endpoints) {
    if (configured[e.group] || flows[e.group]) continue;
    const members = endpoints.filter((x) => x.group === e.group && x.weight > 0).map((x) => ({ name: x.name, weight: x.weight }));
    if (members.length) flows[e.group] = { kind: 'pick', endpoints: members };
  }
  // Mixes last, so they may name group flows; a mix of flows that all dropped out drops out too.
  let changed = true;
  while (changed) {
    changed = false;
    for (const [name, f] of Object.entries(configured)) {
      if (!f.mix || flows[name]) continue;
      const parts = Object.entries(f.mix).filter(([n, w]) => w > 0 && flows[n]);
      const pending = Object.entries(f.mix).some(([n, w]) => w > 0 && !flows[n] && configured[n]?.mix);
      if (pending && parts.length === 0) continue;
      if (parts.length) {
        flows[name] = { kind: 'mix', flows: parts.map(([n, weight]) => ({ name: n, weight })) };
        changed = true;
      }
    }
  }
  return flows;
}

/** The flows `scenario` reaches, itself first. */
function reachableFlows(flows: Record<string, Flow>, scenario: string): string[] {
  const out: string[] = [];
  const visit = (n: string) => {
    if (out.includes(n) || !flows[n]) return;
    out.push(n);
    const f = flows[n] as Flow;
    if (f.kind === 'mix') for (const part of f.flows) visit(part.name);
  };
  visit(scenario);
  return out;
}

/** The endpoint names a flow sends, its login and refresh endpoints included. */
function flowEndpoints(f: Flow): string[] {
  if (f.kind === 'steps') return f.steps.map((s) => s.endpoint);
  if (f.kind === 'pick') return f.endpoints.map((e) => e.name);
  return [];
}

interface Cost {
  /** Mean requests per iteration (logins and refreshes included). */
  mean: number;
  /** The most requests one iteration can make. */
  max: number;
  /** Think time of the longest iteration, seconds. */
  thinkS: number;
}

function loginOf(plan: Pick<Plan, 'auth'>, ep: PlanEndpoint | undefined): string | null {
  if (!ep || ep.auth === 'none') return null;
  const a = plan.auth[ep.auth];
  return a?.type === 'login' ? a.endpoint : null;
}

/**
 * What one iteration of a flow costs. A step flow counts its steps, plus the login that an
 * `iteration` session makes before its first authenticated step (unless a step logs in
 * itself). A `vu` session logs in once per VU, not per iteration: those logins, and the
 * re-logins after a 401, are counted in `max` only.
 */
function flowCost(plan: Pick<Plan, 'auth' | 'flows'>, byName: Map<string, PlanEndpoint>, name: string, seen: string[] = []): Cost {
  const f = plan.flows[name];
  if (!f || seen.includes(name)) return { mean: 1, max: 1, thinkS: 0 };
  if (f.kind === 'steps') {
    let mean = 0;
    let autoLogins = 0;
    const loggedIn = new Set<string>();
    for (const s of f.steps) {
      const ep = byName.get(s.endpoint);
      const strategyLogin = loginOf(plan, ep);
      const isLogin = Object.values(plan.auth).some((a) => a.type === 'login' && a.endpoint === s.endpoint);
      if (isLogin) loggedIn.add(s.endpoint);
      if (strategyLogin && !loggedIn.has(strategyLogin)) {
        loggedIn.add(strategyLogin);
        autoLogins += 1;
        if (f.session === 'iteration') mean += 1;
      }
      mean += 1;
    }
    // +1: a re-login after a 401 (the first one of a `vu` session is in autoLogins).
    const max = f.steps.length + autoLogins + (autoLogins > 0 ? 1 : 0);
    return { mean, max, thinkS: f.steps.reduce((n, s) => n + s.thinkMs, 0) / 1000 };
  }
  if (f.kind === 'pick') {
    const auto = f.endpoints.some((e) => loginOf(plan, byName.get(e.name)) !== null) ? 2 : 0;
    return { mean: 1, max: 1 + auto, thinkS: 0 };
  }
  let total = 0;
  let weights = 0;
  let max = 1;
  let thinkS = 0;
  for (const part of f.flows) {
    const c = flowCost(plan, byName, part.name, [...seen, name]);
    total += part.weight * c.mean;
    weights += part.weight;
    max = Math.max(max, c.max);
    thinkS = Math.max(thinkS, c.thinkS);
  }
  return { mean: weights > 0 ? total / weights : 1, max, thinkS };
}

/** Login strategies that `vu`-session flows (and pick flows) authenticate with: the session pool's. */
function vuSessionStrategies(flows: Record<string, Flow>, byName: Map<string, PlanEndpoint>, auth: Record<string, AuthStrategy>): string[] {
  const out = new Set<string>();
  const add = (name: string) => {
    const a = byName.get(name)?.auth;
    if (a && auth[a]?.type === 'login') out.add(a);
  };
  for (const f of Object.values(flows)) {
    if (f.kind === 'steps' && f.session === 'vu') {
      // A flow that logs in with a step of its own opens its own session.
      const own = new Set(f.steps.map((s) => s.endpoint));
      for (const s of f.steps) {
        const a = byName.get(s.endpoint)?.auth;
        const strategy = a ? auth[a] : undefined;
        if (strategy?.type === 'login' && !own.has(strategy.endpoint)) add(s.endpoint);
      }
    }
    if (f.kind === 'pick') for (const e of f.endpoints) add(e.name);
  }
  return [...out].sort();
}

/** Plan auth strategies from the config's (defaults filled in by zod; the standalone bundle has them written out). */
function resolveAuth(config: Config, used: ReadonlySet<string>): Record<string, AuthStrategy> {
  const out: Record<string, AuthStrategy> = {};
  for (const [name, a] of Object.entries(config.auth ?? {}) as Array<[string, AuthStrategy]>) {
    if (used.has(name)) out[name] = a;
  }
  return out;
}

/**
 * The stages as the profile writes them. A stage whose `from` differs from where the previous
 * one ended is a step: the rate jumps at its start (k6 gets a zero-length stage).
 */
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

/** k6 ramping-arrival-rate stages for the plan's stages, with a zero-length jump before each step. */
export function k6Stages(stages: readonly PlanStage[], perMinute: (rps: number) => number): Array<{ target: number; duration: string }> {
  const out: Array<{ target: number; duration: string }> = [];
  let previous = perMinute(stages[0]?.fromRps ?? 0);
  for (const s of stages) {
    const from = perMinute(s.fromRps);
    if (from !== previous) out.push({ target: from, duration: '0s' });
    const to = perMinute(s.toRps);
    out.push({ target: to, duration: k6Duration(s.endS - s.startS) });
    previous = to;
  }
  return out;
}

/** An endpoint the readiness checks can ask: a GET (or HEAD) whose path and query need no placeholder. */
function readinessEligible(e: PlanEndpoint): boolean {
  return (e.method === 'GET' || e.method === 'HEAD') && ![e.path, ...Object.values(e.query)].some((t) => t.includes('{{'));
}

/**
 * The readiness checks of a plan, from the config's `readiness` and every enabled endpoint of the
 * config (a check may ask endpoints the scenario does not call): null when switched off. Endpoint
 * lists left null are picked here (docs/verdicts.md). A check switched on with nothing to ask (an
 * API without probes, monitoring endpoints or a configured origin) is null and named in
 * `skipped` with the reason, which the verdict states; with nothing to ask at all the plan keeps
 * the reasons and no target, and the run has no readiness scenario (hasReadinessRequests).
 */
export function resolveReadiness(config: Config, all: readonly PlanEndpoint[]): PlanReadiness | null {
  const r = config.readiness;
  if (!r?.enabled) return null;
  const byName = new Map(all.map((e) => [e.name, e]));
  const pick = (names: readonly string[] | null, auto: (e: PlanEndpoint) => boolean) =>
    (names === null ? all.filter(auto) : names.map((n) => byName.get(n)).filter((e): e is PlanEndpoint => e !== undefined)).filter(
      readinessEligible,
    );
  const skipped: Partial<Record<ReadinessCheckId, string>> = {};
  const skip = (ids: readonly ReadinessCheckId[], why: string) => {
    for (const id of ids) skipped[id] = why;
  };
  const eligible = 'a GET endpoint without placeholders';
  const probes = r.probes.enabled ? pick(r.probes.endpoints, (e) => e.probe) : [];
  if (r.probes.enabled && !probes.length) {
    skip(['probes.latency'], `no probe endpoint configured (probe: true on ${eligible}, or readiness.probes.endpoints)`);
  }
  const prometheus = r.monitoring.enabled ? pick(r.monitoring.prometheus, () => false) : [];
  const monitoring = r.monitoring.enabled ? pick(r.monitoring.endpoints, (e) => e.group === 'monitoring') : [];
  for (const p of prometheus) if (!monitoring.includes(p)) monitoring.push(p);
  if (r.monitoring.enabled && !monitoring.length) {
    skip(
      ['monitoring.answering'],
      `no monitoring endpoint configured (${eligible} in the group monitoring, or readiness.monitoring.endpoints)`,
    );
  }
  if (r.monitoring.enabled && !prometheus.length) {
    skip(['monitoring.prometheus'], 'no Prometheus endpoint configured (readiness.monitoring.prometheus)');
  }
  const special = new Set([...probes, ...monitoring].map((e) => e.name));
  const headers = r.securityHeaders.enabled ? pick(r.securityHeaders.endpoints, (e) => !e.probe && !special.has(e.name)) : [];
  if (r.securityHeaders.enabled && !headers.length) {
    skip(
      ['security.content-type-options', 'security.frame-options', 'security.referrer-policy', 'security.hsts'],
      `no endpoint to sample for security headers (${eligible} that is not a probe, or readiness.securityHeaders.endpoints)`,
    );
  }
  const corsCandidates = all.filter(readinessEligible).filter((e) => !e.probe && !special.has(e.name));
  const corsEndpoint = !r.cors.enabled
    ? undefined
    : r.cors.endpoint !== null
      ? byName.get(r.cors.endpoint)
      : (corsCandidates.find((e) => e.auth !== 'none') ?? corsCandidates[0]);
  const allowedOrigin = r.cors.allowedOrigin;
  if (r.cors.enabled && allowedOrigin === null) {
    skip(['cors.allowed', 'cors.refused'], 'no allowed origin configured (readiness.cors.allowedOrigin)');
  } else if (r.cors.enabled && !corsEndpoint) {
    skip(['cors.allowed', 'cors.refused'], `no endpoint for the CORS preflight (${eligible}, or readiness.cors.endpoint)`);
  }
  const cors =
    corsEndpoint && allowedOrigin !== null
      ? {
          endpoint: corsEndpoint.name,
          path: corsEndpoint.path,
          method: corsEndpoint.method,
          allowedOrigin,
          refusedOrigin: r.cors.refusedOrigin,
          requestHeaders: [...r.cors.requestHeaders],
        }
      : null;
  const targets = [...new Map([...probes, ...monitoring, ...headers].map((e) => [e.name, e])).values()].map((e) => {
    const query = Object.entries(e.query)
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
      .join('&');
    return {
      name: e.name,
      method: e.method,
      url: query ? `${e.path}?${query}` : e.path,
      expectStatus: e.expectStatus,
      expectBody: e.expectBody,
    };
  });
  // Compression is judged on the answers of the other checks' GETs (a preflight has no body).
  if (r.compression.enabled && !targets.length) {
    skip(['compression'], 'no readiness request with an answer to judge (no probe, monitoring or header endpoint)');
  }
  const https = /^https:/i.test(config.target.baseUrl);
  return {
    scenario: READINESS_SCENARIO,
    rate: r.rate,
    timeoutMs: parseDuration(r.timeout) ?? 2000,
    targets,
    securityHeaders: headers.length
      ? { endpoints: headers.map((e) => e.name), hsts: r.securityHeaders.hsts === 'always' || (r.securityHeaders.hsts === 'auto' && https) }
      : null,
    cors,
    compression: r.compression.enabled && targets.length ? { minBytes: r.compression.minBytes } : null,
    probes: probes.length ? { endpoints: probes.map((e) => e.name), maxMs: r.probes.maxMs } : null,
    monitoring: monitoring.length ? { endpoints: monitoring.map((e) => e.name), prometheus: prometheus.map((e) => e.name) } : null,
    ...(Object.keys(skipped).length ? { skipped } : {}),
  };
}

/** Whether the readiness checks send anything: without a target or a preflight the run has no readiness scenario. */
export function hasReadinessRequests(r: PlanReadiness): boolean {
  return r.targets.length > 0 || r.cors !== null;
}

/** Requests one readiness iteration sends at most: a probe, a monitoring endpoint, a header sample, a preflight. */
export const READINESS_REQUESTS_PER_ITERATION = 4;

/**
 * The readiness scenario for k6: a constant arrival rate over the whole load, with enough VUs
 * for every request of an iteration to hit its timeout. Its own `exec` (the entry scripts'
 * `readiness` export), so it never runs the load's flow.
 */
export function readinessK6Scenario(r: PlanReadiness, durationS: number): Record<string, unknown> {
  const iterationS = (READINESS_REQUESTS_PER_ITERATION * r.timeoutMs) / 1000;
  const vus = Math.min(50, Math.ceil(r.rate * iterationS * 1.2) + 1);
  return {
    executor: 'constant-arrival-rate',
    // Per minute: a fractional rate per second (0.5) stays exact.
    rate: Math.max(1, Math.round(r.rate * 60)),
    timeUnit: '1m',
    duration: k6Duration(durationS),
    preAllocatedVUs: vus,
    maxVUs: vus,
    exec: 'readiness',
    gracefulStop: k6Duration(Math.ceil(iterationS) + 1),
  };
}

export function buildPlan(input: PlanInput): Plan {
  const { config, scenario } = input;
  const profile = findProfile(config, input.profile);
  if (!profile) throw new PlanError(`unknown profile "${input.profile}"; valid profiles: ${profileNames(config).join(', ')}`);
  const all = resolveEndpoints(config);
  const allFlows = resolveFlows(config, all);
  if (!allFlows[scenario]) {
    const names = [...new Set([...Object.keys(config.flows ?? {}), ...Object.keys(allFlows)])].filter((n) => allFlows[n]);
    throw new PlanError(
      `unknown scenario "${scenario}"; valid scenarios (the config's flows): ${names.join(', ') || '(none: add endpoints and flows)'}`,
    );
  }
  const flowNames = reachableFlows(allFlows, scenario);
  const flows = Object.fromEntries(flowNames.map((n) => [n, allFlows[n] as Flow]));
  const byName = new Map(all.map((e) => [e.name, e]));
  // The scenario's endpoints, then the logins and refreshes their strategies send.
  const names = new Set(flowNames.flatMap((n) => flowEndpoints(flows[n] as Flow)));
  const usedAuth = new Set<string>();
  for (const n of [...names]) {
    const a = byName.get(n)?.auth;
    if (a && a !== 'none') usedAuth.add(a);
  }
  const auth = resolveAuth(config, usedAuth);
  for (const strategy of Object.values(auth)) {
    if (strategy.type !== 'login') continue;
    for (const n of [strategy.endpoint, strategy.refresh?.endpoint]) {
      if (n === undefined) continue;
      if (!byName.has(n)) throw new PlanError(`the login strategy needs the endpoint "${n}", which is disabled`);
      names.add(n);
    }
  }
  const endpoints = all.filter((e) => names.has(e.name));
  const sessionPool = vuSessionStrategies(flows, byName, auth);
  const poolSize = Math.min(config.users.count, config.users.sessions ?? 0);
  const planAuth: Pick<Plan, 'auth' | 'flows'> = { auth, flows };
  const cost = flowCost(planAuth, byName, scenario);
  const rpi = cost.mean;
  const stages = buildStages(profile, config.load.rps, config.load.durationScale);
  const readiness = resolveReadiness(config, all);
  const readinessScenario =
    readiness && hasReadinessRequests(readiness) ? readinessK6Scenario(readiness, stages[stages.length - 1]?.endS ?? 0) : null;

  // Iterations per minute: k6 arrival rates are integers per timeUnit, so a minute gives 1/60 it/s resolution.
  const perMinute = (rps: number) => Math.round((rps / rpi) * 60);
  const peakRps = Math.max(...stages.map((s) => Math.max(s.fromRps, s.toRps)));
  const maxTimeoutS = Math.max(...endpoints.map((e) => e.timeoutMs)) / 1000;
  const worstIterationS = cost.max * maxTimeoutS + cost.thinkS;
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
    stages: k6Stages(stages, perMinute),
    gracefulStop: k6Duration(Math.ceil(worstIterationS) + 1),
  };

  const tags: Record<string, string> = { testid: input.runId };
  // Always set: the harness's own InfluxDB points say `none` too, so one phase filter finds both.
  tags['phase'] = input.phase || NO_PHASE;

  const headers = { ...(config.target.headers ?? {}) };
  const env = new Set<string>();
  const texts = [...Object.values(headers)];
  for (const e of endpoints) texts.push(e.path, ...Object.values(e.query), ...Object.values(e.headers), JSON.stringify(e.body ?? ''));
  for (const n of envNames(texts)) env.add(n);
  for (const a of Object.values(auth)) {
    if (a.type === 'apiKey' || a.type === 'bearer') env.add(a.env);
    if (a.type === 'basic') {
      env.add(a.passwordEnv);
      if (a.usernameEnv) env.add(a.usernameEnv);
    }
  }
  if (texts.some((t) => t.includes('{{password}}'))) env.add(config.users.passwordEnv);

  return {
    kind: 'loadgate.plan',
    version: 2,
    runId: input.runId,
    createdAt: input.now,
    scenario,
    profile: input.profile,
    phase: input.phase,
    thresholdSet: input.thresholds?.name ?? null,
    baseUrl: config.target.baseUrl.replace(/\/+$/, ''),
    headers,
    endpoints,
    auth,
    flows,
    users: { ...config.users },
    ...(poolSize > 0 && sessionPool.length ? { sessionPool: Object.fromEntries(sessionPool.map((n) => [n, poolSize])) } : {}),
    env: [...env].sort(),
    requestsPerIteration: rpi,
    durationScale: config.load.durationScale,
    stages,
    k6Options: {
      // k6 takes letters, digits, "_" and "-" in a scenario name; a group's flow may have a ".".
      scenarios: {
        [scenario.replace(/[^A-Za-z0-9_-]/g, '_')]: k6Scenario,
        // The readiness checks beside the load, in the same k6 run; the analysis keeps their samples apart.
        ...(readinessScenario ? { [READINESS_SCENARIO]: readinessScenario } : {}),
      },
      thresholds: {
        ...(input.thresholds
          ? toK6Thresholds(input.thresholds.set, endpoints, {
              abortOnFail: profile.abortOnFail,
              timeoutRateMetric: TIMEOUT_METRIC,
            })
          : {}),
        // No rule, never failing: they only make k6 track the submetrics the live progress reads:
        // the timed-out requests, and the readiness scenario's, which it subtracts so its figures are the load's.
        ...Object.fromEntries(LIVE_TIMEOUTS_METRICS.map((m) => [m, []])),
        ...(readinessScenario ? Object.fromEntries(Object.values(READINESS_LIVE_METRICS).map((m) => [m, []])) : {}),
      },
      tags,
      // Only the system tags the analysis and the live path read: every sample line of the raw
      // output carries them, so each one more costs k6 CPU on every request. Without `url` above
      // all: a query-string API key would land in every sample, raw file and InfluxDB point; the
      // `name` tag identifies the endpoint. Left out too: method and proto (the plan has them),
      // `error` (a free text with addresses in it; error_code classifies), expected_response
      // (loadgate classifies outcomes by status itself), subproto, tls_version, service.
      systemTags: [...RAW_SYSTEM_TAGS],
      summaryTrendStats: K6_TREND_STATS,
      // Response bodies are needed for the body-shape checks and token extraction.
      discardResponseBodies: false,
    },
    ...(readiness ? { readiness } : {}),
  };
}
