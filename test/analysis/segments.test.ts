/**
 * Execution segments: a test split across two k6 processes (`--execution-segment`), each
 * writing its own run directory, analyses (`loadgate analyze dir1 dir2`) to the result one
 * process holding every sample gives. The segments come from the test generator: the same
 * test, each process writing its share (every other request, its share of the VUs).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeRun } from '../../lib/analysis/analyze.ts';
import type { Analysis } from '../../lib/contract/analysis.ts';
import { benchOptions, type GenOptions } from './generate.ts';
import { generated, scratchDirs, writeRunDir } from './helpers.ts';
import { k6p } from './reference.ts';
import { LOAD_START_METRIC } from '../../lib/shared/defaults.ts';
import { PERCENTILES } from '../../lib/contract/percentiles.ts';

const dir = scratchDirs('loadgate-segments-');

// Load-correlated timeouts on several endpoints, a refused connection now and then, 5xx.
const opts: GenOptions = benchOptions(0.05, 23);
const whole = generated(opts);
const seg0 = generated({ ...opts, segment: { index: 0, count: 2 } });
const seg1 = generated({ ...opts, segment: { index: 1, count: 2 } });

const isPoint = (l: string) => l.startsWith('{"metric"');
const durations = (lines: readonly string[]) =>
  lines.filter((l) => l.startsWith('{"metric":"http_req_duration"')).map((l) => (JSON.parse(l) as { data: { value: number } }).data.value);

describe('execution segments in separate run directories', () => {
  let one: Analysis;
  let merged: Analysis;
  let oneDir: string;
  let dir0: string;
  let dir1: string;

  beforeAll(async () => {
    oneDir = await dir();
    dir0 = await dir();
    dir1 = await dir();
    await writeRunDir(oneDir, { plan: whole.plan, raw: { 'raw.ndjson.gz': whole.lines } });
    await writeRunDir(dir0, { plan: seg0.plan, raw: { 'raw.ndjson.gz': seg0.lines } });
    await writeRunDir(dir1, { plan: seg1.plan, raw: { 'raw.ndjson.gz': seg1.lines } });
    one = await analyzeRun(oneDir, { percentiles: 'exact' });
    merged = await analyzeRun([dir0, dir1], { percentiles: 'exact' });
  });

  it('the generator splits the test: every request in exactly one segment, the VUs shared out', () => {
    const req = (ls: readonly string[]) => ls.filter((l) => l.startsWith('{"metric":"http_reqs"')).length;
    expect(req(seg0.lines) + req(seg1.lines)).toBe(req(whole.lines));
    expect(Math.abs(req(seg0.lines) - req(seg1.lines))).toBeLessThanOrEqual(1);
    // Each process writes the load start once, and its share of the rest.
    const start = (ls: readonly string[]) => ls.filter((l) => isPoint(l) && l.startsWith(`{"metric":"${LOAD_START_METRIC}"`)).length;
    expect([start(seg0.lines), start(seg1.lines), start(whole.lines)]).toEqual([1, 1, 1]);
    const nonVus = (ls: readonly string[]) =>
      ls.filter((l) => isPoint(l) && !l.startsWith('{"metric":"vus') && !l.startsWith(`{"metric":"${LOAD_START_METRIC}"`)).length;
    expect(nonVus(seg0.lines) + nonVus(seg1.lines)).toBe(nonVus(whole.lines));
    const vusSum = (ls: readonly string[]) =>
      ls.filter((l) => l.startsWith('{"metric":"vus"')).reduce((n, l) => n + (JSON.parse(l) as { data: { value: number } }).data.value, 0);
    expect(vusSum(seg0.lines) + vusSum(seg1.lines)).toBe(vusSum(whole.lines));
    expect(durations(seg0.lines).length).toBeGreaterThan(1000);
  });

  it('reads both directories, one file each', () => {
    expect(merged.input.files).toHaveLength(2);
    expect(merged.input.skipped).toEqual(one.input.skipped);
    expect(merged.input.truncated).toBe(false);
  });

  it('counts, outcomes and checks equal the single process', () => {
    expect(merged.totals).toEqual(one.totals);
    expect(merged.totals.requests).toBe(durations(whole.lines).length);
    for (const e of one.endpoints) {
      const m = merged.endpoints.find((x) => x.name === e.name);
      expect(m?.total.requests, e.name).toBe(e.total.requests);
      expect(m?.total.outcomes, e.name).toEqual(e.total.outcomes);
      expect(m?.total.checks, e.name).toEqual(e.total.checks);
    }
  });

  it("exact percentiles equal the single process's and k6's definition over all samples", () => {
    const all = durations(whole.lines);
    for (const [k, p] of PERCENTILES) {
      expect(merged.totals.all.durationMs[k], k).toBe(k6p(all, p));
      expect(one.totals.all.durationMs[k], k).toBe(k6p(all, p));
    }
    expect(merged.endpoints.map((e) => [e.name, e.total.durationMs, e.total.waitingMs, e.total.connectingMs])).toEqual(
      one.endpoints.map((e) => [e.name, e.total.durationMs, e.total.waitingMs, e.total.connectingMs]),
    );
  });

  it('timeouts: counts, onsets, patterns and censoring equal the single process', () => {
    expect(one.timeouts.endpointsWithTimeouts).toBeGreaterThan(1);
    expect(merged.timeouts).toEqual(one.timeouts);
  });

  it('throughput: per stage, per endpoint and stage, and the series equal the single process', () => {
    expect(merged.stages).toEqual(one.stages);
    for (const e of one.endpoints) {
      const m = merged.endpoints.find((x) => x.name === e.name);
      expect(m?.total.rps, e.name).toBe(e.total.rps);
      expect(m?.byStage, e.name).toEqual(e.byStage);
      expect(m?.byScenario, e.name).toEqual(e.byScenario);
    }
    expect(merged.series).toEqual(one.series);
  });

  it('records each directory as a segment: its files and its requests, which add up to the total', () => {
    expect(one.segments).toBeUndefined();
    expect(merged.segments?.count).toBe(2);
    expect(merged.segments?.partial).toBe(false);
    expect(merged.segments?.list.map((x) => [x.index, x.segment, x.files.length, x.status])).toEqual([
      [1, null, 1, 'completed'],
      [2, null, 1, 'completed'],
    ]);
    const req = (ls: readonly string[]) => ls.filter((l) => l.startsWith('{"metric":"http_req_duration"')).length;
    expect(merged.segments?.list.map((x) => x.requests)).toEqual([req(seg0.lines), req(seg1.lines)]);
  });

  it('the whole analysis is the same, but for which files were read (and the segments they came from)', () => {
    const strip = (a: Analysis) => ({ ...a, generatedAt: '', input: { ...a.input, files: [], lines: 0, points: 0 }, segments: undefined });
    expect(strip(merged)).toEqual(strip(one));
    // The VU gauges are in both files: more lines and points than one process writes.
    expect(merged.input.points).toBeGreaterThan(one.input.points);
  });

  it('hdr mode: the merged histograms give the same percentiles, counts and means', async () => {
    const h1 = await analyzeRun(oneDir, { percentiles: 'hdr' });
    const hm = await analyzeRun([dir0, dir1], { percentiles: 'hdr' });
    expect(hm.settings.percentiles).toBe('hdr');
    const strip = (a: Analysis) => ({ ...a, generatedAt: '', input: { ...a.input, files: [], lines: 0, points: 0 }, segments: undefined });
    expect(strip(hm)).toEqual(strip(h1));
  });

  it('directories whose plans differ are merged with a warning that they may not be one test', async () => {
    const other = await dir();
    const plan = { ...seg1.plan, stages: seg1.plan.stages.map((s) => ({ ...s, toRps: s.toRps * 2 })) };
    await writeRunDir(other, { plan, raw: { 'raw.ndjson.gz': seg1.lines } });
    const m = await analyzeRun([dir0, other], { percentiles: 'exact' });
    expect(m.input.warnings.join('\n')).toContain(`${other} has another plan than ${dir0} (scenario, stages or endpoints differ)`);
    expect(m.stages).toEqual(merged.stages);
    expect(merged.input.warnings.join('\n')).not.toMatch(/another plan/);
  });
});
