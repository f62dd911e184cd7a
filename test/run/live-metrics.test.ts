/**
 * The live progress reads k6's REST API: its request count, error share and drops are the
 * load's, without the readiness checks beside it (their k6 submetrics, subtracted). Real k6 on
 * the run bundle with `--linger`, so its API still answers once the test is over and the live
 * figures can be compared with the raw results exactly.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBundle } from '../../build/bundle.ts';
import { resolveConfig } from '../../lib/config/load.ts';
import { freePort, k6Api, k6Status, readLiveMetrics } from '../../lib/k6/runner.ts';
import { PlanSchema } from '../../lib/contract/plan.ts';
import { buildPlan } from '../../lib/plan/build.ts';
import { LIVE_TIMEOUTS_METRICS } from '../../lib/shared/defaults.ts';
import { READINESS_LIVE_METRICS } from '../../lib/shared/readiness.ts';
import { startTarget, type RunningTarget } from '../../reference-api/server.ts';
import { isReadiness, rawPoints, ROOT, tempOut } from './helpers.ts';

const K6 = join(ROOT, '.tools/k6/v2.2.0/k6');
/** k6's execution status once the test has ended (lib/k6/runner.ts K6Status). */
const K6_STATUS_ENDED = 9;
let target: RunningTarget;

beforeAll(async () => {
  target = await startTarget({ profile: 'phase3', port: 0 });
});
afterAll(async () => {
  await target?.close();
});

/**
 * Runs the monitoring scenario's run bundle in real k6 with `--linger` under a plan from config
 * `data`; k6's live figures (readLiveMetrics), its counts by metric id once they are settled, and
 * the raw results' http_reqs points.
 */
async function liveRun(data: Record<string, unknown>) {
  if (!existsSync(K6)) throw new Error(`k6 v2.2.0 is missing at ${K6}: install it with \`bash scripts/setup.sh\``);
  const dir = await tempOut('loadgate-live-');
  const config = resolveConfig({ file: { path: 'live.yaml', data } });
  const plan = PlanSchema.parse(
    buildPlan({ config, scenario: 'monitoring', profile: 'smoke', phase: null, runId: 'live', now: new Date().toISOString() }),
  );
  await writeFile(join(dir, 'plan.json'), JSON.stringify(plan));
  const script = await ensureBundle('flow', 'run');
  const address = `127.0.0.1:${await freePort()}`;
  const child = spawn(K6, ['run', '--no-color', '--linger', '--address', address, '--out', `json=${join(dir, 'raw.ndjson.gz')}`, script], {
    env: { ...process.env, LOADGATE_PLAN: join(dir, 'plan.json'), K6_NO_USAGE_REPORT: 'true', K6_AUTO_EXTENSION_RESOLUTION: 'false' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const closed = new Promise<number | null>((r) => child.on('close', r));
  let live: Awaited<ReturnType<typeof readLiveMetrics>> = null;
  let k6Counts: Record<string, number> = {};
  try {
    // Lingering: the test is over when k6's execution status says ended; its API still answers.
    const deadline = Date.now() + 60_000;
    while ((await k6Status(address))?.status !== K6_STATUS_ENDED) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`k6 did not finish its test:\n${out.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    // k6's metrics engine takes in the last samples after the status says ended: read until two
    // reads a second apart agree (a busy machine lagged 4 readiness samples behind in CI).
    const counts = async () => {
      const metrics = (await k6Api(address, 'GET', '/v1/metrics')) as {
        data: Array<{ id: string; attributes: { sample: Record<string, number> } }>;
      };
      return Object.fromEntries(metrics.data.map((m) => [m.id, m.attributes.sample['count'] ?? Number.NaN]));
    };
    let previous = JSON.stringify(await counts());
    for (let i = 0; i < 20; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      k6Counts = await counts();
      if (JSON.stringify(k6Counts) === previous) break;
      previous = JSON.stringify(k6Counts);
    }
    live = await readLiveMetrics(address);
  } finally {
    child.kill('SIGTERM');
    await closed;
  }
  const points = (await rawPoints(dir)).filter((p) => p.metric === 'http_reqs');
  return { live, k6Counts, plan, points };
}

describe('live metrics from k6 REST API', () => {
  it('count the load only: k6 total minus the readiness submetrics equals the raw load requests', async () => {
    const {
      live,
      k6Counts,
      plan,
      points: all,
    } = await liveRun({
      target: { baseUrl: target.url },
      load: { rps: 200, durationScale: 0.15 },
      readiness: { rate: 3 },
    });
    expect(Object.keys(plan.k6Options['thresholds'] as object)).toEqual(expect.arrayContaining(Object.values(READINESS_LIVE_METRICS)));
    // The raw results are complete once k6 has ended.
    const points = all;
    const load = points.filter((p) => !isReadiness(p)).length;
    const readiness = points.filter(isReadiness).length;
    expect(load).toBeGreaterThan(5);
    expect(readiness).toBeGreaterThan(5);
    expect(k6Counts[READINESS_LIVE_METRICS.requests]).toBe(readiness);
    expect(k6Counts['http_reqs']).toBe(load + readiness);
    expect(live?.requests).toBe(load);
    expect(live?.failed).toBe(0);
    expect(live?.droppedIterations).toBe(0);
  }, 120_000);

  it("count timeouts on k6's request counter by error_code: the load's, without the readiness checks'", async () => {
    // Accepts connections and never answers: every request times out (error_code 1050).
    const stuck = createServer(() => {});
    await new Promise<void>((r) => stuck.listen(0, '127.0.0.1', r));
    try {
      const short = { timeout: '300ms' };
      const { live, k6Counts, plan, points } = await liveRun({
        target: { baseUrl: `http://127.0.0.1:${(stuck.address() as AddressInfo).port}` },
        load: { rps: 200, durationScale: 0.15 },
        readiness: { rate: 3, timeout: '300ms' },
        endpoints: Object.fromEntries(
          ['monitoring.health', 'monitoring.metrics', 'monitoring.performance', 'probes.health', 'probes.ready', 'probes.live'].map((n) => [
            n,
            short,
          ]),
        ),
      });
      // No per-request Rate sample: no k6 threshold of this plan reads one.
      expect(points.length).toBeGreaterThan(5);
      expect(Object.keys(plan.k6Options['thresholds'] as object)).toEqual(expect.arrayContaining([...LIVE_TIMEOUTS_METRICS]));
      const timedOut = points.filter((p) => p.data.tags?.['error_code'] === '1050');
      const load = timedOut.filter((p) => !isReadiness(p)).length;
      const readiness = timedOut.filter(isReadiness).length;
      expect(load).toBeGreaterThan(5);
      expect(readiness).toBeGreaterThan(0);
      expect(k6Counts['http_reqs{error_code:1050}']).toBe(load + readiness);
      expect(k6Counts['http_reqs{error_code:1211}'] || 0).toBe(0);
      expect(k6Counts[READINESS_LIVE_METRICS.timeouts]).toBe(readiness);
      expect(live?.timeouts).toBe(load);
      expect(live?.requests).toBe(points.filter((p) => !isReadiness(p)).length);
      expect(k6Counts['loadgate_timeouts']).toBeUndefined();
    } finally {
      stuck.closeAllConnections();
      await new Promise((r) => stuck.close(r));
    }
  }, 120_000);
});
