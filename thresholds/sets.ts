/**
 * The built-in targets, as data: the remediation plan's phases and the production SLO.
 * PURE: no imports but types, no Node or k6 APIs. The k6 scripts bundle this module too.
 *
 * | set        | P95       | errors | timeouts     | throughput |
 * |------------|-----------|--------|--------------|------------|
 * | baseline   | measured  | meas.  | measured     | measured   |
 * | phase1     | < 1000 ms | < 10 % | —            | —          |
 * | phase2     | < 500 ms  | < 5 %  | ≤ 1 %        | ≥ 50 RPS   |
 * | phase3     | < 200 ms  | < 1 %  | none         | ≥ 100 RPS  |
 * | production | < 500 ms  | < 5 %  | none         | ≥ 100 RPS  |
 *
 * Probes (`probe: true` endpoints: /health, /ready, /live): P95 < 100 ms in every set with targets.
 * Semantics of each key: lib/contract/thresholds.ts. Bump `version` when the meaning of a key changes.
 */
import type { ThresholdCatalog, ThresholdSet } from '../lib/contract/thresholds.ts';

const probes = { p95Ms: 100 };

export const BUILTIN_THRESHOLDS = {
  kind: 'loadgate.thresholds',
  version: 1,
  sets: {
    baseline: {
      description: 'Measures only: no targets, so the verdict is informational and passes.',
      defaults: {},
    },
    phase1: {
      description: 'Remediation phase 1: stop the bleeding.',
      defaults: { p95Ms: 1000, errorRate: 0.1 },
      probes,
    },
    phase2: {
      description: 'Remediation phase 2: half a second, 50 RPS, timeouts rare.',
      defaults: { p95Ms: 500, errorRate: 0.05, maxTimeoutRate: 0.01, minRps: 50 },
      probes,
    },
    phase3: {
      description: 'Remediation phase 3: fast, 100 RPS, no timeouts.',
      defaults: { p95Ms: 200, errorRate: 0.01, maxTimeoutRate: 0, minRps: 100 },
      probes,
    },
    production: {
      description: 'The production SLO.',
      defaults: { p95Ms: 500, errorRate: 0.05, maxTimeoutRate: 0, minRps: 100 },
      probes,
    },
  },
} as const satisfies ThresholdCatalog;

export type BuiltinSetName = keyof typeof BUILTIN_THRESHOLDS.sets;
export const BUILTIN_SET_NAMES = Object.keys(BUILTIN_THRESHOLDS.sets) as BuiltinSetName[];

/** The built-in sets merged with user-defined ones (a user set of the same name replaces a built-in). */
export function allSets(user: Readonly<Record<string, ThresholdSet>> = {}): Record<string, ThresholdSet> {
  return { ...(BUILTIN_THRESHOLDS.sets as Record<string, ThresholdSet>), ...user };
}

/** Looks a set up by name; undefined when there is none. */
export function findSet(name: string, user: Readonly<Record<string, ThresholdSet>> = {}): ThresholdSet | undefined {
  const sets = allSets(user);
  return Object.hasOwn(sets, name) ? sets[name] : undefined;
}
