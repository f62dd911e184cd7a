/**
 * The VU hot path: what one request costs k6 in the harness's scenario, against a bare k6 script
 * on the same endpoint with the same JSON output.
 *
 *   harness  the run bundle `loadgate run` hands k6 (dist/run/flow.js), under a plan of the
 *            monitoring scenario with only GET /api/monitoring/health enabled, the production
 *            set's k6 thresholds, the readiness checks off (they are a second scenario, not the
 *            hot path): its expected statuses in responseCallback (k6's http_req_failed), its
 *            body check on every answer (a sample only when it fails: loadgate_body_mismatches),
 *            its system tags;
 *   bare     `http.get(url, { tags: { name } })`: no checks, no thresholds, k6's default tags.
 *
 * Both run the same k6 with the same flags and the same output (`--out json=….ndjson.gz`),
 * against the reference API (phase3, in its own process). Per round, interleaved (the order
 * alternates), for each side:
 *   - k6's CPU per request (user + system from /usr/bin/time, start-up included: the whole
 *     process a user runs), at a fixed offered rate (constant-arrival-rate) both sides reach;
 *   - the saturated request rate: constant-vus, as many requests as k6 can make.
 * Also the JSON lines and bytes k6 wrote per request, from the output files.
 *
 * Like with like, asserted from the output files: both sides sent only the one endpoint, every
 * answer a 200, and at the fixed rate the same number of requests (within 1 %, nothing dropped);
 * else the bench exits 2.
 *
 * Goals (issue 15), on the medians of the rounds, with the spread printed: k6 CPU per request of
 * the harness ≤ 1.25× the bare script's; the harness's saturated rate ≥ 5,000 requests/s. A goal
 * missed beyond the spread exits 1.
 *
 *   npm run bench:hotpath     (ROUNDS=5 DURATION=15 RATE=1500 VUS=20 SAT_DURATION=10; BUNDLE=<path> runs another build)
 *
 * k6 and the reference API share the machine's cores: run it when nothing else runs (`uptime`).
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { bundleScenarios, runBundlePath } from '../build/bundle.ts';
import { resolveConfig } from '../lib/config/load.ts';
import { K6_OFFLINE_ENV } from '../lib/k6/runner.ts';
import { locateK6 } from '../lib/k6/locate.ts';
import { buildPlan } from '../lib/plan/build.ts';
import { DEFAULT_ENDPOINTS } from '../lib/shared/defaults.ts';
import { findSet } from '../thresholds/sets.ts';
import { timedK6 } from './k6-timed.ts';
import { fmtSpread, load, median, missedBeyondSpread } from './stats.ts';
import { startTargetProcess } from './target-process.ts';

const ROUNDS = Number(process.env['ROUNDS'] ?? 5);
const DURATION_S = Number(process.env['DURATION'] ?? 15);
const RATE = Number(process.env['RATE'] ?? 1500);
const VUS = Number(process.env['VUS'] ?? 20);
const SAT_DURATION_S = Number(process.env['SAT_DURATION'] ?? 10);
const BUNDLE = process.env['BUNDLE'] ?? runBundlePath('flow');
const GOAL_CPU_RATIO = 1.25;
const GOAL_SATURATED_RPS = 5000;
const ENDPOINT = { name: 'monitoring.health', path: '/api/monitoring/health' };

const BARE = `
import http from 'k6/http';
export const options = { scenarios: JSON.parse(__ENV.SCENARIOS) };
export default function () {
  http.get(__ENV.BASE + '${ENDPOINT.path}', { tags: { name: '${ENDPOINT.name}' } });
}
`;

type Side = 'harness' | 'bare';
type Kind = 'fixed' | 'saturated';

interface Sample {
  requests: number;
  dropped: number;
  rps: number;
  cpuUsPerReq: number;
  linesPerReq: number;
  bytesPerReq: number;
  /** Every request sample's `name` and `status`, each distinct pair once. */
  shape: string;
}

function scenarios(kind: Kind): Record<string, unknown> {
  return kind === 'fixed'
    ? {
        monitoring: {
          executor: 'constant-arrival-rate',
          rate: RATE,
          timeUnit: '1s',
          duration: `${DURATION_S}s`,
          // Every VU made before the test starts: a VU made mid-run costs the harness's init
          // (its bundle and plan) there, and the iterations it misses meanwhile are dropped.
          preAllocatedVUs: Math.max(50, Math.ceil(RATE / 10)),
          maxVUs: Math.max(100, Math.ceil(RATE / 5)),
        },
      }
    : { monitoring: { executor: 'constant-vus', vus: VUS, duration: `${SAT_DURATION_S}s` } };
}

async function oneRun(
  k6: string,
  side: Side,
  kind: Kind,
  dir: string,
  tag: string,
  base: string,
  plans: Record<Kind, string>,
): Promise<Sample> {
  const out = join(dir, `${tag}.ndjson.gz`);
  const summary = join(dir, `${tag}-summary.json`);
  const script = side === 'harness' ? BUNDLE : join(dir, 'bare.js');
  const env = {
    ...process.env,
    ...K6_OFFLINE_ENV,
    BASE: base,
    SCENARIOS: JSON.stringify(scenarios(kind)),
    ...(side === 'harness' ? { LOADGATE_PLAN: plans[kind] } : {}),
  };
  const stderr = await timedK6(
    'K6CPU=%U+%S',
    k6,
    ['run', '--quiet', '--no-usage-report', '--out', `json=${out}`, '--summary-export', summary, script],
    env,
  );
  const cpu = /K6CPU=([\d.]+)\+([\d.]+)/.exec(stderr);
  if (!cpu) throw new Error(`no CPU time from /usr/bin/time for ${tag}:\n${stderr.slice(-2000)}`);
  const s = JSON.parse(await readFile(summary, 'utf8')) as { metrics: Record<string, { count?: number; rate?: number }> };
  const requests = s.metrics['http_reqs']?.count ?? Number.NaN;
  const text = gunzipSync(await readFile(out)).toString('utf8');
  let lines = 0;
  const shapes = new Set<string>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('{"metric":')) continue;
    lines++;
    if (!line.startsWith('{"metric":"http_reqs","type":"Point"')) continue;
    const tags = (JSON.parse(line) as { data: { tags: Record<string, string> } }).data.tags;
    shapes.add(`${tags['name']} ${tags['status']}`);
  }
  return {
    requests,
    dropped: s.metrics['dropped_iterations']?.count ?? 0,
    rps: s.metrics['http_reqs']?.rate ?? Number.NaN,
    cpuUsPerReq: ((Number(cpu[1]) + Number(cpu[2])) * 1e6) / requests,
    linesPerReq: lines / requests,
    bytesPerReq: Buffer.byteLength(text) / requests,
    shape: [...shapes].sort().join(', '),
  };
}

async function main(): Promise<void> {
  if (!process.env['BUNDLE']) await bundleScenarios();
  const k6 = await locateK6();
  const target = await startTargetProcess();
  const dir = await mkdtemp(join(tmpdir(), 'loadgate-bench-hotpath-'));
  try {
    await writeFile(join(dir, 'bare.js'), BARE);
    const off = Object.fromEntries(
      Object.keys(DEFAULT_ENDPOINTS)
        .filter((n) => n !== ENDPOINT.name)
        .map((n) => [n, { enabled: false }]),
    );
    const config = resolveConfig({
      file: { path: 'bench', data: { readiness: { enabled: false }, endpoints: off } },
      flags: { target: target.url },
    });
    const production = findSet('production');
    if (!production) throw new Error('the production threshold set is missing');
    const plans = {} as Record<Kind, string>;
    for (const kind of ['fixed', 'saturated'] as const) {
      const plan = buildPlan({
        config,
        scenario: 'monitoring',
        profile: 'load',
        phase: null,
        runId: 'bench',
        now: new Date().toISOString(),
        thresholds: { name: 'production', set: production },
      });
      plan.k6Options['scenarios'] = scenarios(kind);
      plans[kind] = join(dir, `plan-${kind}.json`);
      await writeFile(plans[kind], JSON.stringify(plan));
    }
    console.log(
      `k6 ${k6.version}; GET ${ENDPOINT.path} against the reference API (phase3, own process); ${ROUNDS} interleaved rounds: ` +
        `${RATE} requests/s offered for ${DURATION_S} s (CPU per request), and ${VUS} VUs for ${SAT_DURATION_S} s (saturated rate)`,
    );
    console.log(`harness: ${BUNDLE}; load average at the start: ${load()}`);
    const results: Record<`${Side} ${Kind}`, Sample[]> = {
      'harness fixed': [],
      'bare fixed': [],
      'harness saturated': [],
      'bare saturated': [],
    };
    for (let r = 0; r < ROUNDS; r++) {
      const sides: Side[] = r % 2 === 0 ? ['harness', 'bare'] : ['bare', 'harness'];
      for (const kind of ['fixed', 'saturated'] as const) {
        for (const side of sides) {
          const s = await oneRun(k6.path, side, kind, dir, `${side}-${kind}-${r}`, target.url, plans);
          results[`${side} ${kind}`].push(s);
          console.log(
            `round ${r + 1} ${side.padEnd(7)} ${kind.padEnd(9)} ${s.requests} requests, ${s.rps.toFixed(0)}/s, ` +
              `${s.cpuUsPerReq.toFixed(1)} µs CPU per request, ${s.linesPerReq.toFixed(2)} lines and ${s.bytesPerReq.toFixed(0)} B per request, dropped ${s.dropped}`,
          );
        }
      }
    }
    console.log(`load average at the end: ${load()}`);
    const of = (k: keyof typeof results, f: (s: Sample) => number) => results[k].map(f);
    const cpuRatios = results['harness fixed'].map((h, i) => h.cpuUsPerReq / (results['bare fixed'][i] as Sample).cpuUsPerReq);
    const satRatios = results['harness saturated'].map((h, i) => h.rps / (results['bare saturated'][i] as Sample).rps);
    console.log(
      `k6 CPU per request: harness ${fmtSpread(
        of('harness fixed', (s) => s.cpuUsPerReq),
        1,
      )} µs, bare ${fmtSpread(
        of('bare fixed', (s) => s.cpuUsPerReq),
        1,
      )} µs`,
    );
    console.log(`  ratio per round: ${fmtSpread(cpuRatios, 3)} (goal ≤ ${GOAL_CPU_RATIO})`);
    console.log(
      `saturated rate: harness ${fmtSpread(
        of('harness saturated', (s) => s.rps),
        0,
      )}/s, bare ${fmtSpread(
        of('bare saturated', (s) => s.rps),
        0,
      )}/s; ` + `harness/bare per round ${fmtSpread(satRatios, 3)} (goal: harness ≥ ${GOAL_SATURATED_RPS}/s)`,
    );
    console.log(
      `output per request: harness ${median(of('harness fixed', (s) => s.linesPerReq)).toFixed(2)} lines, ${median(of('harness fixed', (s) => s.bytesPerReq)).toFixed(0)} B; ` +
        `bare ${median(of('bare fixed', (s) => s.linesPerReq)).toFixed(2)} lines, ${median(of('bare fixed', (s) => s.bytesPerReq)).toFixed(0)} B`,
    );
    // Like with like: one endpoint, every answer a 200, the same requests at the fixed rate.
    const all = Object.values(results).flat();
    const shapes = new Set(all.map((s) => s.shape));
    const fixedCounts = [...results['harness fixed'], ...results['bare fixed']];
    const countSpread =
      (Math.max(...fixedCounts.map((s) => s.requests)) - Math.min(...fixedCounts.map((s) => s.requests))) /
      median(fixedCounts.map((s) => s.requests));
    const dropped = fixedCounts.reduce((a, s) => a + s.dropped, 0);
    console.log(
      `like with like: request samples ${[...shapes].join(' | ')}; fixed-rate request counts within ${(countSpread * 100).toFixed(2)} %, ${dropped} dropped`,
    );
    if (
      shapes.size !== 1 ||
      ![...shapes][0]?.startsWith(`${ENDPOINT.name} 200`) ||
      [...shapes][0]?.includes(',') ||
      countSpread > 0.01 ||
      dropped > 0
    ) {
      console.error('FAIL: the two sides did not send the same requests (endpoint, status, count or drops differ)');
      process.exitCode = 2;
      return;
    }
    const cpuMiss = missedBeyondSpread(cpuRatios, GOAL_CPU_RATIO, false);
    const rpsMiss = missedBeyondSpread(
      of('harness saturated', (s) => s.rps),
      GOAL_SATURATED_RPS,
      true,
    );
    if (cpuMiss || rpsMiss) {
      console.error(
        `FAIL: goal missed beyond the spread:${cpuMiss ? ` CPU per request ratio ${median(cpuRatios).toFixed(3)} > ${GOAL_CPU_RATIO};` : ''}` +
          `${rpsMiss ? ` saturated rate ${median(of('harness saturated', (s) => s.rps)).toFixed(0)}/s < ${GOAL_SATURATED_RPS}/s` : ''}`,
      );
      process.exitCode = 1;
    }
  } finally {
    target.stop();
  }
}

await main();
