import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../shared/rng.ts';
import { eDivisive } from './changepoints.ts';
import { analyzeSeries } from './series.ts';
import { metricDef } from '../contract/history.ts';

/** Q(τ) straight from the definition, O(n²) per split: the reference the O(n log n) scan must equal. */
function bruteQ(x: number[], tau: number): number {
  const a = x.slice(0, tau);
  const b = x.slice(tau);
  const m = a.length;
  const k = b.length;
  let cross = 0;
  for (const u of a) for (const v of b) cross += Math.abs(u - v);
  let wa = 0;
  for (let i = 0; i < m; i++) for (let j = i + 1; j < m; j++) wa += Math.abs((a[i] as number) - (a[j] as number));
  let wb = 0;
  for (let i = 0; i < k; i++) for (let j = i + 1; j < k; j++) wb += Math.abs((b[i] as number) - (b[j] as number));
  return ((m * k) / (m + k)) * ((2 * cross) / (m * k) - wa / ((m * (m - 1)) / 2) - wb / ((k * (k - 1)) / 2));
}

function gaussian(rng: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

function series(n: number, seed: number, level: (i: number) => number, noise = 0.04): number[] {
  const rng = mulberry32(seed);
  return Array.from({ length: n }, (_, i) => level(i) * (1 + noise * gaussian(rng)));
}

describe('E-divisive means', () => {
  it('finds the split that maximises the energy statistic, as the definition computes it (ties and repeats included)', () => {
    const rng = mulberry32(3);
    for (const n of [6, 9, 17, 40]) {
      // Rounded values: many ties, which the rank-based sums must handle.
      const x = Array.from({ length: n }, (_, i) => Math.round((i > n / 2 ? 14 : 10) + 4 * rng()));
      let best = -1;
      let bestQ = Number.NEGATIVE_INFINITY;
      for (let tau = 3; tau <= n - 3; tau++) {
        const q = bruteQ(x, tau);
        if (q > bestQ) {
          bestQ = q;
          best = tau;
        }
      }
      const found = eDivisive(x, { alpha: 1, permutations: 9 });
      // With α = 1 every split "passes": the first one taken is the global maximum.
      const first = found.reduce((a, b) => (b.statistic > a.statistic ? b : a), found[0]!);
      expect(first.index).toBe(best);
      expect(first.statistic).toBeCloseTo(bestQ, 8);
    }
  });

  it('finds a step at its index, with a permutation p-value at the test’s floor', () => {
    const x = series(60, 7, (i) => (i >= 39 ? 140 : 100));
    const found = eDivisive(x);
    expect(found.map((c) => c.index)).toEqual([39]);
    expect(found[0]!.pValue).toBeCloseTo(1 / 200, 10);
  });

  it('finds two steps', () => {
    const x = series(90, 11, (i) => (i >= 60 ? 100 : i >= 30 ? 150 : 100));
    expect(eDivisive(x).map((c) => c.index)).toEqual([30, 60]);
  });

  it('reports no change for a single outlier, white noise, or a slow wave', () => {
    expect(eDivisive(series(60, 5, (i) => (i === 19 ? 300 : 100)))).toEqual([]);
    expect(eDivisive(series(60, 6, () => 100))).toEqual([]);
    expect(eDivisive(series(60, 8, (i) => 100 * (1 + 0.03 * Math.sin((2 * Math.PI * i) / 23))))).toEqual([]);
  });

  it('never makes a segment shorter than minSegment, and needs 2 × minSegment points to split', () => {
    const x = [100, 100, 100, 100, 100, 300, 300];
    expect(eDivisive(x, { minSegment: 3 })).toEqual([]);
    const y = series(12, 2, (i) => (i >= 10 ? 300 : 100));
    expect(eDivisive(y, { minSegment: 3 }).every((c) => c.index >= 3 && c.index <= 9)).toBe(true);
  });

  it('is deterministic: the same series and seed give the same answer', () => {
    const x = series(80, 9, (i) => (i >= 50 ? 125 : 100), 0.06);
    expect(eDivisive(x)).toEqual(eDivisive(x));
  });
});

describe('series: practical significance, size and whether it holds', () => {
  const p95 = metricDef('p95');

  it('keeps a step beyond the floor, with a bootstrap interval around its size, and says it is still present', () => {
    const x = series(60, 7, (i) => (i >= 39 ? 140 : 100));
    const { changes, regimes } = analyzeSeries(x, p95);
    expect(changes).toHaveLength(1);
    const c = changes[0]!;
    expect(c.index).toBe(39);
    expect(c.prevIndex).toBe(38);
    expect(c.direction).toBe('regressed');
    expect(c.delta).toBeGreaterThan(30);
    expect(c.delta).toBeLessThan(50);
    expect(c.ci[0]).toBeLessThanOrEqual(c.delta);
    expect(c.ci[1]).toBeGreaterThanOrEqual(c.delta);
    expect(c.ci[0]).toBeGreaterThan(0);
    expect(c.stillPresent).toBe(true);
    expect(regimes.map((r) => [r.start, r.end])).toEqual([
      [0, 39],
      [39, 60],
    ]);
  });

  it('merges away a statistically clear but small step (below the 10 % floor)', () => {
    // A 5 % step with 1 % noise: E-divisive finds it; it is not a change worth a page.
    const x = series(60, 4, (i) => (i >= 30 ? 105 : 100), 0.01);
    expect(eDivisive(x).length).toBeGreaterThan(0);
    expect(analyzeSeries(x, p95).changes).toEqual([]);
  });

  it('says a change is no longer present once the series went back', () => {
    const x = series(90, 12, (i) => (i >= 30 && i < 60 ? 150 : 100));
    const { changes } = analyzeSeries(x, p95);
    expect(changes.map((c) => [c.index, c.direction, c.stillPresent])).toEqual([
      [30, 'regressed', false],
      [60, 'improved', true],
    ]);
  });

  it('skips runs without a figure and reports positions in the input', () => {
    const x: (number | null)[] = series(60, 7, (i) => (i >= 39 ? 140 : 100));
    x[10] = null;
    x[45] = null;
    const { changes } = analyzeSeries(x, p95);
    expect(changes.map((c) => c.index)).toEqual([39]);
  });

  it('reads a drop in goodput as the regression', () => {
    const x = series(40, 3, (i) => (i >= 20 ? 70 : 100));
    const { changes } = analyzeSeries(x, metricDef('goodputRps'));
    expect(changes.map((c) => [c.index, c.direction])).toEqual([[20, 'regressed']]);
  });
});
