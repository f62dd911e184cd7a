/**
 * What "beyond noise" means across nights: the metrics a trend follows, which direction is
 * worse, the practical floors below which a change is noise whatever its statistics, and the
 * robust statistics (median, MAD) and bootstrap the change points and the gate share.
 * The table of metrics (METRICS) is lib/contract/history.ts's; the change points, the trend
 * report, the gate and docs derive from it.
 */
import type { EndpointSummary, MetricDef, MetricKey } from '../contract/history.ts';

export const HISTORY_NOISE = {
  /** E-divisive: permutations per test, significance level, fewest runs on either side of a change. */
  permutations: 199,
  alpha: 0.01,
  minSegment: 3,
  /** Seed of the permutations and the bootstrap: the same history gives the same report. */
  seed: 1,
  /** Confidence interval of a change's size: percentile bootstrap of the difference of medians. */
  confidence: 0.95,
  resamples: 2000,
  /** The gate: at most this many runs before the judged one, since the last change point; at least `minBaseline`. */
  window: 20,
  minBaseline: 3,
  /**
   * The gate's and the bands' width: k robust standard deviations (1.4826 × MAD) of the baseline
   * runs. 4, not 3: a nightly judges some 60–80 figures (20 endpoints × 3 metrics + goodput), and
   * at 3 SDs one night in ten would fail on noise alone.
   */
  k: 4,
  /** An endpoint with fewer requests in the judged run is not gated on its P95 (a P95 of a handful of requests is not a figure). */
  minRequests: 20,
  /** Trend reports: runs shown per shape by default. */
  last: 100,
} as const;

export function metricOf(e: EndpointSummary, key: MetricKey): number | null {
  return e[key];
}

export function median(sorted: ArrayLike<number>): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const mid = n >> 1;
  return n % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function medianOf(values: readonly number[]): number {
  return median(Float64Array.from(values).sort());
}

/** Robust standard deviation: 1.4826 × the median absolute deviation (consistent with σ for normal data). */
export function robustSd(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const m = medianOf(values);
  return 1.4826 * medianOf(values.map((v) => Math.abs(v - m)));
}

/** The practical floor for a change from `level`: below it a change is noise. */
export function floorAt(def: MetricDef, level: number): number {
  return Math.max(def.floor.abs, def.floor.rel * Math.abs(level));
}

/** Signed so that positive is worse. */
export function worseBy(def: MetricDef, from: number, to: number): number {
  return def.worse === 'up' ? to - from : from - to;
}

/**
 * A percentile-bootstrap confidence interval of median(after) − median(before): each resample
 * draws each segment with replacement. Seeded (mulberry32), so reports are reproducible.
 * A resample's median is found by counting how often each rank of the sorted segment was drawn
 * (O(n) per resample, not a sort): the same value a sort would give.
 */
export function bootstrapMedianDiff(
  before: readonly number[],
  after: readonly number[],
  rng: () => number,
  resamples: number = HISTORY_NOISE.resamples,
  confidence: number = HISTORY_NOISE.confidence,
): [number, number] {
  const a = Float64Array.from(before).sort();
  const b = Float64Array.from(after).sort();
  const counts = new Int32Array(Math.max(a.length, b.length));
  const resampledMedian = (sorted: Float64Array): number => {
    const n = sorted.length;
    counts.fill(0, 0, n);
    for (let i = 0; i < n; i++) {
      const k = Math.floor(rng() * n);
      counts[k] = (counts[k] as number) + 1;
    }
    // The 0-based order statistics n>>1 (and n/2 − 1 when n is even) of the resample.
    const hi = n >> 1;
    const lo = n % 2 ? hi : hi - 1;
    let seen = 0;
    let loValue = Number.NaN;
    for (let r = 0; r < n; r++) {
      seen += counts[r] as number;
      if (Number.isNaN(loValue) && seen > lo) loValue = sorted[r] as number;
      if (seen > hi) return (loValue + (sorted[r] as number)) / 2;
    }
    return loValue;
  };
  const diffs = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) diffs[r] = resampledMedian(b) - resampledMedian(a);
  diffs.sort();
  const tail = (1 - confidence) / 2;
  const at = (q: number) => diffs[Math.min(resamples - 1, Math.max(0, Math.floor(q * resamples)))] as number;
  return [at(tail), at(1 - tail)];
}
