/**
 * The resolved plan: everything one run needs, written to `<run-dir>/plan.json` before k6
 * starts and read by the k6 script at init (`open(__ENV.LOADGATE_PLAN)`). Versioned.
 * It never holds a secret: credentials are referenced by env var name only.
 */
import { z } from 'zod';

export const PLAN_VERSION = 1 as const;

export const HttpMethodSchema = z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);

const BODY_CHECK_KINDS = ['json', 'contains', 'empty'] as const;

/**
 * The body-shape check of a successful response, exactly one of: `json` (a JSON object with
 * all these top-level fields), `contains` (the body text contains this string: Prometheus
 * metrics, HTML), `empty` (no body: a 204). null (where allowed) checks no body at all.
 */
export const BodyCheckSchema = z
  .object({
    json: z.array(z.string().min(1)).min(1).optional(),
    contains: z.string().min(1).optional(),
    empty: z.literal(true).optional(),
  })
  .strict()
  .refine((c) => BODY_CHECK_KINDS.filter((k) => c[k] !== undefined).length === 1, {
    error: (issue) => `must have exactly one of ${BODY_CHECK_KINDS.join(', ')}, got ${JSON.stringify(issue.input)}`,
  });
export type BodyCheck = z.infer<typeof BodyCheckSchema>;

export const PlanEndpointSchema = z
  .object({
    /** Stable endpoint name, used as k6's `name` tag. */
    name: z.string().regex(/^[a-z][a-z0-9_.-]*$/, 'must be lower-case letters, digits, "_", "." or "-"'),
    group: z.string(),
    method: HttpMethodSchema,
    /** Path relative to the base URL; `{{var}}` placeholders are filled per request. */
    path: z.string().startsWith('/'),
    /** JSON body template; string values may hold `{{var}}` placeholders. */
    body: z.unknown().optional(),
    /** `bearer`: sends the session's access token. */
    auth: z.enum(['none', 'bearer']),
    /** Client timeout, ms. */
    timeoutMs: z.number().int().positive(),
    /** Status codes that count as success for this endpoint. */
    expectStatus: z.array(z.number().int().min(100).max(599)).min(1),
    /**
     * Superseded by `expectBody`: plans written before it have only this (a top-level JSON field
     * the body must have, or null); new plans write null here and the check in `expectBody`.
     */
    expectField: z.string().nullable(),
    /** The body-shape check (see BodyCheckSchema); null checks no body. Absent in older plans. */
    expectBody: BodyCheckSchema.nullable().optional(),
    /** Probes get their own latency target. */
    probe: z.boolean(),
  })
  .strict();
export type PlanEndpoint = z.infer<typeof PlanEndpointSchema>;

/** One stage of the load shape, resolved to absolute seconds and requests per second. */
export const PlanStageSchema = z
  .object({
    name: z.string(),
    startS: z.number().nonnegative(),
    endS: z.number().nonnegative(),
    /** Offered requests per second at the stage start and end (linear in between). */
    fromRps: z.number().nonnegative(),
    toRps: z.number().nonnegative(),
  })
  .strict();
export type PlanStage = z.infer<typeof PlanStageSchema>;

export const PlanSchema = z
  .object({
    kind: z.literal('loadgate.plan'),
    version: z.literal(PLAN_VERSION),
    runId: z.string(),
    createdAt: z.string(),
    scenario: z.string(),
    profile: z.string(),
    phase: z.string().nullable(),
    /** Name of the threshold set the verdicts use. */
    thresholdSet: z.string().nullable(),
    baseUrl: z.string().url(),
    endpoints: z.array(PlanEndpointSchema),
    /** Login response fields holding the tokens. */
    tokens: z.object({ access: z.string(), refresh: z.string() }).strict(),
    users: z
      .object({
        /** `{{i}}` is replaced by 1..count. */
        emailTemplate: z.string(),
        count: z.number().int().positive(),
        /** Name of the env var that holds the password; never the password itself. */
        passwordEnv: z.string(),
      })
      .strict(),
    /** Journey weights per sub-flow (auth, user, monitoring). */
    journeyWeights: z.record(z.string(), z.number().nonnegative()),
    /** Mean HTTP requests one iteration of the scenario makes; turns RPS into iterations/s. */
    requestsPerIteration: z.number().positive(),
    durationScale: z.number().positive(),
    stages: z.array(PlanStageSchema).min(1),
    /** The k6 options object the script exports (scenarios, thresholds, tags, summary). */
    k6Options: z.record(z.string(), z.unknown()),
  })
  .strict();
export type Plan = z.infer<typeof PlanSchema>;
