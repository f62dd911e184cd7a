/**
 * The readiness scenario's samples are kept apart: they are in no endpoint, stage, total or
 * series, and its check samples are counted in `readiness`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { READINESS_METRIC, READINESS_REQUEST_NAME, READINESS_SCENARIO } from '../shared/readiness.ts';
import { analyzeRun } from './analyze.ts';
import { AnalysisSchema } from '../contract/analysis.ts';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
const point = (metric: string, s: number, value: number, tags: Record<string, string>) =>
  JSON.stringify({ metric, type: 'Point', data: { time: at(s), value, tags } });

describe('readiness samples in the analysis', () => {
  it('count in readiness only, never in a load figure, and tally each check by endpoint and stage', async () => {
    const lines: string[] = [];
    for (let s = 1; s <= 20; s++) {
      lines.push(point('vus', s, 3, {}));
      // The load: ten requests a second to one endpoint.
      for (let i = 0; i < 10; i++) {
        const tags = { name: 'api.get', stage: 'hold', scenario: 'journey', status: '200', method: 'GET' };
        lines.push(point('http_req_duration', s + i / 10, 12, tags), point('http_reqs', s + i / 10, 1, tags));
      }
      lines.push(point('iterations', s, 1, { scenario: 'journey' }));
      // The readiness checks: three requests a second, their own iterations, a late one that must not stretch the run.
      const r = { scenario: READINESS_SCENARIO, stage: 'hold' };
      for (const endpoint of ['probes.live', 'monitoring.metrics', 'user.me']) {
        const tags = { ...r, name: READINESS_REQUEST_NAME, endpoint, status: '200', method: 'GET' };
        lines.push(point('http_req_duration', s + 0.5, 900, tags), point('http_req_waiting', s + 0.5, 890, tags));
      }
      lines.push(point('iterations', s, 1, { scenario: READINESS_SCENARIO }));
      lines.push(point(READINESS_METRIC, s + 0.5, s % 4 === 0 ? 0 : 1, { ...r, check: 'probes.latency', endpoint: 'probes.live' }));
      lines.push(point(READINESS_METRIC, s + 0.5, 1, { ...r, check: 'security.content-type-options', endpoint: 'user.me' }));
    }
    lines.push(point('dropped_iterations', 10, 2, { scenario: READINESS_SCENARIO }));
    lines.push(
      point('http_req_duration', 25, 900, { scenario: READINESS_SCENARIO, name: READINESS_REQUEST_NAME, stage: 'hold', status: '200' }),
    );
    const dir = await mkdtemp(join(tmpdir(), 'loadgate-readiness-'));
    dirs.push(dir);
    await writeFile(join(dir, 'raw.ndjson'), `${lines.join('\n')}\n`);
    const a = AnalysisSchema.parse(await analyzeRun(dir));

    expect(a.totals.requests).toBe(200);
    expect(a.totals.iterations).toBe(20);
    expect(a.totals.droppedIterations).toBe(0);
    expect(a.endpoints.map((e) => e.name)).toEqual(['api.get']);
    expect(a.totals.all.durationMs.max).toBe(12);
    expect(Object.keys(a.series.endpoints)).toEqual(['api.get']);
    expect(a.series.endpoints['api.get']?.requests.reduce((x, y) => x + y, 0)).toBe(200);
    expect(a.stages.map((s) => s.requests)).toEqual([200]);
    // The late readiness sample at 25 s does not stretch the run (its last load sample is at 20.9 s).
    expect(a.run.durationS).toBeLessThan(22);
    expect(a.input.skipped.unknownMetric).toBe(0);
    expect(a.totals.vusPeak).toBe(3);

    const r = a.readiness!;
    expect(r).toMatchObject({ scenario: READINESS_SCENARIO, requests: 61, iterations: 20, droppedIterations: 2 });
    expect(r.checks.map((c) => c.id)).toEqual(['security.content-type-options', 'probes.latency']);
    expect(r.checks[1]).toEqual({
      id: 'probes.latency',
      passes: 15,
      fails: 5,
      byEndpoint: { 'probes.live': { passes: 15, fails: 5 } },
      byStage: { hold: { passes: 15, fails: 5 } },
    });
  });
});
