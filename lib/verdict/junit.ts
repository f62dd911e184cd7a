/**
 * verdict → JUnit XML, for CI test reporters. One testsuite per endpoint group (throughput
 * in `run`); one testcase per target × endpoint on the gating scope. A breach is a
 * <failure> whose message states measured vs target and the margin; an inconclusive row is
 * <skipped> with the reason in <system-out> (junit-report-builder's <skipped> has no message).
 *
 * Then a second testsuite, `production gate (<set>)`, with the production judgement's rows in
 * the same form (classnames `loadgate.production-gate.<endpoint>`), left out when the gating set
 * is the production set (it would repeat every testcase). The exit code follows the gating set
 * only; a reporter that fails a build on any <failure> reads this suite too (docs/verdicts.md).
 * With `--against-history`, a third testsuite, `history (<shape>)`: one testcase per endpoint ×
 * metric judged against the recent runs of the same shape; a regression is a <failure> naming the
 * endpoint, the change and the run it is compared with (lib/history/gate.ts).
 * Pure: verdict (and the judgement against history) in, string out.
 */
import junit from 'junit-report-builder';
import type { Verdict, VerdictRow } from '../contract/verdict.ts';
import { formatTarget, rowMessage, TARGET_LABEL } from '../shared/verdict-format.ts';
import { productionJudgement } from '../shared/headline.ts';
// History (issue 13): the judgement against the recent runs, and its one sentence per finding.
import type { HistoryJudgement } from '../contract/history.ts';
import { findingMessage, findingSubject, judgementSentence } from '../shared/history-format.ts';

type Suite = ReturnType<ReturnType<typeof junit.newBuilder>['testSuite']>;

function addCase(suite: Suite, row: VerdictRow, classPrefix: string): void {
  const where = row.stage === 'all' ? '' : ` [${row.stage}]`;
  const who = row.endpoint === '*' ? 'run' : row.endpoint;
  const tc = suite
    .testCase()
    .className(`${classPrefix}.${who}`)
    .name(`${who} ${TARGET_LABEL[row.target]} ${formatTarget(row)}${where}`);
  if (row.measured !== null) tc.property('measured', String(row.measured));
  tc.property('threshold', String(row.threshold));
  if (row.status === 'fail') tc.failure(rowMessage(row), row.target);
  else if (row.status === 'inconclusive') tc.skipped().standardOutput(`inconclusive: ${rowMessage(row)}`);
  else tc.standardOutput(rowMessage(row));
}

export interface JunitOptions {
  /** The run judged against the history of its shape (`--against-history`). */
  history?: HistoryJudgement | null;
}

export function renderJunit(verdict: Verdict, opts: JunitOptions = {}): string {
  const builder = junit.newBuilder().name(`loadgate ${verdict.runId} (${verdict.set.name})`);
  const validity = verdict.validity.valid ? 'valid' : `not valid: ${verdict.validity.reasons.join('; ')}`;
  const gating = verdict.rows.filter((r) => r.gating);
  const groups = new Map<string, typeof gating>();
  for (const row of gating) {
    const key = row.endpoint === '*' ? 'run' : (row.group ?? 'ungrouped');
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  for (const [group, rows] of groups) {
    const suite = builder
      .testSuite()
      .name(`loadgate.${verdict.set.name}.${group}`)
      .property('runId', verdict.runId)
      .property('thresholdSet', verdict.set.name)
      .property('validity', validity);
    for (const row of rows) addCase(suite, row, 'loadgate');
  }
  const production = productionJudgement(verdict);
  if (production && !production.sameAsOwn) {
    const suite = builder
      .testSuite()
      .name(`production gate (${production.set})`)
      .property('runId', verdict.runId)
      .property('thresholdSet', production.set)
      .property('gating', 'false: the exit code follows the gating set')
      .property('verdict', production.sentence)
      .property('validity', validity);
    for (const row of production.rows) addCase(suite, row, 'loadgate.production-gate');
  }
  // History (issue 13).
  const history = opts.history;
  if (history) {
    const suite = builder
      .testSuite()
      .name(`history (${history.shapeLabel})`)
      .property('runId', verdict.runId)
      .property('shape', history.shape)
      .property('verdict', judgementSentence(history))
      .property('comparedWith', history.comparedWith?.runId ?? 'none');
    for (const f of history.findings) {
      const tc = suite
        .testCase()
        .className(`loadgate.history.${f.endpoint === '*' ? 'run' : f.endpoint}`)
        .name(`${findingSubject(f)} against history`);
      if (f.status === 'regressed') tc.failure(findingMessage(f), 'regression');
      else if (f.status === 'insufficient') tc.skipped().standardOutput(findingMessage(f));
      else tc.standardOutput(findingMessage(f));
    }
  }
  return builder.build();
}
