/**
 * `<run-dir>/verdict.json`: the harness's judgement of one run against one threshold set.
 * Versioned; the rules that produce it are in docs/verdicts.md (lib/verdict/compute.ts).
 * JUnit XML, the Markdown summary and the exit code are all derived from this file.
 * Version policy (docs/verdicts.md): adding an optional field keeps the version; removing,
 * renaming or changing the meaning of one bumps it, with a migrate() from the old version.
 */
import { z } from 'zod';
import { ThresholdSetSchema } from './thresholds.ts';
import { READINESS_CATEGORIES } from './readiness.ts';

export const VERDICT_VERSION = 1 as const;

export const VerdictStatusSchema = z.enum(['pass', 'fail', 'inconclusive']);
export type VerdictStatus = z.infer<typeof VerdictStatusSchema>;

export const TargetKindSchema = z.enum(['p95', 'errorRate', 'timeoutRate', 'throughput']);
export type TargetKind = z.infer<typeof TargetKindSchema>;

export const VerdictRowSchema = z
  .object({
    target: TargetKindSchema,
    /** Endpoint name (k6's `name` tag), or `*` for a run-wide row (throughput). */
    endpoint: z.string(),
    group: z.string().nullable(),
    /** `all` for the whole run, a stage name, or the steady window's stage names joined by `+` (throughput). */
    stage: z.string(),
    /** Whether this row decides the overall status (see `settings.gate`). */
    gating: z.boolean(),
    status: VerdictStatusSchema,
    /** What was measured, in `unit`; null when nothing was (no requests in scope). */
    measured: z.number().nullable(),
    threshold: z.number(),
    /** The comparator the measured value must satisfy against `threshold` to pass. */
    comparator: z.enum(['<', '<=', '>=']),
    /** `ms`; `ratio` (0..1, shown as %); `rps` (requests per second). */
    unit: z.enum(['ms', 'ratio', 'rps']),
    /** measured − threshold, in `unit` (positive = above the target); null when not measured. */
    margin: z.number().nullable(),
    /** margin / threshold; null when not measured or the threshold is 0. */
    marginRel: z.number().nullable(),
    /** Requests the row is computed from. */
    requests: z.number().int().nonnegative(),
    /** The measured percentile is capped by timeouts: the true value is at least `measured`. */
    censored: z.boolean(),
    /** Why a row is inconclusive, or what qualifies a pass or fail (censoring, a generator shortfall). */
    reason: z.string().nullable(),
  })
  .strict();
export type VerdictRow = z.infer<typeof VerdictRowSchema>;

export const StageValiditySchema = z
  .object({
    name: z.string(),
    offeredRps: z.number(),
    achievedRps: z.number().nullable(),
    /** Successful (ok) requests per second within the stage window. */
    goodputRps: z.number().nullable(),
    droppedIterations: z.number().int().nonnegative(),
    /** Iterations the plan asked for in the stage (offered rate × duration ÷ requests per iteration). */
    plannedIterations: z.number().nonnegative(),
    /** The generator fell short in this stage (dropped iterations above the tolerance). */
    short: z.boolean(),
    steady: z.boolean(),
    /** The system served less than the stage offered (lib/contract/figures.ts isSaturated). Optional: absent in older files. */
    saturated: z.boolean().optional(),
  })
  .strict();
export type StageValidity = z.infer<typeof StageValiditySchema>;

/** The load generator in one stage: the samples whose whole interval lies in it (lib/verdict/generator.ts). */
export const GeneratorStageSchema = z
  .object({
    name: z.string(),
    samples: z.number().int().nonnegative(),
    /** Samples in which k6 used more than `cpuLimit` of the cores. */
    hot: z.number().int().nonnegative(),
    /** hot ÷ samples; null without samples. */
    hotShare: z.number().nullable(),
    /** k6's CPU as a share of every core (0..1): mean and highest sample; null without samples. */
    meanCpu: z.number().nullable(),
    peakCpu: z.number().nullable(),
    /** Highest resident memory of the stage's samples, bytes. */
    peakRssBytes: z.number().nullable(),
    /** hot ÷ samples above `saturatedShare`: the generator measured itself in this stage. */
    saturated: z.boolean(),
  })
  .strict();
export type GeneratorStage = z.infer<typeof GeneratorStageSchema>;

/** k6's own CPU and memory during the run (generator.json), summed up per load stage and judged. */
export const GeneratorHealthSchema = z
  .object({
    /** The cores the CPU shares are of. */
    cores: z.number().int().positive(),
    /** The k6 processes sampled (one per segment). */
    processes: z.number().int().nonnegative(),
    /** Samples in the file, and those within a load stage. */
    samples: z.number().int().nonnegative(),
    samplesInStages: z.number().int().nonnegative(),
    intervalMs: z.number().positive(),
    /** A sample is hot above this CPU share of the cores (0.9). */
    cpuLimit: z.number(),
    /** A stage is saturated when more than this share of its samples is hot (0.1). */
    saturatedShare: z.number(),
    /** Highest CPU share of a sample within the load stages (initialising VUs before them is not load). */
    peakCpu: z.number().nullable(),
    /** Highest resident memory of any sample, bytes. */
    peakRssBytes: z.number().nullable(),
    stages: z.array(GeneratorStageSchema),
    saturatedStages: z.array(z.string()),
  })
  .strict();
export type GeneratorHealth = z.infer<typeof GeneratorHealthSchema>;

export const ValiditySchema = z
  .object({
    /** Offered and achieved rates in the steady window (null when the run has none). */
    offeredRps: z.number().nullable(),
    achievedRps: z.number().nullable(),
    goodputRps: z.number().nullable(),
    steadyStages: z.array(z.string()),
    droppedIterations: z.number().int().nonnegative(),
    plannedIterations: z.number().nonnegative(),
    /** False when the generator did not deliver the load it promised, or the run did not complete. */
    valid: z.boolean(),
    /**
     * The generator offered the load, but the system served less of it: successful RPS below 95 %
     * of the offered rate beyond counting noise (lib/contract/figures.ts). Optional: absent in
     * verdicts written before it, where it is worked out from the rates.
     */
    saturated: z.boolean().optional(),
    reasons: z.array(z.string()),
    stages: z.array(StageValiditySchema),
    /**
     * The load generator's CPU and memory (docs/verdicts.md, "A saturated generator"); null: the
     * run has no generator samples (no generator.json). Optional: absent in verdicts written before it.
     */
    generator: GeneratorHealthSchema.nullable().optional(),
  })
  .strict();
export type Validity = z.infer<typeof ValiditySchema>;

/** The threshold set a judgement applied, recorded whole so the verdict stands on its own. */
export const AppliedSetSchema = z
  .object({
    name: z.string(),
    /** The threshold data format version (lib/contract/thresholds.ts). */
    thresholdsVersion: z.number().int(),
    /** The set as applied. */
    definition: ThresholdSetSchema,
  })
  .strict();
export type AppliedSet = z.infer<typeof AppliedSetSchema>;

export const CountsSchema = z
  .object({
    pass: z.number().int().nonnegative(),
    fail: z.number().int().nonnegative(),
    inconclusive: z.number().int().nonnegative(),
  })
  .strict();

/**
 * The second question of every run: how far is it from production? The same analysis judged
 * by the same rules and settings against the production gate (the `production` set, or the one
 * the config names). Informational: the exit code follows the gating set only.
 */
export const ProductionJudgementSchema = z
  .object({
    set: AppliedSetSchema,
    status: VerdictStatusSchema,
    /** Counts of the gating rows, as `counts` for the gating set. */
    counts: CountsSchema,
    /** The gating rows only (the per-stage rows that do not gate are left out), failures first. */
    rows: z.array(VerdictRowSchema),
  })
  .strict();
export type ProductionJudgement = z.infer<typeof ProductionJudgementSchema>;

/** A readiness item's outcome; `off`: the check was switched off, has nothing to ask or does not apply (e.g. HSTS over http); its reason says which. */
export const ReadinessStatusSchema = z.enum(['pass', 'fail', 'inconclusive', 'off']);
export type ReadinessStatus = z.infer<typeof ReadinessStatusSchema>;

/** One readiness check (lib/shared/readiness.ts) as judged: its samples against its required share. */
export const ReadinessCheckResultSchema = z
  .object({
    id: z.string(),
    category: z.enum(READINESS_CATEGORIES),
    status: ReadinessStatusSchema,
    passes: z.number().int().nonnegative(),
    fails: z.number().int().nonnegative(),
    /** passes ÷ samples; null without samples. */
    share: z.number().nullable(),
    /** The share of passing samples the check needs. */
    required: z.number(),
    /** What failed where (endpoints and stages), or why it was not judged. */
    reason: z.string().nullable(),
  })
  .strict();
export type ReadinessCheckResult = z.infer<typeof ReadinessCheckResultSchema>;

export const ReadinessCategoryScoreSchema = z
  .object({
    name: z.enum(READINESS_CATEGORIES),
    /** met ÷ judged (0..1); null when nothing in the category was judged. */
    score: z.number().nullable(),
    met: z.number().int().nonnegative(),
    judged: z.number().int().nonnegative(),
    /** Where the items come from: production-gate rows and/or readiness checks. */
    sources: z.array(z.string()),
  })
  .strict();
export type ReadinessCategoryScore = z.infer<typeof ReadinessCategoryScoreSchema>;

/**
 * The production readiness score (docs/verdicts.md, "Production readiness"): per category, the
 * share of its items met (the production gate's rows for performance, errors and timeouts; the
 * readiness checks for monitoring and security, compression in performance), and overall the
 * mean of the categories judged. Informational: it never changes `status` or the exit code.
 */
export const ReadinessScoreSchema = z
  .object({
    score: z.number().nullable(),
    categories: z.array(ReadinessCategoryScoreSchema),
    checks: z.array(ReadinessCheckResultSchema),
    /** Whether readiness checks ran beside the load (else monitoring and security are not judged). */
    measured: z.boolean(),
  })
  .strict();
export type ReadinessScore = z.infer<typeof ReadinessScoreSchema>;

export const VerdictSchema = z
  .object({
    kind: z.literal('loadgate.verdict'),
    version: z.literal(VERDICT_VERSION),
    runId: z.string(),
    /** Injected by the caller (the compute is pure); null when not given. */
    generatedAt: z.string().nullable(),
    run: z
      .object({
        scenario: z.string().nullable(),
        profile: z.string().nullable(),
        phase: z.string().nullable(),
        status: z.string(),
      })
      .strict(),
    /** The gating set: the one that decides `status` and the exit code. */
    set: AppliedSetSchema,
    settings: z
      .object({
        /** `run`: whole-run rows and the steady-window throughput decide; `every-stage`: per-stage rows too. */
        gate: z.enum(['run', 'every-stage']),
        /** Dropped iterations above this share of the planned ones make a stage short. */
        droppedTolerance: z.number().nonnegative(),
        /** Achieved throughput may fall this share below the target and still pass (sampling jitter). */
        throughputTolerance: z.number().nonnegative(),
      })
      .strict(),
    status: VerdictStatusSchema,
    counts: CountsSchema,
    validity: ValiditySchema,
    /** Gating rows first (fail, inconclusive, pass), then the per-stage rows. */
    rows: z.array(VerdictRowSchema),
    /**
     * The run against the production gate (docs/verdicts.md, "Two questions"). Optional: verdicts
     * written before it lack it and still read as version 1; `loadgate verdict` adds it.
     */
    production: ProductionJudgementSchema.optional(),
    /** The production readiness score; optional: verdicts written before it lack it (`loadgate verdict` adds it). */
    readiness: ReadinessScoreSchema.optional(),
  })
  .strict();
export type Verdict = z.infer<typeof VerdictSchema>;
