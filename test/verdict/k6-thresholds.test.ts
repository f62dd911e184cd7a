/**
 * Real k6 accepts what toK6Thresholds produces, and evaluates it as intended: a tiny plain JS
 * script whose `options.thresholds` is the converter's output makes a handful of tagged
 * requests to the reference API (in-process, port 0).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTarget, type RunningTarget } from '../../reference-api/server.ts';
import { DEFAULT_ENDPOINTS } from '../../lib/shared/defaults.ts';
import { toK6Thresholds } from '../../thresholds/k6.ts';
import { BUILTIN_THRESHOLDS } from '../../thresholds/sets.ts';
import type { ThresholdSet } from '../../lib/contract/thresholds.ts';

const K6 = resolve(import.meta.dirname, '../../.tools/k6/v2.2.0/k6');
const endpoints = Object.entries(DEFAULT_ENDPOINTS).map(([name, e]) => ({ name, group: e.group, probe: e.probe }));

let target: RunningTarget;
let dir: string;

beforeAll(async () => {
  target = await startTarget({ profile: 'phase3' });
  dir = await mkdtemp(join(tmpdir(), 'loadgate-k6thr-'));
});
afterAll(async () => {
  await target?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function script(thresholds: unknown): string {
  // Plain JS: k6 runs it as is. Three unauthenticated endpoints, tagged by name like the scenarios do.
  return `
import http from 'k6/http';
import { Rate } from 'k6/metrics';
const timeouts = new Rate('loadgate_timeouts');
export const options = {
  vus: 1,
  iterations: 10,
  thresholds: ${JSON.stringify(thresholds)},
  summaryTrendStats: ['avg', 'p(95)'],
};
const paths = { 'probes.health': '/health', 'probes.live': '/live', 'monitoring.health': '/api/monitoring/health' };
export default function () {
  for (const [name, path] of Object.entries(paths)) {
    const res = http.get(__ENV.BASE_URL + path, { tags: { name }, timeout: '2s' });
    timeouts.add(res.error_code === 1050, { name });
  }
  // A server that accepts and never answers: every request times out (error_code 1050).
  if (__ENV.STUCK_URL) {
    const res = http.get(__ENV.STUCK_URL, { tags: { name: 'stuck' }, timeout: '200ms' });
    timeouts.add(res.error_code === 1050, { name: 'stuck' });
  }
}
export function handleSummary(data) {
  return { [__ENV.SUMMARY]: JSON.stringify(data) };
}
`;
}

async function runK6(set: ThresholdSet, opts: Parameters<typeof toK6Thresholds>[2], tag: string, stuckUrl?: string) {
  const thresholds = toK6Thresholds(set, stuckUrl ? [...endpoints, { name: 'stuck', group: 'stuck', probe: false }] : endpoints, opts);
  const file = join(dir, `${tag}.js`);
  const summary = join(dir, `${tag}.summary.json`);
  await writeFile(file, script(thresholds));
  const child = spawn(K6, ['run', '--quiet', '--no-color', file], {
    env: {
      ...process.env,
      BASE_URL: target.url,
      SUMMARY: summary,
      ...(stuckUrl ? { STUCK_URL: stuckUrl } : {}),
      K6_NO_USAGE_REPORT: 'true',
      K6_AUTO_EXTENSION_RESOLUTION: 'false',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const code = await new Promise<number | null>((r) => child.on('close', r));
  const data = existsSync(summary)
    ? (JSON.parse(await readFile(summary, 'utf8')) as { metrics: Record<string, { thresholds?: Record<string, { ok: boolean }> }> })
    : null;
  return { code, output, thresholds, data };
}

describe('toK6Thresholds output in real k6', () => {
  beforeAll(() => {
    if (!existsSync(K6)) throw new Error(`k6 v2.2.0 is missing at ${K6}: install it with \`bash scripts/setup.sh\``);
  });
  it('production thresholds for every default endpoint (no timeouts: a count on http_reqs) are accepted and pass on a fast target', async () => {
    const r = await runK6(BUILTIN_THRESHOLDS.sets.production, { abortOnFail: false, timeoutRateMetric: 'loadgate_timeouts' }, 'production');
    expect(r.output).not.toMatch(/invalid threshold|GoError|level=error/i);
    expect(r.code, r.output).toBe(0);
    const probe = r.data?.metrics['http_req_duration{name:probes.health}']?.thresholds;
    expect(probe).toEqual({ 'p(95)<100': { ok: true } });
    // No request timed out: the sub-metric has no sample, and count<1 holds.
    expect(r.data?.metrics['http_reqs{name:probes.health,error_code:1050}']?.thresholds).toEqual({ 'count<1': { ok: true } });
    expect(r.data?.metrics['http_reqs{name:probes.health,error_code:1211}']?.thresholds).toEqual({ 'count<1': { ok: true } });
    expect(Object.keys(r.thresholds).filter((k) => k.startsWith('loadgate_timeouts'))).toEqual([]);
  }, 60_000);

  it('timeouts breach k6 thresholds of both forms: count<1 on http_reqs by error_code, and a share on the Rate', async () => {
    // Accepts connections and never answers.
    const stuck = createServer(() => {});
    await new Promise<void>((r) => stuck.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(stuck.address() as AddressInfo).port}/`;
      const none = await runK6(
        { defaults: { maxTimeoutRate: 0 } },
        { abortOnFail: false, timeoutRateMetric: 'loadgate_timeouts' },
        'no-timeouts',
        url,
      );
      expect(none.code, none.output).toBe(99);
      expect(none.data?.metrics['http_reqs{name:stuck,error_code:1050}']?.thresholds).toEqual({ 'count<1': { ok: false } });
      expect(none.data?.metrics['http_reqs{name:probes.live,error_code:1050}']?.thresholds).toEqual({ 'count<1': { ok: true } });
      const share = await runK6(
        { defaults: { maxTimeoutRate: 0.5 } },
        { abortOnFail: false, timeoutRateMetric: 'loadgate_timeouts' },
        'timeout-share',
        url,
      );
      expect(share.code, share.output).toBe(99);
      expect(share.data?.metrics['loadgate_timeouts{name:stuck}']?.thresholds).toEqual({ 'rate<=0.5': { ok: false } });
      expect(share.data?.metrics['loadgate_timeouts{name:probes.live}']?.thresholds).toEqual({ 'rate<=0.5': { ok: true } });
    } finally {
      stuck.closeAllConnections();
      await new Promise((r) => stuck.close(r));
    }
  }, 60_000);

  it('abortOnFail objects are accepted, and a breached target fails k6 with exit 99 on that sub-metric only', async () => {
    const set: ThresholdSet = { defaults: { p95Ms: 1000, errorRate: 0.05 }, endpoints: { 'probes.live': { p95Ms: 0.001 } } };
    const r = await runK6(set, { abortOnFail: true, delayAbortEval: '1s' }, 'breach');
    expect(r.thresholds['http_req_duration{name:probes.live}']).toEqual([
      { threshold: 'p(95)<0.001', abortOnFail: true, delayAbortEval: '1s' },
    ]);
    expect(r.code, r.output).toBe(99);
    expect(r.data?.metrics['http_req_duration{name:probes.live}']?.thresholds).toEqual({ 'p(95)<0.001': { ok: false } });
    expect(r.data?.metrics['http_req_duration{name:probes.health}']?.thresholds).toEqual({ 'p(95)<1000': { ok: true } });
  }, 60_000);
});
