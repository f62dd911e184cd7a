/**
 * Fixture analyses for the verdict unit tests, built from the analysis schema (and validated
 * against it, so a schema change breaks the fixtures loudly rather than silently).
 */
import { AnalysisSchema, type Analysis, type Stage, type Stats } from '../../lib/contract/analysis.ts';

export interface StatsSpec {
  requests: number;
  timeouts?: number;
  http5xx?: number;
  p95: number;
  censored?: boolean;
  windowS?: number;
}

export function stats(s: StatsSpec): Stats {
  const timeouts = s.timeouts ?? 0;
  const http5xx = s.http5xx ?? 0;
  const ok = s.requests - timeouts - http5xx;
  const n = s.requests;
  const dist = {
    count: n,
    min: n ? 1 : null,
    mean: n ? s.p95 / 2 : null,
    p50: n ? s.p95 / 2 : null,
    p90: n ? s.p95 * 0.9 : null,
    p95: n ? s.p95 : null,
    p99: n ? s.p95 * 1.1 : null,
    max: n ? s.p95 * 1.2 : null,
  };
  const windowS = s.windowS ?? 10;
  return {
    requests: n,
    outcomes: { ok, timeout: timeouts, dialTimeout: 0, connRefused: 0, connReset: 0, otherNetwork: 0, http5xx, http4xx: 0 },
    errorRate: n ? (n - ok) / n : null,
    timeoutRate: n ? timeouts / n : null,
    checks: { passes: ok, fails: n - ok },
    durationMs: dist,
    waitingMs: dist,
    connectingMs: { ...dist, p95: n ? 0 : null },
    rps: n ? n / windowS : null,
    windowS,
    censored: { p50: false, p90: false, p95: s.censored ?? false, p99: s.censored ?? false },
    histogram: null,
  };
}

export interface StageSpec {
  name: string;
  durationS: number;
  from: number;
  to: number;
  dropped?: number;
  /** All-endpoint requests in the stage; default offered mean × duration. */
  requests?: number;
}

export interface EndpointSpec {
  name: string;
  group: string;
  /** Per stage name; `total` is their sum unless given. */
  byStage: Record<string, StatsSpec>;
  total?: StatsSpec;
  timeoutMs?: number;
}

export function makeAnalysis(spec: {
  stages: StageSpec[];
  endpoints: EndpointSpec[];
  status?: Analysis['run']['status'];
  iterations?: number;
}): Analysis {
  let t = 0;
  const stages: Stage[] = spec.stages.map((s, index) => {
    const startS = t;
    t += s.durationS;
    const mean = (s.from + s.to) / 2;
    const requests = s.requests ?? Math.round(mean * s.durationS);
    return {
      name: s.name,
      index,
      startS,
      endS: t,
      offeredRps: { from: s.from, to: s.to, mean },
      achievedRps: requests / s.durationS,
      droppedIterations: s.dropped ?? 0,
      vusMax: 10,
      requests,
    };
  });
  const endpoints = spec.endpoints.map((e) => {
    const byStage: Record<string, Stats> = {};
    let totalSpec: StatsSpec = { requests: 0, timeouts: 0, http5xx: 0, p95: 0 };
    for (const [name, s] of Object.entries(e.byStage)) {
      const duration = spec.stages.find((x) => x.name === name)?.durationS ?? 10;
      byStage[name] = stats({ windowS: duration, ...s });
      totalSpec = {
        requests: totalSpec.requests + s.requests,
        timeouts: (totalSpec.timeouts ?? 0) + (s.timeouts ?? 0),
        http5xx: (totalSpec.http5xx ?? 0) + (s.http5xx ?? 0),
        p95: Math.max(totalSpec.p95, s.p95),
        censored: Boolean(totalSpec.censored) || Boolean(s.censored),
      };
    }
    return {
      name: e.name,
      group: e.group,
      method: 'GET',
      path: `/${e.name}`,
      timeoutMs: e.timeoutMs ?? 2000,
      total: stats({ windowS: t, ...(e.total ?? totalSpec) }),
      byStage,
      byScenario: {},
    };
  });
  const totalRequests = endpoints.reduce((n, e) => n + e.total.requests, 0);
  const allSpec: StatsSpec = {
    requests: totalRequests,
    timeouts: endpoints.reduce((n, e) => n + e.total.outcomes.timeout, 0),
    http5xx: endpoints.reduce((n, e) => n + e.total.outcomes.http5xx, 0),
    p95: Math.max(0, ...endpoints.map((e) => e.total.durationMs.p95 ?? 0)),
    windowS: t,
  };
  const withTimeouts = endpoints.filter((e) => e.total.outcomes.timeout > 0);
  const analysis: Analysis = {
    kind: 'loadgate.analysis',
    version: 1,
    generatedAt: '2025-01-01T00:00:00.000Z',
    run: {
      runId: 'run-fixture',
      scenario: 'journey',
      profile: 'load',
      phase: 'phase3',
      target: 'http://127.0.0.1:8080',
      k6Version: 'v2.2.0',
      startedAt: '2025-01-01T00:00:00.000Z',
      endedAt: null,
      durationS: t,
      status: spec.status ?? 'completed',
      k6ExitCode: 0,
    },
    settings: { percentiles: 'exact', relativeError: 0, seriesIntervalS: 1 },
    input: {
      files: ['raw.ndjson.gz'],
      lines: totalRequests,
      points: totalRequests,
      skipped: { badJson: 0, tornLastLine: 0, unknownMetric: 0, untagged: 0 },
      truncated: false,
      warnings: [],
    },
    totals: {
      requests: totalRequests,
      iterations: spec.iterations ?? totalRequests,
      droppedIterations: stages.reduce((n, s) => n + s.droppedIterations, 0),
      vusMax: 10,
      checks: { passes: 0, fails: 0 },
      all: stats(allSpec),
    },
    stages,
    endpoints,
    timeouts: {
      endpointsWithTimeouts: withTimeouts.length,
      endpointsTotal: endpoints.length,
      findings: withTimeouts.map((e) => ({
        endpoint: e.name,
        count: e.total.outcomes.timeout,
        rate: e.total.timeoutRate ?? 0,
        onset: { stage: stages.at(-1)?.name ?? null, atS: 0, offeredRps: null },
        pattern: 'load-correlated' as const,
        byStage: {},
        censored: e.total.censored.p95 ? (['p95', 'p99'] as const).slice() : [],
      })),
    },
    series: { intervalS: 1, t: [], vus: [], rps: [], droppedIterations: [], endpoints: {} },
  };
  return AnalysisSchema.parse(analysis);
}

/** A ramp, a steady hold at `rps`, a ramp down; two endpoints and a probe, all healthy and fast. */
export function healthyRun(rps = 120, over: Partial<Record<'login' | 'me' | 'health', Partial<StatsSpec>>> = {}, dropped = 0): Analysis {
  const hold = rps * 30;
  const split = (n: number) => ({ login: Math.round(n * 0.4), me: Math.round(n * 0.4), health: n - 2 * Math.round(n * 0.4) });
  const r = split(rps * 5);
  const h = split(hold);
  const d = split(rps * 5);
  return makeAnalysis({
    stages: [
      { name: 'ramp-up', durationS: 10, from: 0, to: rps },
      { name: 'hold', durationS: 30, from: rps, to: rps, dropped, requests: hold },
      { name: 'ramp-down', durationS: 10, from: rps, to: 0 },
    ],
    endpoints: [
      {
        name: 'auth.login',
        group: 'auth',
        byStage: {
          'ramp-up': { requests: r.login, p95: 80 },
          hold: { requests: h.login, p95: 120, ...over.login },
          'ramp-down': { requests: d.login, p95: 70 },
        },
      },
      {
        name: 'user.me',
        group: 'user',
        byStage: {
          'ramp-up': { requests: r.me, p95: 40 },
          hold: { requests: h.me, p95: 60, ...over.me },
          'ramp-down': { requests: d.me, p95: 30 },
        },
      },
      {
        name: 'probes.health',
        group: 'probes',
        byStage: {
          'ramp-up': { requests: r.health, p95: 5 },
          hold: { requests: h.health, p95: 8, ...over.health },
          'ramp-down': { requests: d.health, p95: 5 },
        },
      },
    ],
  });
}
