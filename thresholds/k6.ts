/**
 * Threshold sets → what consumers need: the effective targets of one endpoint
 * (`resolveTarget`, for verdicts, reports and Grafana lines) and k6's `options.thresholds`
 * (`toK6Thresholds`). Pure; no imports but types, so the k6 scripts may bundle it.
 */
import { K6_TIMEOUT_ERROR_CODES } from '../lib/shared/defaults.ts';
import type { EndpointTargets, ThresholdSet } from '../lib/contract/thresholds.ts';

export interface EndpointRef {
  readonly name: string;
  readonly group: string | null;
  readonly probe: boolean;
}

/** The targets that apply to one endpoint; null = no target of that kind. */
export interface ResolvedTargets {
  /** P95 of http_req_duration must be below (ms). */
  p95Ms: number | null;
  /** Share of non-ok requests must be below (0..1). */
  errorRate: number | null;
  /** Share of timed-out requests must be at most (0..1); 0 = no timeouts. */
  maxTimeoutRate: number | null;
}

const KEYS = ['p95Ms', 'errorRate', 'maxTimeoutRate'] as const;

function apply(into: ResolvedTargets, layer: EndpointTargets | undefined): void {
  if (!layer) return;
  for (const key of KEYS) {
    const value = layer[key];
    // Missing inherits; null removes the target.
    if (value !== undefined) into[key] = value;
  }
}

function own<T>(record: Readonly<Record<string, T>> | undefined, key: string | null): T | undefined {
  if (!record || key === null) return undefined;
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/**
 * Effective targets for one endpoint. Precedence, most specific last:
 * defaults < groups[endpoint.group] < probes (when endpoint.probe) < endpoints[endpoint.name].
 */
export function resolveTarget(set: ThresholdSet, endpoint: EndpointRef): ResolvedTargets {
  const out: ResolvedTargets = { p95Ms: null, errorRate: null, maxTimeoutRate: null };
  apply(out, set.defaults);
  apply(out, own(set.groups, endpoint.group));
  if (endpoint.probe) apply(out, set.probes);
  apply(out, own(set.endpoints, endpoint.name));
  return out;
}

/** The run-wide throughput target (successful requests per second in the steady window), or null. */
export function throughputTarget(set: ThresholdSet): number | null {
  return set.defaults.minRps ?? null;
}

export type K6Threshold = string | { threshold: string; abortOnFail: boolean; delayAbortEval?: string };

export interface K6ThresholdOptions {
  /** Abort the test on the first breach (the breakpoint profile). */
  abortOnFail: boolean;
  /** With abortOnFail: how long k6 waits before it may abort, so the first noisy seconds don't. Default "10s". */
  delayAbortEval?: string;
  /**
   * Name of a k6 Rate metric the scripts add to for every request (true = timed out), tagged
   * like the requests: only it can express a timeout share above 0 (k6 has no built-in timeout
   * metric; http_req_failed counts every kind of failure). Without it such a target is no k6
   * threshold (the harness's verdict still judges it). A target of 0 needs no such metric: it
   * becomes counts on k6's own request counter (see timeoutCountKeys).
   */
  timeoutRateMetric?: string;
}

/**
 * The k6 sub-metrics counting an endpoint's timed-out requests from what k6 records anyway: its
 * request counter, by the `error_code` system tag, one per timeout code (the request's, the
 * connection's). "No timeouts" (a target of 0) is `count<1` on each, with no extra sample per request.
 */
export function timeoutCountKeys(endpoint: string): string[] {
  return K6_TIMEOUT_ERROR_CODES.map((c) => `http_reqs{name:${endpoint},error_code:${c}}`);
}

/** `0.1 + 0.2`-style float noise would leak into the expression; targets are data, so print them short. */
function num(n: number): string {
  return String(Number(n.toPrecision(12)));
}

/**
 * A threshold set → k6 `options.thresholds`, one sub-metric per endpoint (`name` tag):
 *
 *   'http_req_duration{name:auth.login}': ['p(95)<500']
 *   'http_req_failed{name:auth.login}':   ['rate<0.05']
 *
 * Deliberately NOT emitted: a throughput threshold on `http_reqs` (`rate>100`). k6's `rate`
 * on a counter divides by the whole test duration, ramps and graceful stop included, so it
 * under-reports a steady 100 RPS and would fail a system that met the target. The harness
 * judges throughput itself, in the steady window (lib/verdict/compute.ts).
 *
 * These thresholds make k6 itself fail (exit 99) and, with abortOnFail, stop a breakpoint
 * run; the harness's verdict stays the authority for CI (it also knows about censored
 * percentiles and about a generator that could not offer the load).
 */
export function toK6Thresholds(
  set: ThresholdSet,
  endpoints: readonly EndpointRef[],
  opts: K6ThresholdOptions,
): Record<string, K6Threshold[]> {
  const out: Record<string, K6Threshold[]> = {};
  const expr = (e: string): K6Threshold =>
    opts.abortOnFail ? { threshold: e, abortOnFail: true, delayAbortEval: opts.delayAbortEval ?? '10s' } : e;
  for (const endpoint of endpoints) {
    const t = resolveTarget(set, endpoint);
    const tag = `{name:${endpoint.name}}`;
    if (t.p95Ms !== null) out[`http_req_duration${tag}`] = [expr(`p(95)<${num(t.p95Ms)}`)];
    if (t.errorRate !== null) out[`http_req_failed${tag}`] = [expr(`rate<${num(t.errorRate)}`)];
    if (t.maxTimeoutRate === 0) for (const key of timeoutCountKeys(endpoint.name)) out[key] = [expr('count<1')];
    else if (t.maxTimeoutRate !== null && opts.timeoutRateMetric) {
      out[`${opts.timeoutRateMetric}${tag}`] = [expr(`rate<=${num(t.maxTimeoutRate)}`)];
    }
  }
  return out;
}
