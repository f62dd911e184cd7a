/**
 * Change points in a series of nightly figures: E-divisive means (Matteson & James, "A
 * nonparametric approach for multiple change point analysis of multivariate data", JASA 2014),
 * the method MongoDB uses for its nightly performance CI (Daly et al., "Change Point Detection
 * in Software Performance Testing", ICPE 2020) and Hunter/Otava after it.
 *
 * For a segment X split at τ into A = X[0, τ) and B = X[τ, n), with α = 1,
 *
 *   Q(τ) = (m·k / (m + k)) · ( 2/(m·k) Σ|a − b| − Σ_{i<j}|a_i − a_j| / C(m,2) − Σ_{i<j}|b_i − b_j| / C(k,2) )
 *
 * (m = |A|, k = |B|): the energy distance between the two sides, scaled by their sizes. The
 * best split maximises Q. Its significance is a permutation test: the segment's values shuffled
 * R times, p = (1 + #{Q_perm ≥ Q}) / (R + 1); a split with p ≤ α is a change point. Divisive:
 * the segment holding the largest Q is tested and split, then its halves, until a test fails.
 * As in Hunter/Otava, a split divides a segment in two (the original also searches the second
 * side's end, κ; with one split per step and recursion the result is the same for steps).
 *
 * Each scan is O(n log n): the within-side sums of |a_i − a_j| of every prefix and suffix come
 * from Fenwick trees over the values' ranks, and the cross sum is the total less both. A
 * permutation test stops as soon as it can no longer reach α, and a caller may skip the tests of
 * splits too small to matter (`worthTesting`). Everything is seeded: the same series gives the
 * same change points (the nondeterminism Daly et al. had to work around).
 */
import { mulberry32 } from '../shared/rng.ts';
import { HISTORY_NOISE } from './noise.ts';

export interface EDivisiveOptions {
  permutations?: number;
  alpha?: number;
  /** Fewest points on either side of a change (a single outlier can never be one side). */
  minSegment?: number;
  seed?: number;
  /**
   * Whether a candidate split is worth its permutation test (the caller's practical floor): a
   * split that fails is not tested and its segment not divided further. Costly tests of steps
   * too small to matter (a slow drift in a long series is statistically clear) are skipped.
   */
  worthTesting?: (before: Float64Array, after: Float64Array) => boolean;
}

export interface RawChangePoint {
  /** The first index of the new level. */
  index: number;
  /** Q at the split. */
  statistic: number;
  /** Permutation p-value. */
  pValue: number;
}

class Fenwick {
  readonly cnt: Float64Array;
  readonly sum: Float64Array;
  /** The last `below()` answer (fields, not a tuple: the scan runs millions of times per report). */
  c = 0;
  s = 0;
  constructor(readonly n: number) {
    this.cnt = new Float64Array(n + 1);
    this.sum = new Float64Array(n + 1);
  }
  reset(): void {
    this.cnt.fill(0);
    this.sum.fill(0);
  }
  add(i: number, v: number): void {
    for (let j = i + 1; j <= this.n; j += j & -j) {
      this.cnt[j] = (this.cnt[j] as number) + 1;
      this.sum[j] = (this.sum[j] as number) + v;
    }
  }
  /** Count and sum of the entries with rank < i, into `c` and `s`. */
  below(i: number): void {
    let c = 0;
    let s = 0;
    for (let j = i; j > 0; j -= j & -j) {
      c += this.cnt[j] as number;
      s += this.sum[j] as number;
    }
    this.c = c;
    this.s = s;
  }
}

/** Scratch buffers for scans of segments up to `n` long. */
class Scanner {
  private readonly tree: Fenwick;
  private readonly prefix: Float64Array;
  private readonly suffix: Float64Array;
  constructor(n: number) {
    this.tree = new Fenwick(n);
    this.prefix = new Float64Array(n + 1);
    this.suffix = new Float64Array(n + 1);
  }

  /**
   * The best split of `x` (values) whose ranks (0..n-1, a permutation) are `rank`.
   * Returns τ and Q(τ); τ = -1 when the segment is too short to split.
   */
  best(x: ArrayLike<number>, rank: ArrayLike<number>, minSegment: number): { tau: number; q: number } {
    const n = x.length;
    if (n < 2 * minSegment) return { tau: -1, q: 0 };
    const t = this.tree;
    // Within-side sums of |xi − xj| for every prefix x[0, τ) …
    t.reset();
    let count = 0;
    let total = 0;
    this.prefix[0] = 0;
    for (let i = 0; i < n; i++) {
      const v = x[i] as number;
      const r = rank[i] as number;
      t.below(r);
      const add = v * t.c - t.s + (total - t.s) - v * (count - t.c);
      this.prefix[i + 1] = (this.prefix[i] as number) + add;
      t.add(r, v);
      count++;
      total += v;
    }
    // … and every suffix x[τ, n).
    t.reset();
    count = 0;
    total = 0;
    this.suffix[n] = 0;
    for (let i = n - 1; i >= 0; i--) {
      const v = x[i] as number;
      const r = rank[i] as number;
      t.below(r);
      const add = v * t.c - t.s + (total - t.s) - v * (count - t.c);
      this.suffix[i] = (this.suffix[i + 1] as number) + add;
      t.add(r, v);
      count++;
      total += v;
    }
    const all = this.prefix[n] as number;
    let bestTau = -1;
    let bestQ = Number.NEGATIVE_INFINITY;
    for (let tau = minSegment; tau <= n - minSegment; tau++) {
      const m = tau;
      const k = n - tau;
      const wa = this.prefix[tau] as number;
      const wb = this.suffix[tau] as number;
      const cross = all - wa - wb;
      const e = (2 * cross) / (m * k) - wa / ((m * (m - 1)) / 2) - wb / ((k * (k - 1)) / 2);
      const q = ((m * k) / (m + k)) * e;
      if (q > bestQ) {
        bestQ = q;
        bestTau = tau;
      }
    }
    return { tau: bestTau, q: bestQ };
  }
}

/** Ranks 0..n-1 of `x` (ties in index order). */
function ranksOf(x: ArrayLike<number>): Int32Array {
  const idx = Array.from({ length: x.length }, (_, i) => i).sort((a, b) => (x[a] as number) - (x[b] as number) || a - b);
  const rank = new Int32Array(x.length);
  idx.forEach((i, r) => {
    rank[i] = r;
  });
  return rank;
}

interface Segment {
  start: number;
  end: number;
  tau: number;
  q: number;
}

/** Change points of `values` (finite numbers, in time order), sorted by index. */
export function eDivisive(values: readonly number[], opts: EDivisiveOptions = {}): RawChangePoint[] {
  const permutations = opts.permutations ?? HISTORY_NOISE.permutations;
  const alpha = opts.alpha ?? HISTORY_NOISE.alpha;
  const minSegment = Math.max(2, opts.minSegment ?? HISTORY_NOISE.minSegment);
  const rng = mulberry32(opts.seed ?? HISTORY_NOISE.seed);
  const n = values.length;
  if (n < 2 * minSegment) return [];
  const scanner = new Scanner(n);
  const scan = (start: number, end: number): Segment => {
    const x = values.slice(start, end);
    const { tau, q } = scanner.best(x, ranksOf(x), minSegment);
    return { start, end, tau: tau < 0 ? -1 : start + tau, q };
  };
  // Exceedances allowed before the test can no longer reach α: p = (1 + hits) / (R + 1) ≤ α.
  const maxHits = Math.floor(alpha * (permutations + 1)) - 1;
  const test = (seg: Segment): number => {
    const x = Float64Array.from(values.slice(seg.start, seg.end));
    // Shuffling values and their ranks together keeps the ranks right without sorting again.
    const rank = ranksOf(x);
    const len = x.length;
    let hits = 0;
    for (let r = 0; r < permutations; r++) {
      for (let i = len - 1; i > 0; i--) {
        const j = Math.floor(rng() * (i + 1));
        const tx = x[i] as number;
        x[i] = x[j] as number;
        x[j] = tx;
        const tr = rank[i] as number;
        rank[i] = rank[j] as number;
        rank[j] = tr;
      }
      if (scanner.best(x, rank, minSegment).q >= seg.q) {
        hits++;
        if (hits > maxHits) return 1;
      }
    }
    return (1 + hits) / (permutations + 1);
  };

  const found: RawChangePoint[] = [];
  let segments: Segment[] = [scan(0, n)];
  for (;;) {
    let pick: Segment | null = null;
    for (const s of segments) if (s.tau >= 0 && (pick === null || s.q > pick.q)) pick = s;
    if (pick === null || !(pick.q > 0)) break;
    if (
      opts.worthTesting &&
      !opts.worthTesting(Float64Array.from(values.slice(pick.start, pick.tau)), Float64Array.from(values.slice(pick.tau, pick.end)))
    ) {
      pick.tau = -1;
      continue;
    }
    const p = test(pick);
    if (p > alpha) break;
    found.push({ index: pick.tau, statistic: pick.q, pValue: p });
    const chosen = pick;
    segments = segments.flatMap((s) => (s === chosen ? [scan(s.start, chosen.tau), scan(chosen.tau, s.end)] : [s]));
  }
  return found.sort((a, b) => a.index - b.index);
}
