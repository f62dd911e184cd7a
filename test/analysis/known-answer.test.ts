/**
 * Known answers: a hand-built run whose every figure is worked out below, and a generated
 * run checked against a naive reference analysis (reference.ts).
 */
import { expandStatuses } from '../../lib/shared/status.ts';
import { rm } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeRun } from '../../lib/analysis/analyze.ts';
import { AnalysisSchema, type Analysis, type Stats } from '../../lib/contract/analysis.ts';
import type { Plan } from '../../lib/contract/plan.ts';
import { benchOptions } from './generate.ts';
import { generated, tempDir, writeRunDir } from './helpers.ts';
import { k6p, reference } from './reference.ts';
import { PERCENTILES } from '../../lib/contract/percentiles.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function dir(): Promise<string> {
  const d = await tempDir();
  dirs.push(d);
  return d;
}

const T0 = Date.parse('2026-11-22T10:00:00Z');
const iso = (offsetMs: number) =>
  `${new Date(T0 + Math.floor(offsetMs)).toISOString().slice(0, 23)}${String(Math.round((offsetMs % 1) * 1e6)).padStart(6, '0')}Z`;

function point(metric: string, offsetMs: number, value: number, tags: Record<string, string>): string {
  return JSON.stringify({ metric, type: 'Point', data: { time: iso(offsetMs), value, tags } });
}

/** One request: the samples k6 writes for it. */
function request(
  name: string,
  stage: string,
  offsetMs: number,
  durationMs: number,
  status: number,
  errorCode?: string,
  extra: { waiting?: number; connecting?: number } = {},
): string[] {
  const tags: Record<string, string> = {
    ...(errorCode ? { error: 'x', error_code: errorCode } : {}),
    expected_response: String(status >= 200 && status < 400),
    group: '',
    method: 'GET',
    name,
    proto: 'HTTP/1.1',
    scenario: 'journey',
    stage,
    status: String(status),
    url: name,
  };
  const t = offsetMs + durationMs;
  return [
    point('http_reqs', t, 1, tags),
    point('http_req_duration', t, durationMs, tags),
    point('http_req_blocked', t, 0.01, tags),
    point('http_req_connecting', t, extra.connecting ?? 0, tags),
    point('http_req_waiting', t, extra.waiting ?? durationMs, tags),
    point('http_req_failed', t, status === 200 ? 0 : 1, tags),
  ];
}

function check(name: string, stage: string, offsetMs: number, pass: boolean): string {
  return point('checks', offsetMs, pass ? 1 : 0, { check: 'status is expected', group: '', name, scenario: 'journey', stage });
}

const plan: Plan = {
  kind: 'loadgate.plan',
  version: 2,
  runId: 'known-answer',
  createdAt: '2026-11-22T09:59:00.000Z',
  scenario: 'journey',
  profile: 'baseline',
  phase: 'phase1',
  thresholdSet: null,
  baseUrl: 'http://user:secret@127.0.0.1:8080',
  endpoints: [
    {
      name: 'a',
      group: 'probes',
      method: 'GET',
      path: '/a',
      auth: 'none',
      timeoutMs: 1000,
      expectStatus: [200],
      query: {},
      headers: {},
      bodyType: 'json',
      weight: 1,
      expectBody: null,
      probe: true,
    },
    {
      name: 'b',
      group: 'auth',
      method: 'POST',
      path: '/b',
      auth: 'none',
      timeoutMs: 2000,
      expectStatus: [200, 401],
      query: {},
      headers: {},
      bodyType: 'json',
      weight: 1,
      expectBody: null,
      probe: false,
    },
  ],
  headers: {},
  auth: {},
  users: { emailTemplate: 'u{{i}}@x', count: 1, passwordEnv: 'PW' },
  flows: {},
  env: [],
  requestsPerIteration: 1,
  durationScale: 1,
  stages: [
    { name: 's1', startS: 0, endS: 10, fromRps: 10, toRps: 20 },
    { name: 's2', startS: 10, endS: 20, fromRps: 20, toRps: 20 },
  ],
  k6Options: {},
};

/**
 * Endpoint a: 100 requests of 1..100 ms, all 200; the first 50 in s1, the rest in s2.
 * Endpoint b (s2): 6 ok (10..60 ms), a 401 it expects (5 ms), two client timeouts (2000.25 and
 * 2001.5 ms), a dial timeout, a refused and a reset connection (0 ms), a 404 (7 ms), a 503 (8 ms).
 */
function handRun(): string[] {
  const lines: string[] = [
    '{"type":"Metric","data":{"name":"http_req_duration","type":"trend","contains":"time","thresholds":[],"submetrics":null},"metric":"http_req_duration"}',
    point('vus', 1000, 3, {}),
    point('vus_max', 1000, 5, {}),
  ];
  for (let i = 1; i <= 100; i++) {
    const stage = i <= 50 ? 's1' : 's2';
    lines.push(
      ...request('a', stage, i <= 50 ? i * 100 : 10_000 + (i - 50) * 100, i, 200, undefined, {
        waiting: i - 0.5,
        connecting: i === 1 ? 1 : 0,
      }),
    );
    lines.push(check('a', stage, i * 100 + 50, true));
  }
  const b = (off: number, d: number, status: number, code?: string) => lines.push(...request('b', 's2', 12_000 + off, d, status, code));
  [10, 20, 30, 40, 50, 60].forEach((d, k) => {
    b(k * 10, d, 200);
  });
  b(100, 5, 401);
  b(200, 2000.25, 0, '1050');
  b(300, 2001.5, 0, '1050');
  b(400, 0, 0, '1211');
  b(500, 0, 0, '1212');
  b(600, 0, 0, '1220');
  b(700, 7, 404);
  b(800, 8, 503);
  for (let k = 0; k < 14; k++) lines.push(check('b', 's2', 16_000 + k, k < 11));
  lines.push(point('vus', 2000, 4, {}), point('vus', 12_000, 6, {}), point('dropped_iterations', 15_000, 2, { scenario: 'journey' }));
  lines.push(point('iterations', 15_000, 1, { scenario: 'journey', stage: 's2' }));
  lines.push(point('my_custom_metric', 15_000, 1, { name: 'a' }));
  return lines;
}

describe('a hand-built run', () => {
  let a: Analysis;
  const ep = (name: string) => a.endpoints.find((e) => e.name === name) as Analysis['endpoints'][number];

  it('validates against the schema and carries the run metadata', async () => {
    const d = await dir();
    await writeRunDir(d, { plan, raw: { 'raw.ndjson.gz': handRun() }, record: { status: 'aborted', k6ExitCode: 99 } });
    a = await analyzeRun(d, { now: () => new Date('2026-11-22T11:00:00Z') });
    expect(() => AnalysisSchema.parse(a)).not.toThrow();
    expect(a.run).toMatchObject({
      runId: 'known-answer',
      scenario: 'journey',
      profile: 'baseline',
      phase: 'phase1',
      target: 'http://127.0.0.1:8080',
      k6Version: 'v2.2.0',
      status: 'aborted',
      k6ExitCode: 99,
      // The first vus sample is at 1 s: the test started one vus period before.
      startedAt: '2026-11-22T10:00:00.000Z',
    });
    expect(a.settings).toEqual({ percentiles: 'exact', relativeError: 0, seriesIntervalS: 1 });
    expect(a.input.skipped).toEqual({ badJson: 0, tornLastLine: 0, unknownMetric: 1, untagged: 0, outOfWindow: 0 });
    expect(a.input.warnings.join('\n')).toMatch(/my_custom_metric \(1\)/);
  });

  it('endpoint a: k6 percentiles of 1..100 ms', () => {
    const t = ep('a').total;
    expect(t.requests).toBe(100);
    expect(t.outcomes.ok).toBe(100);
    expect(t.durationMs).toEqual({
      count: 100,
      min: 1,
      mean: 50.5,
      p50: 50.5,
      p90: k6p(range(1, 100), 0.9),
      p95: k6p(range(1, 100), 0.95),
      p99: k6p(range(1, 100), 0.99),
      max: 100,
    });
    expect(t.durationMs.p95).toBeCloseTo(95.05, 10);
    expect(t.durationMs.p90).toBeCloseTo(90.1, 10);
    expect(t.durationMs.p99).toBeCloseTo(99.01, 10);
    expect(t.waitingMs.p50).toBeCloseTo(50, 10);
    expect(t.connectingMs).toMatchObject({ count: 100, min: 0, max: 1, p95: 0 });
    expect(t.connectingMs.p99).toBeCloseTo(0.01, 10);
    expect(t.checks).toEqual({ passes: 100, fails: 0 });
    expect(t.censored).toEqual({ p50: false, p90: false, p95: false, p99: false });
    expect(t.histogram).toEqual(expect.any(String));
    const s1 = ep('a').byStage['s1'] as Stats;
    expect(s1.requests).toBe(50);
    expect(s1.durationMs.p50).toBe(25.5);
    expect(s1.windowS).toBe(10);
    expect(s1.rps).toBe(5);
    expect((ep('a').byStage['s2'] as Stats).durationMs.min).toBe(51);
  });

  it('endpoint b: every outcome bucket, timeouts censor the top percentiles', () => {
    const t = ep('b').total;
    expect(t.requests).toBe(14);
    expect(t.outcomes).toEqual({
      ok: 7,
      timeout: 2,
      dialTimeout: 1,
      connRefused: 1,
      connReset: 1,
      otherNetwork: 0,
      http5xx: 1,
      http4xx: 1,
    });
    expect(t.errorRate).toBe(0.5);
    expect(t.timeoutRate).toBe(3 / 14);
    const sorted = [0, 0, 0, 5, 7, 8, 10, 20, 30, 40, 50, 60, 2000.25, 2001.5];
    expect(t.durationMs.p50).toBe(15);
    expect(t.durationMs.p90).toBe(k6p(sorted, 0.9));
    expect(t.durationMs.p95).toBe(k6p(sorted, 0.95));
    expect(t.durationMs.p95).toBeCloseTo(2000.6875, 9);
    // Three timed out (two client timeouts, a dial timeout): ranks 11–13 of 14 are unknown.
    // p90 (index 11.7) is 70 % of the way from 60 ms to a timeout: censored though below it.
    expect(t.censored).toEqual({ p50: false, p90: true, p95: true, p99: true });
    expect(t.checks).toEqual({ passes: 11, fails: 3 });
  });

  it('stages, totals and the timeout finding', () => {
    expect(a.stages.map((s) => [s.name, s.requests, s.offeredRps.mean, s.droppedIterations])).toEqual([
      ['s1', 50, 15, 0],
      ['s2', 64, 20, 2],
    ]);
    expect(a.stages[1]?.vusMax).toBe(6);
    expect(a.totals).toMatchObject({ requests: 114, iterations: 1, droppedIterations: 2, vusMax: 6, checks: { passes: 111, fails: 3 } });
    expect(a.timeouts.endpointsWithTimeouts).toBe(1);
    expect(a.timeouts.endpointsTotal).toBe(2);
    const f = a.timeouts.findings[0];
    expect(f).toMatchObject({ endpoint: 'b', count: 3, rate: 3 / 14, pattern: 'intermittent', censored: ['p90', 'p95', 'p99'] });
    // The dial timeout ends at 12.4 s, the client timeouts at 14.2 and 14.3 s: of b's two intervals
    // with requests (12 and 14), both have timeouts, so they recur from 12 s on (s2, offered 20/s).
    expect(f?.onset).toEqual({ stage: 's2', atS: 12, offeredRps: 20 });
    expect(a.timeouts.findings[1]).toMatchObject({ endpoint: 'a', count: 0, pattern: 'none', onset: null });
  });

  it('the time series are index-aligned and count every request', () => {
    const s = a.series;
    expect(s.intervalS).toBe(1);
    for (const e of Object.values(s.endpoints)) expect(e.requests.length).toBe(s.t.length);
    expect(s.rps.length).toBe(s.t.length);
    const total = (Object.values(s.endpoints) as { requests: number[] }[]).reduce((n, e) => n + e.requests.reduce((x, y) => x + y, 0), 0);
    expect(total).toBe(114);
    expect(s.endpoints['b']?.timeouts.reduce((x, y) => x + y, 0)).toBe(3);
    expect(s.vus[1]).toBe(3);
  });
});

/** Deep equality, numbers within 1e-12 relative (float summation order). */
function expectClose(actual: unknown, expected: unknown, path: string): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    if (actual !== expected) expect(Math.abs(actual - expected), path).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(expected)));
    return;
  }
  if (expected === null || typeof expected !== 'object') {
    expect(actual, path).toEqual(expected);
    return;
  }
  expect(typeof actual, path).toBe('object');
  const a = actual as Record<string, unknown>;
  const e = expected as Record<string, unknown>;
  expect(Object.keys(a).sort(), path).toEqual(Object.keys(e).sort());
  for (const k of Object.keys(e)) expectClose(a[k], e[k], `${path}.${k}`);
}

function range(a: number, b: number): number[] {
  return Array.from({ length: b - a + 1 }, (_, i) => a + i);
}

describe('a generated run against the naive reference', () => {
  const opts = { ...benchOptions(0.05, 7), unknownMetricEvery: 500 };
  const { lines, plan: genPlan } = generated(opts);
  const expectStatus = Object.fromEntries(genPlan.endpoints.map((e) => [e.name, expandStatuses(e.expectStatus)]));
  const ref = reference(lines, expectStatus, genPlan.stages);
  let a: Analysis;

  it('matches per endpoint: counts, outcomes, checks and exact percentiles', async () => {
    const d = await dir();
    await writeRunDir(d, { plan: genPlan, raw: { 'raw.ndjson.gz': lines } });
    a = await analyzeRun(d);
    expect(a.settings.percentiles).toBe('exact');
    expect(a.endpoints.length).toBe(ref.size);
    for (const e of a.endpoints) {
      const r = ref.get(e.name);
      if (!r) throw new Error(`unexpected endpoint ${e.name}`);
      expect(e.total.requests, e.name).toBe(r.durations.length);
      for (const [k, v] of Object.entries(e.total.outcomes)) expect(v, `${e.name} ${k}`).toBe(r.outcomes[k] ?? 0);
      expect(e.total.checks).toEqual(r.checks);
      for (const [key, p] of PERCENTILES) {
        expect(e.total.durationMs[key], `${e.name} ${key}`).toBe(k6p(r.durations, p));
        expect(e.total.waitingMs[key], `${e.name} waiting ${key}`).toBe(k6p(r.waiting, p));
        expect(e.total.connectingMs[key], `${e.name} connecting ${key}`).toBe(k6p(r.connecting, p));
      }
      expect(e.total.durationMs.mean).toBeCloseTo(r.durations.reduce((x, y) => x + y, 0) / r.durations.length, 9);
      expect(e.total.durationMs.min).toBe(Math.min(...r.durations));
      expect(e.total.durationMs.max).toBe(Math.max(...r.durations));
      for (const [stage, values] of r.byStage) {
        expect(e.byStage[stage]?.requests, `${e.name} ${stage}`).toBe(values.length);
        expect(e.byStage[stage]?.durationMs.p95, `${e.name} ${stage} p95`).toBe(k6p(values, 0.95));
      }
    }
    expect(a.input.skipped.unknownMetric).toBeGreaterThan(0);
  });

  it('finds the load-correlated timeouts of auth.login, beginning under high load', () => {
    const f = a.timeouts.findings.find((x) => x.endpoint === 'auth.login');
    expect(f?.count).toBeGreaterThan(0);
    expect(f?.pattern).toBe('load-correlated');
    expect(['steady', 'spike']).toContain(f?.onset?.stage);
    expect(a.timeouts.findings[0]?.endpoint).toBe('auth.login');
    const health = a.timeouts.findings.find((x) => x.endpoint === 'probes.health');
    expect(health?.pattern).toBe('none');
  });

  it('two execution segments merge into the analysis one file gives', async () => {
    const d = await dir();
    const [one, two] = splitSegments(lines);
    await writeRunDir(d, { plan: genPlan, raw: { 'raw-1.ndjson.gz': one, 'raw-2.ndjson.gz': two } });
    const m = await analyzeRun(d);
    // Lines and points differ (the VU gauges are in both files); means may differ in the last
    // bit (the values are summed in another order); everything else is the same.
    const strip = (x: Analysis) => ({ ...x, generatedAt: '', input: { ...x.input, files: [], lines: 0, points: 0 }, segments: undefined });
    expectClose(strip(m), strip(a), '');
    // Each file is one segment of the test.
    expect(m.segments?.list.map((s) => [s.index, s.files, s.requests > 0])).toEqual([
      [1, ['raw-1.ndjson.gz'], true],
      [2, ['raw-2.ndjson.gz'], true],
    ]);
  });

  it("hdr mode: percentiles within the stated error of k6's, the same counts", async () => {
    const d = await dir();
    await writeRunDir(d, { plan: genPlan, raw: { 'raw.ndjson.gz': lines } });
    const h = await analyzeRun(d, { percentiles: 'hdr' });
    expect(h.settings).toMatchObject({ percentiles: 'hdr', relativeError: 0.001 });
    expect(h.totals.all.outcomes).toEqual(a.totals.all.outcomes);
    const all = [...ref.values()].flatMap((r) => r.durations);
    for (const [key, p] of PERCENTILES) {
      const got = h.totals.all.durationMs[key] as number;
      // k6's definition read from the histogram: within 0.1 % (0.5 µs below 0.5 ms).
      const want = k6p(all, p) as number;
      expect(Math.abs(got - want), key).toBeLessThanOrEqual(Math.max(0.001 * want, 0.0005));
    }
    expect(h.totals.all.durationMs.min).toBe(a.totals.all.durationMs.min);
    expect(h.totals.all.durationMs.max).toBe(a.totals.all.durationMs.max);
  });

  it('auto mode switches to HDR past the size limit and says so', async () => {
    const d = await dir();
    await writeRunDir(d, { plan: genPlan, raw: { 'raw.ndjson.gz': lines } });
    const h = await analyzeRun(d, { percentiles: 'auto', exactLimit: 1000 });
    expect(h.settings.percentiles).toBe('hdr');
    expect(h.input.warnings.join('\n')).toMatch(/more than 1000 latency values: percentiles from HDR/);
    expect(h.totals.all.requests).toBe(a.totals.all.requests);
  });
});

/**
 * Two execution segments: each request's samples go to one file (alternately), the VU
 * gauges are split between them, everything else goes to the first.
 */
function splitSegments(lines: readonly string[]): [string[], string[]] {
  const one: string[] = [];
  const two: string[] = [];
  let flip = false;
  for (const l of lines) {
    // Every k6 process writes the load start (each from its own first VU).
    if (l.startsWith('{"metric":"loadgate_load_start"')) {
      one.push(l);
      two.push(l);
      continue;
    }
    if (l.startsWith('{"metric":"vus')) {
      const o = JSON.parse(l) as { data: { value: number } };
      const v = o.data.value;
      one.push(l.replace(`"value":${v},`, `"value":${Math.ceil(v / 2)},`));
      two.push(l.replace(`"value":${v},`, `"value":${Math.floor(v / 2)},`));
      continue;
    }
    // The generator writes http_reqs first of each request's samples.
    if (l.startsWith('{"metric":"http_reqs"')) flip = !flip;
    if (l.startsWith('{"metric":"dropped') || l.startsWith('{"type"')) one.push(l);
    else (flip ? two : one).push(l);
  }
  return [one, two];
}
