import { mkdtemp, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGzip, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Accumulator } from '../analysis/accumulator.ts';
import { OUTCOME_KEYS } from '../contract/outcomes.ts';
import {
  decodeHistogram,
  HDR_ABSOLUTE_ERROR_MS,
  HDR_RELATIVE_ERROR,
  hdrDist,
  k6Percentile,
  newHistogram,
} from '../contract/distribution.ts';
import { READINESS_SCENARIO } from '../shared/readiness.ts';
import { LOAD_START_METRIC } from '../shared/defaults.ts';
import { GRACE_MS, LiveAggregator, NO_TAG, RETAIN_MS, type LiveCell } from './live.ts';
import { MEASUREMENTS } from '../contract/influx.ts';
import { livePoints, outcomeField } from './points.ts';
import { GzipTail } from './tail.ts';

const T0 = Date.parse('2026-12-01T10:00:00Z');

/** One k6 JSON line as k6's output writes it. */
function line(metric: string, ms: number, value: number, tags: Record<string, string>): string {
  const time = new Date(ms).toISOString().replace('Z', '123Z'); // k6 writes nanoseconds
  return JSON.stringify({ metric, type: 'Point', data: { time, value, tags } });
}

function feed(agg: LiveAggregator, text: string, file = 0): void {
  const buf = Buffer.from(text);
  let start = 0;
  for (;;) {
    const nl = buf.indexOf(10, start);
    const end = nl === -1 ? buf.length : nl;
    if (end > start) agg.line(buf, start, end, file);
    if (nl === -1) return;
    start = nl + 1;
  }
}

const base = { testid: 'R', phase: 'phase2', scenario: 'journey', stage: 'steady', group: '', method: 'GET', proto: 'HTTP/1.1' };
const expectStatus = new Map<string, ReadonlySet<number>>([
  ['auth.login', new Set([200])],
  ['user.me', new Set([200, 404])],
]);

describe('LiveAggregator', () => {
  it('classifies every outcome as the analysis does', () => {
    const cases: Record<string, string>[] = [
      { name: 'auth.login', status: '200' },
      { name: 'auth.login', status: '201' }, // not expected, not an error class: ok, as in the analysis
      { name: 'auth.login', status: '404' },
      { name: 'user.me', status: '404' }, // expected
      { name: 'auth.login', status: '503' },
      { name: 'auth.login', status: '0', error_code: '1050' },
      { name: 'auth.login', status: '0', error_code: '1211' },
      { name: 'auth.login', status: '0', error_code: '1212' },
      { name: 'auth.login', status: '0', error_code: '1220' },
      { name: 'auth.login', status: '0', error_code: '1201' },
      { name: 'auth.login', status: '0', error_code: '1101' },
      { name: 'auth.login', status: '0' },
      { name: 'unknown.ep', status: '404' },
      { name: 'unknown.ep', status: '301' },
    ];
    const text = cases.map((c, i) => line('http_req_duration', T0 + i, 10 + i, { ...base, ...c })).join('\n');
    const acc = new Accumulator({
      t0Ms: T0,
      intervalS: 1,
      mode: 'exact',
      endpoints: new Map([...expectStatus].map(([k, v]) => [k, { expectStatus: v }])),
      stageWindows: [],
    });
    const buf = Buffer.from(text);
    let start = 0;
    for (const l of text.split('\n')) {
      acc.line(buf, start, start + Buffer.byteLength(l), false);
      start += Buffer.byteLength(l) + 1;
    }
    const agg = new LiveAggregator({ expectStatus });
    feed(agg, text);
    const batch = agg.take(true);
    for (const name of ['auth.login', 'user.me', 'unknown.ep']) {
      const leaf = acc.leaves.find((l) => l.endpoint === name)!;
      const want = Object.fromEntries(OUTCOME_KEYS.map((k, i) => [k, leaf.outcomes[i]]));
      const total = batch.totals.find((t) => t.name === name)!;
      expect(total.outcomes, name).toEqual(want);
    }
    // Every class was hit at least once.
    const sum = Object.fromEntries(OUTCOME_KEYS.map((k) => [k, batch.totals.reduce((n, t) => n + t.outcomes[k], 0)]));
    for (const k of OUTCOME_KEYS) expect(sum[k], k).toBeGreaterThan(0);
  });

  it('cells per endpoint, stage and scenario per second; readiness and setup() left out; VUs summed over files', () => {
    const lines = [
      line('http_req_duration', T0 + 100, 5, { ...base, name: 'auth.login', status: '200' }),
      line('http_req_duration', T0 + 900, 7, { ...base, name: 'auth.login', status: '200' }),
      line('http_req_duration', T0 + 950, 9, { ...base, name: 'auth.login', status: '200', stage: 'ramp' }),
      line('http_req_duration', T0 + 1100, 11, { ...base, name: 'auth.login', status: '0', error_code: '1050' }),
      line('http_req_duration', T0 + 200, 3, { ...base, name: 'loadgate.readiness', scenario: READINESS_SCENARIO, status: '200' }),
      line('http_req_duration', T0 + 300, 3, { ...base, name: 'auth.login', group: '::setup', status: '200' }),
      line('http_req_duration', T0 + 400, 4, { testid: 'R', status: '200' }),
      line('http_reqs', T0 + 100, 1, { ...base, name: 'auth.login', status: '200' }),
      line('vus', T0 + 500, 3, { testid: 'R' }),
      line('vus', T0 + 600, 4, { testid: 'R' }),
      line('vus_max', T0 + 600, 10, { testid: 'R' }),
      line('dropped_iterations', T0 + 700, 1, { testid: 'R', scenario: 'journey' }),
      line('dropped_iterations', T0 + 700, 1, { testid: 'R', scenario: READINESS_SCENARIO }),
    ].join('\n');
    const agg = new LiveAggregator({ expectStatus, files: 2 });
    feed(agg, lines, 0);
    feed(agg, line('vus', T0 + 400, 2, { testid: 'R' }), 1);
    const batch = agg.take(true);
    const at = T0 / 1000;
    const key = (c: LiveCell) => `${c.second - at} ${c.name} ${c.stage} ${c.scenario} ${c.requests}`;
    expect(batch.cells.map(key).sort()).toEqual(
      [
        '0 auth.login steady journey 2',
        '0 auth.login ramp journey 1',
        `0 ${NO_TAG} ${NO_TAG} (none) 1`,
        '1 auth.login steady journey 1',
      ].sort(),
    );
    expect(batch.run).toEqual([{ second: at, vus: 6, vusMax: 10, droppedIterations: 1 }]);
    expect(agg.requests).toBe(5);
    const login = batch.totals.find((t) => t.name === 'auth.login')!;
    expect(login.requests).toBe(4);
    expect(login.outcomes.timeout).toBe(1);
    expect(login.dist.min).toBe(5);
    expect(login.dist.max).toBe(11);
    expect(login.dist.mean).toBe(8);
  });

  it('a request without a stage tag is in the stage it was sent in, from its own file’s load start, as the analysis places it', () => {
    const stages = [
      { name: 'a', startS: 0, endS: 1 },
      { name: 'b', startS: 1, endS: 2 },
    ];
    const { stage: _, ...untagged } = base;
    const req = (endMs: number, ms: number) =>
      line('http_req_duration', T0 + endMs, ms, { ...untagged, name: 'auth.login', status: '200' });
    const start = (ms: number) => line(LOAD_START_METRIC, T0 + ms, T0 + ms, { testid: 'R', scenario: 'journey' });
    const files = [
      // Before its load start a file's request is in no stage; sent 0.8 s, 1.1 s and 2.49 s (past the last window) after it.
      [req(200, 5), start(500), req(1400, 100), req(1700, 100), req(3000, 10)],
      // Another k6 process, started 100 ms later: sent 0.97 s after its own start (1.07 s after the first's), still in a.
      [start(600), req(1620, 50)],
    ];
    const agg = new LiveAggregator({ expectStatus, files: 2, stages });
    for (const [i, f] of files.entries()) feed(agg, f.join('\n'), i);
    const at = T0 / 1000;
    const key = (c: LiveCell) => `${c.second - at} ${c.stage} ${c.requests}`;
    expect(agg.take(true).cells.map(key).sort()).toEqual([`0 ${NO_TAG} 1`, '1 a 2', '1 b 1', '3 b 1']);

    // The analysis: the same stages.
    const acc = new Accumulator({ t0Ms: T0, intervalS: 1, mode: 'exact', endpoints: new Map(), stageWindows: stages });
    for (const f of files) {
      acc.beginFile();
      const text = f.join('\n');
      const buf = Buffer.from(text);
      let pos = 0;
      for (const l of f) {
        acc.line(buf, pos, pos + Buffer.byteLength(l), false);
        pos += Buffer.byteLength(l) + 1;
      }
    }
    expect(acc.leaves.map((l) => `${l.stage} ${l.requests}`).sort()).toEqual(['a 2', 'b 2', 'null 1']);
    expect(acc.untagged).toBe(1);
  });

  it('closes a second once every file is GRACE_MS past it; a straggler rewrites its cell; past RETAIN_MS it is late', () => {
    const agg = new LiveAggregator({ expectStatus });
    const req = (ms: number, v = 1) => line('http_req_duration', ms, v, { ...base, name: 'auth.login', status: '200' });
    feed(agg, [req(T0 + 10), req(T0 + 500)].join('\n'));
    expect(agg.take().cells).toEqual([]);
    feed(agg, req(T0 + 1000 + GRACE_MS - 1));
    expect(agg.take().cells).toEqual([]);
    feed(agg, req(T0 + 1000 + GRACE_MS));
    const first = agg.take().cells;
    expect(first.map((c) => [c.second - T0 / 1000, c.requests])).toEqual([[0, 2]]);
    // Written once: nothing new, nothing again.
    expect(agg.take().cells).toEqual([]);
    // Far beyond the range the cell's histogram had: it grows again.
    feed(agg, req(T0 + 20, 5000));
    const again = agg.take().cells;
    expect(again.map((c) => [c.second - T0 / 1000, c.requests, c.dist.max])).toEqual([[0, 3, 5000]]);
    expect(agg.stragglers).toBe(1);
    feed(agg, req(T0 + RETAIN_MS + GRACE_MS + 2000));
    agg.take();
    feed(agg, req(T0 + 30));
    expect(agg.take().cells).toEqual([]);
    expect(agg.late).toBe(1);
    // The totals still count it.
    expect(agg.take(true).totals[0]?.requests).toBe(7);
  });

  it('merged per-second histograms give the run percentiles within the stated error of the exact ones', () => {
    const agg = new LiveAggregator({ expectStatus });
    const values: number[] = [];
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const lines: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const v = Math.round((0.2 + 400 * rand() ** 3) * 1e6) / 1e6;
      values.push(v);
      lines.push(line('http_req_duration', T0 + i * 2, v, { ...base, name: 'auth.login', status: '200' }));
    }
    feed(agg, lines.join('\n'));
    const batch = agg.take(true);
    expect(batch.cells.length).toBe(40);
    const merged = newHistogram();
    for (const c of batch.cells) merged.add(decodeHistogram(c.histogram!));
    const n = values.length;
    const sorted = Float64Array.from(values).sort();
    const dist = hdrDist(merged, { count: n, min: sorted[0]!, max: sorted[n - 1]!, sum: values.reduce((a, b) => a + b, 0) });
    for (const p of [0.5, 0.9, 0.95, 0.99] as const) {
      const exact = k6Percentile(sorted, n, p);
      const got = dist[`p${Math.round(p * 100)}` as 'p50'];
      expect(Math.abs((got as number) - exact), `p${p}`).toBeLessThanOrEqual(Math.max(HDR_RELATIVE_ERROR * exact, HDR_ABSOLUTE_ERROR_MS));
    }
    // The run-so-far figures are the same distribution.
    expect(batch.totals[0]!.dist).toEqual(dist);
  });

  it('a torn or garbled line of a metric it reads is damaged, never a request', () => {
    const agg = new LiveAggregator({ expectStatus });
    const good = line('http_req_duration', T0, 5, { ...base, name: 'auth.login', status: '200' });
    feed(agg, [good.slice(0, 60), good.replace('"value":5', '"value":x'), good].join('\n'));
    expect(agg.damaged).toBe(2);
    expect(agg.requests).toBe(1);
  });
});

describe('livePoints', () => {
  it('one point per cell, per second of the run and per total; the outcome fields add up to requests', () => {
    const agg = new LiveAggregator({ expectStatus });
    feed(
      agg,
      [
        line('http_req_duration', T0 + 1, 5, { ...base, name: 'auth.login', status: '200' }),
        line('http_req_duration', T0 + 2, 6, { ...base, name: 'auth.login', status: '0', error_code: '1211' }),
        line('vus', T0 + 3, 2, { testid: 'R' }),
      ].join('\n'),
    );
    const points = livePoints({ testid: 'R', phase: 'phase2', scenario: 'journey' }, agg.take(true));
    expect(points.map((p) => p.measurement)).toEqual([MEASUREMENTS.live, MEASUREMENTS.liveVus, MEASUREMENTS.liveTotals]);
    const live = points[0]!;
    expect(live.tags).toEqual({ testid: 'R', phase: 'phase2', scenario: 'journey', name: 'auth.login', stage: 'steady' });
    expect(live.timestamp).toEqual(new Date(T0));
    const f = live.fields as Record<string, number>;
    expect(f['requests']).toBe(2);
    expect(f['dial_timeout']).toBe(1);
    expect(f['timeouts']).toBe(1);
    expect(f['errors']).toBe(1);
    expect(OUTCOME_KEYS.reduce((n, k) => n + (f[outcomeField(k)] as number), 0)).toBe(2);
    expect(typeof f['hist']).toBe('string');
    expect(points[1]!.fields).toEqual({ vus: 2, dropped_iterations: 0 });
  });
});

describe('GzipTail', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'loadgate-tail-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('hands over every line of a gzip file while it grows, the last one once the file is closed', async () => {
    const file = join(dir, 'raw.ndjson.gz');
    const lines = Array.from({ length: 30_000 }, (_, i) => `{"metric":"m","n":${i},"pad":"${'x'.repeat(i % 97)}"}`);
    const got: string[] = [];
    const tail = new GzipTail(file, (buf, s, e) => got.push(buf.toString('utf8', s, e)));
    expect(await tail.poll()).toBe(0); // not there yet
    // Written as k6 writes it: one gzip stream, never flushed, appended piece by piece.
    const gz = createGzip();
    const chunks: Buffer[] = [];
    gz.on('data', (c: Buffer) => chunks.push(c));
    const ended = new Promise((r) => gz.on('end', r));
    gz.end(lines.join('\n') + '\n' + '{"metric":"last"}');
    await ended;
    const all = Buffer.concat(chunks);
    await writeFile(file, '');
    let seen = 0;
    for (let at = 0; at < all.length; at += 7919) {
      await appendFile(file, all.subarray(at, Math.min(all.length, at + 7919)));
      await tail.poll();
      expect(got.length).toBeGreaterThanOrEqual(seen);
      seen = got.length;
    }
    // Before the end: every whole line zlib could decode, but not the unterminated last one.
    expect(got.length).toBeGreaterThan(29_000);
    expect(got.length).toBeLessThanOrEqual(30_000);
    await tail.finish();
    expect(got).toEqual([...lines, '{"metric":"last"}']);
    expect(tail.error).toBeNull();
    expect(tail.bytesIn).toBe(all.length);
  });

  it('a file cut short: every whole line before the cut, and the error', async () => {
    const file = join(dir, 'cut.ndjson.gz');
    const lines = Array.from({ length: 5000 }, (_, i) => `line ${i} ${'y'.repeat(i % 50)}`);
    const all = gzipSync(lines.join('\n') + '\n');
    await writeFile(file, all.subarray(0, Math.floor(all.length * 0.6)));
    const got: string[] = [];
    const tail = new GzipTail(file, (buf, s, e) => got.push(buf.toString('utf8', s, e)));
    await tail.finish();
    expect(tail.error).toMatch(/unexpected end of file/);
    expect(got.length).toBeGreaterThan(1000);
    expect(got).toEqual(lines.slice(0, got.length));
  });

  it('a file that never appeared: nothing, no error', async () => {
    const tail = new GzipTail(join(dir, 'absent.gz'), () => {
      throw new Error('no line expected');
    });
    await tail.finish();
    expect(tail.error).toBeNull();
    expect(tail.lines).toBe(0);
  });
});
