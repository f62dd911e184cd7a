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
 *
 * Split across N k6 processes (`--segments N`, docs/scaling.md), segment i writes
 * raw.i-of-N.ndjson.gz, summary.i-of-N.json and k6.i-of-N.log instead, and run.json has a
 * `segments` record per process.
 */
import { z } from 'zod';

export const RUN_RECORD_VERSION = 1 as const;

/** One k6 process of a segmented run (lib/run/segments.ts). */
export const SegmentRecordSchema = z
  .object({
    /** 1-based, in the order of the execution segment sequence. */
    index: z.number().int().positive(),
    /** k6's `--execution-segment`, e.g. `1/3:2/3`. */
    segment: z.string(),
    /** k6's `--execution-segment-sequence`, e.g. `0,1/3,2/3,1`. */
    sequence: z.string(),
    /** Files of this process, relative to the run directory. */
    rawFile: z.string(),
    summaryFile: z.string(),
    logFile: z.string(),
    status: z.enum(['running', 'completed', 'aborted', 'interrupted', 'failed']),
    k6ExitCode: z.number().int().nullable(),
    /** The signal that ended k6 (or that loadgate forwarded to it), if any. */
    signal: z.string().nullable(),
    /** k6's process id while it runs (null once it ended). */
    pid: z.number().int().nullable(),
    startedAt: z.string().nullable(),
    endedAt: z.string().nullable(),
    /** With --segments-netns: the network namespace this k6 ran in and its address there. */
    netns: z.object({ namespace: z.string(), address: z.string() }).strict().nullable(),
  })
  .strict();
export type SegmentRecord = z.infer<typeof SegmentRecordSchema>;

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
    /**
     * A test split across k6 processes (`loadgate run --segments N`): one entry per process, in
     * segment order. Absent for a single process (and in records written before segments).
     */
    segments: z.array(SegmentRecordSchema).optional(),
    /**
     * True when a segment failed (its k6 exited with an error or died) while others ran on: the
     * results hold the other segments' samples and the failed one's up to its end. Absent: not partial.
     */
    partial: z.boolean().optional(),
  })
  .strict();
export type RunRecord = z.infer<typeof RunRecordSchema>;
