/**
 * The history's record of one run: what `loadgate history`, `loadgate trends` and the nightly gate
 * read. Built from a run directory's analysis.json and verdict.json (lib/history/summarize.ts),
 * stored in the embedded index (lib/history/store.ts) and rebuilt from the run directories by
 * `loadgate history import`: the run directories stay the source of truth.
 *
 * Latencies in ms, rates 0..1, throughput in requests/s (as in the analysis file).
 */
import { z } from 'zod';

/** The run's source code when it is known: the repository's commit and branch (lib/history/source.ts). */
export const SourceSchema = z
  .object({
    kind: z.literal('loadgate.source'),
    version: z.literal(1),
    commit: z.string().nullable(),
    branch: z.string().nullable(),
    /** Where the figures came from: `env` (LOADGATE_GIT_* or CI variables), `git` (the working directory's repository). */
    from: z.enum(['env', 'git', 'none']),
  })
  .strict();
export type Source = z.infer<typeof SourceSchema>;

/** The gating set's targets for one endpoint, as the run's verdict applied them; null = no such target. */
export const EndpointTargetsSchema = z
  .object({
    p95: z.number().nullable(),
    errorRate: z.number().nullable(),
    timeoutRate: z.number().nullable(),
  })
  .strict();

export const EndpointSummarySchema = z
  .object({
    name: z.string(),
    group: z.string().nullable(),
    requests: z.number().int().nonnegative(),
    p50: z.number().nullable(),
    p95: z.number().nullable(),
    p99: z.number().nullable(),
    /** The P95 is a lower bound (capped by timeouts; docs/analysis-format.md, `censored`). */
    p95Censored: z.boolean(),
    errorRate: z.number().nullable(),
    timeoutRate: z.number().nullable(),
    /** `ok` requests per second in the steady window (the whole run when it has none). */
    goodputRps: z.number().nullable(),
    targets: EndpointTargetsSchema,
  })
  .strict();
export type EndpointSummary = z.infer<typeof EndpointSummarySchema>;

export const VerdictStatusSchema = z.enum(['pass', 'fail', 'inconclusive']);

export const HistoryEntrySchema = z
  .object({
    runId: z.string().min(1),
    /** The test start (analysis `run.startedAt`), ISO-8601: the history's time axis. */
    startedAt: z.string(),
    scenario: z.string().nullable(),
    profile: z.string().nullable(),
    phase: z.string().nullable(),
    /** The base URL of the system under test (no credentials). */
    target: z.string().nullable(),
    /** Runs of the same shape (scenario, profile, stages and their offered load) are comparable: lib/history/summarize.ts. */
    shape: z.string(),
    /** The shape in words: `journey · smoke · 1 stage, 10 s, 5 RPS`. */
    shapeLabel: z.string(),
    commit: z.string().nullable(),
    branch: z.string().nullable(),
    k6Version: z.string().nullable(),
    /** How the k6 run ended (analysis `run.status`). */
    status: z.enum(['completed', 'aborted', 'interrupted', 'failed', 'unknown']),
    /** The verdict against the gating set; null when the run was not judged. */
    verdict: VerdictStatusSchema.nullable(),
    verdictSet: z.string().nullable(),
    /** The verdict against the production gate; null when not judged against it. */
    production: VerdictStatusSchema.nullable(),
    /** The load was valid (the generator delivered it and the run completed); null without a verdict. */
    valid: z.boolean().nullable(),
    requests: z.number().int().nonnegative(),
    /** Offered and successful rates in the steady window, requests/s. */
    offeredRps: z.number().nullable(),
    goodputRps: z.number().nullable(),
    /** The gating set's throughput target, requests/s; null without one. */
    throughputTarget: z.number().nullable(),
    /** The run directory: relative to the history file's directory when inside it (so the results directory can move), else absolute. */
    runDir: z.string(),
    endpoints: z.array(EndpointSummarySchema),
  })
  .strict();
export type HistoryEntry = z.infer<typeof HistoryEntrySchema>;

/** What `loadgate history` lists (and prints with --json): entries without their endpoints. */
export type HistoryRun = Omit<HistoryEntry, 'endpoints'> & { endpointCount: number };

/** Filters of `loadgate history` and `loadgate trends`; every one given must match exactly. */
export const HistoryFilterSchema = z
  .object({
    scenario: z.string().optional(),
    profile: z.string().optional(),
    phase: z.string().optional(),
    target: z.string().optional(),
    branch: z.string().optional(),
    shape: z.string().optional(),
    /** Only runs that started before this ISO time (the gate: the runs before the judged one). */
    before: z.string().optional(),
    /** Newest first, at most this many. */
    limit: z.number().int().positive().optional(),
  })
  .strict();
export type HistoryFilter = z.infer<typeof HistoryFilterSchema>;

/** A run of the history as a judgement or a change names it. */
export const RunRefSchema = z
  .object({
    runId: z.string(),
    startedAt: z.string(),
    phase: z.string().nullable(),
    commit: z.string().nullable(),
    branch: z.string().nullable(),
  })
  .strict();
export type RunRef = z.infer<typeof RunRefSchema>;

/**
 * What "beyond noise" means per metric (lib/history/noise.ts holds the statistics): the table
 * the gate, the change points, the trend report and the verdict's history sentences share.
 */
/** The metrics a trend follows and the gate judges; MetricKeySchema and METRICS derive from it. */
export const METRIC_KEYS = ['p95', 'errorRate', 'timeoutRate', 'goodputRps'] as const;
export type MetricKey = (typeof METRIC_KEYS)[number];

export interface MetricDef {
  key: MetricKey;
  label: string;
  unit: 'ms' | 'ratio' | 'rps';
  /** Which way is a regression. */
  worse: 'up' | 'down';
  /** A change is within noise unless |Δ| ≥ abs and, when the level before is not 0, |Δ| / level ≥ rel. */
  floor: { abs: number; rel: number };
  /** Judged by the nightly gate per endpoint (goodput per endpoint follows the scenario's random mix: trend only). */
  gated: boolean;
}

export const METRICS: readonly MetricDef[] = [
  { key: 'p95', label: 'P95', unit: 'ms', worse: 'up', floor: { abs: 2, rel: 0.1 }, gated: true },
  { key: 'errorRate', label: 'error rate', unit: 'ratio', worse: 'up', floor: { abs: 0.005, rel: 0 }, gated: true },
  { key: 'timeoutRate', label: 'timeout rate', unit: 'ratio', worse: 'up', floor: { abs: 0.005, rel: 0 }, gated: true },
  { key: 'goodputRps', label: 'goodput', unit: 'rps', worse: 'down', floor: { abs: 0.1, rel: 0.05 }, gated: false },
];

export function metricDef(key: MetricKey): MetricDef {
  return METRICS.find((m) => m.key === key) as MetricDef;
}

/** The run-wide goodput (steady window, every endpoint): gated, against the runs' throughput. */
export const RUN_GOODPUT: MetricDef = {
  key: 'goodputRps',
  label: 'goodput (all endpoints)',
  unit: 'rps',
  worse: 'down',
  floor: { abs: 0.1, rel: 0.05 },
  gated: true,
};

export const MetricKeySchema = z.enum(METRIC_KEYS);

/** One endpoint × metric of a run judged against the recent history of its shape. */
export const HistoryFindingSchema = z
  .object({
    /** The endpoint, or `*` for the run as a whole (goodput over every endpoint). */
    endpoint: z.string(),
    metric: MetricKeySchema,
    unit: z.enum(['ms', 'ratio', 'rps']),
    /**
     * `regressed` / `improved`: beyond the noise band, the worse / better way; `within-noise`;
     * `insufficient`: too few earlier runs (or requests) to judge.
     */
    status: z.enum(['regressed', 'improved', 'within-noise', 'insufficient']),
    /** The judged run's figure; null when it has none. */
    value: z.number().nullable(),
    /** The baseline: the median of the earlier runs, and how many. */
    baseline: z.number().nullable(),
    baselineRuns: z.number().int().nonnegative(),
    /** Half-width of the noise band around the baseline (k robust SDs, at least the practical floor). */
    noise: z.number().nullable(),
    /** value − baseline, and relative to the baseline (null when it is 0). */
    delta: z.number().nullable(),
    deltaRel: z.number().nullable(),
    /** The newest baseline run: the run this one is compared with. */
    comparedWith: RunRefSchema.nullable(),
    /** The change point the baseline starts after, when there is one (the runs before it are another level). */
    since: RunRefSchema.nullable(),
    reason: z.string().nullable(),
  })
  .strict();
export type HistoryFinding = z.infer<typeof HistoryFindingSchema>;

/** `<run-dir>/against-history.json`: the run judged against the recent history of its shape (`--against-history`). */
export const HistoryJudgementSchema = z
  .object({
    kind: z.literal('loadgate.against-history'),
    version: z.literal(1),
    runId: z.string(),
    shape: z.string(),
    shapeLabel: z.string(),
    generatedAt: z.string().nullable(),
    /** `regressed` when any finding is; `insufficient` when no finding could be judged; else `ok`. */
    status: z.enum(['regressed', 'ok', 'insufficient']),
    /** Earlier runs of the same shape in the history (completed ones count as baseline). */
    historyRuns: z.number().int().nonnegative(),
    comparedWith: RunRefSchema.nullable(),
    settings: z
      .object({
        window: z.number().int().positive(),
        minBaseline: z.number().int().positive(),
        k: z.number().positive(),
        minRequests: z.number().int().nonnegative(),
      })
      .strict(),
    /** Regressions first, then improvements, then the rest. */
    findings: z.array(HistoryFindingSchema),
  })
  .strict();
export type HistoryJudgement = z.infer<typeof HistoryJudgementSchema>;
