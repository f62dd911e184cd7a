/**
 * The readiness scenario: a light second k6 scenario beside the load (plan.readiness, a
 * constant arrival rate of about one iteration a second). Each iteration asks, in turn, one
 * probe, one monitoring endpoint, one API endpoint for its security headers and one CORS
 * preflight, never with credentials, and judges each answer by the rules of
 * lib/shared/readiness.ts. Every judgement is one sample of the Rate metric READINESS_METRIC,
 * tagged `check` and `endpoint` (and the load stage). The requests are named
 * READINESS_REQUEST_NAME, so no endpoint figure or k6 threshold counts them, and the analysis
 * keeps every sample of this scenario apart from the load. k6 side: no Node APIs.
 */
import http, { type RefinedResponse } from 'k6/http';
import exec from 'k6/execution';
import { Rate } from 'k6/metrics';
import type { Plan, PlanReadiness } from '../../lib/contract/plan.ts';
import { compileBodyCheck, type BodyPredicate } from '../../lib/shared/body-check.ts';
import { checkExposition } from '../../lib/shared/prometheus.ts';
import {
  ACCEPT_ENCODING,
  READINESS_METRIC,
  READINESS_REQUEST_NAME,
  compressionResult,
  corsAllowedResult,
  corsRefusedResult,
  securityHeaderResults,
  type ReadinessAnswer,
  type ReadinessCheckId,
} from '../../lib/shared/readiness.ts';
import { statusMatches } from '../../lib/shared/status.ts';
import { tagStage } from './runtime.ts';

/**
 * The checks' Rate metric. k6 takes new metrics in the init context only, so entry() makes it
 * there, and only when the plan has readiness checks: a metric object costs every VU memory.
 */
let results: Rate | null = null;

export function declareReadinessMetric(): void {
  results ??= new Rate(READINESS_METRIC);
}

interface Target {
  name: string;
  method: string;
  url: string;
  expect: PlanReadiness['targets'][number]['expectStatus'];
  body: BodyPredicate;
}

function answer(res: RefinedResponse<'text'>): ReadinessAnswer {
  const body = res.body;
  return { status: res.status, headers: res.headers, bodyLength: typeof body === 'string' ? body.length : 0 };
}

/** The readiness checks of a VU: what `new Readiness(plan, r)` gave before, one per VU that runs them. */
export interface ReadinessChecks {
  iteration(): void;
}

/**
 * Makes the readiness checks. The class is made here, on a VU's first readiness iteration, not
 * at the module's top level: k6 makes every top-level function and method of a script in every
 * VU, and most VUs only run the load.
 */
export function createReadiness(plan: Plan, r: PlanReadiness): ReadinessChecks {
  class Readiness {
    private readonly targets = new Map<string, Target>();
    private readonly params: { timeout: string; responseType: 'text'; responseCallback: ReturnType<typeof http.expectedStatuses> };

    constructor(
      private readonly plan: Plan,
      private readonly r: PlanReadiness,
    ) {
      for (const t of r.targets) {
        this.targets.set(t.name, {
          name: t.name,
          method: t.method,
          url: plan.baseUrl + t.url,
          expect: t.expectStatus,
          body: compileBodyCheck(t.expectBody),
        });
      }
      // Every answer is data for a check, never a failed request in k6's own http_req_failed.
      this.params = { timeout: `${r.timeoutMs}ms`, responseType: 'text', responseCallback: http.expectedStatuses({ min: 100, max: 599 }) };
    }

    private record(id: ReadinessCheckId, endpoint: string, ok: boolean | null): void {
      if (ok !== null) results?.add(ok, { check: id, endpoint });
    }

    private get(t: Target): RefinedResponse<'text'> {
      return http.request(t.method, t.url, null, {
        ...this.params,
        headers: { 'Accept-Encoding': ACCEPT_ENCODING },
        tags: { name: READINESS_REQUEST_NAME, endpoint: t.name },
      }) as RefinedResponse<'text'>;
    }

    /** Compression is judged on every answer large enough to need it. */
    private compression(res: RefinedResponse<'text'>, endpoint: string): void {
      if (this.r.compression) this.record('compression', endpoint, compressionResult(answer(res), this.r.compression.minBytes));
    }

    iteration(): void {
      // Only the load's VUs record when k6 started the scenarios (LOAD_START_METRIC): each k6
      // scenario keeps its own start time, this one's a few milliseconds off the load's.
      tagStage(this.plan);
      const i = exec.scenario.iterationInTest;
      const r = this.r;
      const nth = (list: readonly string[]) => this.targets.get(list[i % list.length] as string);

      if (r.probes) {
        const t = nth(r.probes.endpoints);
        if (t) {
          const res = this.get(t);
          this.record(
            'probes.latency',
            t.name,
            res.status > 0 && statusMatches(t.expect, res.status) && res.timings.duration < r.probes.maxMs,
          );
          this.compression(res, t.name);
        }
      }
      if (r.monitoring) {
        const t = nth(r.monitoring.endpoints);
        if (t) {
          const res = this.get(t);
          const ok = res.status > 0 && statusMatches(t.expect, res.status);
          this.record('monitoring.answering', t.name, ok && t.body(res));
          if (r.monitoring.prometheus.includes(t.name)) {
            this.record('monitoring.prometheus', t.name, ok && typeof res.body === 'string' && checkExposition(res.body).valid);
          }
          this.compression(res, t.name);
        }
      }
      if (r.securityHeaders) {
        const t = nth(r.securityHeaders.endpoints);
        if (t) {
          const res = this.get(t);
          for (const [id, ok] of securityHeaderResults(answer(res), { hsts: r.securityHeaders.hsts })) this.record(id, t.name, ok);
          this.compression(res, t.name);
        }
      }
      if (r.cors) {
        const allowed = i % 2 === 0;
        const origin = allowed ? r.cors.allowedOrigin : r.cors.refusedOrigin;
        const headers: Record<string, string> = { Origin: origin, 'Access-Control-Request-Method': r.cors.method };
        if (r.cors.requestHeaders.length) headers['Access-Control-Request-Headers'] = r.cors.requestHeaders.join(', ');
        const res = http.request('OPTIONS', this.plan.baseUrl + r.cors.path, null, {
          ...this.params,
          headers,
          tags: { name: READINESS_REQUEST_NAME, endpoint: r.cors.endpoint },
        }) as RefinedResponse<'text'>;
        const a = answer(res);
        if (allowed) this.record('cors.allowed', r.cors.endpoint, corsAllowedResult(a, origin, r.cors.requestHeaders));
        else this.record('cors.refused', r.cors.endpoint, corsRefusedResult(a, origin));
      }
    }
  }
  return new Readiness(plan, r);
}
