/**
 * The proof that no dashboard query is left unproven: a real `loadgate run --influx` (real k6
 * against the reference API, its raw results aggregated live by loadgate) into a real InfluxDB;
 * then every query of every panel, variable and annotation of both generated dashboards runs
 * with Grafana's macros substituted and must return data. The summary points the harness
 * wrote must equal the run's analysis file.
 */
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { startTarget, type RunningTarget } from '../../reference-api/server.ts';
import { AnalysisSchema, type Analysis } from '../../lib/contract/analysis.ts';
import { VerdictSchema, type Verdict } from '../../lib/contract/verdict.ts';
import { startInfluxd, type InfluxdHandle } from '../support/influxd.ts';
import { DASHBOARD_FILES, DATASOURCE_INPUT, generateDashboards, type DashboardForm } from '../../grafana/generate.ts';
import { evaluateImport } from '../../grafana/importer.ts';
import { ALL, listDashboardQueries, substituteMacros, unresolved, type VariableValue } from '../../grafana/queries.ts';
import { READINESS_REQUEST_NAME } from '../../lib/shared/readiness.ts';
import { HDR_ABSOLUTE_ERROR_MS, HDR_RELATIVE_ERROR } from '../../lib/contract/distribution.ts';
import { HISTORY_RP, MEASUREMENTS } from '../../lib/contract/influx.ts';
import { SETUP_GROUP } from '../../lib/contract/outcomes.ts';
import { influxQuery, runCli, runDirOf, seriesWithData } from '../influx/helpers.ts';
import { isReadiness, rawPoints } from '../run/helpers.ts';

const DB = 'k6';
/** The datasource this test stands for: the private influxd, as a Grafana would name it. */
const TEST_DATASOURCE = { type: 'influxdb', uid: 'loadgate-test-influxd' };

interface StatPanel {
  type: string;
  title: string;
  options?: { textMode?: string; colorMode?: string; reduceOptions?: { calcs?: string[]; values?: boolean; fields?: string } };
  targets?: { query: string; alias?: string }[];
}

/**
 * Both forms of every dashboard as Grafana would hold them: the provisioned form as it is, the
 * import form after Grafana's Import with the test datasource picked for DS_INFLUXDB.
 */
function dashboardsAsLoaded(): { form: DashboardForm; file: string; dashboard: Dashboard }[] {
  const out: { form: DashboardForm; file: string; dashboard: Dashboard }[] = [];
  for (const form of ['provisioned', 'import'] as const) {
    const files = generateDashboards({ form });
    for (const file of Object.values(DASHBOARD_FILES)) {
      const json = JSON.parse(files[file] as string) as Record<string, unknown>;
      const dashboard =
        form === 'import' ? evaluateImport(json, [{ name: DATASOURCE_INPUT.name, type: 'datasource', value: TEST_DATASOURCE.uid }]) : json;
      out.push({ form, file, dashboard: dashboard as unknown as Dashboard });
    }
  }
  return out;
}

describe('Grafana dashboards against a real k6 run streamed to a real InfluxDB', () => {
  let influxd: InfluxdHandle;
  let target: RunningTarget;
  let outDir: string;
  let runDir: string;
  let analysis: Analysis;
  let verdict: Verdict;
  let startedMs: number;
  let endedMs: number;

  beforeAll(async () => {
    // No skip: a missing influxd is a failure that says what to install.
    influxd = await startInfluxd();
    target = await startTarget({ profile: 'phase2', seed: 7 });
    outDir = await mkdtemp(join(tmpdir(), 'loadgate-grafana-proof-'));
    startedMs = Date.now();
    const result = await runCli([
      'run',
      '--scenario',
      'journey',
      '--profile',
      'smoke',
      '--phase',
      'phase2',
      '--target',
      target.url,
      '--out',
      outDir,
      // smoke is 5 % of the rate: 20 requests/s for 10 s, so every endpoint group is reached.
      '--rps',
      '400',
      '--duration-scale',
      '0.5',
      '--influx',
      `${influxd.url}/${DB}`,
      '--influx-required',
      '--progress',
      'none',
    ]);
    endedMs = Date.now();
    // 0 pass, 99 breach, 3 inconclusive: all are finished runs; anything else is not.
    expect([0, 3, 99], `loadgate run exited ${result.code}\n${result.stderr.slice(-3000)}`).toContain(result.code);
    runDir = runDirOf(result);
    analysis = AnalysisSchema.parse(JSON.parse(await readFile(join(runDir, 'analysis.json'), 'utf8')));
    verdict = VerdictSchema.parse(JSON.parse(await readFile(join(runDir, 'verdict.json'), 'utf8')));
  }, 240_000);

  afterAll(async () => {
    await target?.close();
    await influxd?.stop();
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  it("the live points carry testid, phase, scenario, name and stage as tags, and nothing that could hold a URL or an error's text", async () => {
    const live = JSON.stringify(MEASUREMENTS.live);
    const keys = (await influxQuery(influxd.url, DB, `SHOW TAG KEYS FROM ${live}`)).flatMap((s) => s.values.map((v) => String(v[0])));
    expect(keys.sort()).toEqual(['name', 'phase', 'scenario', 'stage', 'testid']);
    const fields = (await influxQuery(influxd.url, DB, `SHOW FIELD KEYS FROM ${live}`)).flatMap((s) => s.values.map((v) => String(v[0])));
    for (const forbidden of ['url', 'error', 'error_code']) expect(fields).not.toContain(forbidden);
    expect(fields).toEqual(expect.arrayContaining(['requests', 'errors', 'timeouts', 'p95', 'hist']));
    const runs = (await influxQuery(influxd.url, DB, `SHOW TAG VALUES FROM ${live} WITH KEY = "testid"`)).flatMap((s) =>
      s.values.map((v) => v[1]),
    );
    expect(runs).toEqual([analysis.run.runId]);
    // The default mode asks k6 for no InfluxDB output of its own.
    const measurements = (await influxQuery(influxd.url, DB, 'SHOW MEASUREMENTS')).flatMap((s) => s.values.map((v) => String(v[0])));
    expect(measurements).not.toContain('http_reqs');
  });

  /** Runs every query of both dashboards, in both forms, with these variable values; returns what failed. */
  async function proveAll(vars: Record<string, VariableValue>): Promise<{ count: number; failures: string[] }> {
    const from = new Date(startedMs - 60_000);
    const to = new Date(endedMs + 60_000);
    const failures: string[] = [];
    let count = 0;
    for (const { form, dashboard } of dashboardsAsLoaded()) {
      for (const item of listDashboardQueries(dashboard)) {
        count++;
        const where = `${item.dashboard} (${form}) ${item.where}`;
        const query = substituteMacros(item.query, { from, to, intervalMs: 1000, vars });
        const left = unresolved(query);
        if (left.length > 0) {
          failures.push(`${where}: unresolved ${left.join(', ')} in ${query}`);
          continue;
        }
        try {
          const series = await influxQuery(influxd.url, DB, query);
          if (seriesWithData(series).length === 0) failures.push(`${where}: no data\n    ${query}`);
        } catch (err) {
          failures.push(`${where}: ${(err as Error).message}`);
        }
      }
    }
    return { count, failures };
  }

  it('every panel, variable and annotation query returns data, in both forms', async () => {
    const { count, failures } = await proveAll({ testid: analysis.run.runId, endpoint: ALL, phase: 'phase2', scenario: ALL });
    expect(count).toBeGreaterThan(60);
    expect(failures, failures.join('\n')).toEqual([]);
  });

  it('the imported form queries the datasource picked at import, everywhere', () => {
    const imported = dashboardsAsLoaded().filter((d) => d.form === 'import');
    expect(imported).toHaveLength(2);
    for (const { file, dashboard } of imported) {
      const json = JSON.stringify(dashboard);
      expect(json, file).not.toContain('${' + DATASOURCE_INPUT.name + '}');
      expect(
        json.match(/"datasource":\{[^}]*\}/g)?.every((ref) => ref === `"datasource":${JSON.stringify(TEST_DATASOURCE)}`),
        file,
      ).toBe(true);
    }
  });

  it('every stat panel whose query returns text is set to show that text field', async () => {
    const vars: Record<string, VariableValue> = { testid: analysis.run.runId, endpoint: ALL, phase: 'phase2', scenario: ALL };
    const ctx = { from: new Date(startedMs - 60_000), to: new Date(endedMs + 60_000), intervalMs: 1000, vars };
    const textStats: string[] = [];
    for (const { form, dashboard } of dashboardsAsLoaded()) {
      for (const p of (dashboard.panels ?? []) as unknown as StatPanel[]) {
        if (p.type !== 'stat') continue;
        for (const t of p.targets ?? []) {
          for (const s of seriesWithData(await influxQuery(influxd.url, DB, substituteMacros(t.query, ctx)))) {
            s.columns.forEach((column, i) => {
              if (column === 'time' || !s.values.some((row) => typeof row[i] === 'string')) return;
              // The field's name as Grafana's InfluxDB datasource gives it: the alias, else measurement.column.
              const name = t.alias ?? `${s.name}.${column}`;
              const where = `${dashboard.uid} (${form}) "${p.title}" ${name}`;
              textStats.push(where);
              const fields = p.options?.reduceOptions?.fields ?? '';
              const re = /^\/(.*)\/([a-z]*)$/.exec(fields);
              expect(re, `${where}: reduceOptions.fields must select it (stat shows numeric fields only)`).not.toBeNull();
              expect(new RegExp(re![1]!, re![2]).test(name), `${where}: ${fields} does not match`).toBe(true);
              expect(p.options?.reduceOptions, where).toMatchObject({ calcs: ['lastNotNull'], values: false });
              expect(p.options, where).toMatchObject({ textMode: 'value', colorMode: 'none' });
            });
          }
        }
      }
    }
    // the stage, in both forms of the live dashboard
    expect(textStats).toEqual(['loadgate-live (provisioned) "Stage" stage', 'loadgate-live (import) "Stage" stage']);
  });

  it('every query also returns data with one endpoint of each group selected, and with one scenario', async () => {
    // Per group, its busiest endpoint of this run: the flows pick endpoints at random, and a short
    // run may send none to a rare one, which then has no data in any panel, rightly.
    const groups = ['auth', 'user', 'monitoring', 'probes'];
    const busiest = groups.map(
      (g) =>
        analysis.endpoints.filter((e) => e.group === g && e.total.requests > 0).sort((a, b) => b.total.requests - a.total.requests)[0]
          ?.name,
    );
    expect(
      busiest.every((n) => n !== undefined),
      `an endpoint group got no request: ${JSON.stringify(busiest)}`,
    ).toBe(true);
    const selections: Record<string, VariableValue>[] = [
      {
        testid: analysis.run.runId,
        endpoint: busiest as string[],
        phase: 'phase2',
        scenario: ALL,
      },
      { testid: analysis.run.runId, endpoint: ALL, phase: 'phase2', scenario: 'journey' },
    ];
    for (const vars of selections) {
      const { failures } = await proveAll(vars);
      expect(failures, `${JSON.stringify(vars)}\n${failures.join('\n')}`).toEqual([]);
    }
  });

  it('with a single endpoint selected, only the panels of the other groups are empty', async () => {
    const { failures } = await proveAll({ testid: analysis.run.runId, endpoint: 'auth.login', phase: 'phase2', scenario: ALL });
    const unexpected = failures.filter((f) => !/ — (user|monitoring|probes)" \w+: no data/.test(f));
    expect(unexpected, unexpected.join('\n')).toEqual([]);
    // …and those panels are empty for the right reason: each of them is one group's.
    expect(failures.length).toBeGreaterThan(0);
  });

  it("the live dashboard counts the load: the readiness checks beside it and k6's setup() are in no request count, error rate or endpoint list", async () => {
    const raw = (await rawPoints(runDir)).filter((p) => p.metric === 'http_reqs');
    expect(raw.some(isReadiness)).toBe(true);
    const live = JSON.parse(generateDashboards()[DASHBOARD_FILES.live] as string) as Dashboard;
    const vars: Record<string, VariableValue> = { testid: analysis.run.runId, endpoint: ALL, phase: 'phase2', scenario: ALL };
    const ctx = { from: new Date(startedMs - 60_000), to: new Date(endedMs + 60_000), intervalMs: 1000, vars };
    const run = async (where: string) => {
      const item = listDashboardQueries(live).find((i) => i.where === where);
      if (!item)
        throw new Error(
          `no query at ${where}: ${listDashboardQueries(live)
            .map((i) => i.where)
            .join(', ')}`,
        );
      return influxQuery(influxd.url, DB, substituteMacros(item.query, ctx));
    };
    const requests = await run('panel "Requests" A');
    // The load's requests: neither the readiness checks nor k6's setup() (the session pool's logins), as in the analysis.
    expect(requests[0]?.values[0]?.[1]).toBe(raw.filter((p) => !isReadiness(p) && p.data.tags?.['group'] !== SETUP_GROUP).length);
    const names = (await run('variable endpoint')).flatMap((s) => s.values.map((v) => String(v[1])));
    expect(names).not.toContain(READINESS_REQUEST_NAME);
    expect(names.sort()).toEqual(
      analysis.endpoints
        .filter((e) => e.total.requests > 0)
        .map((e) => e.name)
        .sort(),
    );
  });

  it("the live dashboard's figures are the analysis's: requests and error and timeout rates exactly, the table's P95 within the histogram's stated error", async () => {
    const live = JSON.parse(generateDashboards()[DASHBOARD_FILES.live] as string) as Dashboard;
    const vars: Record<string, VariableValue> = { testid: analysis.run.runId, endpoint: ALL, phase: 'phase2', scenario: ALL };
    const ctx = { from: new Date(startedMs - 60_000), to: new Date(endedMs + 60_000), intervalMs: 1000, vars };
    const run = async (where: string) => {
      const item = listDashboardQueries(live).find((i) => i.where === where);
      if (!item) throw new Error(`no query at ${where}`);
      return influxQuery(influxd.url, DB, substituteMacros(item.query, ctx));
    };
    const first = async (where: string) => (await run(where))[0]?.values[0]?.[1];
    const all = analysis.totals.all;
    expect(await first('panel "Requests" A')).toBe(all.requests);
    expect(await first('panel "Error rate" A')).toBeCloseTo(all.errorRate as number, 12);
    expect(await first('panel "Timeout rate" A')).toBeCloseTo(all.timeoutRate as number, 12);
    const table = await run('panel "Endpoints in this run" A');
    const called = analysis.endpoints.filter((e) => e.total.requests > 0);
    expect(table.map((s) => s.tags?.['name']).sort()).toEqual(called.map((e) => e.name).sort());
    for (const ep of called) {
      const s = table.find((x) => x.tags?.['name'] === ep.name)!;
      const row = s.values[0]!;
      const col = (name: string) => row[s.columns.indexOf(name)] as number;
      expect(col('requests'), ep.name).toBe(ep.total.requests);
      const exact = ep.total.durationMs.p95 as number;
      expect(Math.abs(col('p95') - exact), `${ep.name} p95 ${col('p95')} vs ${exact}`).toBeLessThanOrEqual(
        Math.max(HDR_RELATIVE_ERROR * exact, HDR_ABSOLUTE_ERROR_MS) + 1e-9,
      );
    }
  });

  it('every endpoint the run called has a P95 series on the live dashboard', async () => {
    const called = analysis.endpoints.filter((e) => e.total.requests > 0).map((e) => e.name);
    const series = await influxQuery(
      influxD(),
      DB,
      `SELECT max("p95") FROM ${JSON.stringify(MEASUREMENTS.live)} WHERE "testid" = '${analysis.run.runId}' GROUP BY "name"`,
    );
    expect(
      seriesWithData(series)
        .map((s) => s.tags?.['name'])
        .sort(),
    ).toEqual([...called].sort());
  });

  it('the summary points equal analysis.json, at the run start, with the verdict per endpoint', async () => {
    const rows = await influxQuery(
      influxd.url,
      DB,
      `SELECT * FROM "${HISTORY_RP}"."loadgate_summary" WHERE "testid" = '${analysis.run.runId}'`,
    );
    expect(rows).toHaveLength(1);
    const s = rows[0]!;
    const col = (row: unknown[], name: string) => row[s.columns.indexOf(name)];
    const byEndpoint = new Map(s.values.map((row) => [String(col(row, 'endpoint')), row]));
    expect([...byEndpoint.keys()].sort()).toEqual(analysis.endpoints.map((e) => e.name).sort());
    const startMs = Date.parse(analysis.run.startedAt!);
    const worst = (name: string) => {
      const statuses = verdict.rows.filter((r) => r.endpoint === name && r.gating).map((r) => r.status);
      return (['fail', 'inconclusive', 'pass'] as const).find((st) => statuses.includes(st)) ?? 'none';
    };
    for (const ep of analysis.endpoints) {
      const row = byEndpoint.get(ep.name)!;
      const t = ep.total;
      const timeouts = t.outcomes.timeout + t.outcomes.dialTimeout;
      const got = {
        time: col(row, 'time'),
        phase: col(row, 'phase'),
        scenario: col(row, 'scenario'),
        group: col(row, 'group'),
        verdict: col(row, 'verdict'),
        requests: col(row, 'requests'),
        p50: col(row, 'p50') ?? null,
        p95: col(row, 'p95') ?? null,
        p99: col(row, 'p99') ?? null,
        p95_censored: col(row, 'p95_censored') ?? null,
        errors: col(row, 'errors'),
        error_rate: col(row, 'error_rate') ?? null,
        timeouts: col(row, 'timeouts'),
        timeout_rate: col(row, 'timeout_rate') ?? null,
        achieved_rps: col(row, 'achieved_rps') ?? null,
      };
      expect(got, ep.name).toEqual({
        time: startMs,
        phase: analysis.run.phase,
        scenario: analysis.run.scenario,
        group: ep.group,
        verdict: worst(ep.name),
        requests: t.requests,
        p50: t.durationMs.p50,
        p95: t.durationMs.p95,
        p99: t.durationMs.p99,
        p95_censored: t.censored.p95,
        errors: t.requests - t.outcomes.ok,
        error_rate: t.errorRate,
        timeouts,
        timeout_rate: t.timeoutRate,
        achieved_rps: t.rps,
      });
    }
    const run = await influxQuery(
      influxd.url,
      DB,
      `SELECT * FROM "${HISTORY_RP}"."loadgate_runs" WHERE "testid" = '${analysis.run.runId}'`,
    );
    expect(run[0]?.values).toHaveLength(1);
    const r = run[0]!;
    const rc = (name: string) => r.values[0]![r.columns.indexOf(name)];
    expect({ verdict: rc('verdict'), requests: rc('requests'), time: rc('time') }).toEqual({
      verdict: verdict.status,
      requests: analysis.totals.all.requests,
      time: startMs,
    });
  });

  const influxD = () => influxd.url;
});
