/**
 * The live path end to end: a real `loadgate run --influx` (real k6 against the reference API,
 * with injected 5xx, 4xx and client timeouts) into a real influxd. What loadgate wrote while k6
 * ran must agree with the run's analysis.json: per endpoint, and per endpoint × stage, the
 * counts of every outcome exactly, and the P95 of the per-second histograms merged over the
 * run within the histogram's stated error. `--influx-mode samples` also hands k6 its own
 * InfluxDB output: its samples and loadgate's points count the same requests.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Histogram } from 'hdr-histogram-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUTCOME_KEYS } from '../../lib/contract/outcomes.ts';
import { decodeHistogram, HDR_ABSOLUTE_ERROR_MS, HDR_RELATIVE_ERROR, hdrDist, newHistogram } from '../../lib/contract/distribution.ts';
import { AnalysisSchema, type Analysis, type Stats } from '../../lib/contract/analysis.ts';
import { MEASUREMENTS } from '../../lib/contract/influx.ts';
import { outcomeField } from '../../lib/influx/points.ts';
import { startInfluxd, type InfluxdHandle } from '../support/influxd.ts';
import { RunRecordSchema } from '../../lib/contract/run.ts';
import { READINESS_SCENARIO } from '../../lib/shared/readiness.ts';
import { startTarget, type RunningTarget } from '../../reference-api/server.ts';
import { influxQuery, runCli, runDirOf, type InfluxSeries } from './helpers.ts';

const DB = 'k6';

/** Rows of one series as objects, by column name. */
function rows(series: InfluxSeries[]): Record<string, unknown>[] {
  return series.flatMap((s) => s.values.map((v) => ({ ...s.tags, ...Object.fromEntries(s.columns.map((c, i) => [c, v[i]])) })));
}

interface Merged {
  requests: number;
  outcomes: Record<string, number>;
  min: number;
  max: number;
  sum: number;
  hist: Histogram | null;
}

/** The live points of a run, merged per key (endpoint, or endpoint × stage). */
function merge(points: Record<string, unknown>[], key: (p: Record<string, unknown>) => string): Map<string, Merged> {
  const out = new Map<string, Merged>();
  for (const p of points) {
    const k = key(p);
    const m = out.get(k) ?? { requests: 0, outcomes: {}, min: Infinity, max: -Infinity, sum: 0, hist: null };
    m.requests += p['requests'] as number;
    for (const o of OUTCOME_KEYS) m.outcomes[o] = (m.outcomes[o] ?? 0) + (p[outcomeField(o)] as number);
    m.min = Math.min(m.min, p['min'] as number);
    m.max = Math.max(m.max, p['max'] as number);
    m.sum += p['sum'] as number;
    // Merged as the analysis merges: into a histogram that grows.
    m.hist ??= newHistogram();
    m.hist.add(decodeHistogram(p['hist'] as string));
    out.set(k, m);
  }
  return out;
}

/** |live − analysis| within the histogram's stated error (HDR_RELATIVE_ERROR, HDR_ABSOLUTE_ERROR_MS below 0.5 ms). */
function withinStatedError(live: number | null, exact: number | null): boolean {
  if (live === null || exact === null) return live === exact;
  return Math.abs(live - exact) <= Math.max(HDR_RELATIVE_ERROR * Math.abs(exact), HDR_ABSOLUTE_ERROR_MS) + 1e-9;
}

function expectAgrees(what: string, m: Merged | undefined, s: Stats): void {
  expect(m, what).toBeDefined();
  const got = m as Merged;
  expect({ requests: got.requests, outcomes: got.outcomes }, what).toEqual({ requests: s.requests, outcomes: s.outcomes });
  const dist = hdrDist(got.hist as Histogram, { count: got.requests, min: got.min, max: got.max, sum: got.sum });
  expect(dist.min, `${what} min`).toBe(s.durationMs.min);
  expect(dist.max, `${what} max`).toBe(s.durationMs.max);
  for (const p of ['p50', 'p95', 'p99'] as const) {
    expect(withinStatedError(dist[p], s.durationMs[p]), `${what} ${p}: live ${dist[p]}, analysis ${s.durationMs[p]}`).toBe(true);
  }
}

describe('the live path: a real k6 run streamed by loadgate into a real InfluxDB', () => {
  let influxd: InfluxdHandle;
  let target: RunningTarget;
  let dir: string;

  const run = async (mode: 'aggregate' | 'samples', durationScale: string): Promise<{ runDir: string; analysis: Analysis }> => {
    const result = await runCli([
      'run',
      '--config',
      join(dir, 'config.yaml'),
      '--scenario',
      'monitoring',
      '--profile',
      'smoke',
      '--phase',
      'phase3',
      '--target',
      target.url,
      '--out',
      join(dir, 'out'),
      // smoke is 5 % of the rate: 200 requests/s.
      '--rps',
      '4000',
      '--duration-scale',
      durationScale,
      '--influx',
      `${influxd.url}/${DB}`,
      '--influx-required',
      '--influx-mode',
      mode,
      '--progress',
      'none',
    ]);
    expect([0, 3, 99], `loadgate run exited ${result.code}\n${result.stderr.slice(-3000)}`).toContain(result.code);
    const runDir = runDirOf(result);
    const analysis = AnalysisSchema.parse(JSON.parse(await readFile(join(runDir, 'analysis.json'), 'utf8')));
    return { runDir, analysis };
  };

  beforeAll(async () => {
    influxd = await startInfluxd();
    target = await startTarget({
      profile: 'phase3',
      seed: 11,
      overrides: {
        faults: {
          routes: {
            'GET /api/monitoring/metrics': { errorRate: 0.2, errorStatus: 503 },
            'GET /ready': { errorRate: 0.2, errorStatus: 429 },
            'GET /api/monitoring/performance': { latency: { dist: 'exponential', meanMs: 25, maxMs: 400 } },
          },
        },
      },
    });
    dir = await mkdtemp(join(tmpdir(), 'loadgate-live-'));
    // A client timeout short enough that the slow endpoint hits it now and then.
    await writeFile(join(dir, 'config.yaml'), 'endpoints:\n  monitoring.performance:\n    timeout: 60ms\n');
  }, 60_000);

  afterAll(async () => {
    await target?.close();
    await influxd?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('aggregate mode: per endpoint and per stage, the counts equal analysis.json exactly and the P95 is within the stated error', async () => {
    const { runDir, analysis } = await run('aggregate', '0.75');
    const record = RunRecordSchema.parse(JSON.parse(await readFile(join(runDir, 'run.json'), 'utf8')));
    expect(record.influx).toMatchObject({ ok: true, mode: 'aggregate' });
    const id = analysis.run.runId;
    // k6 was asked for no InfluxDB output: none of its measurements exists.
    const measurements = (await influxQuery(influxd.url, DB, 'SHOW MEASUREMENTS')).flatMap((s) => s.values.map((v) => String(v[0])));
    expect(measurements).not.toContain('http_reqs');
    expect(measurements).toEqual(expect.arrayContaining([MEASUREMENTS.live, MEASUREMENTS.liveTotals, MEASUREMENTS.liveVus]));

    const points = rows(await influxQuery(influxd.url, DB, `SELECT * FROM ${JSON.stringify(MEASUREMENTS.live)} WHERE "testid" = '${id}'`));
    expect(points.length).toBeGreaterThan(0);
    expect(points.some((p) => p['scenario'] === READINESS_SCENARIO)).toBe(false);
    // Every outcome class the faults inject was counted.
    const all = analysis.totals.all.outcomes;
    expect(all.timeout, 'client timeouts').toBeGreaterThan(0);
    expect(all.http5xx, '5xx').toBeGreaterThan(0);
    expect(all.http4xx, '4xx').toBeGreaterThan(0);

    const byEndpoint = merge(points, (p) => String(p['name']));
    expect([...byEndpoint.keys()].sort()).toEqual(
      analysis.endpoints
        .filter((e) => e.total.requests > 0)
        .map((e) => e.name)
        .sort(),
    );
    for (const ep of analysis.endpoints.filter((e) => e.total.requests > 0)) expectAgrees(ep.name, byEndpoint.get(ep.name), ep.total);

    const byStage = merge(points, (p) => `${String(p['name'])} ${String(p['stage'])}`);
    for (const ep of analysis.endpoints) {
      for (const [stage, stats] of Object.entries(ep.byStage)) {
        if (stats.requests > 0) expectAgrees(`${ep.name} ${stage}`, byStage.get(`${ep.name} ${stage}`), stats);
      }
    }

    // The run-so-far points (the live table) end with the same figures.
    const totals = rows(
      await influxQuery(
        influxd.url,
        DB,
        `SELECT last("requests") AS "requests", last("timeouts") AS "timeouts", last("errors") AS "errors", last("p95") AS "p95" FROM ${JSON.stringify(MEASUREMENTS.liveTotals)} WHERE "testid" = '${id}' GROUP BY "name"`,
      ),
    );
    for (const ep of analysis.endpoints.filter((e) => e.total.requests > 0)) {
      const t = totals.find((r) => r['name'] === ep.name);
      const s = ep.total;
      expect({ requests: t?.['requests'], errors: t?.['errors'], timeouts: t?.['timeouts'] }, ep.name).toEqual({
        requests: s.requests,
        errors: s.requests - s.outcomes.ok,
        timeouts: s.outcomes.timeout + s.outcomes.dialTimeout,
      });
      expect(withinStatedError(t?.['p95'] as number, s.durationMs.p95), `${ep.name} table p95 ${t?.['p95']} vs ${s.durationMs.p95}`).toBe(
        true,
      );
    }

    // One point per endpoint × stage × second: never more than the seconds the run had, whatever its rate.
    const seconds = new Set(points.map((p) => p['time'])).size;
    const keys = new Set(points.map((p) => `${String(p['name'])} ${String(p['stage'])} ${String(p['scenario'])}`)).size;
    expect(points.length).toBeLessThanOrEqual(seconds * keys);
    const vus = rows(
      await influxQuery(influxd.url, DB, `SELECT max("vus") FROM ${JSON.stringify(MEASUREMENTS.liveVus)} WHERE "testid" = '${id}'`),
    );
    expect(vus[0]?.['max']).toBeGreaterThan(0);
  });

  it("samples mode: k6's own samples too, tagged as before, counting the same requests per endpoint", async () => {
    const { analysis } = await run('samples', '0.4');
    const id = analysis.run.runId;
    const keys = (await influxQuery(influxd.url, DB, 'SHOW TAG KEYS FROM "http_reqs"')).flatMap((s) => s.values.map((v) => String(v[0])));
    expect(keys).toEqual(expect.arrayContaining(['testid', 'phase', 'scenario', 'name', 'stage']));
    for (const forbidden of ['url', 'error', 'vu', 'iter']) expect(keys).not.toContain(forbidden);
    const fields = (await influxQuery(influxd.url, DB, 'SHOW FIELD KEYS FROM "http_reqs"')).flatMap((s) =>
      s.values.map((v) => String(v[0])),
    );
    // k6's url system tag is off (the plan's systemTags): a query-string secret reaches no point.
    expect(fields).not.toContain('url');
    const k6 = rows(
      await influxQuery(
        influxd.url,
        DB,
        `SELECT count("value") AS "n" FROM "http_reqs" WHERE "testid" = '${id}' AND "scenario" != '${READINESS_SCENARIO}' GROUP BY "name"`,
      ),
    );
    const live = rows(
      await influxQuery(
        influxd.url,
        DB,
        `SELECT sum("requests") AS "n" FROM ${JSON.stringify(MEASUREMENTS.live)} WHERE "testid" = '${id}' GROUP BY "name"`,
      ),
    );
    const byName = (list: Record<string, unknown>[]) => Object.fromEntries(list.map((r) => [String(r['name']), r['n']]));
    // loadgate's own points count every request exactly, as the analysis does.
    expect(byName(live)).toEqual(
      Object.fromEntries(analysis.endpoints.filter((e) => e.total.requests > 0).map((e) => [e.name, e.total.requests])),
    );
    // k6's own points count the same requests, but for the odd pair of them that InfluxDB keeps
    // as one: it stores one point per series and timestamp, and two requests of one endpoint
    // (same tags; vu and iter are fields) can end at the same timestamp. None is counted twice.
    const k6Counts = byName(k6);
    for (const [name, n] of Object.entries(byName(live)) as [string, number][]) {
      const got = k6Counts[name] as number;
      expect(got, name).toBeLessThanOrEqual(n);
      expect(n - got, `${name}: k6 wrote ${got} of ${n}`).toBeLessThanOrEqual(Math.max(2, Math.ceil(n * 0.005)));
    }
    expect(Object.keys(k6Counts).sort()).toEqual(Object.keys(byName(live)).sort());
  });
});
