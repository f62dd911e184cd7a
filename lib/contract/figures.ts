/**
 * One set of load figures, defined once and shown the same everywhere (verdict, terminal,
 * summary.md, run report, comparison): offered, achieved and successful requests per second,
 * all over the same window. Pure: an analysis in, figures out. docs/verdicts.md, "One set of
 * figures", is its specification.
 *
 *   - offered RPS: the rate the load profile asked for (the plan's stages), requests per second;
 *   - achieved RPS: requests k6 sent and saw end (any outcome, timeouts included) per second;
 *   - successful RPS: requests with an `ok` outcome per second (goodput);
 *
 * over the window: the steady stages (constant offered rate, the highest such rate), each over
 * its planned duration; without a steady stage, every planned stage; without a plan, the run's
 * observed duration. The readiness checks beside the load are in none of them.
 */
import type { Analysis, Endpoint, Stage, Stats } from './analysis.ts';

const EPS = 1e-9;

function isConstant(s: Stage): boolean {
  return Math.abs(s.offeredRps.from - s.offeredRps.to) <= EPS * Math.max(1, s.offeredRps.to);
}

/** The steady window: the constant-rate stage(s) at the highest such rate. */
export function steadyStages(stages: readonly Stage[]): Stage[] {
  const constant = stages.filter((s) => isConstant(s) && s.offeredRps.to > 0 && s.endS > s.startS);
  if (constant.length === 0) return [];
  const top = Math.max(...constant.map((s) => s.offeredRps.to));
  return constant.filter((s) => Math.abs(s.offeredRps.to - top) <= EPS * Math.max(1, top));
}

export interface LoadFigures {
  /** `steady`: the steady stages; `planned`: every planned stage (no steady one); `observed`: the run's span (no plan). */
  window: 'steady' | 'planned' | 'observed';
  /** The stages of the window (empty for `observed`). */
  stages: string[];
  seconds: number;
  offeredRps: number | null;
  achievedRps: number | null;
  successfulRps: number | null;
  requests: number;
  ok: number;
}

/** ok requests of every endpoint in a stage (its `byStage` cells). */
export function okInStage(endpoints: readonly Pick<Endpoint, 'byStage'>[], stage: string): number {
  let ok = 0;
  for (const e of endpoints) ok += e.byStage[stage]?.outcomes.ok ?? 0;
  return ok;
}

/** The run's offered, achieved and successful RPS over one window (see the module comment). */
export function loadFigures(analysis: Pick<Analysis, 'stages' | 'endpoints' | 'totals' | 'run'>): LoadFigures {
  const planned = analysis.stages.filter((s) => s.offeredRps.from > 0 || s.offeredRps.to > 0);
  const steady = steadyStages(analysis.stages);
  const window = steady.length ? steady : planned.filter((s) => s.endS > s.startS);
  if (window.length === 0) {
    const seconds = analysis.run.durationS ?? 0;
    const all = analysis.totals.all;
    return {
      window: 'observed',
      stages: [],
      seconds,
      offeredRps: null,
      achievedRps: seconds > 0 ? all.requests / seconds : null,
      successfulRps: seconds > 0 ? all.outcomes.ok / seconds : null,
      requests: all.requests,
      ok: all.outcomes.ok,
    };
  }
  const seconds = window.reduce((n, s) => n + (s.endS - s.startS), 0);
  const requests = window.reduce((n, s) => n + s.requests, 0);
  const ok = window.reduce((n, s) => n + okInStage(analysis.endpoints, s.name), 0);
  const offered = window.reduce((n, s) => n + s.offeredRps.mean * (s.endS - s.startS), 0) / seconds;
  return {
    window: steady.length ? 'steady' : 'planned',
    stages: window.map((s) => s.name),
    seconds,
    offeredRps: offered,
    achievedRps: requests / seconds,
    successfulRps: ok / seconds,
    requests,
    ok,
  };
}

/** An endpoint's achieved RPS over the run's window (its requests in the window's stages ÷ the window). */
export function endpointRps(e: Pick<Endpoint, 'byStage' | 'total'>, f: LoadFigures): number | null {
  if (!(f.seconds > 0)) return null;
  if (f.window === 'observed') return e.total.requests / f.seconds;
  let n = 0;
  for (const s of f.stages) n += e.byStage[s]?.requests ?? 0;
  return n / f.seconds;
}

/** The requests of a stats cell restricted to the window: for the comparison's throughput test. */
export function windowCount(e: Pick<Endpoint, 'byStage' | 'total'>, f: LoadFigures): { requests: number; ok: number } {
  if (f.window === 'observed') return { requests: e.total.requests, ok: e.total.outcomes.ok };
  let requests = 0;
  let ok = 0;
  for (const s of f.stages) {
    const c: Stats | undefined = e.byStage[s];
    requests += c?.requests ?? 0;
    ok += c?.outcomes.ok ?? 0;
  }
  return { requests, ok };
}

/** The system served at least this share of the offered rate, or it is saturated. */
export const SATURATION_SHARE = 0.95;

/**
 * Saturated: the generator offered the load, but the system served less of it: successful RPS
 * below SATURATION_SHARE of the offered rate, by more than counting noise (two standard errors of
 * a Poisson count of the window's requests, 2/√n). Null when there is no offered rate.
 */
export function isSaturated(offeredRps: number | null, successfulRps: number | null, requests: number): boolean | null {
  if (offeredRps === null || successfulRps === null || !(offeredRps > 0)) return null;
  const noise = 2 / Math.sqrt(Math.max(1, requests));
  return successfulRps < offeredRps * (SATURATION_SHARE - noise);
}
