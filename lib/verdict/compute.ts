/**
 * Targets × analysis → verdict. Pure: no I/O, no clock (the caller injects `now`).
 * The rules are documented, with their reasons, in docs/verdicts.md; keep the two in step.
 *
 * The two parties a verdict must keep apart:
 *   - the system under test owns its latencies, errors and timeouts: a breach measured at a
 *     lower load than promised is still a breach;
 *   - the load generator owns the offered load: a pass measured while k6 dropped iterations
 *     (ran short of VUs) is not proven at the promised load, so it is inconclusive;
 *   - and it owns its own delay: a k6 that used (nearly) every core (generator.json,
 *     lib/verdict/generator.ts) measured itself, so what it measured there is inconclusive.
 */
import type { Analysis, Endpoint, Stage, Stats } from '../contract/analysis.ts';
import { isSaturated, loadFigures, steadyStages } from '../contract/figures.ts';
import type { PlanReadiness } from '../contract/plan.ts';
import { scoreReadiness } from '../shared/readiness-score.ts';
import { generatorHealth } from './generator.ts';
import { saturatedStagesReason, saturationReason } from '../shared/generator-text.ts';
import type { GeneratorFile } from '../contract/run.ts';
import { resolveTarget, throughputTarget, type ResolvedTargets } from '../../thresholds/k6.ts';
import type { ThresholdSet } from '../contract/thresholds.ts';
import { THRESHOLDS_VERSION } from '../contract/thresholds.ts';
import {
  VERDICT_VERSION,
  type GeneratorHealth,
  type StageValidity,
  type TargetKind,
  type Validity,
  type Verdict,
  type VerdictRow,
  type VerdictStatus,
} from '../contract/verdict.ts';

export interface VerdictOptions {
  /** The set's name, recorded in the verdict. Default `custom`. */
  setName?: string;
  /** Which rows decide the overall status. Default `run`. */
  gate?: 'run' | 'every-stage';
  /** A stage is short when its dropped iterations exceed this share of its planned iterations. Default 0.01. */
  droppedTolerance?: number;
  /** Achieved throughput may be this share below the target and pass (arrival jitter, window edges). Default 0.02. */
  throughputTolerance?: number;
  /** Mean HTTP requests per iteration (the plan's); else estimated from the analysis totals. */
  requestsPerIteration?: number;
  /**
   * The plan's endpoints: their `probe` flags (the analysis has none), and endpoints the plan
   * called for that never got a request (their rows are inconclusive). Without it, an endpoint
   * is a probe when its group is `probes`.
   */
  endpoints?: ReadonlyArray<{ name: string; group: string; probe: boolean }>;
  /** ISO time recorded as `generatedAt`. */
  now?: string;
  /**
   * The production gate: the run is judged against it too, by the same rules and settings, and
   * the result recorded as `production` (docs/verdicts.md, "Two questions"). It never changes
   * `status`. Absent: no production judgement.
   */
  production?: { name: string; set: ThresholdSet };
  /**
   * The plan's readiness checks (which ones were switched on), for the readiness score; absent:
   * a check counts as on when the analysis has samples of it. null: none were.
   */
  readiness?: PlanReadiness | null;
  /** Leaves out the readiness score (the production judgement's own pass needs none). */
  skipReadiness?: boolean;
  /**
   * The load generator's CPU and memory samples (generator.json): a stage in which k6 was
   * CPU-saturated proves nothing (lib/verdict/generator.ts). null: the run has none (recorded
   * as such); absent: not considered.
   */
  generator?: GeneratorFile | null;
}

export const VERDICT_DEFAULTS = { gate: 'run', droppedTolerance: 0.01, throughputTolerance: 0.02 } as const;

const STATUS_RANK: Record<VerdictStatus, number> = { fail: 0, inconclusive: 1, pass: 2 };
const EPS = 1e-9;

interface Scope {
  /** `all` or a stage name. */
  stage: string;
  gating: boolean;
  /** The generator fell short within this scope. */
  short: boolean;
  /** Why the scope's passes are not proven (generator shortfall, incomplete run). */
  unproven: string | null;
  /** Why nothing measured in this scope is proven: the load generator was CPU-saturated in (part of) it. */
  saturatedGenerator: string | null;
}

interface EndpointInfo {
  name: string;
  group: string | null;
  probe: boolean;
  timeoutMs: number | null;
  data: Endpoint | null;
}

function fmt(n: number, digits = 1): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(digits);
}
const pct = (r: number) => `${fmt(r * 100)} %`;

function emptyStatsRow(
  target: TargetKind,
  ep: EndpointInfo,
  scope: Scope,
  threshold: number,
  comparator: VerdictRow['comparator'],
  unit: VerdictRow['unit'],
  reason: string,
): VerdictRow {
  return {
    target,
    endpoint: ep.name,
    group: ep.group,
    stage: scope.stage,
    gating: scope.gating,
    status: 'inconclusive',
    measured: null,
    threshold,
    comparator,
    unit,
    margin: null,
    marginRel: null,
    requests: 0,
    censored: false,
    reason,
  };
}

function compare(measured: number, comparator: VerdictRow['comparator'], threshold: number): boolean {
  switch (comparator) {
    case '<':
      return measured < threshold;
    case '<=':
      return measured <= threshold;
    case '>=':
      return measured >= threshold;
  }
}

function margins(measured: number | null, threshold: number): { margin: number | null; marginRel: number | null } {
  if (measured === null) return { margin: null, marginRel: null };
  const margin = measured - threshold;
  return { margin, marginRel: threshold !== 0 ? margin / threshold : null };
}

/** Applies the generator rule: a pass in an unproven scope is inconclusive; a fail stays a fail. */
function qualify(row: VerdictRow, scope: Scope): VerdictRow {
  if (scope.unproven === null) return row;
  if (row.status === 'pass') {
    return {
      ...row,
      status: 'inconclusive',
      reason: joinReason(row.reason, `within the target, but not proven at the offered load: ${scope.unproven}`),
    };
  }
  if (row.status === 'fail' && scope.short) {
    return { ...row, reason: joinReason(row.reason, 'breached even below the offered load') };
  }
  return row;
}

/**
 * The saturated-generator rule: a k6 that used (nearly) every core delays its own requests and
 * timers, so what it measured in that scope is its own delay as much as the API's. A pass is not
 * proven and a breach is not proven the system's: both are inconclusive. One exception: an
 * error-rate breach that the failures other than timeouts make on their own (5xx, 4xx,
 * connection errors: the system's own answers) stays a fail.
 */
function qualifyGenerator(row: VerdictRow, scope: Scope, ownFailureRate: number | null = null): VerdictRow {
  const why = scope.saturatedGenerator;
  if (why === null || row.measured === null) return row;
  if (row.status === 'fail' && ownFailureRate !== null && !compare(ownFailureRate, row.comparator, row.threshold)) {
    return {
      ...row,
      reason: joinReason(
        row.reason,
        `the failures other than timeouts breach the target on their own (${pct(ownFailureRate)}), though ${why}`,
      ),
    };
  }
  if (row.status === 'pass') return { ...row, status: 'inconclusive', reason: joinReason(row.reason, `within the target, but ${why}`) };
  if (row.status === 'fail') return { ...row, status: 'inconclusive', reason: joinReason(row.reason, `breached as measured, but ${why}`) };
  return { ...row, reason: joinReason(row.reason, why) };
}

function joinReason(a: string | null, b: string): string {
  return a ? `${a}; ${b}` : b;
}

function endpointRows(ep: EndpointInfo, stats: Stats | undefined, t: ResolvedTargets, scope: Scope, skipEmpty: boolean): VerdictRow[] {
  const rows: VerdictRow[] = [];
  const empty = !stats || stats.requests === 0;
  if (empty && skipEmpty) return rows;
  const noRequests =
    scope.stage === 'all' ? 'no requests to this endpoint in the run' : `no requests to this endpoint in stage ${scope.stage}`;

  if (t.p95Ms !== null) {
    const threshold = t.p95Ms;
    if (empty || stats.durationMs.p95 === null) {
      rows.push(emptyStatsRow('p95', ep, scope, threshold, '<', 'ms', noRequests));
    } else {
      const measured = stats.durationMs.p95;
      const censored = stats.censored.p95;
      const below = compare(measured, '<', threshold);
      let status: VerdictStatus = below ? 'pass' : 'fail';
      let reason: string | null = null;
      if (censored) {
        const cap = ep.timeoutMs !== null ? ` (capped by the ${fmt(ep.timeoutMs, 0)} ms client timeout)` : '';
        if (!below) {
          reason = `censored: the true P95 is at least ${fmt(measured)} ms${cap}`;
        } else {
          // Only possible when the client timeout is below the target: the true P95 is unknown.
          status = 'inconclusive';
          reason = `censored below the target: the true P95 is unknown, at least ${fmt(measured)} ms${cap}`;
        }
      }
      rows.push(
        qualifyGenerator(
          qualify(
            {
              target: 'p95',
              endpoint: ep.name,
              group: ep.group,
              stage: scope.stage,
              gating: scope.gating,
              status,
              measured,
              threshold,
              comparator: '<',
              unit: 'ms',
              ...margins(measured, threshold),
              requests: stats.requests,
              censored,
              reason,
            },
            scope,
          ),
          scope,
        ),
      );
    }
  }

  const rateRow = (target: 'errorRate' | 'timeoutRate', threshold: number, comparator: '<' | '<=') => {
    const measured = empty ? null : target === 'errorRate' ? stats.errorRate : stats.timeoutRate;
    if (empty || measured === null) {
      rows.push(emptyStatsRow(target, ep, scope, threshold, comparator, 'ratio', noRequests));
      return;
    }
    const o = stats.outcomes;
    const bad = target === 'errorRate' ? stats.requests - o.ok : o.timeout + o.dialTimeout;
    const status: VerdictStatus = compare(measured, comparator, threshold) ? 'pass' : 'fail';
    const what = target === 'errorRate' ? 'failed' : 'timed out';
    // The failures a saturated generator cannot have caused: every one but the timeouts.
    const own = target === 'errorRate' ? (stats.requests - o.ok - o.timeout - o.dialTimeout) / stats.requests : null;
    rows.push(
      qualifyGenerator(
        qualify(
          {
            target,
            endpoint: ep.name,
            group: ep.group,
            stage: scope.stage,
            gating: scope.gating,
            status,
            measured,
            threshold,
            comparator,
            unit: 'ratio',
            ...margins(measured, threshold),
            requests: stats.requests,
            censored: false,
            reason: status === 'fail' ? `${bad} of ${stats.requests} requests ${what}` : null,
          },
          scope,
        ),
        scope,
        own,
      ),
    );
  };
  if (t.errorRate !== null) rateRow('errorRate', t.errorRate, '<');
  if (t.maxTimeoutRate !== null) rateRow('timeoutRate', t.maxTimeoutRate, '<=');
  return rows;
}

function okInStage(endpoints: readonly EndpointInfo[], stage: string): { ok: number; requests: number } {
  let ok = 0;
  let requests = 0;
  for (const ep of endpoints) {
    const s = ep.data?.byStage[stage];
    if (!s) continue;
    ok += s.outcomes.ok;
    requests += s.requests;
  }
  return { ok, requests };
}

function stageValidity(
  analysis: Analysis,
  endpoints: readonly EndpointInfo[],
  rpi: number,
  tol: number,
  steady: Set<string>,
): StageValidity[] {
  return analysis.stages.map((s) => {
    const duration = s.endS - s.startS;
    const plannedIterations = duration > 0 ? (s.offeredRps.mean * duration) / rpi : 0;
    const { ok } = okInStage(endpoints, s.name);
    const goodputRps = duration > 0 ? ok / duration : null;
    const short = s.droppedIterations > 0 && s.droppedIterations > tol * plannedIterations;
    return {
      name: s.name,
      offeredRps: s.offeredRps.mean,
      achievedRps: s.achievedRps,
      goodputRps,
      droppedIterations: s.droppedIterations,
      plannedIterations,
      short,
      steady: steady.has(s.name),
      saturated: !short && isSaturated(s.offeredRps.mean, goodputRps, s.requests) === true,
    };
  });
}

function droppedText(dropped: number, planned: number, cause = true): string {
  const share = planned > 0 ? ` (${pct(dropped / planned)} of ~${Math.round(planned)} planned)` : '';
  return `k6 dropped ${dropped} iterations${share}${cause ? ': the generator ran short of VUs' : ''}`;
}

/**
 * Is the system breaching any of its per-endpoint targets within these stages? Used to tell
 * whose fault a throughput shortfall is when the generator also dropped iterations: slow or
 * failing responses hold VUs and cause the drops.
 */
function systemBreaches(set: ThresholdSet, endpoints: readonly EndpointInfo[], stages: readonly string[]): string[] {
  const out: string[] = [];
  for (const ep of endpoints) {
    const t = resolveTarget(set, ep);
    for (const stage of stages) {
      const s = ep.data?.byStage[stage];
      if (!s || s.requests === 0) continue;
      const p95 = s.durationMs.p95;
      if (t.p95Ms !== null && p95 !== null && p95 >= t.p95Ms) out.push(`${ep.name} p95 ${fmt(p95)} ms in ${stage}`);
      // Without an error target, any failure share of 1 % or more counts as unhealthy.
      const errLimit = t.errorRate ?? 0.01;
      if (s.errorRate !== null && s.errorRate >= errLimit) out.push(`${ep.name} errors ${pct(s.errorRate)} in ${stage}`);
      if (s.timeoutRate !== null && s.timeoutRate > (t.maxTimeoutRate ?? 0))
        out.push(`${ep.name} timeouts ${pct(s.timeoutRate)} in ${stage}`);
    }
  }
  return out;
}

function throughputRow(
  set: ThresholdSet,
  minRps: number,
  analysis: Analysis,
  endpoints: readonly EndpointInfo[],
  steady: readonly Stage[],
  validity: StageValidity[],
  tol: number,
): VerdictRow {
  const base = {
    target: 'throughput' as const,
    endpoint: '*',
    group: null,
    stage: steady.length ? steady.map((s) => s.name).join('+') : 'steady',
    gating: true,
    threshold: minRps,
    comparator: '>=' as const,
    unit: 'rps' as const,
    censored: false,
  };
  if (steady.length === 0) {
    return {
      ...base,
      status: 'inconclusive',
      measured: null,
      margin: null,
      marginRel: null,
      requests: 0,
      reason: 'the profile has no constant-rate stage: no steady window to judge throughput in',
    };
  }
  let ok = 0;
  let requests = 0;
  let seconds = 0;
  for (const s of steady) {
    const c = okInStage(endpoints, s.name);
    ok += c.ok;
    requests += c.requests;
    seconds += s.endS - s.startS;
  }
  const offered = steady[0]!.offeredRps.to;
  const goodput = ok / seconds;
  const steadyNames = new Set(steady.map((s) => s.name));
  const dropped = validity.filter((v) => steadyNames.has(v.name)).reduce((n, v) => n + v.droppedIterations, 0);
  const planned = validity.filter((v) => steadyNames.has(v.name)).reduce((n, v) => n + v.plannedIterations, 0);
  const short = validity.some((v) => steadyNames.has(v.name) && v.short);
  const row = (status: VerdictStatus, reason: string | null): VerdictRow => ({
    ...base,
    status,
    measured: goodput,
    ...margins(goodput, minRps),
    requests,
    reason,
  });
  const served = `served ${fmt(goodput)} successful RPS of ${fmt(offered)} offered (${requests - ok} of ${requests} requests not ok)`;
  const incomplete =
    analysis.run.status !== 'completed' ? `the run was ${analysis.run.status}, so the steady window may be incomplete` : null;

  // Counting noise: a short window holds few requests, so the tolerance widens to two
  // standard errors of a Poisson count when that is larger than the configured share.
  const tolerance = Math.max(tol, 2 / Math.sqrt(Math.max(1, requests)));
  // The system is to blame for a shortfall only when its own failures explain it; with
  // (nearly) every request ok, fewer requests than planned means the generator sent fewer
  // (the scenario's random mix, a flow cut short, the window's edges).
  const failing = requests > 0 && (requests - ok) / requests >= Math.max(tol, 0.01);
  if (goodput >= minRps * (1 - tolerance)) return row('pass', null);

  if (offered < minRps - EPS) {
    // The test never asked for the target rate. It can still prove a breach: a system that
    // failed requests until it served less than even the lower offered rate.
    if (!short && !incomplete && failing && goodput < offered * (1 - tolerance)) {
      return row('fail', `${served}: it could not sustain even the offered rate, below the ${fmt(minRps)} RPS target`);
    }
    return row(
      'inconclusive',
      `the steady window offered only ${fmt(offered)} RPS, below the ${fmt(minRps)} RPS target: the test never asked for it`,
    );
  }
  if (incomplete) return row('inconclusive', `${served}; ${incomplete}`);
  if (!short && failing) return row('fail', `the generator delivered the load; the system ${served}`);
  if (!short) {
    return row(
      'inconclusive',
      `${served}: every request was answered, so the generator sent fewer requests than planned (the scenario's mix, the window's edges); throughput not proven`,
    );
  }
  const breaches = systemBreaches(
    set,
    endpoints,
    steady.map((s) => s.name),
  );
  if (breaches.length > 0) {
    const shown = breaches.slice(0, 3).join(', ') + (breaches.length > 3 ? `, +${breaches.length - 3} more` : '');
    return row(
      'fail',
      `${droppedText(dropped, planned)}, but the system was breaching its targets in the steady window (${shown}): the shortfall is the system's; it ${served}`,
    );
  }
  return row(
    'inconclusive',
    `${droppedText(dropped, planned)} while the system answered within its targets: throughput not proven (raise --max-vus)`,
  );
}

function infoFor(analysis: Analysis, opts: VerdictOptions): EndpointInfo[] {
  const planned = new Map((opts.endpoints ?? []).map((e) => [e.name, e]));
  const out: EndpointInfo[] = analysis.endpoints.map((e) => {
    const p = planned.get(e.name);
    return { name: e.name, group: e.group ?? p?.group ?? null, probe: p ? p.probe : e.group === 'probes', timeoutMs: e.timeoutMs, data: e };
  });
  const seen = new Set(out.map((e) => e.name));
  for (const p of opts.endpoints ?? []) {
    if (!seen.has(p.name)) out.push({ name: p.name, group: p.group, probe: p.probe, timeoutMs: null, data: null });
  }
  return out;
}

function hasTargets(set: ThresholdSet): boolean {
  const layers = [set.defaults, set.probes, ...Object.values(set.groups ?? {}), ...Object.values(set.endpoints ?? {})];
  return layers.some((l) => l && Object.values(l).some((v) => v !== null && v !== undefined));
}

export function computeVerdict(analysis: Analysis, set: ThresholdSet, opts: VerdictOptions = {}): Verdict {
  const gate = opts.gate ?? VERDICT_DEFAULTS.gate;
  const droppedTolerance = opts.droppedTolerance ?? VERDICT_DEFAULTS.droppedTolerance;
  const throughputTolerance = opts.throughputTolerance ?? VERDICT_DEFAULTS.throughputTolerance;
  const totals = analysis.totals;
  const rpi = opts.requestsPerIteration ?? (totals.iterations > 0 && totals.requests > 0 ? totals.requests / totals.iterations : 1);
  const endpoints = infoFor(analysis, opts);

  // --- validity: did the generator offer the load it promised, and did the run complete?
  const steady = steadyStages(analysis.stages);
  const stages = stageValidity(analysis, endpoints, rpi, droppedTolerance, new Set(steady.map((s) => s.name)));
  const plannedIterations = stages.reduce((n, s) => n + s.plannedIterations, 0);
  const droppedIterations = totals.droppedIterations;
  const runShort = droppedIterations > 0 && droppedIterations > droppedTolerance * plannedIterations;
  const reasons: string[] = [];
  if (runShort) reasons.push(droppedText(droppedIterations, plannedIterations));
  for (const s of stages) if (s.short) reasons.push(`stage ${s.name}: ${droppedText(s.droppedIterations, s.plannedIterations)}`);
  const incomplete = analysis.run.status !== 'completed' ? `the run was ${analysis.run.status}` : null;
  if (incomplete) reasons.push(incomplete);
  // The load generator's own CPU, per stage: a saturated one measured itself (lib/verdict/generator.ts).
  const t0 = analysis.run.startedAt === null ? Number.NaN : Date.parse(analysis.run.startedAt);
  const generator =
    opts.generator === undefined || opts.generator === null
      ? opts.generator
      : generatorHealth(opts.generator, Number.isFinite(t0) ? t0 : null, analysis.stages);
  const saturatedBy = new Map<string, string>();
  for (const s of generator?.stages ?? []) {
    if (!s.saturated || !generator) continue;
    const why = saturationReason(generator, s);
    saturatedBy.set(s.name, why);
    reasons.push(why);
  }
  // Called only with stages in saturatedBy, which only a generator fills.
  const hotWhy = (names: readonly string[]) => saturatedStagesReason(generator as GeneratorHealth, names);
  if (analysis.input.truncated) reasons.push('the raw results were truncated');
  if (steady.length === 0) reasons.push('no steady window: the profile has no constant-rate stage');
  // The one definition of offered, achieved and successful RPS (lib/contract/figures.ts), in the steady window.
  const figures = loadFigures(analysis);
  const steadyFigures = figures.window === 'steady';
  const valid = !runShort && !stages.some((s) => s.short) && !incomplete && !analysis.input.truncated && saturatedBy.size === 0;
  const saturated = valid && steadyFigures && isSaturated(figures.offeredRps, figures.successfulRps, figures.requests) === true;
  const validity: Validity = {
    offeredRps: steadyFigures ? figures.offeredRps : null,
    achievedRps: steadyFigures ? figures.achievedRps : null,
    goodputRps: steadyFigures ? figures.successfulRps : null,
    steadyStages: steady.map((s) => s.name),
    droppedIterations,
    plannedIterations,
    valid,
    saturated,
    reasons,
    stages,
    ...(generator !== undefined ? { generator } : {}),
  };

  // --- rows
  const unproven = (short: boolean, dropped: number, planned: number): string | null => {
    const parts = [short ? droppedText(dropped, planned, false) : null, incomplete].filter((p): p is string => p !== null);
    return parts.length ? parts.join('; ') : null;
  };
  const runScope: Scope = {
    stage: 'all',
    gating: true,
    short: runShort,
    unproven: unproven(runShort, droppedIterations, plannedIterations),
    saturatedGenerator: saturatedBy.size ? hotWhy([...saturatedBy.keys()]) : null,
  };
  const rows: VerdictRow[] = [];
  for (const ep of endpoints) rows.push(...endpointRows(ep, ep.data?.total, resolveTarget(set, ep), runScope, false));
  const minRps = throughputTarget(set);
  if (minRps !== null) {
    const row = throughputRow(set, minRps, analysis, endpoints, steady, stages, throughputTolerance);
    // A pass stays a pass (the system demonstrably served the rate); a shortfall may be the generator's.
    const hot = steady.filter((s) => saturatedBy.has(s.name)).map((s) => s.name);
    const why = hot.length ? hotWhy(hot) : null;
    rows.push(row.status === 'pass' ? row : qualifyGenerator(row, { ...runScope, saturatedGenerator: why }));
  }
  for (const s of stages) {
    const scope: Scope = {
      stage: s.name,
      gating: gate === 'every-stage',
      short: s.short,
      unproven: unproven(s.short, s.droppedIterations, s.plannedIterations),
      saturatedGenerator: saturatedBy.get(s.name) ?? null,
    };
    for (const ep of endpoints) rows.push(...endpointRows(ep, ep.data?.byStage[s.name], resolveTarget(set, ep), scope, gate === 'run'));
  }

  const gating = rows.filter((r) => r.gating);
  const counts = { pass: 0, fail: 0, inconclusive: 0 };
  for (const r of gating) counts[r.status] += 1;
  let status: VerdictStatus = counts.fail > 0 ? 'fail' : counts.inconclusive > 0 ? 'inconclusive' : 'pass';
  if (status === 'pass' && totals.requests === 0 && hasTargets(set)) {
    status = 'inconclusive';
    reasons.push('no request was measured');
    validity.valid = false;
  }
  // Every row may pass on its own while one stage was short of its load (drops under the
  // run-wide tolerance, all in one stage): a test that did not offer its load proves no pass.
  if (status === 'pass' && !validity.valid && hasTargets(set)) status = 'inconclusive';

  const production = opts.production ? productionJudgement(analysis, opts.production, opts) : null;
  // The readiness score reads the production gate's rows (the own ones when the own set is production).
  const productionRows = production?.rows ?? (opts.setName === 'production' ? rows.filter((r) => r.gating) : null);
  const readiness =
    opts.skipReadiness || (productionRows === null && !analysis.readiness)
      ? null
      : scoreReadiness(analysis, productionRows, opts.readiness);

  // Gating rows first, failures first; stable otherwise (endpoint order, then stages).
  const ordered = rows
    .map((r, i) => ({ r, i }))
    .sort(
      (a, b) =>
        Number(b.r.gating) - Number(a.r.gating) || (a.r.gating ? STATUS_RANK[a.r.status] - STATUS_RANK[b.r.status] : 0) || a.i - b.i,
    )
    .map(({ r }) => r);

  return {
    kind: 'loadgate.verdict',
    version: VERDICT_VERSION,
    runId: analysis.run.runId,
    generatedAt: opts.now ?? null,
    run: { scenario: analysis.run.scenario, profile: analysis.run.profile, phase: analysis.run.phase, status: analysis.run.status },
    set: { name: opts.setName ?? 'custom', thresholdsVersion: THRESHOLDS_VERSION, definition: set },
    settings: { gate, droppedTolerance, throughputTolerance },
    status,
    counts,
    validity,
    rows: ordered,
    ...(production ? { production } : {}),
    ...(readiness ? { readiness } : {}),
  };
}

/** The same analysis, rules and settings against the production gate: its gating rows and status. */
function productionJudgement(analysis: Analysis, production: { name: string; set: ThresholdSet }, opts: VerdictOptions) {
  const { production: _, ...rest } = opts;
  const v = computeVerdict(analysis, production.set, { ...rest, setName: production.name, skipReadiness: true });
  return { set: v.set, status: v.status, counts: v.counts, rows: v.rows.filter((r) => r.gating) };
}
