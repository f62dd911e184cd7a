/**
 * Censored percentiles: client timeouts (1050) and dial timeouts (1211) alike hide a latency
 * that is at least the timeout. k6 records a dial timeout at 0 ms (http_req_duration leaves
 * out connecting), so it censors the top ranks, not the values above 0.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeRun } from '../../lib/analysis/analyze.ts';
import type { Analysis, Endpoint } from '../../lib/contract/analysis.ts';
import type { Plan } from '../../lib/contract/plan.ts';
import { planFor } from './generate.ts';
import { sample, T0, tempDir, writeRunDir } from './helpers.ts';
import { k6p } from './reference.ts';

/** A request's duration, waiting and connecting samples, as k6 writes them when it ends. */
function request(name: string, offsetMs: number, durationMs: number, status: number, errorCode?: string): string[] {
  const tags = {
    ...(errorCode ? { error: 'x', error_code: errorCode } : {}),
    name,
    scenario: 'journey',
    stage: 'only',
    status: String(status),
  };
  const t = offsetMs + durationMs;
  return [
    sample('http_req_duration', t, durationMs, tags),
    sample('http_req_waiting', t, durationMs, tags),
    sample('http_req_connecting', t, 0, tags),
  ];
}

const plan: Plan = planFor(
  {
    seed: 1,
    startMs: T0,
    scenario: 'journey',
    stages: [{ name: 'only', startS: 0, endS: 10, fromRps: 10, toRps: 10 }],
    endpoints: ['dial', 'connecting', 'capped'].map((name) => ({
      name,
      group: 'g',
      method: 'GET' as const,
      path: `/${name}`,
      timeoutMs: 2000,
      baseMs: 1,
      loadFactor: 1,
      timeoutAtPeak: 0,
    })),
  },
  'censoring',
);

/** 18 ok requests of 10, 20 … 180 ms (`dial`, `connecting`) or 19 of 1 … 19 ms (`capped`), then the timed-out ones. */
function lines(): string[] {
  const out = [sample('vus', 1000, 1, {})];
  for (let i = 1; i <= 18; i++) out.push(...request('dial', i * 100, i * 10, 200), ...request('connecting', i * 100, i * 10, 200));
  for (let i = 1; i <= 19; i++) out.push(...request('capped', i * 100, i, 200));
  // Dial timeouts: k6 never sent the request; duration 0.
  out.push(...request('dial', 3000, 0, 0, '1211'), ...request('dial', 3100, 0, 0, '1211'));
  // Client timeouts that struck while connecting: 1050, also recorded at 0 ms.
  out.push(...request('connecting', 3000, 0, 0, '1050'), ...request('connecting', 3100, 0, 0, '1050'));
  // A client timeout of a request that was sent: recorded at (about) the timeout.
  out.push(...request('capped', 3000, 2000.5, 0, '1050'));
  return out;
}

const dirs: string[] = [];
let exact: Analysis;
let hdr: Analysis;
beforeAll(async () => {
  const d = await tempDir();
  dirs.push(d);
  await writeRunDir(d, { plan, raw: { 'raw.ndjson.gz': lines() } });
  exact = await analyzeRun(d, { percentiles: 'exact' });
  hdr = await analyzeRun(d, { percentiles: 'hdr' });
});
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const ep = (a: Analysis, name: string) => a.endpoints.find((e) => e.name === name) as Endpoint;
const finding = (a: Analysis, name: string) => a.timeouts.findings.find((f) => f.endpoint === name);

describe('censoring', () => {
  it('dial timeouts censor the percentiles that read the top ranks, as many ranks as there were timeouts', () => {
    const t = ep(exact, 'dial').total;
    expect(t.outcomes).toMatchObject({ ok: 18, timeout: 0, dialTimeout: 2 });
    expect(t.timeoutRate).toBe(0.1);
    // n = 20, two timed out: ranks 18 and 19 are unknown. p50 reads ranks 9–10 (index 9.5),
    // p90 ranks 17–18 (17.1), p95 18–19 (18.05), p99 18–19 (18.81).
    expect(t.censored).toEqual({ p50: false, p90: true, p95: true, p99: true });
    // The figures stay k6's own: over the recorded durations, the two zeros included.
    const recorded = [0, 0, ...Array.from({ length: 18 }, (_, i) => (i + 1) * 10)];
    expect(t.durationMs.p50).toBe(k6p(recorded, 0.5));
    expect(t.durationMs.p90).toBe(k6p(recorded, 0.9));
    expect(finding(exact, 'dial')).toMatchObject({ count: 2, censored: ['p90', 'p95', 'p99'] });
  });

  it('a client timeout recorded at 0 ms (it struck while connecting) censors like a dial timeout, not every percentile', () => {
    const t = ep(exact, 'connecting').total;
    expect(t.outcomes).toMatchObject({ ok: 18, timeout: 2, dialTimeout: 0 });
    expect(t.censored).toEqual({ p50: false, p90: true, p95: true, p99: true });
  });

  it('a percentile interpolated toward a capped timeout is censored, though its value is far below the timeout', () => {
    const t = ep(exact, 'capped').total;
    // n = 20, one timed out (rank 19). p95 is 5 % of the way from 19 ms to 2000.5 ms: 118.075 ms.
    expect(t.durationMs.p95).toBeCloseTo(19 + 0.05 * (2000.5 - 19), 9);
    expect(t.censored).toEqual({ p50: false, p90: false, p95: true, p99: true });
  });

  it("hdr mode reads the same ranks: cells this small keep their values, so figures and censoring are exact mode's", () => {
    expect(hdr.settings.percentiles).toBe('hdr');
    for (const name of ['dial', 'connecting', 'capped']) {
      expect(ep(hdr, name).total.durationMs, name).toEqual(ep(exact, name).total.durationMs);
      expect(ep(hdr, name).total.censored, name).toEqual(ep(exact, name).total.censored);
    }
    expect(hdr.totals.all.censored).toEqual(exact.totals.all.censored);
  });

  it('the run total counts every endpoint’s timeouts', () => {
    const all = exact.totals.all;
    expect(all.requests).toBe(60);
    // 5 timed out of 60: ranks 55..59 (0-based) unknown; p90 reads ranks 53–54 (index 53.1),
    // p95 ranks 56–57 (56.05).
    expect(all.censored).toEqual({ p50: false, p90: false, p95: true, p99: true });
  });
});
