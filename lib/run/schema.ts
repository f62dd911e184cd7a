/**
 * `<run-dir>/run.json`: what the runner knows about how the k6 process went. Written when
 * k6 starts (status `running`) and rewritten when it ends, so an interrupted run still says so.
 *
 * A run directory holds:
 *   plan.json          the resolved plan (lib/plan/schema.ts)
 *   run.json           this record
 *   raw.ndjson.gz      k6's raw results (`--out json=…`), one JSON object per line
 *   summary.json       k6's own end-of-test summary (handleSummary's data), when k6 got that far
 *   k6.log             k6's stdout and stderr, secrets redacted
 *   analysis.json      the analysis (lib/analysis/schema.ts)
 *   verdict.json, junit.xml, summary.md, report.html   downstream outputs
 */
import { z } from 'zod';

export const RUN_RECORD_VERSION = 1 as const;

export const RunRecordSchema = z
  .object({
    kind: z.literal('loadgate.run'),
    version: z.literal(RUN_RECORD_VERSION),
    runId: z.string(),
    status: z.enum(['running', 'completed', 'aborted', 'interrupted', 'failed']),
    k6Version: z.string().nullable(),
    k6ExitCode: z.number().int().nullable(),
    /** The signal loadgate forwarded to k6, if any. */
    signal: z.string().nullable(),
    startedAt: z.string(),
    endedAt: z.string().nullable(),
    /** Raw result files, relative to the run directory (more than one when execution segments are merged). */
    rawFiles: z.array(z.string()),
    influx: z.object({ url: z.string(), db: z.string(), ok: z.boolean() }).strict().nullable(),
  })
  .strict();
export type RunRecord = z.infer<typeof RunRecordSchema>;
