/**
 * `<run-dir>/run.json`: what the runner knows about how the k6 process went. Written when
 * k6 starts (status `running`) and rewritten when it ends, so an interrupted run still says so.
 *
 * A run directory holds:
 *   plan.json          the resolved plan (lib/contract/plan.ts)
 *   run.json           this record
 *   raw.ndjson.gz      k6's raw results (`--out json=…`), one JSON object per line
 *   summary.json       k6's own end-of-test summary (handleSummary's data), when k6 got that far
 *   k6.log             k6's stdout and stderr, secrets redacted
 *   generator.json     k6's own CPU and memory while it ran (GeneratorFileSchema below), on Linux
 *   analysis.json      the analysis (lib/contract/analysis.ts)
 *   verdict.json, junit.xml, summary.md, report.html   downstream outputs
 *
 * Split across N k6 processes (`--segments N`, docs/scaling.md), segment i writes
 * raw.i-of-N.ndjson.gz, summary.i-of-N.json and k6.i-of-N.log instead, and run.json has a
 * `segments` record per process.
 */
import { z } from 'zod';

export const RUN_RECORD_VERSION = 1 as const;

/**
 * What streams a run's live figures to InfluxDB (`--influx-mode`, lib/influx/observer.ts):
 * `aggregate`, loadgate's per-second points per endpoint from the raw results (the default), or
 * `samples`, those and also every k6 sample through k6's own InfluxDB output.
 */
export const INFLUX_MODES = ['aggregate', 'samples'] as const;
export type InfluxMode = (typeof INFLUX_MODES)[number];

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
    influx: z
      .object({
        url: z.string(),
        db: z.string(),
        ok: z.boolean(),
        /** What streamed the live figures (lib/influx/observer.ts); absent in records written before the modes. */
        mode: z.enum(INFLUX_MODES).optional(),
      })
      .strict()
      .nullable(),
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

export const GENERATOR_FILE = 'generator.json';
export const GENERATOR_FILE_VERSION = 1 as const;

/**
 * One reading of the load generator: k6's CPU over the interval that ends at `t`, and its
 * resident memory at `t`, summed over every k6 process of the run (all segments).
 */
export const GeneratorSampleSchema = z
  .object({
    /** The end of the interval, epoch milliseconds (the clock k6 stamps its samples with). */
    t: z.number(),
    /** The interval's length in milliseconds: it starts at the previous sample (the first: at k6's spawn). */
    dt: z.number().positive(),
    /** k6's CPU time (user + system) in the interval as a share of every core of the machine: 1 = all of them busy. */
    cpu: z.number().nonnegative(),
    /** Resident memory (VmRSS) at `t`, bytes. */
    rss: z.number().int().nonnegative(),
  })
  .strict();
export type GeneratorSample = z.infer<typeof GeneratorSampleSchema>;

/**
 * `<run-dir>/generator.json`: how hard the load generator itself worked (lib/run/generator.ts),
 * sampled from /proc while k6 ran. The verdict sums it up per load stage (lib/verdict/generator.ts):
 * a saturated generator measures itself, not the API.
 */
export const GeneratorFileSchema = z
  .object({
    kind: z.literal('loadgate.generator'),
    version: z.literal(GENERATOR_FILE_VERSION),
    /** The cores `cpu` is a share of (Node's os.availableParallelism()). */
    cores: z.number().int().positive(),
    /** Kernel clock ticks per second (getconf CLK_TCK): the unit of /proc/<pid>/stat's utime and stime. */
    clockTicks: z.number().int().positive(),
    /** The planned interval between samples, ms. */
    intervalMs: z.number().positive(),
    /**
     * When k6's scenarios started (epoch ms): its execution status reached Running, after VU
     * initialisation and setup(), when the stages' clock starts; seen by polling k6's REST API
     * every 100 ms (the middle of the last poll before and the first after). The origin of the
     * stage windows the samples are summed up in. null (or absent) when not seen.
     */
    loadStartedAt: z.number().nullable().optional(),
    /** The processes sampled: each k6 (one per segment) and anything it started. */
    processes: z.array(
      z
        .object({
          pid: z.number().int().positive(),
          /** Its command name (/proc/<pid>/comm) when last read: `k6` once setpriv (and `ip netns exec`) exec'd it. */
          name: z.string(),
          /** The segment it runs (1-based) in a `--segments N` run; null for a single process. */
          segment: z.number().int().positive().nullable(),
        })
        .strict(),
    ),
    samples: z.array(GeneratorSampleSchema),
  })
  .strict();
export type GeneratorFile = z.infer<typeof GeneratorFileSchema>;
