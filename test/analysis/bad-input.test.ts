/**
 * Bad input never crashes the analysis nor loses data silently: each kind is counted, named
 * in the warnings, and an analysis is still produced. Empty results are a DataError.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeRun, runWindow } from '../../lib/analysis/analyze.ts';
import { AnalysisSchema, type Analysis } from '../../lib/contract/analysis.ts';
import { DataError } from '../../lib/contract/errors.ts';
import { benchOptions } from './generate.ts';
import { generated, tempDir, writeRunDir } from './helpers.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function dir(): Promise<string> {
  const d = await tempDir();
  dirs.push(d);
  return d;
}

const { lines, plan } = generated(benchOptions(0.02, 3));
const requests = lines.filter((l) => l.startsWith('{"metric":"http_req_duration"')).length;

describe('bad input', () => {
  it('a truncated gzip: what was read is analysed, marked truncated, with a warning', async () => {
    const d = await dir();
    const gz = gzipSync(Buffer.from(`${lines.join('\n')}\n`));
    await writeRunDir(d, { plan, raw: { 'raw.ndjson.gz': gz.subarray(0, Math.floor(gz.length * 0.6)) } });
    const a = await analyzeRun(d);
    expect(() => AnalysisSchema.parse(a)).not.toThrow();
    expect(a.input.truncated).toBe(true);
    expect(a.input.warnings.join('\n')).toMatch(/raw\.ndjson\.gz: the gzip stream is cut short or corrupt \(unexpected end of file\)/);
    expect(a.totals.requests).toBeGreaterThan(requests * 0.3);
    expect(a.totals.requests).toBeLessThan(requests);
    expect(a.input.skipped.tornLastLine).toBeLessThanOrEqual(1);
  });

  it('corrupt gzip data after a good start: kept up to the damage', async () => {
    const d = await dir();
    const gz = Buffer.from(gzipSync(Buffer.from(`${lines.join('\n')}\n`)));
    for (let i = Math.floor(gz.length / 2); i < Math.floor(gz.length / 2) + 64; i++) gz[i] = 0xff;
    await writeRunDir(d, { plan, raw: { 'raw.ndjson.gz': gz } });
    const a = await analyzeRun(d);
    expect(a.input.truncated).toBe(true);
    expect(a.totals.requests).toBeGreaterThan(0);
  });

  it('a torn last line, non-JSON lines and JSON that is not a sample: counted, the rest analysed', async () => {
    const d = await dir();
    const bad = [
      ...lines.slice(0, 100),
      'garbage',
      '{"half": ',
      '[1,2,3]',
      '{"metric":"http_req_duration","type":"Point","data":{"time":"not a time","value":1,"tags":{}}}',
      ...lines.slice(100),
    ];
    const text = `${bad.join('\n')}\n{"metric":"http_req_duration","type":"Point","data":{"time":"2026-11-22T10:00:0`;
    await writeRunDir(d, { plan, raw: { 'raw.ndjson': Buffer.from(text) } });
    const a = await analyzeRun(d);
    expect(a.input.skipped).toMatchObject({ badJson: 4, tornLastLine: 1 });
    expect(a.totals.requests).toBe(requests);
    expect(a.input.warnings.join('\n')).toMatch(/4 line\(s\) that are not k6 JSON samples skipped, e\.g\. "garbage"/);
    expect(a.input.warnings.join('\n')).toMatch(/1 incomplete last line/);
  });

  it('metrics it does not know are counted by name; other key orders still parse', async () => {
    const d = await dir();
    const extra = [
      '{"metric":"ws_sessions","type":"Point","data":{"time":"2026-11-22T10:00:01Z","value":1,"tags":{}}}',
      '{"metric":"ws_sessions","type":"Point","data":{"time":"2026-11-22T10:00:01Z","value":1,"tags":{}}}',
      // Same sample, keys in another order: the slow path reads it.
      '{"type":"Point","data":{"tags":{"name":"probes.health","stage":"warm-up","scenario":"journey","status":"200"},"value":0.5,"time":"2026-11-22T10:00:00.5Z"},"metric":"http_req_duration"}',
    ];
    await writeRunDir(d, { plan, raw: { 'raw.ndjson.gz': [...lines, ...extra] } });
    const a = await analyzeRun(d);
    expect(a.input.skipped.unknownMetric).toBe(2);
    expect(a.input.warnings.join('\n')).toMatch(/ws_sessions \(2\)/);
    expect(a.totals.requests).toBe(requests + 1);
    expect(a.endpoints.find((e) => e.name === 'probes.health')?.total.durationMs.min).toBe(0.5);
  });

  it('untagged samples are counted, kept in the totals, and named in the warnings', async () => {
    const d = await dir();
    const extra = [
      '{"metric":"http_req_duration","type":"Point","data":{"time":"2026-11-22T10:00:01Z","value":3,"tags":{"status":"200","scenario":"x"}}}',
      '{"metric":"http_req_duration","type":"Point","data":{"time":"2026-11-22T10:00:01Z","value":4,"tags":{"name":"probes.health","status":"200","scenario":"journey"}}}',
      '{"metric":"http_req_duration","type":"Point","data":{"time":"2026-11-22T10:00:01Z","value":5,"tags":null}}',
    ];
    await writeRunDir(d, { plan, raw: { 'raw.ndjson.gz': [...lines, ...extra] } });
    const a = await analyzeRun(d);
    // Two without a name; the named one has no stage tag, and is placed by its time from the load start.
    expect(a.input.skipped.untagged).toBe(2);
    expect(a.totals.requests).toBe(requests + 3);
    const health = a.endpoints.find((e) => e.name === 'probes.health');
    const byStage = Object.values(health?.byStage ?? {}).reduce((n, s) => n + s.requests, 0);
    expect(health?.total.requests).toBe(byStage);
    expect(a.input.warnings.join('\n')).toMatch(/2 request or check sample\(s\) without a "name" tag, or without a stage/);
    // Without the load start (a file k6 wrote with neither), a request without a stage tag is in no stage.
    const d2 = await dir();
    await writeRunDir(d2, { plan, raw: { 'raw.ndjson.gz': [...lines.filter((l) => !l.includes('loadgate_load_start')), ...extra] } });
    const b = await analyzeRun(d2);
    const health2 = b.endpoints.find((e) => e.name === 'probes.health');
    expect(Object.values(health2?.byStage ?? {}).reduce((n, s) => n + s.requests, 0)).toBe(0);
    expect(b.input.skipped.untagged).toBe(requests + 3 + b.totals.checks.passes + b.totals.checks.fails);
  });

  it('empty results are a DataError with a clear message', async () => {
    const d = await dir();
    await writeRunDir(d, { plan, raw: { 'raw.ndjson.gz': [] } });
    await expect(analyzeRun(d)).rejects.toThrow(DataError);
    await expect(analyzeRun(d)).rejects.toThrow(/no k6 samples in raw\.ndjson\.gz: they are empty/);
    const d2 = await dir();
    await writeRunDir(d2, { plan, raw: { 'raw.ndjson': Buffer.alloc(0) } });
    await expect(analyzeRun(d2)).rejects.toThrow(/no k6 samples/);
    const d3 = await dir();
    await writeRunDir(d3, { plan, raw: { 'raw.ndjson.gz': [lines[0] as string, 'nope'] } });
    await expect(analyzeRun(d3)).rejects.toThrow(/2 lines, none of them a k6 sample/);
  });

  it('a missing raw file, or a directory without any, is a DataError naming it', async () => {
    const d = await dir();
    await writeRunDir(d, { plan, raw: { 'raw.ndjson.gz': lines } });
    const record = JSON.parse(readFileSync(join(d, 'run.json'), 'utf8')) as { rawFiles: string[] };
    record.rawFiles = ['raw-missing.ndjson.gz'];
    writeFileSync(join(d, 'run.json'), JSON.stringify(record));
    await expect(analyzeRun(d)).rejects.toThrow(/cannot read raw results .*raw-missing\.ndjson\.gz: ENOENT/);
    const d2 = await dir();
    await writeRunDir(d2, { plan, raw: {}, record: null });
    await expect(analyzeRun(d2)).rejects.toThrow(/no raw results in/);
    await expect(analyzeRun(join(d2, 'nope'))).rejects.toThrow(/does not exist/);
  });

  it('without plan.json or run.json: an analysis from the samples alone, saying so', async () => {
    const d = await dir();
    // What `k6 run` of a bundle on its own writes: a stage tag on every sample, the only record of the stages.
    const tagged = generated({ ...benchOptions(0.02, 3), stageTags: true }).lines;
    await writeRunDir(d, { plan: null, raw: { 'raw.ndjson.gz': tagged }, record: null });
    const a = await analyzeRun(d);
    expect(a.run.status).toBe('unknown');
    expect(a.settings.seriesIntervalS).toBe(10);
    expect(a.stages.map((s) => s.name)).toEqual(['warm-up', 'ramp-up', 'steady', 'spike', 'ramp-down']);
    expect(a.input.warnings.join('\n')).toMatch(/no plan\.json/);
    expect(a.totals.requests).toBe(requests);
  });

  it('a run cut off while running is analysed and flagged', async () => {
    const d = await dir();
    await writeRunDir(d, { plan, raw: { 'raw.ndjson.gz': lines }, record: { status: 'running', endedAt: null, k6ExitCode: null } });
    const a = await analyzeRun(d);
    expect(a.run.status).toBe('unknown');
    expect(a.input.warnings.join('\n')).toMatch(/run\.json still says "running"/);
    const d2 = await dir();
    await writeRunDir(d2, { plan, raw: { 'raw.ndjson.gz': lines }, record: { status: 'interrupted', k6ExitCode: 130 } });
    expect((await analyzeRun(d2)).run).toMatchObject({ status: 'interrupted', k6ExitCode: 130 });
  });

  describe('samples far outside the run window', () => {
    // The fixture's plan: stages to 12 s, no gracefulStop (k6's 30 s), margin 60 s: a window
    // of -60 s to 102 s from the test start (2026-11-22T10:00:00Z).
    const at = (iso: string, metric = 'http_req_duration', value = 12) =>
      `{"metric":"${metric}","type":"Point","data":{"time":"${iso}","value":${value},"tags":{"name":"probes.health","scenario":"journey","stage":"steady","status":"200"}}}`;
    const dayLate = [at('2026-11-23T10:00:05Z'), at('2026-11-23T10:00:05Z', 'vus', 999), at('2026-11-23T10:00:06Z', 'checks', 0)];
    const dayEarly = at('2026-11-21T10:00:05Z');
    const comparable = (a: Analysis) => ({ ...a, generatedAt: '', input: { ...a.input, lines: 0, points: 0, skipped: {}, warnings: [] } });

    it('are counted out of window and left out: the run, its series and its figures are those without them', async () => {
      const clean = await dir();
      await writeRunDir(clean, { plan, raw: { 'raw.ndjson.gz': lines } });
      const base = await analyzeRun(clean);
      const d = await dir();
      // A day early as the very first line (the head the test start is read from), a day late at the end.
      await writeRunDir(d, { plan, raw: { 'raw.ndjson.gz': [dayEarly, ...lines, ...dayLate] } });
      const a = await analyzeRun(d);
      expect(() => AnalysisSchema.parse(a)).not.toThrow();
      expect(a.input.skipped).toEqual({ ...base.input.skipped, outOfWindow: 4 });
      expect(a.input.points).toBe(base.input.points + 4);
      expect(a.run.startedAt).toBe(base.run.startedAt);
      expect(a.run.durationS).toBe(base.run.durationS);
      expect(a.run.durationS).toBeLessThan(13);
      expect(a.series.t.length).toBe(base.series.t.length);
      expect(a.totals.vusMax).toBe(base.totals.vusMax);
      expect(comparable(a)).toEqual(comparable(base));
      expect(a.input.warnings.join('\n')).toContain(
        '4 sample(s) timestamped outside the planned window (-60 s to 102 s: stages to 12 s, graceful stop 30 s, margin 60 s) (from 24 h before the start to 24 h after the start): counted as out of window',
      );
    });

    it("the window is the plan's stages, graceful stop and margin: a late sample inside it is kept", async () => {
      const d = await dir();
      const withStop = { ...plan, k6Options: { scenarios: { journey: { executor: 'ramping-arrival-rate', gracefulStop: '5s' } } } };
      expect(runWindow(withStop)?.toS).toBe(12 + 5 + 60);
      // 70 s after the start is inside (kept, and the run now lasts 70 s); 80 s is outside.
      await writeRunDir(d, {
        plan: withStop,
        raw: { 'raw.ndjson.gz': [...lines, at('2026-11-22T10:01:10Z'), at('2026-11-22T10:01:20Z')] },
      });
      const a = await analyzeRun(d);
      expect(a.input.skipped.outOfWindow).toBe(1);
      expect(a.run.durationS).toBeCloseTo(70, 2);
      expect(a.totals.requests).toBe(requests + 1);
      expect(a.input.warnings.join('\n')).toMatch(
        /1 sample\(s\) timestamped outside the planned window \(-60 s to 77 s.*\(80 s after the start\)/,
      );
    });

    it('without VU samples to check the start against, the earliest sample is the start', async () => {
      const d = await dir();
      const noVus = lines.filter((l) => !l.startsWith('{"metric":"vus'));
      await writeRunDir(d, { plan, raw: { 'raw.ndjson.gz': noVus } });
      const a = await analyzeRun(d);
      expect(a.totals.requests).toBe(requests);
      expect(a.input.skipped.outOfWindow).toBe(0);
      const first = noVus.find((l) => l.startsWith('{"metric"')) as string;
      expect(a.run.startedAt).toBe(new Date((JSON.parse(first) as { data: { time: string } }).data.time).toISOString());
    });

    it("without a plan, run.json's end bounds the window", async () => {
      const d = await dir();
      await writeRunDir(d, {
        plan: null,
        raw: { 'raw.ndjson.gz': [...lines, ...dayLate] },
        record: { endedAt: '2026-11-22T10:00:13.000Z' },
      });
      const a = await analyzeRun(d);
      expect(a.input.skipped.outOfWindow).toBe(3);
      expect(a.run.durationS).toBeLessThan(13);
      expect(a.input.warnings.join('\n')).toMatch(
        /3 sample\(s\) timestamped outside the run's window \(-60 s to 73 s: run\.json's end at 13 s/,
      );
    });
  });
});
