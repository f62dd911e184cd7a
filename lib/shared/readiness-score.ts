/**
 * The production readiness score: how ready the run shows the system to be, per category and
 * overall. Pure; the rules are documented in docs/verdicts.md ("Production readiness").
 *
 *   - performance: the production gate's P95 and throughput rows, and the `compression` check;
 *   - errors: the production gate's error-rate rows;
 *   - timeouts: the production gate's timeout-rate rows;
 *   - monitoring: probes fast under load, monitoring endpoints answering, Prometheus valid;
 *   - security: security headers, CORS allowed for the configured origin and refused for another.
 *
 * Each item is met or not (inconclusive, switched-off and skipped items are left out: a check with
 * nothing to ask, such as probes on an API without one, is `off` with the plan's reason); a category's score
 * is the share of its judged items met, and the overall score the mean of the judged categories.
 *
 * Below the stages: the judge scores a run with it (verdict.json's `readiness`), and the run report
 * works the same score out for a verdict written before the field.
 */
import type { Analysis, ReadinessCheckStats } from '../contract/analysis.ts';
import type { PlanReadiness } from '../contract/plan.ts';
import { READINESS_CATEGORIES, type ReadinessCategory } from '../contract/readiness.ts';
import { READINESS_CHECK_IDS, readinessCheck, type ReadinessCheckId } from './readiness.ts';
import type { ReadinessCheckResult, ReadinessScore, VerdictRow } from '../contract/verdict.ts';

const ROW_CATEGORY: Record<VerdictRow['target'], ReadinessCategory> = {
  p95: 'performance',
  throughput: 'performance',
  errorRate: 'errors',
  timeoutRate: 'timeouts',
};

/** Whether the plan switched a check on; undefined without a plan (then: it ran when it has samples). */
function configured(id: ReadinessCheckId, r: PlanReadiness | null | undefined): boolean | undefined {
  if (r === undefined) return undefined;
  if (r === null) return false;
  switch (id) {
    case 'security.content-type-options':
    case 'security.frame-options':
    case 'security.referrer-policy':
      return r.securityHeaders !== null;
    case 'security.hsts':
      return r.securityHeaders?.hsts === true;
    case 'cors.allowed':
    case 'cors.refused':
      return r.cors !== null;
    case 'compression':
      return r.compression !== null;
    case 'probes.latency':
      return r.probes !== null;
    case 'monitoring.answering':
      return r.monitoring !== null;
    case 'monitoring.prometheus':
      return (r.monitoring?.prometheus.length ?? 0) > 0;
  }
}

const pct = (x: number) => `${Math.round(x * 1000) / 10} %`;

/** Where a failing check failed: the endpoints (and, for the probes, the stages) with failures, worst first. */
function failingWhere(c: ReadinessCheckStats): string {
  const worst = (m: Record<string, { passes: number; fails: number }>) =>
    Object.entries(m)
      .filter(([, v]) => v.fails > 0)
      .sort((a, b) => b[1].fails / (b[1].passes + b[1].fails) - a[1].fails / (a[1].passes + a[1].fails) || a[0].localeCompare(b[0]))
      .map(([k, v]) => `${k}: ${v.passes} of ${v.passes + v.fails} passed`);
  const eps = worst(c.byEndpoint);
  // By stage only when the load made a difference: some stage passed where others failed.
  const anyClean = Object.values(c.byStage).some((v) => v.fails === 0 && v.passes > 0);
  const stages = anyClean ? worst(c.byStage) : [];
  const list = (xs: string[]) => xs.slice(0, 4).join(', ') + (xs.length > 4 ? `, +${xs.length - 4} more` : '');
  const parts = [eps.length ? `failing on ${list(eps)}` : null, stages.length > 0 ? `by stage, ${list(stages)}` : null];
  return parts.filter(Boolean).join('; ');
}

export function readinessChecks(analysis: Analysis, plan?: PlanReadiness | null): ReadinessCheckResult[] {
  const stats = new Map((analysis.readiness?.checks ?? []).map((c) => [c.id, c]));
  return READINESS_CHECK_IDS.map((id): ReadinessCheckResult => {
    const def = readinessCheck(id)!;
    const c = stats.get(id);
    const on = configured(id, plan);
    const samples = c ? c.passes + c.fails : 0;
    const base = { id, category: def.category, passes: c?.passes ?? 0, fails: c?.fails ?? 0, required: def.minShare };
    if (on === false || (on === undefined && samples === 0)) {
      // A check switched on with nothing to ask says why (`no probe endpoint configured (…)`).
      const why =
        plan?.skipped?.[id] ??
        (id === 'security.hsts' && plan?.securityHeaders
          ? 'not required: the target is not https'
          : analysis.readiness || plan
            ? 'switched off'
            : 'no readiness checks ran beside the load');
      return { ...base, status: 'off', share: null, reason: why };
    }
    if (samples === 0 || !c) {
      const none = id === 'compression' ? 'no answer large enough to need compression' : 'no answer to judge';
      return { ...base, status: 'inconclusive', share: null, reason: none };
    }
    const share = c.passes / samples;
    const pass = share >= def.minShare - 1e-12;
    return {
      ...base,
      status: pass ? 'pass' : 'fail',
      share,
      reason: pass ? null : failingWhere(c) || `${pct(share)} of ${samples} answers passed, needs ${pct(def.minShare)}`,
    };
  });
}

/**
 * The score from the readiness checks and the production gate's gating rows (null when the run
 * was not judged against production: performance, errors and timeouts are then not judged).
 */
export function scoreReadiness(
  analysis: Analysis,
  productionRows: readonly VerdictRow[] | null,
  plan?: PlanReadiness | null,
): ReadinessScore {
  const checks = readinessChecks(analysis, plan);
  const categories = READINESS_CATEGORIES.map((name) => {
    let met = 0;
    let judged = 0;
    const sources = new Set<string>();
    for (const r of productionRows ?? []) {
      if (!r.gating || ROW_CATEGORY[r.target] !== name) continue;
      sources.add('production gate');
      if (r.status === 'inconclusive') continue;
      judged++;
      if (r.status === 'pass') met++;
    }
    for (const c of checks) {
      if (c.category !== name || c.status === 'off') continue;
      sources.add('readiness checks');
      if (c.status === 'inconclusive') continue;
      judged++;
      if (c.status === 'pass') met++;
    }
    return { name, score: judged > 0 ? met / judged : null, met, judged, sources: [...sources] };
  });
  const judged = categories.filter((c) => c.score !== null);
  return {
    score: judged.length ? judged.reduce((n, c) => n + (c.score as number), 0) / judged.length : null,
    categories,
    checks,
    measured: analysis.readiness !== undefined && checks.some((c) => c.status !== 'off'),
  };
}
