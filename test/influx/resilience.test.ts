/**
 * Bad input, end to end through the real CLI and real k6: InfluxDB unreachable at the start
 * (a warning and a complete local run, or exit 4 with --influx-required before k6 starts),
 * and InfluxDB killed mid-run (no local result lost).
 */
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalysisSchema } from '../../lib/contract/analysis.ts';
import { MEASUREMENTS } from '../../lib/contract/influx.ts';
import { startInfluxd } from '../support/influxd.ts';
import { freePort } from '../../lib/k6/runner.ts';
import { startTarget, type RunningTarget } from '../../reference-api/server.ts';
import { influxQuery, runCli, runDirOf } from './helpers.ts';

describe('loadgate run --influx when InfluxDB fails', () => {
  let target: RunningTarget;
  let outDir: string;
  const base = () => [
    'run',
    '--scenario',
    'monitoring',
    '--profile',
    'smoke',
    '--phase',
    'phase3',
    '--target',
    target.url,
    '--out',
    outDir,
    '--rps',
    '200',
    '--progress',
    'none',
  ];

  beforeAll(async () => {
    target = await startTarget({ profile: 'phase3', seed: 3 });
    outDir = await mkdtemp(join(tmpdir(), 'loadgate-influx-resilience-'));
  });
  afterAll(async () => {
    await target?.close();
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  it('unreachable at the start: a clear warning, and the run completes with its local results', async () => {
    const port = await freePort();
    const result = await runCli([...base(), '--duration-scale', '0.25', '--influx', `http://127.0.0.1:${port}/k6`]);
    expect([0, 3, 99], result.stderr.slice(-2000)).toContain(result.code);
    expect(result.stderr).toMatch(new RegExp(`warning: InfluxDB at http://127\\.0\\.0\\.1:${port} does not answer /ping; the run goes on`));
    const analysis = AnalysisSchema.parse(JSON.parse(await readFile(join(runDirOf(result), 'analysis.json'), 'utf8')));
    expect(analysis.totals.requests).toBeGreaterThan(0);
  });

  it('unreachable with --influx-required: exit 4 before k6 starts, naming the URL', async () => {
    const port = await freePort();
    const result = await runCli([...base(), '--influx', `http://127.0.0.1:${port}/k6`, '--influx-required']);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain(`http://127.0.0.1:${port}`);
    expect(result.stderr).toContain('--influx-required');
    expect(result.ms).toBeLessThan(15_000);
  });

  it('killed mid-run: the run completes and every request is in the local results', async () => {
    const influxd = await startInfluxd();
    try {
      // Kill InfluxDB once the live path has written for a few seconds.
      const killer = (async () => {
        const deadline = Date.now() + 60_000;
        while (Date.now() < deadline) {
          const series = await influxQuery(influxd.url, 'k6', `SELECT count("requests") FROM "${MEASUREMENTS.live}"`).catch(() => []);
          if (((series[0]?.values[0]?.[1] as number | undefined) ?? 0) > 0) break;
          await new Promise((r) => setTimeout(r, 250));
        }
        await new Promise((r) => setTimeout(r, 1500));
        influxd.kill();
      })();
      const result = await runCli([...base(), '--duration-scale', '0.5', '--influx', `${influxd.url}/k6`]);
      await killer;
      expect([0, 3, 99], result.stderr.slice(-2000)).toContain(result.code);
      const runDir = runDirOf(result);
      const analysis = AnalysisSchema.parse(JSON.parse(await readFile(join(runDir, 'analysis.json'), 'utf8')));
      expect(analysis.run.status).toBe('completed');
      expect(analysis.input.truncated).toBe(false);
      expect(analysis.input.skipped).toEqual({ badJson: 0, tornLastLine: 0, unknownMetric: 0, untagged: 0, outOfWindow: 0 });
      // k6's own count (its end-of-test summary) equals what the local raw results hold: the load's
      // requests and, kept apart, those of the readiness checks beside it (on by default).
      const k6Summary = JSON.parse(await readFile(join(runDir, 'summary.json'), 'utf8')) as { metrics: { http_reqs: { count: number } } };
      expect(analysis.totals.requests).toBeGreaterThan(60);
      expect(analysis.readiness?.requests).toBeGreaterThan(0);
      expect(analysis.totals.requests + (analysis.readiness?.requests ?? 0)).toBe(k6Summary.metrics.http_reqs.count);
      expect(result.stderr).toMatch(/InfluxDB at http:\/\/127\.0\.0\.1:\d+ stopped accepting writes/);
    } finally {
      await influxd.stop();
    }
  });
});
