/**
 * Body checks under `loadgate run`: k6 writes only their failures (BODY_MISMATCH_METRIC, no
 * check() sample per request), and the analysis counts an endpoint's passes as its requests
 * less its mismatches, per cell, per endpoint and in the run's totals. A run with samples of
 * k6's check() keeps them as they are; with no plan.json, a mismatch is a failure and no pass
 * can be told. Hand-built runs, every figure worked out.
 */
import { describe, expect, it } from 'vitest';
import { analyzeRun } from '../../lib/analysis/analyze.ts';
import type { Analysis } from '../../lib/contract/analysis.ts';
import type { Plan } from '../../lib/contract/plan.ts';
import { BODY_MISMATCH_METRIC } from '../../lib/shared/defaults.ts';
import { handEndpoint, sample, scratchDirs, twoStagePlan, writeRunDir } from './helpers.ts';

const dir = scratchDirs('loadgate-body-checks-');

/** One request of `name`, sent at `offsetMs`, answered 10 ms later. */
const request = (name: string, stage: string, offsetMs: number) => {
  const tags = { name, scenario: 'journey', stage, status: '200' };
  return [sample('http_reqs', offsetMs + 10, 1, tags), sample('http_req_duration', offsetMs + 10, 10, tags)];
};
const mismatch = (name: string, stage: string, offsetMs: number) =>
  sample(BODY_MISMATCH_METRIC, offsetMs + 10, 1, { name, scenario: 'journey', stage });
const k6Check = (name: string, stage: string, offsetMs: number, pass: boolean) =>
  sample('checks', offsetMs + 10, pass ? 1 : 0, { check: 'body has the expected shape', name, scenario: 'journey', stage });

const base = twoStagePlan([handEndpoint('x'), handEndpoint('y'), handEndpoint('z')], 'body-checks');
/** x and z check their answers' bodies; y has no body check. */
const plan: Plan = {
  ...base,
  endpoints: base.endpoints.map((e) => (e.name === 'y' ? e : { ...e, expectBody: { json: ['status'] } })),
};

/**
 * x: s1 five requests, two mismatches; s2 three requests, none. y: s1 four requests. z: s2 one
 * request, and two mismatches in s2 (one of an answer whose request the raw file lost).
 */
function run(): string[] {
  const lines: string[] = [];
  for (let i = 0; i < 5; i++) lines.push(...request('x', 's1', 1000 + i * 100));
  lines.push(mismatch('x', 's1', 1000), mismatch('x', 's1', 1200));
  for (let i = 0; i < 3; i++) lines.push(...request('x', 's2', 11_000 + i * 100));
  for (let i = 0; i < 4; i++) lines.push(...request('y', 's1', 2000 + i * 100));
  lines.push(...request('z', 's2', 12_000), mismatch('z', 's2', 12_000), mismatch('z', 's2', 12_100));
  return lines;
}

async function analyse(p: Plan | null, lines: string[]): Promise<Analysis> {
  const d = await dir();
  await writeRunDir(d, { plan: p, raw: { 'raw.ndjson.gz': lines } });
  return analyzeRun(d, { percentiles: 'exact' });
}

const checksOf = (a: Analysis, name: string) => {
  const e = a.endpoints.find((x) => x.name === name);
  return { total: e?.total.checks, s1: e?.byStage['s1']?.checks, s2: e?.byStage['s2']?.checks };
};

describe('body checks counted by their failures', () => {
  it('passes are requests less mismatches, per stage, per endpoint and in the totals', async () => {
    const a = await analyse(plan, run());
    expect(checksOf(a, 'x')).toEqual({ total: { passes: 6, fails: 2 }, s1: { passes: 3, fails: 2 }, s2: { passes: 3, fails: 0 } });
    // No body check: no pass, no failure.
    expect(checksOf(a, 'y').total).toEqual({ passes: 0, fails: 0 });
    // More mismatches than requests in a cell: no pass, never fewer than none.
    expect(checksOf(a, 'z').total).toEqual({ passes: 0, fails: 2 });
    expect(a.totals.checks).toEqual({ passes: 6, fails: 4 });
    expect(a.totals.all.checks).toEqual({ passes: 6, fails: 4 });
  });

  it("a run with samples of k6's check() keeps them as they are", async () => {
    const lines = [...run(), k6Check('x', 's1', 1000, true), k6Check('x', 's1', 1100, false)];
    const a = await analyse(plan, lines);
    // The check() samples and the mismatches both count as written; no pass is derived.
    expect(checksOf(a, 'x').total).toEqual({ passes: 1, fails: 3 });
    expect(a.totals.checks).toEqual({ passes: 1, fails: 5 });
  });

  it('with no plan.json a mismatch is a failure, and no pass can be told', async () => {
    const a = await analyse(null, run());
    expect(checksOf(a, 'x').total).toEqual({ passes: 0, fails: 2 });
    expect(a.totals.checks).toEqual({ passes: 0, fails: 4 });
  });
});
