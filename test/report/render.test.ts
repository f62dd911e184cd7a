import { describe, expect, it } from 'vitest';
import { AnalysisSchema, type Stage } from '../../lib/contract/analysis.ts';
import { renderComparison, renderRunReport } from '../../lib/report/render.ts';
import { buildComparisonView, checkComparable } from '../../lib/report/compare-model.ts';
import { makeAnalysis, referenceEndpoints, STRESS_STAGES } from '../fixtures/report/make-analysis.ts';
import { HOSTILE, NOW, PHASES, hostileRun, judgedPhase } from '../fixtures/report/runs.ts';
import { verdictFor } from '../fixtures/report/make-verdict.ts';

/** Every URL-bearing attribute in the page: a self-contained report has none that leaves the page. */
function externalRefs(html: string): string[] {
  return [...html.matchAll(/(?:src|href|action)\s*=\s*["']?([^"'\s>]+)/gi)]
    .map((m) => m[1] ?? '')
    .filter((u) => !u.startsWith('#') && !u.startsWith('data:'));
}

describe('fixtures', () => {
  it('are valid analyses with real histograms', () => {
    const { analysis } = judgedPhase('baseline', 1);
    expect(() => AnalysisSchema.parse(analysis)).not.toThrow();
    expect(analysis.endpoints.every((e) => e.total.histogram !== null)).toBe(true);
    expect(analysis.timeouts.findings[0]?.endpoint).toBe('auth.login');
  });
});

describe('renderRunReport', () => {
  const judged = judgedPhase('baseline', 1);
  const html = renderRunReport({ analysis: judged.analysis, verdict: judged.verdict, now: NOW });

  it('shows the verdict, validity and the timeout headline at the top', () => {
    expect(html).toContain('data-verdict="FAIL"');
    expect(html).toMatch(/offered <b>[\d.]+<\/b> RPS/);
    expect(html).toMatch(/Timeouts on \d+ of 11 endpoints\. First onset: auth\.login/);
  });

  it('fills the targets, endpoint, timeout and stage tables', () => {
    const tbody = (id: string) => html.split(`id="${id}"`)[1]?.split('<tbody>')[1]?.split('</tbody>')[0] ?? '';
    expect(tbody('targets-table').match(/<tr /g)?.length).toBe(judged.verdict!.rows.filter((r) => r.gating).length);
    expect(tbody('endpoints-table').match(/<tr>/g)?.length).toBe(11);
    expect(tbody('timeouts-table')).toContain('load-correlated');
    expect(tbody('stages-table').match(/<tr>/g)?.length).toBe(STRESS_STAGES.length);
    expect(html).toContain('id="stage-matrix"');
    expect(html.match(/<svg viewBox/g)?.length).toBe(11);
  });

  it('is self-contained: styles, scripts and data inline, nothing fetched', () => {
    expect(externalRefs(html)).toEqual([]);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).toContain('uPlot');
    expect(html).toContain('<script type="application/json" id="report-data">');
  });

  it('is a pure function of its inputs and time', () => {
    expect(renderRunReport({ analysis: judged.analysis, verdict: judged.verdict, now: NOW })).toBe(html);
    expect(html).toContain('generated 2025-06-01T03:00:00.000Z');
  });

  it('renders without a verdict: "not judged"', () => {
    const bare = renderRunReport({ analysis: judged.analysis, verdict: null, now: NOW });
    expect(bare).toContain('data-verdict="NOT JUDGED"');
    expect(bare).toContain('id="not-judged"');
    expect(bare).not.toContain('id="targets-table"');
  });

  it('marks an aborted run prominently and shows input warnings', () => {
    const page = renderRunReport({ analysis: hostileRun(), verdict: null, now: NOW });
    expect(page).toMatch(/id="run-status" data-status="aborted">Run ABORTED/);
    expect(page).toContain('id="input-warnings"');
  });

  it('escapes endpoint names, paths, run ids and messages', () => {
    const page = renderRunReport({ analysis: hostileRun(), verdict: null, now: NOW });
    expect(page).not.toContain(HOSTILE);
    expect(page).not.toContain('<img src=x');
    expect(page).not.toContain('</script><b>');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    // In the embedded JSON, '<' is \u003c so nothing can close the data element.
    const data = page.split('id="report-data">')[1]?.split('</script>')[0] ?? '';
    expect(data).toContain('\\u003cscript\\u003ealert(1)\\u003c/script\\u003e');
    expect(JSON.parse(data).chart.endpoints[0].name).toBe(HOSTILE);
  });
});

describe('the two questions in the reports', () => {
  it('the run report shows the own verdict and the production gate, with the same figures as verdict.json', () => {
    const judged = judgedPhase('phase1', 2);
    const html = renderRunReport({ analysis: judged.analysis, verdict: judged.verdict, now: NOW });
    const p = judged.verdict!.production!;
    expect(html).toContain(`data-production-verdict="${p.status.toUpperCase()}"`);
    expect(html).toContain('id="production-targets-table"');
    const tbody = html.split('id="production-targets-table"')[1]?.split('<tbody>')[1]?.split('</tbody>')[0] ?? '';
    expect(tbody.match(/<tr /g)?.length).toBe(p.rows.length);
    expect(html).toContain(`${p.counts.fail} breached · ${p.counts.inconclusive} inconclusive · ${p.counts.pass} met`);
    // One element carries the (gating) verdict, so a reader of [data-verdict] gets one answer.
    expect(html.match(/data-verdict=/g)?.length).toBe(1);
  });

  it('a set without targets is NO TARGETS, neutral, never a green PASS; production says FAIL', () => {
    const base = judgedPhase('baseline', 1);
    const verdict = verdictFor(base.analysis, 'baseline');
    const html = renderRunReport({ analysis: base.analysis, verdict, now: NOW });
    expect(html).toContain('data-verdict="NO TARGETS"');
    expect(html).toMatch(/class="badge none" data-verdict="NO TARGETS"/);
    expect(html).not.toContain('data-verdict="PASS"');
    expect(html).toContain('No targets of its own (threshold set baseline): measured only.');
    expect(html).toContain('id="no-own-targets"');
    expect(html).not.toContain('id="targets-table"');
    expect(html).toMatch(/data-production-verdict="FAIL"/);
    expect(html).toMatch(/\d+ of \d+ targets breached \(threshold set production; informational/);
  });

  it('a verdict written before the production gate still renders, and says so', () => {
    const j = judgedPhase('phase2', 3);
    const { production: _, ...old } = j.verdict!;
    const html = renderRunReport({ analysis: j.analysis, verdict: old, now: NOW });
    expect(html).toContain('data-production-verdict="NOT JUDGED"');
    expect(html).not.toContain('id="production-targets-table"');
  });

  it('the comparison shows both per run, and the production gate phase by phase', () => {
    const runs = PHASES.map((ph, i) => judgedPhase(ph, i + 1));
    const view = buildComparisonView({ runs, now: NOW });
    for (const [i, r] of view.runs.entries()) {
      const p = runs[i]!.verdict!.production!;
      expect(r.production.label).toBe(p.status.toUpperCase());
      expect(r.productionMet).toMatch(/^production: \d+ of \d+ targets (breached|met|inconclusive)/);
    }
    expect(view.production.phases.map((p) => p.label)).toEqual([...PHASES]);
    expect(view.production.rows.length).toBeGreaterThan(0);
    const html = renderComparison({ runs, now: NOW });
    expect(html).toContain('id="production-summary"');
    expect(html).toContain('id="production-targets-table"');
  });
});

describe('comparison', () => {
  it('baseline against phase3: the auth endpoints improved', () => {
    const view = buildComparisonView({ runs: [judgedPhase('baseline', 1), judgedPhase('phase3', 4)], now: NOW });
    const p95 = view.tables.find((t) => t.metric === 'p95')!;
    const auth = p95.rows.filter((r) => r.name.startsWith('auth.'));
    expect(auth.length).toBe(4);
    for (const row of auth) expect(row.cells[1]?.change?.change, row.name).toBe('improved');
    const timeouts = view.tables.find((t) => t.metric === 'timeout_rate')!;
    expect(timeouts.rows.find((r) => r.name === 'auth.login')?.cells[1]?.change?.change).toBe('improved');
  });

  it('two runs of the same profile are within noise', () => {
    const a = judgedPhase('phase2', 31);
    const b = judgedPhase('phase2', 32);
    const view = buildComparisonView({ runs: [a, { ...b, label: 'phase2 again' }], now: NOW });
    for (const table of view.tables) {
      // Nothing changed: every row is collapsed as unchanged.
      expect(table.rows, table.metric).toEqual([]);
      for (const row of table.unchanged) {
        const expected = table.metric === 'rps' && !row.runWide ? 'follows-load' : 'within-noise';
        expect(row.cells[1]?.change?.change, `${table.metric} ${row.name}`).toBe(expected);
      }
    }
    expect(view.summary[0]).toMatchObject({ improved: 0, regressed: 0, noise: 11 });
  });

  it("states the method, shows each phase's own targets, and is deterministic for a seed", () => {
    const runs = [judgedPhase('baseline', 1), judgedPhase('phase1', 2), judgedPhase('phase2', 3), judgedPhase('phase3', 4)];
    const html = renderComparison({ runs, now: NOW, seed: 7 });
    expect(html).toContain('bootstrap 95 % confidence interval');
    expect(html).toContain('two-proportion z-test');
    expect(html).toContain('&lt; 1,000 ms');
    expect(html).toContain('&lt; 200 ms');
    expect(html).toContain('baseline → phase3');
    expect(externalRefs(html)).toEqual([]);
    expect(renderComparison({ runs, now: NOW, seed: 7 })).toBe(html);
  });

  it('flags incomparable runs and inconclusive sides', () => {
    const base = judgedPhase('baseline', 1);
    const other = makeAnalysis({ seed: 5, scenario: 'auth', endpoints: referenceEndpoints('phase1'), stages: STRESS_STAGES });
    expect(checkComparable([base, { label: 'auth', analysis: other, verdict: null }]).errors.join()).toMatch(/different scenarios/);
    const disjoint = makeAnalysis({ seed: 6, endpoints: [{ name: 'x.only', share: 1, baseMs: 5 }], stages: STRESS_STAGES });
    expect(checkComparable([base, { label: 'x', analysis: disjoint, verdict: null }]).errors.join()).toMatch(/no endpoint in common/);
    const short = makeAnalysis({ seed: 7, endpoints: referenceEndpoints('phase3'), stages: STRESS_STAGES, delivered: 0.6 });
    const shortJudged = { label: 'short', analysis: short, verdict: judgedPhase('phase3', 4).verdict };
    const inconclusive = { ...shortJudged, verdict: { ...shortJudged.verdict!, status: 'inconclusive' as const } };
    const cmp = checkComparable([base, inconclusive]);
    expect(cmp.errors).toEqual([]);
    expect(cmp.warnings.join()).toMatch(/short: the verdict is inconclusive/);
    const html = renderComparison({ runs: [base, { label: 'auth', analysis: other, verdict: null }], now: NOW });
    expect(html).toContain('id="not-comparable"');
  });

  it('escapes labels and endpoint names', () => {
    const h = hostileRun();
    const html = renderComparison({
      runs: [
        { label: HOSTILE, analysis: h, verdict: null },
        { label: 'b', analysis: h, verdict: null },
      ],
      now: NOW,
    });
    expect(html).not.toContain(HOSTILE);
    expect(html).toContain('&lt;script&gt;');
  });
});

describe('comparability of the load', () => {
  const base = judgedPhase('baseline', 1);
  const p3 = judgedPhase('phase3', 4);
  /** phase3's run with its planned stages changed, as another --rps or --duration-scale would. */
  const reshaped = (label: string, f: (s: Stage) => Partial<Stage>) => ({
    ...p3,
    label,
    analysis: { ...p3.analysis, stages: p3.analysis.stages.map((s) => ({ ...s, ...f(s) })) },
  });
  const loadWarnings = (ws: string[]) => ws.filter((w) => /offered|duration|load stages|planned load/.test(w));

  it('says nothing when the runs had the same stages and offered rates', () => {
    const cmp = checkComparable([base, p3]);
    expect(cmp.errors).toEqual([]);
    expect(loadWarnings(cmp.warnings)).toEqual([]);
  });

  it('warns (without refusing) when the offered rate differs, as with another --rps', () => {
    const half = reshaped('half', (s) => ({
      offeredRps: { from: s.offeredRps.from / 2, to: s.offeredRps.to / 2, mean: s.offeredRps.mean / 2 },
    }));
    const cmp = checkComparable([base, half]);
    expect(cmp.errors).toEqual([]);
    expect(loadWarnings(cmp.warnings)).toEqual([
      'different offered load (e.g. another --rps): ramp-50%: baseline=0.0→30.0 RPS, half=0.0→15.0 RPS; ' +
        'hold-50%: baseline=30.0 RPS, half=15.0 RPS; ramp-100%: baseline=30.0→60.0 RPS, half=15.0→30.0 RPS; and 3 more; ' +
        'latencies and timeouts depend on the load, so a change between these runs may be the load’s rather than the system’s.',
    ]);
    // A rate within rounding of the plan is the same load.
    const nudged = reshaped('nudged', (s) => ({ offeredRps: { ...s.offeredRps, to: s.offeredRps.to * 1.001 } }));
    expect(loadWarnings(checkComparable([base, nudged]).warnings)).toEqual([]);
  });

  it('warns when the stage windows differ, as with another --duration-scale', () => {
    const tenth = reshaped('tenth', (s) => ({ startS: s.startS / 10, endS: s.endS / 10 }));
    const cmp = checkComparable([base, tenth]);
    expect(cmp.errors).toEqual([]);
    const w = loadWarnings(cmp.warnings);
    expect(w).toHaveLength(1);
    expect(w[0]).toMatch(
      /^different stage durations \(e\.g\. another --duration-scale\): baseline=3m 00s, tenth=18s in all; ramp-50%: baseline=20s, tenth=2s;/,
    );
  });

  it('warns when the same profile ran different stages, and names the peak offered load', () => {
    const other = {
      ...p3,
      label: 'short',
      analysis: makeAnalysis({ seed: 8, profile: 'stress', endpoints: referenceEndpoints('phase3'), stages: STRESS_STAGES.slice(0, 2) }),
    };
    const w = loadWarnings(checkComparable([base, other]).warnings);
    expect(w).toEqual([
      'different load stages: baseline=ramp-50% → hold-50% → ramp-100% → hold-100% → ramp-150% → hold-150%, short=ramp-50% → hold-50%; per-stage figures are not like for like.',
      'different planned durations: baseline=3m 00s, short=1m 00s.',
      expect.stringMatching(/^different offered load: peak baseline=90\.0 RPS, short=30\.0 RPS; latencies and timeouts depend on the load/),
    ]);
  });

  it('says when a run has no planned load to compare', () => {
    const unplanned = reshaped('unplanned', (_s) => ({ offeredRps: { from: 0, to: 0, mean: 0 } }));
    expect(loadWarnings(checkComparable([base, unplanned]).warnings)).toEqual([
      'unplanned: no planned load (no stage plan in its analysis); its offered load cannot be compared.',
    ]);
  });

  it('shows the warning in the rendered comparison', () => {
    const double = reshaped('double', (s) => ({
      offeredRps: { from: s.offeredRps.from * 2, to: s.offeredRps.to * 2, mean: s.offeredRps.mean * 2 },
    }));
    const html = renderComparison({ runs: [base, double], now: NOW });
    // Handlebars escapes '=' too.
    const banner = (html.split('id="comparison-warnings"')[1]?.split('</div>')[0] ?? '').replaceAll('&#x3D;', '=');
    expect(banner).toContain('different offered load (e.g. another --rps): ramp-50%: baseline=0.0→30.0 RPS, double=0.0→60.0 RPS');
    expect(html).not.toContain('id="not-comparable"');
  });
});
