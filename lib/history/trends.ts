/**
 * The trend model: the last N runs of one shape → per endpoint and metric, the series, the
 * targets as the runs applied them, the levels with their noise bands, and the change points;
 * and the newest run judged against the ones before it (the gate's judgement). Pure: entries
 * in, model out; `loadgate trends` renders it (lib/history/render.ts) or prints it as JSON.
 */
import type { HistoryEntry, HistoryJudgement, RunRef } from '../contract/history.ts';
import { HISTORY_NOISE } from './noise.ts';
import { METRICS, RUN_GOODPUT, type MetricDef, type MetricKey } from '../contract/history.ts';
import { analyzeSeries, type DetectedChange, type Regime } from './series.ts';
import { judgeAgainstHistory, runRef } from './gate.ts';

export interface TrendRun extends RunRef {
  /** Position in the report, oldest first. */
  index: number;
  status: HistoryEntry['status'];
  verdict: HistoryEntry['verdict'];
  target: string | null;
}

export interface TrendChange extends DetectedChange {
  endpoint: string;
  metric: MetricKey;
  label: string;
  unit: MetricDef['unit'];
  /** The first run on the new level, and the last one before it. */
  startedAt: RunRef;
  lastBefore: RunRef;
}

export interface TrendSeries {
  metric: MetricKey;
  label: string;
  unit: MetricDef['unit'];
  worse: MetricDef['worse'];
  /** One per run, oldest first; null where the run has no figure. */
  values: (number | null)[];
  /** The target each run was judged against; null when none of them had one. */
  targets: (number | null)[] | null;
  /** Runs whose figure is a lower bound (P95 capped by timeouts). */
  censored: number[];
  regimes: Regime[];
  changes: TrendChange[];
}

export interface EndpointTrend {
  name: string;
  group: string | null;
  series: TrendSeries[];
}

export interface TrendsModel {
  shape: string;
  shapeLabel: string;
  runs: TrendRun[];
  endpoints: EndpointTrend[];
  /** Goodput of the whole run (every endpoint, steady window) with the throughput target. */
  run: TrendSeries;
  /** Every change point, newest first. */
  changes: TrendChange[];
  /** The newest run judged against the runs before it; null with a single run. */
  latest: HistoryJudgement | null;
  settings: typeof HISTORY_NOISE;
}

export interface TrendsOptions {
  seed?: number;
  /** Judge the newest run against the earlier ones. Default true. */
  judgeLatest?: boolean;
}

function seriesOf(
  def: MetricDef,
  endpoint: string,
  runs: TrendRun[],
  values: (number | null)[],
  targets: (number | null)[],
  censored: number[],
  seed: number,
): TrendSeries {
  const { regimes, changes } = analyzeSeries(values, def, { seed });
  return {
    metric: def.key,
    label: def.label,
    unit: def.unit,
    worse: def.worse,
    values,
    targets: targets.some((t) => t !== null) ? targets : null,
    censored,
    regimes,
    changes: changes.map((c) => ({
      ...c,
      endpoint,
      metric: def.key,
      label: def.label,
      unit: def.unit,
      startedAt: runs[c.index] as TrendRun,
      lastBefore: runs[c.prevIndex] as TrendRun,
    })),
  };
}

/** `entries`: runs of one shape, any order (the newest `last` are kept). */
export function buildTrends(entries: readonly HistoryEntry[], opts: TrendsOptions = {}): TrendsModel {
  const seed = opts.seed ?? HISTORY_NOISE.seed;
  const sorted = [...entries].sort((a, b) =>
    a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : a.runId.localeCompare(b.runId),
  );
  const newest = sorted[sorted.length - 1];
  if (!newest) throw new Error('buildTrends needs at least one run');
  const runs: TrendRun[] = sorted.map((e, index) => ({ ...runRef(e), index, status: e.status, verdict: e.verdict, target: e.target }));
  // Endpoints in the order the newest run has them, then any only older runs have.
  const names: string[] = [];
  const groups = new Map<string, string | null>();
  for (const e of [...sorted].reverse()) {
    for (const ep of e.endpoints) {
      if (!groups.has(ep.name)) {
        groups.set(ep.name, ep.group);
        names.push(ep.name);
      }
    }
  }
  const byRun = sorted.map((e) => new Map(e.endpoints.map((ep) => [ep.name, ep])));
  const endpoints: EndpointTrend[] = names.map((name) => {
    const eps = byRun.map((m) => m.get(name));
    const series = METRICS.map((def) => {
      const targetKey = def.key === 'goodputRps' ? null : def.key;
      return seriesOf(
        def,
        name,
        runs,
        eps.map((ep) => (ep ? ep[def.key] : null)),
        eps.map((ep) => (ep && targetKey ? ep.targets[targetKey] : null)),
        def.key === 'p95' ? eps.flatMap((ep, i) => (ep?.p95Censored ? [i] : [])) : [],
        seed,
      );
    });
    return { name, group: groups.get(name) ?? null, series };
  });
  const run = seriesOf(
    RUN_GOODPUT,
    '*',
    runs,
    sorted.map((e) => e.goodputRps),
    sorted.map((e) => e.throughputTarget),
    [],
    seed,
  );
  const changes = [...endpoints.flatMap((e) => e.series.flatMap((s) => s.changes)), ...run.changes].sort(
    (a, b) => b.index - a.index || a.endpoint.localeCompare(b.endpoint),
  );
  const latest = opts.judgeLatest === false || sorted.length < 2 ? null : judgeAgainstHistory(newest, sorted.slice(0, -1));
  return { shape: newest.shape, shapeLabel: newest.shapeLabel, runs, endpoints, run, changes, latest, settings: HISTORY_NOISE };
}
