/**
 * The load generator's health, judged: k6's CPU and memory samples (generator.json, lib/run/
 * generator.ts) summed up per load stage, and the rule that a stage in which k6 used (nearly)
 * every core was measured by a saturated generator. Such a generator delays its own requests,
 * timers and response handling: the latencies, timeouts and rates it reports then measure
 * itself, not the API. Grafana Cloud k6 calls this its "high load generator CPU" insight.
 * Pure; docs/verdicts.md states the rule.
 */
import type { GeneratorFile } from '../contract/run.ts';
import type { GeneratorHealth, GeneratorStage } from '../contract/verdict.ts';

/** A sample is hot when k6 used more than this share of the machine's cores. */
export const GENERATOR_CPU_LIMIT = 0.9;
/** A stage is saturated when more than this share of its samples is hot. */
export const GENERATOR_SATURATED_SHARE = 0.1;

interface StageWindow {
  name: string;
  startS: number;
  endS: number;
}

/**
 * The samples per stage: a sample covers the interval (t − dt, t] and belongs to the stage that
 * holds the whole interval, the plan's stage windows counted in seconds from when k6's scenarios
 * started (the file's `loadStartedAt`: k6's own stage clock, after VU initialisation and setup()).
 * Without it, from `t0Ms`, the analysis's `run.startedAt`, which k6's first `vus` sample dates:
 * k6 starts that clock as it begins initialising, so there k6's start-up falls in the first stage.
 * A sample across a boundary between two stages counts in neither; samples before the first stage
 * (start-up) or after the last (the graceful stop) are in no stage.
 */
export function generatorHealth(file: GeneratorFile, analysisT0Ms: number | null, stages: readonly StageWindow[]): GeneratorHealth {
  const t0Ms = file.loadStartedAt ?? analysisT0Ms;
  const per = stages.map(() => ({ samples: 0, hot: 0, sum: 0, peak: null as number | null, rss: null as number | null }));
  let inStages = 0;
  let peakCpu: number | null = null;
  let peakRss: number | null = null;
  for (const s of file.samples) {
    peakRss = Math.max(peakRss ?? 0, s.rss);
    if (t0Ms === null) continue;
    const from = (s.t - s.dt - t0Ms) / 1000;
    const to = (s.t - t0Ms) / 1000;
    const i = stages.findIndex((w) => from >= w.startS && to <= w.endS);
    const p = per[i];
    if (p === undefined) continue;
    inStages++;
    p.samples++;
    if (s.cpu > GENERATOR_CPU_LIMIT) p.hot++;
    p.sum += s.cpu;
    p.peak = Math.max(p.peak ?? 0, s.cpu);
    p.rss = Math.max(p.rss ?? 0, s.rss);
    peakCpu = Math.max(peakCpu ?? 0, s.cpu);
  }
  const list: GeneratorStage[] = stages.map((w, i) => {
    const p = per[i] as (typeof per)[number];
    const hotShare = p.samples > 0 ? p.hot / p.samples : null;
    return {
      name: w.name,
      samples: p.samples,
      hot: p.hot,
      hotShare,
      meanCpu: p.samples > 0 ? p.sum / p.samples : null,
      peakCpu: p.peak,
      peakRssBytes: p.rss,
      saturated: hotShare !== null && hotShare > GENERATOR_SATURATED_SHARE,
    };
  });
  return {
    cores: file.cores,
    processes: file.processes.length,
    samples: file.samples.length,
    samplesInStages: inStages,
    intervalMs: file.intervalMs,
    cpuLimit: GENERATOR_CPU_LIMIT,
    saturatedShare: GENERATOR_SATURATED_SHARE,
    peakCpu,
    peakRssBytes: peakRss,
    stages: list,
    saturatedStages: list.filter((s) => s.saturated).map((s) => s.name),
  };
}
