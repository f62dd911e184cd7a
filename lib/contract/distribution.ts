/**
 * Distributions: k6's exact percentile definition, and the HDR histograms used for bounded
 * memory, for the `histogram` field of every stats cell, and for merging. In the contract: the
 * analysis file's percentiles and histograms are defined and encoded by it, and the analysis and
 * InfluxDB's live points both compute with it (Node-side: lib/shared is type-checked for k6 too).
 */
// The JavaScript histograms and their encoding, not the package's index nor its builder: those
// also load its WebAssembly build (unused here, useWebAssembly is off) and its log writer, whose
// number formatter (Intl) is made at load; together ~40 ms at every start of `loadgate analyze`.
import { constructorFromBucketSize } from 'hdr-histogram-js/dist/JsHistogramFactory.js';
// Also adds encodeIntoCompressedBase64 to every JsHistogram and JsHistogram.decode.
import { decompress, doDecode } from 'hdr-histogram-js/dist/JsHistogram.encoding.js';
import type { Histogram, JsHistogram } from 'hdr-histogram-js';
import type { Dist } from './analysis.ts';
import { PERCENTILES, perPercentile } from './percentiles.ts';

/** Significant decimal digits the HDR histograms keep: values are exact to 1 part in 10^3. */
export const HDR_SIGNIFICANT_DIGITS = 3;
/**
 * The stated relative error of an HDR percentile against k6's: 10^-digits. It holds for
 * values of HDR_ABSOLUTE_ERROR_MS / HDR_RELATIVE_ERROR (0.5 ms) and more; below, the error is
 * at most HDR_ABSOLUTE_ERROR_MS (values are recorded in whole microseconds). See hdrDist.
 */
export const HDR_RELATIVE_ERROR = 10 ** -HDR_SIGNIFICANT_DIGITS;
/** Histogram values are integer microseconds (durations are milliseconds with µs resolution). */
export const HDR_UNIT_PER_MS = 1000;
/** Rounding a value to whole microseconds moves it by at most this (ms). */
export const HDR_ABSOLUTE_ERROR_MS = 0.5 / HDR_UNIT_PER_MS;

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
 * interpolation reads ranks ⌊p·(n−1)⌋ and ⌈p·(n−1)⌉, in exact and HDR mode alike. For
 * censoring: a percentile that reaches a rank whose true value is unknown is unknown itself.
 */
export function topRank(p: number, n: number): number {
  return n <= 1 ? 0 : Math.ceil(p * (n - 1));
}

export const EMPTY_DIST: Dist = Object.freeze({ count: 0, min: null, mean: null, ...perPercentile(() => null), max: null });

/** The exact distribution of `values` (sorted in place). `sum` is passed in: the exact, order-independent sum (values.ts NsSum). */
export function exactDist(values: Float64Array, sum: number): Dist {
  return sortedDist(values.sort(), sum);
}

/** The same from values already in ascending order (as Float64Array's sort leaves them); reads them only. */
export function sortedDist(values: Float64Array, sum: number): Dist {
  const n = values.length;
  if (n === 0) return { ...EMPTY_DIST };
  return {
    count: n,
    min: values[0] as number,
    mean: sum / n,
    ...perPercentile((q) => k6Percentile(values, n, q)),
    max: values[n - 1] as number,
  };
}

/**
 * An HDR histogram for latencies. 32-bit counts (a cell holds < 2^31 samples of one bucket);
 * auto-resizing, starting at a one-minute range so small cells stay small.
 */
export function newHistogram(): Histogram {
  // What hdr-histogram-js's build({ bitBucketSize: 32, autoResize: true, useWebAssembly: false, … }) makes.
  const h = new (constructorFromBucketSize(32))(1, 60_000 * HDR_UNIT_PER_MS, HDR_SIGNIFICANT_DIGITS);
  h.autoResize = true;
  return h;
}

export function toHdrUnits(ms: number): number {
  return ms > 0 ? Math.round(ms * HDR_UNIT_PER_MS) : 0;
}

/**
 * A distribution from an HDR histogram; min, max and mean are passed in exactly (tracked
 * alongside). Percentiles follow k6's definition on the histogram: the values at ranks
 * ⌊p·(n−1)⌋ and ⌈p·(n−1)⌉, linearly interpolated. Each rank's value is the middle of its
 * bucket (clamped into the exact [min, max]), within half a bucket of the recorded value: a
 * bucket is at most 1/1024 of its values wide, exact below 2,048 µs. With the rounding to
 * whole microseconds (±0.5 µs), every percentile is within HDR_RELATIVE_ERROR of k6's from
 * 0.5 ms up, within HDR_ABSOLUTE_ERROR_MS below; an interpolation between two such values
 * keeps the bound. (The nearest rank, as HDR reads it, can be a whole rank away from k6's
 * figure: in a cell of 20 values, p95 would read the 19th where k6 is 45 % of the way to the 20th.)
 */
export function hdrDist(h: Histogram, exact: { count: number; min: number; max: number; sum: number }): Dist {
  const n = exact.count;
  if (n === 0) return { ...EMPTY_DIST };
  const ranks: number[] = [];
  for (const [, p] of PERCENTILES) ranks.push(Math.floor(p * (n - 1)), Math.ceil(p * (n - 1)));
  const values = valuesAtRanks(h as unknown as JsHistogram, ranks);
  const at = (r: number) => Math.min(exact.max, Math.max(exact.min, values.get(r) as number));
  const pct = (p: number) => {
    const i = p * (n - 1);
    const lo = Math.floor(i);
    const j = at(lo);
    return j + (at(Math.ceil(i)) - j) * (i - lo);
  };
  return {
    count: n,
    min: exact.min,
    mean: exact.sum / n,
    ...perPercentile(pct),
    max: exact.max,
  };
}

/** The value (ms) at each 0-based rank: the middle of the bucket holding it. One pass over the counts. */
function valuesAtRanks(h: JsHistogram, ranks: readonly number[]): Map<number, number> {
  const want = [...new Set(ranks)].sort((a, b) => a - b);
  const out = new Map<number, number>();
  let k = 0;
  let below = 0;
  for (let i = 0; i < h.countsArrayLength && k < want.length; i++) {
    below += h.getCountAtIndex(i);
    while (k < want.length && (want[k] as number) < below) {
      out.set(want[k] as number, h.medianEquivalentValue(h.valueFromIndex(i)) / HDR_UNIT_PER_MS);
      k++;
    }
  }
  // Ranks past the recorded count (not expected: the count is the histogram's): the maximum.
  for (; k < want.length; k++) out.set(want[k] as number, Number.POSITIVE_INFINITY);
  return out;
}

export function encodeHistogram(h: Histogram): string | null {
  return h.totalCount === 0 ? null : (h as JsHistogram).encodeIntoCompressedBase64();
}

export function decodeHistogram(base64: string): Histogram {
  // hdr-histogram-js's decodeFromCompressedBase64(base64, 32, false), without its WebAssembly module.
  return doDecode(decompress(new Uint8Array(Buffer.from(base64.trim(), 'base64'))), 32, 0);
}
