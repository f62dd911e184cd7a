/**
 * History (issue 13): `loadgate trends` over a history of 1,000 runs × 20 endpoints, and the time
 * recording one run adds to `loadgate run`.
 *
 *  1. 1,000 nightly entries of one shape, 20 endpoints each (log-normal noise, a slow wave, a
 *     step on two endpoints and an outlier on one), recorded into bench/out/history-1000/history.sqlite
 *     in one transaction: the store's size.
 *  2. `node bin/loadgate.js trends --last 1000` (the built CLI, as a user runs it) under GNU time:
 *     wall time and peak RSS (median and max of 3), and the report's size.
 *  3. Recording one run (20 endpoints, analysis and verdict already read, as post-processing has
 *     them) into that history, in a fresh process each time (bench/history-record-child.ts, built
 *     like the CLI): median of 5. Then the same with --against-history (the gate's cost on top).
 *
 *   npx tsx bench/history-trends.ts            (npm run bench:history)
 *
 * Goals: trends < 2 s and < 200 MB; recording < 100 ms. Exits 1 when one is missed.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { mulberry32 } from '../lib/shared/rng.ts';
import { HistoryStore } from '../lib/history/store.ts';
import type { EndpointSummary, HistoryEntry } from '../lib/contract/history.ts';
import { makeAnalysis, type FixtureEndpoint } from '../test/fixtures/report/make-analysis.ts';
import { verdictFor } from '../test/fixtures/report/make-verdict.ts';
import { shapeOf } from '../lib/history/summarize.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const out = join(here, 'out', 'history-1000');
const RUNS = 1000;
const ENDPOINTS = 20;
const GOALS = { trendsS: 2, trendsMB: 200, recordMs: 100 };

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

// ---- 1. the history -------------------------------------------------------------------------
const stages = [{ name: 'hold', durationS: 60, fromRps: 40, toRps: 40 }];
const endpoints: FixtureEndpoint[] = Array.from({ length: ENDPOINTS }, (_, i) => ({
  name: `group${i % 4}.endpoint-${String(i).padStart(2, '0')}`,
  group: `group${i % 4}`,
  method: 'GET',
  path: `/api/e/${i}`,
  share: 1 / ENDPOINTS,
  baseMs: 5 + 7 * i,
  kneeRps: null,
  errorRate: 0.002,
  timeoutMs: 5000,
}));
// One real analysis gives the shape and the run (3.); the 1,000 entries are drawn directly.
const sample = makeAnalysis({ seed: 1, runId: 'bench-record', scenario: 'journey', profile: 'load', phase: 'phase3', endpoints, stages });
const { shape, label } = shapeOf(sample);
const rng = mulberry32(42);
const gauss = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
const entries: HistoryEntry[] = [];
for (let n = 0; n < RUNS; n++) {
  const wave = 1 + 0.04 * Math.sin((2 * Math.PI * n) / 37);
  const eps: EndpointSummary[] = endpoints.map((e, i) => {
    let level = e.baseMs * 2 * wave;
    if (i === 3 && n >= 600) level *= 1.4;
    if (i === 11 && n >= 850) level *= 0.7;
    if (i === 7 && n === 300) level *= 3;
    const requests = 120 + Math.floor(rng() * 10);
    const errors = Math.floor(requests * 0.002 + rng());
    return {
      name: e.name,
      group: e.group ?? null,
      requests,
      p50: level * 0.5,
      p95: level * (1 + 0.04 * gauss()),
      p99: level * 1.6,
      p95Censored: false,
      errorRate: errors / requests,
      timeoutRate: 0,
      goodputRps: (requests - errors) / 60,
      targets: { p95: 200, errorRate: 0.01, timeoutRate: 0.001 },
    };
  });
  entries.push({
    runId: `bench-${String(n).padStart(4, '0')}`,
    startedAt: new Date(Date.UTC(2023, 0, 1) + n * 86_400_000).toISOString(),
    scenario: 'journey',
    profile: 'load',
    phase: 'phase3',
    target: 'http://127.0.0.1:8080',
    shape,
    shapeLabel: label,
    commit: (n * 2654435761).toString(16).padStart(12, '0'),
    branch: 'main',
    k6Version: 'v2.2.0',
    status: 'completed',
    verdict: 'pass',
    verdictSet: 'phase3',
    production: 'pass',
    valid: true,
    requests: eps.reduce((s, e) => s + e.requests, 0),
    offeredRps: 40,
    goodputRps: eps.reduce((s, e) => s + (e.goodputRps ?? 0), 0),
    throughputTarget: 100,
    runDir: `bench-${n}`,
    endpoints: eps,
  });
}
const historyFile = join(out, 'history.sqlite');
const t = performance.now();
const store = HistoryStore.open(historyFile, { create: true });
store.record(entries);
store.close();
const recordAllMs = performance.now() - t;
const storeMB = statSync(historyFile).size / 1e6;
console.log(
  `history: ${RUNS} runs × ${ENDPOINTS} endpoints recorded in ${recordAllMs.toFixed(0)} ms; history.sqlite ${storeMB.toFixed(2)} MB`,
);

// ---- 2. loadgate trends ---------------------------------------------------------------------
// Built first, so the timed runs do not include the CLI's own (re)build.
execFileSync(process.execPath, [join(root, 'build/cli.mjs')], { cwd: root });
const report = join(out, 'trends.html');
const trendRuns: Array<{ wallS: number; rssMB: number; cpuS: number }> = [];
for (let i = 0; i < 3; i++) {
  const timing = join(out, 'time.txt');
  execFileSync(
    '/usr/bin/time',
    [
      '-o',
      timing,
      '-f',
      '%e %M %U %S',
      process.execPath,
      'bin/loadgate.js',
      'trends',
      '--out',
      out,
      '--last',
      String(RUNS),
      '--output',
      report,
    ],
    {
      cwd: root,
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  const [wall, kb, user, sys] = execFileSync('tail', ['-n', '1', timing], { encoding: 'utf8' }).trim().split(/\s+/).map(Number);
  trendRuns.push({ wallS: wall ?? Number.NaN, rssMB: (kb ?? Number.NaN) / 1024, cpuS: (user ?? Number.NaN) + (sys ?? Number.NaN) });
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const trendsS = med(trendRuns.map((r) => r.wallS));
const trendsMB = Math.max(...trendRuns.map((r) => r.rssMB));
const reportMB = statSync(report).size / 1e6;
console.log(
  `trends --last ${RUNS}: wall ${trendsS.toFixed(2)} s (median of 3: ${trendRuns.map((r) => r.wallS.toFixed(2)).join(', ')}; CPU ${med(trendRuns.map((r) => r.cpuS)).toFixed(2)} s), peak RSS ${trendsMB.toFixed(0)} MB, report ${reportMB.toFixed(2)} MB`,
);

// ---- 3. recording one run -------------------------------------------------------------------
const runDir = join(out, 'bench-record');
mkdirSync(runDir, { recursive: true });
writeFileSync(
  join(runDir, 'analysis.json'),
  JSON.stringify({ ...sample, run: { ...sample.run, startedAt: new Date(Date.UTC(2023, 0, 1) + RUNS * 86_400_000).toISOString() } }),
);
writeFileSync(join(runDir, 'verdict.json'), JSON.stringify(verdictFor(sample, 'phase3')));
const childDir = join(here, 'out', 'history-child');
await build({
  entryPoints: { 'history-record-child': join(here, 'history-record-child.ts') },
  outdir: childDir,
  bundle: true,
  splitting: true,
  packages: 'external',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
});
function record(gate: boolean): { loadMs: number; stepMs: number; totalMs: number; judged: string | null } {
  // Each time as the first recording of this run: its source.json is detected (git) and written.
  rmSync(join(runDir, 'source.json'), { force: true });
  const outText = execFileSync(
    process.execPath,
    [join(childDir, 'history-record-child.js'), runDir, historyFile, ...(gate ? ['--against-history'] : [])],
    {
      cwd: root,
      encoding: 'utf8',
      // The gate's own lines (what regressed) are not the figures.
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  return JSON.parse(outText.trim().split('\n').pop() as string);
}
const plain = Array.from({ length: 5 }, () => record(false));
const gated = Array.from({ length: 3 }, () => record(true));
const recordMs = med(plain.map((r) => r.totalMs));
console.log(
  `recording one run (${ENDPOINTS} endpoints) into a ${RUNS}-run history: ${recordMs.toFixed(1)} ms (median of 5: ${plain.map((r) => r.totalMs.toFixed(0)).join(', ')} ms; loading the modules ${med(plain.map((r) => r.loadMs)).toFixed(1)} ms, the step ${med(plain.map((r) => r.stepMs)).toFixed(1)} ms)`,
);
console.log(`with --against-history: ${med(gated.map((r) => r.totalMs)).toFixed(1)} ms (the gate judged: ${gated[0]?.judged})`);

// The machine is shared: the load average says how much of the wall time was waiting for a core.
console.log(
  `load average while measuring: ${(await import('node:os'))
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(', ')} (2 cores)`,
);
const missed: string[] = [];
if (!(trendsS < GOALS.trendsS)) missed.push(`trends wall ${trendsS.toFixed(2)} s ≥ ${GOALS.trendsS} s`);
if (!(trendsMB < GOALS.trendsMB)) missed.push(`trends peak RSS ${trendsMB.toFixed(0)} MB ≥ ${GOALS.trendsMB} MB`);
if (!(recordMs < GOALS.recordMs)) missed.push(`recording ${recordMs.toFixed(1)} ms ≥ ${GOALS.recordMs} ms`);
console.log(
  missed.length
    ? `MISSED: ${missed.join('; ')}`
    : `goals met: trends < ${GOALS.trendsS} s and < ${GOALS.trendsMB} MB, recording < ${GOALS.recordMs} ms`,
);
process.exitCode = missed.length ? 1 : 0;
