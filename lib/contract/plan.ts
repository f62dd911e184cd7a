/**
 * The resolved plan: everything one run needs, written to `<run-dir>/plan.json` before k6
 * starts and read by the k6 script at init (`open(__ENV.LOADGATE_PLAN)`). Versioned, with a
 * migration from every earlier version (`parsePlan`). It never holds a secret: credentials
 * are referenced by env var name only (auth strategies, `{{env.NAME}}` templates).
 */
import { z } from 'zod';

export const PLAN_VERSION = 2 as const;

export const HttpMethodSchema = z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);

const BODY_CHECK_KINDS = ['json', 'jsonPath', 'contains', 'empty'] as const;

/** What a JSON path in `expectBody.jsonPath` must hold: exactly one of these. */
export const JsonExpectSchema = z
  .object({
    exists: z.literal(true).optional(),
    type: z.enum(['object', 'array', 'string', 'number', 'boolean', 'null']).optional(),
    equals: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
    /** An array (or string) with at least this many items. */
    minLength: z.number().int().nonnegative().optional(),
  })
  .strict()
  .refine((e) => ['exists', 'type', 'equals', 'minLength'].filter((k) => (e as Record<string, unknown>)[k] !== undefined).length === 1, {
    error: (issue) => `must have exactly one of exists, type, equals, minLength, got ${JSON.stringify(issue.input)}`,
  });
export type JsonExpect = z.infer<typeof JsonExpectSchema>;

/**
 * The body-shape check of a successful response, exactly one of: `json` (a JSON object with
 * all these top-level fields), `jsonPath` (values at JSON paths: objects and arrays alike),
 * `contains` (the body text contains this string: Prometheus metrics, HTML), `empty` (no body:
 * a 204). null (where allowed) checks no body at all.
 */
export const BodyCheckSchema = z
  .object({
    json: z.array(z.string().min(1)).min(1).optional(),
    jsonPath: z.record(z.string().min(1), JsonExpectSchema).optional(),
    contains: z.string().min(1).optional(),
    empty: z.literal(true).optional(),
  })
  .strict()
  .refine((c) => BODY_CHECK_KINDS.filter((k) => c[k] !== undefined).length === 1, {
    error: (issue) => `must have exactly one of ${BODY_CHECK_KINDS.join(', ')}, got ${JSON.stringify(issue.input)}`,
  });
export type BodyCheck = z.infer<typeof BodyCheckSchema>;

export const StatusMatcherSchema = z.union([
  z.number().int().min(100).max(599),
  z.object({ min: z.number().int().min(100).max(599), max: z.number().int().min(100).max(599) }).strict(),
]);

export const BodyTypeSchema = z.enum(['json', 'form', 'text']);

/** Where a login's token is found in its answer. */
export const TokenSourceSchema = z.union([
  z.object({ json: z.string().min(1) }).strict(),
  z.object({ header: z.string().min(1) }).strict(),
  z.object({ cookie: z.string().min(1) }).strict(),
]);
export type TokenSource = z.infer<typeof TokenSourceSchema>;

const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'must be an environment variable name such as MY_API_KEY' });

/** How requests authenticate. Secrets are env var names; their values reach k6 through its env only. */
export const AuthStrategySchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('apiKey'), in: z.enum(['header', 'query']), name: z.string().min(1), env: EnvName }).strict(),
  z
    .object({
      type: z.literal('basic'),
      /** A literal user name, or the env var holding it (exactly one). */
      username: z.string().min(1).optional(),
      usernameEnv: EnvName.optional(),
      passwordEnv: EnvName,
    })
    .strict(),
  z.object({ type: z.literal('bearer'), env: EnvName, header: z.string().min(1), scheme: z.string() }).strict(),
  z
    .object({
      type: z.literal('login'),
      /** The endpoint that logs in (its body usually sends {{email}} and {{password}}). */
      endpoint: z.string().min(1),
      token: TokenSourceSchema,
      header: z.string().min(1),
      /** Put before the token in the header ("Bearer"); empty sends the bare token. */
      scheme: z.string(),
      refresh: z
        .object({ endpoint: z.string().min(1), token: TokenSourceSchema })
        .strict()
        .nullable(),
      /** Answers to an authenticated request that drop the session and log in again. */
      reloginOn: z.array(z.number().int().min(100).max(599)),
    })
    .strict(),
]);
export type AuthStrategy = z.infer<typeof AuthStrategySchema>;

export const PlanEndpointSchema = z
  .object({
    /** Stable endpoint name, used as k6's `name` tag. */
    name: z.string().regex(/^[a-z][a-z0-9_.-]*$/, 'must be lower-case letters, digits, "_", "." or "-"'),
    group: z.string(),
    method: HttpMethodSchema,
    /** Path relative to the base URL; `{{var}}` placeholders are filled per request. */
    path: z.string().startsWith('/'),
    /** Query parameters (templates), appended to the path. */
    query: z.record(z.string(), z.string()),
    /** Request headers (templates), on top of the plan's `headers`. */
    headers: z.record(z.string(), z.string()),
    /** Body template (string values may hold `{{var}}`); absent = no body. */
    body: z.unknown().optional(),
    bodyType: BodyTypeSchema,
    /** 'none' or the name of an auth strategy in `auth`. */
    auth: z.string(),
    /** Client timeout, ms. */
    timeoutMs: z.number().int().positive(),
    /** Weight in a pick flow. */
    weight: z.number().nonnegative(),
    /** Statuses that count as success for this endpoint (codes and ranges). */
    expectStatus: z.array(StatusMatcherSchema).min(1),
    /** The body-shape check (see BodyCheckSchema); null checks no body. */
    expectBody: BodyCheckSchema.nullable(),
    /** Probes get their own latency target. */
    probe: z.boolean(),
  })
  .strict();
export type PlanEndpoint = z.infer<typeof PlanEndpointSchema>;

export const FlowStepSchema = z
  .object({
    endpoint: z.string(),
    /** Variables taken from this step's JSON answer by JSON path, for later steps. */
    capture: z.record(z.string(), z.string()),
    /** Think time after the step, ms. */
    thinkMs: z.number().nonnegative(),
  })
  .strict();
export type FlowStep = z.infer<typeof FlowStepSchema>;

/** A flow: a sequence of steps, one endpoint picked by weight, or one flow picked by weight. */
export const FlowSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('steps'),
      steps: z.array(FlowStepSchema).min(1),
      /** `vu`: a login session lives as long as the VU; `iteration`: a fresh one every iteration. */
      session: z.enum(['vu', 'iteration']),
    })
    .strict(),
  z
    .object({ kind: z.literal('pick'), endpoints: z.array(z.object({ name: z.string(), weight: z.number().positive() }).strict()).min(1) })
    .strict(),
  z
    .object({ kind: z.literal('mix'), flows: z.array(z.object({ name: z.string(), weight: z.number().positive() }).strict()).min(1) })
    .strict(),
]);
export type Flow = z.infer<typeof FlowSchema>;

/** One stage of the load shape, resolved to absolute seconds and requests per second. */
export const PlanStageSchema = z
  .object({
    name: z.string(),
    startS: z.number().nonnegative(),
    endS: z.number().nonnegative(),
    /** Offered requests per second at the stage start and end (linear in between; a step jumps at the start). */
    fromRps: z.number().nonnegative(),
    toRps: z.number().nonnegative(),
  })
  .strict();
export type PlanStage = z.infer<typeof PlanStageSchema>;

/**
 * The readiness checks the run makes beside the load (a second k6 scenario, `scenario`, whose
 * samples the analysis keeps apart): which endpoints each check asks, and its settings. A check
 * that is off, or has nothing to ask (then named in `skipped`), is null; with nothing to ask at
 * all there are no targets and no k6 scenario. Resolved from the config's `readiness` by
 * lib/plan/build.ts.
 */
export const PlanReadinessSchema = z
  .object({
    /** The k6 scenario that runs the checks (its samples carry this `scenario` tag). */
    scenario: z.string(),
    /** Iterations per second. */
    rate: z.number().positive(),
    timeoutMs: z.number().int().positive(),
    /**
     * The requests the checks send, by endpoint name: method and path (with its static query),
     * and what a good answer is. Never credentials: no auth, no configured headers.
     */
    targets: z.array(
      z
        .object({
          name: z.string(),
          method: HttpMethodSchema,
          url: z.string().startsWith('/'),
          expectStatus: z.array(StatusMatcherSchema).min(1),
          expectBody: BodyCheckSchema.nullable(),
        })
        .strict(),
    ),
    /** Targets sampled (in turn) for their security headers. */
    securityHeaders: z
      .object({ endpoints: z.array(z.string()).min(1), hsts: z.boolean() })
      .strict()
      .nullable(),
    cors: z
      .object({
        /** The endpoint whose path the preflights ask about, and the method they ask for. */
        endpoint: z.string(),
        path: z.string().startsWith('/'),
        method: HttpMethodSchema,
        allowedOrigin: z.string(),
        refusedOrigin: z.string(),
        requestHeaders: z.array(z.string()),
      })
      .strict()
      .nullable(),
    compression: z.object({ minBytes: z.number().int().positive() }).strict().nullable(),
    probes: z
      .object({ endpoints: z.array(z.string()).min(1), maxMs: z.number().positive() })
      .strict()
      .nullable(),
    monitoring: z
      .object({ endpoints: z.array(z.string()).min(1), prometheus: z.array(z.string()) })
      .strict()
      .nullable(),
    /**
     * Checks switched on that have nothing to ask, by check id, and why (`no probe endpoint
     * configured (…)`): the verdict states the reason instead of "switched off". Optional:
     * plans written before it lack it.
     */
    skipped: z.record(z.string(), z.string()).optional(),
  })
  .strict();
export type PlanReadiness = z.infer<typeof PlanReadinessSchema>;

export const PlanSchema = z
  .object({
    kind: z.literal('loadgate.plan'),
    version: z.literal(PLAN_VERSION),
    runId: z.string(),
    createdAt: z.string(),
    /** The flow the run starts from (a flow name in `flows`). */
    scenario: z.string(),
    profile: z.string(),
    phase: z.string().nullable(),
    /** Name of the threshold set the verdicts use. */
    thresholdSet: z.string().nullable(),
    baseUrl: z.string().url(),
    /** Headers every request carries (templates). */
    headers: z.record(z.string(), z.string()),
    /** The endpoints the scenario calls, logins and refreshes included. */
    endpoints: z.array(PlanEndpointSchema),
    auth: z.record(z.string(), AuthStrategySchema),
    /** The scenario's flow and every flow it reaches. */
    flows: z.record(z.string(), FlowSchema),
    users: z
      .object({
        /** `{{i}}` is replaced by 1..count. */
        emailTemplate: z.string(),
        count: z.number().int().positive(),
        /** Name of the env var that holds the password; never the password itself. */
        passwordEnv: z.string(),
        /** Test users logged in before the load for `vu` sessions (absent in older plans: none). */
        sessions: z.number().int().nonnegative().optional(),
      })
      .strict(),
    /**
     * Login strategies whose sessions k6's setup() opens before the load, and how many users
     * each: the VUs of `vu`-session flows share them. Absent or empty: VUs log in themselves.
     */
    sessionPool: z.record(z.string(), z.number().int().positive()).optional(),
    /** Every env var the requests read (auth secrets, `{{env.NAME}}`): names only. */
    env: z.array(z.string()),
    /** Mean HTTP requests one iteration of the scenario makes, logins and refreshes included. */
    requestsPerIteration: z.number().positive(),
    durationScale: z.number().positive(),
    stages: z.array(PlanStageSchema).min(1),
    /** The k6 options object the script exports (scenarios, thresholds, tags, summary). */
    k6Options: z.record(z.string(), z.unknown()),
    /**
     * The readiness checks beside the load; absent when switched off, and in plans written
     * before them (an optional field: the version stays 2).
     */
    readiness: PlanReadinessSchema.optional(),
  })
  .strict();
export type Plan = z.infer<typeof PlanSchema>;

// --- version 1, for migration ---------------------------------------------------------------

const PlanV1EndpointSchema = z
  .object({
    name: z.string(),
    group: z.string(),
    method: HttpMethodSchema,
    path: z.string(),
    body: z.unknown().optional(),
    auth: z.enum(['none', 'bearer']),
    timeoutMs: z.number().int().positive(),
    expectStatus: z.array(z.number().int()).min(1),
    expectField: z.string().nullable(),
    expectBody: BodyCheckSchema.nullable().optional(),
    probe: z.boolean(),
  })
  .strict();

const PlanV1Schema = z
  .object({
    kind: z.literal('loadgate.plan'),
    version: z.literal(1),
    runId: z.string(),
    createdAt: z.string(),
    scenario: z.string(),
    profile: z.string(),
    phase: z.string().nullable(),
    thresholdSet: z.string().nullable(),
    baseUrl: z.string().url(),
    endpoints: z.array(PlanV1EndpointSchema),
    tokens: z.object({ access: z.string(), refresh: z.string() }).strict(),
    users: z.object({ emailTemplate: z.string(), count: z.number().int().positive(), passwordEnv: z.string() }).strict(),
    journeyWeights: z.record(z.string(), z.number().nonnegative()),
    requestsPerIteration: z.number().positive(),
    durationScale: z.number().positive(),
    stages: z.array(PlanStageSchema).min(1),
    k6Options: z.record(z.string(), z.unknown()),
  })
  .strict();
export type PlanV1 = z.infer<typeof PlanV1Schema>;
export type PlanV1Endpoint = z.infer<typeof PlanV1EndpointSchema>;

/** Version 1 → 2: `bearer` becomes the login strategy its tokens described; the flows are the built-in ones. */
export function migratePlanV1(p: PlanV1): Plan {
  const names = new Set(p.endpoints.map((e) => e.name));
  const steps = (list: string[]) => list.filter((n) => names.has(n)).map((endpoint) => ({ endpoint, capture: {}, thinkMs: 0 }));
  const flows: Plan['flows'] = {};
  const auth = steps(['auth.login', 'auth.2fa_status', 'auth.request_email_verify', 'auth.refresh', 'auth.logout']);
  const user = steps(['user.me', 'user.profile_get', 'user.profile_update']);
  const monitoring = p.endpoints.filter((e) => e.group === 'monitoring' || e.group === 'probes').map((e) => ({ name: e.name, weight: 1 }));
  if (auth.length) flows['auth'] = { kind: 'steps', steps: auth, session: 'iteration' };
  if (user.length) flows['user'] = { kind: 'steps', steps: user, session: 'vu' };
  if (monitoring.length) flows['monitoring'] = { kind: 'pick', endpoints: monitoring };
  const mix = Object.entries(p.journeyWeights)
    .filter(([name, w]) => w > 0 && flows[name])
    .map(([name, weight]) => ({ name, weight }));
  if (mix.length) flows['journey'] = { kind: 'mix', flows: mix };
  if (!flows[p.scenario]) flows[p.scenario] = { kind: 'pick', endpoints: p.endpoints.map((e) => ({ name: e.name, weight: 1 })) };
  return {
    kind: 'loadgate.plan',
    version: PLAN_VERSION,
    runId: p.runId,
    createdAt: p.createdAt,
    scenario: p.scenario,
    profile: p.profile,
    phase: p.phase,
    thresholdSet: p.thresholdSet,
    baseUrl: p.baseUrl,
    headers: {},
    endpoints: p.endpoints.map((e) => ({
      name: e.name,
      group: e.group,
      method: e.method,
      path: e.path,
      query: {},
      headers: {},
      ...(e.body === undefined ? {} : { body: e.body }),
      bodyType: 'json' as const,
      auth: e.auth,
      timeoutMs: e.timeoutMs,
      weight: 1,
      expectStatus: e.expectStatus,
      expectBody: e.expectBody !== undefined ? e.expectBody : e.expectField === null ? null : { json: [e.expectField] },
      probe: e.probe,
    })),
    auth: {
      bearer: {
        type: 'login',
        endpoint: 'auth.login',
        token: { json: p.tokens.access },
        header: 'Authorization',
        scheme: 'Bearer',
        refresh: { endpoint: 'auth.refresh', token: { json: p.tokens.refresh } },
        reloginOn: [401],
      },
    },
    flows,
    users: p.users,
    env: [p.users.passwordEnv],
    requestsPerIteration: p.requestsPerIteration,
    durationScale: p.durationScale,
    stages: p.stages,
    k6Options: p.k6Options,
  };
}

/**
 * Any stored plan version → the current one; throws zod's error for an invalid one. Without
 * zod's JIT: a process reads a plan once or twice, and compiling the parsers costs more than it
 * saves (~15 ms of every `loadgate analyze`); the result is the same.
 */
export function parsePlan(value: unknown): Plan {
  const version = typeof value === 'object' && value !== null ? (value as { version?: unknown }).version : undefined;
  if (version === 1) return migratePlanV1(PlanV1Schema.parse(value, { jitless: true }));
  return PlanSchema.parse(value, { jitless: true });
}
