/**
 * `loadgate run --segments N`: real k6 processes with k6's execution segments against the
 * reference API (phase3) on loopback, on a constant arrival rate. Checked against what each k6
 * process itself wrote: its raw file and its own end-of-test summary.
 */
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTarget, type RunningTarget } from '../../reference-api/server.ts';
import { cli, onlyRunDir, tempOut } from '../run/helpers.ts';
import { readGeneratorFile } from '../../lib/run/generator.ts';
import {
  alive,
  constantRateConfig,
  k6Dist,
  rawDurations,
  readAnalysisFile,
  readPlan,
  readRecord,
  summaryCounts,
  waitFor,
} from './helpers.ts';

let target: RunningTarget;

/** Requests to the plan's endpoints among durations read from raw files. */
const count = (raw: Map<string, number[]>, names: readonly string[]) => names.reduce((n, e) => n + (raw.get(e)?.length ?? 0), 0);

beforeAll(async () => {
  target = await startTarget({ profile: 'phase3', port: 0 });
});
afterAll(async () => {
  await target?.close();
});

const RPS = 60;
const SECONDS = 12;

async function segmentedRun(segments: number, extra: string[] = []) {
  const out = await tempOut('loadgate-segments-');
  const config = await constantRateConfig(out, RPS, SECONDS);
  const r = await cli([
    'run',
    '--config',
    config,
    '--scenario',
    'monitoring',
    '--profile',
    'constant',
    // Lenient targets (constantRateConfig's set): the segments' mechanics are the subject here,
    // and a busy machine can push the probes past phase1's 100 ms, which would make k6 exit 99.
    '--threshold-set',
    'segments',
    '--target',
    target.url,
    '--out',
    out,
    '--segments',
    String(segments),
    ...extra,
  ]);
  return { r, dir: await onlyRunDir(out) };
}

describe.each([2, 3])('--segments %i on a constant arrival rate', (n) => {
  let dir: string;
  let code: number | null;
  let stderr: string;

  beforeAll(async () => {
    const run = await segmentedRun(n);
    dir = run.dir;
    code = run.r.code;
    stderr = run.r.stderr;
  });

  it('runs N k6 processes with the segments and sequence the k6-operator uses, each writing its own files', async () => {
    expect(code, stderr).toBe(0);
    const record = await readRecord(dir);
    expect(record.status).toBe('completed');
    expect(record.partial).toBeUndefined();
    const sequence = n === 2 ? '0,1/2,1' : '0,1/3,2/3,1';
    const segments = n === 2 ? ['0:1/2', '1/2:1'] : ['0:1/3', '1/3:2/3', '2/3:1'];
    expect(record.segments?.map((s) => [s.index, s.segment, s.sequence, s.status, s.k6ExitCode])).toEqual(
      segments.map((s, k) => [k + 1, s, sequence, 'completed', 0]),
    );
    expect(record.rawFiles).toEqual(segments.map((_, k) => `raw.${k + 1}-of-${n}.ndjson.gz`));
    for (const s of record.segments ?? []) {
      for (const f of [s.rawFile, s.summaryFile, s.logFile]) await access(join(dir, f));
      // Each k6 got its share of the test on its command line.
      expect(await readFile(join(dir, s.logFile), 'utf8')).not.toMatch(/level=error/);
    }
    // They were started together (one resume for all).
    expect(new Set(record.segments?.map((s) => s.startedAt)).size).toBe(1);
    // k6's own CPU and memory were sampled from every segment's process, each k6 itself (setpriv exec'd it in place).
    const g = await readGeneratorFile(dir);
    expect(g?.processes.map((p) => [p.segment, p.name]).sort()).toEqual(segments.map((_, k) => [k + 1, 'k6']));
    expect(g?.samples.length).toBeGreaterThan(10);
  });

  it('the requests add up to the offered total, within counting noise', async () => {
    const plan = await readPlan(dir);
    const a = await readAnalysisFile(dir);
    const names = plan.endpoints.map((e) => e.name);
    const total = a.endpoints.filter((e) => names.includes(e.name)).reduce((s, e) => s + e.total.requests, 0);
    const offered = RPS * SECONDS;
    expect(Math.abs(total - offered), `${total} requests for ${offered} offered`).toBeLessThanOrEqual(Math.max(3, offered * 0.01));
    expect(a.totals.droppedIterations).toBe(0);
    // Every segment did about its share. k6 stripes each executor's iterations over the
    // segments; beside a second scenario (the readiness checks) the shares come out a few
    // iterations apart (measured: 242, 241, 236 of 719), while the total stays the offered one.
    const record = await readRecord(dir);
    for (const f of record.rawFiles) {
      const mine = count(await rawDurations([join(dir, f)]), names);
      expect(Math.abs(mine - total / n), `${f}: ${mine} of ${total}`).toBeLessThanOrEqual(Math.max(n, 0.03 * (total / n)));
    }
  });

  it("the merged per-endpoint counts equal the sum of the segments' own k6 summaries", async () => {
    const plan = await readPlan(dir);
    const record = await readRecord(dir);
    const a = await readAnalysisFile(dir);
    const names = plan.endpoints.map((e) => e.name);
    const sum = new Map<string, number>(names.map((e) => [e, 0]));
    for (const s of record.segments ?? []) {
      for (const [e, c] of await summaryCounts(join(dir, s.summaryFile), names)) sum.set(e, (sum.get(e) ?? 0) + c);
    }
    for (const e of names) {
      const got = a.endpoints.find((x) => x.name === e)?.total.requests ?? 0;
      expect(got, e).toBe(sum.get(e));
    }
    expect(a.segments?.count).toBe(n);
    expect(a.segments?.partial).toBe(false);
    expect(a.segments?.list.map((s) => s.segment)).toEqual(record.segments?.map((s) => s.segment));
  });

  it("the merged percentiles equal k6's percentiles over the union of the segments' raw samples", async () => {
    const plan = await readPlan(dir);
    const record = await readRecord(dir);
    const a = await readAnalysisFile(dir);
    expect(a.settings.percentiles).toBe('exact');
    const raw = await rawDurations(record.rawFiles.map((f) => join(dir, f)));
    let checked = 0;
    for (const e of plan.endpoints) {
      const values = raw.get(e.name) ?? [];
      const got = a.endpoints.find((x) => x.name === e.name);
      if (values.length === 0) continue;
      const want = k6Dist(values);
      for (const k of ['min', 'p50', 'p90', 'p95', 'p99', 'max'] as const) expect(got?.total.durationMs[k], `${e.name} ${k}`).toBe(want[k]);
      checked++;
    }
    expect(checked).toBeGreaterThan(3);
  });
});

describe('a segment that fails', () => {
  it('marks the run partial, names the segment and when, and analyses every other segment', async () => {
    const out = await tempOut('loadgate-segments-');
    const config = await constantRateConfig(out, 30, 24);
    const running = cli([
      'run',
      '--config',
      config,
      '--scenario',
      'monitoring',
      '--profile',
      'constant',
      '--threshold-set',
      'phase1',
      '--target',
      target.url,
      '--out',
      out,
      '--segments',
      '3',
    ]);
    const dir = await waitFor('the run directory', async () => onlyRunDir(out));
    // Once the three have started, kill the second one's k6 outright.
    const pid = await waitFor('segment 2 running', async () => {
      const r = await readRecord(dir);
      const s = r.segments?.[1];
      return s?.startedAt && s.pid ? s.pid : null;
    });
    await new Promise((r) => setTimeout(r, 8000));
    process.kill(pid, 'SIGKILL');
    const r = await running;

    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(/segment 2 of 3 \(1\/3:2\/3\) failed [\d.]+ s into the test: k6 killed by SIGKILL/);
    expect(r.stderr).toMatch(/partial run: 2 of 3 segments ran to the end/);

    const record = await readRecord(dir);
    expect(record.status).toBe('failed');
    expect(record.partial).toBe(true);
    expect(record.segments?.map((s) => [s.status, s.signal])).toEqual([
      ['completed', null],
      ['failed', 'SIGKILL'],
      ['completed', null],
    ]);

    const a = await readAnalysisFile(dir);
    expect(a.run.status).toBe('failed');
    expect(a.segments?.partial).toBe(true);
    const killed = a.segments?.list[1];
    expect(killed?.status).toBe('failed');
    expect(killed?.signal).toBe('SIGKILL');
    // It ran for about eight seconds of the 24.
    expect(killed?.endedAtS).toBeGreaterThan(6);
    expect(killed?.endedAtS).toBeLessThan(14);
    expect(a.input.warnings.join('\n')).toMatch(/partial run: segment 2 of 3 \(1\/3:2\/3\) failed at [\d.]+ s \(killed by SIGKILL\)/);

    // The others ran the whole test: their raw files hold every request their own summaries count.
    const plan = await readPlan(dir);
    const names = plan.endpoints.map((e) => e.name);
    const inFile = async (k: number) => count(await rawDurations([join(dir, record.segments?.[k]?.rawFile ?? '')]), names);
    for (const k of [0, 2]) {
      const counts = await summaryCounts(join(dir, record.segments?.[k]?.summaryFile ?? ''), names);
      expect(await inFile(k)).toBe([...counts.values()].reduce((x, y) => x + y, 0));
      expect(await inFile(k)).toBeGreaterThan(200);
      expect(a.segments?.list[k]?.requests).toBeGreaterThanOrEqual(await inFile(k));
    }
    // The killed one wrote no summary; what it wrote before dying is read too.
    expect(await inFile(1)).toBeGreaterThan(20);
    expect(await inFile(1)).toBeLessThan(await inFile(0));
    expect(killed?.requests).toBeGreaterThanOrEqual(await inFile(1));
    // Every request of the three files is in the analysis.
    const onRecord = a.endpoints.filter((e) => names.includes(e.name)).reduce((n, e) => n + e.total.requests, 0);
    expect(onRecord).toBe((await inFile(0)) + (await inFile(1)) + (await inFile(2)));

    // The report carries the note (from the analysis' warnings).
    expect(await readFile(join(dir, 'report.html'), 'utf8')).toContain('partial run: segment 2 of 3');
  });
});

describe('interruption', () => {
  it('SIGINT stops every segment: exit 130, all interrupted, what was collected analysed, no k6 left', async () => {
    const out = await tempOut('loadgate-segments-');
    const config = await constantRateConfig(out, 20, 60);
    let pid = 0;
    const running = cli(
      [
        'run',
        '--config',
        config,
        '--scenario',
        'monitoring',
        '--profile',
        'constant',
        '--target',
        target.url,
        '--out',
        out,
        '--segments',
        '2',
      ],
      { onSpawn: (p) => (pid = p) },
    );
    const dir = await waitFor('the run directory', async () => onlyRunDir(out));
    const pids = await waitFor('both segments running', async () => {
      const r = await readRecord(dir);
      return r.segments?.every((s) => s.startedAt && s.pid) ? (r.segments.map((s) => s.pid) as number[]) : null;
    });
    await new Promise((r) => setTimeout(r, 4000));
    process.kill(pid, 'SIGINT');
    const r = await running;
    expect(r.code, r.stderr).toBe(130);
    const record = await readRecord(dir);
    expect(record.status).toBe('interrupted');
    expect(record.segments?.map((s) => s.status)).toEqual(['interrupted', 'interrupted']);
    expect(pids.some(alive)).toBe(false);
    const a = await readAnalysisFile(dir);
    expect(a.run.status).toBe('interrupted');
    expect(a.segments?.list.every((s) => s.requests > 10)).toBe(true);
    expect(a.segments?.list.map((s) => s.status)).toEqual(['interrupted', 'interrupted']);
  });
});
