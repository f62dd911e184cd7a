/**
 * verdict → JUnit XML, for CI test reporters. One testsuite per endpoint group (throughput
 * in `run`); one testcase per target × endpoint on the gating scope. A breach is a
 * <failure> whose message states measured vs target and the margin; an inconclusive row is
 * <skipped> with the reason in <system-out> (junit-report-builder's <skipped> has no message).
 * Pure: verdict in, string out.
 */
import junit from 'junit-report-builder';
import type { Verdict } from './schema.ts';
import { formatTarget, rowMessage, TARGET_LABEL } from './format.ts';

export function renderJunit(verdict: Verdict): string {
  const builder = junit.newBuilder().name(`loadgate ${verdict.runId} (${verdict.set.name})`);
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
      .property('validity', verdict.validity.valid ? 'valid' : `not valid: ${verdict.validity.reasons.join('; ')}`);
    for (const row of rows) {
      const where = row.stage === 'all' ? '' : ` [${row.stage}]`;
      const tc = suite
        .testCase()
        .className(row.endpoint === '*' ? `loadgate.run` : `loadgate.${row.endpoint}`)
        .name(`${row.endpoint === '*' ? 'run' : row.endpoint} ${TARGET_LABEL[row.target]} ${formatTarget(row)}${where}`);
      if (row.measured !== null) tc.property('measured', String(row.measured));
      tc.property('threshold', String(row.threshold));
      if (row.status === 'fail') tc.failure(rowMessage(row), row.target);
      else if (row.status === 'inconclusive') tc.skipped().standardOutput(`inconclusive: ${rowMessage(row)}`);
      else tc.standardOutput(rowMessage(row));
    }
  }
  return builder.build();
}
