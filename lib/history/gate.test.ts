import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../shared/rng.ts';
import { renderJunit } from '../verdict/junit.ts';
import { renderMarkdown } from '../verdict/markdown.ts';
import { healthyRun } from '../../test/support/verdict-fixtures.ts';
import { computeVerdict } from '../verdict/compute.ts';
import { findSet } from '../../thresholds/sets.ts';
import { judgeAgainstHistory } from './gate.ts';
import { findingMessage } from '../shared/history-format.ts';
import type { EndpointSummary, HistoryEntry } from '../contract/history.ts';

const rng = mulberry32(5);
const gauss = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());

interface NightFigures {
  p95?: number;
  errorRate?: number;
  requests?: number;
  goodput?: number;
}

function ep(name: string, f: NightFigures): EndpointSummary {
  return {
    name,
    group: name.split('.')[0] ?? null,
    requests: f.requests ?? 500,
    p50: null,
    p95: f.p95 ?? 50,
    p99: null,
    p95Censored: false,
    errorRate: f.errorRate ?? 0,
    timeoutRate: 0,
    goodputRps: 5,
    targets: { p95: 200, errorRate: 0.01, timeoutRate: null },
  };
}

function night(n: number, figures: Record<string, NightFigures>, over: Partial<HistoryEntry> = {}): HistoryEntry {
  return {
    runId: `night-${String(n).padStart(2, '0')}`,
    startedAt: new Date(Date.UTC(2026, 0, 1) + n * 86_400_000).toISOString(),
    scenario: 'journey',
    profile: 'load',
    phase: 'phase3',
    target: null,
    shape: 'journey.load.x',
    shapeLabel: 'journey · load',
    commit: `c${n}`,
    branch: 'main',
    k6Version: null,
    status: 'completed',
    verdict: 'pass',
    verdictSet: 'phase3',
    production: null,
    valid: true,
    requests: 1000,
    offeredRps: 20,
    goodputRps: Object.values(figures)[0]?.goodput ?? 20,
    throughputTarget: null,
    runDir: `night-${n}`,
    endpoints: Object.entries(figures).map(([name, f]) => ep(name, f)),
    ...over,
  };
}

/** Nights 1..n of `a.login` at `level(n)` ms with 3 % noise. */
function nights(count: number, level: (n: number) => number, extra: (n: number) => NightFigures = () => ({})): HistoryEntry[] {
  return Array.from({ length: count }, (_, i) =>
    night(i + 1, { 'a.login': { p95: level(i + 1) * (1 + 0.03 * gauss()), ...extra(i + 1) } }),
  );
}

const regressed = (j: ReturnType<typeof judgeAgainstHistory>) =>
  j.findings.filter((f) => f.status === 'regressed').map((f) => `${f.endpoint} ${f.metric}`);

describe('the nightly gate', () => {
  it('needs at least 3 earlier completed runs of the same shape', () => {
    const history = nights(3, () => 50);
    history[0]!.status = 'aborted';
    history[1]!.shape = 'other';
    const j = judgeAgainstHistory(night(4, { 'a.login': { p95: 500 } }), history);
    expect(j.status).toBe('insufficient');
    expect(j.historyRuns).toBe(1);
    expect(j.findings[0]?.reason).toMatch(/1 earlier run with this figure; 3 needed/);
  });

  it('a run beyond the noise band the worse way is regressed, and names the newest earlier run', () => {
    const history = nights(20, () => 50);
    const j = judgeAgainstHistory(night(21, { 'a.login': { p95: 75 } }), history);
    expect(j.status).toBe('regressed');
    expect(regressed(j)).toEqual(['a.login p95']);
    const f = j.findings[0]!;
    expect(f.baselineRuns).toBe(20);
    expect(f.comparedWith?.runId).toBe('night-20');
    expect(findingMessage(f)).toMatch(/^a\.login P95 regressed: 75 ms vs 5\d\.\d+ ms, the median of 20 earlier runs \(noise ±\d/);
    // Better, beyond the band: improved, not a failure.
    const better = judgeAgainstHistory(night(21, { 'a.login': { p95: 30 } }), history);
    expect(better.status).toBe('ok');
    expect(better.findings.find((x) => x.metric === 'p95')?.status).toBe('improved');
  });

  it('within the practical floor is within noise, however quiet the history (10 % for a P95)', () => {
    const flat = Array.from({ length: 10 }, (_, i) => night(i + 1, { 'a.login': { p95: 50 } }));
    expect(judgeAgainstHistory(night(11, { 'a.login': { p95: 54.9 } }), flat).status).toBe('ok');
    expect(judgeAgainstHistory(night(11, { 'a.login': { p95: 55.1 } }), flat).status).toBe('regressed');
  });

  it('compares with the current level: once a change is established (3 runs on it), it is the baseline', () => {
    // A step at night 21; nights 21..30 are the new level, which the gate now compares with.
    const history = nights(30, (n) => (n >= 21 ? 80 : 50));
    const j = judgeAgainstHistory(night(31, { 'a.login': { p95: 80 } }), history);
    expect(j.status).toBe('ok');
    const f = j.findings.find((x) => x.metric === 'p95')!;
    expect(f.since?.runId).toBe('night-21');
    expect(f.baselineRuns).toBe(10);
    // The night after the step, the old level is the baseline: regressed.
    expect(regressed(judgeAgainstHistory(night(22, { 'a.login': { p95: 80 } }), history.slice(0, 21)))).toEqual(['a.login p95']);
  });

  it('error rates: a few more errors in a small run are noise; a real rise is not', () => {
    const history = nights(
      20,
      () => 50,
      () => ({ errorRate: 0.001, requests: 400 }),
    );
    expect(judgeAgainstHistory(night(21, { 'a.login': { p95: 50, errorRate: 0.0075, requests: 400 } }), history).status).toBe('ok');
    expect(regressed(judgeAgainstHistory(night(21, { 'a.login': { p95: 50, errorRate: 0.05, requests: 400 } }), history))).toEqual([
      'a.login errorRate',
    ]);
  });

  it('a P95 of a handful of requests is not judged; the run’s goodput is, downwards', () => {
    const history = nights(10, () => 50);
    const j = judgeAgainstHistory(night(11, { 'a.login': { p95: 500, requests: 5, goodput: 12 } }), history);
    const p95 = j.findings.find((x) => x.metric === 'p95')!;
    expect(p95.status).toBe('insufficient');
    expect(p95.reason).toMatch(/5 requests in this run: a P95 needs at least 20/);
    expect(regressed(j)).toEqual(['* goodputRps']);
  });

  it('summary.md and JUnit name the regression; names from data stay text', () => {
    const hostile = '<img src=x onerror=alert(1)>|*';
    const history = Array.from({ length: 10 }, (_, i) => night(i + 1, { [hostile]: { p95: 50 } }));
    const j = judgeAgainstHistory(night(11, { [hostile]: { p95: 90 } }), history);
    const analysis = healthyRun();
    const verdict = computeVerdict(analysis, findSet('phase3')!, { setName: 'phase3', now: analysis.generatedAt });
    const md = renderMarkdown(verdict, analysis, { history: j });
    expect(md).toContain('### Against history (journey · load)');
    expect(md).toContain('❌ REGRESSED against history: 1 of');
    expect(md).toContain('&lt;img src=x onerror=alert(1)&gt;\\|\\* P95 regressed');
    expect(md).not.toContain('<img');
    const xml = renderJunit(verdict, { history: j });
    expect(xml).toContain('name="history (journey · load)"');
    // XML escapes `<` in attributes (`>` needs none there).
    expect(xml).toMatch(
      /<failure message="&lt;img src=x onerror=alert\(1\)>\|\* P95 regressed: 90 ms vs 50 ms[^"]*compared with run night-10[^"]*" type="regression"/,
    );
    // Raw only inside CDATA (text to XML): outside it, never.
    expect(xml.replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, '')).not.toContain('<img');
    // Without a judgement, nothing changes.
    expect(renderMarkdown(verdict, analysis)).not.toContain('Against history');
    expect(renderJunit(verdict)).not.toContain('history (');
  });
});
