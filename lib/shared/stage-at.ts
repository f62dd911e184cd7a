/**
 * Where a moment of the load falls in the plan's stages, one rule for the VUs (the optional
 * `stage` tag), the analysis and the live path.
 */

/**
 * The index of the stage window holding `s` (seconds from the load's start, k6's
 * exec.scenario.startTime): the first whose end is past it. Before the first window, the first;
 * past the last (k6's graceful stop), the last. A zero-length window (a step's jump) holds nothing.
 */
export function stageIndexAt(stages: readonly { endS: number }[], s: number): number {
  for (let i = 0; i < stages.length; i++) if (s < (stages[i] as { endS: number }).endS) return i;
  return stages.length - 1;
}
