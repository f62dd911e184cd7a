/**
 * Integration: real k6 (v2.2.0) against the reference API, one route pushed past the 1 s
 * client timeout. The analysis must report exactly the timeouts k6 recorded, and per
 * endpoint the same count, p50/p90/p95/p99, min, max and mean of http_req_duration as k6's
 * own end-of-test summary (asked for through sub-metric thresholds).
 *
 * k6 runs under TZ=Europe/Berlin, so it stamps its samples with a UTC offset
 * (`…T11:00:00.123456789+01:00`): the analysis of those lines must equal, figure for figure
 * and second for second, the analysis of the same lines restamped in UTC.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { gunzipSync, gzipSync } from 'node:zlib';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeRun, writeAnalysis, readAnalysis } from '../../lib/analysis/analyze.ts';
import type { Analysis } from '../../lib/contract/analysis.ts';
import type { Plan } from '../../lib/contract/plan.ts';
import { startTarget, type RunningTarget } from '../../reference-api/server.ts';
import { runRecord, tempDir } from './helpers.ts';

const K6 = resolve(import.meta.dirname, '../../.tools/k6/v2.2.0/k6');
const SCRIPT = resolve(import.meta.dirname, 'fixtures/timeouts.js');

const ENDPOINTS = [
  { name: 'probes.health', path: '/health' },
  { name: 'probes.live', path: '/live' },
  { name: 'monitoring.metrics', path: '/api/monitoring/metrics' },
];
const STAGES = [
  { name: 'warm-up', startS: 0, endS: 3, fromRps: 5, toRps: 30 },
  { name: 'steady', startS: 3, endS: 8, fromRps: 30, toRps: 30 },
];

type Summary = { metrics: Record<string, { values: Record<string, number> }> };

let target: RunningTarget;
let dir: string;
let summary: Summary;
let analysis: Analysis;
let utcAnalysis: Analysis;
let rawText = '';
let k6Output = '';

beforeAll(async () => {
  if (!existsSync(K6)) throw new Error(`k6 v2.2.0 is missing at ${K6}: install it with \`bash scripts/setup.sh\``);
  // monitoring.metrics takes 0.5–1.5 s more than usual: about half its requests time out at 1 s.
  target = await startTarget({
    profile: 'phase3',
    seed: 7,
    overrides: { faults: { routes: { 'GET /api/monitoring/metrics': { latency: { dist: 'uniform', minMs: 500, maxMs: 1500 } } } } },
  });
  dir = await tempDir('loadgate-analysis-k6-');
  const summaryFile = join(dir, 'summary.json');
  const started = new Date().toISOString();
  const child = spawn(K6, ['run', '--quiet', '--no-color', '--out', `json=${join(dir, 'raw.ndjson.gz')}`, SCRIPT], {
    env: {
      ...process.env,
      BASE_URL: target.url,
      SUMMARY: summaryFile,
      STAGES: JSON.stringify(STAGES),
      ENDPOINTS: JSON.stringify(ENDPOINTS),
      K6_NO_USAGE_REPORT: 'true',
      K6_AUTO_EXTENSION_RESOLUTION: 'false',
      // Local time with an offset in every timestamp (+01:00 in winter, +02:00 in summer).
      TZ: 'Europe/Berlin',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d) => (k6Output += d));
  child.stderr.on('data', (d) => (k6Output += d));
  const code = await new Promise<number | null>((r) => child.on('close', r));
  if (code !== 0) throw new Error(`k6 exited ${code}:\n${k6Output}`);
  summary = JSON.parse(await readFile(summaryFile, 'utf8')) as Summary;
  const plan: Plan = {
    kind: 'loadgate.plan',
    version: 2,
    runId: 'k6-real',
    createdAt: started,
    scenario: 'monitoring',
    profile: 'phase3',
    phase: null,
    thresholdSet: null,
    baseUrl: target.url,
    endpoints: ENDPOINTS.map((e) => ({
      ...e,
      group: 'probes',
      method: 'GET',
      auth: 'none',
      timeoutMs: 1000,
      expectStatus: [200],
      query: {},
      headers: {},
      bodyType: 'json',
      weight: 1,
      expectBody: null,
      probe: true,
    })),
    headers: {},
    auth: {},
    users: { emailTemplate: 'u{{i}}@x', count: 1, passwordEnv: 'PW' },
    flows: {},
    env: [],
    requestsPerIteration: 1,
    durationScale: 1,
    stages: STAGES,
    k6Options: {},
  };
  await writeFile(join(dir, 'plan.json'), JSON.stringify(plan));
  await writeFile(
    join(dir, 'run.json'),
    JSON.stringify(runRecord('k6-real', ['raw.ndjson.gz'], { startedAt: started, endedAt: new Date().toISOString() })),
  );
  analysis = await analyzeRun(dir);
  // The same run directory, its raw lines restamped in UTC.
  rawText = gunzipSync(await readFile(join(dir, 'raw.ndjson.gz'))).toString('utf8');
  const utcDir = join(dir, 'utc');
  await mkdir(utcDir);
  await writeFile(join(utcDir, 'raw.ndjson.gz'), gzipSync(rawText.replace(TIME, toUtc)));
  for (const f of ['plan.json', 'run.json']) await writeFile(join(utcDir, f), await readFile(join(dir, f)));
  utcAnalysis = await analyzeRun(utcDir);
}, 120_000);

const TIME = /"time":"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?([+-]\d\d:\d\d|Z)"/g;

/** A timestamp in UTC, by string: the whole seconds through Date (exact), the fraction kept as written. */
function toUtc(_m: string, secs: string, frac: string | undefined, zone: string): string {
  const whole = new Date(Date.parse(`${secs}${zone}`)).toISOString().slice(0, 19);
  return `"time":"${whole}${frac ?? ''}Z"`;
}

afterAll(async () => {
  await target?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const values = (metric: string): Record<string, number> => {
  const m = summary.metrics[metric];
  if (!m) throw new Error(`k6's summary has no ${metric}; it has ${Object.keys(summary.metrics).join(', ')}`);
  return m.values;
};

describe('the analysis of a real k6 run', () => {
  it('reads every line k6 wrote and skips nothing', () => {
    expect(analysis.input.skipped).toEqual({ badJson: 0, tornLastLine: 0, unknownMetric: 0, untagged: 0, outOfWindow: 0 });
    expect(analysis.input.truncated).toBe(false);
    expect(analysis.endpoints.map((e) => e.name)).toEqual(ENDPOINTS.map((e) => e.name));
    expect(analysis.totals.requests).toBe(values('http_reqs')['count']);
    expect(analysis.totals.iterations).toBe(values('iterations')['count']);
  });

  it('reports exactly the timeouts k6 recorded, per endpoint', () => {
    const metrics = analysis.endpoints.find((e) => e.name === 'monitoring.metrics');
    for (const e of analysis.endpoints) {
      const t = values(`loadgate_timeouts{name:${e.name}}`);
      expect(e.total.outcomes.timeout, e.name).toBe(t['passes']);
      expect(e.total.requests, e.name).toBe(values(`http_reqs{name:${e.name}}`)['count']);
    }
    expect(metrics?.total.outcomes.timeout).toBeGreaterThan(0);
    expect(analysis.timeouts.endpointsWithTimeouts).toBe(1);
    expect(analysis.timeouts.findings[0]).toMatchObject({ endpoint: 'monitoring.metrics', count: metrics?.total.outcomes.timeout });
    expect(metrics?.total.censored.p99).toBe(true);
  });

  it("per endpoint, http_req_duration equals k6's own summary: p50, p90, p95, p99, min, max, mean", () => {
    const pairs = [
      ['p50', 'med'],
      ['p90', 'p(90)'],
      ['p95', 'p(95)'],
      ['p99', 'p(99)'],
      ['min', 'min'],
      ['max', 'max'],
    ] as const;
    for (const e of analysis.endpoints) {
      const k6 = values(`http_req_duration{name:${e.name}}`);
      for (const [ours, theirs] of pairs) expect(e.total.durationMs[ours], `${e.name} ${ours}`).toBe(k6[theirs]);
      // The mean sums in another order: equal to float rounding.
      expect(e.total.durationMs.mean as number).toBeCloseTo(k6['avg'] as number, 9);
      const w = values(`http_req_waiting{name:${e.name}}`);
      expect(e.total.waitingMs.p95, `${e.name} waiting p95`).toBe(w['p(95)']);
    }
    const all = values('http_req_duration');
    expect(analysis.totals.all.durationMs.p95).toBe(all['p(95)']);
    expect(analysis.totals.all.durationMs.p99).toBe(all['p(99)']);
  });

  it('reads timestamps with a UTC offset to the microsecond: the analysis equals that of the same lines in UTC', () => {
    const zones = new Set([...rawText.matchAll(TIME)].map((m) => m[3]));
    expect(
      [...zones].every((z) => /^\+0[12]:00$/.test(z as string)),
      [...zones].join(' '),
    ).toBe(true);
    expect(utcAnalysis.input.points).toBe(analysis.input.points);
    // Second by second (the series interval is 1 s here), per endpoint and in all.
    expect(analysis.settings.seriesIntervalS).toBe(1);
    expect(analysis.series).toEqual(utcAnalysis.series);
    expect({ ...analysis, generatedAt: '' }).toEqual({ ...utcAnalysis, generatedAt: '' });
  });

  it('places requests in the planned stages and writes a file readAnalysis accepts', async () => {
    expect(analysis.stages.map((s) => s.name)).toEqual(['warm-up', 'steady']);
    expect(analysis.stages.reduce((n, s) => n + s.requests, 0)).toBe(analysis.totals.requests);
    expect(analysis.stages[1]?.achievedRps).toBeGreaterThan(15);
    const file = await writeAnalysis(dir, analysis);
    expect(readAnalysis(file)).toEqual(analysis);
  });
});
