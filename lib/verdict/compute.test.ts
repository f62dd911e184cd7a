import { describe, expect, it } from 'vitest';
import { BUILTIN_THRESHOLDS } from '../../thresholds/sets.ts';
import { computeVerdict } from './compute.ts';
import { steadyStages } from '../contract/figures.ts';
import { healthyRun, makeAnalysis } from '../../test/support/verdict-fixtures.ts';
import { VerdictSchema, type Verdict } from '../contract/verdict.ts';

const { phase3, production, baseline, phase1 } = BUILTIN_THRESHOLDS.sets;
const row = (v: Verdict, target: string, endpoint: string, stage = 'all') =>
  v.rows.find((r) => r.target === target && r.endpoint === endpoint && r.stage === stage);
const throughput = (v: Verdict) => v.rows.find((r) => r.target === 'throughput');

describe('computeVerdict', () => {
  it('a healthy run at 120 RPS passes phase3, with a valid schema', () => {
    const v = computeVerdict(healthyRun(120), phase3, { setName: 'phase3', now: '2025-01-01T00:00:00Z' });
    expect(() => VerdictSchema.parse(v)).not.toThrow();
    expect(v.status).toBe('pass');
    expect(v.validity.valid).toBe(true);
    expect(v.validity.steadyStages).toEqual(['hold']);
    expect(v.counts.fail + v.counts.inconclusive).toBe(0);
    const t = throughput(v)!;
    expect(t.stage).toBe('hold');
    expect(t.measured).toBeCloseTo(120);
    expect(t.margin).toBeCloseTo(20);
    // per-stage rows are reported but do not gate
    expect(row(v, 'p95', 'auth.login', 'hold')?.gating).toBe(false);
  });

  it('probes are held to 100 ms, others to the set default', () => {
    const v = computeVerdict(healthyRun(120, { health: { p95: 150 } }), production, { setName: 'production' });
    expect(v.status).toBe('fail');
    const r = row(v, 'p95', 'probes.health')!;
    expect(r).toMatchObject({ status: 'fail', measured: 150, threshold: 100, comparator: '<', unit: 'ms', margin: 50, marginRel: 0.5 });
    expect(row(v, 'p95', 'auth.login')).toMatchObject({ status: 'pass', threshold: 500 });
    // failures sort first
    expect(v.rows[0]).toBe(r);
  });

  it('plan endpoints decide which are probes, and unmeasured ones are inconclusive', () => {
    const v = computeVerdict(healthyRun(120), phase1, {
      endpoints: [
        { name: 'user.me', group: 'user', probe: true },
        { name: 'auth.logout', group: 'auth', probe: false },
      ],
    });
    expect(row(v, 'p95', 'user.me')?.threshold).toBe(100);
    expect(row(v, 'p95', 'auth.logout')).toMatchObject({
      status: 'inconclusive',
      measured: null,
      reason: 'no requests to this endpoint in the run',
    });
    expect(v.status).toBe('inconclusive');
  });

  it('errors and timeouts fail, with counts in the reason', () => {
    const v = computeVerdict(healthyRun(120, { login: { timeouts: 50, http5xx: 100 } }), production);
    expect(row(v, 'errorRate', 'auth.login')).toMatchObject({
      status: 'fail',
      comparator: '<',
      unit: 'ratio',
      reason: '150 of 1920 requests failed',
    });
    expect(row(v, 'timeoutRate', 'auth.login')).toMatchObject({
      status: 'fail',
      comparator: '<=',
      threshold: 0,
      marginRel: null,
      reason: '50 of 1920 requests timed out',
    });
    expect(v.status).toBe('fail');
  });

  it('a censored P95 above the target fails and says the true P95 is at least the figure', () => {
    const v = computeVerdict(healthyRun(120, { login: { p95: 2000, censored: true, timeouts: 100 } }), production);
    const r = row(v, 'p95', 'auth.login')!;
    expect(r.status).toBe('fail');
    expect(r.censored).toBe(true);
    expect(r.reason).toBe('censored: the true P95 is at least 2000 ms (capped by the 2000 ms client timeout)');
  });

  it('a censored P95 below the target is inconclusive (the true value is unknown)', () => {
    const v = computeVerdict(healthyRun(120, { login: { p95: 150, censored: true, timeouts: 100 } }), phase1);
    expect(row(v, 'p95', 'auth.login')).toMatchObject({ status: 'inconclusive', censored: true });
  });

  it('a pass while the generator dropped iterations is inconclusive, not a pass', () => {
    // 3600 offered iterations in the hold (1 request each); 200 dropped = 5.6 %
    const v = computeVerdict(healthyRun(120, {}, 200), phase3, { requestsPerIteration: 1 });
    expect(v.validity.valid).toBe(false);
    expect(v.validity.stages.find((s) => s.name === 'hold')?.short).toBe(true);
    expect(v.validity.reasons.join('\n')).toMatch(/k6 dropped 200 iterations/);
    expect(row(v, 'p95', 'auth.login')?.status).toBe('inconclusive');
    expect(row(v, 'p95', 'auth.login')?.reason).toMatch(/not proven at the offered load/);
    expect(v.status).toBe('inconclusive');
  });

  it('drops within the 1 % tolerance do not invalidate the run', () => {
    const v = computeVerdict(healthyRun(120, {}, 20), phase3, { requestsPerIteration: 1 });
    expect(v.validity.valid).toBe(true);
    expect(v.status).toBe('pass');
  });

  it('drops under the run-wide tolerance but over it within one stage make the run inconclusive, not a pass', () => {
    // 40 dropped of ~3600 planned in the hold (1.1 %), of ~4800 in the run (0.8 %).
    const v = computeVerdict(healthyRun(120, {}, 40), phase3, { requestsPerIteration: 1 });
    expect(v.validity.stages.find((s) => s.name === 'hold')?.short).toBe(true);
    expect(v.validity.valid).toBe(false);
    expect(v.status).toBe('inconclusive');
  });

  it('a breach measured while the generator fell short is still a breach (the system failed even at lower load)', () => {
    const v = computeVerdict(healthyRun(120, { login: { p95: 900 } }, 600), production, { requestsPerIteration: 1 });
    const r = row(v, 'p95', 'auth.login')!;
    expect(r.status).toBe('fail');
    expect(r.reason).toMatch(/breached even below the offered load/);
    expect(v.status).toBe('fail');
  });

  describe('throughput in the steady window', () => {
    it('achieved below the target with no drops fails (the generator delivered)', () => {
      const a = healthyRun(120, { login: { http5xx: 700 }, me: { http5xx: 700 } });
      const v = computeVerdict(a, phase3);
      const t = throughput(v)!;
      expect(t.status).toBe('fail');
      expect(t.measured).toBeCloseTo((3600 - 1400) / 30);
      expect(t.reason).toMatch(/generator delivered the load/);
    });

    it('offered below the target is inconclusive: the test never asked for it', () => {
      const v = computeVerdict(healthyRun(60), phase3);
      expect(throughput(v)).toMatchObject({ status: 'inconclusive', threshold: 100 });
      expect(throughput(v)?.reason).toMatch(/offered only 60 RPS/);
      expect(v.status).toBe('inconclusive');
    });

    it('offered below the target but not even that served, with the load delivered: fail', () => {
      const v = computeVerdict(healthyRun(60, { login: { http5xx: 500 }, me: { http5xx: 500 } }), phase3);
      expect(throughput(v)?.status).toBe('fail');
      expect(throughput(v)?.reason).toMatch(/could not sustain even the offered rate/);
    });

    it('short of the target because the generator dropped while the system was healthy: inconclusive', () => {
      const a = makeAnalysis({
        stages: [{ name: 'hold', durationS: 10, from: 120, to: 120, dropped: 400, requests: 800 }],
        endpoints: [{ name: 'user.me', group: 'user', byStage: { hold: { requests: 800, p95: 50 } } }],
      });
      const v = computeVerdict(a, phase3, { requestsPerIteration: 1 });
      expect(throughput(v)?.status).toBe('inconclusive');
      expect(throughput(v)?.reason).toMatch(/raise --max-vus/);
      expect(row(v, 'p95', 'user.me')?.status).toBe('inconclusive');
      expect(v.status).toBe('inconclusive');
    });

    it('short of the target with drops while the system breached its targets: fail (the system held the VUs)', () => {
      const a = makeAnalysis({
        stages: [{ name: 'hold', durationS: 10, from: 120, to: 120, dropped: 400, requests: 800 }],
        endpoints: [{ name: 'user.me', group: 'user', byStage: { hold: { requests: 800, p95: 1900, timeouts: 50 } } }],
      });
      const v = computeVerdict(a, production, { requestsPerIteration: 1 });
      expect(throughput(v)?.status).toBe('fail');
      expect(throughput(v)?.reason).toMatch(/the shortfall is the system's/);
    });

    it('within the 2 % jitter tolerance passes', () => {
      const a = makeAnalysis({
        stages: [{ name: 'hold', durationS: 10, from: 100, to: 100, requests: 990 }],
        endpoints: [{ name: 'user.me', group: 'user', byStage: { hold: { requests: 990, p95: 50 } } }],
      });
      expect(throughput(computeVerdict(a, phase3))?.status).toBe('pass');
    });

    it('widens the tolerance to the counting noise of a short window', () => {
      // 2 / sqrt(400) = 10 %: 92 RPS over 4 s is within noise of 100, though not within 2 %.
      const a = makeAnalysis({
        stages: [{ name: 'hold', durationS: 4, from: 100, to: 100, requests: 368 }],
        endpoints: [{ name: 'user.me', group: 'user', byStage: { hold: { requests: 368, p95: 50 } } }],
      });
      expect(throughput(computeVerdict(a, phase3))?.status).toBe('pass');
    });

    it('blames the system only when its failures explain the shortfall', () => {
      const healthy = makeAnalysis({
        stages: [{ name: 'hold', durationS: 10, from: 100, to: 100, requests: 800 }],
        endpoints: [{ name: 'user.me', group: 'user', byStage: { hold: { requests: 800, p95: 50 } } }],
      });
      // Every request ok, yet fewer than planned: the generator sent fewer (mix, window edges).
      expect(throughput(computeVerdict(healthy, phase3))?.status).toBe('inconclusive');
      const failing = makeAnalysis({
        stages: [{ name: 'hold', durationS: 10, from: 100, to: 100, requests: 1000 }],
        endpoints: [{ name: 'user.me', group: 'user', byStage: { hold: { requests: 1000, http5xx: 200, p95: 50 } } }],
      });
      expect(throughput(computeVerdict(failing, phase3))?.status).toBe('fail');
    });

    it('no constant-rate stage: inconclusive', () => {
      const a = makeAnalysis({
        stages: [{ name: 'ramp', durationS: 10, from: 0, to: 500 }],
        endpoints: [{ name: 'user.me', group: 'user', byStage: { ramp: { requests: 2500, p95: 50 } } }],
      });
      expect(throughput(computeVerdict(a, phase3))).toMatchObject({ status: 'inconclusive', stage: 'steady' });
    });

    it('steady window = the constant stages at the highest rate, combined', () => {
      const a = makeAnalysis({
        stages: [
          { name: 'a', durationS: 10, from: 50, to: 50 },
          { name: 'b', durationS: 10, from: 50, to: 150 },
          { name: 'c', durationS: 10, from: 150, to: 150 },
          { name: 'd', durationS: 10, from: 150, to: 150 },
        ],
        endpoints: [{ name: 'user.me', group: 'user', byStage: { c: { requests: 1500, p95: 10 }, d: { requests: 1500, p95: 10 } } }],
      });
      expect(steadyStages(a.stages).map((s) => s.name)).toEqual(['c', 'd']);
      expect(throughput(computeVerdict(a, phase3))).toMatchObject({ stage: 'c+d', status: 'pass', measured: 150 });
    });
  });

  it('gate every-stage makes per-stage rows decide', () => {
    const a = healthyRun(120, { login: { p95: 600 } });
    // whole-run P95 fixture = max of stages, so make the total pass explicitly via phase1 (1000 ms)
    expect(computeVerdict(a, phase1).status).toBe('pass');
    const strict = { defaults: { p95Ms: 500 } };
    expect(computeVerdict(a, strict, { gate: 'run' }).status).toBe('fail');
    const v = computeVerdict(a, strict, { gate: 'every-stage' });
    expect(row(v, 'p95', 'auth.login', 'hold')).toMatchObject({ gating: true, status: 'fail' });
  });

  it('an interrupted run turns passes into inconclusive', () => {
    const a = { ...healthyRun(120), run: { ...healthyRun(120).run, status: 'interrupted' as const } };
    const v = computeVerdict(a, phase3);
    expect(v.status).toBe('inconclusive');
    expect(v.validity.reasons).toContain('the run was interrupted');
  });

  it('baseline measures only: no rows, passes', () => {
    const v = computeVerdict(healthyRun(120, { login: { p95: 5000, timeouts: 10 } }), baseline, { setName: 'baseline' });
    expect(v.rows).toEqual([]);
    expect(v.status).toBe('pass');
  });

  it('a run without requests against a set with targets is inconclusive', () => {
    const a = makeAnalysis({ stages: [{ name: 'hold', durationS: 10, from: 10, to: 10, requests: 0 }], endpoints: [] });
    expect(computeVerdict(a, phase1).status).toBe('inconclusive');
  });
});

describe('computeVerdict: the production gate', () => {
  const PROD = { name: 'production', set: production };

  it('judges the same run against production too, by the same rules, without touching the gating status', () => {
    const a = healthyRun(120, { login: { p95: 5000, timeouts: 10 } });
    const v = computeVerdict(a, baseline, { setName: 'baseline', production: PROD, now: '2025-01-01T00:00:00Z' });
    expect(() => VerdictSchema.parse(v)).not.toThrow();
    expect(v.status).toBe('pass');
    expect(v.rows).toEqual([]);
    const p = v.production!;
    expect(p.set).toMatchObject({ name: 'production', thresholdsVersion: 1, definition: production });
    expect(p.status).toBe('fail');
    // The gating rows only, failures first, with the counts of those rows.
    expect(p.rows.every((r) => r.gating)).toBe(true);
    expect(p.rows[0]).toMatchObject({ status: 'fail', endpoint: 'auth.login' });
    expect(p.counts.fail).toBe(p.rows.filter((r) => r.status === 'fail').length);
    expect(p.counts.pass + p.counts.fail + p.counts.inconclusive).toBe(p.rows.length);
    // The same rows as judging against production directly.
    const direct = computeVerdict(a, production, { setName: 'production' });
    expect(p.rows).toEqual(direct.rows.filter((r) => r.gating));
    expect(p.status).toBe(direct.status);
  });

  it('follows the settings (gate, tolerances) of the gating judgement', () => {
    const a = healthyRun(120, { login: { p95: 600 } });
    const v = computeVerdict(a, phase1, { gate: 'every-stage', production: PROD });
    expect(v.production!.rows.some((r) => r.stage === 'hold' && r.endpoint === 'auth.login' && r.status === 'fail')).toBe(true);
  });

  it('is absent unless asked for, and a verdict without it still parses (version 1)', () => {
    const v = computeVerdict(healthyRun(120), phase3, { setName: 'phase3' });
    expect(v).not.toHaveProperty('production');
    expect(VerdictSchema.parse(v).version).toBe(1);
  });
});
