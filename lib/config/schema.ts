/**
 * The config file's schema. Types come from it; defaults live in lib/shared/defaults.ts only.
 * Unknown keys are errors, and every error names its path.
 */
import { z } from 'zod';
import { parseDuration } from '../shared/duration.ts';
import { BodyCheckSchema, HttpMethodSchema } from '../plan/schema.ts';

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
    journey: z.object({ weights: z.record(z.enum(['auth', 'user', 'monitoring']), z.number().nonnegative()) }).strict(),
    outDir: z.string().min(1),
    thresholdSet: z.string().nullable(),
    /** User-defined threshold sets, validated by thresholds/schema.ts. */
    thresholdSets: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
export type Config = z.infer<typeof ConfigSchema>;
