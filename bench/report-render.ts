/**
 * Render time and file size of a run report for 20 endpoints × 1 hour at 1 s resolution,
 * and of a 4-run comparison of such runs. Goal: under 1 s and under 2 MB per report.
 * Run: npm run bench:report   (tsx bench/report-render.ts)
 */
import { makeAnalysis, type FixtureEndpoint } from '../test/fixtures/report/make-analysis.ts';
import { verdictFor } from '../test/fixtures/report/make-verdict.ts';
import { renderComparison, renderRunReport } from '../lib/report/render.ts';

const endpoints: FixtureEndpoint[] = Array.from({ length: 20 }, (_, i) => ({
  name: `group${i % 4}.endpoint-${String(i).padStart(2, '0')}`,
  share: 1 / 20,
  baseMs: 20 + i * 7,
  kneeRps: i < 5 ? 60 : null,
  growth: 6,
  errorRate: 0.002,
  timeoutMs: 5000,
}));
const stages = [
  { name: 'ramp-up', durationS: 600, fromRps: 0, toRps: 80 },
  { name: 'hold', durationS: 2700, fromRps: 80, toRps: 80 },
  { name: 'ramp-down', durationS: 300, fromRps: 80, toRps: 0 },
];

let t0 = performance.now();
const analyses = [1, 2, 3, 4].map((seed) => makeAnalysis({ seed, runId: `bench-${seed}`, endpoints, stages, intervalS: 1 }));
const genMs = performance.now() - t0;
const a = analyses[0]!;
const verdict = verdictFor(a, 'phase2');
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(2)} MB`;
console.log(
  `fixture: ${a.endpoints.length} endpoints × ${a.series.t.length} intervals of ${a.series.intervalS} s, ${a.totals.requests.toLocaleString('en-US')} requests; analysis.json ${mb(JSON.stringify(a).length)} (generated in ${(genMs / 1000).toFixed(1)} s)`,
);

const now = new Date('2025-06-01T03:00:00Z');
t0 = performance.now();
let html = renderRunReport({ analysis: a, verdict, now });
const cold = performance.now() - t0;
const warm: number[] = [];
for (let i = 0; i < 5; i++) {
  t0 = performance.now();
  html = renderRunReport({ analysis: a, verdict, now });
  warm.push(performance.now() - t0);
}
warm.sort((x, y) => x - y);
const bytes = Buffer.byteLength(html);
console.log(
  `run report:  cold ${cold.toFixed(0)} ms (templates, assets, histogram decoding), warm median ${warm[2]!.toFixed(0)} ms; size ${mb(bytes)} (${bytes.toLocaleString('en-US')} bytes)`,
);

const runs = analyses.map((an, i) => ({ label: `run${i + 1}`, analysis: an, verdict: verdictFor(an, 'phase2') }));
t0 = performance.now();
const cmp = renderComparison({ runs, now });
const cmpMs = performance.now() - t0;
console.log(
  `comparison (4 runs × 20 endpoints, 2,000 bootstrap resamples per test): ${cmpMs.toFixed(0)} ms; size ${mb(Buffer.byteLength(cmp))}`,
);
const ok = cold < 1000 && bytes < 2 * 1024 * 1024;
console.log(ok ? 'goal met: under 1 s and under 2 MB' : 'GOAL MISSED: render ≥ 1 s or file ≥ 2 MB');
process.exitCode = ok ? 0 : 1;
