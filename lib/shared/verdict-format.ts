/**
 * How verdict rows read in JUnit failure messages, the Markdown summary, the terminal and the
 * history's sentences. Pure; below the stages, as the judge and the history both word figures so.
 */
import type { VerdictRow } from '../contract/verdict.ts';

const trim = (n: number, digits: number) => String(Number(n.toFixed(digits)));

/** A value in its unit: `2013.4 ms`, `4.25 %`, `98.7 RPS`. */
export function formatValue(value: number, unit: VerdictRow['unit']): string {
  switch (unit) {
    case 'ms':
      return `${trim(value, 1)} ms`;
    case 'ratio':
      return `${trim(value * 100, 2)} %`;
    case 'rps':
      return `${trim(value, 1)} RPS`;
  }
}

const sign = (n: number) => (n > 0 ? '+' : n < 0 ? '-' : '±');

/** `+1513.4 ms, +302.7 %`; ratios as percentage points. */
export function formatMargin(row: Pick<VerdictRow, 'margin' | 'marginRel' | 'unit'>): string | null {
  if (row.margin === null) return null;
  const abs = Math.abs(row.margin);
  const main = row.unit === 'ratio' ? `${sign(row.margin)}${trim(abs * 100, 2)} pp` : `${sign(row.margin)}${formatValue(abs, row.unit)}`;
  if (row.marginRel === null) return main;
  return `${main}, ${sign(row.marginRel)}${trim(Math.abs(row.marginRel) * 100, 1)} %`;
}

/** `p95`, `error rate`, … as people say them. */
export const TARGET_LABEL: Record<VerdictRow['target'], string> = {
  p95: 'p95',
  errorRate: 'error rate',
  timeoutRate: 'timeout rate',
  throughput: 'throughput',
};

export const comparatorText = (c: VerdictRow['comparator']) => (c === '<=' ? '≤' : c === '>=' ? '≥' : '<');

/** The target as a requirement: `< 500 ms`, `≤ 0 %`, `≥ 100 RPS`. */
export function formatTarget(row: Pick<VerdictRow, 'comparator' | 'threshold' | 'unit'>): string {
  return `${comparatorText(row.comparator)} ${formatValue(row.threshold, row.unit)}`;
}

export function subject(row: VerdictRow): string {
  const who = row.endpoint === '*' ? 'run' : row.endpoint;
  const where = row.stage === 'all' ? '' : ` in ${row.stage}`;
  return `${who} ${TARGET_LABEL[row.target]}${where}`;
}

/**
 * One line saying measured vs target and by how much:
 * `auth.login p95 2013.4 ms > 500 ms target (+1513.4 ms, +302.7 %)`.
 */
export function rowMessage(row: VerdictRow): string {
  if (row.measured === null) return `${subject(row)}: not measured, target ${formatTarget(row)}${row.reason ? ` (${row.reason})` : ''}`;
  const rel = row.measured > row.threshold ? '>' : row.measured < row.threshold ? '<' : '=';
  const margin = formatMargin(row);
  const head = `${subject(row)} ${formatValue(row.measured, row.unit)} ${rel} ${formatValue(row.threshold, row.unit)} target${margin ? ` (${margin})` : ''}`;
  return row.reason ? `${head}: ${row.reason}` : head;
}
