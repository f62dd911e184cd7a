/**
 * The latency percentiles loadgate reports, in order: key and quantile. The one list: the
 * analysis schema, the distributions, the report's tables and the comparison's metrics are
 * derived from it (STYLE.md rule 12).
 */
export const PERCENTILES = [
  ['p50', 0.5],
  ['p90', 0.9],
  ['p95', 0.95],
  ['p99', 0.99],
] as const;
export type PercentileKey = (typeof PERCENTILES)[number][0];

/** The keys, in order (a non-empty tuple, as z.enum wants). */
export const PERCENTILE_KEYS = PERCENTILES.map(([k]) => k) as unknown as readonly [PercentileKey, ...PercentileKey[]];

/** `{ p50: f(0.5, 'p50'), p90: …, p95: …, p99: … }`, in order. */
export function perPercentile<T>(f: (quantile: number, key: PercentileKey) => T): Record<PercentileKey, T> {
  return Object.fromEntries(PERCENTILES.map(([k, q]) => [k, f(q, k)])) as Record<PercentileKey, T>;
}

/** The quantile of a percentile key (`p95` → 0.95), or undefined for anything else. */
export function quantileOf(key: string): number | undefined {
  return PERCENTILES.find(([k]) => k === key)?.[1];
}
