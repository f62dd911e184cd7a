/**
 * The full breakdown, endpoint × stage × scenario (`endpoints[].cells`): a hand-built run whose
 * every cell is worked out below, and a generated two-scenario run against the naive reference.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeRun, writeAnalysis, readAnalysis } from '../../lib/analysis/analyze.ts';
import { AnalysisSchema, type Analysis, type Cell, type Endpoint } from '../../lib/contract/analysis.ts';
import type { Plan } from '../../lib/contract/plan.ts';
import { benchOptions, generateLines, planFor } from './generate.ts';
import { expandStatuses } from '../../lib/shared/status.ts';
import { handEndpoint, sample, scratchDirs, twoStagePlan, writeRunDir } from './helpers.ts';
import { k6p, reference } from './reference.ts';
import { PERCENTILES } from '../../lib/contract/percentiles.ts';

const dir = scratchDirs('loadgate-cells-');

function request(name: string, stage: string, scenario: string, offsetMs: number, durationMs: number, status: number, code?: string) {
  const tags = { ...(code ? { error: 'x', error_code: code } : {}), name, scenario, stage, status: String(status) };
  return [
    sample('http_reqs', offsetMs + durationMs, 1, tags),
    sample('http_req_duration', offsetMs + durationMs, durationMs, tags),
    sample('http_req_waiting', offsetMs + durationMs, durationMs / 2, tags),
    sample('http_req_connecting', offsetMs + durationMs, 0, tags),
  ];
}

const check = (name: string, stage: string, scenario: string, offsetMs: number, pass: boolean) =>
  sample('checks', offsetMs, pass ? 1 : 0, { check: 'status', name, scenario, stage });

const plan: Plan = twoStagePlan([handEndpoint('x', 1000), handEndpoint('y', 2000)], 'cells');

/**
 * x, s1, browse: 10, 20, 30, 40 ms, ok, four checks passed.
 * x, s1, buy: 100 and 200 ms ok, one client timeout at 1000.5 ms; two checks passed, one failed.
 * x, s2, browse: 1, 2, 3, 4, 5 ms ok and a 503 at 7 ms.
 * y, s2, buy: 50 ms ok and a dial timeout (0 ms).
 * The run lasts 20 s (a VU sample at 20 s): each stage's window is 10 s.
 */
function handRun(): string[] {
  const out = [sample('vus', 1000, 2, {}), sample('vus', 20_000, 1, {})];
  for (const [i, d] of [10, 20, 30, 40].entries()) {
    out.push(...request('x', 's1', 'browse', 1000 * (i + 1), d, 200), check('x', 's1', 'browse', 1000 * (i + 1) + 50, true));
  }
  out.push(
    ...request('x', 's1', 'buy', 5000, 100, 200),
    ...request('x', 's1', 'buy', 6000, 200, 200),
    ...request('x', 's1', 'buy', 7000, 1000.5, 0, '1050'),
  );
  out.push(check('x', 's1', 'buy', 5200, true), check('x', 's1', 'buy', 6300, true), check('x', 's1', 'buy', 8100, false));
  for (const [i, d] of [1, 2, 3, 4, 5].entries()) out.push(...request('x', 's2', 'browse', 11_000 + 1000 * i, d, 200));
  out.push(...request('x', 's2', 'browse', 16_000, 7, 503));
  out.push(...request('y', 's2', 'buy', 12_000, 50, 200), ...request('y', 's2', 'buy', 13_000, 0, 0, '1211'));
  return out;
}

const NONE = { ok: 0, timeout: 0, dialTimeout: 0, connRefused: 0, connReset: 0, otherNetwork: 0, http5xx: 0, http4xx: 0 };
const dist = (v: number[]) => ({
  count: v.length,
  min: Math.min(...v),
  mean: v.reduce((a, b) => a + b, 0) / v.length,
  p50: k6p(v, 0.5),
  p90: k6p(v, 0.9),
  p95: k6p(v, 0.95),
  p99: k6p(v, 0.99),
  max: Math.max(...v),
});
const zeros = (n: number) => ({ count: n, min: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, max: 0 });

describe('endpoint × stage × scenario cells, by hand', () => {
  let a: Analysis;
  const ep = (name: string) => a.endpoints.find((e) => e.name === name) as Endpoint;

  beforeAll(async () => {
    const d = await dir();
    await writeRunDir(d, { plan, raw: { 'raw.ndjson.gz': handRun() } });
    a = await analyzeRun(d, { percentiles: 'exact' });
  });

  it('every cell, worked out', () => {
    expect(a.run.durationS).toBe(20);
    const cells: Cell[] = [
      {
        stage: 's1',
        scenario: 'browse',
        requests: 4,
        outcomes: { ...NONE, ok: 4 },
        errorRate: 0,
        timeoutRate: 0,
        checks: { passes: 4, fails: 0 },
        durationMs: dist([10, 20, 30, 40]),
        waitingMs: dist([5, 10, 15, 20]),
        connectingMs: zeros(4),
        rps: 0.4,
        windowS: 10,
        censored: { p50: false, p90: false, p95: false, p99: false },
      },
      {
        stage: 's1',
        scenario: 'buy',
        requests: 3,
        outcomes: { ...NONE, ok: 2, timeout: 1 },
        errorRate: 1 / 3,
        timeoutRate: 1 / 3,
        checks: { passes: 2, fails: 1 },
        durationMs: dist([100, 200, 1000.5]),
        waitingMs: dist([50, 100, 500.25]),
        connectingMs: zeros(3),
        rps: 0.3,
        windowS: 10,
        // n = 3, one timed out (rank 2 unknown): p50 reads rank 1 only; p90 reads ranks 1–2.
        censored: { p50: false, p90: true, p95: true, p99: true },
      },
      {
        stage: 's2',
        scenario: 'browse',
        requests: 6,
        outcomes: { ...NONE, ok: 5, http5xx: 1 },
        errorRate: 1 / 6,
        timeoutRate: 0,
        checks: { passes: 0, fails: 0 },
        durationMs: dist([1, 2, 3, 4, 5, 7]),
        waitingMs: dist([0.5, 1, 1.5, 2, 2.5, 3.5]),
        connectingMs: zeros(6),
        rps: 0.6,
        windowS: 10,
        censored: { p50: false, p90: false, p95: false, p99: false },
      },
    ];
    expect(ep('x').cells).toEqual(cells);
    expect(ep('x').cells?.[1]?.durationMs.p50).toBe(200);
    expect(ep('y').cells).toEqual([
      {
        stage: 's2',
        scenario: 'buy',
        requests: 2,
        outcomes: { ...NONE, ok: 1, dialTimeout: 1 },
        errorRate: 0.5,
        timeoutRate: 0.5,
        checks: { passes: 0, fails: 0 },
        durationMs: dist([0, 50]),
        waitingMs: dist([0, 25]),
        connectingMs: zeros(2),
        rps: 0.2,
        windowS: 10,
        // n = 2, the dial timeout's rank (1) is unknown: every percentile reads it.
        censored: { p50: true, p90: true, p95: true, p99: true },
      },
    ]);
  });

  it('the cells add up to byStage and byScenario', () => {
    for (const e of a.endpoints) {
      const cells = e.cells ?? [];
      for (const [stage, st] of Object.entries(e.byStage)) {
        const cs = cells.filter((c) => c.stage === stage);
        expect(
          cs.reduce((n, c) => n + c.requests, 0),
          `${e.name} ${stage}`,
        ).toBe(st.requests);
        expect(cs.reduce((n, c) => n + c.outcomes.timeout + c.outcomes.dialTimeout, 0)).toBe(st.outcomes.timeout + st.outcomes.dialTimeout);
      }
      for (const [scenario, st] of Object.entries(e.byScenario)) {
        const cs = cells.filter((c) => c.scenario === scenario);
        expect(
          cs.reduce((n, c) => n + c.requests, 0),
          `${e.name} ${scenario}`,
        ).toBe(st.requests);
        expect(cs.reduce((n, c) => n + c.checks.fails, 0)).toBe(st.checks.fails);
      }
    }
  });

  it('a single-scenario stage has the stage’s figures; cells carry no histogram; the file validates and round-trips', async () => {
    const { histogram: _, ...s2 } = ep('y').byStage['s2'] as Endpoint['byStage'][string];
    expect(ep('y').cells?.[0]).toEqual({ stage: 's2', scenario: 'buy', ...s2 });
    for (const c of ep('x').cells ?? []) expect(c).not.toHaveProperty('histogram');
    expect(() => AnalysisSchema.parse(a)).not.toThrow();
    const d = await dir();
    expect(readAnalysis(await writeAnalysis(d, a))).toEqual(a);
    const bad = { ...a, endpoints: a.endpoints.map((e) => ({ ...e, cells: (e.cells ?? []).map((c) => ({ ...c, histogram: null })) })) };
    expect(AnalysisSchema.safeParse(bad).success).toBe(false);
  });
});

describe('endpoint × stage × scenario cells of a generated two-scenario run', () => {
  // Two k6 scenarios running side by side over the same stages, each with its own requests.
  const lines: string[] = [];
  const optsA = { ...benchOptions(0.05, 31), scenario: 'browse' };
  const optsB = { ...benchOptions(0.05, 32), scenario: 'buy' };
  generateLines(optsA, (l) => lines.push(l));
  generateLines(optsB, (l) => lines.push(l));
  const genPlan = planFor(optsA);
  const ref = reference(lines, Object.fromEntries(genPlan.endpoints.map((e) => [e.name, expandStatuses(e.expectStatus)])), genPlan.stages);

  it('each cell equals the reference over its own requests; no cell is missing or extra', async () => {
    const d = await dir();
    await writeRunDir(d, { plan: genPlan, raw: { 'raw.ndjson.gz': lines } });
    const a = await analyzeRun(d, { percentiles: 'exact' });
    expect(() => AnalysisSchema.parse(a)).not.toThrow();
    const window = (stage: string) => {
      const s = a.stages.find((x) => x.name === stage);
      return Math.min(s?.endS ?? 0, a.run.durationS ?? 0) - (s?.startS ?? 0);
    };
    let checked = 0;
    for (const e of a.endpoints) {
      const r = ref.get(e.name);
      if (!r) throw new Error(`unexpected endpoint ${e.name}`);
      const cells = e.cells ?? [];
      expect(cells.map((c) => `${c.stage} ${c.scenario}`).sort(), e.name).toEqual([...r.byCell.keys()].sort());
      // In the stages' order, then by scenario.
      const order = a.stages.map((s) => s.name);
      expect(cells.map((c) => [order.indexOf(c.stage), c.scenario])).toEqual(
        [...cells]
          .map((c) => [order.indexOf(c.stage), c.scenario])
          .sort((x, y) => (x[0] as number) - (y[0] as number) || String(x[1]).localeCompare(String(y[1]))),
      );
      for (const c of cells) {
        const rc = r.byCell.get(`${c.stage} ${c.scenario}`);
        if (!rc) throw new Error(`${e.name} ${c.stage} ${c.scenario} is not in the reference`);
        const what = `${e.name} ${c.stage} ${c.scenario}`;
        expect(c.requests, what).toBe(rc.durations.length);
        expect(c.outcomes, what).toEqual({ ...NONE, ...rc.outcomes });
        for (const [k, p] of PERCENTILES) {
          expect(c.durationMs[k], `${what} ${k}`).toBe(k6p(rc.durations, p));
        }
        expect(c.durationMs.min, what).toBe(Math.min(...rc.durations));
        expect(c.durationMs.max, what).toBe(Math.max(...rc.durations));
        expect(c.windowS, what).toBe(window(c.stage));
        expect(c.rps, what).toBe(rc.durations.length / window(c.stage));
        checked++;
      }
    }
    // 12 endpoints × 5 stages × 2 scenarios, less pairs without a request.
    expect(checked).toBeGreaterThan(100);
  });
});
