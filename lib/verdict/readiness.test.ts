import { describe, expect, it } from 'vitest';
import type { Analysis } from '../contract/analysis.ts';
import { loadFigures } from '../contract/figures.ts';
import { BUILTIN_THRESHOLDS } from '../../thresholds/sets.ts';
import { computeVerdict } from './compute.ts';
import { healthyRun } from '../../test/support/verdict-fixtures.ts';
import { fmtScore, loadView, readinessSentence } from '../shared/headline.ts';
import { renderMarkdown } from './markdown.ts';
import { scoreReadiness } from '../shared/readiness-score.ts';
import { renderTerminal } from './terminal.ts';
import { VerdictSchema } from '../contract/verdict.ts';

const { phase3, production, baseline } = BUILTIN_THRESHOLDS.sets;
const PROD = { name: 'production', set: production };

/** Readiness samples as the analysis records them: pass shares per check. */
function withReadiness(a: Analysis, shares: Record<string, number>, n = 40): Analysis {
  const checks = Object.entries(shares).map(([id, share]) => {
    const passes = Math.round(share * n);
    return {
      id,
      passes,
      fails: n - passes,
      byEndpoint: { 'x.y': { passes, fails: n - passes } },
      byStage: { hold: { passes, fails: n - passes } },
    };
  });
  return { ...a, readiness: { scenario: 'loadgate_readiness', requests: n * 4, iterations: n, droppedIterations: 0, checks } };
}

const ALL_GOOD = {
  'security.content-type-options': 1,
  'security.frame-options': 1,
  'security.referrer-policy': 1,
  'cors.allowed': 1,
  'cors.refused': 1,
  compression: 1,
  'probes.latency': 1,
  'monitoring.answering': 1,
  'monitoring.prometheus': 1,
};

describe('the production readiness score', () => {
  it('a healthy run with every check passing scores 100 % in every category', () => {
    const v = computeVerdict(withReadiness(healthyRun(120), ALL_GOOD), phase3, { setName: 'phase3', production: PROD });
    expect(() => VerdictSchema.parse(v)).not.toThrow();
    const r = v.readiness!;
    expect(r.measured).toBe(true);
    expect(r.score).toBe(1);
    expect(r.categories.map((c) => [c.name, c.score])).toEqual([
      ['performance', 1],
      ['errors', 1],
      ['timeouts', 1],
      ['monitoring', 1],
      ['security', 1],
    ]);
    // Performance counts the production gate's P95 and throughput rows and the compression check.
    const perf = r.categories[0]!;
    expect(perf.judged).toBe(v.production!.rows.filter((x) => x.target === 'p95' || x.target === 'throughput').length + 1);
    expect(perf.sources).toEqual(['production gate', 'readiness checks']);
    // HSTS is off against an http target (no samples, no plan saying otherwise): left out, not failed.
    expect(r.checks.find((c) => c.id === 'security.hsts')?.status).toBe('off');
    expect(readinessSentence(r)).toBe('readiness 100 %: performance 100 %, errors 100 %, timeouts 100 %, monitoring 100 %, security 100 %');
  });

  it('each check passes on its own required share; a category is the share of its items met; overall the mean', () => {
    const a = withReadiness(healthyRun(120), {
      ...ALL_GOOD,
      'security.content-type-options': 0,
      'cors.allowed': 0,
      'probes.latency': 0.96,
      'monitoring.answering': 0.975,
    });
    const r = computeVerdict(a, phase3, { setName: 'phase3', production: PROD }).readiness!;
    const status = Object.fromEntries(r.checks.map((c) => [c.id, c.status]));
    expect(status['probes.latency']).toBe('pass'); // needs 95 %
    expect(status['monitoring.answering']).toBe('fail'); // needs 99 %
    expect(r.checks.find((c) => c.id === 'monitoring.answering')?.reason).toContain('failing on x.y: 39 of 40 passed');
    const cat = Object.fromEntries(r.categories.map((c) => [c.name, c]));
    expect(cat['security']).toMatchObject({ met: 3, judged: 5, score: 0.6 });
    expect(cat['monitoring']).toMatchObject({ met: 2, judged: 3 });
    expect(r.score).toBeCloseTo((1 + 1 + 1 + 2 / 3 + 0.6) / 5, 10);
    expect(fmtScore(r.score)).toBe('85 %');
  });

  it('the production gate scores performance, errors and timeouts even for a set without targets (the baseline)', () => {
    const a = healthyRun(120, { login: { p95: 900, http5xx: 400, timeouts: 20, censored: false } });
    const v = computeVerdict(a, baseline, { setName: 'baseline', production: PROD });
    expect(v.rows.filter((x) => x.gating)).toEqual([]);
    const cat = Object.fromEntries(v.readiness!.categories.map((c) => [c.name, c]));
    expect(cat['performance']!.score).toBeLessThan(1);
    expect(cat['errors']!.score).toBeLessThan(1);
    expect(cat['timeouts']!.score).toBeLessThan(1);
    // No readiness checks in this run: monitoring and security are not judged, and it says so.
    expect(cat['monitoring']).toMatchObject({ score: null, judged: 0 });
    expect(v.readiness!.measured).toBe(false);
    expect(v.readiness!.checks.every((c) => c.status === 'off')).toBe(true);
  });

  it('the plan says which checks were on: a check on without an answer is not judged, one off is left out', () => {
    const a = withReadiness(healthyRun(120), { 'probes.latency': 1 });
    const plan = {
      scenario: 'loadgate_readiness',
      rate: 1,
      timeoutMs: 2000,
      targets: [],
      securityHeaders: null,
      cors: null,
      compression: { minBytes: 1024 },
      probes: { endpoints: ['probes.health'], maxMs: 100 },
      monitoring: null,
    };
    const r = scoreReadiness(a, null, plan);
    const status = Object.fromEntries(r.checks.map((c) => [c.id, c.status]));
    expect(status['compression']).toBe('inconclusive');
    expect(r.checks.find((c) => c.id === 'compression')?.reason).toBe('no answer large enough to need compression');
    expect(status['cors.allowed']).toBe('off');
    expect(status['probes.latency']).toBe('pass');
    // Without the production gate only the checks score.
    expect(r.categories.find((c) => c.name === 'errors')?.score).toBeNull();
    expect(r.score).toBe(1);
  });

  it("a check with nothing to ask is off with the plan's reason, not failed; the rest are judged as usual", () => {
    const a = withReadiness(healthyRun(120), { 'probes.latency': 1, 'security.content-type-options': 0 });
    const noProbe = 'no probe endpoint configured (probe: true on a GET endpoint without placeholders, or readiness.probes.endpoints)';
    const plan = {
      scenario: 'loadgate_readiness',
      rate: 1,
      timeoutMs: 2000,
      targets: [],
      securityHeaders: { endpoints: ['things.list'], hsts: false },
      cors: null,
      compression: null,
      probes: null,
      monitoring: null,
      skipped: { 'probes.latency': noProbe, 'cors.allowed': 'no allowed origin configured (readiness.cors.allowedOrigin)' },
    };
    const r = scoreReadiness(a, null, plan);
    const byId = Object.fromEntries(r.checks.map((c) => [c.id, c]));
    // Samples of a skipped check (none should come) do not make it judged.
    expect(byId['probes.latency']).toMatchObject({ status: 'off', reason: noProbe, share: null });
    expect(byId['cors.allowed']).toMatchObject({ status: 'off', reason: 'no allowed origin configured (readiness.cors.allowedOrigin)' });
    expect(byId['cors.refused']).toMatchObject({ status: 'off', reason: 'switched off' });
    expect(byId['security.hsts']?.reason).toBe('not required: the target is not https');
    expect(byId['security.content-type-options']?.status).toBe('fail');
    expect(r.categories.find((c) => c.name === 'monitoring')?.judged).toBe(0);
    expect(r.measured).toBe(true);
    // summary.md lists what did not run, each with its reason.
    const v = computeVerdict(a, phase3, { setName: 'phase3', production: PROD, readiness: plan });
    expect(renderMarkdown(v, a)).toContain(`Probes fast under load (${noProbe})`);
  });

  it('nothing to ask at all: the terminal and summary.md say why instead of pointing at readiness.enabled', () => {
    const a = {
      ...healthyRun(120),
      readiness: { scenario: 'loadgate_readiness', requests: 0, iterations: 0, droppedIterations: 0, checks: [] },
    };
    const skipped = Object.fromEntries(Object.keys(ALL_GOOD).map((id) => [id, `no ${id} endpoint configured`]));
    const plan = {
      scenario: 'loadgate_readiness',
      rate: 1,
      timeoutMs: 2000,
      targets: [],
      securityHeaders: null,
      cors: null,
      compression: null,
      probes: null,
      monitoring: null,
      skipped,
    };
    const v = computeVerdict(a, phase3, { setName: 'phase3', production: PROD, readiness: plan });
    expect(v.readiness?.measured).toBe(false);
    // One line, however the terminal wraps it.
    const out = renderTerminal(a, v, { color: false }).replace(/\n +/g, ' ');
    expect(out).toMatch(
      /\(no readiness checks ran beside the load: no security\.content-type-options endpoint configured; \+8 more reasons in verdict\.json\)/,
    );
    expect(out).not.toContain('readiness.enabled');
    const md = renderMarkdown(v, a);
    expect(md).toContain('No readiness checks ran beside the load');
    expect(md).toContain('Compression (no compression endpoint configured)');
    // Switched off in the config: the terminal names the setting.
    const off = computeVerdict(a, phase3, { setName: 'phase3', production: PROD, readiness: null });
    expect(renderTerminal(a, off, { color: false }).replace(/\n +/g, ' ')).toContain(
      '(no readiness checks ran beside the load: config readiness.enabled)',
    );
  });
});

describe('one set of load figures: offered, achieved, successful; valid or saturated', () => {
  it('are over the steady window, and are the verdict’s figures', () => {
    const a = healthyRun(120);
    const f = loadFigures(a);
    expect(f).toMatchObject({ window: 'steady', stages: ['hold'], seconds: 30 });
    expect(f.offeredRps).toBe(120);
    expect(f.achievedRps).toBeCloseTo(120);
    const v = computeVerdict(a, phase3, { setName: 'phase3' });
    expect([v.validity.offeredRps, v.validity.achievedRps, v.validity.goodputRps]).toEqual([f.offeredRps, f.achievedRps, f.successfulRps]);
    expect(v.validity.saturated).toBe(false);
    expect(loadView(v.validity).label).toBe('VALID');
  });

  it('a system that served less than it was offered is SATURATED, not valid-and-fine; a generator shortfall is NOT VALID', () => {
    // All 3,600 requests offered were sent (no drops), but 40 % of them failed.
    const a = healthyRun(120, { login: { http5xx: 1000 }, me: { http5xx: 440 } });
    const v = computeVerdict(a, phase3, { setName: 'phase3' });
    expect(v.validity.valid).toBe(true);
    expect(v.validity.saturated).toBe(true);
    expect(v.validity.stages.find((s) => s.name === 'hold')?.saturated).toBe(true);
    const lv = loadView(v.validity);
    expect(lv.label).toBe('SATURATED');
    expect(lv.figures).toMatch(/^offered 120 RPS, achieved 120 RPS, successful 72\.0 RPS \(60 % of offered\) in hold$/);
    const short = computeVerdict(healthyRun(120, {}, 400), phase3, { setName: 'phase3' });
    expect(loadView(short.validity).state).toBe('not-valid');
    // A verdict written before the field reads the same from its rates.
    const { saturated: _, ...old } = v.validity;
    expect(loadView(old).state).toBe('saturated');
  });
});
