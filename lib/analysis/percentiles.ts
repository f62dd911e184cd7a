/**
 * Distributions: k6's exact percentile definition, and the HDR histograms used for bounded
 * memory, for the `histogram` field of every stats cell, and for merging.
 */
import * as hdr from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';
import type { Dist } from './schema.ts';

/** Significant decimal digits the HDR histograms keep: values are exact to 1 part in 10^3. */
export const HDR_SIGNIFICANT_DIGITS = 3;
/** The stated relative error of an HDR percentile (value resolution, 10^-digits). */
export const HDR_RELATIVE_ERROR = 10 ** -HDR_SIGNIFICANT_DIGITS;
/** Histogram values are integer microseconds (durations are milliseconds with µs resolution). */
export const HDR_UNIT_PER_MS = 1000;

export const PERCENTILES = [
  ['p50', 0.5],
  ['p90', 0.9],
  ['p95', 0.95],
  ['p99', 0.99],
] as const;
export type PercentileKey = (typeof PERCENTILES)[number][0];

/**
 * k6's percentile (lib/metrics TrendSink.P): sort, then linear interpolation at index p·(n−1).
 * `sorted` must be ascending; only its first `n` entries are read.
 */
export function k6Percentile(sorted: Float64Array, n: number, p: number): number {
  if (n === 0) return 0;
  if (n === 1) return sorted[0] as number;
  const i = p * (n - 1);
  const lo = Math.floor(i);
  const j = sorted[lo] as number;
  const k = sorted[Math.ceil(i)] as number;
  return j + (k - j) * (i - lo);
}

/**
 * The highest rank (0-based, in ascending order of n values) a percentile is read from: k6's
 * interpolation reads ranks ⌊p·(n−1)⌋ and ⌈p·(n−1)⌉; an HDR histogram the nearest rank
 * ⌈p·n⌉ (1-based, as hdr-histogram-js rounds it). For censoring: a percentile that reaches
 * a rank whose true value is unknown is unknown itself.
 */
export function topRank(mode: 'exact' | 'hdr', p: number, n: number): number {
  if (n <= 1) return 0;
  if (mode === 'exact') return Math.ceil(p * (n - 1));
  const fp = ((p * 100) / 100) * n;
  return Math.max(Math.ceil(fp - fp * Number.EPSILON), 1) - 1;
}

export const EMPTY_DIST: Dist = Object.freeze({ count: 0, min: null, mean: null, p50: null, p90: null, p95: null, p99: null, max: null });

/** The exact distribution of `values` (sorted in place). `sum` is passed in: the exact, order-independent sum (values.ts NsSum). */
export function exactDist(values: Float64Array, sum: number): Dist {
  const n = values.length;
  if (n === 0) return { ...EMPTY_DIST };
  values.sort();
  return {
    count: n,
    min: values[0] as number,
    mean: sum / n,
    p50: k6Percentile(values, n, 0.5),
    p90: k6Percentile(values, n, 0.9),
    p95: k6Percentile(values, n, 0.95),
    p99: k6Percentile(values, n, 0.99),
    max: values[n - 1] as number,
  };
}

/**
 * An HDR histogram for latencies. 32-bit counts (a cell holds < 2^31 samples of one bucket);
 * auto-resizing, starting at a one-minute range so small cells stay small.
 */
export function newHistogram(): Histogram {
  return hdr.build({
    bitBucketSize: 32,
    autoResize: true,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000 * HDR_UNIT_PER_MS,
    numberOfSignificantValueDigits: HDR_SIGNIFICANT_DIGITS,
    useWebAssembly: false,
  });
}

export function toHdrUnits(ms: number): number {
  return ms > 0 ? Math.round(ms * HDR_UNIT_PER_MS) : 0;
}

/** A distribution from an HDR histogram; min, max and mean are passed in exactly (tracked alongside). */
export function hdrDist(h: Histogram, exact: { count: number; min: number; max: number; sum: number }): Dist {
  if (exact.count === 0) return { ...EMPTY_DIST };
  // HDR reports a bucket's highest equivalent value; clamp into the exact [min, max].
  const at = (p: number) => Math.min(exact.max, Math.max(exact.min, h.getValueAtPercentile(p * 100) / HDR_UNIT_PER_MS));
  return {
    count: exact.count,
    min: exact.min,
    mean: exact.sum / exact.count,
    p50: at(0.5),
    p90: at(0.9),
    p95: at(0.95),
    p99: at(0.99),
    max: exact.max,
  };
}

export function encodeHistogram(h: Histogram): string | null {
  return h.totalCount === 0 ? null : hdr.encodeIntoCompressedBase64(h);
}

export function decodeHistogram(base64: string): Histogram {
  return hdr.decodeFromCompressedBase64(base64, 32, false);
}
