/**
 * The comparison report's view model: two or more runs side by side, per endpoint and per
 * target, each change classified (improved / regressed / within noise) by lib/shared/stats.ts.
 * Pure: the same runs and seed give the same model.
 */
import type { Analysis, Stage, Stats } from '../contract/analysis.ts';
import { decodeCdf } from '../shared/histogram.ts';
import { PERCENTILES, quantileOf } from '../contract/percentiles.ts';
import { endpointRps, loadFigures, type LoadFigures } from '../contract/figures.ts';
import { READINESS_CATEGORIES } from '../contract/readiness.ts';
import { READINESS_CHECK_IDS } from '../shared/readiness.ts';
import type { ReadinessScore } from '../contract/verdict.ts';
import {
  NOISE,
  bootstrapPercentileDiff,
  classifyLatency,
  classifyProportion,
  classifyRate,
  poissonRateZ,
  twoProportionZ,
  type Change,
  type Yardstick,
} from '../shared/stats.ts';
import { comparatorText, metricOfRow, type Verdict, type VerdictRow } from './verdict.ts';
import { productionBadge, readinessScoreOf, verdictBadge } from './run-model.ts';
import { checkTitle, fmtScore, loadView, ownJudgement, productionJudgement, scoreTone } from '../shared/headline.ts';
import { DASH, fmtDuration, fmtInt, fmtMs, fmtPct, fmtRps, fmtUnit, round, signed, type Metric } from '../shared/format.ts';

export interface ComparedRun {
  label: string;
  analysis: Analysis;
  verdict: Verdict | null;
}

export interface Comparability {
  /** Reasons the runs should not be compared at all (refused unless forced). */
  errors: string[];
  /** Reasons to read the comparison with care. */
  warnings: string[];
}

/** Whether the runs can be compared: same scenario, overlapping endpoints, judged and valid. */
export function checkComparable(runs: ComparedRun[]): Comparability {
  const errors: string[] = [];
  const warnings: string[] = [];
  if (runs.length < 2) errors.push(`a comparison needs at least two runs, got ${runs.length}`);
  const first = runs[0];
  if (!first) return { errors, warnings };
  const scenarios = new Set(runs.map((r) => r.analysis.run.scenario ?? '(none)'));
  if (scenarios.size > 1)
    errors.push(`different scenarios: ${runs.map((r) => `${r.label}=${r.analysis.run.scenario ?? '(none)'}`).join(', ')}`);
  const profiles = new Set(runs.map((r) => r.analysis.run.profile ?? '(none)'));
  if (profiles.size > 1)
    warnings.push(
      `different load profiles: ${runs.map((r) => `${r.label}=${r.analysis.run.profile ?? '(none)'}`).join(', ')}; latencies were measured under different load shapes.`,
    );
  const sets = runs.map((r) => new Set(r.analysis.endpoints.map((e) => e.name)));
  const common = [...(sets[0] ?? [])].filter((n) => sets.every((s) => s.has(n)));
  const union = new Set(sets.flatMap((s) => [...s]));
  if (common.length === 0) errors.push('the runs have no endpoint in common');
  else if (common.length < union.size) {
    const partial = [...union].filter((n) => !common.includes(n));
    warnings.push(`different endpoint sets: ${partial.join(', ')} ${partial.length === 1 ? 'is' : 'are'} not in every run.`);
  }
  warnings.push(...loadWarnings(runs, profiles.size > 1));
  for (const r of runs) {
    if (r.verdict?.status === 'inconclusive')
      warnings.push(
        `${r.label}: the verdict is inconclusive${r.verdict.validity.reasons.length ? ` (${r.verdict.validity.reasons.join('; ')})` : ''}.`,
      );
    else if (r.verdict && !r.verdict.validity.valid)
      warnings.push(`${r.label}: the run is not valid (${r.verdict.validity.reasons.join('; ') || 'load not delivered'}).`);
    if (!r.verdict) warnings.push(`${r.label}: not judged (no verdict file); targets are not shown for it.`);
    if (r.analysis.run.status !== 'completed')
      warnings.push(`${r.label}: the run was ${r.analysis.run.status}; it covers only the part that ran.`);
  }
  const modes = new Set(runs.map((r) => r.analysis.settings.percentiles));
  if (modes.size > 1)
    warnings.push('percentiles were computed in different modes (exact vs HDR); differences below the HDR error are not meaningful.');
  return { errors, warnings };
}

/** Planned stage windows and offered rates agree within rounding (plans are computed, not measured). */
const LOAD_TOLERANCE = { rel: 0.01, durationAbsS: 0.1, rpsAbs: 0.05 };

function differs(a: number, b: number, abs: number): boolean {
  return Math.abs(a - b) > Math.max(abs, LOAD_TOLERANCE.rel * Math.max(Math.abs(a), Math.abs(b)));
}

function fmtSeconds(s: number): string {
  return s >= 60 ? fmtDuration(s) : `${round(s)}s`;
}

function fmtOffered(o: { from: number; to: number }): string {
  return differs(o.from, o.to, LOAD_TOLERANCE.rpsAbs) ? `${fmtRps(o.from)}→${fmtRps(o.to)} RPS` : `${fmtRps(o.from)} RPS`;
}

/** At most three items, then how many more. */
function some(items: string[]): string {
  return items.length > 3 ? `${items.slice(0, 3).join('; ')}; and ${items.length - 3} more` : items.join('; ');
}

/**
 * Whether the runs were offered the same load: the same stages (names), the same planned
 * windows (another --duration-scale changes them) and the same offered rates (another --rps).
 * Latency and timeouts depend on the load, so a change between runs under different load may
 * be the load's, not the system's: a warning, not a refusal (comparing a smoke run with a load
 * run can be the point). `profilesDiffer`: the different-profile warning already says the
 * shapes differ, so differing stage names are not repeated.
 */
function loadWarnings(runs: ComparedRun[], profilesDiffer: boolean): string[] {
  const warnings: string[] = [];
  // An analysis made without plan.json has only observed stage windows and no offered rate.
  const planned = runs.filter((r) => r.analysis.stages.some((s) => s.offeredRps.from > 0 || s.offeredRps.to > 0));
  for (const r of runs) {
    if (!planned.includes(r))
      warnings.push(`${r.label}: no planned load (no stage plan in its analysis); its offered load cannot be compared.`);
  }
  if (planned.length < 2) return warnings;
  const list = (value: (r: ComparedRun) => string) => planned.map((r) => `${r.label}=${value(r)}`).join(', ');
  const span = (r: ComparedRun) => {
    const st = r.analysis.stages;
    return st.length === 0 ? 0 : Math.max(...st.map((s) => s.endS)) - Math.min(...st.map((s) => s.startS));
  };
  const peak = (r: ComparedRun) => Math.max(0, ...r.analysis.stages.map((s) => Math.max(s.offeredRps.from, s.offeredRps.to)));
  const shape = (r: ComparedRun) => r.analysis.stages.map((s) => s.name).join(' → ');
  const sameStages = planned.every((r) => shape(r) === shape(planned[0] as ComparedRun));
  const consequence =
    'latencies and timeouts depend on the load, so a change between these runs may be the load’s rather than the system’s.';

  if (!sameStages) {
    if (!profilesDiffer) warnings.push(`different load stages: ${list(shape)}; per-stage figures are not like for like.`);
    const spans = planned.map(span);
    if (spans.some((s) => differs(s, spans[0] ?? 0, LOAD_TOLERANCE.durationAbsS)))
      warnings.push(`different planned durations: ${list((r) => fmtSeconds(span(r)))}.`);
    const peaks = planned.map(peak);
    if (peaks.some((p) => differs(p, peaks[0] ?? 0, LOAD_TOLERANCE.rpsAbs)))
      warnings.push(`different offered load: peak ${list((r) => `${fmtRps(peak(r))} RPS`)}; ${consequence}`);
    return warnings;
  }

  // Same stages: compare them one by one.
  const names = (planned[0] as ComparedRun).analysis.stages.map((s) => s.name);
  const stageOf = (r: ComparedRun, i: number) => r.analysis.stages[i] as Stage;
  const durations: string[] = [];
  const rates: string[] = [];
  names.forEach((name, i) => {
    const ref = stageOf(planned[0] as ComparedRun, i);
    const len = (r: ComparedRun) => stageOf(r, i).endS - stageOf(r, i).startS;
    if (planned.some((r) => differs(len(r), ref.endS - ref.startS, LOAD_TOLERANCE.durationAbsS)))
      durations.push(`${name}: ${list((r) => fmtSeconds(len(r)))}`);
    const o = (r: ComparedRun) => stageOf(r, i).offeredRps;
    if (
      planned.some(
        (r) => differs(o(r).from, ref.offeredRps.from, LOAD_TOLERANCE.rpsAbs) || differs(o(r).to, ref.offeredRps.to, LOAD_TOLERANCE.rpsAbs),
      )
    )
      rates.push(`${name}: ${list((r) => fmtOffered(o(r)))}`);
  });
  if (durations.length > 0)
    warnings.push(
      `different stage durations (e.g. another --duration-scale): ${list((r) => fmtSeconds(span(r)))} in all; ${some(durations)}.`,
    );
  if (rates.length > 0) warnings.push(`different offered load (e.g. another --rps): ${some(rates)}; ${consequence}`);
  return warnings;
}

export const CHANGE_LABEL: Record<Change, string> = {
  improved: 'improved',
  regressed: 'regressed',
  'within-noise': 'within noise',
  'not-tested': 'not tested',
  'follows-load': 'follows the load',
};

/** Changes that leave a row "unchanged": collapsed in the comparison. */
const QUIET: ReadonlySet<Change> = new Set<Change>(['within-noise', 'not-tested', 'follows-load']);

export interface ChangeCell {
  change: Change;
  label: string;
  delta: string;
  /** Statistical detail shown under the delta (CI or p-value). */
  detail: string;
}

type Kind = 'latency' | 'proportion-error' | 'proportion-timeout' | 'rate';

function kindOf(metric: Metric): { kind: Kind; p?: number } | null {
  const q = quantileOf(metric);
  if (q !== undefined) return { kind: 'latency', p: q };
  switch (metric) {
    case 'error_rate':
      return { kind: 'proportion-error' };
    case 'timeout_rate':
      return { kind: 'proportion-timeout' };
    case 'rps':
      return { kind: 'rate' };
    default:
      return null;
  }
}

function latencyOf(s: Stats, p: number): { v: number | null; censored: boolean } {
  const key = PERCENTILES.find(([, q]) => q === p)?.[0] ?? 'p95';
  return { v: s.durationMs[key], censored: s.censored[key] };
}

/**
 * Compares one measurement between two cells; `seed` keeps the bootstrap reproducible. With a
 * `target` (the production gate's, else the later run's own), a change is practically relevant
 * only when it is a tenth of the target or more, or crosses the target (stats.ts).
 */
export function compareCells(a: Stats | null, b: Stats | null, metric: Metric, seed: number, target: Yardstick | null = null): ChangeCell {
  const k = kindOf(metric);
  const none = (why: string): ChangeCell => ({ change: 'not-tested', label: CHANGE_LABEL['not-tested'], delta: DASH, detail: why });
  if (!k) return none('no test for this measure');
  if (!a || !b || a.requests === 0 || b.requests === 0) return none('no requests on one side');
  const cell = (change: Change, delta: string, detail: string): ChangeCell => ({ change, label: CHANGE_LABEL[change], delta, detail });
  if (k.kind === 'latency') {
    const p = k.p ?? 0.95;
    const la = latencyOf(a, p);
    const lb = latencyOf(b, p);
    if (la.v === null || lb.v === null) return none('no value');
    const d = lb.v - la.v;
    const deltaText = `${signed(fmtMs(Math.abs(d)), d)} (${la.v ? signed(fmtPct(Math.abs(d / la.v), 0), d) : DASH})`;
    if (la.censored && lb.censored) return cell('not-tested', deltaText, 'both censored by the client timeout');
    const ca = decodeCdf(a.histogram);
    const cb = decodeCdf(b.histogram);
    if (!ca || !cb) return cell('not-tested', deltaText, 'no histogram recorded');
    const diff = bootstrapPercentileDiff(ca, cb, { p, seed });
    const change = classifyLatency(diff, d, la.v, { target });
    return cell(
      change,
      deltaText,
      diff ? `95 % CI [${signed(fmtMs(Math.abs(diff.lo)), diff.lo)}, ${signed(fmtMs(Math.abs(diff.hi)), diff.hi)}]` : '',
    );
  }
  if (k.kind === 'rate') {
    const t = poissonRateZ(a.requests, a.windowS, b.requests, b.windowS);
    if (!t) return none('no time window');
    return cell(
      classifyRate(t),
      `${signed(Math.abs(t.delta) < 10 ? Math.abs(t.delta).toFixed(2) : fmtRps(Math.abs(t.delta)), t.delta)} RPS`,
      fmtP(t.pValue),
    );
  }
  const xa = k.kind === 'proportion-error' ? a.requests - a.outcomes.ok : a.outcomes.timeout + a.outcomes.dialTimeout;
  const xb = k.kind === 'proportion-error' ? b.requests - b.outcomes.ok : b.outcomes.timeout + b.outcomes.dialTimeout;
  const t = twoProportionZ(xa, a.requests, xb, b.requests);
  if (!t) return none('no requests');
  return cell(classifyProportion(t, { target }), `${signed((Math.abs(t.delta) * 100).toFixed(2), t.delta)} pp`, fmtP(t.pValue));
}

/**
 * Run-wide throughput between two runs: the successful RPS as a share of what each run offered
 * (its served share), so a change of the offered load is not a change of the system. The
 * successful requests are Poisson counts over the requests offered in the window (stats.ts).
 */
export function compareThroughput(a: Analysis, b: Analysis): ChangeCell {
  const fa = loadFigures(a);
  const fb = loadFigures(b);
  const cell = (change: Change, delta: string, detail: string): ChangeCell => ({ change, label: CHANGE_LABEL[change], delta, detail });
  const d = (fb.successfulRps ?? 0) - (fa.successfulRps ?? 0);
  const delta = `${signed(Math.abs(d) < 10 ? Math.abs(d).toFixed(2) : fmtRps(Math.abs(d)), d)} RPS`;
  if (!fa.offeredRps || !fb.offeredRps || fa.seconds <= 0 || fb.seconds <= 0)
    return cell('not-tested', delta, 'no offered load to compare with');
  const t = poissonRateZ(fa.ok, fa.offeredRps * fa.seconds, fb.ok, fb.offeredRps * fb.seconds);
  if (!t) return cell('not-tested', delta, 'no time window');
  return cell(classifyRate(t), delta, `served ${fmtPct(t.rA, 0)} → ${fmtPct(t.rB, 0)} of offered, ${fmtP(t.pValue)}`);
}

function fmtP(p: number): string {
  return p < 0.001 ? 'p < 0.001' : `p = ${p.toFixed(3)}`;
}

/**
 * The cell a verdict row (or a table row) is about: endpoint `*` is every endpoint together,
 * stage `all` the whole run; a `+`-joined stage list (the steady window) only has a request
 * count and a window, enough for the throughput test.
 */
function statsFor(a: Analysis, endpoint: string, stage: string): Stats | null {
  if (endpoint === '*') {
    if (stage === 'all') return a.totals.all;
    const names = new Set(stage.split('+'));
    const st = a.stages.filter((x) => names.has(x.name));
    if (st.length !== names.size) return null;
    return {
      ...a.totals.all,
      requests: st.reduce((n, x) => n + x.requests, 0),
      windowS: st.reduce((n, x) => n + (x.endS - x.startS), 0),
      histogram: null,
    };
  }
  const e = a.endpoints.find((x) => x.name === endpoint);
  if (!e) return null;
  return stage === 'all' ? e.total : (e.byStage[stage] ?? null);
}

/** Run colours: the first (baseline, last night) grey, later ones a deepening blue. */
function runColors(n: number): string[] {
  const blues = ['#6baed6', '#3182bd', '#08519c', '#08306b', '#4292c6', '#2171b5'];
  return Array.from({ length: n }, (_, i) => (i === 0 ? '#a3aab6' : (blues[(n <= 3 ? i : i - 1) % blues.length] ?? '#08519c')));
}

const METRICS: Array<{ metric: Metric; title: string; note: string }> = [
  { metric: 'p95', title: 'P95 latency', note: 'bootstrap 95 % CI of the P95 difference from the recorded histograms' },
  { metric: 'error_rate', title: 'Error rate', note: 'two-proportion z-test; errors are all non-OK outcomes, timeouts included' },
  { metric: 'timeout_rate', title: 'Timeout rate', note: 'two-proportion z-test' },
  {
    metric: 'rps',
    title: 'Throughput (RPS)',
    note: "all endpoints: successful RPS as a share of the offered load, Poisson z-test; per endpoint: achieved RPS in each run's window, which under an open model follows the offered load and the flow mix, so it is not judged",
  },
];

function valueText(s: Stats | null, metric: Metric): { text: string; v: number | null } {
  if (!s || s.requests === 0) return { text: DASH, v: null };
  switch (metric) {
    case 'p95':
      return { text: `${s.censored.p95 ? '≥ ' : ''}${fmtMs(s.durationMs.p95)}`, v: s.durationMs.p95 };
    case 'error_rate':
      return { text: fmtPct(s.errorRate), v: s.errorRate };
    case 'timeout_rate':
      return { text: fmtPct(s.timeoutRate), v: s.timeoutRate };
    case 'rps':
      return { text: fmtRps(s.rps), v: s.rps };
    default:
      return { text: DASH, v: null };
  }
}

function targetRow(v: Verdict | null, endpoint: string, stage: string, metric: Metric): VerdictRow | undefined {
  return v?.rows.find((r) => r.endpoint === endpoint && r.stage === stage && metricOfRow(r) === metric);
}

/** The yardstick a change is judged against: the later run's production target, else its own. */
function yardstick(v: Verdict | null, endpoint: string, metric: Metric): Yardstick | null {
  const of = (rows: readonly VerdictRow[] | undefined) =>
    rows?.find((r) => r.endpoint === endpoint && r.stage === 'all' && metricOfRow(r) === metric);
  const r = of(v?.production?.rows) ?? of(v?.rows);
  return r ? { threshold: r.threshold, comparator: r.comparator } : null;
}

const TICK = { pass: '✓', fail: '✗', inconclusive: '?' } as const;

/** Rows whose every change is quiet and whose every tick is the same collapse under the table (`unchanged`). */
function split<T extends { quiet: boolean }>(rows: T[]): { rows: T[]; unchanged: T[] } {
  return { rows: rows.filter((r) => !r.quiet), unchanged: rows.filter((r) => r.quiet) };
}

const sameStatus = (statuses: Array<string | null | undefined>) => new Set(statuses.filter((x) => x !== null && x !== undefined)).size <= 1;

export function buildComparisonView(input: { runs: ComparedRun[]; now: Date; seed?: number; warnings?: string[] }) {
  const { runs, now } = input;
  const seed = input.seed ?? 1;
  const cmp = checkComparable(runs);
  const colors = runColors(runs.length);
  const endpointNames: string[] = [];
  for (const r of runs) for (const e of r.analysis.endpoints) if (!endpointNames.includes(e.name)) endpointNames.push(e.name);
  const showOverall = runs.length >= 3;
  const figures = runs.map((r) => loadFigures(r.analysis));

  // Change cells are keyed so the summary and the tables share one computation.
  let seq = 0;
  const changeOf = (i: number, j: number, endpoint: string, stage: string, metric: Metric): ChangeCell => {
    const a = runs[i];
    const b = runs[j];
    seq++;
    if (metric === 'rps') {
      if (endpoint === '*' && a && b) return compareThroughput(a.analysis, b.analysis);
      const sa = a ? statsFor(a.analysis, endpoint, stage) : null;
      const sb = b ? statsFor(b.analysis, endpoint, stage) : null;
      const ra = sa && a ? endpointRpsOf(a.analysis, endpoint, figures[i] as LoadFigures) : null;
      const rb = sb && b ? endpointRpsOf(b.analysis, endpoint, figures[j] as LoadFigures) : null;
      const d = ra !== null && rb !== null ? rb - ra : null;
      return {
        change: 'follows-load',
        label: CHANGE_LABEL['follows-load'],
        delta: d === null ? DASH : `${signed(Math.abs(d) < 10 ? Math.abs(d).toFixed(2) : fmtRps(Math.abs(d)), d)} RPS`,
        detail: '',
      };
    }
    return compareCells(
      a ? statsFor(a.analysis, endpoint, stage) : null,
      b ? statsFor(b.analysis, endpoint, stage) : null,
      metric,
      seed * 7919 + seq,
      yardstick(b?.verdict ?? null, endpoint, metric),
    );
  };

  const summary: Array<{ from: string; to: string; improved: number; regressed: number; noise: number; untested: number }> = [];
  const tables = METRICS.map(({ metric, title, note }) => {
    const names = metric === 'rps' ? ['*', ...endpointNames] : endpointNames;
    const all = names.map((name) => {
      const cells = runs.map((r, i) => {
        const f = figures[i] as LoadFigures;
        const s = name === '*' ? null : statsFor(r.analysis, name, 'all');
        const val =
          metric !== 'rps'
            ? valueText(s, metric)
            : name === '*'
              ? { text: `${fmtRps(f.successfulRps)} of ${fmtRps(f.offeredRps)}`, v: f.successfulRps }
              : { text: fmtRps(endpointRpsOf(r.analysis, name, f)), v: endpointRpsOf(r.analysis, name, f) };
        const t =
          name === '*' ? r.verdict?.rows.find((x) => x.target === 'throughput' && x.gating) : targetRow(r.verdict, name, 'all', metric);
        const change = i > 0 ? changeOf(i - 1, i, name, 'all', metric) : null;
        return {
          text: val.text,
          v: val.v ?? -1,
          status: t?.status ?? null,
          target: t
            ? { cls: t.status, tick: TICK[t.status], text: `${comparatorText(t.comparator)} ${fmtUnit(t.threshold, t.unit)}` }
            : null,
          change,
        };
      });
      const overall = showOverall ? changeOf(0, runs.length - 1, name, 'all', metric) : null;
      const quiet =
        cells.every((c) => c.change === null || QUIET.has(c.change.change)) &&
        (overall === null || QUIET.has(overall.change)) &&
        sameStatus(cells.map((c) => c.status));
      return { name: name === '*' ? 'all endpoints (successful of offered)' : name, runWide: name === '*', cells, overall, quiet };
    });
    return { metric, title, note, ...split(all), total: all.length };
  });
  // P95 summary per adjacent pair.
  const p95 = tables[0];
  for (let j = 1; j < runs.length; j++) {
    const counts = { improved: 0, regressed: 0, noise: 0, untested: 0 };
    for (const row of [...(p95?.rows ?? []), ...(p95?.unchanged ?? [])]) {
      const c = row.cells[j]?.change?.change;
      if (c === 'improved') counts.improved++;
      else if (c === 'regressed') counts.regressed++;
      else if (c === 'within-noise') counts.noise++;
      else counts.untested++;
    }
    summary.push({ from: runs[j - 1]?.label ?? '', to: runs[j]?.label ?? '', ...counts });
  }

  // Targets: the union of every run's gating rows, each run's own threshold and tick; `pick`
  // says which judgement's gating rows (the own set's, or the production gate's).
  const targetTable = (pick: (v: Verdict | null) => VerdictRow[] | null) => {
    const keys: Array<{ target: string; endpoint: string; stage: string; metric: Metric }> = [];
    const seen = new Set<string>();
    const keyOf = (r: VerdictRow) => `${r.target}\u0000${r.endpoint}\u0000${r.endpoint === '*' ? '' : r.stage}`;
    for (const r of runs) {
      for (const row of pick(r.verdict) ?? []) {
        if (!row.gating || seen.has(keyOf(row))) continue;
        seen.add(keyOf(row));
        keys.push({ target: row.target, endpoint: row.endpoint, stage: row.stage, metric: metricOfRow(row) });
      }
    }
    // Throughput rows are about each run's own steady window, whose stage list may differ between runs.
    const find = (v: Verdict | null, k: (typeof keys)[number]) =>
      pick(v)?.find((x) => x.gating && x.target === k.target && x.endpoint === k.endpoint && (k.endpoint === '*' || x.stage === k.stage));
    const targetRows = keys.map((k) => {
      const cells = runs.map((r, i) => {
        const row = find(r.verdict, k);
        const prev = i > 0 ? find(runs[i - 1]?.verdict ?? null, k) : undefined;
        let delta = '';
        let deltaCls = '';
        if (row && prev && row.measured !== null && prev.measured !== null) {
          const d = row.measured - prev.measured;
          const lowerBetter = row.comparator.startsWith('<');
          delta = `${d > 0 ? '▲' : d < 0 ? '▼' : '='} ${row.unit === 'ratio' ? `${signed((Math.abs(d) * 100).toFixed(2), d)} pp` : signed(fmtUnit(Math.abs(d), row.unit), d)}`;
          deltaCls = d === 0 ? '' : d < 0 === lowerBetter ? 'pass' : 'fail';
        }
        return row
          ? {
              has: true,
              measured: `${row.censored ? '≥ ' : ''}${fmtUnit(row.measured, row.unit)}`,
              threshold: `${comparatorText(row.comparator)} ${fmtUnit(row.threshold, row.unit)}`,
              status: row.status,
              tick: TICK[row.status],
              delta,
              deltaCls,
            }
          : {
              has: false,
              measured: DASH,
              threshold: pick(r.verdict) ? 'no target' : 'not judged',
              status: 'none',
              tick: '',
              delta: '',
              deltaCls: '',
            };
      });
      const firstIdx = runs.findIndex((r) => find(r.verdict, k));
      const from = firstIdx >= 0 && firstIdx < runs.length - 1 ? firstIdx : 0;
      const stageOf = (i: number) => (k.endpoint === '*' ? (find(runs[i]?.verdict ?? null, k)?.stage ?? 'all') : k.stage);
      const fromRun = runs[from];
      const toRun = runs[runs.length - 1];
      const lastRow = toRun ? find(toRun.verdict, k) : undefined;
      const change =
        runs.length >= 2 && fromRun && toRun
          ? k.metric === 'rps'
            ? compareThroughput(fromRun.analysis, toRun.analysis)
            : compareCells(
                statsFor(fromRun.analysis, k.endpoint, stageOf(from)),
                statsFor(toRun.analysis, k.endpoint, stageOf(runs.length - 1)),
                k.metric,
                seed * 104729 + ++seq,
                lastRow ? { threshold: lastRow.threshold, comparator: lastRow.comparator } : null,
              )
          : null;
      const quiet = (change === null || QUIET.has(change.change)) && sameStatus(cells.filter((c) => c.has).map((c) => c.status));
      return {
        target: k.target,
        endpoint: k.endpoint === '*' ? 'all endpoints' : k.endpoint,
        stage: k.endpoint === '*' ? 'steady window' : k.stage === 'all' ? 'whole run' : k.stage,
        cells,
        change,
        quiet,
      };
    });
    return split(targetRows);
  };
  const targetRows = targetTable((v) => v?.rows ?? null);
  // The production gate, phase by phase: every run against the same production targets.
  const productionRows = targetTable((v) => v?.production?.rows ?? null);

  // Grouped bars: P95 and timeout rate per endpoint, one bar per run.
  const bars = barCharts(runs, endpointNames, colors);

  return {
    title: `loadgate comparison: ${runs.map((r) => r.label).join(' → ')}`,
    generatedAt: now.toISOString(),
    seed,
    errors: cmp.errors,
    warnings: [...(input.warnings ?? []), ...cmp.warnings],
    phases: phasesView(runs, figures),
    readiness: readinessPhases(runs),
    runs: runs.map((r, i) => {
      const load = r.verdict ? loadView(r.verdict.validity) : null;
      return {
        label: r.label,
        color: colors[i] ?? '#555',
        runId: r.analysis.run.runId,
        scenario: r.analysis.run.scenario ?? DASH,
        profile: r.analysis.run.profile ?? DASH,
        phase: r.analysis.run.phase ?? DASH,
        startedAt: r.analysis.run.startedAt ?? DASH,
        duration: fmtDuration(r.analysis.run.durationS),
        status: r.analysis.run.status,
        statusAlert: r.analysis.run.status !== 'completed',
        requests: fmtInt(r.analysis.totals.requests),
        verdict: verdictBadge(r.verdict),
        production: productionBadge(r.verdict),
        productionMet: productionText(r.verdict),
        validity: load ? load.label : 'NOT JUDGED',
        validityCls: load ? LOAD_CLS[load.state] : 'none',
        targetsMet: r.verdict ? `own set ${ownJudgement(r.verdict).set}: ${ownJudgement(r.verdict).summary}` : 'no targets checked',
        timeouts: `${r.analysis.timeouts.endpointsWithTimeouts} of ${r.analysis.timeouts.endpointsTotal} endpoints time out`,
      };
    }),
    showOverall,
    firstLabel: runs[0]?.label ?? '',
    lastLabel: runs[runs.length - 1]?.label ?? '',
    summary,
    tables,
    targets: {
      any: targetRows.rows.length + targetRows.unchanged.length > 0,
      count: targetRows.rows.length + targetRows.unchanged.length,
      ...targetRows,
    },
    // Collapsed whole in the page: the rows that changed first.
    production: productionView(runs, [...productionRows.rows, ...productionRows.unchanged]),
    bars,
    method: {
      resamples: NOISE.resamples,
      confidence: fmtPct(NOISE.confidence, 0),
      relFloor: fmtPct(NOISE.latencyRelFloor, 0),
      absFloor: fmtMs(NOISE.latencyAbsFloorMs),
      targetFloor: fmtPct(NOISE.targetRelFloor, 0),
      alpha: String(NOISE.alpha),
      propFloor: `${(NOISE.proportionAbsFloor * 100).toFixed(1)} percentage point`,
      rateFloor: fmtPct(NOISE.rateRelFloor, 0),
    },
  };
}

const LOAD_CLS = { valid: 'pass', saturated: 'saturated', 'not-valid': 'inconclusive' } as const;

/** An endpoint's achieved RPS in its run's window (lib/contract/figures.ts). */
function endpointRpsOf(a: Analysis, name: string, f: LoadFigures): number | null {
  const e = a.endpoints.find((x) => x.name === name);
  return e ? endpointRps(e, f) : null;
}

/**
 * The first table: each phase at a glance. P95 and error % of every request, timeouts (N of M
 * endpoints), successful RPS against the production gate's throughput target, the load, the
 * readiness score, and both verdicts.
 */
function phasesView(runs: ComparedRun[], figures: LoadFigures[]) {
  return runs.map((r, i) => {
    const all = r.analysis.totals.all;
    const f = figures[i] as LoadFigures;
    const t = r.analysis.timeouts;
    const prod = r.verdict?.production?.rows ?? (r.verdict?.set.name === 'production' ? r.verdict.rows : undefined);
    const tput = prod?.find((x) => x.target === 'throughput' && x.gating);
    const load = r.verdict ? loadView(r.verdict.validity) : null;
    const readiness = readinessScoreOf(r.analysis, r.verdict);
    return {
      label: r.label,
      p95: `${all.censored.p95 ? '≥ ' : ''}${fmtMs(all.durationMs.p95)}`,
      p95V: all.durationMs.p95 ?? -1,
      errors: fmtPct(all.errorRate, 1),
      errorsCls: (all.errorRate ?? 0) >= 0.05 ? 'fail' : (all.errorRate ?? 0) > 0 ? 'warn' : '',
      timeouts: `${t.endpointsWithTimeouts} of ${t.endpointsTotal}`,
      timeoutsCls: t.endpointsWithTimeouts ? 'fail' : 'pass',
      goodput: fmtRps(f.successfulRps),
      offered: fmtRps(f.offeredRps),
      goodputTarget: tput
        ? { text: `${comparatorText(tput.comparator)} ${fmtUnit(tput.threshold, tput.unit)}`, tick: TICK[tput.status], cls: tput.status }
        : null,
      load: load ? load.label : 'NOT JUDGED',
      loadCls: load ? LOAD_CLS[load.state] : 'none',
      readiness: fmtScore(readiness?.score ?? null),
      readinessCls: scoreTone(readiness?.score ?? null),
      own: verdictBadge(r.verdict),
      production: productionBadge(r.verdict),
    };
  });
}

/** The readiness score phase by phase: overall, per category, and each check (unchanged checks collapse). */
function readinessPhases(runs: ComparedRun[]) {
  const scores = runs.map((r) => readinessScoreOf(r.analysis, r.verdict));
  if (scores.every((x) => x === null)) return { any: false, overall: [], categories: [], rows: [], unchanged: [], unchangedText: '' };
  const arrow = (a: number | null, b: number | null) => {
    if (a === null || b === null) return { text: '', cls: '' };
    const d = Math.round((b - a) * 100);
    return d === 0
      ? { text: '= 0 pp', cls: '' }
      : { text: `${d > 0 ? '▲' : '▼'} ${signed(String(Math.abs(d)), d)} pp`, cls: d > 0 ? 'pass' : 'fail' };
  };
  const scoreCells = (pick: (x: ReadinessScore) => number | null) =>
    scores.map((x, i) => {
      const v = x ? pick(x) : null;
      const prev = i > 0 ? scores[i - 1] : null;
      return { text: fmtScore(v), cls: scoreTone(v), delta: i > 0 ? arrow(prev ? pick(prev) : null, v) : { text: '', cls: '' } };
    });
  const overall = scoreCells((x) => x.score);
  const categories = READINESS_CATEGORIES.map((name) => ({
    name,
    cells: scoreCells((x) => x.categories.find((c) => c.name === name)?.score ?? null),
  }));
  const checkRows = READINESS_CHECK_IDS.map((id) => {
    const cells = scores.map((x) => {
      const c = x?.checks.find((y) => y.id === id);
      return {
        status: c?.status ?? 'off',
        label: c ? ({ pass: 'PASS', fail: 'FAIL', inconclusive: '?', off: 'off' } as const)[c.status] : '—',
        cls: !c || c.status === 'off' ? 'none' : c.status,
        share: c?.share === null || c?.share === undefined ? '' : fmtPct(c.share, 0),
      };
    });
    return { id, title: checkTitle(id), quiet: sameStatus(cells.map((c) => c.status)), cells };
  });
  const parts = split(checkRows);
  const n = parts.unchanged.length;
  return {
    any: true,
    overall,
    categories,
    ...parts,
    unchangedText: `${n} readiness check${n === 1 ? '' : 's'} with the same outcome in every run`,
  };
}

/** A run card's second line: `production: 29 of 43 targets breached`. */
function productionText(v: Verdict | null): string {
  if (!v) return 'production: not judged';
  const p = productionJudgement(v);
  if (!p) return 'production: not judged (verdict predates the production gate)';
  return `${p.set === 'production' ? 'production' : `production gate ${p.set}`}: ${p.summary}`;
}

/** The production gate, phase by phase: one line per run (the same figures as its card) and the rows. */
function productionView<T>(runs: ComparedRun[], rows: T[]) {
  const phases = runs.map((r) => {
    const p = r.verdict ? productionJudgement(r.verdict) : null;
    return { label: r.label, judged: p !== null, cls: p?.status ?? 'none', text: p ? `${p.label}: ${p.summary}` : 'not judged' };
  });
  return { any: rows.length > 0, rows, phases };
}

/** The smallest 1-2-2.5-5 × 10^k at or above v. */
function niceCeil(v: number): number {
  if (v <= 0) return 1;
  const e = 10 ** Math.floor(Math.log10(v));
  const m = [1, 2, 2.5, 5, 10].find((x) => x * e >= v) ?? 10;
  return m * e;
}

function barCharts(runs: ComparedRun[], allNames: string[], colors: string[]) {
  let names = allNames;
  // Drawn for half the page (the two charts sit side by side), so text keeps its size.
  const W = 640;
  const LABEL_W = 150;
  const BAR_H = 9;
  const GAP = 10;
  const groupH = runs.length * BAR_H + GAP;
  const plotW = W - LABEL_W - 64;
  const chart = (
    pick: (s: Stats) => number | null,
    fmt: (v: number) => string,
    log: boolean,
    keep: (n: string) => boolean = () => true,
  ) => {
    names = names.filter(keep);
    const H = names.length * groupH + 30;
    const values = names.map((n) =>
      runs.map((r) => {
        const s = statsFor(r.analysis, n, 'all');
        return s && s.requests > 0 ? pick(s) : null;
      }),
    );
    const flat = values.flat().filter((v): v is number => v !== null && v > 0);
    const max = Math.max(...flat, log ? 10 : 0.001);
    const min = log ? 10 ** Math.floor(Math.log10(Math.max(Math.min(...flat, max), 0.1))) : 0;
    const top = log ? 10 ** Math.ceil(Math.log10(max)) : niceCeil(max);
    const x = (v: number) =>
      log ? ((Math.log10(Math.max(v, min)) - Math.log10(min)) / (Math.log10(top) - Math.log10(min))) * plotW : (v / top) * plotW;
    const groups = names.map((name, gi) => ({
      name,
      y: 20 + gi * groupH,
      ty: 20 + gi * groupH + (runs.length * BAR_H) / 2 + 4,
      bars: runs.map((r, ri) => {
        const v = values[gi]?.[ri] ?? null;
        const w = v === null ? 0 : Math.max(1, x(v));
        return {
          y: 20 + gi * groupH + ri * BAR_H,
          w: round(w),
          color: colors[ri] ?? '#555',
          label: v === null ? DASH : v === 0 ? '0' : fmt(v),
          lx: round(LABEL_W + w + 4),
          ly: 20 + gi * groupH + ri * BAR_H + BAR_H - 1,
          title: `${name} · ${r.label}: ${v === null ? 'no data' : fmt(v)}`,
        };
      }),
    }));
    const ticks: Array<{ x: number; label: string }> = [];
    if (log)
      for (let d = Math.log10(min); d <= Math.log10(top) + 1e-9; d++) ticks.push({ x: round(LABEL_W + x(10 ** d)), label: fmt(10 ** d) });
    else for (let i = 0; i <= 4; i++) ticks.push({ x: round(LABEL_W + (plotW * i) / 4), label: fmt((top * i) / 4) });
    return { W, H, LABEL_W, groups, ticks, bottom: H - 10, barH: BAR_H - 1 };
  };
  return {
    p95: chart((s) => s.durationMs.p95, fmtMs, true),
    timeouts: chart(
      (s) => s.timeoutRate,
      (v) => fmtPct(v, 1),
      false,
      (n) => runs.some((r) => (statsFor(r.analysis, n, 'all')?.timeoutRate ?? 0) > 0),
    ),
    anyTimeouts: runs.some((r) => r.analysis.timeouts.endpointsWithTimeouts > 0),
  };
}

export type ComparisonView = ReturnType<typeof buildComparisonView>;
