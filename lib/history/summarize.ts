/**
 * A run directory's analysis (+ verdict, + source) → its history entry. Pure.
 *
 * The shape: runs are comparable when they ran the same scenario under the same load profile
 * with the same stages (names, durations and offered rates, after --duration-scale and --rps).
 * The phase, the target and the branch are not part of it: they are what a trend compares.
 */
import { createHash } from 'node:crypto';
import type { Analysis, Stage, Stats } from '../contract/analysis.ts';
import type { Verdict, VerdictRow } from '../contract/verdict.ts';
import { steadyStages } from '../contract/figures.ts';
import type { EndpointSummary, HistoryEntry, Source } from '../contract/history.ts';

const r3 = (v: number) => Math.round(v * 1000) / 1000;

/** The stable key of a run's shape and its label in words. */
export function shapeOf(analysis: Pick<Analysis, 'run' | 'stages'>): { shape: string; label: string } {
  const stages = analysis.stages.map((s) => [s.name, r3(s.endS - s.startS), r3(s.offeredRps.from), r3(s.offeredRps.to)]);
  const key = JSON.stringify([analysis.run.scenario, analysis.run.profile, stages]);
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 10);
  const durationS = analysis.stages.reduce((s, st) => s + (st.endS - st.startS), 0);
  const peak = analysis.stages.reduce((m, st) => Math.max(m, st.offeredRps.from, st.offeredRps.to), 0);
  const n = analysis.stages.length;
  const label = [
    analysis.run.scenario ?? '(no scenario)',
    analysis.run.profile ?? '(no profile)',
    `${n} stage${n === 1 ? '' : 's'}, ${Math.round(durationS * 10) / 10} s, ${Math.round(peak * 10) / 10} RPS`,
  ].join(' · ');
  return { shape: `${analysis.run.scenario ?? '-'}.${analysis.run.profile ?? '-'}.${hash}`, label };
}

/** `ok` requests per second over the given stages' windows (the stats' own windows when known). */
function goodput(byStage: Record<string, Stats>, stages: readonly Stage[], total: Stats): number | null {
  if (stages.length === 0) return total.windowS > 0 ? total.outcomes.ok / total.windowS : null;
  let ok = 0;
  let window = 0;
  for (const s of stages) {
    const cell = byStage[s.name];
    ok += cell?.outcomes.ok ?? 0;
    window += cell && cell.windowS > 0 ? cell.windowS : s.endS - s.startS;
  }
  return window > 0 ? ok / window : null;
}

function target(rows: readonly VerdictRow[], endpoint: string, kind: VerdictRow['target']): number | null {
  // Per-endpoint targets are judged on the whole run (`all`); throughput on the steady window.
  return rows.find((r) => r.endpoint === endpoint && r.target === kind && (r.stage === 'all' || endpoint === '*'))?.threshold ?? null;
}

export interface SummarizeInput {
  analysis: Analysis;
  verdict: Verdict | null;
  source: Source | null;
  /** As stored: relative to the history file's directory when inside it. */
  runDir: string;
}

export function summarizeRun({ analysis, verdict, source, runDir }: SummarizeInput): HistoryEntry {
  const { shape, label } = shapeOf(analysis);
  const names = new Set(verdict?.validity.steadyStages ?? steadyStages(analysis.stages).map((s) => s.name));
  const steady = analysis.stages.filter((s) => names.has(s.name));
  const rows = verdict?.rows ?? [];
  const endpoints: EndpointSummary[] = analysis.endpoints.map((e) => ({
    name: e.name,
    group: e.group,
    requests: e.total.requests,
    p50: e.total.durationMs.p50,
    p95: e.total.durationMs.p95,
    p99: e.total.durationMs.p99,
    p95Censored: e.total.censored.p95,
    errorRate: e.total.errorRate,
    timeoutRate: e.total.timeoutRate,
    goodputRps: goodput(e.byStage, steady, e.total),
    targets: {
      p95: target(rows, e.name, 'p95'),
      errorRate: target(rows, e.name, 'errorRate'),
      timeoutRate: target(rows, e.name, 'timeoutRate'),
    },
  }));
  // Every endpoint's ok requests over the steady stages' planned windows, as the verdict's goodput.
  const steadyS = steady.reduce((n, s) => n + (s.endS - s.startS), 0);
  const steadyOk = analysis.endpoints.reduce((n, e) => n + steady.reduce((m, s) => m + (e.byStage[s.name]?.outcomes.ok ?? 0), 0), 0);
  const all = analysis.totals.all;
  const runGoodput = steady.length ? (steadyS > 0 ? steadyOk / steadyS : null) : all.windowS > 0 ? all.outcomes.ok / all.windowS : null;
  // Validated once, where it is stored (HistoryStore.record).
  return {
    runId: analysis.run.runId,
    // One format (UTC, ms), so that the store's time order is the string order.
    startedAt: new Date(analysis.run.startedAt ?? analysis.generatedAt).toISOString(),
    scenario: analysis.run.scenario,
    profile: analysis.run.profile,
    phase: analysis.run.phase,
    target: analysis.run.target,
    shape,
    shapeLabel: label,
    commit: source?.commit ?? null,
    branch: source?.branch ?? null,
    k6Version: analysis.run.k6Version,
    status: analysis.run.status,
    verdict: verdict?.status ?? null,
    verdictSet: verdict?.set.name ?? null,
    production: verdict?.production?.status ?? null,
    valid: verdict ? verdict.validity.valid : null,
    requests: analysis.totals.requests,
    offeredRps: verdict?.validity.offeredRps ?? (steady[0] ? steady[0].offeredRps.to : null),
    goodputRps: verdict?.validity.goodputRps ?? runGoodput,
    throughputTarget: target(rows, '*', 'throughput'),
    runDir,
    endpoints,
  };
}
