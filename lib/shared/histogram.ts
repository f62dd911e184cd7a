/**
 * Reading the analysis's HDR histograms (hdr-histogram-js compressed base64, microseconds)
 * into a compact cumulative form the charts and the statistics share.
 */
import * as hdr from 'hdr-histogram-js';
import type { JsHistogram } from 'hdr-histogram-js';

/** A recorded distribution: distinct values (ms, ascending) and the cumulative count up to each. */
export interface Cdf {
  readonly values: Float64Array;
  readonly cum: Float64Array;
  readonly total: number;
}

const cache = new Map<string, Cdf>();

/** Decodes a histogram; null when the analysis has none. Memoised: reports read each one several times. */
export function decodeCdf(base64: string | null): Cdf | null {
  if (base64 === null || base64 === '') return null;
  const hit = cache.get(base64);
  if (hit) return hit;
  // useWebAssembly=false: the pure-JS histogram exposes its recorded-values iterator.
  const h = hdr.decodeFromCompressedBase64(base64, 64, false) as unknown as JsHistogram;
  const values: number[] = [];
  const cum: number[] = [];
  let running = 0;
  // Walk the counts array directly up to the max value's bucket: the library's iterator
  // allocates per step and is ~20× slower on wide (µs up to an hour) histograms.
  const last = h.totalCount > 0 ? h.countsArrayIndex(h.maxValue) : -1;
  for (let i = 0; i <= last; i++) {
    const c = h.getCountAtIndex(i);
    if (c === 0) continue;
    running += c;
    // HDR reports a bucket by its highest equivalent value, as getValueAtPercentile does.
    values.push(h.highestEquivalentValue(h.valueFromIndex(i)) / 1000);
    cum.push(running);
  }
  h.destroy();
  const cdf: Cdf = { values: Float64Array.from(values), cum: Float64Array.from(cum), total: running };
  if (cache.size > 256) cache.clear();
  cache.set(base64, cdf);
  return cdf;
}

/** The value at cumulative fraction u (0..1], nearest-rank: the smallest value whose cumulative count reaches u·total. */
export function quantile(cdf: Cdf, u: number): number {
  const target = Math.max(1, Math.ceil(u * cdf.total));
  let lo = 0;
  let hi = cdf.cum.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((cdf.cum[mid] ?? 0) >= target) hi = mid;
    else lo = mid + 1;
  }
  return cdf.values[lo] ?? Number.NaN;
}

export interface Bucket {
  /** Bucket bounds in ms: (lo, hi]. */
  lo: number;
  hi: number;
  count: number;
}

/** Log-spaced buckets between lo and hi (ms); values outside are clamped into the end buckets. */
export function logBuckets(cdf: Cdf, lo: number, hi: number, n: number): Bucket[] {
  const a = Math.log10(Math.max(lo, 1e-3));
  const b = Math.log10(Math.max(hi, lo * 1.0001, 1e-3 * 1.0001));
  const step = (b - a) / n;
  const out: Bucket[] = [];
  for (let i = 0; i < n; i++) out.push({ lo: 10 ** (a + i * step), hi: 10 ** (a + (i + 1) * step), count: 0 });
  let prev = 0;
  for (let i = 0; i < cdf.values.length; i++) {
    const v = cdf.values[i] ?? 0;
    const c = (cdf.cum[i] ?? 0) - prev;
    prev = cdf.cum[i] ?? prev;
    const idx = Math.min(n - 1, Math.max(0, Math.floor((Math.log10(Math.max(v, 1e-3)) - a) / step)));
    const bucket = out[idx];
    if (bucket) bucket.count += c;
  }
  return out;
}
