/**
 * What streaming a run to InfluxDB costs, and whether that cost is bounded.
 *
 * k6 runs an open-model test at a fixed offered rate (constant-arrival-rate, default 3,000
 * requests/s) of GET /api/monitoring/health against the reference API (profile phase3, in its
 * own process), tagged as the harness tags its requests, with the harness's system tags and its
 * raw JSON output (raw.ndjson.gz) in every mode. Modes, interleaved in every round (the order
 * rotates so that none always runs on a warmer machine):
 *   plain      the raw JSON output only: no InfluxDB;
 *   aggregate  plus loadgate's live path (`--influx-mode aggregate`, the default): this process
 *              follows raw.ndjson.gz and writes per-second points (lib/influx/observer.ts), as
 *              `loadgate run --influx` does;
 *   samples    plus k6's own InfluxDB output of every sample (`--influx-mode samples`).
 * Then the same at 100 requests/s in the InfluxDB modes, for the points written per second.
 *
 * Per run: the achieved request rate (k6's http_reqs over the test), dropped iterations, k6's
 * CPU per request (user + system, from /usr/bin/time), this process's CPU while k6 ran (the live
 * path's cost is its excess over plain mode, where it only waits), the points InfluxDB accepted
 * per second, how far behind the clock the live path read, and the requests InfluxDB is missing
 * against k6's own count (a number, 0 when none is lost).
 *
 * Goals (issue 15), judged on the medians of ≥ 5 rounds, with the spread (min–max) printed:
 *   - throughput with the live path (aggregate) ≥ 0.95 of plain, at the 3,000 RPS offered;
 *   - points written per second independent of the request rate: aggregate at 3,000 RPS within
 *     a factor of 2 of aggregate at 100 RPS;
 *   - no request lost.
 * A ratio misses "beyond the spread" when its median misses the goal by more than half the
 * spread of the per-round ratios; then the bench exits 1. It exits 2 when the runs did not send
 * the same requests (read back from every run's raw results: one endpoint, one tag set, k6's
 * count). When k6 cannot start every offered iteration (dropped iterations), the rates compared
 * are saturated ones, and the bench says so.
 *
 *   npm run bench:influx     (ROUNDS=5 DURATION=15 RATE=3000 LOW_RATE=100 MODES=plain,aggregate,samples)
 *
 * Everything shares the machine (k6, the reference API, influxd, the live path): run it when
 * nothing else runs (`uptime`); the load average is printed at the start and the end.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createInfluxObserver, type InfluxMode, type InfluxSetup } from '../lib/influx/observer.ts';
import { MEASUREMENTS } from '../lib/contract/influx.ts';
import { startInfluxd } from '../test/support/influxd.ts';
import { GzipTail } from '../lib/influx/tail.ts';
import { K6_OFFLINE_ENV } from '../lib/k6/runner.ts';
import { locateK6 } from '../lib/k6/locate.ts';
import type { Plan } from '../lib/contract/plan.ts';
import type { RunRecord } from '../lib/contract/run.ts';
import { fmtSpread, load, median, missedBeyondSpread } from './stats.ts';
import { RAW_SYSTEM_TAGS } from '../lib/shared/defaults.ts';
import { startTargetProcess } from './target-process.ts';

const ROUNDS = Number(process.env['ROUNDS'] ?? 5);
const DURATION_S = Number(process.env['DURATION'] ?? 15);
const RATE = Number(process.env['RATE'] ?? 3000);
const LOW_RATE = Number(process.env['LOW_RATE'] ?? 100);
type Mode = 'plain' | InfluxMode;
const MODES = (process.env['MODES'] ?? 'plain,aggregate,samples').split(',') as Mode[];
const GOAL_THROUGHPUT = 0.95;
const GOAL_POINTS_FACTOR = 2;
const ENDPOINT = { name: 'monitoring.health', path: '/api/monitoring/health' };

const run = promisify(execFile);

/** The harness's tags and system tags (lib/plan/build.ts), so that every line is as long as a run's. */
const SCRIPT = `
import http from 'k6/http';
import exec from 'k6/execution';
export const options = {
  scenarios: {
    load: {
      executor: 'constant-arrival-rate',
      rate: Number(__ENV.RATE),
      timeUnit: '1s',
      duration: __ENV.DURATION,
      preAllocatedVUs: Math.max(20, Math.ceil(Number(__ENV.RATE) / 15)),
      maxVUs: Math.max(100, Math.ceil(Number(__ENV.RATE) / 3)),
    },
  },
  tags: { testid: __ENV.TESTID, phase: 'bench' },
  systemTags: ${JSON.stringify(RAW_SYSTEM_TAGS)},
  summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)', 'count'],
  discardResponseBodies: true,
};
export default function () {
  exec.vu.metrics.tags.stage = 'hold';
  http.get(__ENV.BASE + '${ENDPOINT.path}', { tags: { name: '${ENDPOINT.name}' }, timeout: '2s' });
}
`;

interface Result {
  mode: Mode;
  rate: number;
  round: number;
  requests: number;
  achievedRps: number;
  dropped: number;
  k6CpuUsPerReq: number;
  /** This process's CPU while k6 ran (the live path, in the InfluxDB modes), ms per second of the test. */
  benchCpuMsPerS: number;
  /** Points InfluxDB accepted per second of the test: loadgate's, and k6's own (samples mode). */
  loadgatePointsPerS: number;
  k6PointsPerS: number;
  /** Requests k6 counted that InfluxDB does not hold (loadgate's points; k6's own in samples mode). */
  lostLive: number | null;
  lostK6: number | null;
  maxLagMs: number | null;
  /** From the raw results: the request samples' names and tag keys, and their count. */
  shape: string;
  rawRequests: number;
  /** Requests that did not get a 200 (timeouts and refusals under saturation). */
  failed: number;
}

async function influxCount(base: string, query: string): Promise<{ name: string; value: number }[]> {
  const res = await fetch(`${base}/query?db=k6&q=${encodeURIComponent(query)}`);
  const body = (await res.json()) as { results: { series?: { name: string; values: [string, number][] }[] }[] };
  return (body.results[0]?.series ?? []).map((s) => ({ name: s.name, value: s.values[0]?.[1] ?? 0 }));
}

function benchPlan(testid: string): Plan {
  // What the live path reads of a plan: the run tags, the endpoints' expected statuses, the targets (none).
  return {
    runId: testid,
    scenario: 'bench',
    profile: 'constant',
    phase: 'bench',
    thresholdSet: null,
    endpoints: [{ name: ENDPOINT.name, group: 'monitoring', probe: false, expectStatus: [200] }],
    stages: [{ name: 'hold', startS: 0, endS: DURATION_S, fromRps: RATE, toRps: RATE }],
  } as unknown as Plan;
}

async function oneRun(
  k6: string,
  script: string,
  dir: string,
  base: string,
  influxUrl: string,
  mode: Mode,
  rate: number,
  round: number,
): Promise<Result> {
  const testid = `bench-${mode}-${rate}-${round}`;
  const runDir = join(dir, testid);
  await mkdir(runDir);
  let influx: InfluxSetup | null = null;
  const plan = benchPlan(testid);
  const record = {
    runId: testid,
    status: 'running',
    startedAt: new Date().toISOString(),
    endedAt: null,
    k6ExitCode: null,
    rawFiles: ['raw.ndjson.gz'],
  } as unknown as RunRecord;
  if (mode !== 'plain') {
    influx = await createInfluxObserver({ url: `${influxUrl}/k6`, required: true, mode, log: (l) => console.log(`    ${l}`) });
    await influx.observer.onStart?.(plan, record, runDir);
  }
  const summary = join(runDir, 'summary.json');
  const outputs = [`json=${join(runDir, 'raw.ndjson.gz')}`, ...(influx?.k6Output ? [influx.k6Output] : [])];
  const cpu0 = process.cpuUsage();
  const { stderr } = await run(
    '/usr/bin/time',
    [
      '-f',
      'K6CPU=%U+%S',
      k6,
      'run',
      '--quiet',
      '--no-usage-report',
      '--summary-export',
      summary,
      ...outputs.flatMap((o) => ['--out', o]),
      script,
    ],
    {
      env: {
        ...process.env,
        ...(influx?.k6Env ?? {}),
        ...K6_OFFLINE_ENV,
        BASE: base,
        TESTID: testid,
        RATE: String(rate),
        DURATION: `${DURATION_S}s`,
      },
      maxBuffer: 64 << 20,
    },
  );
  if (influx) await influx.observer.onEnd?.(plan, { ...record, status: 'completed', endedAt: new Date().toISOString(), k6ExitCode: 0 });
  const cpu = process.cpuUsage(cpu0);
  await influx?.observer.close?.();
  const m = /K6CPU=([\d.]+)\+([\d.]+)/.exec(stderr);
  const k6CpuS = m ? Number(m[1]) + Number(m[2]) : Number.NaN;
  const s = JSON.parse(await readFile(summary, 'utf8')) as {
    metrics: Record<string, { count?: number; rate?: number }>;
  };
  const requests = s.metrics['http_reqs']?.count ?? 0;
  const stats = influx?.stats() ?? null;
  const loadgatePoints = stats ? Object.values(stats.pointsWritten).reduce((a, b) => a + b, 0) : 0;
  let lostLive: number | null = null;
  let lostK6: number | null = null;
  let k6Points = 0;
  if (mode !== 'plain') {
    const live = await influxCount(influxUrl, `SELECT sum("requests") FROM "${MEASUREMENTS.live}" WHERE "testid" = '${testid}'`);
    lostLive = requests - (live[0]?.value ?? 0);
  }
  if (mode === 'samples') {
    const k6Own = await influxCount(
      influxUrl,
      `SELECT count("value") FROM /^(http|vus|iteration|data|checks|dropped)/ WHERE "testid" = '${testid}'`,
    );
    k6Points = k6Own.reduce((a, x) => a + x.value, 0);
    lostK6 = requests - (k6Own.find((x) => x.name === 'http_reqs')?.value ?? 0);
  }
  const shape = await rawShape(join(runDir, 'raw.ndjson.gz'));
  await rm(runDir, { recursive: true, force: true });
  return {
    mode,
    rate,
    round,
    requests,
    achievedRps: requests / DURATION_S,
    dropped: s.metrics['dropped_iterations']?.count ?? 0,
    k6CpuUsPerReq: (k6CpuS * 1e6) / Math.max(1, requests),
    benchCpuMsPerS: (cpu.user + cpu.system) / 1000 / DURATION_S,
    loadgatePointsPerS: loadgatePoints / DURATION_S,
    k6PointsPerS: k6Points / DURATION_S,
    lostLive,
    lostK6,
    maxLagMs: stats?.live?.maxLagMs ?? null,
    ...shape,
  };
}

/**
 * The request samples (http_req_duration) of a raw file: how many, how many failed, and their
 * names and tag keys — but `error` and `error_code`, which k6 adds to a failed request, and
 * `proto`, which it then leaves out.
 */
async function rawShape(file: string): Promise<{ shape: string; rawRequests: number; failed: number }> {
  const kinds = new Set<string>();
  let n = 0;
  let failed = 0;
  const prefix = Buffer.from('{"metric":"http_req_duration","type":"Point"');
  const tail = new GzipTail(file, (buf, start, end) => {
    if (end - start < prefix.length || buf.compare(prefix, 0, prefix.length, start, start + prefix.length) !== 0) return;
    const p = JSON.parse(buf.toString('utf8', start, end)) as { data: { tags: Record<string, string> } };
    const tags = p.data.tags;
    if (tags['status'] !== '200') failed++;
    const keys = Object.keys(tags).filter((k) => k !== 'error' && k !== 'error_code' && k !== 'proto');
    kinds.add(`${tags['name']} {${keys.sort().join(',')}}`);
    n++;
  });
  await tail.finish();
  if (tail.error !== null) throw new Error(`${file}: ${tail.error}`);
  return { shape: [...kinds].sort().join(' + ') || '(no request)', rawRequests: n, failed };
}

async function main(): Promise<void> {
  const k6 = await locateK6();
  const influxd = await startInfluxd();
  const target = await startTargetProcess();
  const dir = await mkdtemp(join(tmpdir(), 'loadgate-bench-influx-'));
  const results: Result[] = [];
  try {
    const script = join(dir, 'script.js');
    await writeFile(script, SCRIPT);
    console.log(
      `k6 ${k6.version}; ${ENDPOINT.path} against the reference API (phase3, own process) at ${RATE} and ${LOW_RATE} RPS offered ` +
        `(constant-arrival-rate) for ${DURATION_S} s; ${ROUNDS} interleaved rounds of ${MODES.join(', ')}; influxd at ${influxd.url}`,
    );
    console.log(`load average at the start: ${load()}`);
    const plans: { rate: number; modes: Mode[] }[] = [
      { rate: RATE, modes: MODES },
      { rate: LOW_RATE, modes: MODES.filter((m) => m !== 'plain') },
    ];
    for (const { rate, modes } of plans) {
      for (let round = 1; round <= ROUNDS; round++) {
        // Rotate the order each round.
        const order = modes.map((_, i) => modes[(i + round - 1) % modes.length] as Mode);
        const line: string[] = [];
        for (const mode of order) {
          const r = await oneRun(k6.path, script, dir, target.url, influxd.url, mode, rate, round);
          results.push(r);
          line.push(
            `${mode} ${r.achievedRps.toFixed(0)} RPS (${r.dropped} dropped, k6 ${r.k6CpuUsPerReq.toFixed(0)} µs/req, this process ${r.benchCpuMsPerS.toFixed(1)} ms/s` +
              (mode === 'plain'
                ? ')'
                : `, ${r.loadgatePointsPerS.toFixed(1)} loadgate + ${r.k6PointsPerS.toFixed(0)} k6 points/s, lost ${r.lostLive}${r.lostK6 === null ? '' : `/${r.lostK6}`})`),
          );
        }
        console.log(`  ${String(rate).padStart(4)} RPS round ${round}: ${line.join(' · ')}`);
      }
    }
    console.log(`load average at the end: ${load()}`);
  } finally {
    target.stop();
    await influxd.stop();
    await rm(dir, { recursive: true, force: true });
  }

  // Like with like, from the raw results of every run: only the endpoint asked for, one tag set, as many as k6 counted.
  let exit = 0;
  const of = (mode: Mode, rate: number) => results.filter((r) => r.mode === mode && r.rate === rate);
  const shapes = new Set(results.map((r) => r.shape));
  const miscounted = results.filter((r) => r.rawRequests !== r.requests);
  if (shapes.size !== 1 || miscounted.length > 0) {
    console.error(
      `FAIL: the runs did not send the same requests: ${[...shapes].join(' | ')}${miscounted.length ? `; ${miscounted.length} raw file(s) hold another count than k6's` : ''}`,
    );
    exit = 2;
  } else {
    console.log(`every run: ${[...shapes][0]}`);
  }
  const failing = results.filter((r) => r.failed > 0);
  if (failing.length > 0) {
    console.log(`requests without a 200: ${failing.map((r) => `${r.failed} in ${r.mode} ${r.rate} round ${r.round}`).join(', ')}`);
  }
  const saturated = results.filter((r) => r.dropped > 0);
  if (saturated.length > 0) {
    console.log(
      `k6 could not start every offered iteration in ${saturated.length} run(s) (dropped iterations): there, the rates compared are the saturated ones`,
    );
  }

  console.log('');
  for (const mode of MODES) {
    const rs = of(mode, RATE);
    if (rs.length === 0) continue;
    console.log(
      `${mode.padEnd(9)} at ${RATE} RPS: achieved ${fmtSpread(
        rs.map((r) => r.achievedRps),
        0,
      )} RPS; k6 CPU ${fmtSpread(
        rs.map((r) => r.k6CpuUsPerReq),
        0,
      )} µs/request; this process ${fmtSpread(
        rs.map((r) => r.benchCpuMsPerS),
        1,
      )} ms CPU/s; dropped ${fmtSpread(
        rs.map((r) => r.dropped),
        0,
      )}`,
    );
  }
  const ratios = (mode: Mode) =>
    of(mode, RATE)
      .map((r) => {
        const p = of('plain', RATE).find((x) => x.round === r.round);
        return p ? r.achievedRps / p.achievedRps : Number.NaN;
      })
      .filter((x) => Number.isFinite(x));
  for (const mode of ['aggregate', 'samples'] as const) {
    const xs = ratios(mode);
    if (xs.length === 0) continue;
    const goal = mode === 'aggregate' ? ` (goal ≥ ${GOAL_THROUGHPUT})` : '';
    console.log(`throughput ${mode}/plain at ${RATE} RPS, per round: ${fmtSpread(xs, 3)}${goal}`);
    if (mode === 'aggregate' && missedBeyondSpread(xs, GOAL_THROUGHPUT, true)) {
      console.error(`FAIL: throughput with the live path ${median(xs).toFixed(3)} < ${GOAL_THROUGHPUT}, beyond the spread`);
      exit ||= 1;
    }
  }
  for (const mode of ['aggregate', 'samples'] as const) {
    const hi = of(mode, RATE);
    const lo = of(mode, LOW_RATE);
    if (hi.length === 0 || lo.length === 0) continue;
    const total = (r: Result) => r.loadgatePointsPerS + r.k6PointsPerS;
    console.log(
      `points written per second, ${mode}: at ${LOW_RATE} RPS ${fmtSpread(lo.map(total), 1)}, at ${RATE} RPS ${fmtSpread(hi.map(total), 1)}; ` +
        `factor ${(median(hi.map(total)) / median(lo.map(total))).toFixed(2)}${mode === 'aggregate' ? ` (goal ≤ ${GOAL_POINTS_FACTOR})` : ''}`,
    );
    if (mode === 'aggregate') {
      // Per round: the 3,000-RPS run against the 100-RPS run of the same round.
      const factors = hi.map((h) => total(h) / total(lo.find((l) => l.round === h.round) ?? (lo[0] as Result)));
      const bounded = factors.map((f) => Math.max(f, 1 / f));
      if (
        median(bounded) > GOAL_POINTS_FACTOR &&
        median(bounded) - GOAL_POINTS_FACTOR > (Math.max(...bounded) - Math.min(...bounded)) / 2
      ) {
        console.error(`FAIL: points per second depend on the request rate (factor ${median(bounded).toFixed(2)} > ${GOAL_POINTS_FACTOR})`);
        exit ||= 1;
      }
    }
  }
  // The live path's own CPU: this process in an InfluxDB mode, less the same process in plain mode (it then only waits for k6).
  const base = median(of('plain', RATE).map((r) => r.benchCpuMsPerS));
  for (const mode of ['aggregate', 'samples'] as const) {
    for (const rate of [LOW_RATE, RATE]) {
      const rs = of(mode, rate);
      if (rs.length === 0 || !Number.isFinite(base)) continue;
      const ms = median(rs.map((r) => r.benchCpuMsPerS)) - base;
      const rps = median(rs.map((r) => r.achievedRps));
      console.log(
        `live path CPU, ${mode} at ${rate} RPS: ${ms.toFixed(1)} ms per second (${(ms / 10).toFixed(1)} % of one core; ${((ms * 1000) / rps).toFixed(1)} µs per request)`,
      );
    }
  }
  const lags = results.filter((r) => r.maxLagMs !== null);
  for (const rate of [LOW_RATE, RATE]) {
    const xs = lags.filter((r) => r.rate === rate).map((r) => r.maxLagMs as number);
    if (xs.length > 0) console.log(`live path: newest sample read at most ${fmtSpread(xs, 0)} ms behind the clock at ${rate} RPS`);
  }
  const lostLive = results.reduce((a, r) => a + (r.lostLive ?? 0), 0);
  const lostK6 = results.reduce((a, r) => a + (r.lostK6 ?? 0), 0);
  const streamed = results.filter((r) => r.lostLive !== null).reduce((a, r) => a + r.requests, 0);
  console.log(
    `lost requests: ${lostLive} of ${streamed} in loadgate's points` +
      (MODES.includes('samples')
        ? `; ${lostK6} of ${results.filter((r) => r.mode === 'samples').reduce((a, r) => a + r.requests, 0)} in k6's own samples`
        : ''),
  );
  if (lostLive !== 0) {
    console.error(`FAIL: loadgate's points miss ${lostLive} request(s)`);
    exit ||= 1;
  }
  process.exitCode = exit;
}

await main();
