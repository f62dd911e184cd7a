/**
 * The config file's schema. Types come from it. The reference API's catalogue lives in
 * lib/shared/defaults.ts; the defaults of a single field (an endpoint's method, an auth
 * strategy's header) are written here, once, with `.default()`. Unknown keys are errors, and
 * every error names its path. Cross-references (an endpoint's auth strategy, a flow's steps, a
 * capture used before it is set) are checked by `checkReferences`, which names the path too.
 */
import { z } from 'zod';
import { parseDuration } from '../shared/duration.ts';
import { compileJsonPath } from '../shared/json-path.ts';
import { BodyCheckSchema, BodyTypeSchema, HttpMethodSchema, TokenSourceSchema } from '../contract/plan.ts';
import { LOAD_PROFILE_NAMES } from './profiles.ts';
import { BUILTIN_VARS, templateVars } from '../shared/template.ts';
import { groupOf } from '../shared/endpoint.ts';
import { HOST_HINT, isHost } from '../shared/loopback.ts';

export const DurationSchema = z.string().refine(
  (v) => {
    const ms = parseDuration(v);
    return ms !== null && ms > 0;
  },
  { error: (issue) => `must be a duration such as "10s", got ${JSON.stringify(issue.input)}` },
);

/** A think time: a duration, "0s" included. */
const ThinkSchema = z.string().refine((v) => parseDuration(v) !== null || v === '0' || v === '0s', {
  error: (issue) => `must be a duration such as "500ms", got ${JSON.stringify(issue.input)}`,
});

const ENV_HINT = 'put credentials in env vars and name them in an auth strategy (see README, "Your own API")';

const BaseUrlSchema = z
  .url({ error: (issue) => `must be a URL such as "http://127.0.0.1:8080", got ${JSON.stringify(issue.input)}` })
  .superRefine((value, ctx) => {
    // Regexes, not URL: this file is type-checked with the k6 scripts too, whose runtime has no URL.
    if (/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(value)) {
      // Never echo the value: it holds a password.
      ctx.addIssue({
        code: 'custom',
        message: `must not hold credentials (user:password@): they would land in plan files and logs; use auth: { basic: { type: basic, usernameEnv: …, passwordEnv: … } } instead: ${ENV_HINT}`,
      });
    }
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(value)?.[1]?.toLowerCase();
    if (scheme !== undefined && scheme !== 'http' && scheme !== 'https') {
      ctx.addIssue({ code: 'custom', message: `must be an http:// or https:// URL, got the scheme ${JSON.stringify(`${scheme}:`)}` });
    }
  });

/** A host name or an IP address, as `target.baseUrl` spells it: no scheme, port or path. */
const AllowedHostSchema = z.string().refine(isHost, { error: (issue) => `${HOST_HINT}, got ${JSON.stringify(issue.input)}` });

const HeaderValue = z
  .string()
  .min(1, { error: 'needs a value: a header with no value is not sent by every client alike; remove it instead' });
const HeadersSchema = z.record(
  z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, { error: 'must be an HTTP header name (letters, digits, "-")' }),
  HeaderValue,
);

const StatusSchema = z.union([
  z.number().int().min(100, { error: 'must be an HTTP status 100-599' }).max(599, { error: 'must be an HTTP status 100-599' }),
  z.string().regex(/^[1-5]xx$/, { error: 'must be a status such as 200, a class such as "2xx", or { min, max }' }),
  z
    .object({ min: z.number().int().min(100).max(599), max: z.number().int().min(100).max(599) })
    .strict()
    .refine((r) => r.min <= r.max, { error: 'min must not be above max' }),
]);

export const EndpointConfigSchema = z
  .object({
    /** Defaults to the name's part before its first "." (`orders.list` → `orders`). */
    group: z.string().min(1).optional(),
    method: HttpMethodSchema.default('GET'),
    path: z.string().startsWith('/', { error: 'must start with "/"' }),
    query: z.record(z.string().min(1), z.string()).default({}),
    headers: HeadersSchema.default({}),
    /** The payload; null (or absent) sends no body. */
    body: z.unknown().optional(),
    /** How `body` is sent: JSON, form-encoded (an object of strings), or text (a string). */
    bodyType: BodyTypeSchema.default('json'),
    /** An auth strategy's name, or 'none'; absent takes the group's (`groups.<g>.auth`), else none. */
    auth: z.string().min(1).optional(),
    timeout: DurationSchema.nullable().default(null),
    /** Weight of the endpoint in a `pick` flow. */
    weight: z.number().nonnegative().default(1),
    expectStatus: z.array(StatusSchema).min(1).default(['2xx']),
    /** `{ json: [fields] }`, `{ jsonPath: {path: expect} }`, `{ contains: text }`, `{ empty: true }`, or null (no body check). */
    expectBody: BodyCheckSchema.nullable().default(null),
    probe: z.boolean().default(false),
    enabled: z.boolean().default(true),
  })
  .strict();
export type EndpointConfig = z.infer<typeof EndpointConfigSchema>;

const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'must be an environment variable name such as MY_API_KEY' });

export const AUTH_TYPES = ['apiKey', 'basic', 'bearer', 'login'] as const;

export const AuthConfigSchema = z.discriminatedUnion(
  'type',
  [
    z
      .object({ type: z.literal('apiKey'), in: z.enum(['header', 'query']).default('header'), name: z.string().min(1), env: EnvName })
      .strict(),
    z
      .object({ type: z.literal('basic'), username: z.string().min(1).optional(), usernameEnv: EnvName.optional(), passwordEnv: EnvName })
      .strict()
      .refine((b) => (b.username === undefined) !== (b.usernameEnv === undefined), {
        error: 'needs exactly one of username (a literal) or usernameEnv (the env var holding it)',
      }),
    z
      .object({
        type: z.literal('bearer'),
        env: EnvName,
        header: z.string().min(1).default('Authorization'),
        scheme: z.string().default('Bearer'),
      })
      .strict(),
    z
      .object({
        type: z.literal('login'),
        endpoint: z.string().min(1),
        token: TokenSourceSchema,
        header: z.string().min(1).default('Authorization'),
        scheme: z.string().default('Bearer'),
        refresh: z
          .object({ endpoint: z.string().min(1), token: TokenSourceSchema })
          .strict()
          .nullable()
          .default(null),
        reloginOn: z.array(z.number().int().min(100).max(599)).default([401]),
      })
      .strict(),
  ],
  {
    error: (issue) => {
      const type = (issue.input as { type?: unknown } | undefined)?.type;
      return `is an unknown auth strategy type ${JSON.stringify(type)}: use one of ${AUTH_TYPES.join(', ')}`;
    },
  },
);
export type AuthConfig = z.infer<typeof AuthConfigSchema>;

const StepSchema = z.union([
  z.string().min(1),
  z
    .object({
      endpoint: z.string().min(1),
      capture: z
        .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'capture names must be letters, digits or "_"' }), z.string())
        .default({}),
      think: ThinkSchema.optional(),
    })
    .strict(),
]);

export const FlowConfigSchema = z
  .object({
    steps: z.array(StepSchema).min(1).optional(),
    /** `vu` keeps a login session across the VU's iterations; `iteration` logs in afresh each time. */
    session: z.enum(['vu', 'iteration']).optional(),
    /** Think time after every step (a step's own `think` wins). */
    think: ThinkSchema.optional(),
    pick: z
      .object({ groups: z.array(z.string().min(1)).min(1).optional(), endpoints: z.record(z.string(), z.number().positive()).optional() })
      .strict()
      .refine((p) => p.groups !== undefined || p.endpoints !== undefined, { error: 'needs groups or endpoints' })
      .optional(),
    mix: z.record(z.string(), z.number().nonnegative()).optional(),
  })
  .strict()
  .refine((f) => [f.steps, f.pick, f.mix].filter((x) => x !== undefined).length === 1, {
    error: 'must have exactly one of steps (a sequence), pick (one endpoint by weight) or mix (one flow by weight)',
  });
export type FlowConfig = z.infer<typeof FlowConfigSchema>;

const rateMultiple = z
  .number({ error: (i) => `must be a multiple of load.rps such as 0.5 (50 %), got ${JSON.stringify(i.input)}` })
  .nonnegative({ error: 'must be a multiple of load.rps, 0 or above' });

/** One stage of a load profile: the offered rate goes from `from` to `to` × `load.rps` over `durationS`. */
export const ProfileStageSchema = z
  .object({
    /** Tags every sample of the stage (k6 tag `stage`), so the analysis splits by it. */
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.%-]*$/, {
      error: (issue) => `must be letters, digits, "_", ".", "%" or "-" (it becomes a k6 tag value), got ${JSON.stringify(issue.input)}`,
    }),
    /** Seconds, before the duration scale. */
    durationS: z
      .number({ error: (i) => `must be a number of seconds such as 60, got ${JSON.stringify(i.input)}` })
      .positive({ error: 'must be a number of seconds above 0' }),
    /** Multiples of `load.rps` at the stage's start and end; a start other than the previous end is a step. */
    from: rateMultiple,
    to: rateMultiple,
  })
  .strict();
export type ProfileStage = z.infer<typeof ProfileStageSchema>;

/** A load profile: built-in (lib/config/profiles.ts) or a config file's own, in the same shape. */
export const LoadProfileSchema = z
  .object({
    description: z.string().min(1),
    stages: z
      .array(ProfileStageSchema)
      .min(1)
      .superRefine((stages, ctx) => {
        const seen = new Set<string>();
        stages.forEach((stage, i) => {
          if (seen.has(stage.name)) {
            ctx.addIssue({
              code: 'custom',
              path: [i, 'name'],
              message: `repeats the stage name ${JSON.stringify(stage.name)}: each stage needs its own (it tags the samples)`,
            });
          }
          seen.add(stage.name);
        });
        if (stages.length > 0 && stages.every((s) => s.from === 0 && s.to === 0)) {
          ctx.addIssue({ code: 'custom', message: 'offer no load at all: at least one stage needs a "from" or "to" above 0' });
        }
      }),
    /** Thresholds abort the test when breached (k6 `abortOnFail`): a breakpoint search. */
    abortOnFail: z.boolean(),
  })
  .strict();
export type LoadProfile = z.infer<typeof LoadProfileSchema>;

/** Config profiles sit beside the built-in ones: a built-in's name is an error, never a silent override. */
const ProfileNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_-]*$/, { error: 'profile names must be lower-case letters, digits, "_" or "-" (they name run directories)' })
  .refine((name) => !(LOAD_PROFILE_NAMES as readonly string[]).includes(name), {
    error: (issue) =>
      `${JSON.stringify(issue.input)} is a built-in profile (${LOAD_PROFILE_NAMES.join(', ')}); give yours a name of its own`,
  });

const NameSchema = z.string().regex(/^[a-z][a-z0-9_.-]*$/, { error: 'names must be lower-case letters, digits, "_", "." or "-"' });

/** An origin as a browser sends it: scheme, host and an optional port, no path. */
const OriginSchema = z.string().regex(/^https?:\/\/[^/?#\s]+$/, {
  error: (issue) => `must be an origin such as "https://app.example.com" (scheme, host, port; no path), got ${JSON.stringify(issue.input)}`,
});

/** Endpoint names a readiness check uses; null lets the plan pick them (see each check). */
const ReadinessEndpointsSchema = z.array(z.string().min(1)).nullable();

/**
 * The readiness checks that run beside the load in the same k6 run (a light second scenario),
 * and the rules they are judged by (lib/shared/readiness.ts, docs/verdicts.md "Production
 * readiness"). Every check can be switched off; `enabled: false` switches off the scenario.
 */
export const ReadinessConfigSchema = z
  .object({
    enabled: z.boolean(),
    /** Readiness iterations per second; each sends at most four requests, none with credentials. */
    rate: z
      .number()
      .positive({ error: 'must be above 0 (iterations per second)' })
      .max(20, { error: 'must be at most 20 iterations per second: the checks are meant to be light beside the load' }),
    /** A readiness request gives up after this long (its answer then fails the checks that need one). */
    timeout: DurationSchema,
    securityHeaders: z
      .object({
        enabled: z.boolean(),
        /** Endpoints sampled without credentials for their headers; null: every GET endpoint without placeholders. */
        endpoints: ReadinessEndpointsSchema,
        /** Require HSTS: `auto` over https only. */
        hsts: z.enum(['auto', 'always', 'never']),
      })
      .strict(),
    cors: z
      .object({
        enabled: z.boolean(),
        /** The endpoint whose path the preflights ask about; null: the first authenticated GET endpoint (else the first GET). */
        endpoint: z.string().min(1).nullable(),
        /** The origin a preflight must be allowed for; null (the default with `extends: none`) skips the CORS checks. */
        allowedOrigin: OriginSchema.nullable(),
        refusedOrigin: OriginSchema,
        /** Headers the preflight asks for (Access-Control-Request-Headers); each must be allowed. */
        requestHeaders: z.array(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, { error: 'must be an HTTP header name' })),
      })
      .strict()
      .refine((c) => c.allowedOrigin !== c.refusedOrigin, { error: 'allowedOrigin and refusedOrigin must differ' }),
    compression: z
      .object({
        enabled: z.boolean(),
        /** Answers at least this large (decompressed) must come compressed. */
        minBytes: z.number().int().positive(),
      })
      .strict(),
    probes: z
      .object({
        enabled: z.boolean(),
        /** null: every endpoint with `probe: true`. */
        endpoints: ReadinessEndpointsSchema,
        /** A probe must answer faster than this while the load runs. */
        maxMs: z.number().positive(),
      })
      .strict(),
    monitoring: z
      .object({
        enabled: z.boolean(),
        /** null: every endpoint of the group `monitoring`. */
        endpoints: ReadinessEndpointsSchema,
        /** Endpoints that expose Prometheus text: their answers must be valid exposition. */
        prometheus: z.array(z.string().min(1)),
      })
      .strict(),
  })
  .strict();
export type ReadinessConfig = z.infer<typeof ReadinessConfigSchema>;

export const ConfigSchema = z
  .object({
    /** What the file builds on: the reference API's catalogue (the default) or nothing. */
    extends: z.enum(['reference-api', 'none']),
    target: z
      .object({
        baseUrl: BaseUrlSchema,
        /** Sent with every request; values are templates ({{env.NAME}} reads the environment inside k6). */
        headers: HeadersSchema,
        /** The path probed once before any load (any HTTP answer will do); null probes the base URL. */
        preflight: z.string().startsWith('/', { error: 'must be a path starting with "/"' }).nullable(),
        /** Hosts outside loopback that load may go to (names or IPs, as in baseUrl; lib/run/guard.ts). */
        allow: z.array(AllowedHostSchema).default([]),
      })
      .strict(),
    defaultTimeout: DurationSchema,
    auth: z.record(
      z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, { error: 'auth strategy names must be letters, digits, "_" or "-"' }),
      AuthConfigSchema,
    ),
    groups: z.record(z.string(), z.object({ auth: z.string().min(1).optional() }).strict()),
    endpoints: z.record(NameSchema, EndpointConfigSchema),
    flows: z.record(NameSchema, FlowConfigSchema),
    /** The flow `loadgate run` runs when --scenario is not given. */
    scenario: z.string().nullable(),
    users: z
      .object({
        emailTemplate: z.string().includes('{{i}}', { error: 'must contain {{i}}' }),
        count: z.number().int().positive(),
        passwordEnv: EnvName,
        /**
         * Test users logged in once in k6's setup(), before the load, whose sessions the VUs of
         * `vu`-session flows share; 0 makes every VU log in on its first request instead.
         */
        sessions: z.number().int().nonnegative(),
      })
      .strict(),
    load: z
      .object({
        rps: z.number().positive(),
        durationScale: z.number().positive(),
        maxVUs: z.number().int().positive().nullable(),
        /** k6 processes the test is split across, with k6's execution segments (docs/scaling.md). */
        segments: z.number().int().min(1).default(1),
      })
      .strict(),
    /** Load profiles of the config's own, used with `--profile NAME` like the built-in ones. */
    profiles: z.record(ProfileNameSchema, LoadProfileSchema),
    outDir: z.string().min(1),
    thresholdSet: z.string().nullable(),
    /** User-defined threshold sets, validated by lib/contract/thresholds.ts. */
    thresholdSets: z.record(z.string(), z.unknown()).optional(),
    /** The readiness checks beside the load (absent: the defaults' readiness, lib/shared/defaults.ts). */
    readiness: ReadinessConfigSchema.optional(),
  })
  .strict()
  .superRefine(checkReferences);
export type Config = z.infer<typeof ConfigSchema>;

type Ctx = z.RefinementCtx<Config>;

function checkReferences(c: Config, ctx: Ctx): void {
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  const strategies = Object.keys(c.auth);
  const strategyOk = (s: string) => s === 'none' || Object.hasOwn(c.auth, s);
  const strategyList = ['none', ...strategies].join(', ');
  for (const [g, group] of Object.entries(c.groups)) {
    if (group.auth !== undefined && !strategyOk(group.auth))
      issue(['groups', g, 'auth'], `names no auth strategy "${group.auth}"; defined: ${strategyList}`);
  }
  for (const [name, e] of Object.entries(c.endpoints)) {
    if (e.auth !== undefined && !strategyOk(e.auth))
      issue(['endpoints', name, 'auth'], `names no auth strategy "${e.auth}"; defined: ${strategyList}`);
    if (e.bodyType === 'form' && e.body !== undefined && e.body !== null) {
      const ok =
        typeof e.body === 'object' &&
        !Array.isArray(e.body) &&
        Object.values(e.body as object).every((v) => ['string', 'number', 'boolean'].includes(typeof v));
      if (!ok) issue(['endpoints', name, 'body'], 'must be an object of strings, numbers or booleans when bodyType is form');
    }
    if (e.bodyType === 'text' && e.body !== undefined && e.body !== null && typeof e.body !== 'string') {
      issue(['endpoints', name, 'body'], 'must be a string when bodyType is text');
    }
    if (e.expectBody?.jsonPath) {
      for (const p of Object.keys(e.expectBody.jsonPath)) {
        try {
          compileJsonPath(p);
        } catch (err) {
          issue(['endpoints', name, 'expectBody', 'jsonPath', p], (err as Error).message);
        }
      }
    }
  }
  const endpointOk = (n: string) => Object.hasOwn(c.endpoints, n);
  const endpointList = () => Object.keys(c.endpoints).join(', ') || '(none)';
  for (const [s, a] of Object.entries(c.auth)) {
    if (a.type !== 'login') continue;
    if (!endpointOk(a.endpoint)) issue(['auth', s, 'endpoint'], `names no endpoint "${a.endpoint}"; endpoints: ${endpointList()}`);
    if (a.refresh && !endpointOk(a.refresh.endpoint))
      issue(['auth', s, 'refresh', 'endpoint'], `names no endpoint "${a.refresh.endpoint}"`);
    for (const [path, src] of [
      [['auth', s, 'token', 'json'], a.token],
      [['auth', s, 'refresh', 'token', 'json'], a.refresh?.token],
    ] as const) {
      if (src && 'json' in src) {
        try {
          compileJsonPath(src.json);
        } catch (err) {
          issue([...path], (err as Error).message);
        }
      }
    }
  }
  for (const [f, flow] of Object.entries(c.flows)) {
    if (flow.steps) checkSteps(c, f, flow, issue);
    for (const [n] of Object.entries(flow.pick?.endpoints ?? {})) {
      if (!endpointOk(n)) issue(['flows', f, 'pick', 'endpoints', n], `names no endpoint "${n}"; endpoints: ${endpointList()}`);
    }
    for (const [n] of Object.entries(flow.mix ?? {})) {
      if (!Object.hasOwn(c.flows, n) && !groupNames(c).has(n))
        issue(['flows', f, 'mix', n], `names no flow "${n}"; flows: ${flowNames(c).join(', ')}`);
    }
  }
  for (const f of Object.keys(c.flows)) {
    const cycle = mixCycle(c, f, []);
    if (cycle) {
      issue(['flows', f, 'mix'], `mixes itself in a loop: ${cycle.join(' → ')}`);
      break;
    }
  }
  if (c.scenario !== null && !flowNames(c).includes(c.scenario)) {
    issue(['scenario'], `names no flow "${c.scenario}"; flows: ${flowNames(c).join(', ')}`);
  }
  const r = c.readiness;
  if (r) {
    const lists: Array<[string[], readonly string[] | null]> = [
      [['readiness', 'securityHeaders', 'endpoints'], r.securityHeaders.endpoints],
      [['readiness', 'probes', 'endpoints'], r.probes.endpoints],
      [['readiness', 'monitoring', 'endpoints'], r.monitoring.endpoints],
      [['readiness', 'monitoring', 'prometheus'], r.monitoring.prometheus],
      [['readiness', 'cors', 'endpoint'], r.cors.endpoint === null ? null : [r.cors.endpoint]],
    ];
    for (const [path, names] of lists) {
      (names ?? []).forEach((n, i) => {
        if (!endpointOk(n))
          issue(
            path.length === 3 && path[2] === 'endpoint' ? path : [...path, i],
            `names no endpoint "${n}"; endpoints: ${endpointList()}`,
          );
      });
    }
  }
}

function checkSteps(c: Config, f: string, flow: FlowConfig, issue: (path: (string | number)[], message: string) => void): void {
  const captured = new Set<string>();
  (flow.steps ?? []).forEach((raw, i) => {
    const step = typeof raw === 'string' ? { endpoint: raw, capture: {} } : raw;
    const at = typeof raw === 'string' ? ['flows', f, 'steps', i] : ['flows', f, 'steps', i, 'endpoint'];
    const e = c.endpoints[step.endpoint];
    if (!e) {
      issue(at, `names no endpoint "${step.endpoint}"; endpoints: ${Object.keys(c.endpoints).join(', ') || '(none)'}`);
      return;
    }
    for (const v of endpointVars(e)) {
      if (!BUILTIN_VARS.has(v) && !v.startsWith('env.') && !captured.has(v)) {
        issue(
          at,
          `${step.endpoint} uses {{${v}}} before any step captures it: capture it in an earlier step (capture: { ${v}: 'json.path' })`,
        );
      }
    }
    for (const [name, path] of Object.entries(step.capture)) {
      try {
        compileJsonPath(path);
      } catch (err) {
        issue(['flows', f, 'steps', i, 'capture', name], (err as Error).message);
      }
      captured.add(name);
    }
  });
}

/** Every {{var}} an endpoint's request uses. */
export function endpointVars(e: Pick<EndpointConfig, 'path' | 'query' | 'headers' | 'body'>): string[] {
  const texts = [
    e.path,
    ...Object.values(e.query),
    ...Object.values(e.headers),
    e.body === undefined || e.body === null ? '' : JSON.stringify(e.body),
  ];
  return [...new Set(texts.flatMap(templateVars))];
}

export function groupNames(c: Pick<Config, 'endpoints'>): Set<string> {
  return new Set(Object.entries(c.endpoints).map(([n, e]) => groupOf(n, e)));
}

/** The explicit flows, then a `pick` flow for every group that has no flow of its name. */
export function flowNames(c: Pick<Config, 'flows' | 'endpoints'>): string[] {
  return [...new Set([...Object.keys(c.flows), ...groupNames(c)])];
}

function mixCycle(c: Config, f: string, stack: string[]): string[] | null {
  if (stack.includes(f)) return [...stack.slice(stack.indexOf(f)), f];
  const mix = c.flows[f]?.mix;
  if (!mix) return null;
  for (const n of Object.keys(mix)) {
    const found = mixCycle(c, n, [...stack, f]);
    if (found) return found;
  }
  return null;
}
