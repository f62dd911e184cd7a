/**
 * The production readiness score's categories, in the order every rendering lists them: the
 * verdict's schema (verdict.ts) and the readiness checks (lib/shared/readiness.ts) share them.
 * Pure; imports nothing (the k6 side reaches it through the checks).
 */
export const READINESS_CATEGORIES = ['performance', 'errors', 'timeouts', 'monitoring', 'security'] as const;
export type ReadinessCategory = (typeof READINESS_CATEGORIES)[number];
