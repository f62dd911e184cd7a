/**
 * The schema of a threshold set: the targets as data. In the contract because the verdict
 * (verdict.json) records the set it applied whole; thresholds/ holds the sets themselves and
 * their conversion to k6. The types come from it; the built-in
 * sets (thresholds/sets.ts) are checked against them with `satisfies`, and user-defined sets from the
 * config file (`thresholdSets`) are validated with `parseThresholdSets`.
 *
 * Every target has one fixed comparator, so a set is plain numbers:
 *   p95Ms           the P95 of http_req_duration must be below it        (measured <  target)
 *   errorRate       the share of non-ok requests must be below it         (measured <  target)
 *   maxTimeoutRate  the share of timed-out requests must be at most it;   (measured <= target)
 *                   0 means "no timeouts at all"
 *   minRps          successful requests per second in the steady window (measured >= target)
 *                   must be at least it; run-wide, so only in `defaults`
 *
 * In overrides, a missing key inherits and `null` removes the target.
 */
import { z } from 'zod';
import { ConfigError } from './errors.ts';

/** The version of the threshold data format (thresholds/sets.ts carries it as a literal). */
export const THRESHOLDS_VERSION = 1 as const;

const ratio = (what: string) =>
  z
    .number({ error: (i) => `must be a ${what} between 0 and 1 (0.05 = 5 %), got ${JSON.stringify(i.input)}` })
    .min(0, { error: `must be a ${what} between 0 and 1 (0.05 = 5 %)` })
    .max(1, { error: `must be a ${what} between 0 and 1 (0.05 = 5 %)` });

const positive = (what: string) =>
  z.number({ error: (i) => `must be ${what}, got ${JSON.stringify(i.input)}` }).positive({ error: `must be ${what} (> 0)` });

/** Per-endpoint targets: what `defaults`, `groups.*`, `probes` and `endpoints.*` may set. */
export const EndpointTargetsSchema = z
  .object({
    p95Ms: positive('a latency in milliseconds such as 500').nullable().optional(),
    errorRate: ratio('rate').nullable().optional(),
    maxTimeoutRate: ratio('rate').nullable().optional(),
  })
  .strict();
export type EndpointTargets = z.infer<typeof EndpointTargetsSchema>;

/** The set-wide defaults: the per-endpoint targets plus the run-wide throughput target. */
export const DefaultTargetsSchema = EndpointTargetsSchema.extend({
  minRps: positive('a request rate per second such as 100').nullable().optional(),
}).strict();
export type DefaultTargets = z.infer<typeof DefaultTargetsSchema>;

export const ThresholdSetSchema = z
  .object({
    description: z.string().optional(),
    defaults: DefaultTargetsSchema,
    /** Overrides by endpoint group (e.g. `auth`, `probes`). */
    groups: z.record(z.string(), EndpointTargetsSchema).optional(),
    /** Overrides for every endpoint flagged `probe: true`, whatever its group. */
    probes: EndpointTargetsSchema.optional(),
    /** Overrides by endpoint name (e.g. `auth.login`); the most specific level. */
    endpoints: z.record(z.string(), EndpointTargetsSchema).optional(),
  })
  .strict();
export type ThresholdSet = z.infer<typeof ThresholdSetSchema>;

export const SET_NAME = /^[a-z][a-z0-9_-]*$/;

export const ThresholdSetsSchema = z.record(
  z.string().regex(SET_NAME, { error: 'threshold set names must be lower-case letters, digits, "_" or "-"' }),
  ThresholdSetSchema,
);
export type ThresholdSets = z.infer<typeof ThresholdSetsSchema>;

/** The versioned catalogue of built-in sets (thresholds/sets.ts). */
export interface ThresholdCatalog {
  readonly kind: 'loadgate.thresholds';
  readonly version: typeof THRESHOLDS_VERSION;
  readonly sets: Readonly<Record<string, ThresholdSet>>;
}

/**
 * Validates user-defined sets (the config file's `thresholdSets`). `path` names where they
 * came from (e.g. `loadgate.config.yaml: thresholdSets`); errors name the key inside it:
 * `loadgate.config.yaml: thresholdSets.strict.defaults.p95Ms must be a latency …`.
 */
export function parseThresholdSets(raw: unknown, path: string): ThresholdSets {
  const result = ThresholdSetsSchema.safeParse(raw ?? {});
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const where = [path, ...issue.path.map(String)].join('.');
    if (issue.code === 'unrecognized_keys') {
      return `${where}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    }
    if (issue.code === 'invalid_key') {
      return `${where}: ${issue.issues.map((i) => i.message).join('; ')}`;
    }
    return `${where} ${issue.message}`;
  });
  throw new ConfigError(`invalid threshold sets:\n  ${lines.join('\n  ')}`);
}
