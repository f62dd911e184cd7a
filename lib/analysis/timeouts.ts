/**
 * Timeout analysis of one endpoint from its time series: when timeouts began (onset) and
 * whether they follow the offered load. The rules are documented in docs/analysis-format.md.
 */

/** An onset needs this many intervals with timeouts … */
export const ONSET_MIN_HITS = 3;
/** … among this many consecutive intervals (with requests) starting at it. */
export const ONSET_WINDOW = 5;
/** Spearman's ρ between offered load and timeout rate at or above this: load-correlated. */
export const CORRELATION_MIN = 0.5;
/** High load: intervals offered at least this share of the run's peak offered load. */
export const HIGH_LOAD_SHARE = 0.75;
/** Concentrated: the timeout rate under high load is at least this multiple of the rate under the rest … */
export const RATE_RATIO_MIN = 2;
/** … with at least this many timeouts under high load. */
export const HIGH_LOAD_MIN_TIMEOUTS = 3;
/** Persistent: at least this share of the requests timed out … */
export const PERSISTENT_MIN_RATE = 0.5;
/** … in at least this share of the intervals with requests. */
export const PERSISTENT_MIN_INTERVALS = 0.9;

export interface IntervalPoint {
  /** Interval start, seconds from test start. */
  t: number;
  requests: number;
  timeouts: number;
  /** The plan's offered load (requests/s) at the interval's midpoint; null without a plan. */
  offeredRps: number | null;
}

/**
 * The interval where timeouts began: the first interval with a timeout from which they keep
 * recurring — at least ONSET_MIN_HITS of the ONSET_WINDOW intervals with requests starting
 * there have timeouts (when fewer intervals remain, at least half of those that remain). When
 * no interval qualifies (isolated timeouts), the first interval with a timeout. Null without
 * timeouts. Returns the index into `points`.
 */
export function onsetIndex(points: readonly IntervalPoint[]): number | null {
  const active: number[] = [];
  for (let i = 0; i < points.length; i++) if ((points[i] as IntervalPoint).requests > 0) active.push(i);
  let first: number | null = null;
  for (let a = 0; a < active.length; a++) {
    const i = active[a] as number;
    if ((points[i] as IntervalPoint).timeouts === 0) continue;
    if (first === null) first = i;
    const window = active.slice(a, a + ONSET_WINDOW);
    const hits = window.filter((j) => (points[j] as IntervalPoint).timeouts > 0).length;
    const need = window.length >= ONSET_WINDOW ? ONSET_MIN_HITS : Math.ceil(window.length / 2);
    if (hits >= need && window.length >= 2) return i;
  }
  return first;
}

/**
 * `load-correlated` when, over the intervals with requests, the timeout rate rises with the
 * offered load (Spearman's ρ ≥ CORRELATION_MIN), or when the timeout rate in high-load
 * intervals (offered ≥ HIGH_LOAD_SHARE of the peak) is at least RATE_RATIO_MIN times the rate
 * in the others, with at least HIGH_LOAD_MIN_TIMEOUTS timeouts there. Otherwise `persistent`
 * when at least PERSISTENT_MIN_RATE of the requests timed out, in at least
 * PERSISTENT_MIN_INTERVALS of the intervals with requests (an endpoint that times out on every
 * request at every load level is broken, not intermittent); else `intermittent` (also when the
 * offered load is flat or unknown). `none` without timeouts.
 */
export function timeoutPattern(points: readonly IntervalPoint[]): {
  pattern: 'load-correlated' | 'persistent' | 'intermittent' | 'none';
  rho: number | null;
  rateRatio: number | null;
} {
  const active = points.filter((p) => p.requests > 0);
  const timeouts = active.reduce((a, p) => a + p.timeouts, 0);
  if (timeouts === 0) return { pattern: 'none', rho: null, rateRatio: null };
  const requests = active.reduce((a, p) => a + p.requests, 0);
  const persistent =
    timeouts >= PERSISTENT_MIN_RATE * requests && active.filter((p) => p.timeouts > 0).length >= PERSISTENT_MIN_INTERVALS * active.length;
  const otherwise = persistent ? 'persistent' : 'intermittent';
  const withLoad = active.filter((p): p is IntervalPoint & { offeredRps: number } => p.offeredRps !== null);
  if (withLoad.length < 3) return { pattern: otherwise, rho: null, rateRatio: null };
  const rho = spearman(
    withLoad.map((p) => p.offeredRps),
    withLoad.map((p) => p.timeouts / p.requests),
  );
  const peak = Math.max(...withLoad.map((p) => p.offeredRps));
  const sum = (ps: readonly IntervalPoint[], k: 'requests' | 'timeouts') => ps.reduce((a, p) => a + p[k], 0);
  const high = withLoad.filter((p) => p.offeredRps >= HIGH_LOAD_SHARE * peak);
  const rest = withLoad.filter((p) => p.offeredRps < HIGH_LOAD_SHARE * peak);
  let rateRatio: number | null = null;
  if (high.length > 0 && rest.length > 0 && sum(high, 'requests') > 0 && sum(rest, 'requests') > 0) {
    const hi = sum(high, 'timeouts') / sum(high, 'requests');
    const lo = sum(rest, 'timeouts') / sum(rest, 'requests');
    rateRatio = lo > 0 ? hi / lo : hi > 0 ? Infinity : 0;
  }
  const concentrated = rateRatio !== null && rateRatio >= RATE_RATIO_MIN && sum(high, 'timeouts') >= HIGH_LOAD_MIN_TIMEOUTS;
  const correlated = rho !== null && rho >= CORRELATION_MIN;
  return { pattern: correlated || concentrated ? 'load-correlated' : otherwise, rho, rateRatio };
}

/** Spearman's rank correlation (average ranks for ties); null when either side is constant. */
export function spearman(x: readonly number[], y: readonly number[]): number | null {
  const n = Math.min(x.length, y.length);
  if (n < 2) return null;
  const rx = ranks(x.slice(0, n));
  const ry = ranks(y.slice(0, n));
  const mean = (n + 1) / 2;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = (rx[i] as number) - mean;
    const dy = (ry[i] as number) - mean;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return null;
  return sxy / Math.sqrt(sxx * syy);
}

function ranks(v: readonly number[]): number[] {
  const order = v.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  const r = new Array<number>(v.length).fill(0);
  let i = 0;
  while (i < order.length) {
    let j = i;
    while (j + 1 < order.length && (order[j + 1] as readonly [number, number])[0] === (order[i] as readonly [number, number])[0]) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) r[(order[k] as readonly [number, number])[1]] = avg;
    i = j + 1;
  }
  return r;
}

/** The plan's offered load at `s` seconds: linear within the stage that holds it; null outside the plan. */
export function offeredAt(stages: readonly { startS: number; endS: number; fromRps: number; toRps: number }[], s: number): number | null {
  for (const st of stages) {
    if (s >= st.startS && s < st.endS) {
      const span = st.endS - st.startS;
      return span > 0 ? st.fromRps + ((st.toRps - st.fromRps) * (s - st.startS)) / span : st.toRps;
    }
  }
  return null;
}

/** The name of the planned stage holding `s`; null outside the plan. */
export function stageAt(stages: readonly { name: string; startS: number; endS: number }[], s: number): string | null {
  for (const st of stages) if (s >= st.startS && s < st.endS) return st.name;
  return null;
}
