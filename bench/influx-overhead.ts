/**
 * InfluxDB streaming overhead: the same short k6 run against the reference API (phase3, no
 * artificial bottleneck) with and without k6's built-in InfluxDB v1 output, alternating in one
 * run. Closed model (constant VUs, no think time) so that k6 goes as fast as it can and any
 * cost of the output shows as fewer iterations per second. Both modes write k6's raw JSON
 * output, as every harness run does. Prints iterations/s of each, the samples InfluxDB
 * received, and the ratio.
 *
 *   npx tsx bench/influx-overhead.ts        (ROUNDS=3 VUS=10 DURATION=10s by default)
 *
 * Everything shares the machine (k6, the reference API, influxd): the ratio is what one box
 * pays for streaming, an upper bound for a setup where InfluxDB runs elsewhere.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInfluxObserver } from '../lib/influx/observer.ts';
import { startInfluxd } from '../lib/influx/server.ts';
import { locateK6 } from '../lib/k6/locate.ts';
import { startTarget } from '../target/server.ts';

const ROUNDS = Number(process.env['ROUNDS'] ?? 3);
const VUS = Number(process.env['VUS'] ?? 10);
const DURATION = process.env['DURATION'] ?? '10s';

/** Unauthenticated endpoints of the catalogue, tagged like the harness's scripts tag them. */
const SCRIPT = `
import http from 'k6/http';
import exec from 'k6/execution';
const base = __ENV.BASE;
const eps = [
  ['monitoring.health', '/api/monitoring/health'],
  ['probes.health', '/health'],
  ['probes.ready', '/ready'],
  ['probes.live', '/live'],
];
export const options = {
  scenarios: { monitoring: { executor: 'constant-vus', vus: ${VUS}, duration: '${DURATION}' } },
  tags: { testid: __ENV.TESTID, phase: 'bench' },
  summaryTrendStats: ['avg', 'p(95)'],
};
export default function () {
  exec.vu.metrics.tags.stage = 'hold';
  const [name, path] = eps[exec.scenario.iterationInTest % eps.length];
  http.get(base + path, { tags: { name }, timeout: '2s' });
}
`;

interface Sample {
  mode: 'plain' | 'influx';
  iterationsPerS: number;
  iterations: number;
}

async function k6Run(
  k6: string,
  script: string,
  dir: string,
  base: string,
  testid: string,
  out: string[],
  env: Record<string, string>,
): Promise<{ iterations: number; rate: number; slowFlushes: number }> {
  const summary = join(dir, `${testid}.json`);
  // Both modes keep the raw JSON output every harness run writes: the difference is InfluxDB alone.
  const outputs = [`json=${join(dir, `${testid}.ndjson.gz`)}`, ...out];
  const args = ['run', '--quiet', '--no-usage-report', '--summary-export', summary, ...outputs.flatMap((o) => ['--out', o]), script];
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    const child = spawn(k6, args, { env: { ...process.env, ...env, BASE: base, TESTID: testid }, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`k6 exited with ${code}\n${stderr.slice(-2000)}`))));
  });
  const data = JSON.parse(await readFile(summary, 'utf8')) as { metrics: { iterations: { count: number; rate: number } } };
  // k6 warns when a push to InfluxDB takes longer than the push interval: the output is behind.
  const slowFlushes = (stderr.match(/flush operation took higher/g) ?? []).length;
  return { iterations: data.metrics.iterations.count, rate: data.metrics.iterations.rate, slowFlushes };
}

async function main(): Promise<void> {
  const k6 = await locateK6();
  const influxd = await startInfluxd();
  const target = await startTarget({ profile: 'phase3', seed: 1 });
  const dir = await mkdtemp(join(tmpdir(), 'loadgate-bench-influx-'));
  try {
    const script = join(dir, 'script.js');
    await writeFile(script, SCRIPT);
    const influx = await createInfluxObserver({ url: `${influxd.url}/k6`, required: true });
    console.log(
      `k6 ${k6.version}, ${VUS} VUs × ${DURATION}, ${ROUNDS} rounds alternating; reference API phase3 at ${target.url}; influxd at ${influxd.url}`,
    );
    const samples: Sample[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      // Alternate the order each round so neither mode always runs on a warmer machine.
      const order: Sample['mode'][] = round % 2 === 1 ? ['plain', 'influx'] : ['influx', 'plain'];
      for (const mode of order) {
        const testid = `bench-${mode}-${round}`;
        const r = await k6Run(
          k6.path,
          script,
          dir,
          target.url,
          testid,
          mode === 'influx' ? [influx.k6Output] : [],
          mode === 'influx' ? influx.k6Env : {},
        );
        samples.push({ mode, iterationsPerS: r.rate, iterations: r.iterations });
        const slow = mode === 'influx' ? `, ${r.slowFlushes} slow InfluxDB pushes` : '';
        console.log(
          `  round ${round} ${mode.padEnd(6)} ${r.rate.toFixed(1).padStart(8)} iterations/s  (${r.iterations} iterations${slow})`,
        );
      }
    }
    const res = await fetch(
      `${influxd.url}/query?db=k6&q=${encodeURIComponent('SELECT count("value") FROM "http_reqs" WHERE "phase" = \'bench\'')}`,
    );
    const body = (await res.json()) as { results: { series?: { values: [string, number][] }[] }[] };
    const received = body.results[0]?.series?.[0]?.values[0]?.[1] ?? 0;
    const mean = (mode: Sample['mode']) => {
      const xs = samples.filter((s) => s.mode === mode).map((s) => s.iterationsPerS);
      return xs.reduce((a, b) => a + b, 0) / xs.length;
    };
    const streamed = samples.filter((s) => s.mode === 'influx').reduce((a, s) => a + s.iterations, 0);
    const plain = mean('plain');
    const withInflux = mean('influx');
    console.log('');
    console.log(`without InfluxDB (json only): ${plain.toFixed(1)} iterations/s (mean of ${ROUNDS})`);
    console.log(`with InfluxDB (json + influxdb): ${withInflux.toFixed(1)} iterations/s (mean of ${ROUNDS})`);
    console.log(`ratio with/without: ${(withInflux / plain).toFixed(3)}`);
    console.log(
      `InfluxDB received ${received} http_reqs samples for ${streamed} streamed iterations (${streamed > 0 ? ((received / streamed) * 100).toFixed(1) : '0'} %)`,
    );
  } finally {
    await target.close();
    await influxd.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
