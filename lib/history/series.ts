/**
 * One metric of one endpoint across runs → its levels (regimes) and the changes between them.
 *
 *  1. E-divisive means finds the statistically significant change points (changepoints.ts);
 *     splits whose sides differ by less than half the practical floor are not tested.
 *  2. Practical significance: the change point whose step (median after − median before, over
 *     the neighbouring segments) is smallest relative to the metric's floor (noise.ts) is merged
 *     away while any is below its floor, then the steps are measured again — as Hunter/Otava
 *     merge weak change points. A slow drift can be statistically significant; it is not a change.
 *  3. Each change that stays gets its size with a percentile-bootstrap confidence interval of the
 *     difference of the two segments' medians, and whether it is still present: the latest level
 *     is still at least half the step away from the level before, the same way, and beyond the floor.
 */
import { mulberry32 } from '../shared/rng.ts';
import { eDivisive, type EDivisiveOptions } from './changepoints.ts';
import { bootstrapMedianDiff, floorAt, HISTORY_NOISE, median, medianOf, robustSd, worseBy } from './noise.ts';
import type { MetricDef } from '../contract/history.ts';

export interface Regime {
  /** Positions in the input (runs), first and last with a value; `end` exclusive. */
  start: number;
  end: number;
  level: number;
  /** The noise band: level ± halfWidth (k robust SDs, at least the practical floor). */
  halfWidth: number;
  runs: number;
}

export interface DetectedChange {
  /** The position of the first run on the new level, and of the last run before it. */
  index: number;
  prevIndex: number;
  before: number;
  after: number;
  delta: number;
  deltaRel: number | null;
  /** Confidence interval of `delta` (HISTORY_NOISE.confidence). */
  ci: [number, number];
  direction: 'regressed' | 'improved';
  pValue: number;
  /** The latest level, and whether the change still holds there. */
  latest: number;
  stillPresent: boolean;
}

export interface SeriesAnalysis {
  changes: DetectedChange[];
  regimes: Regime[];
}

export interface SeriesOptions extends EDivisiveOptions {
  k?: number;
  resamples?: number;
  /** Bootstrap each change's confidence interval (the gate needs only the levels). Default true. */
  intervals?: boolean;
}

const bandOf = (def: MetricDef, xs: number[], k: number): { level: number; halfWidth: number } => {
  const level = medianOf(xs);
  return { level, halfWidth: Math.max(k * robustSd(xs), floorAt(def, level)) };
};

export function analyzeSeries(values: readonly (number | null)[], def: MetricDef, opts: SeriesOptions = {}): SeriesAnalysis {
  const k = opts.k ?? HISTORY_NOISE.k;
  const pos: number[] = [];
  const xs: number[] = [];
  values.forEach((v, i) => {
    if (v !== null && Number.isFinite(v)) {
      pos.push(i);
      xs.push(v);
    }
  });
  if (xs.length === 0) return { changes: [], regimes: [] };
  // A split whose sides' medians differ by less than half the floor could not survive step 2:
  // its permutation test is skipped (half, so that a split next to a larger change still is tested).
  const raw = eDivisive(xs, {
    ...opts,
    worthTesting: (a, b) => Math.abs(median(b.sort()) - median(a.sort())) >= 0.5 * floorAt(def, median(a)),
  });
  const pValue = new Map(raw.map((r) => [r.index, r.pValue]));
  let cps = raw.map((r) => r.index);
  const segment = (j: number, bounds: number[]) => xs.slice(bounds[j], bounds[j + 1]);
  for (;;) {
    const bounds = [0, ...cps, xs.length];
    let weakest = -1;
    let weakestRatio = Number.POSITIVE_INFINITY;
    cps.forEach((_, j) => {
      const before = medianOf(segment(j, bounds));
      const after = medianOf(segment(j + 1, bounds));
      const ratio = Math.abs(after - before) / floorAt(def, before);
      if (ratio < weakestRatio) {
        weakestRatio = ratio;
        weakest = j;
      }
    });
    if (weakest < 0 || weakestRatio >= 1) break;
    cps = cps.filter((_, j) => j !== weakest);
  }
  const bounds = [0, ...cps, xs.length];
  const regimes: Regime[] = [];
  for (let j = 0; j + 1 < bounds.length; j++) {
    const seg = segment(j, bounds);
    const { level, halfWidth } = bandOf(def, seg, k);
    regimes.push({
      start: pos[bounds[j] as number] as number,
      end: (pos[(bounds[j + 1] as number) - 1] as number) + 1,
      level,
      halfWidth,
      runs: seg.length,
    });
  }
  const latest = regimes[regimes.length - 1]?.level ?? Number.NaN;
  const rng = mulberry32(opts.seed ?? HISTORY_NOISE.seed);
  const changes = cps.map((cp, j): DetectedChange => {
    const beforeXs = segment(j, bounds);
    const afterXs = segment(j + 1, bounds);
    const before = medianOf(beforeXs);
    const after = medianOf(afterXs);
    const delta = after - before;
    const towards = latest - before;
    return {
      index: pos[cp] as number,
      prevIndex: pos[cp - 1] as number,
      before,
      after,
      delta,
      deltaRel: before !== 0 ? delta / Math.abs(before) : null,
      ci: opts.intervals === false ? [Number.NaN, Number.NaN] : bootstrapMedianDiff(beforeXs, afterXs, rng, opts.resamples),
      direction: worseBy(def, before, after) > 0 ? 'regressed' : 'improved',
      pValue: pValue.get(cp) ?? Number.NaN,
      latest,
      stillPresent: Math.sign(towards) === Math.sign(delta) && Math.abs(towards) >= Math.max(floorAt(def, before), 0.5 * Math.abs(delta)),
    };
  });
  return { changes, regimes };
}
