/**
 * The load generator's health (verdict.json's `validity.generator`, lib/verdict/generator.ts) in
 * words: the reason a saturated stage proves nothing, and the one line the terminal, summary.md
 * and the run report give it. Pure.
 */
import type { GeneratorHealth, GeneratorStage } from '../contract/verdict.ts';

const pct = (x: number) => {
  const v = x * 100;
  return `${Number.isInteger(v) ? v : v.toFixed(1)} %`;
};
const cores = (n: number) => `${n} core${n === 1 ? '' : 's'}`;

/**
 * Why a saturated stage proves nothing: "the load generator was saturated in stage hold: k6 used
 * > 90 % of 2 cores for 25 % of the stage (5 of 20 samples); a saturated generator measures
 * itself, not the API".
 */
export function saturationReason(g: Pick<GeneratorHealth, 'cores' | 'cpuLimit'>, s: GeneratorStage): string {
  return (
    `the load generator was saturated in stage ${s.name}: k6 used > ${pct(g.cpuLimit)} of ${cores(g.cores)} ` +
    `for ${pct(s.hotShare ?? 0)} of the stage (${s.hot} of ${s.samples} samples); a saturated generator measures itself, not the API`
  );
}

/**
 * Why the saturated stages `names` prove nothing: the one stage's saturationReason, or for
 * several one line naming them with the rule.
 */
export function saturatedStagesReason(g: GeneratorHealth, names: readonly string[]): string {
  const one = names.length === 1 ? g.stages.find((s) => s.name === names[0]) : undefined;
  if (one) return saturationReason(g, one);
  return `the load generator was saturated in stages ${names.join(', ')} (k6 above ${pct(g.cpuLimit)} of the cores in more than ${pct(g.saturatedShare)} of their samples); a saturated generator measures itself, not the API`;
}

/** In MB (10⁶ bytes), whole: `143 MB`. */
export function fmtMb(bytes: number | null): string {
  return bytes === null ? '—' : `${Math.round(bytes / 1e6)} MB`;
}

/** A CPU share of the cores as a whole percentage: `87 %`. */
export function fmtCpu(share: number | null): string {
  return share === null ? '—' : `${Math.round(share * 100)} %`;
}

/**
 * The generator in one line, as the terminal, summary.md and the report say it:
 * "k6 CPU peak 87 % of 2 cores, RSS peak 143 MB", or "no generator samples".
 */
export function generatorSentence(g: GeneratorHealth | null | undefined): string {
  if (!g) return 'no generator samples';
  const procs = g.processes > 1 ? ` (${g.processes} k6 processes)` : '';
  const cpu = g.peakCpu === null ? 'no CPU samples within the load stages' : `k6 CPU peak ${fmtCpu(g.peakCpu)} of ${cores(g.cores)}`;
  return `${cpu}, RSS peak ${fmtMb(g.peakRssBytes)}${procs}`;
}

/** "saturated in stage hold (k6 > 90 % of 2 cores for 25 % of its samples)"; several stages each with their share. */
export function saturatedSentence(g: GeneratorHealth): string {
  const hot = g.stages.filter((s) => s.saturated);
  const each = hot.map((s) => `${s.name} ${pct(s.hotShare ?? 0)}`).join(', ');
  return hot.length === 1
    ? `saturated in stage ${hot[0]?.name} (k6 > ${pct(g.cpuLimit)} of ${cores(g.cores)} for ${pct(hot[0]?.hotShare ?? 0)} of its samples)`
    : `saturated in stages ${hot.map((s) => s.name).join(', ')} (k6 > ${pct(g.cpuLimit)} of ${cores(g.cores)} for ${each} of their samples)`;
}
