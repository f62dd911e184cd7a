/**
 * The analysis file: the contract between the analysis and everything downstream
 * (verdicts, reports, comparisons, InfluxDB summaries, JUnit). Versioned; documented in
 * docs/analysis-format.md. Downstream code reads this file, never the raw results again.
 *
 * Times: absolute times are ISO-8601 strings; offsets are seconds from the test start
 * (`run.startedAt`). Latencies are milliseconds. Rates are per second.
 */
import { z } from 'zod';
import { perOutcome } from './outcomes.ts';
import { PERCENTILE_KEYS, perPercentile } from './percentiles.ts';

export const ANALYSIS_VERSION = 1 as const;

/** A latency distribution summary. Percentiles follow k6's definition (linear interpolation at p·(n−1)) in exact mode. */
export const DistSchema = z
  .object({
    count: z.number().int().nonnegative(),
    min: z.number().nullable(),
    mean: z.number().nullable(),
    ...perPercentile(() => z.number().nullable()),
    max: z.number().nullable(),
  })
  .strict();
export type Dist = z.infer<typeof DistSchema>;

/**
 * What happened to each request: a count per outcome class (outcomes.ts, OUTCOME_KEYS, which
 * says what each class is). Every request lands in exactly one class; they sum to `requests`.
 */
export const OutcomesSchema = z.object(perOutcome(() => z.number().int().nonnegative())).strict();
export type Outcomes = z.infer<typeof OutcomesSchema>;

/** Everything measured for one cell (an endpoint, possibly restricted to a stage and/or scenario). */
export const StatsSchema = z
  .object({
    requests: z.number().int().nonnegative(),
    outcomes: OutcomesSchema,
    /** Requests that are not `ok` over all requests (0..1); null when there were no requests. */
    errorRate: z.number().nullable(),
    /** (timeout + dialTimeout) / requests; null when there were no requests. */
    timeoutRate: z.number().nullable(),
    checks: z.object({ passes: z.number().int().nonnegative(), fails: z.number().int().nonnegative() }).strict(),
    /** http_req_duration over all requests (timed-out ones included, at their capped duration). */
    durationMs: DistSchema,
    /** http_req_waiting (time to first byte). */
    waitingMs: DistSchema,
    /** http_req_connecting. */
    connectingMs: DistSchema,
    /** Requests per second within the cell's own time window (`windowS`). */
    rps: z.number().nullable(),
    windowS: z.number().nonnegative(),
    /**
     * A percentile is censored when timed-out requests (client or dial timeouts) hide its true
     * value: it reads one of their ranks (they belong on top), or it is at or above the smallest
     * recorded client-timeout duration. The figure shown is then a lower bound.
     */
    censored: z.object(perPercentile(() => z.boolean())).strict(),
    /**
     * The http_req_duration distribution as a mergeable HDR histogram (hdr-histogram-js,
     * base64 of the compressed encoding, values in microseconds). Present in both modes,
     * for comparisons and latency charts.
     */
    histogram: z.string().nullable(),
  })
  .strict();
export type Stats = z.infer<typeof StatsSchema>;

/**
 * One endpoint × stage × scenario cell, compact: the stats of the requests of that endpoint
 * in that stage (its `stage` tag) from that k6 scenario, without the histogram (`byStage`,
 * `byScenario` and `total` carry the mergeable ones). Throughput is over the stage's window.
 */
export const CellSchema = z
  .object({
    stage: z.string(),
    /** k6's `scenario` tag; `(none)` for samples without one. */
    scenario: z.string(),
    ...StatsSchema.omit({ histogram: true }).shape,
  })
  .strict();
export type Cell = z.infer<typeof CellSchema>;

export const StageSchema = z
  .object({
    name: z.string(),
    index: z.number().int().nonnegative(),
    /** Planned window, seconds from test start. */
    startS: z.number(),
    endS: z.number(),
    /** Offered load, from the plan: requests per second at the stage start and end, and its mean. */
    offeredRps: z.object({ from: z.number(), to: z.number(), mean: z.number() }).strict(),
    /** Requests per second measured within the stage window (all endpoints). */
    achievedRps: z.number().nullable(),
    /** Iterations k6 could not start (no free VU) within the stage. */
    droppedIterations: z.number().int().nonnegative(),
    vusMax: z.number().int().nonnegative(),
    requests: z.number().int().nonnegative(),
  })
  .strict();
export type Stage = z.infer<typeof StageSchema>;

export const EndpointSchema = z
  .object({
    /** The stable endpoint name (k6's `name` tag), e.g. `auth.login`. */
    name: z.string(),
    group: z.string().nullable(),
    method: z.string().nullable(),
    path: z.string().nullable(),
    /** The client timeout the plan gave this endpoint, ms. */
    timeoutMs: z.number().nullable(),
    total: StatsSchema,
    /** Keyed by stage name. */
    byStage: z.record(z.string(), StatsSchema),
    /** Keyed by k6 scenario name. */
    byScenario: z.record(z.string(), StatsSchema),
    /**
     * The full breakdown, endpoint × stage × scenario: one entry per pair with samples, in the
     * order of `stages`, then by scenario name. Absent in files written before it (version 1).
     */
    cells: z.array(CellSchema).optional(),
  })
  .strict();
export type Endpoint = z.infer<typeof EndpointSchema>;

export const TimeoutFindingSchema = z
  .object({
    endpoint: z.string(),
    count: z.number().int().nonnegative(),
    rate: z.number(),
    /** When timeouts began: the first interval from which they keep recurring. Null when there were none. */
    onset: z.object({ stage: z.string().nullable(), atS: z.number(), offeredRps: z.number().nullable() }).strict().nullable(),
    /**
     * `load-correlated`: timeouts concentrate where offered load is high (rate rises with load);
     * `persistent`: most requests time out, all along, at every load level (added in version 1
     * without a bump; older files never have it); `intermittent`: scattered, not tied to load;
     * `none`: no timeouts.
     */
    pattern: z.enum(['load-correlated', 'persistent', 'intermittent', 'none']),
    /** Timeout rate per stage, keyed by stage name. */
    byStage: z.record(z.string(), z.number()),
    /** Percentiles of the endpoint's total that are censored by the timeout. */
    censored: z.array(z.enum(PERCENTILE_KEYS)),
  })
  .strict();
export type TimeoutFinding = z.infer<typeof TimeoutFindingSchema>;

/** Columnar time series at a fixed interval; arrays are index-aligned with `t`. */
export const SeriesSchema = z
  .object({
    intervalS: z.number().positive(),
    /** Offsets (seconds from test start) of each bucket's start. */
    t: z.array(z.number()),
    vus: z.array(z.number().nullable()),
    rps: z.array(z.number()),
    droppedIterations: z.array(z.number()),
    endpoints: z.record(
      z.string(),
      z
        .object({
          requests: z.array(z.number()),
          p95: z.array(z.number().nullable()),
          errors: z.array(z.number()),
          timeouts: z.array(z.number()),
        })
        .strict(),
    ),
  })
  .strict();
export type Series = z.infer<typeof SeriesSchema>;

/** Passed and failed samples of a readiness check. */
export const ReadinessCountSchema = z.object({ passes: z.number().int().nonnegative(), fails: z.number().int().nonnegative() }).strict();
export type ReadinessCount = z.infer<typeof ReadinessCountSchema>;

/** One readiness check's samples (lib/shared/readiness.ts): in all, by the endpoint it judged, by load stage. */
export const ReadinessCheckStatsSchema = z
  .object({
    id: z.string(),
    passes: z.number().int().nonnegative(),
    fails: z.number().int().nonnegative(),
    byEndpoint: z.record(z.string(), ReadinessCountSchema),
    byStage: z.record(z.string(), ReadinessCountSchema),
  })
  .strict();
export type ReadinessCheckStats = z.infer<typeof ReadinessCheckStatsSchema>;

/**
 * The readiness checks that ran beside the load, in the same k6 run (a second k6 scenario).
 * Their requests, iterations and drops are counted here only: no endpoint, stage, total or
 * series holds them, so they never change a load figure.
 */
export const ReadinessAnalysisSchema = z
  .object({
    /** The k6 scenario whose samples these are. */
    scenario: z.string(),
    requests: z.number().int().nonnegative(),
    iterations: z.number().int().nonnegative(),
    droppedIterations: z.number().int().nonnegative(),
    /** In the order of lib/shared/readiness.ts READINESS_CHECKS, then unknown ids by name. */
    checks: z.array(ReadinessCheckStatsSchema),
  })
  .strict();
export type ReadinessAnalysis = z.infer<typeof ReadinessAnalysisSchema>;

export const RunMetaSchema = z
  .object({
    runId: z.string(),
    scenario: z.string().nullable(),
    profile: z.string().nullable(),
    phase: z.string().nullable(),
    /** Base URL of the system under test (no credentials). */
    target: z.string().nullable(),
    k6Version: z.string().nullable(),
    startedAt: z.string().nullable(),
    endedAt: z.string().nullable(),
    durationS: z.number().nullable(),
    /** `aborted`: k6 stopped it (a threshold with abortOnFail, a k6 error); `interrupted`: SIGINT/SIGTERM. */
    status: z.enum(['completed', 'aborted', 'interrupted', 'failed', 'unknown']),
    k6ExitCode: z.number().int().nullable(),
  })
  .strict();
export type RunMeta = z.infer<typeof RunMetaSchema>;

/**
 * A test split across k6 processes (execution segments): one entry per process, in segment
 * order. Added in version 1 without a bump (absent: one process, or not recorded).
 */
export const SegmentSchema = z
  .object({
    /** 1-based. */
    index: z.number().int().positive(),
    /** k6's `--execution-segment` (e.g. `1/3:2/3`); null when not recorded (result files collected from elsewhere). */
    segment: z.string().nullable(),
    /** This process's raw files, as in `input.files`. */
    files: z.array(z.string()),
    /** How the process ended (its run.json); `unknown` when nothing recorded it. */
    status: z.enum(['completed', 'aborted', 'interrupted', 'failed', 'unknown']),
    k6ExitCode: z.number().int().nullable(),
    /** The signal that ended it, if any (e.g. `SIGKILL`). */
    signal: z.string().nullable(),
    /** When it ended (ISO-8601), and in seconds from the test start; null when not recorded. */
    endedAt: z.string().nullable(),
    endedAtS: z.number().nullable(),
    /** HTTP requests in its files. */
    requests: z.number().int().nonnegative(),
  })
  .strict();
export type Segment = z.infer<typeof SegmentSchema>;

export const SegmentsSchema = z
  .object({
    /** How many processes the test was split across. */
    count: z.number().int().positive(),
    /**
     * A segment failed (its k6 exited with an error or died) while others ran on: every figure
     * covers the samples written, the failed segments' only up to their end.
     */
    partial: z.boolean(),
    list: z.array(SegmentSchema),
  })
  .strict();
export type Segments = z.infer<typeof SegmentsSchema>;

export const DamagedFileSchema = z
  .object({
    /** As in `input.files`. */
    file: z.string(),
    /** Its damaged lines. */
    lines: z.number().int().nonnegative(),
    /**
     * Where the damage starts: the first damaged line, or the first line the stream did not
     * deliver when it broke off after a whole line (1-based, in the decompressed stream); null
     * when the gzip checksum failed although every line read was whole (some line differs from
     * what k6 wrote, and which one cannot be known).
     */
    firstLine: z.number().int().positive().nullable(),
    /** Lines read whole before `firstLine` (all of them were analysed); every line read when `firstLine` is null. */
    linesBefore: z.number().int().nonnegative(),
    /** zlib's error when the gzip stream is cut short or corrupt, else null. */
    streamError: z.string().nullable(),
  })
  .strict();
export type DamagedFile = z.infer<typeof DamagedFileSchema>;

export const DamageSchema = z
  .object({
    /** Damaged lines in all files. */
    lines: z.number().int().nonnegative(),
    /** The files with damaged lines or a broken gzip stream, in input order. */
    files: z.array(DamagedFileSchema),
  })
  .strict();
export type Damage = z.infer<typeof DamageSchema>;

export const AnalysisSchema = z
  .object({
    kind: z.literal('loadgate.analysis'),
    version: z.literal(ANALYSIS_VERSION),
    generatedAt: z.string(),
    run: RunMetaSchema,
    settings: z
      .object({
        percentiles: z.enum(['exact', 'hdr']),
        /** Stated relative error of HDR percentiles (e.g. 0.001 for 3 significant digits); 0 in exact mode. */
        relativeError: z.number().nonnegative(),
        seriesIntervalS: z.number().positive(),
      })
      .strict(),
    /** What was read and what was skipped: nothing is dropped silently. */
    input: z
      .object({
        files: z.array(z.string()),
        lines: z.number().int().nonnegative(),
        points: z.number().int().nonnegative(),
        skipped: z
          .object({
            badJson: z.number().int().nonnegative(),
            tornLastLine: z.number().int().nonnegative(),
            unknownMetric: z.number().int().nonnegative(),
            untagged: z.number().int().nonnegative(),
            /**
             * Samples timestamped outside the run's window (planned stages + graceful stop +
             * margin, or before the test start): left out, so they cannot stretch the run.
             * Absent in files written before it existed (version 1 all the same).
             */
            outOfWindow: z.number().int().nonnegative().optional(),
            /**
             * Samples of k6's setup() (tag group "::setup": the session pool's logins before the
             * load): kept out of every load figure and of the run's span. Absent before it existed.
             */
            setup: z.number().int().nonnegative().optional(),
          })
          .strict(),
        truncated: z.boolean(),
        /**
         * Damage: lines that are not a whole, valid JSON object (torn, cut short, garbled or
         * empty; each also counted in `skipped`, as badJson or tornLastLine), whatever their
         * metric, and where each damaged file's damage starts. Absent in files written before it.
         */
        damaged: DamageSchema.optional(),
        warnings: z.array(z.string()),
      })
      .strict(),
    totals: z
      .object({
        requests: z.number().int().nonnegative(),
        iterations: z.number().int().nonnegative(),
        droppedIterations: z.number().int().nonnegative(),
        /** The larger of the VUs k6 allocated (`vus_max`) and the highest `vus` sample. */
        vusMax: z.number().int().nonnegative(),
        /**
         * The highest `vus` sample: VUs actually running iterations (an arrival-rate executor
         * allocates far more than it uses). Absent in files written before it (version 1).
         */
        vusPeak: z.number().int().nonnegative().optional(),
        checks: z.object({ passes: z.number().int().nonnegative(), fails: z.number().int().nonnegative() }).strict(),
        /** All endpoints together over the whole run. */
        all: StatsSchema,
      })
      .strict(),
    stages: z.array(StageSchema),
    endpoints: z.array(EndpointSchema),
    timeouts: z
      .object({
        /** "timeout issues: N of M endpoints". */
        endpointsWithTimeouts: z.number().int().nonnegative(),
        endpointsTotal: z.number().int().nonnegative(),
        /** Ranked: most timeouts first. */
        findings: z.array(TimeoutFindingSchema),
      })
      .strict(),
    series: SeriesSchema,
    /** The execution segments the results came from (optional, version 1; see SegmentsSchema). */
    segments: SegmentsSchema.optional(),
    /** The readiness checks beside the load; absent when the run had none (and in files written before them). */
    readiness: ReadinessAnalysisSchema.optional(),
  })
  .strict();
export type Analysis = z.infer<typeof AnalysisSchema>;
