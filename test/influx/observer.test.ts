/**
 * The InfluxDB observer against a real influxd: setup, the unreachable cases, and InfluxDB
 * dying under it. The whole-run versions (real k6, real CLI) are in resilience.test.ts.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfraError } from '../../lib/contract/errors.ts';
import { HISTORY_RP } from '../../lib/contract/influx.ts';
import { createInfluxObserver } from '../../lib/influx/observer.ts';
import { startInfluxd, type InfluxdHandle } from '../support/influxd.ts';
import { freePort } from '../../lib/k6/runner.ts';
import type { Plan } from '../../lib/contract/plan.ts';
import type { RunRecord } from '../../lib/contract/run.ts';
import { phaseRun } from '../fixtures/report/make-analysis.ts';
import { verdictFor } from '../fixtures/report/make-verdict.ts';
import { influxQuery } from './helpers.ts';

const plan = {
  runId: 'obs-run-1',
  scenario: 'journey',
  profile: 'smoke',
  phase: 'phase2',
  thresholdSet: 'phase2',
  endpoints: [
    { name: 'auth.login', group: 'auth', probe: false, expectStatus: [200] },
    { name: 'probes.health', group: 'probes', probe: true, expectStatus: [200] },
  ],
  stages: [{ name: 'smoke', startS: 0, endS: 10, fromRps: 5, toRps: 5 }],
} as unknown as Plan;
const record = {
  runId: 'obs-run-1',
  status: 'running',
  startedAt: new Date(Date.now() - 5000).toISOString(),
  endedAt: null,
  k6ExitCode: null,
} as unknown as RunRecord;

describe('createInfluxObserver', () => {
  let influxd: InfluxdHandle;
  let dir: string;
  beforeAll(async () => {
    influxd = await startInfluxd();
    dir = await mkdtemp(join(tmpdir(), 'loadgate-observer-'));
  });
  afterAll(async () => {
    await influxd?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('aggregate mode (the default): k6 is handed no InfluxDB output', async () => {
    const setup = await createInfluxObserver({ url: `${influxd.url}/k6`, required: true });
    expect(setup.k6Output).toBe('');
    expect(setup.k6Env).toEqual({});
    expect(setup.record).toEqual({ url: influxd.url, db: 'k6', ok: true, mode: 'aggregate' });
  });

  it('samples mode: creates the database and the history retention policy, and hands k6 its output without credentials', async () => {
    const url = new URL(influxd.url);
    // Credentials come from env, never from the URL.
    process.env['LOADGATE_INFLUX_USERNAME'] = 'loader';
    process.env['LOADGATE_INFLUX_PASSWORD'] = 's3cret';
    const setup = await createInfluxObserver({ url: `http://${url.host}/perfdb`, required: true, mode: 'samples' }).finally(() => {
      delete process.env['LOADGATE_INFLUX_USERNAME'];
      delete process.env['LOADGATE_INFLUX_PASSWORD'];
    });
    expect(setup.k6Output).toBe(`influxdb=http://${url.host}/perfdb`);
    expect(setup.k6Env).toMatchObject({
      K6_INFLUXDB_USERNAME: 'loader',
      K6_INFLUXDB_PASSWORD: 's3cret',
      K6_INFLUXDB_TAGS_AS_FIELDS: 'vu:int,iter:int,url,error',
    });
    expect(JSON.stringify(setup.record)).not.toContain('s3cret');
    const dbs = (await influxQuery(influxd.url, '', 'SHOW DATABASES')).flatMap((s) => s.values.map((v) => v[0]));
    expect(dbs).toContain('perfdb');
    const rps = (await influxQuery(influxd.url, 'perfdb', 'SHOW RETENTION POLICIES ON "perfdb"')).flatMap((s) =>
      s.values.map((v) => [v[0], v[1]]),
    );
    expect(rps).toContainEqual([HISTORY_RP, '0s']);
  });

  it('unreachable and required: fails fast with an InfraError naming the URL', async () => {
    const port = await freePort();
    const err = await createInfluxObserver({ url: `http://127.0.0.1:${port}`, required: true, pingTimeoutMs: 500 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InfraError);
    expect((err as Error).message).toContain(`http://127.0.0.1:${port}`);
    expect((err as InfraError).exitCode).toBe(4);
  });

  it('unreachable and optional: a clear warning and a no-op observer, so the run goes on', async () => {
    const port = await freePort();
    const lines: string[] = [];
    const setup = await createInfluxObserver({
      url: `http://127.0.0.1:${port}`,
      required: false,
      pingTimeoutMs: 500,
      log: (l) => lines.push(l),
    });
    expect(setup.k6Output).toBe('');
    expect(setup.k6Env).toEqual({});
    expect(setup.observer.onStart).toBeUndefined();
    expect(lines.join('\n')).toMatch(new RegExp(`warning: InfluxDB at http://127.0.0.1:${port} does not answer.*run goes on`));
  });

  it('writes events, targets and the summary; InfluxDB dying mid-run costs only its own points', async () => {
    const own = await startInfluxd();
    const lines: string[] = [];
    try {
      const setup = await createInfluxObserver({ url: `${own.url}/k6`, required: true, log: (l) => lines.push(l), requestTimeoutMs: 1000 });
      const o = setup.observer;
      await o.onStart?.(plan, { ...record, rawFiles: [] }, dir);
      await o.onStage?.(plan, plan.stages[0]!, Date.now() - 4000);
      const events = await influxQuery(own.url, 'k6', `SELECT count("text") FROM "loadgate_events" WHERE "testid" = 'obs-run-1'`);
      expect(events[0]?.values[0]?.[1]).toBe(2);
      const targets = await influxQuery(
        own.url,
        'k6',
        `SELECT last("p95_ms") FROM "loadgate_targets" WHERE "testid" = 'obs-run-1' GROUP BY "endpoint"`,
      );
      expect(targets.map((s) => [s.tags?.['endpoint'], s.values[0]?.[1]])).toEqual([
        ['auth.login', 500],
        ['probes.health', 100],
      ]);

      own.kill();
      const analysis = phaseRun('phase2', 5, {
        runId: 'obs-run-1',
        phase: 'phase2',
        scenario: 'journey',
        profile: 'smoke',
        startedAt: record.startedAt,
      });
      const analysisText = JSON.stringify(analysis);
      await writeFile(join(dir, 'analysis.json'), analysisText);
      await writeFile(join(dir, 'verdict.json'), JSON.stringify(verdictFor(analysis, 'phase2')));
      const t0 = Date.now();
      await o.onEnd?.(plan, { ...record, status: 'completed', endedAt: new Date().toISOString(), k6ExitCode: 0 });
      await o.onResults?.(dir);
      await o.close?.();
      expect(Date.now() - t0).toBeLessThan(10_000);
      const text = lines.join('\n');
      expect(text).toMatch(/stopped accepting writes.*local results are unaffected/);
      expect(text).toMatch(/could not be written to InfluxDB/);
      // once per outage, not once per point
      expect(lines.filter((l) => l.includes('stopped accepting writes'))).toHaveLength(1);
      expect(await readFile(join(dir, 'analysis.json'), 'utf8')).toBe(analysisText);
    } finally {
      await own.stop();
    }
  });
});
