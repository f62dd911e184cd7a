/**
 * How a judgement against history reads, in JUnit, summary.md, the terminal and the trend
 * report: one sentence per finding naming the endpoint, the change and the run it is compared
 * with. Pure.
 */
import { formatMargin, formatValue } from './verdict-format.ts';
import type { HistoryFinding, HistoryJudgement, RunRef } from '../contract/history.ts';
import { metricDef, RUN_GOODPUT } from '../contract/history.ts';

export function metricLabel(f: Pick<HistoryFinding, 'endpoint' | 'metric'>): string {
  return f.endpoint === '*' ? RUN_GOODPUT.label : metricDef(f.metric).label;
}

/** `run 20250601T…-abc (phase3, commit 1a2b3c4, 2025-06-01)`. */
export function runRefText(r: RunRef): string {
  const bits = [r.phase, r.commit ? `commit ${r.commit.slice(0, 12)}` : null, r.startedAt.slice(0, 10)].filter(Boolean);
  return `run ${r.runId} (${bits.join(', ')})`;
}

export function findingSubject(f: HistoryFinding): string {
  return `${f.endpoint === '*' ? 'run' : f.endpoint} ${metricLabel(f)}`;
}

/**
 * `user.me P95 212.4 ms vs 41.3 ms, the median of 20 earlier runs (noise ±6.2 ms): +171.1 ms, +414.3 %;
 *  compared with run … (phase3, commit 1a2b3c4, 2025-06-01)`.
 */
export function findingMessage(f: HistoryFinding): string {
  const subject = findingSubject(f);
  if (f.status === 'insufficient') return `${subject}: not judged: ${f.reason ?? 'not enough history'}`;
  if (f.value === null || f.baseline === null) return `${subject}: not judged`;
  const margin = formatMargin({ margin: f.delta, marginRel: f.deltaRel, unit: f.unit });
  const noise = f.noise !== null ? ` (noise ±${formatValue(f.noise, f.unit)})` : '';
  const what = f.status === 'regressed' ? 'regressed' : f.status === 'improved' ? 'improved' : 'within noise';
  const since = f.since ? `, since the change at ${runRefText(f.since)}` : '';
  const compared = f.comparedWith ? `; compared with ${runRefText(f.comparedWith)}` : '';
  return `${subject} ${what}: ${formatValue(f.value, f.unit)} vs ${formatValue(f.baseline, f.unit)}, the median of ${f.baselineRuns} earlier run${f.baselineRuns === 1 ? '' : 's'}${since}${noise}: ${margin ?? ''}${compared}`;
}

/** One line for the whole judgement: `REGRESSED against history: 3 of 34 figures beyond noise (…)`. */
export function judgementSentence(j: HistoryJudgement): string {
  const judged = j.findings.filter((f) => f.status !== 'insufficient').length;
  const regressed = j.findings.filter((f) => f.status === 'regressed');
  const against = j.comparedWith
    ? ` (${j.historyRuns} earlier run${j.historyRuns === 1 ? '' : 's'} of this shape; last: ${runRefText(j.comparedWith)})`
    : '';
  switch (j.status) {
    case 'regressed':
      return `REGRESSED against history: ${regressed.length} of ${judged} figures beyond noise, the worse way${against}`;
    case 'ok':
      return `no regression against history: ${judged} figures within noise or better${against}`;
    case 'insufficient':
      return `not judged against history: ${j.historyRuns} earlier completed run${j.historyRuns === 1 ? '' : 's'} of this shape, ${j.settings.minBaseline} needed`;
  }
}
