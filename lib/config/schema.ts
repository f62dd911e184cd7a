/**
 * The config file's schema. Types come from it; defaults live in lib/shared/defaults.ts only.
 * Unknown keys are errors, and every error names its path.
 */
import { z } from 'zod';
import { parseDuration } from '../shared/duration.ts';
import { BodyCheckSchema, HttpMethodSchema } from '../plan/schema.ts';
import { LOAD_PROFILE_NAMES } from '../shared/profiles.ts';

export const DurationSchema = z.string().refine(
  (v) => {
    const ms = parseDuration(v);
    return ms !== null && ms > 0;
  },
  { error: (issue) => `must be a duration such as "10s", got ${JSON.stringify(issue.input)}` },
);

const LoopbackOrAnyUrl = z.url({ error: (issue) => `must be a URL such as "http://127.0.0.1:8080", got ${JSON.stringify(issue.input)}` });

export const EndpointConfigSchema = z
  .object({
    group: z.string().min(1),
    method: HttpMethodSchema,
    path: z.string().startsWith('/', { error: 'must start with "/"' }),
    body: z.unknown().optional(),
    auth: z.enum(['none', 'bearer']),
    timeout: DurationSchema.nullable(),
    expectStatus: z.array(z.number().int().min(100).max(599)).min(1),
    /** `{ json: [fields] }`, `{ contains: text }`, `{ empty: true }`, or null (no body check). */
    expectBody: BodyCheckSchema.nullable(),
    probe: z.boolean(),
    enabled: z.boolean(),
  })
  .strict();

const rateMultiple = z
  .number({ error: (i) => `must be a multiple of load.rps such as 0.5 (50 %), got ${JSON.stringify(i.input)}` })
  .nonnegative({ error: 'must be a multiple of load.rps, 0 or above' });

/** One stage of a load profile: the offered rate ramps from `from` to `to` × `load.rps` over `durationS`. */
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
    /** Multiples of `load.rps` at the stage's start and end. */
    from: rateMultiple,
    to: rateMultiple,
  })
  .strict();
export type ProfileStage = z.infer<typeof ProfileStageSchema>;

/** A load profile: built-in (lib/shared/profiles.ts) or a config file's own, in the same shape. */
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

export const ConfigSchema = z
  .object({
    target: z.object({ baseUrl: LoopbackOrAnyUrl }).strict(),
    defaultTimeout: DurationSchema,
    endpoints: z.record(
      z.string().regex(/^[a-z][a-z0-9_.-]*$/, { error: 'endpoint names must be lower-case letters, digits, "_", "." or "-"' }),
      EndpointConfigSchema,
    ),
    tokens: z.object({ access: z.string().min(1), refresh: z.string().min(1) }).strict(),
    users: z
      .object({
        emailTemplate: z.string().includes('{{i}}', { error: 'must contain {{i}}' }),
        count: z.number().int().positive(),
        passwordEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, { error: 'must be an environment variable name' }),
      })
      .strict(),
    load: z
      .object({
        rps: z.number().positive(),
        durationScale: z.number().positive(),
        maxVUs: z.number().int().positive().nullable(),
      })
      .strict(),
    /** Load profiles of the config's own, used with `--profile NAME` like the built-in ones. */
    profiles: z.record(ProfileNameSchema, LoadProfileSchema),
    journey: z.object({ weights: z.record(z.enum(['auth', 'user', 'monitoring']), z.number().nonnegative()) }).strict(),
    outDir: z.string().min(1),
    thresholdSet: z.string().nullable(),
    /** User-defined threshold sets, validated by thresholds/schema.ts. */
    thresholdSets: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
export type Config = z.infer<typeof ConfigSchema>;
