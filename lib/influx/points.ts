/**
 * What the harness writes to InfluxDB besides k6's own samples, as pure functions from the
 * plan, the analysis and the verdict to points. Unit-tested; the observer only sends them.
 *
 * Measurements (tags | fields):
 *   loadgate_events   testid, phase, scenario, type               | title, text, stage
 *                     one per run event (start, stage, end, verdict): Grafana annotations
 *   loadgate_targets  testid, phase, scenario, endpoint, group     | p95_ms, error_rate, timeout_rate
 *                     the run's own targets, at start, every stage change and end: target lines
 *   loadgate_summary  testid, phase, scenario, profile, endpoint,  | p50, p95, p99, p95_censored,
 *   (history RP)      group, verdict                               | requests, errors, error_rate,
 *                                                                  | timeouts, timeout_rate, achieved_rps,
 *                                                                  | target_p95, target_error_rate,
 *                                                                  | target_timeout_rate
 *                     one per endpoint per run, at the run's start time: nightly trends
 *   loadgate_runs     testid, phase, scenario, profile, verdict,   | verdict_code, requests,
 *   (history RP)      status                                       | failed, p95, error_rate, timeout_rate,
 *                                                                  | achieved_rps, offered_rps,
 *                                                                  | dropped_iterations, valid, threshold_set
 *
 * The live path (lib/influx/live.ts), from the raw results while k6 writes them, instead of
 * k6's per-sample output:
 *   loadgate_live         testid, phase, scenario, name, stage | requests, ok, <each outcome>, errors,
 *                         (scenario: k6's, readiness left out) | timeouts, min, mean, max, sum,
 *                                                              | each of PERCENTILES (p50 … p99), hist
 *                         one per endpoint × stage × k6 scenario × second, at the second's start
 *   loadgate_live_totals  testid, phase, scenario, name        | the same fields, over the run so far
 *                         one per endpoint every few seconds and at the end: the run's table
 *   loadgate_live_vus     testid, phase, scenario              | vus, vus_max, dropped_iterations
 *                         one per second
 * `hist` is the latency histogram (hdr-histogram-js compressed base64, µs): merging a run's
 * gives its percentiles within HDR_RELATIVE_ERROR.
 *
 * (No field shares a tag's name: InfluxQL would then return the field where a tag is meant.)
 * Tags carry only small, closed sets of values (names from the catalogue, phases, statuses)
 * plus the run id, one value per run as k6's own `testid`. Never a tag: URLs, error messages,
 * the target's address, anything that could hold a credential or grow without bound.
 */
import type { IPoint } from 'influx';
import { MEASUREMENTS } from '../contract/influx.ts';
import { OUTCOME_KEYS } from '../contract/outcomes.ts';
import { PERCENTILE_KEYS } from '../contract/percentiles.ts';
import type { Analysis, Endpoint } from '../contract/analysis.ts';
import type { Plan, PlanStage } from '../contract/plan.ts';
import type { LiveFigures, LiveBatch } from './live.ts';
import type { Verdict, VerdictStatus } from '../contract/verdict.ts';
import { resolveTarget, type ResolvedTargets } from '../../thresholds/k6.ts';
import type { ThresholdSet } from '../contract/thresholds.ts';
import { NO_PHASE } from '../shared/defaults.ts';

export { NO_PHASE };

/** Verdict tag when no verdict was computed (verdict.json missing or unreadable). */
export const NO_VERDICT = 'none';

export type EventType = 'start' | 'stage' | 'end' | 'verdict';

/** Numeric verdict for charts and stat panels: higher is worse. */
export const VERDICT_CODE: Record<VerdictStatus | typeof NO_VERDICT, number> = { pass: 0, inconclusive: 1, fail: 2, none: -1 };

export interface RunTags {
  testid: string;
  phase: string;
  scenario: string;
}

export function runTags(plan: Pick<Plan, 'runId' | 'phase' | 'scenario'>): RunTags {
  return { testid: plan.runId, phase: plan.phase ?? NO_PHASE, scenario: plan.scenario };
}

export function eventPoint(tags: RunTags, type: EventType, atMs: number, title: string, text: string, stage?: string): IPoint {
  return {
    measurement: MEASUREMENTS.events,
    tags: { ...tags, type },
    fields: { title, text, ...(stage !== undefined ? { stage } : {}) },
    timestamp: new Date(atMs),
  };
}

export function stageEventText(stage: PlanStage): string {
  const rate = stage.fromRps === stage.toRps ? `${fmt(stage.fromRps)} RPS` : `${fmt(stage.fromRps)} → ${fmt(stage.toRps)} RPS`;
  return `stage ${stage.name}: ${rate} for ${fmt(stage.endS - stage.startS)} s`;
}

function fmt(n: number): string {
  return String(Number(n.toFixed(2)));
}

/** Drops null and non-finite values: InfluxDB fields cannot be null. */
function fields(values: Record<string, number | string | boolean | null | undefined>): Record<string, number | string | boolean> {
  const out: Record<string, number | string | boolean> = {};
  for (const [k, v] of Object.entries(values)) {
    if (v === null || v === undefined) continue;
    if (typeof v === 'number' && !Number.isFinite(v)) continue;
    out[k] = v;
  }
  return out;
}

/** The run's own targets per endpoint, from the threshold set (null set = no points). */
export function targetPoints(
  plan: Pick<Plan, 'runId' | 'phase' | 'scenario' | 'endpoints'>,
  set: ThresholdSet | undefined,
  atMs: number,
): IPoint[] {
  if (!set) return [];
  const tags = runTags(plan);
  const out: IPoint[] = [];
  for (const ep of plan.endpoints) {
    const t = resolveTarget(set, { name: ep.name, group: ep.group, probe: ep.probe });
    const f = fields({ p95_ms: t.p95Ms, error_rate: t.errorRate, timeout_rate: t.maxTimeoutRate });
    if (Object.keys(f).length === 0) continue;
    out.push({
      measurement: MEASUREMENTS.targets,
      tags: { ...tags, endpoint: ep.name, group: ep.group },
      fields: f,
      timestamp: new Date(atMs),
    });
  }
  return out;
}

const WORST: readonly VerdictStatus[] = ['fail', 'inconclusive', 'pass'];

/** The worst gating status of one endpoint's rows; `none` when the verdict has no row for it. */
export function endpointVerdict(verdict: Verdict | null, endpoint: string): VerdictStatus | typeof NO_VERDICT {
  if (!verdict) return NO_VERDICT;
  const rows = verdict.rows.filter((r) => r.endpoint === endpoint && r.gating);
  for (const status of WORST) if (rows.some((r) => r.status === status)) return status;
  return NO_VERDICT;
}

/** The targets a verdict applied to one endpoint (its set's definition), else none. */
function verdictTargets(verdict: Verdict | null, ep: Endpoint, probe: boolean): ResolvedTargets {
  if (!verdict) return { p95Ms: null, errorRate: null, maxTimeoutRate: null };
  return resolveTarget(verdict.set.definition, { name: ep.name, group: ep.group, probe });
}

export interface SummaryInput {
  analysis: Analysis;
  verdict: Verdict | null;
  /** Fallbacks when the analysis lacks them. */
  runId?: string;
  scenario?: string;
  phase?: string | null;
  profile?: string | null;
  startedAtMs?: number;
  /** Endpoint names flagged as probes (their own latency target); from the plan. */
  probes?: ReadonlySet<string>;
}

/** The run's start time: the summary points' timestamp, so a run sits at one instant in trends. */
export function summaryTime(input: SummaryInput): Date {
  const started = input.analysis.run.startedAt;
  if (started) return new Date(started);
  if (input.startedAtMs !== undefined) return new Date(input.startedAtMs);
  return new Date(input.analysis.generatedAt);
}

/** One `loadgate_summary` point per endpoint and one `loadgate_runs` point, from analysis.json and verdict.json. */
export function summaryPoints(input: SummaryInput): IPoint[] {
  const { analysis, verdict } = input;
  const timestamp = summaryTime(input);
  const base = {
    testid: analysis.run.runId || input.runId || 'unknown',
    phase: analysis.run.phase ?? input.phase ?? NO_PHASE,
    scenario: analysis.run.scenario ?? input.scenario ?? 'unknown',
    profile: analysis.run.profile ?? input.profile ?? 'unknown',
  };
  const out: IPoint[] = [];
  for (const ep of analysis.endpoints) {
    const s = ep.total;
    const status = endpointVerdict(verdict, ep.name);
    const target = verdictTargets(verdict, ep, input.probes?.has(ep.name) ?? ep.group === 'probes');
    const timeouts = s.outcomes.timeout + s.outcomes.dialTimeout;
    out.push({
      measurement: MEASUREMENTS.summary,
      tags: { ...base, endpoint: ep.name, group: ep.group ?? 'none', verdict: status },
      fields: fields({
        p50: s.durationMs.p50,
        p95: s.durationMs.p95,
        p99: s.durationMs.p99,
        p95_censored: s.censored.p95,
        requests: s.requests,
        errors: s.requests - s.outcomes.ok,
        error_rate: s.errorRate,
        timeouts,
        timeout_rate: s.timeoutRate,
        achieved_rps: s.rps,
        target_p95: target.p95Ms,
        target_error_rate: target.errorRate,
        target_timeout_rate: target.maxTimeoutRate,
      }),
      timestamp,
    });
  }
  const all = analysis.totals.all;
  const runVerdict = verdict?.status ?? NO_VERDICT;
  out.push({
    measurement: MEASUREMENTS.runs,
    tags: { ...base, verdict: runVerdict, status: analysis.run.status },
    fields: fields({
      verdict_code: VERDICT_CODE[runVerdict],
      // 0/1 so that "failed runs" sums to 0, not to nothing, when none failed.
      failed: runVerdict === 'fail' ? 1 : 0,
      requests: all.requests,
      p95: all.durationMs.p95,
      error_rate: all.errorRate,
      timeout_rate: all.timeoutRate,
      timeouts: all.outcomes.timeout + all.outcomes.dialTimeout,
      achieved_rps: verdict?.validity.achievedRps ?? all.rps,
      offered_rps: verdict?.validity.offeredRps ?? null,
      dropped_iterations: analysis.totals.droppedIterations,
      valid: verdict?.validity.valid ?? null,
      threshold_set: verdict?.set.name ?? null,
    }),
    timestamp,
  });
  return out;
}

/** An outcome's field name: `dialTimeout` → `dial_timeout`. */
export function outcomeField(key: (typeof OUTCOME_KEYS)[number]): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** The fields of a live cell or total: counts by outcome, errors and timeouts as the analysis defines them, the distribution. */
function liveFields(f: LiveFigures): Record<string, number | string> {
  const out: Record<string, number | string | null> = { requests: f.requests };
  for (const k of OUTCOME_KEYS) out[outcomeField(k)] = f.outcomes[k];
  out['errors'] = f.requests - f.outcomes.ok;
  out['timeouts'] = f.outcomes.timeout + f.outcomes.dialTimeout;
  const d = f.dist;
  Object.assign(out, { min: d.min, mean: d.mean, max: d.max });
  for (const k of PERCENTILE_KEYS) out[k] = d[k];
  out['sum'] = d.mean === null ? null : d.mean * f.requests;
  out['hist'] = f.histogram;
  return fields(out) as Record<string, number | string>;
}

/** The points of one batch of the live path (timestamps: whole seconds, the samples' own time). */
export function livePoints(tags: RunTags, batch: LiveBatch): IPoint[] {
  const out: IPoint[] = [];
  for (const c of batch.cells) {
    out.push({
      measurement: MEASUREMENTS.live,
      tags: { testid: tags.testid, phase: tags.phase, scenario: c.scenario, name: c.name, stage: c.stage },
      fields: liveFields(c),
      timestamp: new Date(c.second * 1000),
    });
  }
  for (const r of batch.run) {
    out.push({
      measurement: MEASUREMENTS.liveVus,
      tags: { ...tags },
      fields: fields({ vus: r.vus, vus_max: r.vusMax, dropped_iterations: r.droppedIterations }),
      timestamp: new Date(r.second * 1000),
    });
  }
  for (const t of batch.totals) {
    out.push({
      measurement: MEASUREMENTS.liveTotals,
      tags: { ...tags, name: t.name },
      fields: liveFields(t),
      timestamp: new Date(t.second * 1000),
    });
  }
  return out;
}
