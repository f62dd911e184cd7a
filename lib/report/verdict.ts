/**
 * The verdict as the reports read it: lib/contract/verdict.ts owns the file; this module adds
 * the few readings the reports need (which measurement a row is about, whole-run vs stage).
 */
import { VerdictSchema, type Verdict, type VerdictRow } from '../contract/verdict.ts';
import type { Metric } from '../shared/format.ts';

export type { Verdict, VerdictRow };

/** Parses a verdict file's JSON; throws a ZodError naming the path on mismatch. */
export function parseVerdict(json: unknown): Verdict {
  return VerdictSchema.parse(json);
}

const METRIC: Record<VerdictRow['target'], Metric> = {
  p95: 'p95',
  errorRate: 'error_rate',
  timeoutRate: 'timeout_rate',
  throughput: 'rps',
};

export function metricOfRow(row: VerdictRow): Metric {
  return METRIC[row.target];
}

/** A row about the whole run (not one stage). */
export const isWholeRun = (row: VerdictRow) => row.stage === 'all';
/** A row about every endpoint together (throughput). */
export const isRunWide = (row: VerdictRow) => row.endpoint === '*';

export const comparatorText = (c: string) => (c === '<=' ? '≤' : c === '>=' ? '≥' : c);
