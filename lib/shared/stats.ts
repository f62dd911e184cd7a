/**
 * Statistics for comparisons: is a change between two runs real, or within noise?
 *
 * Latency percentiles: a bootstrap confidence interval of the percentile difference,
 * resampled from each run's recorded HDR histogram. Resampling n requests from an empirical
 * distribution and taking the k-th smallest is the same, in distribution, as drawing the
 * k-th order statistic of n uniforms (Beta(k, n−k+1)) and mapping it through the empirical
 * quantile function; that lets every resample use the run's real request count at the cost
 * of two gamma draws instead of n draws.
 *
 * Proportions (error rate, timeout rate): two-proportion z-test. Throughput: two Poisson
 * rates compared with a z-test. Every classification also has a practical-significance
 * floor, so that a statistically detectable but negligible change reads "within noise".
 */
import { quantile, type Cdf } from './histogram.ts';
import { mulberry32 } from './rng.ts';

/** `follows-load`: a throughput change of one endpoint, which under an open model follows the offered load and the mix. */
export type Change = 'improved' | 'regressed' | 'within-noise' | 'not-tested' | 'follows-load';

/** A target a measure is judged against: changes are practically relevant relative to it. */
export interface Yardstick {
  threshold: number;
  comparator: '<' | '<=' | '>=';
}

const meets = (v: number, y: Yardstick) =>
  y.comparator === '<' ? v < y.threshold : y.comparator === '<=' ? v <= y.threshold : v >= y.threshold;

/** Defaults, stated in the report. */
export const NOISE = {
  confidence: 0.95,
  resamples: 2000,
  /** Latency: |Δ| below either floor is within noise. */
  latencyRelFloor: 0.05,
  latencyAbsFloorMs: 2,
  /** Proportions: two-sided p-value threshold and an absolute floor (0.1 percentage point). */
  alpha: 0.05,
  proportionAbsFloor: 0.001,
  /** Throughput: relative floor. */
  rateRelFloor: 0.05,
  /** With a target: a change smaller than this share of the target is not practically relevant (unless it crosses the target). */
  targetRelFloor: 0.1,
} as const;

function normal(rng: () => number): number {
  // Box–Muller; 1 − u keeps the log argument in (0, 1].
  const u = 1 - rng();
  const v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Gamma(shape, 1) by Marsaglia–Tsang (shape ≥ 1; boosted below 1). */
export function gamma(shape: number, rng: () => number): number {
  if (shape < 1) return gamma(shape + 1, rng) * (1 - rng()) ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(rng);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - rng();
    if (u < 1 - 0.0331 * x ** 4) return d * v;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

export function beta(a: number, b: number, rng: () => number): number {
  const x = gamma(a, rng);
  const y = gamma(b, rng);
  return x / (x + y);
}

/** Nearest-rank index (1-based) of percentile p among n values. */
function rank(p: number, n: number): number {
  return Math.min(n, Math.max(1, Math.ceil(p * n)));
}

/** One bootstrap replicate of the p-th percentile of a resample of `cdf.total` requests. */
function replicate(cdf: Cdf, p: number, rng: () => number): number {
  const n = cdf.total;
  const k = rank(p, n);
  return quantile(cdf, beta(k, n - k + 1, rng));
}

export interface PercentileDiff {
  /** Point estimates from the histograms (nearest rank), ms. */
  a: number;
  b: number;
  delta: number;
  /** Confidence interval of b − a, ms. */
  lo: number;
  hi: number;
  resamples: number;
}

/** Bootstrap CI of percentile(b) − percentile(a), from the recorded distributions. */
export function bootstrapPercentileDiff(
  a: Cdf,
  b: Cdf,
  opts: { p?: number; resamples?: number; confidence?: number; seed?: number } = {},
): PercentileDiff | null {
  if (a.total === 0 || b.total === 0) return null;
  const p = opts.p ?? 0.95;
  const resamples = opts.resamples ?? NOISE.resamples;
  const confidence = opts.confidence ?? NOISE.confidence;
  const rng = mulberry32(opts.seed ?? 1);
  const diffs = new Float64Array(resamples);
  for (let i = 0; i < resamples; i++) diffs[i] = replicate(b, p, rng) - replicate(a, p, rng);
  diffs.sort();
  const tail = (1 - confidence) / 2;
  const at = (q: number) => diffs[Math.min(resamples - 1, Math.max(0, Math.floor(q * resamples)))] ?? Number.NaN;
  const pa = quantile(a, p);
  const pb = quantile(b, p);
  return { a: pa, b: pb, delta: pb - pa, lo: at(tail), hi: at(1 - tail), resamples };
}

/**
 * Lower latency is better. Improved: the CI lies entirely below 0 and |Δ| clears both floors;
 * regressed: entirely above 0 and clears both floors; otherwise within noise.
 */
export function classifyLatency(
  diff: PercentileDiff | null,
  delta: number | null,
  base: number | null,
  floors: { rel?: number; absMs?: number; target?: Yardstick | null } = {},
): Change {
  if (diff === null || delta === null || base === null) return 'not-tested';
  const rel = floors.rel ?? NOISE.latencyRelFloor;
  const absMs = floors.absMs ?? NOISE.latencyAbsFloorMs;
  const target = floors.target ?? null;
  // Relative to the target when there is one: +2.8 ms on a 5 ms P95 is nothing against 500 ms.
  const floor = Math.max(absMs, rel * Math.abs(base), target ? NOISE.targetRelFloor * target.threshold : 0);
  const crosses = target !== null && meets(base, target) !== meets(base + delta, target);
  const practical = crosses || Math.abs(delta) >= floor;
  if (!practical) return 'within-noise';
  if (diff.hi < 0 && delta < 0) return 'improved';
  if (diff.lo > 0 && delta > 0) return 'regressed';
  return 'within-noise';
}

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 erf, |error| < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

export interface ProportionTest {
  pA: number;
  pB: number;
  delta: number;
  z: number;
  pValue: number;
}

/** Two-proportion z-test (pooled standard error), two-sided. Null when either side has no trials. */
export function twoProportionZ(xA: number, nA: number, xB: number, nB: number): ProportionTest | null {
  if (nA <= 0 || nB <= 0) return null;
  const pA = xA / nA;
  const pB = xB / nB;
  const pooled = (xA + xB) / (nA + nB);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / nA + 1 / nB));
  if (se === 0) return { pA, pB, delta: pB - pA, z: 0, pValue: 1 };
  const z = (pB - pA) / se;
  return { pA, pB, delta: pB - pA, z, pValue: 2 * (1 - normalCdf(Math.abs(z))) };
}

/** Lower is better (errors, timeouts). */
export function classifyProportion(
  test: ProportionTest | null,
  opts: { alpha?: number; absFloor?: number; target?: Yardstick | null } = {},
): Change {
  if (test === null) return 'not-tested';
  const alpha = opts.alpha ?? NOISE.alpha;
  const target = opts.target ?? null;
  const floor = Math.max(opts.absFloor ?? NOISE.proportionAbsFloor, target ? NOISE.targetRelFloor * target.threshold : 0);
  const crosses = target !== null && meets(test.pA, target) !== meets(test.pB, target);
  if (test.pValue >= alpha || (!crosses && Math.abs(test.delta) < floor)) return 'within-noise';
  return test.delta < 0 ? 'improved' : 'regressed';
}

export interface RateTest {
  rA: number;
  rB: number;
  delta: number;
  z: number;
  pValue: number;
}

/** Two Poisson rates (count over seconds), z-test on the difference; null without a window. */
export function poissonRateZ(cA: number, tA: number, cB: number, tB: number): RateTest | null {
  if (tA <= 0 || tB <= 0) return null;
  const rA = cA / tA;
  const rB = cB / tB;
  const se = Math.sqrt(cA / (tA * tA) + cB / (tB * tB));
  if (se === 0) return { rA, rB, delta: rB - rA, z: 0, pValue: 1 };
  const z = (rB - rA) / se;
  return { rA, rB, delta: rB - rA, z, pValue: 2 * (1 - normalCdf(Math.abs(z))) };
}

/** Higher is better (throughput). */
export function classifyRate(test: RateTest | null, opts: { alpha?: number; relFloor?: number } = {}): Change {
  if (test === null) return 'not-tested';
  const alpha = opts.alpha ?? NOISE.alpha;
  const floor = opts.relFloor ?? NOISE.rateRelFloor;
  if (test.pValue >= alpha || Math.abs(test.delta) < floor * Math.abs(test.rA)) return 'within-noise';
  return test.delta > 0 ? 'improved' : 'regressed';
}
