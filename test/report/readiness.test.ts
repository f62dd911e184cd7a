/**
 * Issue 11 in the reports: the production readiness score, one set of load figures (offered,
 * achieved, successful over one window; valid / saturated), charts that read (VU line without
 * holes, no partial last bucket, P95 per group with its own target), and a comparison that fits:
 * the phases at a glance first, unchanged rows collapsed, changes judged against their target.
 */
import { describe, expect, it } from 'vitest';
import { loadFigures } from '../../lib/contract/figures.ts';
import { buildComparisonView, compareCells } from '../../lib/report/compare-model.ts';
import { renderComparison, renderRunReport } from '../../lib/report/render.ts';
import { buildRunView, chartData, chartedBuckets, continuousVus, peakVus } from '../../lib/report/run-model.ts';
import { classifyLatency } from '../../lib/shared/stats.ts';
import { makeAnalysis, referenceEndpoints, STRESS_STAGES } from '../fixtures/report/make-analysis.ts';
import { verdictFor } from '../fixtures/report/make-verdict.ts';
import { NOW, PHASES, judgedPhase } from '../fixtures/report/runs.ts';

const tbody = (html: string, id: string) => html.split(`id="${id}"`)[1]?.split('<tbody>')[1]?.split('</tbody>')[0] ?? '';

describe('the run report: production readiness', () => {
  it('shows the score in the hero and a section with every category and check, with the verdict file’s figures', () => {
    const j = judgedPhase('baseline', 1);
    const html = renderRunReport({ analysis: j.analysis, verdict: j.verdict, now: NOW });
    const r = j.verdict!.readiness!;
    const pct = `${Math.round((r.score ?? 0) * 100)} %`;
    expect(html).toContain(`data-readiness="${pct}"`);
    expect(html).toContain(`Production readiness · ${pct}`);
    expect(tbody(html, 'readiness-categories').match(/<tr>/g)?.length).toBe(5);
    expect(tbody(html, 'readiness-table').match(/<tr /g)?.length).toBe(r.checks.length);
    expect(html).toContain('data-check="cors.refused"');
    // The baseline fails its security headers and compression, for the reasons the checks give.
    const row = tbody(html, 'readiness-table').split('data-check="security.content-type-options"')[1]?.split('</tr>')[0] ?? '';
    expect(row).toContain('FAIL');
    expect(row).toContain('failing on user.me');
  });

  it('rises from the baseline to phase3, for the reasons the reference API changes', () => {
    const scores = PHASES.map((p, i) => judgedPhase(p, i + 1).verdict!.readiness!);
    const overall = scores.map((s) => s.score ?? 0);
    expect(overall[0]).toBeLessThan(0.5);
    expect(overall[3]).toBeGreaterThan(0.9);
    for (let i = 1; i < overall.length; i++) expect(overall[i]).toBeGreaterThanOrEqual(overall[i - 1] as number);
    const security = scores.map((s) => s.categories.find((c) => c.name === 'security')?.score);
    expect(security).toEqual([0.2, 0.8, 1, 1]);
  });

  it('an unjudged run still shows the checks that ran; a run without any says so', () => {
    const j = judgedPhase('phase1', 2);
    const html = renderRunReport({ analysis: j.analysis, verdict: null, now: NOW });
    expect(html).toContain('id="readiness-table"');
    expect(html).toContain('Not judged against the production gate');
    const { readiness: _, ...bare } = j.analysis;
    const none = renderRunReport({ analysis: bare, verdict: null, now: NOW });
    expect(none).toContain('id="no-readiness"');
  });
});

describe('the run report: one set of load figures', () => {
  it('the KPI, the load box and the endpoint RPS are over the steady window, with the verdict’s figures', () => {
    const j = judgedPhase('phase3', 4);
    const view = buildRunView(j.analysis, j.verdict, NOW);
    const v = j.verdict!.validity;
    const f = loadFigures(j.analysis);
    expect(f.successfulRps).toBe(v.goodputRps);
    expect(view.kpis.find((k) => k.label === 'Successful RPS')?.value).toBe(`${f.successfulRps!.toFixed(1)} RPS`);
    expect(view.validity.successful).toBe(f.successfulRps!.toFixed(1));
    expect(view.validity.window).toBe('steady window: hold-150% (40s)');
    // An endpoint's RPS: its requests in the window over the window, not over the whole run.
    const login = j.analysis.endpoints.find((e) => e.name === 'auth.login')!;
    const rps = (login.byStage['hold-150%']?.requests ?? 0) / 40;
    expect(view.endpoints.find((e) => e.name === 'auth.login')?.cells[1]?.v).toBeCloseTo(rps, 10);
    // Peak VUs: in use, not allocated.
    expect(view.kpis.find((k) => k.label === 'Peak VUs')?.value).toBe(String(peakVus(j.analysis)));
  });

  it('a system that served less than offered reads SATURATED in its own colour; an unjudged run shows the same figures', () => {
    const j = judgedPhase('baseline', 1);
    const html = renderRunReport({ analysis: j.analysis, verdict: j.verdict, now: NOW });
    expect(j.verdict!.validity.saturated).toBe(true);
    expect(html).toContain('data-load="saturated"');
    expect(html).toMatch(/class="badge sm saturated" data-load-label="SATURATED"/);
    expect(html).not.toMatch(/data-load-label="VALID"/);
    const bare = buildRunView(j.analysis, null, NOW);
    const judged = buildRunView(j.analysis, j.verdict, NOW);
    expect([bare.validity.offered, bare.validity.achieved, bare.validity.successful]).toEqual([
      judged.validity.offered,
      judged.validity.achieved,
      judged.validity.successful,
    ]);
    expect(bare.validity.label).toBe('NOT JUDGED');
  });
});

describe('the run report: charts that read', () => {
  it('the VU line has no hole between its first and last sample', () => {
    expect(continuousVus([null, 3, null, null, 5, null, 2, null])).toEqual([null, 3, 3, 3, 5, 5, 2, null]);
    const j = judgedPhase('phase1', 2);
    const a = { ...j.analysis, series: { ...j.analysis.series, vus: j.analysis.series.vus.map((v, i) => (i % 3 === 1 ? null : v)) } };
    const vus = chartData(a, j.verdict, new Map()).vus;
    const first = vus.findIndex((v) => v !== null);
    const last = vus.length - 1 - [...vus].reverse().findIndex((v) => v !== null);
    expect(vus.slice(first, last + 1).every((v) => v !== null)).toBe(true);
  });

  it('a last interval under half a second is left out, so no spike that never happened', () => {
    const j = judgedPhase('phase1', 2);
    const s = j.analysis.series;
    const n = s.t.length;
    // The run ended 0.2 s into one more interval, whose few requests read as a rate over 0.2 s.
    const a = {
      ...j.analysis,
      run: { ...j.analysis.run, durationS: n + 0.2 },
      series: { ...s, t: [...s.t, n], vus: [...s.vus, 1], rps: [...s.rps, 370], droppedIterations: [...s.droppedIterations, 0] },
    };
    expect(chartedBuckets(a)).toMatchObject({ n, dropped: true });
    const c = chartData(a, j.verdict, new Map());
    expect(c.rps).toHaveLength(n);
    expect(Math.max(...c.rps)).toBeLessThan(370);
    expect(chartedBuckets(j.analysis)).toMatchObject({ n, dropped: false });
  });

  it('P95 over time: one chart per endpoint group, each with its own target line', () => {
    const j = judgedPhase('phase1', 2);
    const c = chartData(j.analysis, j.verdict, new Map());
    expect(c.p95Groups.map((g) => g.name)).toEqual(['auth', 'user', 'monitoring', 'probes']);
    const probes = c.p95Groups.find((g) => g.name === 'probes')!;
    expect(probes.targets.map((t) => t.value)).toEqual([100]);
    expect(c.p95Groups.find((g) => g.name === 'auth')?.targets.map((t) => t.value)).toEqual([1000]);
    // A set without targets (the baseline's) draws the production gate's, and says whose.
    const base = judgedPhase('baseline', 1);
    const c0 = chartData(base.analysis, verdictFor(base.analysis, 'baseline'), new Map());
    expect(c0.p95Groups.find((g) => g.name === 'auth')?.targets[0]?.label).toBe('production P95 target 500 ms');
  });
});

describe('the comparison fits on a few screens', () => {
  const runs = PHASES.map((ph, i) => judgedPhase(ph, i + 1));

  it('opens with the phases at a glance: P95, errors, timeouts (N of M), successful RPS against production, load, readiness', () => {
    const html = renderComparison({ runs, now: NOW });
    // The first table of the page.
    expect(html.indexOf('<table')).toBe(html.indexOf('<table id="phases-table"'));
    expect(html.indexOf('id="phases-table"')).toBeLessThan(html.indexOf('id="readiness-phases"'));
    const rows = tbody(html, 'phases-table')
      .split('</tr>')
      .filter((r) => r.includes('<tr'));
    expect(rows).toHaveLength(4);
    expect(rows[0]).toContain('6 of 11');
    expect(rows[0]).toMatch(/≥ 100 RPS/);
    expect(rows[0]).toContain('SATURATED');
    const view = buildComparisonView({ runs, now: NOW });
    expect(view.phases.map((p) => p.readiness)).toEqual(runs.map((r) => `${Math.round(r.verdict!.readiness!.score! * 100)} %`));
  });

  it('collapses unchanged rows below each table; what remains changed somewhere', () => {
    const view = buildComparisonView({ runs, now: NOW });
    for (const t of view.tables) {
      expect(t.rows.length + t.unchanged.length).toBe(t.total);
      for (const r of t.unchanged) expect(r.quiet).toBe(true);
      for (const r of t.rows) expect(r.quiet).toBe(false);
    }
    const html = renderComparison({ runs, now: NOW });
    expect(html).toMatch(/<details class="unchanged" id="table-p95-unchanged-block"><summary>4 of 11 rows unchanged/);
  });

  it('throughput per endpoint follows the load and is not judged; all endpoints together are, as a share of the offered load', () => {
    const view = buildComparisonView({ runs, now: NOW });
    const rps = view.tables.find((t) => t.metric === 'rps')!;
    const all = [...rps.rows, ...rps.unchanged];
    for (const r of all.filter((x) => !x.runWide)) for (const c of r.cells.slice(1)) expect(c.change?.change, r.name).toBe('follows-load');
    const wide = all.find((x) => x.runWide)!;
    expect(wide.cells[1]?.change?.change).toBe('improved');
    expect(wide.cells[1]?.change?.detail).toMatch(/^served 81 % → 99 % of offered/);
  });

  it('a change counts only when it is certain and relevant to its target: +2.8 ms on a 5 ms P95 against 500 ms is noise', () => {
    const diff = { a: 5, b: 7.8, delta: 2.8, lo: 2.5, hi: 3.1, resamples: 2000 };
    expect(classifyLatency(diff, 2.8, 5)).toBe('regressed');
    expect(classifyLatency(diff, 2.8, 5, { target: { threshold: 500, comparator: '<' } })).toBe('within-noise');
    // Crossing the target always counts.
    const cross = { a: 490, b: 512, delta: 22, lo: 15, hi: 30, resamples: 2000 };
    expect(classifyLatency(cross, 22, 490, { target: { threshold: 500, comparator: '<' } })).toBe('regressed');
    // On real cells: a quarter more on a 25 ms P95 is certain, and nothing against a 500 ms target.
    const a = makeAnalysis({ seed: 41, endpoints: referenceEndpoints('phase3'), stages: STRESS_STAGES });
    const b = makeAnalysis({
      seed: 42,
      endpoints: referenceEndpoints('phase3').map((e) => ({ ...e, baseMs: e.baseMs * 1.25 })),
      stages: STRESS_STAGES,
    });
    const ea = a.endpoints.find((e) => e.name === 'monitoring.metrics')!.total;
    const eb = b.endpoints.find((e) => e.name === 'monitoring.metrics')!.total;
    expect(compareCells(ea, eb, 'p95', 1).change).toBe('regressed');
    expect(compareCells(ea, eb, 'p95', 1, { threshold: 500, comparator: '<' }).change).toBe('within-noise');
  });

  it('shows the readiness score phase by phase, with the checks that changed', () => {
    const view = buildComparisonView({ runs, now: NOW });
    expect(view.readiness.overall.map((c) => c.text)).toEqual(runs.map((r) => `${Math.round(r.verdict!.readiness!.score! * 100)} %`));
    expect(view.readiness.overall[1]?.delta.cls).toBe('pass');
    expect(view.readiness.rows.map((r) => r.id)).toContain('cors.refused');
    expect(view.readiness.unchanged.map((r) => r.id)).toEqual(['security.hsts', 'monitoring.prometheus']);
  });
});
