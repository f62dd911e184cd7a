/**
 * From the streamed state (accumulator.ts) to the analysis file: stats cells, stages,
 * time series and the timeout findings. Pure: time and inputs are passed in.
 */
import type { Histogram } from 'hdr-histogram-js';
import type { Plan } from '../contract/plan.ts';
import { type Accumulator, type Leaf, seriesBucketValue, SERIES_BUCKETS } from './accumulator.ts';
import { OUTCOME_KEYS } from '../contract/outcomes.ts';
import { READINESS_CHECK_IDS, READINESS_SCENARIO } from '../shared/readiness.ts';
import {
  EMPTY_DIST,
  encodeHistogram,
  HDR_RELATIVE_ERROR,
  hdrDist,
  newHistogram,
  sortedDist,
  toHdrUnits,
  topRank,
} from '../contract/distribution.ts';
import { PERCENTILES, type PercentileKey } from '../contract/percentiles.ts';
import {
  ANALYSIS_VERSION,
  type Analysis,
  type Cell,
  type DamagedFile,
  type Dist,
  type Endpoint,
  type Outcomes,
  type ReadinessAnalysis,
  type RunMeta,
  type Series,
  type Stage,
  type Stats,
  type TimeoutFinding,
} from '../contract/analysis.ts';
import { type IntervalPoint, offeredAt, onsetIndex, stageAt, timeoutPattern } from './timeouts.ts';
import { NsSum, type Values } from './values.ts';

export interface BuildInput {
  acc: Accumulator;
  plan: Plan | null;
  run: Omit<RunMeta, 'startedAt' | 'endedAt' | 'durationS'> & { startedAt: string | null; endedAt: string | null };
  t0Ms: number;
  intervalS: number;
  files: string[];
  truncated: boolean;
  /** The damaged files (analyze.ts damageOf). */
  damaged: DamagedFile[];
  warnings: string[];
  generatedAt: string;
}

export function buildAnalysis(input: BuildInput): Analysis {
  const { acc, plan, intervalS } = input;
  const hasSamples = acc.maxS > -Infinity;
  const durationS = hasSamples ? Math.max(0, acc.maxS) : 0;
  const planStages = plan?.stages ?? [];
  const planEndpoints = new Map((plan?.endpoints ?? []).map((e) => [e.name, e]));
  acc.passBodyChecks(new Set((plan?.endpoints ?? []).filter((e) => e.expectBody !== null).map((e) => e.name)));

  // Stages: the plan's, then stage tags the plan does not have, with their observed window.
  const stageDefs: { name: string; startS: number; endS: number; from: number; to: number; planned: number }[] = planStages.map((s, i) => ({
    name: s.name,
    startS: s.startS,
    endS: s.endS,
    from: s.fromRps,
    to: s.toRps,
    planned: i,
  }));
  const extra = new Map<string, { first: number; last: number }>();
  for (const leaf of acc.leaves) {
    if (leaf.stage === null || stageDefs.some((s) => s.name === leaf.stage) || leaf.requests === 0) continue;
    const e = extra.get(leaf.stage) ?? { first: Infinity, last: -Infinity };
    e.first = Math.min(e.first, leaf.firstS);
    e.last = Math.max(e.last, leaf.lastS);
    extra.set(leaf.stage, e);
  }
  if (extra.size > 0 && plan !== null) {
    input.warnings.push(
      `samples carry stage tags the plan does not have: ${[...extra.keys()].join(', ')}; their window is the observed one`,
    );
  }
  for (const [name, e] of [...extra].sort((a, b) => a[1].first - b[1].first)) {
    stageDefs.push({ name, startS: Math.max(0, e.first), endS: Math.max(0, e.last), from: 0, to: 0, planned: -1 });
  }
  const stageWindowS = (s: { startS: number; endS: number }) => Math.max(0, Math.min(s.endS, durationS) - s.startS);

  // Scenario windows: observed, across all endpoints.
  const scenarioSpan = new Map<string, { first: number; last: number }>();
  for (const leaf of acc.leaves) {
    if (leaf.requests === 0) continue;
    const e = scenarioSpan.get(leaf.scenario) ?? { first: Infinity, last: -Infinity };
    e.first = Math.min(e.first, leaf.firstS);
    e.last = Math.max(e.last, leaf.lastS);
    scenarioSpan.set(leaf.scenario, e);
  }

  const memo = new DistMemo();
  const cell = (leaves: Leaf[], windowS: number, timeoutMs: number | null) => cellStats(leaves, windowS, timeoutMs, true, memo);

  // Endpoints: the plan's order first, then names the plan does not know.
  const byEndpoint = new Map<string, Leaf[]>();
  for (const leaf of acc.leaves) {
    if (leaf.endpoint === '') continue;
    const list = byEndpoint.get(leaf.endpoint) ?? [];
    list.push(leaf);
    byEndpoint.set(leaf.endpoint, list);
  }
  const order = [...planEndpoints.keys()].filter((n) => byEndpoint.has(n));
  const unknown = [...byEndpoint.keys()].filter((n) => !planEndpoints.has(n)).sort();
  if (unknown.length > 0 && plan !== null) input.warnings.push(`endpoints the plan does not list: ${unknown.join(', ')}`);

  const endpoints: Endpoint[] = [...order, ...unknown].map((name) => {
    const leaves = byEndpoint.get(name) as Leaf[];
    const pe = planEndpoints.get(name);
    const timeoutMs = pe?.timeoutMs ?? null;
    const byStage: Record<string, Stats> = {};
    // Endpoint × stage × scenario: one leaf each, in the stages' order, then by scenario name.
    const cells: Cell[] = [];
    for (const s of stageDefs) {
      const ls = leaves.filter((l) => l.stage === s.name).sort((a, b) => (a.scenario < b.scenario ? -1 : a.scenario > b.scenario ? 1 : 0));
      if (ls.length === 0) continue;
      const w = stageWindowS(s);
      const st = cell(ls, w, timeoutMs);
      byStage[s.name] = st;
      // One scenario in the stage: its cell is the stage's (no second pass over the values).
      for (const l of ls) cells.push(toCell(s.name, l.scenario, ls.length === 1 ? st : cellStats([l], w, timeoutMs, false, memo)));
    }
    const byScenario: Record<string, Stats> = {};
    for (const sc of [...new Set(leaves.map((l) => l.scenario))].sort()) {
      const span = scenarioSpan.get(sc);
      const w = span === undefined ? 0 : Math.max(0, span.last - Math.max(0, Math.min(span.first, span.last)));
      byScenario[sc] = cell(
        leaves.filter((l) => l.scenario === sc),
        w,
        timeoutMs,
      );
    }
    return {
      name,
      group: pe?.group ?? null,
      method: pe?.method ?? null,
      path: pe?.path ?? null,
      timeoutMs,
      total: cell(leaves, durationS, timeoutMs),
      byStage,
      byScenario,
      cells,
    };
  });

  const vus = acc.vus();
  const stages: Stage[] = stageDefs.map((s, index) => {
    const requests = acc.leaves.filter((l) => l.stage === s.name).reduce((a, l) => a + l.requests, 0);
    const w = stageWindowS(s);
    return {
      name: s.name,
      index,
      startS: s.startS,
      endS: s.endS,
      offeredRps: { from: s.from, to: s.to, mean: (s.from + s.to) / 2 },
      achievedRps: w > 0 ? requests / w : null,
      droppedIterations: s.planned >= 0 ? Math.round(acc.stageDropped[s.planned] ?? 0) : 0,
      vusMax: s.planned >= 0 ? Math.round(vus.stage[s.planned] ?? 0) : 0,
      requests,
    };
  });

  const series = buildSeries(acc, vus.series, intervalS, durationS);
  const findings = endpoints.map((e) => finding(e, series, planStages, intervalS));
  findings.sort((a, b) => b.count - a.count || b.rate - a.rate || a.endpoint.localeCompare(b.endpoint));

  const all = cell(acc.leaves, durationS, null);
  return {
    kind: 'loadgate.analysis',
    version: ANALYSIS_VERSION,
    generatedAt: input.generatedAt,
    run: {
      ...input.run,
      startedAt: hasSamples ? new Date(input.t0Ms).toISOString() : input.run.startedAt,
      endedAt: hasSamples ? new Date(input.t0Ms + durationS * 1000).toISOString() : input.run.endedAt,
      durationS: hasSamples ? durationS : null,
    },
    settings: { percentiles: acc.mode, relativeError: acc.mode === 'hdr' ? HDR_RELATIVE_ERROR : 0, seriesIntervalS: intervalS },
    input: {
      files: input.files,
      lines: acc.lines,
      points: acc.points,
      skipped: {
        badJson: acc.badJson,
        tornLastLine: acc.tornLastLine,
        unknownMetric: acc.unknownMetric,
        untagged: acc.untagged,
        outOfWindow: acc.outOfWindow,
        ...(acc.setupSamples > 0 ? { setup: acc.setupSamples } : {}),
      },
      truncated: input.truncated,
      damaged: { lines: acc.damaged, files: input.damaged },
      warnings: input.warnings,
    },
    totals: {
      requests: all.requests,
      iterations: Math.round(acc.iterations),
      droppedIterations: Math.round(acc.dropped),
      vusMax: Math.round(Math.max(vus.max, vus.peak)),
      // The highest VUs in use, from the same per-interval figures as the series (summed over segments).
      vusPeak: Math.round(vus.series.reduce<number>((m, v) => (v !== null && v > m ? v : m), 0)),
      checks: { passes: acc.checksPass, fails: acc.checksFail },
      all,
    },
    stages,
    endpoints,
    timeouts: {
      endpointsWithTimeouts: findings.filter((f) => f.count > 0).length,
      endpointsTotal: endpoints.length,
      findings,
    },
    series,
    ...readinessOf(acc, plan),
  };
}

/** The readiness section: when the plan asked for the checks, or samples of them came in. */
function readinessOf(acc: Accumulator, plan: Plan | null): { readiness?: ReadinessAnalysis } {
  const r = acc.readiness;
  if (!plan?.readiness && r.samples === 0 && r.requests === 0) return {};
  const known = READINESS_CHECK_IDS as readonly string[];
  const ids = [...r.checks.keys()].sort((a, b) => {
    const ia = known.indexOf(a);
    const ib = known.indexOf(b);
    return (ia < 0 ? known.length : ia) - (ib < 0 ? known.length : ib) || a.localeCompare(b);
  });
  const counts = (m: Map<string, [number, number]>) =>
    Object.fromEntries([...m].sort((a, b) => a[0].localeCompare(b[0])).map(([k, [passes, fails]]) => [k, { passes, fails }]));
  return {
    readiness: {
      scenario: plan?.readiness?.scenario ?? READINESS_SCENARIO,
      requests: r.requests,
      iterations: Math.round(r.iterations),
      droppedIterations: Math.round(r.dropped),
      checks: ids.map((id) => {
        const t = r.checks.get(id) as NonNullable<ReturnType<typeof r.checks.get>>;
        return { id, passes: t.passes, fails: t.fails, byEndpoint: counts(t.byEndpoint), byStage: counts(t.byStage) };
      }),
    },
  };
}

/** A compact cell: a stats cell without its histogram, keyed by stage and scenario. */
function toCell(stage: string, scenario: string, st: Stats): Cell {
  const { histogram: _, ...rest } = st;
  return { stage, scenario, ...rest };
}

/** The stats of a cell made of `leaves`; `withHistogram: false` leaves `histogram` null (and skips building it). */
export function cellStats(
  leaves: readonly Leaf[],
  windowS: number,
  timeoutMs: number | null,
  withHistogram = true,
  memo: DistMemo = new DistMemo(),
): Stats {
  const outcomes = Object.fromEntries(OUTCOME_KEYS.map((k) => [k, 0])) as Outcomes;
  let requests = 0;
  let passes = 0;
  let fails = 0;
  let minTimeout = Infinity;
  for (const l of leaves) {
    requests += l.requests;
    passes += l.checksPass;
    fails += l.checksFail;
    if (l.minTimeoutMs < minTimeout) minTimeout = l.minTimeoutMs;
    OUTCOME_KEYS.forEach((k, i) => {
      outcomes[k] += l.outcomes[i] as number;
    });
  }
  const durations = leaves.map((l) => l.duration);
  const { dist: durationMs, histogram } = distOf(durations, withHistogram, memo);
  // Censoring (docs/analysis-format.md): a timed-out request's true latency is unknown, at
  // least its timeout, so it belongs above every completed request. Client timeouts (1050) are
  // recorded near the timeout, already on top; dial timeouts (1211) never sent the request and
  // are recorded at ~0 ms (k6's duration excludes connecting). A percentile is censored when it
  // reads one of the top `timedOut` ranks, or when its value reaches the smallest recorded
  // client-timeout duration or the endpoint's timeout (cells mixing endpoints' timeouts).
  const timedOut = outcomes.timeout + outcomes.dialTimeout;
  const n = durationMs.count;
  const isCensored = (p: number, v: number | null) =>
    timedOut > 0 && v !== null && (topRank(p, n) >= n - timedOut || v >= minTimeout || (timeoutMs !== null && v >= 0.99 * timeoutMs));
  const censored = Object.fromEntries(PERCENTILES.map(([k, p]) => [k, isCensored(p, durationMs[k])])) as Record<PercentileKey, boolean>;
  return {
    requests,
    outcomes,
    errorRate: requests > 0 ? (requests - outcomes.ok) / requests : null,
    timeoutRate: requests > 0 ? (outcomes.timeout + outcomes.dialTimeout) / requests : null,
    checks: { passes, fails },
    durationMs,
    // No histogram is ever made of these: their values may be sorted where they are.
    waitingMs: distOf(
      leaves.map((l) => l.waiting),
      false,
      memo,
      true,
    ).dist,
    connectingMs: distOf(
      leaves.map((l) => l.connecting),
      false,
      memo,
      true,
    ).dist,
    rps: windowS > 0 ? requests / windowS : null,
    windowS,
    censored,
    histogram,
  };
}

/**
 * What the cells of one analysis share, worked out once: each leaf's values in ascending order
 * (a cell of several leaves merges them rather than sorting its values again), and each
 * distribution by the leaves it covers, in their order (an endpoint with one scenario has the
 * same leaves in its total and in its scenario's cell). Reuse gives the very same figures and
 * histogram: a distribution is made from its parts in the same order either way.
 */
export class DistMemo {
  private readonly ids = new Map<Values, number>();
  private readonly sorted = new Map<Values, Float64Array>();
  private readonly dists = new Map<string, { dist: Dist; histogram: string | null; withHistogram: boolean }>();

  key(parts: readonly Values[]): string {
    let key = '';
    for (const p of parts) {
      let id = this.ids.get(p);
      if (id === undefined) {
        id = this.ids.size;
        this.ids.set(p, id);
      }
      key += `${id},`;
    }
    return key;
  }

  get(key: string, withHistogram: boolean): { dist: Dist; histogram: string | null } | null {
    const hit = this.dists.get(key);
    if (hit === undefined || (withHistogram && !hit.withHistogram)) return null;
    return { dist: { ...hit.dist }, histogram: withHistogram ? hit.histogram : null };
  }

  set(key: string, dist: Dist, histogram: string | null, withHistogram: boolean): void {
    this.dists.set(key, { dist: { ...dist }, histogram, withHistogram });
  }

  /**
   * The values of exact parts (every `buf` set), in ascending order: sorted once per part, merged.
   * `inPlace`: the parts' own values are sorted (no copy), for values no histogram is made of.
   */
  sortedValues(parts: readonly Values[], inPlace: boolean): Float64Array {
    let runs = parts.map((p) => {
      let s = this.sorted.get(p);
      if (s === undefined) {
        const own = (p.buf as Float64Array).subarray(0, p.n);
        s = (inPlace ? own : own.slice()).sort();
        this.sorted.set(p, s);
      }
      return s;
    });
    if (runs.length === 0) return new Float64Array(0);
    while (runs.length > 1) {
      const next: Float64Array[] = [];
      for (let i = 0; i < runs.length; i += 2) {
        const b = runs[i + 1];
        next.push(b === undefined ? (runs[i] as Float64Array) : mergeSorted(runs[i] as Float64Array, b));
      }
      runs = next;
    }
    return runs[0] as Float64Array;
  }
}

/**
 * Two ascending runs into one, in the order Float64Array's sort gives (−0 before +0; no NaN
 * here: the values are JSON numbers).
 */
function mergeSorted(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) {
    const x = a[i] as number;
    const y = b[j] as number;
    if (y < x || (y === x && y === 0 && 1 / y < 0 && 1 / x > 0)) {
      out[k++] = y;
      j++;
    } else {
      out[k++] = x;
      i++;
    }
  }
  while (i < a.length) out[k++] = a[i++] as number;
  while (j < b.length) out[k++] = b[j++] as number;
  return out;
}

/**
 * One distribution over several leaves' values: k6's exact figures while every part still holds
 * its values (exact mode, or a small cell in bounded mode: values.ts EXACT_PER_CELL), else from
 * one HDR histogram of them all.
 */
function distOf(
  parts: readonly Values[],
  withHistogram: boolean,
  memo: DistMemo,
  sortInPlace = false,
): { dist: Dist; histogram: string | null } {
  const key = memo.key(parts);
  const hit = memo.get(key, withHistogram);
  if (hit !== null) return hit;
  const made = makeDist(parts, withHistogram, memo, sortInPlace);
  memo.set(key, made.dist, made.histogram, withHistogram);
  return made;
}

function makeDist(
  parts: readonly Values[],
  withHistogram: boolean,
  memo: DistMemo,
  sortInPlace: boolean,
): { dist: Dist; histogram: string | null } {
  let n = 0;
  const total = new NsSum();
  let min = Infinity;
  let max = -Infinity;
  let exact = true;
  for (const p of parts) {
    n += p.n;
    total.addSum(p.sum);
    if (p.min < min) min = p.min;
    if (p.max > max) max = p.max;
    if (p.buf === null) exact = false;
  }
  if (n === 0) return { dist: { ...EMPTY_DIST }, histogram: null };
  const sum = total.ms();
  if (exact) {
    let histogram: string | null = null;
    if (withHistogram) {
      // In the parts' order, each in arrival order: an auto-resizing histogram's header depends on it.
      const h = newHistogram();
      for (const p of parts) {
        const buf = p.buf as Float64Array;
        for (let i = 0; i < p.n; i++) h.recordValue(toHdrUnits(buf[i] as number));
      }
      histogram = encodeHistogram(h);
      h.destroy();
    }
    return { dist: sortedDist(memo.sortedValues(parts, sortInPlace), sum), histogram };
  }
  const h = newHistogram();
  for (const p of parts) {
    if (p.hist !== null) h.add(p.hist as Histogram);
    else if (p.buf !== null) for (let i = 0; i < p.n; i++) h.recordValue(toHdrUnits(p.buf[i] as number));
  }
  const dist = hdrDist(h, { count: n, min, max, sum });
  const histogram = withHistogram ? encodeHistogram(h) : null;
  h.destroy();
  return { dist, histogram };
}

function buildSeries(acc: Accumulator, seriesVus: readonly (number | null)[], intervalS: number, durationS: number): Series {
  let len = Math.max(acc.seriesRequests.length, seriesVus.length, acc.seriesDropped.length);
  for (const es of acc.endpointSeries.values()) len = Math.max(len, es.requests.length);
  const t = Array.from({ length: len }, (_, i) => round6(i * intervalS));
  const span = (i: number) => {
    const start = i * intervalS;
    const w = Math.min(intervalS, durationS - start);
    return w > 0 ? w : intervalS;
  };
  const at = <T>(arr: readonly T[], i: number, fill: T): T => (i < arr.length ? (arr[i] as T) : fill);
  const endpoints: Series['endpoints'] = {};
  for (const [name, es] of [...acc.endpointSeries].sort((a, b) => a[0].localeCompare(b[0]))) {
    endpoints[name] = {
      requests: t.map((_, i) => at(es.requests, i, 0)),
      p95: t.map((_, i) => bucketP95(es.latency[i], at(es.requests, i, 0))),
      errors: t.map((_, i) => at(es.errors, i, 0)),
      timeouts: t.map((_, i) => at(es.timeouts, i, 0)),
    };
  }
  return {
    intervalS,
    t,
    vus: t.map((_, i) => at<number | null>(seriesVus, i, null)),
    rps: t.map((_, i) => at(acc.seriesRequests, i, 0) / span(i)),
    droppedIterations: t.map((_, i) => at(acc.seriesDropped, i, 0)),
    endpoints,
  };
}

/** p95 of a series interval from its log buckets: nearest rank, the bucket's midpoint. */
function bucketP95(counts: Uint16Array | Uint32Array | undefined, n: number): number | null {
  if (counts === undefined || n === 0) return null;
  const rank = Math.max(1, Math.ceil(0.95 * n));
  let cum = 0;
  for (let b = 0; b < SERIES_BUCKETS; b++) {
    cum += counts[b] as number;
    if (cum >= rank) return round6(seriesBucketValue(b));
  }
  return null;
}

function finding(e: Endpoint, series: Series, planStages: Plan['stages'], intervalS: number): TimeoutFinding {
  const count = e.total.outcomes.timeout + e.total.outcomes.dialTimeout;
  const es = series.endpoints[e.name];
  const points: IntervalPoint[] = series.t.map((t, i) => ({
    t,
    requests: es?.requests[i] ?? 0,
    timeouts: es?.timeouts[i] ?? 0,
    offeredRps: planStages.length > 0 ? offeredAt(planStages, t + intervalS / 2) : null,
  }));
  const idx = count > 0 ? onsetIndex(points) : null;
  const onset =
    idx === null
      ? null
      : (() => {
          const atS = (points[idx] as IntervalPoint).t;
          return { stage: stageAt(planStages, atS) ?? null, atS, offeredRps: offeredAt(planStages, atS) };
        })();
  const byStage: Record<string, number> = {};
  for (const [name, s] of Object.entries(e.byStage)) byStage[name] = s.timeoutRate ?? 0;
  return {
    endpoint: e.name,
    count,
    rate: e.total.requests > 0 ? count / e.total.requests : 0,
    onset,
    pattern: timeoutPattern(points).pattern,
    byStage,
    censored: PERCENTILES.map(([k]) => k).filter((k) => e.total.censored[k]),
  };
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
