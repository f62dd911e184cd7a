/**
 * The nightly gate (`--against-history`): did this run regress against the recent runs of the
 * same shape, beyond noise? Pure: the run's history entry and the earlier entries in, a
 * judgement out.
 *
 * Per endpoint and gated metric (noise.ts: P95, error rate, timeout rate; and the run's goodput):
 *   - the baseline is the earlier completed runs of the shape since the last change point in
 *     them (series.ts: a level the history has settled on is the level to compare with), at
 *     most `window` of them, at least `minBaseline`;
 *   - the noise band is k robust SDs of the baseline (1.4826 × MAD; for the rates, with the
 *     judged run's own binomial sampling error, at the larger of the two rates, added in
 *     quadrature), and never narrower than the
 *     metric's practical floor;
 *   - beyond the band the worse way is `regressed`: the exit code ExitCode.regressed.
 * A single bad night is a regression of that night (the gate cannot wait for a second one); in
 * the trend report it becomes a change point only once the level holds (series.ts).
 */
import type { HistoryEntry, HistoryFinding, HistoryJudgement, RunRef } from '../contract/history.ts';
import { floorAt, HISTORY_NOISE, medianOf, robustSd, worseBy } from './noise.ts';
import { METRICS, RUN_GOODPUT, type MetricDef } from '../contract/history.ts';
import { analyzeSeries } from './series.ts';

export interface GateSettings {
  window: number;
  minBaseline: number;
  k: number;
  minRequests: number;
}

export const DEFAULT_GATE: GateSettings = {
  window: HISTORY_NOISE.window,
  minBaseline: HISTORY_NOISE.minBaseline,
  k: HISTORY_NOISE.k,
  minRequests: HISTORY_NOISE.minRequests,
};

export function runRef(e: HistoryEntry): RunRef {
  return { runId: e.runId, startedAt: e.startedAt, phase: e.phase, commit: e.commit, branch: e.branch };
}

/** The earlier runs a run is judged against: same shape, started before it, completed; oldest first. */
export function priorRuns(current: HistoryEntry, earlier: readonly HistoryEntry[]): HistoryEntry[] {
  return earlier
    .filter((e) => e.shape === current.shape && e.runId !== current.runId && e.startedAt < current.startedAt && e.status === 'completed')
    .sort((a, b) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : a.runId.localeCompare(b.runId)));
}

const ORDER: Record<HistoryFinding['status'], number> = { regressed: 0, improved: 1, 'within-noise': 2, insufficient: 3 };

interface Judged {
  def: MetricDef;
  endpoint: string;
  value: number | null;
  requests: number;
  /** The earlier runs' figures, oldest first (null where a run has none). */
  series: (number | null)[];
}

function judgeOne(j: Judged, prior: HistoryEntry[], s: GateSettings): HistoryFinding {
  const base: HistoryFinding = {
    endpoint: j.endpoint,
    metric: j.def.key,
    unit: j.def.unit,
    status: 'insufficient',
    value: j.value,
    baseline: null,
    baselineRuns: 0,
    noise: null,
    delta: null,
    deltaRel: null,
    comparedWith: null,
    since: null,
    reason: null,
  };
  const { regimes } = analyzeSeries(j.series, j.def, { intervals: false });
  const regime = regimes[regimes.length - 1];
  const since = regime && regime.start > 0 ? (prior[regime.start] ?? null) : null;
  const positions: number[] = [];
  j.series.forEach((v, i) => {
    if (v !== null && Number.isFinite(v) && i >= (regime?.start ?? 0)) positions.push(i);
  });
  const used = positions.slice(-s.window);
  const values = used.map((i) => j.series[i] as number);
  const newest = used.length ? prior[used[used.length - 1] as number] : undefined;
  Object.assign(base, { baselineRuns: values.length, comparedWith: newest ? runRef(newest) : null, since: since ? runRef(since) : null });
  if (values.length < s.minBaseline) {
    return { ...base, reason: `${values.length} earlier run${values.length === 1 ? '' : 's'} with this figure; ${s.minBaseline} needed` };
  }
  const level = medianOf(values);
  base.baseline = level;
  if (j.value === null || !Number.isFinite(j.value)) return { ...base, reason: 'no figure in this run' };
  if (j.def.key === 'p95' && j.requests < s.minRequests) {
    return { ...base, reason: `${j.requests} requests in this run: a P95 needs at least ${s.minRequests}` };
  }
  const sd = robustSd(values);
  // A rate measured on n requests also varies by its own (binomial) sampling error, taken at the
  // larger of the two rates: a few more errors in a small run are not a regression.
  const p = Math.min(1, Math.max(0, level, j.value));
  const se = j.def.unit === 'ratio' && j.requests > 0 ? Math.sqrt((p * (1 - p)) / j.requests) : 0;
  const noise = Math.max(s.k * Math.hypot(sd, se), floorAt(j.def, level));
  const worse = worseBy(j.def, level, j.value);
  const status: HistoryFinding['status'] = worse > noise ? 'regressed' : -worse > noise ? 'improved' : 'within-noise';
  return {
    ...base,
    status,
    noise,
    delta: j.value - level,
    deltaRel: level !== 0 ? (j.value - level) / Math.abs(level) : null,
  };
}

/** Judges `current` against the earlier entries of the history (any order; other shapes are ignored). */
export function judgeAgainstHistory(
  current: HistoryEntry,
  earlier: readonly HistoryEntry[],
  o: { settings?: Partial<GateSettings>; now?: Date } = {},
): HistoryJudgement {
  const s: GateSettings = { ...DEFAULT_GATE, ...o.settings };
  // Enough runs before the window to find the last change point in front of it.
  const prior = priorRuns(current, earlier).slice(-3 * s.window);
  const findings: HistoryFinding[] = [];
  for (const ep of current.endpoints) {
    for (const def of METRICS) {
      if (!def.gated) continue;
      findings.push(
        judgeOne(
          {
            def,
            endpoint: ep.name,
            value: ep[def.key],
            requests: ep.requests,
            series: prior.map((e) => e.endpoints.find((x) => x.name === ep.name)?.[def.key] ?? null),
          },
          prior,
          s,
        ),
      );
    }
  }
  findings.push(
    judgeOne(
      { def: RUN_GOODPUT, endpoint: '*', value: current.goodputRps, requests: current.requests, series: prior.map((e) => e.goodputRps) },
      prior,
      s,
    ),
  );
  findings.sort((a, b) => ORDER[a.status] - ORDER[b.status]);
  const newest = prior[prior.length - 1];
  const status = findings.some((f) => f.status === 'regressed')
    ? 'regressed'
    : findings.every((f) => f.status === 'insufficient')
      ? 'insufficient'
      : 'ok';
  return {
    kind: 'loadgate.against-history',
    version: 1,
    runId: current.runId,
    shape: current.shape,
    shapeLabel: current.shapeLabel,
    generatedAt: o.now ? o.now.toISOString() : null,
    status,
    historyRuns: prior.length,
    comparedWith: newest ? runRef(newest) : null,
    settings: s,
    findings,
  };
}
